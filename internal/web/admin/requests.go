// SPDX-License-Identifier: Apache-2.0

package admin

import (
	"net/http"
	"strconv"

	"github.com/omadata/omadata"
)

type requestData struct {
	Request    *omadata.Request
	Processing *omadata.ProcessingVersion  // of an objection or restriction
	Services   map[string]*omadata.Service // of the tasks
	Next       []string                    // where the operator may move it
	Overdue    bool
	Form       *form
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

func (a *Admin) requestPage(w http.ResponseWriter, r *http.Request, q *req, status int, f *form) error {
	ctx := r.Context()
	x, err := a.o.Requests.FindRequestByID(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	d := &requestData{Request: x, Services: map[string]*omadata.Service{}, Form: f}
	if x.ProcessingID != "" {
		p, err := a.o.Processings.FindProcessingByID(ctx, x.ProcessingID)
		if err != nil {
			return err
		}
		d.Processing = p.Latest()
	}
	for _, t := range x.Tasks {
		if d.Services[t.ServiceID] == nil {
			if d.Services[t.ServiceID], err = a.o.Services.FindServiceByID(ctx, t.ServiceID); err != nil {
				return err
			}
		}
	}
	if q.V.Operator() {
		d.Next = requestNext(x)
	}
	open := x.Status == omadata.RequestReceived || x.Status == omadata.RequestInProgress || x.Status == omadata.RequestPending
	d.Overdue = open && x.DueAt.Before(a.now())
	a.render(w, r, q, status, "request", msgf(q.Lang, "request.title", msg(q.Lang, "kind."+x.Kind)), d, f.Errors)
	return nil
}

func (a *Admin) request(w http.ResponseWriter, r *http.Request, q *req) error {
	return a.requestPage(w, r, q, http.StatusOK, newForm(nil))
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
	return a.requestPage(w, r, q, http.StatusBadRequest, f)
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
