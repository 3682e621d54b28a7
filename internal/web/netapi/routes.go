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
	ctx, sr := withEvidence(r.Context(), c)
	ds, err := h.o.Network.NetworkDecide(ctx, in.Questions)
	if err != nil {
		return err
	} else if err := spent(r.Context(), c, sr); err != nil {
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
	ctx, sr := withEvidence(r.Context(), c)
	g, err := h.o.Network.NetworkGrant(ctx, &in)
	if err != nil {
		return err
	} else if err := spent(r.Context(), c, sr); err != nil {
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

// withEvidence puts the signed call in ctx for the store to keep, with
// its nonce for the store to record if the guard left it unrecorded.
func withEvidence(ctx context.Context, c *Call) (context.Context, *omadata.SignedRequest) {
	sr := &omadata.SignedRequest{Method: c.Method, TargetURI: c.TargetURI, ContentDigest: c.ContentDigest,
		SignatureInput: c.SignatureInput, Signature: c.Signature, Body: c.Body}
	if c.verified != nil && c.verified.Unspent {
		sr.Nonce, sr.NonceUntil = c.verified.Nonce, c.verified.ReplayUntil
	}
	return omadata.NewContextWithSignedRequest(ctx, sr), sr
}

// spent makes sure the nonce of an unspent call is recorded before it is
// answered: the store recorded it in its transaction (sr.NonceSpent), or
// it is recorded now.
func spent(ctx context.Context, c *Call, sr *omadata.SignedRequest) error {
	if c.verified == nil || !c.verified.Unspent {
		return nil
	} else if sr.NonceSpent {
		c.verified.Unspent = false
		return nil
	}
	return c.guard.Spend(ctx, c.verified)
}

func itoa(i int) string { return strconv.Itoa(i) }
