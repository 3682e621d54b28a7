// SPDX-License-Identifier: Apache-2.0

package admin

import (
	"context"
	"net/http"
	"slices"
	"strconv"

	"github.com/omadata/omadata"
)

type requestData struct {
	Request    *omadata.Request
	Processing *omadata.ProcessingVersion  // of an objection or restriction
	Services   map[string]*omadata.Service // of the tasks
	Next       []string                    // where the operator may move it
	Overdue    bool
	CanExtend  bool // open, not extended, within its first month, and the caller may
	Extend     *form
	Form       *form
}

// requestsData is the queue: the requests the filter keeps, in order, and
// the names of the services of their tasks.
type requestsData struct {
	Rows     []requestRow
	Due      string   // the filter: "" (all), open, soon, overdue or answered
	Dues     []string // its choices
	Sort     string   // due (default) or received
	Services map[string]*omadata.Service
}

// requestDues are the queue's filters by deadline.
var requestDues = []string{"open", "soon", "overdue", "answered"}

// requests lists data-subject requests with their deadlines, extensions
// and the answers of the services asked, filtered by deadline (?due=) and
// sorted by due date or by receipt (?sort=).
func (a *Admin) requests(w http.ResponseWriter, r *http.Request, q *req) error {
	ctx := r.Context()
	d := &requestsData{Due: r.URL.Query().Get("due"), Dues: requestDues, Sort: r.URL.Query().Get("sort")}
	if d.Due != "" && !slices.Contains(requestDues, d.Due) || d.Sort != "" && d.Sort != "due" && d.Sort != "received" {
		return omadata.NotFound("Page")
	}
	rows, err := a.allRequests(ctx)
	if err != nil {
		return err
	}
	d.Rows = slices.DeleteFunc(rows, func(x requestRow) bool {
		switch d.Due {
		case "open":
			return !x.Open
		case "soon":
			return !x.Soon
		case "overdue":
			return !x.Overdue
		case "answered":
			return x.Open
		}
		return false
	})
	if d.Sort == "received" {
		slices.SortStableFunc(d.Rows, func(x, y requestRow) int { return y.Request.CreatedAt.Compare(x.Request.CreatedAt) })
	}
	if d.Services, err = a.taskServices(ctx, d.Rows); err != nil {
		return err
	}
	a.render(w, r, q, http.StatusOK, "requests", msg(q.Lang, "page.requests"), d, nil)
	return nil
}

// taskServices finds the services of the requests' tasks.
func (a *Admin) taskServices(ctx context.Context, rows []requestRow) (map[string]*omadata.Service, error) {
	out := map[string]*omadata.Service{}
	for _, x := range rows {
		for _, t := range x.Request.Tasks {
			if out[t.ServiceID] == nil {
				s, err := a.o.Services.FindServiceByID(ctx, t.ServiceID)
				if err != nil {
					return nil, err
				}
				out[t.ServiceID] = s
			}
		}
	}
	return out, nil
}

// timelinessRow is an answered request and whether it was answered by its
// deadline.
type timelinessRow struct {
	Request *omadata.Request
	InTime  bool
}

type timelinessData struct {
	Rows           []timelinessRow
	InTime, Late   int
	OverdueOpen    int
	OverdueOpenIDs []string
}

// timeliness is the auditor's report: every answered request with its
// deadline (and extension) and when it was answered, newest answer first,
// and the open requests already overdue.
func (a *Admin) timeliness(w http.ResponseWriter, r *http.Request, q *req) error {
	rows, err := a.allRequests(r.Context())
	if err != nil {
		return err
	}
	d := &timelinessData{}
	for _, x := range rows {
		switch {
		case x.Overdue:
			d.OverdueOpen++
			d.OverdueOpenIDs = append(d.OverdueOpenIDs, x.Request.ID)
		case !x.Open && x.Request.AnsweredAt != nil:
			in := !x.Request.AnsweredAt.After(x.Request.DueAt)
			d.Rows = append(d.Rows, timelinessRow{x.Request, in})
			if in {
				d.InTime++
			} else {
				d.Late++
			}
		}
	}
	slices.SortStableFunc(d.Rows, func(x, y timelinessRow) int { return y.Request.AnsweredAt.Compare(*x.Request.AnsweredAt) })
	a.render(w, r, q, http.StatusOK, "timeliness", msg(q.Lang, "page.timeliness"), d, nil)
	return nil
}

// requestNext lists, in the order they are offered, the statuses an
// operator admin may move a request to by hand: those the store's rule
// (omadata.RequestMoveByHand) allows.
func requestNext(x *omadata.Request) []string {
	var out []string
	for _, s := range []string{omadata.RequestInProgress, omadata.RequestUpheld, omadata.RequestCompleted, omadata.RequestRejected, omadata.RequestLifted} {
		if omadata.RequestMoveByHand(x.Kind, x.Status, s) == nil {
			out = append(out, s)
		}
	}
	return out
}

func (a *Admin) requestPage(w http.ResponseWriter, r *http.Request, q *req, status int, f, ext *form) error {
	ctx := r.Context()
	x, err := a.o.Requests.FindRequestByID(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	services, err := a.taskServices(ctx, []requestRow{{Request: x}})
	if err != nil {
		return err
	}
	d := &requestData{Request: x, Services: services, Form: f, Extend: ext}
	if x.ProcessingID != "" {
		p, err := a.o.Processings.FindProcessingByID(ctx, x.ProcessingID)
		if err != nil {
			return err
		}
		d.Processing = p.Latest()
	}
	open := omadata.RequestOpen(x.Status)
	if q.V.Operator() {
		d.Next = requestNext(x)
		d.CanExtend = open && x.ExtensionMonths == 0 && !a.now().After(omadata.RequestDue(x.CreatedAt, omadata.RequestDueMonths))
	}
	d.Overdue = open && x.DueAt.Before(a.now())
	a.render(w, r, q, status, "request", msgf(q.Lang, "request.title", msg(q.Lang, "kind."+x.Kind)), d, f.Errors)
	return nil
}

func (a *Admin) request(w http.ResponseWriter, r *http.Request, q *req) error {
	return a.requestPage(w, r, q, http.StatusOK, newForm(nil), newForm(nil))
}

// extendRequest extends a request's deadline once, by one or two months,
// with the reason the resident is told.
func (a *Admin) extendRequest(w http.ResponseWriter, r *http.Request, q *req) error {
	r.ParseForm()
	f := newForm(r.PostForm)
	in := &omadata.RequestExtension{Reason: f.Text(q.Lang, "reason", 2000, true)}
	switch f.Get("months") {
	case "1", "2":
		in.Months, _ = strconv.Atoi(f.Get("months"))
	default:
		f.Errors["months"] = msg(q.Lang, "err.choose")
	}
	if f.Valid() {
		_, err := a.o.Requests.ExtendRequest(r.Context(), r.PathValue("id"), in)
		if err == nil {
			http.Redirect(w, r, Prefix+"/"+q.Lang+"/requests/"+r.PathValue("id")+"?done=request-extended", http.StatusSeeOther)
			return nil
		} else if !f.storeError(q.Lang, err, []string{"months", "reason"}, map[string]string{"months": "err.cannot-extend"}) {
			return err
		}
	}
	return a.requestPage(w, r, q, http.StatusBadRequest, newForm(nil), f)
}

// resolveRequest moves a request: upholds or rejects an objection, lifts
// it, completes or rejects a rectification, with a note for the resident.
func (a *Admin) resolveRequest(w http.ResponseWriter, r *http.Request, q *req) error {
	r.ParseForm()
	f := newForm(r.PostForm)
	in := &omadata.RequestResolution{Status: f.Get("status"), Note: f.Text(q.Lang, "note", 4000, false)}
	if in.Status == "" {
		f.Errors["status"] = msg(q.Lang, "err.choose")
	}
	if f.Valid() {
		_, err := a.o.Requests.ResolveRequest(r.Context(), r.PathValue("id"), in)
		if err == nil {
			http.Redirect(w, r, Prefix+"/"+q.Lang+"/requests/"+r.PathValue("id")+"?done=request-"+in.Status, http.StatusSeeOther)
			return nil
		} else if !f.storeError(q.Lang, err, []string{"status", "note"}, map[string]string{"status": "err.cannot-move"}) {
			return err
		}
	}
	return a.requestPage(w, r, q, http.StatusBadRequest, f, newForm(nil))
}

// Log checkpoints

type logData struct {
	Latest      *omadata.Checkpoint
	Checkpoints []*omadata.Checkpoint
	Next        string // the cursor of the next (older) page
}

// logPage shows the latest signed checkpoint and the ones before it, a
// page at a time.
func (a *Admin) logPage(w http.ResponseWriter, r *http.Request, q *req) error {
	ctx := r.Context()
	d := &logData{}
	var err error
	if d.Latest, err = a.o.Log.LatestCheckpoint(ctx); err != nil && omadata.ErrorCode(err) != omadata.ENOTFOUND {
		return err
	}
	after := r.URL.Query().Get("after")
	if _, err := strconv.ParseUint(after, 10, 63); after != "" && err != nil {
		return omadata.NotFound("Page")
	}
	if d.Checkpoints, d.Next, err = a.o.Log.FindCheckpoints(ctx, omadata.CheckpointFilter{After: after, Limit: 50}); err != nil {
		return err
	}
	a.render(w, r, q, http.StatusOK, "log", msg(q.Lang, "page.log"), d, nil)
	return nil
}
