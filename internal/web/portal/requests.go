// SPDX-License-Identifier: Apache-2.0

package portal

import (
	"cmp"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/web/respond"
	"github.com/omadata/omadata/internal/web/webui"
)

// maxDetails is the longest free text a request takes, as the store.
const maxDetails = 2000

// requestRow is one request of the subject with what the page offers on it.
type requestRow struct {
	Req       *omadata.Request
	Title     string // the processing of an objection or restriction
	CanExport bool   // an access request that was not rejected
	CanLift   bool   // an objection or restriction in force
	Tasks     []taskRow
}

// taskRow is where one service stands with its part of a request.
type taskRow struct {
	Service string // its name in the page's language
	Status  string // open, completed or rejected
}

// requestForm is what a resident typed, kept after an error.
type requestForm struct {
	Kind, Processing, Details, Source, RectDetails string
}

type requestsData struct {
	Requests    []*requestRow
	Processings []*omadata.CatalogueEntry // on a basis other than consent
	Sources     []omadata.CatalogueService
	Form        requestForm
}

// requestsData reads the subject's requests, newest first, and what the
// forms offer.
func (p *Portal) requestsData(r *http.Request, q *req) (*requestsData, error) {
	entries, err := p.fullCatalogue(r.Context(), q.Lang)
	if err != nil {
		return nil, err
	}
	d := &requestsData{}
	titles, services := map[string]string{}, map[string]string{}
	for _, e := range entries {
		titles[e.ProcessingID] = e.Title.In(q.Lang)
		services[e.Sink.ID] = e.Sink.Name.In(q.Lang)
		if !asksConsent(e) {
			d.Processings = append(d.Processings, e)
		}
		for _, g := range e.DataGroups {
			services[g.Source.ID] = g.Source.Name.In(q.Lang)
			if !slices.ContainsFunc(d.Sources, func(s omadata.CatalogueService) bool { return s.ID == g.Source.ID }) {
				d.Sources = append(d.Sources, g.Source)
			}
		}
	}
	slices.SortFunc(d.Sources, func(a, b omadata.CatalogueService) int { return strings.Compare(a.Name.In(q.Lang), b.Name.In(q.Lang)) })
	id := q.V.Subject().ID
	var unnamed []*taskRow // tasks of services the catalogue does not name
	for after := ""; ; {
		list, next, err := p.o.Requests.FindRequests(r.Context(), omadata.RequestFilter{ResidentID: &id, After: after, Limit: 100})
		if err != nil {
			return nil, err
		}
		for _, x := range list {
			row := &requestRow{Req: x, Title: titles[x.ProcessingID],
				CanExport: x.Kind == omadata.RequestAccess && x.Status != omadata.RequestRejected,
				CanLift:   omadata.RequestBlocks(x.Kind) && (x.Status == omadata.RequestPending || x.Status == omadata.RequestUpheld)}
			row.Tasks = make([]taskRow, len(x.Tasks))
			for i, t := range x.Tasks {
				row.Tasks[i] = taskRow{services[t.ServiceID], t.Status}
				if row.Tasks[i].Service == "" {
					row.Tasks[i].Service = t.ServiceID
					unnamed = append(unnamed, &row.Tasks[i])
				}
			}
			d.Requests = append(d.Requests, row)
		}
		if after = next; next == "" {
			break
		}
	}
	if len(unnamed) > 0 {
		// A source that holds data about the resident but serves no
		// published processing: named by the sources holding their data.
		held := map[string]string{}
		if p.o.OwnData != nil {
			groups, err := p.o.OwnData.FindOwnDataGroups(r.Context(), id)
			if err != nil && omadata.ErrorCode(err) != omadata.ENOTFOUND {
				return nil, err
			}
			for _, g := range groups {
				held[g.Service.ID] = g.Service.Name.In(q.Lang)
			}
		}
		for _, t := range unnamed {
			t.Service = cmp.Or(held[t.Service], msg(q.Lang, "req.service-unlisted"))
		}
	}
	slices.Reverse(d.Requests) // the store lists oldest first
	return d, nil
}

// requests lists the subject's data-subject requests with their status,
// due date and history, and the forms to make new ones.
func (p *Portal) requests(w http.ResponseWriter, r *http.Request, q *req) error {
	d, err := p.requestsData(r, q)
	if err != nil {
		return err
	}
	p.render(w, r, q, http.StatusOK, "requests", msg(q.Lang, "page.requests"), d)
	return nil
}

// requestError re-renders the requests page with errors next to their
// fields; nothing has changed.
func (p *Portal) requestError(w http.ResponseWriter, r *http.Request, q *req, status int, f requestForm, errs map[string]string) error {
	d, err := p.requestsData(r, q)
	if err != nil {
		return err
	}
	d.Form = f
	p.renderForm(w, r, q, status, "requests", msg(q.Lang, "page.requests"), d, errs)
	return nil
}

// createRequest makes an access, objection, restriction or rectification
// request of the subject. Erasure has its own page, with a confirmation.
func (p *Portal) createRequest(w http.ResponseWriter, r *http.Request, q *req) error {
	f := requestForm{Kind: r.PostFormValue("kind"), Processing: r.PostFormValue("processing_id"),
		Details: webui.FormText(r.PostFormValue("details")), Source: r.PostFormValue("source_id"),
		RectDetails: webui.FormText(r.PostFormValue("rect_details"))}
	in := &omadata.RequestInput{OnBehalfOf: q.V.OnBehalfOf()}
	errs := map[string]string{}
	switch form := r.PostFormValue("form"); form {
	case omadata.RequestAccess, omadata.RequestRectification:
		f.Kind = form
	case "block": // an objection or a restriction, as chosen
		if f.Kind != omadata.RequestObjection && f.Kind != omadata.RequestRestriction {
			errs["restrict-kind"] = msg(q.Lang, "err.choose-kind")
		}
		if f.Processing == "" {
			errs["restrict-processing"] = msg(q.Lang, "err.choose-processing")
		}
		// The store's text rule is asked here too, so that every field's
		// error shows in one round.
		switch {
		case utf8.RuneCountInString(f.Details) > maxDetails:
			errs["restrict-details"] = msgf(q.Lang, "err.details-long", maxDetails)
		case omadata.ContainsIdentityCode(f.Details):
			errs["restrict-details"] = msg(q.Lang, "err.identity-code-in-text")
		}
		in.ProcessingID, in.Details = f.Processing, f.Details
	default:
		return omadata.Invalidf("form", "Unknown form.")
	}
	if f.Kind == omadata.RequestRectification {
		switch {
		case f.RectDetails == "":
			errs["rect-details"] = msg(q.Lang, "err.details-required")
		case utf8.RuneCountInString(f.RectDetails) > maxDetails:
			errs["rect-details"] = msgf(q.Lang, "err.details-long", maxDetails)
		case omadata.ContainsIdentityCode(f.RectDetails):
			errs["rect-details"] = msg(q.Lang, "err.identity-code-in-text")
		}
		in.Details = f.RectDetails
		if f.Source != "" {
			in.SourceIDs = []string{f.Source}
		}
	}
	in.Kind = f.Kind
	if len(errs) > 0 {
		return p.requestError(w, r, q, http.StatusBadRequest, f, errs)
	}
	_, err := p.o.Requests.CreateRequest(r.Context(), in)
	if errs, status, ok := requestStoreErrors(q.Lang, f.Kind, err); ok {
		return p.requestError(w, r, q, status, f, errs)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/"+q.Lang+"/requests?done=request-"+f.Kind, http.StatusSeeOther)
	return nil
}

// requestStoreErrors turns a refusal of the request service into errors
// next to the form's fields; false when it is not about the form.
func requestStoreErrors(lang, kind string, err error) (map[string]string, int, bool) {
	if err == nil {
		return nil, 0, false
	}
	code, field := omadata.ErrorCode(err), omadata.ErrorField(err)
	switch {
	case field == "processing_id" && code == omadata.EFORBIDDEN:
		return map[string]string{"restrict-processing": msg(lang, "err.not-covered")}, http.StatusForbidden, true
	case code == omadata.EFORBIDDEN:
		return map[string]string{"form": msg(lang, "err.not-covered")}, http.StatusForbidden, true
	case field == "processing_id" && code == omadata.ECONFLICT:
		return map[string]string{"restrict-processing": msg(lang, "err.already-open")}, http.StatusConflict, true
	case field == "processing_id" && code == omadata.ENOTFOUND:
		return map[string]string{"restrict-processing": msg(lang, "err.choose-processing")}, http.StatusBadRequest, true
	case field == "processing_id":
		return map[string]string{"restrict-processing": msg(lang, "err.objection-basis")}, http.StatusBadRequest, true
	case field == "source_ids":
		return map[string]string{"rect-source": msg(lang, "err.choose-source")}, http.StatusBadRequest, true
	case field == "details" && omadata.ErrorMessage(err) == omadata.IdentityCodeInText:
		box := "restrict-details"
		if kind == omadata.RequestRectification {
			box = "rect-details"
		}
		return map[string]string{box: msg(lang, "err.identity-code-in-text")}, http.StatusBadRequest, true
	case field == "details" && kind == omadata.RequestRectification:
		return map[string]string{"rect-details": msg(lang, "err.details-required")}, http.StatusBadRequest, true
	case field == "details":
		return map[string]string{"restrict-details": msgf(lang, "err.details-long", maxDetails)}, http.StatusBadRequest, true
	case code == omadata.EINVALID:
		return map[string]string{"form": msg(lang, "err.invalid")}, http.StatusBadRequest, true
	}
	return nil, 0, false
}

// erasure asks the resident to confirm an erasure request.
func (p *Portal) erasure(w http.ResponseWriter, r *http.Request, q *req) error {
	p.render(w, r, q, http.StatusOK, "erasure", msg(q.Lang, "erasure.title"), nil)
	return nil
}

// erase makes the erasure request once confirmed. Erasing oneself ends
// the session (the store deletes it); erasing a ward ends the
// representation. Either way the front page says it is done.
func (p *Portal) erase(w http.ResponseWriter, r *http.Request, q *req) error {
	if r.PostFormValue("confirm") != "yes" {
		p.renderForm(w, r, q, http.StatusBadRequest, "erasure", msg(q.Lang, "erasure.title"), nil,
			map[string]string{"confirm": msg(q.Lang, "err.confirm-erasure")})
		return nil
	}
	_, err := p.o.Requests.CreateRequest(r.Context(), &omadata.RequestInput{Kind: omadata.RequestErasure, OnBehalfOf: q.V.OnBehalfOf()})
	if omadata.ErrorCode(err) == omadata.EFORBIDDEN {
		// A mandate that does not cover erasure: the page says so, signed in.
		p.renderForm(w, r, q, http.StatusForbidden, "erasure", msg(q.Lang, "erasure.title"), nil,
			map[string]string{"form": msg(q.Lang, "err.not-covered-erasure")})
		return nil
	} else if err != nil {
		return err
	}
	if q.V.Acting == nil {
		p.ck.Set(w, sessionCookie, "", -1)
	}
	p.ck.Set(w, actingCookie, "", -1)
	http.Redirect(w, r, "/"+q.Lang+"/?done=erased", http.StatusSeeOther)
	return nil
}

// subjectRequest reads a request of the person the pages are about; any
// other is not found.
func (p *Portal) subjectRequest(r *http.Request, q *req) (*omadata.Request, error) {
	x, err := p.o.Requests.FindRequestByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return nil, err
	} else if x.ResidentID != q.V.Subject().ID {
		return nil, omadata.NotFound("Request")
	}
	return x, nil
}

// export downloads the answer to an access request: one JSON document with
// the profile, consents, representations, requests, usage and log entries
// with their proofs; with Archives, the signed archive of those and every
// source's data. The first download completes the request, so it is a
// form (POST), not a link.
func (p *Portal) export(w http.ResponseWriter, r *http.Request, q *req) error {
	x, err := p.subjectRequest(r, q)
	if err != nil {
		return err
	}
	if p.o.Archives != nil {
		b, err := p.o.Archives.RequestArchive(r.Context(), x.ID)
		if err != nil {
			return err
		}
		respond.Download(w, "omadata-export-"+x.ID+".zip", omadata.ArchiveMediaType, b)
		return nil
	}
	e, err := p.o.Requests.ExportResident(r.Context(), x.ID)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", `attachment; filename="omadata-export-`+x.ID+`.json"`)
	w.Write(append(b, '\n'))
	return nil
}

// lift lifts the subject's objection or restriction: the processing's
// decisions permit again.
func (p *Portal) lift(w http.ResponseWriter, r *http.Request, q *req) error {
	x, err := p.subjectRequest(r, q)
	if err != nil {
		return err
	}
	if _, err := p.o.Requests.ResolveRequest(r.Context(), x.ID, &omadata.RequestResolution{Status: omadata.RequestLifted}); err != nil {
		return err
	}
	http.Redirect(w, r, "/"+q.Lang+"/requests?done=lifted", http.StatusSeeOther)
	return nil
}
