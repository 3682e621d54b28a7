// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"testing"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
)

func testDataGroupCreateAndRules(t *testing.T, s *store.Store) {
	org := CreateOrganisation(t, s, omadata.OrgCity)
	src := CreateService(t, s, org.ID, true, omadata.RoleSource)
	sink := CreateService(t, s, org.ID, true, omadata.RoleSink)
	g := NewDataGroup(src.ID, "library-loans", false)
	g.PersonalDataCategories = []string{"https://w3id.org/dpv/pd#Interest", "pd:ServiceConsumptionBehavior"}
	ok(t, s.CreateDataGroup(As(src.ID), g))
	got := must[*omadata.DataGroup](t)(s.FindDataGroupByID(Admin(), g.ID))
	if got.PersonalDataCategories[0] != "pd:Interest" || got.Retention != "P2Y" || got.SpecialCategory {
		t.Fatalf("got %+v, want normalised categories", got)
	}
	cases := []struct {
		name  string
		edit  func(g *omadata.DataGroup)
		code  string
		field string
	}{
		{"sink is not a source", func(g *omadata.DataGroup) { g.ServiceID = sink.ID }, omadata.EINVALID, "service_id"},
		{"duplicate code", func(g *omadata.DataGroup) { g.Code = "library-loans" }, omadata.ECONFLICT, "code"},
		{"bad code", func(g *omadata.DataGroup) { g.Code = "Library Loans" }, omadata.EINVALID, "code"},
		{"no Swedish name", func(g *omadata.DataGroup) { delete(g.Name, "sv") }, omadata.EINVALID, "name.sv"},
		{"unknown language", func(g *omadata.DataGroup) { g.Description["xx"] = "?" }, omadata.EINVALID, "description.xx"},
		{"unknown category", func(g *omadata.DataGroup) { g.PersonalDataCategories = []string{"pd:Horoscope"} }, omadata.EINVALID, "personal_data_categories"},
		{"health not flagged", func(g *omadata.DataGroup) { g.PersonalDataCategories = []string{"pd:HealthRecord"} }, omadata.EINVALID, "special_category"},
		{"endless retention", func(g *omadata.DataGroup) { g.Retention = "forever" }, omadata.EINVALID, "retention"},
		{"time in retention", func(g *omadata.DataGroup) { g.Retention = "PT5H" }, omadata.EINVALID, "retention"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := NewDataGroup(src.ID, "other", false)
			c.edit(g)
			wantField(t, s.CreateDataGroup(Admin(), g), c.code, c.field)
		})
	}
	list, _, err := s.FindDataGroups(Admin(), omadata.DataGroupFilter{})
	ok(t, err)
	if len(list) != 1 {
		t.Fatalf("got %d data groups after refused creates, want 1", len(list))
	}
}

func testDataGroupVisibility(t *testing.T, s *store.Store) {
	org := CreateOrganisation(t, s, omadata.OrgCity)
	a := CreateService(t, s, org.ID, true, omadata.RoleSource)
	b := CreateService(t, s, org.ID, false, omadata.RoleSource)
	ga := CreateDataGroup(t, s, a.ID, "a", false)
	gb := CreateDataGroup(t, s, b.ID, "b", false)
	_, err := s.FindDataGroupByID(As(a.ID), gb.ID)
	wantCode(t, err, omadata.ENOTFOUND)
	name := Text("Mine now")
	_, err = s.UpdateDataGroup(As(a.ID), gb.ID, omadata.DataGroupUpdate{Name: &name})
	wantCode(t, err, omadata.ENOTFOUND)
	wantField(t, s.CreateDataGroup(As(a.ID), NewDataGroup(b.ID, "c", false)), omadata.EINVALID, "service_id")
	list, _, err := s.FindDataGroups(As(a.ID), omadata.DataGroupFilter{})
	ok(t, err)
	if len(list) != 1 || list[0].ID != ga.ID {
		t.Fatalf("got %d data groups, want only its own", len(list))
	}
	list, _, err = s.FindDataGroups(Public(), omadata.DataGroupFilter{})
	ok(t, err)
	if len(list) != 1 || list[0].ID != ga.ID {
		t.Fatalf("the public got %d data groups, want only the approved source's", len(list))
	}
	got := must[*omadata.DataGroup](t)(s.UpdateDataGroup(As(a.ID), ga.ID, omadata.DataGroupUpdate{Name: &name}))
	if got.Name["en"] != "Mine now" {
		t.Fatalf("got name %v", got.Name)
	}
}

func testDataGroupSpecialChange(t *testing.T, s *store.Store) {
	n := CreateNetwork(t, s)
	yes := true
	_, err := s.UpdateDataGroup(Admin(), n.Loans.ID, omadata.DataGroupUpdate{SpecialCategory: &yes})
	wantField(t, err, omadata.ECONFLICT, "special_category")
	no := false
	_, err = s.UpdateDataGroup(Admin(), n.Health.ID, omadata.DataGroupUpdate{SpecialCategory: &no})
	wantField(t, err, omadata.EINVALID, "special_category") // pd:PhysicalHealth needs the flag
}
