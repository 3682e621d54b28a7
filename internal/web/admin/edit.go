// SPDX-License-Identifier: Apache-2.0

package admin

import (
	"net/http"
	"slices"
	"strings"

	"github.com/omadata/omadata"
)

// Editing the catalogue: the same store calls, validation and audit as the
// API's PATCH of organisations, services and data groups.

// An organisation

type organisationData struct {
	Organisation *omadata.Organisation
	Parent       *omadata.Organisation
	Form         *form
}

var organisationEditFields = []string{"name-fi", "name-sv", "name-en", "email", "phone", "website", "privacy_policy_url",
	"address-street", "address-postal_code", "address-city", "address-country", "dpo-name", "dpo-email", "dpo-phone"}

// organisationForm holds an organisation's current values as the edit
// form shows them.
func organisationForm(o *omadata.Organisation) *form {
	f := newForm(nil)
	for _, l := range omadata.Languages {
		f.Values.Set("name-"+l, o.Name[l])
	}
	for name, v := range map[string]string{
		"email": o.Email, "phone": o.Phone, "website": o.Website, "privacy_policy_url": o.PrivacyPolicyURL,
		"address-street": o.Address.Street, "address-postal_code": o.Address.PostalCode, "address-city": o.Address.City, "address-country": o.Address.Country,
		"dpo-name": o.DPO.Name, "dpo-email": o.DPO.Email, "dpo-phone": o.DPO.Phone,
	} {
		f.Values.Set(name, v)
	}
	return f
}

func (a *Admin) organisationPage(w http.ResponseWriter, r *http.Request, q *req, status int, f *form) error {
	ctx := r.Context()
	o, err := a.o.Organisations.FindOrganisationByID(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	d := &organisationData{Organisation: o, Form: f}
	if d.Form == nil {
		d.Form = organisationForm(o)
	}
	if o.ParentID != "" {
		if d.Parent, err = a.o.Organisations.FindOrganisationByID(ctx, o.ParentID); err != nil {
			return err
		}
	}
	a.render(w, r, q, status, "organisation", o.Name.In(q.Lang), d, d.Form.Errors)
	return nil
}

func (a *Admin) organisation(w http.ResponseWriter, r *http.Request, q *req) error {
	return a.organisationPage(w, r, q, http.StatusOK, nil)
}

// updateOrganisation changes an organisation (operator admins only). Its
// kind, business ID and parent are what it was registered as: they do not
// change, as in the API.
func (a *Admin) updateOrganisation(w http.ResponseWriter, r *http.Request, q *req) error {
	f := newForm(r.PostForm)
	name := f.Texts(q.Lang, "name", 200, "fi")
	u := omadata.OrganisationUpdate{
		Name:             &name,
		Email:            ptr(f.Text(q.Lang, "email", 254, true)),
		Phone:            ptr(f.Text(q.Lang, "phone", 40, false)),
		Website:          ptr(f.Text(q.Lang, "website", 2000, false)),
		PrivacyPolicyURL: ptr(f.Text(q.Lang, "privacy_policy_url", 2000, true)),
		Address: &omadata.Address{Street: f.Text(q.Lang, "address-street", 200, false), PostalCode: f.Text(q.Lang, "address-postal_code", 200, false),
			City: f.Text(q.Lang, "address-city", 200, false), Country: f.Text(q.Lang, "address-country", 2, false)},
		DPO: &omadata.Contact{Name: f.Text(q.Lang, "dpo-name", 200, true), Email: f.Text(q.Lang, "dpo-email", 254, true), Phone: f.Text(q.Lang, "dpo-phone", 40, false)},
	}
	if f.Valid() {
		o, err := a.o.Organisations.UpdateOrganisation(r.Context(), r.PathValue("id"), u)
		if err == nil {
			http.Redirect(w, r, Prefix+"/"+q.Lang+"/organisations/"+o.ID+"?done=organisation-saved", http.StatusSeeOther)
			return nil
		} else if !f.storeError(q.Lang, err, organisationEditFields, map[string]string{
			"email": "err.email", "dpo-email": "err.email", "privacy_policy_url": "err.url", "website": "err.url", "address-country": "err.country",
		}) {
			return err
		}
	}
	return a.organisationPage(w, r, q, http.StatusBadRequest, f)
}

func ptr[T any](v T) *T { return &v }

// A new service

var serviceFields = []string{"organisation_id", "name-fi", "name-sv", "name-en", "description-fi", "description-sv", "description-en",
	"roles", "endpoints-api", "endpoints-webhook"}

var serviceMessages = map[string]string{"endpoints-api": "err.url", "endpoints-webhook": "err.url", "organisation_id": "err.choose", "roles": "err.choose-roles"}

// serviceRoles reads the roles ticked; the form sends an empty "roles" so
// that none ticked is a change, not an absent field.
func serviceRoles(f *form) []string {
	return slices.DeleteFunc(slices.Clone(f.Values["roles"]), func(s string) bool { return s == "" })
}

// createService registers a pending service (operator admins only); it is
// admitted on the services page.
func (a *Admin) createService(w http.ResponseWriter, r *http.Request, q *req) error {
	f := newForm(r.PostForm)
	sv := &omadata.Service{
		OrganisationID: f.Get("organisation_id"),
		Name:           f.Texts(q.Lang, "name", 200, omadata.Languages...),
		Description:    f.Texts(q.Lang, "description", 4000),
		Roles:          serviceRoles(f),
		Endpoints:      omadata.ServiceEndpoints{API: f.Text(q.Lang, "endpoints-api", 2000, false), Webhook: f.Text(q.Lang, "endpoints-webhook", 2000, false)},
	}
	if sv.OrganisationID == "" {
		f.Errors["organisation_id"] = msg(q.Lang, "err.choose")
	}
	if len(sv.Roles) == 0 {
		f.Errors["roles"] = msg(q.Lang, "err.choose-roles")
	}
	if f.Valid() {
		err := a.o.Services.CreateService(r.Context(), sv)
		if err == nil {
			http.Redirect(w, r, Prefix+"/"+q.Lang+"/services/"+sv.ID+"?done=service-created", http.StatusSeeOther)
			return nil
		} else if !f.storeError(q.Lang, err, serviceFields, serviceMessages) {
			return err
		}
	}
	return a.servicesPage(w, r, q, http.StatusBadRequest, f)
}

// Editing a service

// serviceEditForm holds a service's current values as the edit form shows
// them.
func serviceEditForm(sv *omadata.Service) *form {
	f := newForm(nil)
	for _, l := range omadata.Languages {
		f.Values.Set("name-"+l, sv.Name[l])
		f.Values.Set("description-"+l, sv.Description[l])
	}
	f.Values["roles"] = slices.Clone(sv.Roles)
	f.Values.Set("endpoints-api", sv.Endpoints.API)
	f.Values.Set("endpoints-webhook", sv.Endpoints.Webhook)
	return f
}

// updateService changes the fields of a service that the form sends. Which
// fields a viewer may change is omadata.ServiceUpdate.Permitted, asked by
// the store: the form shows only those (serviceData.May), and a field sent
// anyway is refused (403) with nothing changed.
func (a *Admin) updateService(w http.ResponseWriter, r *http.Request, q *req) error {
	f := newForm(r.PostForm)
	var u omadata.ServiceUpdate
	sent := func(prefix string) bool {
		for k := range f.Values {
			if k == prefix || strings.HasPrefix(k, prefix+"-") {
				return true
			}
		}
		return false
	}
	if sent("name") {
		u.Name = ptr(f.Texts(q.Lang, "name", 200, omadata.Languages...))
	}
	if sent("description") {
		u.Description = ptr(f.Texts(q.Lang, "description", 4000))
	}
	if sent("roles") {
		u.Roles = ptr(serviceRoles(f))
		if len(*u.Roles) == 0 {
			f.Errors["roles"] = msg(q.Lang, "err.choose-roles")
		}
	}
	if sent("endpoints") {
		u.Endpoints = &omadata.ServiceEndpoints{API: f.Text(q.Lang, "endpoints-api", 2000, false), Webhook: f.Text(q.Lang, "endpoints-webhook", 2000, false)}
	}
	if f.Valid() {
		sv, err := a.o.Services.UpdateService(r.Context(), r.PathValue("id"), u)
		if err == nil {
			http.Redirect(w, r, Prefix+"/"+q.Lang+"/services/"+sv.ID+"?done=service-saved", http.StatusSeeOther)
			return nil
		} else if omadata.ErrorCode(err) == omadata.ECONFLICT && omadata.ErrorField(err) == "roles" {
			f.Errors["roles"] = msg(q.Lang, "err.role-in-use")
		} else if !f.storeError(q.Lang, err, serviceFields, serviceMessages) {
			return err
		}
	}
	return a.servicePageWith(w, r, q, http.StatusBadRequest, f)
}

// A data group

type dataGroupData struct {
	Group   *omadata.DataGroup
	Service *omadata.Service
	Form    *form
}

var dataGroupEditFields = []string{"name-fi", "name-sv", "name-en", "description-fi", "description-sv", "description-en",
	"personal_data_categories", "special_category", "retention"}

func dataGroupForm(g *omadata.DataGroup) *form {
	f := newForm(nil)
	for _, l := range omadata.Languages {
		f.Values.Set("name-"+l, g.Name[l])
		f.Values.Set("description-"+l, g.Description[l])
	}
	f.Values.Set("personal_data_categories", strings.Join(g.PersonalDataCategories, ", "))
	if g.SpecialCategory {
		f.Values.Set("special_category", "yes")
	}
	f.Values.Set("retention", g.Retention)
	return f
}

func (a *Admin) dataGroupPage(w http.ResponseWriter, r *http.Request, q *req, status int, f *form) error {
	ctx := r.Context()
	g, err := a.o.DataGroups.FindDataGroupByID(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	sv, err := a.o.Services.FindServiceByID(ctx, g.ServiceID)
	if err != nil {
		return err
	}
	if f == nil {
		f = dataGroupForm(g)
	}
	a.render(w, r, q, status, "datagroup", g.Name.In(q.Lang), &dataGroupData{g, sv, f}, f.Errors)
	return nil
}

func (a *Admin) dataGroup(w http.ResponseWriter, r *http.Request, q *req) error {
	return a.dataGroupPage(w, r, q, http.StatusOK, nil)
}

// updateDataGroup changes a data group the viewer looks after. Its source
// and code stay what they were made as, as in the API.
func (a *Admin) updateDataGroup(w http.ResponseWriter, r *http.Request, q *req) error {
	f := newForm(r.PostForm)
	u := omadata.DataGroupUpdate{
		Name:            ptr(f.Texts(q.Lang, "name", 200, omadata.Languages...)),
		Description:     ptr(f.Texts(q.Lang, "description", 4000, omadata.Languages...)),
		SpecialCategory: ptr(f.Get("special_category") == "yes"),
		Retention:       ptr(f.Text(q.Lang, "retention", 20, true)),
	}
	cats := categories(f.Text(q.Lang, "personal_data_categories", 2000, true))
	u.PersonalDataCategories = &cats
	if *u.Retention != "" && !omadata.ValidPeriod(*u.Retention) {
		f.Errors["retention"] = msg(q.Lang, "err.period")
	}
	if f.Valid() {
		g, err := a.o.DataGroups.UpdateDataGroup(r.Context(), r.PathValue("id"), u)
		if err == nil {
			http.Redirect(w, r, Prefix+"/"+q.Lang+"/data-groups/"+g.ID+"?done=data-group-saved", http.StatusSeeOther)
			return nil
		} else if omadata.ErrorCode(err) == omadata.ECONFLICT && omadata.ErrorField(err) == "special_category" {
			f.Errors["special_category"] = msg(q.Lang, "err.special-in-use")
		} else if !f.storeError(q.Lang, err, dataGroupEditFields, map[string]string{
			"retention": "err.period", "personal_data_categories": "err.pd", "special_category": "err.special",
		}) {
			return err
		}
	}
	return a.dataGroupPage(w, r, q, http.StatusBadRequest, f)
}

// categories splits a list of DPV categories at commas, spaces and lines.
func categories(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' })
}
