// SPDX-License-Identifier: Apache-2.0

package api

import (
	"net/http"
	"strconv"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/web/respond"
)

// logLeaf serves the leaf at an index.
func (h *Handler) logLeaf(w http.ResponseWriter, r *http.Request) error {
	index, err := strconv.ParseInt(r.PathValue("index"), 10, 64)
	if err != nil || index < 0 {
		return omadata.Invalidf("index", "The index must be a whole number, 0 or more.")
	}
	e, err := h.Log.LogEntryAt(r.Context(), index)
	if err != nil {
		return err
	}
	respond.OK(w, r, e)
	return nil
}

// inclusionProof proves a leaf, named by index or by leaf_hash, in the
// tree of size (default: the latest checkpoint's).
func (h *Handler) inclusionProof(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	size, err := int64Param(r, "size")
	if err != nil {
		return err
	}
	var p *omadata.InclusionProof
	switch idx, hash := q.Get("index"), q.Get("leaf_hash"); {
	case idx != "" && hash != "":
		return omadata.Invalidf("leaf_hash", "Name the leaf by index or by leaf_hash, not both.")
	case hash != "":
		p, err = h.Log.ProveInclusionByHash(r.Context(), hash, size)
	case idx != "":
		index, perr := int64Param(r, "index")
		if perr != nil {
			return perr
		}
		p, err = h.Log.ProveInclusion(r.Context(), index, size)
	default:
		return omadata.Invalidf("index", "Name the leaf by index or by leaf_hash.")
	}
	if err != nil {
		return err
	}
	respond.OK(w, r, p)
	return nil
}

// consistencyProof proves the tree of old a prefix of the tree of new
// (default: the latest checkpoint's).
func (h *Handler) consistencyProof(w http.ResponseWriter, r *http.Request) error {
	old, err := int64Param(r, "old")
	if err != nil {
		return err
	} else if r.URL.Query().Get("old") == "" {
		return omadata.Invalidf("old", "Give the size of the older tree.")
	}
	new, err := int64Param(r, "new")
	if err != nil {
		return err
	}
	p, err := h.Log.ProveConsistency(r.Context(), old, new)
	if err != nil {
		return err
	}
	respond.OK(w, r, p)
	return nil
}

// myUsage lists who used the signed-in resident's data, or with
// on_behalf_of that of someone they represent.
func (h *Handler) myUsage(w http.ResponseWriter, r *http.Request) error {
	c := omadata.CallerFromContext(r.Context())
	f := omadata.UsageFilter{ResidentID: c.ResidentID}
	var err error
	if f.Before, f.Limit, err = seqPage(r); err != nil {
		return err
	}
	if p := r.URL.Query().Get("on_behalf_of"); p != "" && p != c.ResidentID {
		if err := h.checkPrincipal(r.Context(), p); err != nil {
			return err
		}
		f.ResidentID = p
	}
	usage, next, err := h.Usage.FindUsage(r.Context(), f)
	if err != nil {
		return err
	}
	respond.List(w, r, usage, next)
	return nil
}

// serviceLog lists the log events a service is a party to.
func (h *Handler) serviceLog(w http.ResponseWriter, r *http.Request) error {
	f := omadata.LogEventFilter{ServiceID: r.PathValue("id"), RecordID: r.URL.Query().Get("record")}
	if f.RecordID != "" && !omadata.ValidID(omadata.PrefixDecision, f.RecordID) && !omadata.ValidID(omadata.PrefixGrant, f.RecordID) &&
		!omadata.ValidID(omadata.PrefixTransfer, f.RecordID) {
		return omadata.Invalidf("record", "Give the ID of a decision, a grant or a transfer.")
	}
	var err error
	if f.Before, f.Limit, err = seqPage(r); err != nil {
		return err
	}
	events, next, err := h.Usage.FindLogEvents(r.Context(), f)
	if err != nil {
		return err
	}
	respond.List(w, r, events, next)
	return nil
}

// int64Param reads an optional non-negative whole-number query parameter.
func int64Param(r *http.Request, name string) (int64, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, omadata.Invalidf(name, "Use a whole number, 0 or more.")
	}
	return n, nil
}

// seqPage reads limit and a cursor that holds a log sequence number.
func seqPage(r *http.Request) (before int64, limit int, err error) {
	q := r.URL.Query()
	limit = defaultLimit
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxLimit {
			return 0, 0, omadata.Invalidf("limit", "Use a whole number from 1 to %d.", maxLimit)
		}
		limit = n
	}
	if s := q.Get("cursor"); s != "" {
		v, ok := respond.DecodeCursor(s)
		n, err := strconv.ParseInt(v, 10, 64)
		if !ok || err != nil || n < 1 {
			return 0, 0, omadata.Invalidf("cursor", "Not a cursor from a previous page.")
		}
		before = n
	}
	return before, limit, nil
}
