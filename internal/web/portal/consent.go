// SPDX-License-Identifier: Apache-2.0

package portal

import (
	"net/http"
	"strconv"
	"time"

	"github.com/omadata/omadata"
)

// consentData is one consent with its history and its processing.
type consentData struct {
	Consent *omadata.Consent
	Entry   *omadata.CatalogueEntry // nil when no longer published
	Notice  *omadata.Notice
	CanEnd  bool       // given or suspended: it can be withdrawn
	Until   *time.Time // the last day of its window, as chosen; nil once it no longer runs
}

// chosenEnd is the last day of a live consent's window, the date the
// resident chose (the store keeps the start of the day after); nil for a
// consent withdrawn, refused, revoked or expired, whose window no longer
// runs, and for one without an end.
func chosenEnd(c *omadata.Consent) *time.Time {
	if c.ValidUntil == nil || !live(c) {
		return nil
	}
	d := lastDay(*c.ValidUntil)
	return &d
}

// consent shows one consent, its history and its receipts, and the button
// to withdraw it. A consent the viewer may not see is not found, exactly
// as a missing one.
func (p *Portal) consent(w http.ResponseWriter, r *http.Request, q *req) error {
	c, err := p.o.Consents.FindConsentByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	} else if c.ResidentID != q.V.Subject().ID {
		// Visible (the viewer's own or a principal's), but not about the
		// person the pages are about now: switch to that person first.
		return omadata.NotFound("Consent")
	}
	d := &consentData{Consent: c, CanEnd: c.Status == omadata.ConsentGiven || c.Status == omadata.ConsentSuspended, Until: chosenEnd(c)}
	e, err := p.o.Catalogue.FindCatalogueEntry(r.Context(), c.ProcessingID)
	if err == nil {
		d.Entry, d.Notice = e, noticeIn(e, q.Lang)
	} else if omadata.ErrorCode(err) != omadata.ENOTFOUND {
		return err
	}
	title := msg(q.Lang, "consent.title")
	if d.Entry != nil {
		title = d.Entry.Title.In(q.Lang)
	}
	p.render(w, r, q, http.StatusOK, "consent", title, d)
	return nil
}

// withdraw withdraws a consent; every later decision on it denies.
func (p *Portal) withdraw(w http.ResponseWriter, r *http.Request, q *req) error {
	return p.changeConsent(w, r, q, omadata.ConsentWithdrawn, "withdrawn")
}

// suspend pauses a given consent: decisions deny until it is resumed.
func (p *Portal) suspend(w http.ResponseWriter, r *http.Request, q *req) error {
	return p.changeConsent(w, r, q, omadata.ConsentSuspended, "suspended")
}

// resume puts a suspended consent back in force, in its window.
func (p *Portal) resume(w http.ResponseWriter, r *http.Request, q *req) error {
	return p.changeConsent(w, r, q, omadata.ConsentGiven, "resumed")
}

// changeConsent moves a consent of the subject to status through the
// same store method as the API and shows it with the confirmation done.
func (p *Portal) changeConsent(w http.ResponseWriter, r *http.Request, q *req, status, done string) error {
	id := r.PathValue("id")
	c, err := p.o.Consents.FindConsentByID(r.Context(), id)
	if err != nil {
		return err
	} else if c.ResidentID != q.V.Subject().ID {
		return omadata.NotFound("Consent")
	}
	if _, err := p.o.Consents.ChangeConsent(r.Context(), id, status, ""); err != nil {
		return err
	}
	http.Redirect(w, r, "/"+q.Lang+"/consents/"+id+"?done="+done, http.StatusSeeOther)
	return nil
}

// receipt downloads the signed receipt of one record of a consent: a
// compact JWS in the DPV (ISO/IEC TS 27560) profile.
func (p *Portal) receipt(w http.ResponseWriter, r *http.Request, q *req) error {
	id := r.PathValue("id")
	seq, err := strconv.Atoi(r.PathValue("seq"))
	if err != nil || seq < 1 {
		return omadata.NotFound("Receipt")
	}
	c, err := p.o.Consents.FindConsentByID(r.Context(), id)
	if err != nil {
		return err
	} else if c.ResidentID != q.V.Subject().ID {
		return omadata.NotFound("Consent")
	}
	jws, err := p.o.Consents.ExportReceipt(r.Context(), id, seq, omadata.ReceiptDPV)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/jose")
	w.Header().Set("Content-Disposition", `attachment; filename="omadata-receipt-`+id+`-`+strconv.Itoa(seq)+`.jws"`)
	w.Write([]byte(jws))
	return nil
}
