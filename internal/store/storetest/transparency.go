// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"slices"
	"testing"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
)

// testProcessingTransparency: the fields of GDPR Art 13 and 14 a version
// carries are validated on create and on edit (a refused edit changes
// nothing), stored, frozen with the published version, and shown in the
// public catalogue with the controller, its data protection officer, the
// rights, the supervisory authority, the sources' categories and the AI
// systems linked to the processing.
func testProcessingTransparency(t *testing.T, s *store.Store) {
	n := CreateNetwork(t, s)
	research := must[*omadata.Purpose](t)(s.UpdatePurpose(Admin(), Purpose(t, s, "research").ID,
		omadata.PurposeUpdate{LegalBases: &[]string{omadata.BasisConsent, omadata.BasisPublicTask, omadata.BasisLegitimateInterest}}))
	withIdentityCode := omadata.Text{"fi": "Soita 131052-308T", "sv": "x", "en": "x"}
	cases := []struct {
		name  string
		edit  func(d *omadata.ProcessingDraft)
		field string
	}{
		{"legitimate interest missing on A6-1-f", func(d *omadata.ProcessingDraft) {
			d.LegalBasis, d.LegalBasisNote = omadata.BasisLegitimateInterest, "Balancing test 2026-01"
		}, "legitimate_interest.fi"},
		{"legitimate interest without Swedish", func(d *omadata.ProcessingDraft) {
			d.LegalBasis, d.LegalBasisNote = omadata.BasisLegitimateInterest, "Balancing test 2026-01"
			d.LegitimateInterest = omadata.Text{"fi": "Tutkimus", "en": "Research"}
		}, "legitimate_interest.sv"},
		{"legitimate interest on consent", func(d *omadata.ProcessingDraft) { d.LegitimateInterest = Text("Research") }, "legitimate_interest"},
		{"legitimate interest with an identity code", func(d *omadata.ProcessingDraft) {
			d.LegalBasis, d.LegalBasisNote = omadata.BasisLegitimateInterest, "Balancing test 2026-01"
			d.LegitimateInterest = withIdentityCode
		}, "legitimate_interest.fi"},
		{"transfer to an EEA country", func(d *omadata.ProcessingDraft) {
			d.Transfers = []omadata.CountryTransfer{{Country: "SE", Safeguard: omadata.SafeguardAdequacy}}
		}, "third_country_transfers.country"},
		{"transfer to no country", func(d *omadata.ProcessingDraft) {
			d.Transfers = []omadata.CountryTransfer{{Country: "usa", Safeguard: omadata.SafeguardAdequacy}}
		}, "third_country_transfers.country"},
		{"transfer without a safeguard", func(d *omadata.ProcessingDraft) {
			d.Transfers = []omadata.CountryTransfer{{Country: "US"}}
		}, "third_country_transfers.safeguard"},
		{"unknown provision requirement", func(d *omadata.ProcessingDraft) {
			d.ProvisionRequirement, d.ProvisionConsequence = "maybe", Text("Nothing")
		}, "provision_requirement"},
		{"provision requirement without consequence", func(d *omadata.ProcessingDraft) {
			d.ProvisionRequirement = omadata.ProvisionVoluntary
		}, "provision_consequence.fi"},
		{"consequence without requirement", func(d *omadata.ProcessingDraft) { d.ProvisionConsequence = Text("Nothing") }, "provision_consequence"},
		{"automated decisions without logic", func(d *omadata.ProcessingDraft) { d.AutomatedDecisions = true }, "automated_decision_logic.fi"},
		{"logic without automated decisions", func(d *omadata.ProcessingDraft) { d.AutomatedDecisionLogic = Text("Scores") }, "automated_decision_logic"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := NewDraft(n.Sink.ID, "x", research.ID, n.Loans.ID)
			c.edit(d)
			_, err := s.CreateProcessing(Admin(), d)
			wantField(t, err, omadata.EINVALID, c.field)
		})
	}

	li := NewDraft(n.Sink.ID, "li", research.ID, n.Loans.ID)
	li.LegalBasis, li.LegalBasisNote, li.LegitimateInterest = omadata.BasisLegitimateInterest, "Balancing test 2026-01", Text("Improving the collection")
	if v := must[*omadata.Processing](t)(s.CreateProcessing(Admin(), li)).Latest(); v.LegitimateInterest.In("sv") != "Improving the collection (sv)" {
		t.Fatalf("got legitimate interest %v, want it stored", v.LegitimateInterest)
	}

	d := NewDraft(n.Sink.ID, "tr", research.ID, n.Loans.ID)
	d.AutomatedDecisions = true
	d.AutomatedDecisionLogic = Text("Loans are scored; a score suggests books.")
	d.ProvisionRequirement, d.ProvisionConsequence = omadata.ProvisionVoluntary, Text("No recommendations.")
	d.Transfers = []omadata.CountryTransfer{{Country: "US", Safeguard: omadata.SafeguardStandardClauses}}
	p := must[*omadata.Processing](t)(s.CreateProcessing(Admin(), d))
	got := must[*omadata.Processing](t)(s.FindProcessingByID(Admin(), p.ID)).Latest()
	if got.AutomatedDecisionLogic.In("sv") != "Loans are scored; a score suggests books. (sv)" || got.ProvisionRequirement != omadata.ProvisionVoluntary ||
		len(got.Transfers) != 1 || got.Transfers[0].Safeguard != omadata.SafeguardStandardClauses {
		t.Fatalf("got %+v, want the transparency fields stored", got.Transparency)
	}

	// A refused edit changes nothing; an accepted one replaces the field.
	_, err := s.UpdateVersion(Admin(), p.ID, 1, omadata.ProcessingVersionUpdate{
		ProvisionRequirement: ptr("statutory"), ProvisionConsequence: &omadata.Text{"fi": "Ei", "en": "No"}})
	wantField(t, err, omadata.EINVALID, "provision_consequence.sv")
	if v := must[*omadata.Processing](t)(s.FindProcessingByID(Admin(), p.ID)).Latest(); v.ProvisionRequirement != omadata.ProvisionVoluntary {
		t.Fatalf("got provision %q after a refused edit, want voluntary", v.ProvisionRequirement)
	}
	v := must[*omadata.ProcessingVersion](t)(s.UpdateVersion(Admin(), p.ID, 1, omadata.ProcessingVersionUpdate{
		Transfers: &[]omadata.CountryTransfer{}, ProvisionRequirement: ptr(omadata.ProvisionContractual)}))
	if len(v.Transfers) != 0 || v.ProvisionRequirement != omadata.ProvisionContractual {
		t.Fatalf("got %+v, want no transfers and a contractual requirement", v.Transparency)
	}

	// Published, the fields are frozen and shown in the catalogue.
	ai := &omadata.AISystem{
		OrganisationID: n.Company.ID, Name: Text("Book scorer"), Description: Text("Scores loans."), Purpose: Text("Recommendations."),
		ProcessingIDs: []string{p.ID}, LegalBasis: omadata.BasisConsent, HumanOversight: Text("Librarians review."),
		RiskLevel: "high", Status: "in_use", Contact: omadata.Contact{Name: "Kirjasto", Email: "kirjasto@example.fi"},
	}
	ok(t, s.CreateAISystem(Admin(), ai))
	PutNotices(t, s, p.ID, 1)
	_, err = s.PublishVersion(Admin(), p.ID, 1)
	ok(t, err)
	_, err = s.UpdateVersion(Admin(), p.ID, 1, omadata.ProcessingVersionUpdate{ProvisionRequirement: ptr(omadata.ProvisionVoluntary)})
	wantField(t, err, omadata.ECONFLICT, "status")
	// The database itself refuses to change them, even in the one update
	// it allows a published version, retiring it (migration 016).
	if err := s.DB().Exec(context.Background(), `UPDATE processing_versions SET status = 'retired', retired_at = updated_at, transparency = '{}'
		WHERE processing_id = ? AND status = 'published'`, p.ID); err == nil {
		t.Fatal("changed the transparency of a published version while retiring it")
	}
	e := must[*omadata.CatalogueEntry](t)(s.FindCatalogueEntry(Public(), p.ID))
	switch {
	case e.AutomatedDecisionLogic.In("fi") == "" || e.ProvisionRequirement != omadata.ProvisionContractual || e.ProvisionConsequence.In("en") != "No recommendations.":
		t.Fatalf("got %+v, want the version's transparency fields", e.Transparency)
	case e.Controller.ID != n.Company.ID || e.Controller.Email != n.Company.Email || e.Controller.DPO.Email != n.Company.DPO.Email ||
		e.Controller.Address.City != "Helsinki" || e.Controller.BusinessID != n.Company.BusinessID || e.Controller.Parent != nil:
		t.Fatalf("got controller %+v, want the sink's organisation with its contact and DPO", e.Controller)
	case !slices.Equal(e.Rights, []string{"access", "rectification", "erasure", "restriction", "portability", "withdrawal"}):
		t.Fatalf("got rights %v, want those of consent", e.Rights)
	case e.SupervisoryAuthority.Name.In("sv") != "Dataombudsmannens byrå" || e.SupervisoryAuthority.URL == "":
		t.Fatalf("got authority %+v", e.SupervisoryAuthority)
	case len(e.AISystems) != 1 || e.AISystems[0].ID != ai.ID || e.AISystems[0].RiskLevel != "high":
		t.Fatalf("got AI systems %+v, want the linked high-risk one", e.AISystems)
	case len(e.DataGroups) != 1 || !slices.Equal(e.DataGroups[0].PersonalDataCategories, n.Loans.PersonalDataCategories) ||
		e.DataGroups[0].Source.Organisation.ID != n.City.ID:
		t.Fatalf("got data groups %+v, want their categories and source organisation", e.DataGroups)
	}
	if len(n.Loans.PersonalDataCategories) == 0 {
		t.Fatal("the fixture's data group has no categories to compare")
	}

	// A division is named as controller, with its city and the city's
	// business ID.
	div := NewOrganisation(omadata.OrgDivision)
	div.BusinessID, div.ParentID = "", n.City.ID
	div.Name = omadata.Text{"fi": "Kasvatuksen toimiala", "sv": "Fostrans sektor", "en": "Education Division"}
	ok(t, s.CreateOrganisation(Admin(), div))
	sink := CreateService(t, s, div.ID, true, omadata.RoleSink)
	statutory := Purpose(t, s, "statutory-services")
	sd := NewDraft(sink.ID, "statutory", statutory.ID, n.Loans.ID)
	sd.LegalBasis, sd.LegalBasisNote = omadata.BasisPublicTask, "Varhaiskasvatuslaki 540/2018"
	sp := must[*omadata.Processing](t)(s.CreateProcessing(Admin(), sd))
	PutNotices(t, s, sp.ID, 1)
	_, err = s.ApproveVersion(Admin(), sp.ID, 1)
	ok(t, err)
	_, err = s.PublishVersion(Admin(), sp.ID, 1)
	ok(t, err)
	e = must[*omadata.CatalogueEntry](t)(s.FindCatalogueEntry(Public(), sp.ID))
	if e.Controller.ID != div.ID || e.Controller.Parent == nil || e.Controller.Parent.In("en") != "Test City" || e.Controller.BusinessID != n.City.BusinessID {
		t.Fatalf("got controller %+v, want the division with its city", e.Controller)
	}
	if !slices.Equal(e.Rights, []string{"access", "rectification", "erasure", "restriction", "objection"}) || len(e.AISystems) != 0 {
		t.Fatalf("got rights %v and AI systems %v, want those of a public task and none", e.Rights, e.AISystems)
	}
}
