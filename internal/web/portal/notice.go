// SPDX-License-Identifier: Apache-2.0

package portal

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/web/webui"
)

// noticeData is what the notice page shows: the processing, its notice in
// the page's language, and the subject's current consent on it.
type noticeData struct {
	Entry      *omadata.CatalogueEntry
	GDPR       []gdprItem // what Articles 13 and 14 require
	Notice     *omadata.Notice
	Current    *omadata.Consent
	Asks       bool   // the processing rests on consent
	Covered    bool   // the viewer may decide for the subject (a mandate covers the purpose)
	ValidUntil string // the form's value, kept after an error
	MaxDate    string // bounds of the date input, in its ISO form
	MinDate    string
	MaxText    string // the latest end, as the language writes dates
}

func (p *Portal) noticeData(r *http.Request, q *req) (*noticeData, error) {
	e, err := p.o.Catalogue.FindCatalogueEntry(r.Context(), r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	sortRecipients(e.Recipients)
	latest, err := p.latestConsents(r, q)
	if err != nil {
		return nil, err
	}
	now := p.now().In(webui.Zone)
	return &noticeData{
		Entry: e, GDPR: gdprItems(q.Lang, e), Notice: noticeIn(e, q.Lang), Current: latest[e.ProcessingID], Asks: asksConsent(e),
		Covered: q.V.MayOn(omadata.RepConsent, e.Purpose.Code),
		MinDate: now.AddDate(0, 0, 1).Format(time.DateOnly),
		MaxDate: now.AddDate(omadata.ConsentMaxYears, 0, -1).Format(time.DateOnly),
		MaxText: webui.FormatDate(q.Lang, now.AddDate(omadata.ConsentMaxYears, 0, -1)),
	}, nil
}

// notice shows a processing's notice with the buttons to give or refuse.
func (p *Portal) notice(w http.ResponseWriter, r *http.Request, q *req) error {
	d, err := p.noticeData(r, q)
	if err != nil {
		return err
	}
	p.render(w, r, q, http.StatusOK, "notice", d.Entry.Title.In(q.Lang), d)
	return nil
}

// formError re-renders the notice page with errors next to their fields
// and changes nothing.
func (p *Portal) formError(w http.ResponseWriter, r *http.Request, q *req, status int, errs map[string]string) error {
	d, err := p.noticeData(r, q)
	if err != nil {
		return err
	}
	d.ValidUntil = r.PostFormValue("valid_until")
	p.renderForm(w, r, q, status, "notice", d.Entry.Title.In(q.Lang), d, errs)
	return nil
}

// consentInput reads the notice form. The resident is never taken from
// the form: it is the viewer, or the person the viewer acts for, checked
// against the representations on every request.
func (p *Portal) consentInput(r *http.Request, q *req, withWindow bool) (*omadata.ConsentInput, map[string]string) {
	in := &omadata.ConsentInput{
		ProcessingID: r.PathValue("id"), Language: q.Lang, NoticeSHA256: r.PostFormValue("notice_sha256"),
		OnBehalfOf: q.V.OnBehalfOf(), CollectionMethod: omadata.CollectedPortal,
	}
	errs := map[string]string{}
	v, err := strconv.Atoi(r.PostFormValue("version"))
	if err != nil || v < 1 {
		errs["form"] = msg(q.Lang, "err.notice-changed")
	}
	in.Version = v
	if s := strings.TrimSpace(r.PostFormValue("valid_until")); withWindow && s != "" {
		d, ok := parseDate(s)
		now := p.now()
		switch {
		case !ok:
			errs["valid_until"] = msg(q.Lang, "err.date-format")
		case !d.After(now) || d.After(now.AddDate(omadata.ConsentMaxYears, 0, -1)):
			errs["valid_until"] = msgf(q.Lang, "err.date-range", omadata.ConsentMaxYears)
		default:
			end := d.AddDate(0, 0, 1) // through the whole chosen day
			in.ValidUntil = &end
		}
	}
	return in, errs
}

// storeErrors turns a refusal of the consent service into form errors in
// the page's language; false when it is not about the form.
func storeErrors(lang string, err error) (map[string]string, int, bool) {
	code, field := omadata.ErrorCode(err), omadata.ErrorField(err)
	switch {
	case code == omadata.EFORBIDDEN:
		return map[string]string{"form": msg(lang, "err.not-covered")}, http.StatusForbidden, true
	case field == "valid_until":
		return map[string]string{"valid_until": msgf(lang, "err.date-range", omadata.ConsentMaxYears)}, http.StatusBadRequest, true
	case field == "version" || field == "notice_sha256" || field == "language":
		return map[string]string{"form": msg(lang, "err.notice-changed")}, http.StatusConflict, true
	case code == omadata.ECONFLICT && field == "processing_id":
		return map[string]string{"form": msg(lang, "err.already")}, http.StatusConflict, true
	case code == omadata.EINVALID:
		return map[string]string{"form": msg(lang, "err.invalid")}, http.StatusBadRequest, true
	}
	return nil, 0, false
}

// give records a given consent (or answers a request) and shows it.
func (p *Portal) give(w http.ResponseWriter, r *http.Request, q *req) error {
	return p.decide(w, r, q, true)
}

// refuse records a refusal (or answers a request).
func (p *Portal) refuse(w http.ResponseWriter, r *http.Request, q *req) error {
	return p.decide(w, r, q, false)
}

func (p *Portal) decide(w http.ResponseWriter, r *http.Request, q *req, give bool) error {
	in, errs := p.consentInput(r, q, give)
	if len(errs) > 0 {
		return p.formError(w, r, q, http.StatusBadRequest, errs)
	}
	var c *omadata.Consent
	var err error
	if give {
		c, err = p.o.Consents.GiveConsent(r.Context(), in)
	} else {
		c, err = p.o.Consents.RefuseConsent(r.Context(), in)
	}
	if errs, status, ok := storeErrors(q.Lang, err); ok {
		return p.formError(w, r, q, status, errs)
	} else if err != nil {
		return err
	}
	done := "given"
	if !give {
		done = "refused"
	}
	http.Redirect(w, r, "/"+q.Lang+"/consents/"+c.ID+"?done="+done, http.StatusSeeOther)
	return nil
}
