// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"testing"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
)

func testOrganisationCreateFindList(t *testing.T, s *store.Store) {
	o := CreateOrganisation(t, s, omadata.OrgCity)
	if !omadata.ValidID(omadata.PrefixOrganisation, o.ID) || o.CreatedAt.IsZero() {
		t.Fatalf("got id %q created %v, want a fresh id and time", o.ID, o.CreatedAt)
	}
	got := must[*omadata.Organisation](t)(s.FindOrganisationByID(Public(), o.ID))
	if got.Name["sv"] != "Teststad" || got.BusinessID != o.BusinessID || got.DPO.Email != o.DPO.Email || got.Address.City != "Helsinki" {
		t.Fatalf("got %+v, want the stored organisation", got)
	}
	if !got.CreatedAt.Equal(o.CreatedAt) {
		t.Fatalf("got created_at %v, want %v", got.CreatedAt, o.CreatedAt)
	}
	CreateOrganisation(t, s, omadata.OrgCompany)
	kind := omadata.OrgCompany
	list, next, err := s.FindOrganisations(As("svc_x"), omadata.OrganisationFilter{Kind: &kind})
	ok(t, err)
	if len(list) != 1 || list[0].Kind != omadata.OrgCompany || next != "" {
		t.Fatalf("got %d organisations (next %q), want the one company", len(list), next)
	}
	_, err = s.FindOrganisationByID(Admin(), "org_00000000000000000000000000")
	wantCode(t, err, omadata.ENOTFOUND)
}

func testOrganisationInvalid(t *testing.T, s *store.Store) {
	cases := []struct {
		name  string
		edit  func(o *omadata.Organisation)
		field string
	}{
		{"bad check digit", func(o *omadata.Organisation) { o.BusinessID = "0201256-5" }, "business_id"},
		{"no dash", func(o *omadata.Organisation) { o.BusinessID = "02012566" }, "business_id"},
		{"missing business ID", func(o *omadata.Organisation) { o.BusinessID = "" }, "business_id"},
		{"unknown kind", func(o *omadata.Organisation) { o.Kind = "guild" }, "kind"},
		{"unknown language", func(o *omadata.Organisation) { o.Name["de"] = "Stadt" }, "name.de"},
		{"no Finnish name", func(o *omadata.Organisation) { delete(o.Name, "fi") }, "name.fi"},
		{"bad email", func(o *omadata.Organisation) { o.Email = "kirjaamo at hel.fi" }, "email"},
		{"http policy", func(o *omadata.Organisation) { o.PrivacyPolicyURL = "http://example.fi/p" }, "privacy_policy_url"},
		{"no DPO", func(o *omadata.Organisation) { o.DPO = omadata.Contact{} }, "dpo.name"},
		{"bad country", func(o *omadata.Organisation) { o.Address.Country = "Finland" }, "address.country"},
		{"control chars", func(o *omadata.Organisation) { o.Name["fi"] = "a\x00b" }, "name.fi"},
		{"division without parent", func(o *omadata.Organisation) { o.Kind = omadata.OrgDivision; o.BusinessID = "" }, "parent_id"},
		{"unknown parent", func(o *omadata.Organisation) { o.ParentID = "org_00000000000000000000000000" }, "parent_id"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := NewOrganisation(omadata.OrgCity)
			c.edit(o)
			wantField(t, s.CreateOrganisation(Admin(), o), omadata.EINVALID, c.field)
		})
	}
	list, _, err := s.FindOrganisations(Admin(), omadata.OrganisationFilter{})
	ok(t, err)
	if len(list) != 0 {
		t.Fatalf("got %d organisations after invalid creates, want 0", len(list))
	}
	wantCode(t, s.CreateOrganisation(As("svc_x"), NewOrganisation(omadata.OrgCity)), omadata.EFORBIDDEN)
}

func testOrganisationDivisionAndConflict(t *testing.T, s *store.Store) {
	city := CreateOrganisation(t, s, omadata.OrgCity)
	div := NewOrganisation(omadata.OrgDivision)
	div.BusinessID, div.ParentID = "", city.ID
	ok(t, s.CreateOrganisation(Admin(), div))
	if div.BusinessID != city.BusinessID {
		t.Fatalf("got division business ID %q, want the city's %q", div.BusinessID, city.BusinessID)
	}
	dup := NewOrganisation(omadata.OrgCompany)
	dup.BusinessID = city.BusinessID
	wantField(t, s.CreateOrganisation(Admin(), dup), omadata.ECONFLICT, "business_id")
}

func testOrganisationUpdate(t *testing.T, s *store.Store) {
	o := CreateOrganisation(t, s, omadata.OrgCity)
	email := "info@example.fi"
	got := must[*omadata.Organisation](t)(s.UpdateOrganisation(Admin(), o.ID, omadata.OrganisationUpdate{Email: &email}))
	if got.Email != email || got.Name["fi"] != o.Name["fi"] {
		t.Fatalf("got %+v, want only the email changed", got)
	}
	bad := "nope"
	_, err := s.UpdateOrganisation(Admin(), o.ID, omadata.OrganisationUpdate{Email: &bad})
	wantField(t, err, omadata.EINVALID, "email")
	again := must[*omadata.Organisation](t)(s.FindOrganisationByID(Admin(), o.ID))
	if again.Email != email {
		t.Fatalf("got email %q after a refused update, want %q", again.Email, email)
	}
	_, err = s.UpdateOrganisation(As("svc_x"), o.ID, omadata.OrganisationUpdate{Email: &email})
	wantCode(t, err, omadata.EFORBIDDEN)
}
