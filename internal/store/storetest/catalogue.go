// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"slices"
	"testing"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
)

func testCatalogue(t *testing.T, s *store.Store) {
	n := CreateNetwork(t, s)
	must[*omadata.Processing](t)(s.CreateProcessing(Admin(), NewDraft(n.Sink.ID, "draft", n.Recommendations.ID, n.Loans.ID)))
	entries, next, err := s.FindCatalogue(Public(), omadata.CatalogueFilter{})
	ok(t, err)
	if len(entries) != 1 || next != "" {
		t.Fatalf("got %d entries, want the published processing only", len(entries))
	}
	e := entries[0]
	if e.ProcessingID != n.Processing.ID || e.Sink.ID != n.Sink.ID || e.Sink.Organisation.ID != n.Company.ID ||
		e.Purpose.Code != "recommendations" || e.LegalBasisIRI != "https://w3id.org/dpv/legal/eu/gdpr#A6-1-a" ||
		len(e.DataGroups) != 1 || e.DataGroups[0].Source.Organisation.ID != n.City.ID || len(e.Notices) != 3 {
		t.Fatalf("got %+v, want the expanded entry", e)
	}
	for _, f := range []omadata.CatalogueFilter{{OrganisationID: &n.City.ID}, {OrganisationID: &n.Company.ID}, {PurposeID: &n.Recommendations.ID}} {
		got, _, err := s.FindCatalogue(Public(), f)
		ok(t, err)
		if len(got) != 1 {
			t.Fatalf("filter %+v got %d entries, want 1", f, len(got))
		}
	}
	other := CreateOrganisation(t, s, omadata.OrgNGO)
	got, _, err := s.FindCatalogue(Public(), omadata.CatalogueFilter{OrganisationID: &other.ID})
	ok(t, err)
	if len(got) != 0 {
		t.Fatalf("got %d entries for an unrelated organisation", len(got))
	}
	one := must[*omadata.CatalogueEntry](t)(s.FindCatalogueEntry(Public(), n.Processing.ID))
	if one.Version != 1 || !slices.Equal(one.Purpose.DPVPurposes, n.Recommendations.DPVPurposes) {
		t.Fatalf("got %+v", one)
	}
	_, err = s.SetServiceStatus(Admin(), n.Sink.ID, omadata.ServiceSuspended)
	ok(t, err)
	_, err = s.FindCatalogueEntry(Public(), n.Processing.ID)
	wantCode(t, err, omadata.ENOTFOUND)
}

func testAISystemRegister(t *testing.T, s *store.Store) {
	n := CreateNetwork(t, s)
	a := &omadata.AISystem{
		OrganisationID: n.City.ID, Name: Text("Library assistant"), Description: Text("Suggests books."), Purpose: Text("Recommendations."),
		ProcessingIDs: []string{n.Processing.ID}, DataGroupIDs: []string{n.Loans.ID}, LegalBasis: omadata.BasisConsent,
		HumanOversight: Text("Librarians review the suggestions."), RiskLevel: "limited", Status: "in_use",
		Contact: omadata.Contact{Name: "Kirjasto", Email: "kirjasto@example.fi"},
	}
	ok(t, s.CreateAISystem(Admin(), a))
	got := must[*omadata.AISystem](t)(s.FindAISystemByID(Public(), a.ID))
	if got.ProcessingIDs[0] != n.Processing.ID || got.DataGroupIDs[0] != n.Loans.ID || got.RiskLevel != "limited" {
		t.Fatalf("got %+v", got)
	}
	bad := *a
	bad.RiskLevel = "unacceptable"
	wantField(t, s.CreateAISystem(Admin(), &bad), omadata.EINVALID, "risk_level")
	bad = *a
	bad.DataGroupIDs = []string{"dg_00000000000000000000000000"}
	wantField(t, s.CreateAISystem(Admin(), &bad), omadata.EINVALID, "data_group_ids")
	wantCode(t, s.CreateAISystem(As(n.Sink.ID), a), omadata.EFORBIDDEN)
	status := "retired"
	got = must[*omadata.AISystem](t)(s.UpdateAISystem(Admin(), a.ID, omadata.AISystemUpdate{Status: &status, DataGroupIDs: &[]string{}}))
	if got.Status != "retired" || len(got.DataGroupIDs) != 0 {
		t.Fatalf("got %+v", got)
	}
	list, _, err := s.FindAISystems(Public(), omadata.AISystemFilter{OrganisationID: &n.City.ID})
	ok(t, err)
	if len(list) != 1 || len(list[0].ProcessingIDs) != 1 {
		t.Fatalf("got %d entries", len(list))
	}
}

func testPurposeTaxonomyAndUpdate(t *testing.T, s *store.Store) {
	ps := must[[]*omadata.Purpose](t)(s.FindPurposes(Public()))
	want := []string{"proactive-services", "recommendations", "research", "provider-transfer", "third-party-platform", "marketing-cooperation", "co-production", "statutory-services", "own-access"}
	var codes []string
	for _, p := range ps {
		codes = append(codes, p.Code)
		if err := p.Validate(); err != nil {
			t.Errorf("seeded purpose %s is invalid: %v", p.Code, err)
		}
	}
	if !slices.Equal(codes, want) {
		t.Fatalf("got taxonomy %v, want %v", codes, want)
	}
	n := CreateNetwork(t, s)
	_, err := s.UpdatePurpose(Admin(), n.Recommendations.ID, omadata.PurposeUpdate{LegalBases: &[]string{"A6-1-b"}})
	wantField(t, err, omadata.ECONFLICT, "legal_bases")
	p := &omadata.Purpose{Code: "wellbeing-indicators", Name: Text("Wellbeing indicators"), Description: Text("Indicators."),
		DPVPurposes: []string{"dpv:ScientificResearch"}, LegalBases: []string{"A6-1-a"}}
	ok(t, s.CreatePurpose(Admin(), p))
	dup := *p
	wantField(t, s.CreatePurpose(Admin(), &dup), omadata.ECONFLICT, "code")
	bad := *p
	bad.Code, bad.DPVPurposes = "x", []string{"ScientificResearch"}
	wantField(t, s.CreatePurpose(Admin(), &bad), omadata.EINVALID, "dpv_purposes")
	wantCode(t, s.CreatePurpose(As(n.Sink.ID), &bad), omadata.EFORBIDDEN)
}

func testPagination(t *testing.T, s *store.Store) {
	for range 5 {
		CreateOrganisation(t, s, omadata.OrgCompany)
	}
	var seen []string
	after := ""
	for pages := 0; ; pages++ {
		list, next, err := s.FindOrganisations(Admin(), omadata.OrganisationFilter{After: after, Limit: 2})
		ok(t, err)
		for _, o := range list {
			seen = append(seen, o.ID)
		}
		if next == "" {
			if pages != 2 {
				t.Fatalf("got %d pages, want 3", pages+1)
			}
			break
		}
		after = next
	}
	if len(seen) != 5 || !slices.IsSorted(seen) {
		t.Fatalf("got %v, want 5 sorted distinct IDs", seen)
	}
}
