// SPDX-License-Identifier: Apache-2.0

package api

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strconv"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/web/respond"
)

// consentStatuses are the values of the status filter.
var consentStatuses = []string{omadata.ConsentRequested, omadata.ConsentGiven, omadata.ConsentRefused, omadata.ConsentSuspended,
	omadata.ConsentWithdrawn, omadata.ConsentRevoked, omadata.ConsentExpired}

// myConsents lists the signed-in resident's consents, or with on_behalf_of
// those of someone they represent.
func (h *Handler) myConsents(w http.ResponseWriter, r *http.Request) error {
	c := omadata.CallerFromContext(r.Context())
	f := omadata.ConsentFilter{ResidentID: &c.ResidentID}
	var err error
	if f.After, f.Limit, err = page(r, omadata.PrefixConsent); err != nil {
		return err
	} else if f.ProcessingID, err = idParam(r, "processing_id", omadata.PrefixProcessing); err != nil {
		return err
	} else if f.Status, err = enumParam(r, "status", consentStatuses...); err != nil {
		return err
	} else if p := r.URL.Query().Get("on_behalf_of"); p != "" && p != c.ResidentID {
		if err := h.checkPrincipal(r.Context(), p); err != nil {
			return err
		}
		f.ResidentID = &p
	}
	consents, next, err := h.Consents.FindConsents(r.Context(), f)
	if err != nil {
		return err
	}
	respond.List(w, r, consents, next)
	return nil
}

// giveConsent records the signed-in resident's consent, for themselves or
// on behalf of someone they represent; refuseConsent records a refusal.
// Either answers a pending request on the same processing.
func (h *Handler) giveConsent(w http.ResponseWriter, r *http.Request) error {
	return h.decideConsent(w, r, h.Consents.GiveConsent)
}

func (h *Handler) refuseConsent(w http.ResponseWriter, r *http.Request) error {
	return h.decideConsent(w, r, h.Consents.RefuseConsent)
}

func (h *Handler) decideConsent(w http.ResponseWriter, r *http.Request, record func(context.Context, *omadata.ConsentInput) (*omadata.Consent, error)) error {
	var b consentBody
	if err := decode(r, &b); err != nil {
		return err
	}
	in, err := b.input()
	if err != nil {
		return err
	}
	// The store records the collection method from the channel the
	// caller signed in through (api here) and refuses a body claiming
	// another.
	c := omadata.CallerFromContext(r.Context())
	if in.OnBehalfOf == c.ResidentID {
		in.OnBehalfOf = "" // acting for oneself is acting as oneself
	} else if in.OnBehalfOf != "" {
		if err := h.checkPrincipal(r.Context(), in.OnBehalfOf); err != nil {
			return err
		}
	}
	consent, err := record(r.Context(), in)
	if err != nil {
		return err
	}
	respond.Created(w, r, consent)
	return nil
}

// checkPrincipal answers ENOTFOUND, naming on_behalf_of, unless the caller
// may see the resident, which a resident may only when they represent
// them. A missing resident and one the caller does not represent get the
// same answer. The store checks again, with the purpose, when it acts.
func (h *Handler) checkPrincipal(ctx context.Context, id string) error {
	if !omadata.ValidID(prefixResident, id) {
		return omadata.Invalidf("on_behalf_of", "Not a resident ID.")
	}
	_, err := h.Residents.FindResidentByID(ctx, id)
	return notFoundField(err, "on_behalf_of", "Resident")
}

// getConsent returns a consent with its records: to residents their own
// and those of people they represent, to a sink those on its processings,
// to admins any.
func (h *Handler) getConsent(w http.ResponseWriter, r *http.Request) error {
	consent, err := h.Consents.FindConsentByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	respond.OK(w, r, consent)
	return nil
}

// withdrawConsent withdraws a consent in one call; the body, with a
// reason, is optional. suspendConsent and resumeConsent pause and restart
// it the same way.
func (h *Handler) withdrawConsent(w http.ResponseWriter, r *http.Request) error {
	return h.changeConsent(w, r, omadata.ConsentWithdrawn, false)
}

func (h *Handler) suspendConsent(w http.ResponseWriter, r *http.Request) error {
	return h.changeConsent(w, r, omadata.ConsentSuspended, false)
}

func (h *Handler) resumeConsent(w http.ResponseWriter, r *http.Request) error {
	return h.changeConsent(w, r, omadata.ConsentGiven, false)
}

// revokeConsent ends a consent by the operator or its sink; the reason is
// required, since the resident did not choose this.
func (h *Handler) revokeConsent(w http.ResponseWriter, r *http.Request) error {
	return h.changeConsent(w, r, omadata.ConsentRevoked, true)
}

func (h *Handler) changeConsent(w http.ResponseWriter, r *http.Request, status string, needReason bool) error {
	var in reasonInput
	if needReason {
		if err := decode(r, &in); err != nil {
			return err
		}
	} else if err := decodeOptional(r, &in); err != nil {
		return err
	}
	if err := in.check(needReason); err != nil {
		return err
	}
	consent, err := h.Consents.ChangeConsent(r.Context(), r.PathValue("id"), status, in.Reason)
	if err != nil {
		return err
	}
	respond.OK(w, r, consent)
	return nil
}

// consentReceipt returns the operator-signed receipt of one record of a
// consent as a compact JWS: the DPV record (the default) or a Kantara
// Consent Receipt v1.1.
func (h *Handler) consentReceipt(w http.ResponseWriter, r *http.Request) error {
	s := r.PathValue("seq")
	seq, err := strconv.Atoi(s)
	if err != nil || seq < 1 || strconv.Itoa(seq) != s {
		return omadata.Invalidf("seq", "Use a record number: 1, 2, 3 and so on.")
	}
	format, err := enumParam(r, "format", omadata.ReceiptDPV, omadata.ReceiptKantara)
	if err != nil {
		return err
	} else if format == nil {
		dpv := omadata.ReceiptDPV
		format = &dpv
	}
	jws, err := h.Consents.ExportReceipt(r.Context(), r.PathValue("id"), seq, *format)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/jose")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	io.WriteString(w, jws)
	return nil
}

// decodeOptional decodes a JSON body that may be left out: with no body,
// v stays as it is and no Content-Type is needed.
func decodeOptional(r *http.Request, v any) error {
	if r.ContentLength == 0 {
		return nil
	}
	br := bufio.NewReader(r.Body)
	if _, err := br.Peek(1); err == io.EOF {
		return nil
	}
	r.Body = struct {
		io.Reader
		io.Closer
	}{br, r.Body}
	return decode(r, v)
}
