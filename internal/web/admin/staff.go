// SPDX-License-Identifier: Apache-2.0

package admin

import (
	"net/http"
	"slices"
	"strings"

	"github.com/omadata/omadata"
)

// The staff: who may sign in to the console, in which role. Operator admins
// add, change and remove members; auditors see the list; organisation
// admins do not see the page.

type staffData struct {
	Staff         []*omadata.Staff
	Organisations []*omadata.Organisation
	OrgNames      map[string]omadata.Text
	Roles         []string
	Form          *form
	Problem       string // why a removal was refused, in the page's language
}

func (a *Admin) staffPage(w http.ResponseWriter, r *http.Request, q *req, status int, f *form, problem string) error {
	ctx := r.Context()
	list, err := a.o.Staff.FindStaff(ctx)
	if err != nil {
		return err
	}
	orgs, err := omadata.All(func(after string) ([]*omadata.Organisation, string, error) {
		return a.o.Organisations.FindOrganisations(ctx, omadata.OrganisationFilter{After: after})
	})
	if err != nil {
		return err
	}
	slices.SortStableFunc(orgs, func(x, y *omadata.Organisation) int { return strings.Compare(x.Name.In(q.Lang), y.Name.In(q.Lang)) })
	names := make(map[string]omadata.Text, len(orgs))
	for _, o := range orgs {
		names[o.ID] = o.Name
	}
	d := &staffData{Staff: list, Organisations: orgs, OrgNames: names, Roles: omadata.StaffRoles, Form: f, Problem: problem}
	a.render(w, r, q, status, "staff", msg(q.Lang, "page.staff"), d, f.Errors)
	return nil
}

func (a *Admin) staff(w http.ResponseWriter, r *http.Request, q *req) error {
	return a.staffPage(w, r, q, http.StatusOK, newForm(nil), "")
}

var staffFields = []string{"identity_code", "name", "role", "organisation_id"}

// addStaff adds a member, or changes the name and role of the member with
// that identity code. The code is never shown again, not even in a form
// sent back with errors: the admin types it again.
func (a *Admin) addStaff(w http.ResponseWriter, r *http.Request, q *req) error {
	r.ParseForm()
	f := newForm(r.PostForm)
	code := strings.ToUpper(strings.TrimSpace(f.Get("identity_code")))
	f.Values.Del("identity_code")
	name := f.Text(q.Lang, "name", 400, true)
	role, org := f.Get("role"), f.Get("organisation_id")
	if code == "" {
		f.Errors["identity_code"] = msg(q.Lang, "err.required")
	} else if _, err := omadata.ParseIdentityCode(code); err != nil {
		f.Errors["identity_code"] = msg(q.Lang, "err.identity-code")
	}
	if !slices.Contains(omadata.StaffRoles, role) {
		f.Errors["role"] = msg(q.Lang, "err.choose")
	} else if role == omadata.StaffOrganisationAdmin && org == "" {
		f.Errors["organisation_id"] = msg(q.Lang, "err.choose-organisation")
	} else if role != omadata.StaffOrganisationAdmin {
		org = "" // the list stays as chosen; only an organisation admin has one
	}
	if f.Valid() {
		st, err := a.o.Staff.EnsureStaff(r.Context(), code, name, role, org)
		if err == nil {
			http.Redirect(w, r, Prefix+"/"+q.Lang+"/staff?done=staff-saved#staff-"+st.ID, http.StatusSeeOther)
			return nil
		} else if !f.storeError(q.Lang, err, staffFields, map[string]string{
			"identity_code": "err.identity-code", "role": "err.last-operator-admin", "organisation_id": "err.choose-organisation",
		}) {
			return err
		}
	}
	return a.staffPage(w, r, q, http.StatusBadRequest, f, "")
}

// removeStaff takes a member off the staff. Nobody removes themselves
// here, so that an operator admin cannot lock themselves out by a click.
func (a *Admin) removeStaff(w http.ResponseWriter, r *http.Request, q *req) error {
	id := r.PathValue("id")
	if id == q.V.Staff.ID {
		return a.staffPage(w, r, q, http.StatusBadRequest, newForm(nil), msg(q.Lang, "err.remove-self"))
	}
	_, err := a.o.Staff.RemoveStaff(r.Context(), id)
	switch {
	case omadata.ErrorCode(err) == omadata.ECONFLICT:
		return a.staffPage(w, r, q, http.StatusConflict, newForm(nil), msg(q.Lang, "err.last-operator-admin"))
	case err != nil:
		return err
	}
	http.Redirect(w, r, Prefix+"/"+q.Lang+"/staff?done=staff-removed", http.StatusSeeOther)
	return nil
}
