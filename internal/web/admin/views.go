// SPDX-License-Identifier: Apache-2.0

package admin

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/web/webui"
)

type homeData struct {
	PendingServices int
	DeadDeliveries  int
	OpenRequests    int
	Overdue         int
	DueSoon         int
	Checkpoint      *omadata.Checkpoint
	// For those who oversee the operator: the last 30 days.
	Overview *omadata.Overview
	Charts   []*chart
}

// overviewDays is how many days the overview's charts show, today included.
const overviewDays = 30

// home is the sign-in page for strangers and the overview for staff.
func (a *Admin) home(w http.ResponseWriter, r *http.Request, q *req) error {
	if q.V == nil {
		a.render(w, r, q, http.StatusOK, "home", msg(q.Lang, "page.home"), nil, nil)
		return nil
	}
	ctx := r.Context()
	d := &homeData{}
	pending := omadata.ServicePending
	svcs, err := omadata.All(func(after string) ([]*omadata.Service, string, error) {
		return a.o.Services.FindServices(ctx, omadata.ServiceFilter{Status: &pending, After: after})
	})
	if err != nil {
		return err
	}
	d.PendingServices = len(svcs)
	dead := omadata.DeliveryDead
	dl, err := omadata.All(func(after string) ([]*omadata.Delivery, string, error) {
		return a.o.Webhooks.FindDeliveries(ctx, omadata.DeliveryFilter{Status: &dead, After: after})
	})
	if err != nil {
		return err
	}
	d.DeadDeliveries = len(dl)
	if q.V.Oversees() {
		// Counted by the store in one query, as the metrics are.
		n, err := a.o.Requests.RequestDeadlines(ctx)
		if err != nil {
			return err
		}
		d.OpenRequests, d.DueSoon, d.Overdue = n.Open, n.DueSoon, n.Overdue
	}
	if d.Checkpoint, err = a.o.Log.LatestCheckpoint(ctx); err != nil && omadata.ErrorCode(err) != omadata.ENOTFOUND {
		return err
	}
	if q.V.Oversees() {
		if d.Overview, err = a.o.Overview.Overview(ctx, a.now().In(webui.Zone).AddDate(0, 0, 1-overviewDays)); err != nil {
			return err
		}
		ov := d.Overview
		today := ov.Days[len(ov.Days)-1].Day
		var decisions, consents, due []chartDay
		for _, x := range ov.Days {
			decisions = append(decisions, chartDay{x.Day, x.Permits, x.Denies})
			consents = append(consents, chartDay{x.Day, x.ConsentsGiven, x.ConsentsWithdrawn})
		}
		for _, x := range ov.RequestsDue {
			due = append(due, chartDay{x.Day, x.Open, x.Closed})
		}
		d.Charts = []*chart{newChart(q.Lang, "decisions", decisions, today), newChart(q.Lang, "consents", consents, today), newChart(q.Lang, "requests", due, today)}
	}
	a.render(w, r, q, http.StatusOK, "home", msg(q.Lang, "page.home"), d, nil)
	return nil
}

type serviceRow struct {
	Service      *omadata.Service
	Organisation *omadata.Organisation
}

type servicesData struct {
	Rows          []serviceRow
	Organisations []*omadata.Organisation // where a new service may go
	Roles         []string
	Form          *form
}

// services lists every service by organisation with its status, and the
// buttons to admit or suspend it.
func (a *Admin) services(w http.ResponseWriter, r *http.Request, q *req) error {
	return a.servicesPage(w, r, q, http.StatusOK, newForm(nil))
}

// servicesPage renders the services with f, the new-service form.
func (a *Admin) servicesPage(w http.ResponseWriter, r *http.Request, q *req, status int, f *form) error {
	ctx := r.Context()
	orgs, err := omadata.All(func(after string) ([]*omadata.Organisation, string, error) {
		return a.o.Organisations.FindOrganisations(ctx, omadata.OrganisationFilter{After: after})
	})
	if err != nil {
		return err
	}
	byID := map[string]*omadata.Organisation{}
	for _, o := range orgs {
		byID[o.ID] = o
	}
	svcs, err := omadata.All(func(after string) ([]*omadata.Service, string, error) {
		return a.o.Services.FindServices(ctx, omadata.ServiceFilter{After: after})
	})
	if err != nil {
		return err
	}
	rows := make([]serviceRow, 0, len(svcs))
	for _, s := range svcs {
		rows = append(rows, serviceRow{s, byID[s.OrganisationID]})
	}
	slices.SortStableFunc(rows, func(x, y serviceRow) int {
		return strings.Compare(x.Service.Name.In(q.Lang), y.Service.Name.In(q.Lang))
	})
	slices.SortStableFunc(orgs, func(x, y *omadata.Organisation) int { return strings.Compare(x.Name.In(q.Lang), y.Name.In(q.Lang)) })
	d := &servicesData{Rows: rows, Organisations: orgs, Roles: []string{omadata.RoleSource, omadata.RoleSink}, Form: f}
	a.render(w, r, q, status, "services", msg(q.Lang, "page.services"), d, f.Errors)
	return nil
}

// setServiceStatus admits (approved) or suspends a service.
func (a *Admin) setServiceStatus(w http.ResponseWriter, r *http.Request, q *req) error {
	status := r.PostFormValue("status")
	if status != omadata.ServiceApproved && status != omadata.ServiceSuspended {
		a.renderError(w, r, q.Lang, http.StatusBadRequest, "error.bad-form")
		return nil
	}
	if _, err := a.o.Services.SetServiceStatus(r.Context(), r.PathValue("id"), status); err != nil {
		return err
	}
	http.Redirect(w, r, Prefix+"/"+q.Lang+"/services?done=service-"+status, http.StatusSeeOther)
	return nil
}

type processingRow struct {
	Processing *omadata.Processing
	Service    *omadata.Service
	Latest     *omadata.ProcessingVersion
}

func (a *Admin) processings(w http.ResponseWriter, r *http.Request, q *req) error {
	ctx := r.Context()
	list, err := omadata.All(func(after string) ([]*omadata.Processing, string, error) {
		return a.o.Processings.FindProcessings(ctx, omadata.ProcessingFilter{After: after})
	})
	if err != nil {
		return err
	}
	svcs := map[string]*omadata.Service{}
	var rows []processingRow
	for _, p := range list {
		if svcs[p.ServiceID] == nil {
			if svcs[p.ServiceID], err = a.sinkOf(ctx, p.ServiceID); err != nil {
				return err
			}
		}
		rows = append(rows, processingRow{p, svcs[p.ServiceID], p.Latest()})
	}
	slices.SortStableFunc(rows, func(x, y processingRow) int {
		return strings.Compare(x.Latest.Title.In(q.Lang), y.Latest.Title.In(q.Lang))
	})
	a.render(w, r, q, http.StatusOK, "processings", msg(q.Lang, "page.processings"), rows, nil)
	return nil
}

// sinkOf returns the sink of a processing the viewer sees. An organisation
// admin sees the processings over their data groups, whose sinks may be
// another organisation's: those they see as the public does, or by ID.
func (a *Admin) sinkOf(ctx context.Context, id string) (*omadata.Service, error) {
	s, err := a.o.Services.FindServiceByID(ctx, id)
	if omadata.ErrorCode(err) != omadata.ENOTFOUND {
		return s, err
	}
	if s, err = a.o.Services.FindServiceByID(omadata.NewContextWithCaller(ctx, omadata.Caller{}), id); err == nil {
		return s, nil
	} else if omadata.ErrorCode(err) != omadata.ENOTFOUND {
		return nil, err
	}
	return &omadata.Service{ID: id, Name: omadata.Text{"fi": id, "sv": id, "en": id}}, nil
}

// noticeForm is one language's notice of a draft, as the form shows it.
type noticeForm struct {
	Lang, Title, Body string
	Saved             bool
}

type processingData struct {
	Processing *omadata.Processing
	Service    *omadata.Service
	Latest     *omadata.ProcessingVersion
	Published  *omadata.ProcessingVersion
	Draft      *omadata.ProcessingVersion
	Notices    []noticeForm // of the draft, in fi, sv, en
	// Transparency is the draft's GDPR Art 13 and 14 form.
	Transparency *form
	Compatible   string // the new-version form's value after an error
}

func (a *Admin) processingData(r *http.Request, q *req) (*processingData, error) {
	ctx := r.Context()
	p, err := a.o.Processings.FindProcessingByID(ctx, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	s, err := a.sinkOf(ctx, p.ServiceID)
	if err != nil {
		return nil, err
	}
	d := &processingData{Processing: p, Service: s, Latest: p.Latest()}
	for _, v := range p.Versions {
		switch v.Status {
		case omadata.VersionPublished:
			d.Published = v
		case omadata.VersionDraft:
			d.Draft = v
		}
	}
	if d.Draft != nil {
		d.Transparency = transparencyForm(d.Draft)
		for _, l := range omadata.Languages {
			f := noticeForm{Lang: l}
			for _, n := range d.Draft.Notices {
				if n.Language == l {
					f.Title, f.Body, f.Saved = n.Title, n.Body, true
				}
			}
			d.Notices = append(d.Notices, f)
		}
	}
	return d, nil
}

func (a *Admin) processing(w http.ResponseWriter, r *http.Request, q *req) error {
	d, err := a.processingData(r, q)
	if err != nil {
		return err
	}
	a.render(w, r, q, http.StatusOK, "processing", d.Latest.Title.In(q.Lang), d, nil)
	return nil
}

// processingError re-renders the processing page with errors by their
// fields; nothing has changed.
func (a *Admin) processingError(w http.ResponseWriter, r *http.Request, q *req, status int, errs map[string]string, edit func(*processingData)) error {
	d, err := a.processingData(r, q)
	if err != nil {
		return err
	}
	if edit != nil {
		edit(d)
	}
	a.render(w, r, q, status, "processing", d.Latest.Title.In(q.Lang), d, errs)
	return nil
}

// createVersion starts a draft of the next version. Whether consents on
// the published version stay valid must be chosen: there is no default.
func (a *Admin) createVersion(w http.ResponseWriter, r *http.Request, q *req) error {
	c := r.PostFormValue("compatible")
	if c != "yes" && c != "no" {
		return a.processingError(w, r, q, http.StatusBadRequest, map[string]string{"compatible": msg(q.Lang, "err.choose-compatible")}, nil)
	}
	id := r.PathValue("id")
	if _, err := a.o.Processings.CreateVersion(r.Context(), id, c == "yes"); omadata.ErrorCode(err) == omadata.ECONFLICT {
		return a.processingError(w, r, q, http.StatusConflict, map[string]string{"compatible": msg(q.Lang, "err.draft-exists")}, nil)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, Prefix+"/"+q.Lang+"/processings/"+id+"?done=version-created#draft", http.StatusSeeOther)
	return nil
}

// draftVersion reads the version of a path and checks it is the draft.
func (a *Admin) draftVersion(r *http.Request) (int, error) {
	v, err := strconv.Atoi(r.PathValue("v"))
	if err != nil || v < 1 {
		return 0, omadata.NotFound("Version")
	}
	return v, nil
}

// putNotice saves one language's notice of a draft.
func (a *Admin) putNotice(w http.ResponseWriter, r *http.Request, q *req) error {
	nl := r.PathValue("nl")
	v, err := a.draftVersion(r)
	if err != nil || !omadata.ValidLanguage(nl) {
		return omadata.NotFound("Notice")
	}
	title, body := webui.FormText(r.PostFormValue("title")), webui.FormText(r.PostFormValue("body"))
	errs := map[string]string{}
	check := func(field, value string, max int) {
		switch {
		case value == "":
			errs[field+"-"+nl] = msg(q.Lang, "err.required")
		case len(value) > max || !utf8.ValidString(value):
			errs[field+"-"+nl] = msgf(q.Lang, "err.too-long", max)
		}
	}
	check("title", title, 200)
	check("body", body, 20000)
	keep := func(d *processingData) {
		for i := range d.Notices {
			if d.Notices[i].Lang == nl {
				d.Notices[i].Title, d.Notices[i].Body = r.PostFormValue("title"), r.PostFormValue("body")
			}
		}
	}
	if len(errs) > 0 {
		return a.processingError(w, r, q, http.StatusBadRequest, errs, keep)
	}
	id := r.PathValue("id")
	_, err = a.o.Processings.PutNotice(r.Context(), id, v, &omadata.Notice{Language: nl, Title: title, Body: body})
	switch f := omadata.ErrorField(err); {
	case err == nil:
	case omadata.ErrorCode(err) == omadata.EINVALID && (f == "title" || f == "body"):
		key := "err.invalid"
		if omadata.ErrorMessage(err) == omadata.IdentityCodeInText {
			key = "err.identity-code-in-text"
		}
		return a.processingError(w, r, q, http.StatusBadRequest, map[string]string{f + "-" + nl: msg(q.Lang, key)}, keep)
	case omadata.ErrorCode(err) == omadata.ECONFLICT:
		return a.processingError(w, r, q, http.StatusConflict, map[string]string{"publish": msg(q.Lang, "err.not-draft")}, nil)
	default:
		return err
	}
	http.Redirect(w, r, Prefix+"/"+q.Lang+"/processings/"+id+"?done=notice-saved#notice-"+nl, http.StatusSeeOther)
	return nil
}

// preview shows a draft's (or any version's) notice in one language as a
// resident will read it.
func (a *Admin) preview(w http.ResponseWriter, r *http.Request, q *req) error {
	nl := r.PathValue("nl")
	n, err := a.draftVersion(r)
	if err != nil || !omadata.ValidLanguage(nl) {
		return omadata.NotFound("Notice")
	}
	p, err := a.o.Processings.FindProcessingByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	var ver *omadata.ProcessingVersion
	for _, v := range p.Versions {
		if v.Version == n {
			ver = v
		}
	}
	if ver == nil {
		return omadata.NotFound("Version")
	}
	var notice *omadata.Notice
	for _, x := range ver.Notices {
		if x.Language == nl {
			notice = x
		}
	}
	data := map[string]any{"Processing": p, "Version": ver, "Notice": notice, "NoticeLang": nl}
	a.render(w, r, q, http.StatusOK, "preview", msgf(q.Lang, "preview.title", ver.Title.In(q.Lang), ver.Version, languageNames[nl]), data, nil)
	return nil
}

// publish publishes the draft; the version before it retires, and when
// the draft is not compatible, consents on it need renewal.
func (a *Admin) publish(w http.ResponseWriter, r *http.Request, q *req) error {
	v, err := a.draftVersion(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if _, err := a.o.Processings.PublishVersion(r.Context(), id, v); omadata.ErrorCode(err) == omadata.EINVALID || omadata.ErrorCode(err) == omadata.ECONFLICT {
		key := "err.cannot-publish"
		if f := omadata.ErrorField(err); f == "notices" || strings.HasPrefix(f, "notice") {
			key = "err.notices-missing"
		} else if f == "approval" {
			key = "err.awaiting-approval"
		}
		return a.processingError(w, r, q, http.StatusConflict, map[string]string{"publish": msg(q.Lang, key)}, nil)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, Prefix+"/"+q.Lang+"/processings/"+id+"?done=published", http.StatusSeeOther)
	return nil
}

// approve records the viewer's approval of a version on a basis other
// than consent; the store says whether they may (the controller of its
// data groups, the operator's data protection officer or an operator
// admin). It is the auditor's one change (the approvers level).
func (a *Admin) approve(w http.ResponseWriter, r *http.Request, q *req) error {
	v, err := a.draftVersion(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	_, err = a.o.Processings.ApproveVersion(r.Context(), id, v)
	switch omadata.ErrorCode(err) {
	case "":
	case omadata.EFORBIDDEN:
		return a.processingError(w, r, q, http.StatusForbidden, map[string]string{"approve": msg(q.Lang, "err.approve-forbidden")}, nil)
	case omadata.EINVALID, omadata.ECONFLICT:
		key := "err.cannot-approve"
		if f := omadata.ErrorField(err); f == "notices" || strings.HasPrefix(f, "notice") {
			key = "err.notices-missing"
		}
		return a.processingError(w, r, q, http.StatusConflict, map[string]string{"approve": msg(q.Lang, key)}, nil)
	default:
		return err
	}
	http.Redirect(w, r, Prefix+"/"+q.Lang+"/processings/"+id+"?done=approved#versions", http.StatusSeeOther)
	return nil
}

type deliveryRow struct {
	Delivery *omadata.Delivery
	Service  *omadata.Service
}

type deliveriesData struct {
	Status   string // shown: dead (the default), pending or delivered
	Statuses []string
	Rows     []deliveryRow
	Next     string // the cursor of the next page
}

// deliveries lists webhook deliveries of one status, dead letters first
// by default, a page at a time, with a button to deliver one again.
func (a *Admin) deliveries(w http.ResponseWriter, r *http.Request, q *req) error {
	ctx := r.Context()
	d := &deliveriesData{Status: r.URL.Query().Get("status"), Statuses: []string{omadata.DeliveryDead, omadata.DeliveryPending, omadata.DeliveryDelivered}}
	if d.Status == "" {
		d.Status = omadata.DeliveryDead
	} else if !slices.Contains(d.Statuses, d.Status) {
		return omadata.NotFound("Page")
	}
	list, next, err := a.o.Webhooks.FindDeliveries(ctx, omadata.DeliveryFilter{Status: &d.Status, After: r.URL.Query().Get("after"), Limit: 50})
	if err != nil {
		return err
	}
	d.Next = next
	svcs := map[string]*omadata.Service{}
	for _, x := range list {
		if svcs[x.ServiceID] == nil {
			if svcs[x.ServiceID], err = a.o.Services.FindServiceByID(ctx, x.ServiceID); err != nil {
				return err
			}
		}
		d.Rows = append(d.Rows, deliveryRow{x, svcs[x.ServiceID]})
	}
	a.render(w, r, q, http.StatusOK, "deliveries", msg(q.Lang, "page.deliveries"), d, nil)
	return nil
}

func (a *Admin) redeliver(w http.ResponseWriter, r *http.Request, q *req) error {
	if _, err := a.o.Webhooks.Redeliver(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, Prefix+"/"+q.Lang+"/deliveries?status=pending&done=redelivered", http.StatusSeeOther)
	return nil
}

type requestRow struct {
	Request *omadata.Request
	Overdue bool
	Open    bool
	Soon    bool // open, due within omadata.RequestDueSoon, not overdue
}

// allRequests lists every request, open ones first by due date.
func (a *Admin) allRequests(ctx context.Context) ([]requestRow, error) {
	list, err := omadata.All(func(after string) ([]*omadata.Request, string, error) {
		return a.o.Requests.FindRequests(ctx, omadata.RequestFilter{After: after})
	})
	if err != nil {
		return nil, err
	}
	now := a.now()
	var rows []requestRow
	for _, x := range list {
		open := omadata.RequestOpen(x.Status)
		overdue := open && x.DueAt.Before(now)
		rows = append(rows, requestRow{x, overdue, open, open && !overdue && x.DueAt.Before(now.Add(omadata.RequestDueSoon))})
	}
	slices.SortStableFunc(rows, func(x, y requestRow) int {
		if x.Open != y.Open {
			if x.Open {
				return -1
			}
			return 1
		}
		return x.Request.DueAt.Compare(y.Request.DueAt)
	})
	return rows, nil
}
