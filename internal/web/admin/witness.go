// SPDX-License-Identifier: Apache-2.0

package admin

import (
	"net/http"

	"github.com/omadata/omadata"
)

// Witnessed logs (docs/witnessing.md): the logs the operator witnesses
// with the latest checkpoint it cosigned, the forks it caught with both
// checkpoints and a form to resolve each, and how far each witness of the
// operator's own log has cosigned it.

type witnessData struct {
	Logs      []*omadata.WitnessedLog
	Forks     []*omadata.WitnessFork
	Witnesses []witnessRow
	// Form is a resolution sent back with its errors, for the fork FormFork.
	Form     *form
	FormFork string
}

// FormFor is the form of fork id's resolution: the one sent back, or an
// empty one.
func (d *witnessData) FormFor(id string) *form {
	if id == d.FormFork {
		return d.Form
	}
	return newForm(nil)
}

// witnessRow is one witness of the operator's log and the collector's
// progress with it.
type witnessRow struct {
	Ref      omadata.WitnessRef
	Progress *omadata.WitnessProgress // nil: not asked yet
}

func (a *Admin) witnessPage(w http.ResponseWriter, r *http.Request, q *req) error {
	return a.renderWitness(w, r, q, http.StatusOK, newForm(nil), "")
}

func (a *Admin) renderWitness(w http.ResponseWriter, r *http.Request, q *req, status int, f *form, forkID string) error {
	ctx := r.Context()
	d := &witnessData{Form: f, FormFork: forkID}
	var err error
	if d.Logs, err = a.o.Witness.FindWitnessedLogs(ctx); err != nil {
		return err
	}
	if d.Forks, err = a.o.Witness.FindWitnessForks(ctx); err != nil {
		return err
	}
	progress, err := a.o.Witness.WitnessProgress(ctx)
	if err != nil {
		return err
	}
	byName := map[string]*omadata.WitnessProgress{}
	for _, p := range progress {
		byName[p.Witness] = p
	}
	if a.o.Witnessed != nil {
		refs, err := a.o.Witnessed.Witnesses(ctx)
		if err != nil {
			return err
		}
		for _, ref := range refs {
			d.Witnesses = append(d.Witnesses, witnessRow{ref, byName[ref.Name]})
			delete(byName, ref.Name)
		}
	}
	// Witnesses asked before but no longer configured still show.
	for _, p := range progress {
		if byName[p.Witness] != nil {
			d.Witnesses = append(d.Witnesses, witnessRow{omadata.WitnessRef{Name: p.Witness}, p})
		}
	}
	a.render(w, r, q, status, "witness", msg(q.Lang, "page.witness"), d, nil)
	return nil
}

// resolveFork unfreezes a fork's origin keeping the checkpoint the admin
// chose, with the reason the audit trail keeps (docs/witnessing.md §4).
func (a *Admin) resolveFork(w http.ResponseWriter, r *http.Request, q *req) error {
	r.ParseForm()
	f := newForm(r.PostForm)
	id := r.PathValue("id")
	keep := f.Get("keep")
	if keep != "old" && keep != "new" {
		f.Errors["keep"] = msg(q.Lang, "err.choose")
	}
	reason := f.Text(q.Lang, "reason", 500, true)
	if f.Valid() {
		err := a.o.Witness.ResolveWitnessFork(r.Context(), id, keep, reason)
		if err == nil {
			http.Redirect(w, r, Prefix+"/"+q.Lang+"/witness?done=fork-resolved", http.StatusSeeOther)
			return nil
		} else if !f.storeError(q.Lang, err, []string{"keep", "reason"}, nil) {
			return err
		}
	}
	return a.renderWitness(w, r, q, http.StatusBadRequest, f, id)
}
