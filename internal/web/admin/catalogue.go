// SPDX-License-Identifier: Apache-2.0

package admin

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/web/webui"
)

// Organisations

type organisationsData struct {
	Organisations []*omadata.Organisation
	Kinds         []string
	Form          *form
}

func (a *Admin) organisationsPage(w http.ResponseWriter, r *http.Request, q *req, status int, f *form) error {
	orgs, err := omadata.All(func(after string) ([]*omadata.Organisation, string, error) {
		return a.o.Organisations.FindOrganisations(r.Context(), omadata.OrganisationFilter{After: after})
	})
	if err != nil {
		return err
	}
	slices.SortStableFunc(orgs, func(x, y *omadata.Organisation) int { return strings.Compare(x.Name.In(q.Lang), y.Name.In(q.Lang)) })
	a.render(w, r, q, status, "organisations", msg(q.Lang, "page.organisations"), &organisationsData{orgs, omadata.OrganisationKinds, f}, f.Errors)
	return nil
}

func (a *Admin) organisations(w http.ResponseWriter, r *http.Request, q *req) error {
	return a.organisationsPage(w, r, q, http.StatusOK, newForm(nil))
}

var organisationFields = []string{"kind", "name-fi", "name-sv", "name-en", "business_id", "parent_id", "email", "privacy_policy_url", "dpo-name", "dpo-email"}

// createOrganisation registers an organisation (operator admins only).
func (a *Admin) createOrganisation(w http.ResponseWriter, r *http.Request, q *req) error {
	r.ParseForm()
	f := newForm(r.PostForm)
	o := &omadata.Organisation{
		Kind:             f.Get("kind"),
		Name:             f.Texts(q.Lang, "name", 200, "fi"),
		BusinessID:       f.Text(q.Lang, "business_id", 20, false),
		ParentID:         f.Get("parent_id"),
		Email:            f.Text(q.Lang, "email", 254, true),
		PrivacyPolicyURL: f.Text(q.Lang, "privacy_policy_url", 2000, true),
		DPO:              omadata.Contact{Name: f.Text(q.Lang, "dpo-name", 200, true), Email: f.Text(q.Lang, "dpo-email", 254, true)},
	}
	if !slices.Contains(omadata.OrganisationKinds, o.Kind) {
		f.Errors["kind"] = msg(q.Lang, "err.choose")
	}
	if f.Valid() {
		err := a.o.Organisations.CreateOrganisation(r.Context(), o)
		if err == nil {
			http.Redirect(w, r, Prefix+"/"+q.Lang+"/organisations?done=organisation-created#org-"+o.ID, http.StatusSeeOther)
			return nil
		} else if !f.storeError(q.Lang, err, organisationFields, map[string]string{
			"business_id": "err.business-id", "parent_id": "err.parent", "email": "err.email", "dpo-email": "err.email", "privacy_policy_url": "err.url",
		}) {
			return err
		}
		if omadata.ErrorCode(err) == omadata.ECONFLICT {
			f.Errors["business_id"] = msg(q.Lang, "err.business-id-taken")
		}
	}
	return a.organisationsPage(w, r, q, http.StatusBadRequest, f)
}

// A service and its credentials

type serviceData struct {
	Service      *omadata.Service
	Organisation *omadata.Organisation
	Credentials  []*omadata.Credential
	Scopes       []string
	Form         *form
	Created      *omadata.Credential // with its token, shown this once
	Now          time.Time
	Recorder     *recorderView // nil: not a source, nothing to show
	Edit         *form         // the service's own fields
	Editable     []string      // the fields of the service the viewer may change
}

// May reports whether the viewer may change a field of the service
// (omadata.ServiceFieldsFor): the edit form shows only those.
func (d *serviceData) May(field string) bool { return slices.Contains(d.Editable, field) }

// servicePage renders a service's page: f is the credential form, created
// a credential just made, kinds the designation form after a refusal (else
// nil).
func (a *Admin) servicePage(w http.ResponseWriter, r *http.Request, q *req, status int, f *form, created *omadata.Credential, kinds *form) error {
	return a.serviceView(w, r, q, status, f, created, kinds, nil)
}

// servicePageWith renders a service's page with its edit form as sent.
func (a *Admin) servicePageWith(w http.ResponseWriter, r *http.Request, q *req, status int, edit *form) error {
	return a.serviceView(w, r, q, status, newForm(nil), nil, nil, edit)
}

func (a *Admin) serviceView(w http.ResponseWriter, r *http.Request, q *req, status int, f *form, created *omadata.Credential, kinds, edit *form) error {
	ctx := r.Context()
	sv, err := a.o.Services.FindServiceByID(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	org, err := a.o.Organisations.FindOrganisationByID(ctx, sv.OrganisationID)
	if err != nil {
		return err
	}
	creds, err := a.o.Credentials.FindCredentials(ctx, sv.ID)
	if err != nil {
		return err
	}
	d := &serviceData{Service: sv, Organisation: org, Credentials: creds, Scopes: omadata.CredentialScopes, Form: f, Created: created, Now: a.now(),
		Edit: edit, Editable: omadata.ServiceFieldsFor(omadata.CallerFromContext(ctx))}
	if d.Recorder, err = a.recorderView(ctx, sv, kinds); err != nil {
		return err
	}
	errs := f.Errors
	if edit == nil {
		d.Edit = serviceEditForm(sv)
	} else {
		errs = edit.Errors
	}
	a.render(w, r, q, status, "service", sv.Name.In(q.Lang), d, errs)
	return nil
}

func (a *Admin) service(w http.ResponseWriter, r *http.Request, q *req) error {
	return a.servicePage(w, r, q, http.StatusOK, newForm(nil), nil, nil)
}

// createCredential issues a credential and shows its token on the page it
// answers with, this once: it is not stored, so a reload cannot show it
// again (the page is no-store).
func (a *Admin) createCredential(w http.ResponseWriter, r *http.Request, q *req) error {
	r.ParseForm()
	f := newForm(r.PostForm)
	c := &omadata.Credential{ServiceID: r.PathValue("id"), Name: f.Text(q.Lang, "name", 100, true), Scopes: f.Values["scopes"]}
	if len(c.Scopes) == 0 {
		f.Errors["scopes"] = msg(q.Lang, "err.choose-scopes")
	}
	if s := strings.TrimSpace(f.Get("expires_at")); s != "" {
		d, err := time.ParseInLocation(time.DateOnly, s, webui.Zone)
		if err != nil {
			f.Errors["expires_at"] = msg(q.Lang, "err.date")
		} else if !d.After(a.now()) {
			f.Errors["expires_at"] = msg(q.Lang, "err.future")
		} else {
			c.ExpiresAt = &d
		}
	}
	if f.Valid() {
		err := a.o.Credentials.CreateCredential(r.Context(), c)
		if err == nil {
			return a.servicePage(w, r, q, http.StatusCreated, newForm(nil), c, nil)
		} else if !f.storeError(q.Lang, err, []string{"name", "scopes", "expires_at"}, nil) {
			return err
		}
	}
	return a.servicePage(w, r, q, http.StatusBadRequest, f, nil, nil)
}

func (a *Admin) revokeCredential(w http.ResponseWriter, r *http.Request, q *req) error {
	id := r.PathValue("id")
	if _, err := a.o.Credentials.RevokeCredential(r.Context(), id, r.PathValue("cid")); err != nil {
		return err
	}
	http.Redirect(w, r, Prefix+"/"+q.Lang+"/services/"+id+"?done=credential-revoked", http.StatusSeeOther)
	return nil
}

// Data groups

type dataGroupRow struct {
	Group   *omadata.DataGroup
	Service *omadata.Service
}

type dataGroupsData struct {
	Groups  []dataGroupRow
	Sources []*omadata.Service // where a new group may go
	Form    *form
}

func (a *Admin) dataGroupsPage(w http.ResponseWriter, r *http.Request, q *req, status int, f *form) error {
	ctx := r.Context()
	groups, err := omadata.All(func(after string) ([]*omadata.DataGroup, string, error) {
		return a.o.DataGroups.FindDataGroups(ctx, omadata.DataGroupFilter{After: after})
	})
	if err != nil {
		return err
	}
	source := omadata.RoleSource
	sources, err := omadata.All(func(after string) ([]*omadata.Service, string, error) {
		return a.o.Services.FindServices(ctx, omadata.ServiceFilter{Role: &source, After: after})
	})
	if err != nil {
		return err
	}
	byID := map[string]*omadata.Service{}
	for _, s := range sources {
		byID[s.ID] = s
	}
	d := &dataGroupsData{Sources: sources, Form: f}
	for _, g := range groups {
		if byID[g.ServiceID] == nil { // the store keeps a holder of data groups a source; this is a safety net
			if byID[g.ServiceID], err = a.o.Services.FindServiceByID(ctx, g.ServiceID); err != nil {
				return err
			}
		}
		d.Groups = append(d.Groups, dataGroupRow{g, byID[g.ServiceID]})
	}
	slices.SortStableFunc(d.Groups, func(x, y dataGroupRow) int {
		if c := strings.Compare(x.Service.Name.In(q.Lang), y.Service.Name.In(q.Lang)); c != 0 {
			return c
		}
		return strings.Compare(x.Group.Name.In(q.Lang), y.Group.Name.In(q.Lang))
	})
	slices.SortStableFunc(d.Sources, func(x, y *omadata.Service) int { return strings.Compare(x.Name.In(q.Lang), y.Name.In(q.Lang)) })
	a.render(w, r, q, status, "datagroups", msg(q.Lang, "page.datagroups"), d, f.Errors)
	return nil
}

func (a *Admin) dataGroups(w http.ResponseWriter, r *http.Request, q *req) error {
	return a.dataGroupsPage(w, r, q, http.StatusOK, newForm(nil))
}

var dataGroupFields = []string{"service_id", "code", "name-fi", "name-sv", "name-en", "description-fi", "description-sv", "description-en",
	"personal_data_categories", "special_category", "retention"}

// createDataGroup adds a data group to a source the viewer may change.
func (a *Admin) createDataGroup(w http.ResponseWriter, r *http.Request, q *req) error {
	r.ParseForm()
	f := newForm(r.PostForm)
	g := &omadata.DataGroup{
		ServiceID:       f.Get("service_id"),
		Code:            f.Text(q.Lang, "code", 64, true),
		Name:            f.Texts(q.Lang, "name", 200, omadata.Languages...),
		Description:     f.Texts(q.Lang, "description", 4000, omadata.Languages...),
		SpecialCategory: f.Get("special_category") == "yes",
		Retention:       f.Text(q.Lang, "retention", 20, true),
	}
	for _, c := range strings.FieldsFunc(f.Text(q.Lang, "personal_data_categories", 2000, true), func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' }) {
		g.PersonalDataCategories = append(g.PersonalDataCategories, c)
	}
	// The store checks these too; checking them here shows every error of
	// the form at once.
	if g.ServiceID == "" {
		f.Errors["service_id"] = msg(q.Lang, "err.choose")
	}
	if g.Code != "" && !omadata.ValidCode(g.Code) {
		f.Errors["code"] = msg(q.Lang, "err.code")
	}
	if g.Retention != "" && !omadata.ValidPeriod(g.Retention) {
		f.Errors["retention"] = msg(q.Lang, "err.period")
	}
	if f.Valid() {
		err := a.o.DataGroups.CreateDataGroup(r.Context(), g)
		if err == nil {
			http.Redirect(w, r, Prefix+"/"+q.Lang+"/data-groups?done=data-group-created#dg-"+g.ID, http.StatusSeeOther)
			return nil
		} else if !f.storeError(q.Lang, err, dataGroupFields, map[string]string{
			"code": "err.code", "retention": "err.period", "personal_data_categories": "err.pd", "special_category": "err.special",
		}) {
			return err
		}
		if omadata.ErrorCode(err) == omadata.ECONFLICT && omadata.ErrorField(err) == "code" {
			f.Errors["code"] = msg(q.Lang, "err.code-taken")
		}
	}
	return a.dataGroupsPage(w, r, q, http.StatusBadRequest, f)
}
