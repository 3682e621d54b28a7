// SPDX-License-Identifier: Apache-2.0

package admin

import (
	"context"
	"net/http"
	"net/url"
	"slices"

	"github.com/omadata/omadata"
)

// recorderKinds are the kinds of representation a source may be
// designated to record, in the order the form offers them.
var recorderKinds = []string{omadata.RepGuardian, omadata.RepMandate}

// recorderView is a source's designation as its page shows it.
type recorderView struct {
	Kinds   []string // designated now
	Offered []string // the form's choices
	Form    *form    // the form as shown: the designation, or what was sent and its error
}

// recorderView reads a service's designation to record representations.
// A service that is not a source has none and shows nothing, unless a
// refused form for it is shown again with its error.
func (a *Admin) recorderView(ctx context.Context, sv *omadata.Service, kinds *form) (*recorderView, error) {
	if kinds == nil && !slices.Contains(sv.Roles, omadata.RoleSource) {
		return nil, nil
	}
	rec, err := a.o.Representations.FindRepresentationRecorder(ctx, sv.ID)
	if err != nil {
		return nil, err
	}
	v := &recorderView{Kinds: rec.Kinds, Offered: recorderKinds, Form: kinds}
	if v.Form == nil {
		v.Form = newForm(url.Values{"kinds": rec.Kinds})
	}
	return v, nil
}

// setRecorderKinds replaces the kinds of representation a source is
// designated to record (operator admins); none ends the designation. The
// store decides what may be designated; its refusal shows by the field.
func (a *Admin) setRecorderKinds(w http.ResponseWriter, r *http.Request, q *req) error {
	r.ParseForm()
	f := newForm(r.PostForm)
	id := r.PathValue("id")
	kinds := f.Values["kinds"]
	if kinds == nil {
		kinds = []string{}
	}
	_, err := a.o.Representations.SetRepresentationRecorder(r.Context(), id, kinds)
	if err == nil {
		http.Redirect(w, r, Prefix+"/"+q.Lang+"/services/"+id+"?done=representation-kinds-saved#recorders-h", http.StatusSeeOther)
		return nil
	} else if !f.storeError(q.Lang, err, []string{"kinds"}, map[string]string{"kinds": "err.recorder-kinds"}) {
		return err
	}
	return a.servicePage(w, r, q, http.StatusBadRequest, newForm(nil), nil, f)
}
