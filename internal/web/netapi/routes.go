// SPDX-License-Identifier: Apache-2.0

package netapi

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/network"
	"github.com/omadata/omadata/internal/web/respond"
)

// catalogue answers GET catalogue (docs/network.md §5.1): this operator's
// catalogue for members, signed, with a strong ETag; 304 when the
// caller's If-None-Match names it.
func (h *Handler) catalogue(w http.ResponseWriter, r *http.Request, c *Call) error {
	if len(c.Body) > 0 {
		return omadata.Invalidf("body", "GET catalogue takes no body.")
	}
	cat, etag, err := h.o.Network.NetworkCatalogue(r.Context())
	if err != nil {
		return err
	}
	quoted := etag // a strong entity tag, quoted (RFC 9110 §8.8.3)
	if !strings.HasPrefix(quoted, `"`) {
		quoted = `"` + etag + `"`
	}
	w.Header().Set("ETag", quoted)
	maxAge := h.o.CatalogueMaxAge
	if maxAge <= 0 || maxAge > network.MaxCatalogueAge {
		maxAge = network.MaxCatalogueAge
	}
	w.Header().Set("Cache-Control", "max-age="+strconv.Itoa(int(maxAge/time.Second)))
	if respond.NoneMatch(r.Header.Values("If-None-Match"), quoted) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	return h.answerFor(w, r, c, map[string]any{"catalogue": cat}, maxAge)
}

// consentEvent answers POST consent-events (§5.2).
func (h *Handler) consentEvent(w http.ResponseWriter, r *http.Request, c *Call) error {
	var ev omadata.NetworkConsentEvent
	if err := decodeBody(c.Body, &ev); err != nil {
		return err
	} else if err := h.o.Network.ReceiveConsentEvent(r.Context(), &ev); err != nil {
		return err
	}
	return h.answer(w, r, c, map[string]any{"event": ev.ID})
}

// decisions answers POST decisions (§5.3).
func (h *Handler) decisions(w http.ResponseWriter, r *http.Request, c *Call) error {
	var in struct {
		Questions []*omadata.NetworkQuestion `json:"questions"`
	}
	if err := decodeBody(c.Body, &in); err != nil {
		return err
	} else if len(in.Questions) < 1 || len(in.Questions) > omadata.MaxBatch {
		return omadata.Invalidf("questions", "Ask 1 to %d questions.", omadata.MaxBatch)
	}
	for i, q := range in.Questions {
		if q == nil {
			return omadata.Invalidf("questions["+itoa(i)+"]", "A question is an object.")
		}
	}
	ds, err := h.o.Network.NetworkDecide(withEvidence(r.Context(), c), in.Questions)
	if err != nil {
		return err
	}
	return h.answer(w, r, c, map[string]any{"decisions": ds})
}

// grants answers POST grants (§5.4): the grant, and on permit the
// reference to this operator's grant.issued leaf.
func (h *Handler) grants(w http.ResponseWriter, r *http.Request, c *Call) error {
	var in omadata.NetworkGrantInput
	if err := decodeBody(c.Body, &in); err != nil {
		return err
	}
	g, err := h.o.Network.NetworkGrant(withEvidence(r.Context(), c), &in)
	if err != nil {
		return err
	}
	out := map[string]any{"grant": g}
	if g.ID != "" {
		out["leaf"] = omadata.LeafPeer{Origin: h.o.LogOrigin, Record: g.ID}
	}
	return h.answer(w, r, c, out)
}

// logRecord answers GET log/records/{record} (§5.5).
func (h *Handler) logRecord(w http.ResponseWriter, r *http.Request, c *Call) error {
	if h.o.Records == nil {
		return omadata.NotFound("record")
	}
	e, cp, err := h.o.Records.NetworkLogRecord(r.Context(), r.PathValue("record"))
	if err != nil {
		return err
	}
	return h.answer(w, r, c, map[string]any{"entry": e, "checkpoint": cp})
}

// federationEvent answers POST federation-events (§2.6), which only the
// anchor calls (its AnchorVerifier checks that).
func (h *Handler) federationEvent(w http.ResponseWriter, r *http.Request, c *Call) error {
	var ev struct {
		Sub    string `json:"sub"`
		Status string `json:"status"`
	}
	if err := decodeBody(c.Body, &ev); err != nil {
		return err
	}
	switch {
	case ev.Sub == "":
		return omadata.Invalidf("sub", "Name the member.")
	case ev.Status != omadata.MemberActive && ev.Status != omadata.MemberSuspended && ev.Status != omadata.MemberRemoved:
		return omadata.Invalidf("status", "The status is active, suspended or removed.")
	}
	if err := h.o.MembershipChanged(r.Context(), ev.Sub, ev.Status); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// withEvidence puts the signed call in ctx for the store to keep.
func withEvidence(ctx context.Context, c *Call) context.Context {
	return omadata.NewContextWithSignedRequest(ctx, &omadata.SignedRequest{SignatureInput: c.SignatureInput, Signature: c.Signature, Body: c.Body})
}

func itoa(i int) string { return strconv.Itoa(i) }
