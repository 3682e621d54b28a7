// SPDX-License-Identifier: Apache-2.0

package openapitest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/omadata/omadata"
)

// TestRootTypes encodes the root package's types, every field set, and
// checks them against the document, so that a renamed or added JSON field
// fails here before it reaches a client.
func TestRootTypes(t *testing.T) {
	s := load(t)
	now := time.Date(2026, 3, 2, 9, 30, 0, 123456789, time.UTC)
	later := now.Add(time.Hour)
	text := omadata.Text{"fi": "Kirjastolainat", "sv": "Bibliotekslån", "en": "Library loans"}
	const (
		orgID  = "org_01jq8m2k3n4p5q6r7s8t9v0w1x"
		svcID  = "svc_01jq8m3a4b5c6d7e8f9g0h1j2k"
		dgID   = "dg_01jq8m4n5p6q7r8s9t0v1w2x3y"
		purID  = "pur_00000000000000000000000001"
		procID = "proc_01jq8m5z6y7x8w9v0t1s2r3q4p"
	)
	contact := omadata.Contact{Name: "Tietosuojavastaava", Email: "tietosuoja@hel.fi", Phone: "+358 9 310 1691"}
	notice := &omadata.Notice{Language: "fi", Title: "Otsikko", Body: "Teksti", SHA256: omadata.NoticeHash("Otsikko", "Teksti"), UpdatedAt: now}
	recipients := []omadata.Recipient{{Name: "Kirjasto Oy", Role: omadata.RecipientProcessor}}
	transparency := omadata.Transparency{
		LegitimateInterest: text, Transfers: []omadata.CountryTransfer{{Country: "US", Safeguard: omadata.SafeguardStandardClauses}},
		ProvisionRequirement: omadata.ProvisionStatutory, ProvisionConsequence: text, AutomatedDecisionLogic: text,
	}
	version := &omadata.ProcessingVersion{
		ID: "pver_01jq8m5z6y7x8w9v0t1s2r3q4q", ProcessingID: procID, Version: 2, Status: omadata.VersionRetired,
		Title: text, Description: text, PurposeID: purID, DataGroupIDs: []string{dgID},
		LegalBasis: omadata.BasisPublicTask, Art9Condition: "A9-2-h", LegalBasisNote: "Kirjastolaki 1492/2016", Retention: "P1Y6M",
		Recipients: recipients, AutomatedDecisions: true, Compatible: true, Notices: []*omadata.Notice{notice},
		CreatedAt: now, UpdatedAt: now, PublishedAt: &now, RetiredAt: &later, Transparency: transparency,
	}
	catService := omadata.CatalogueService{ID: svcID, Name: text}
	catService.Organisation.ID, catService.Organisation.Name = orgID, text

	strp := func(s string) *string { return &s }
	boolp := func(b bool) *bool { return &b }
	ids := []string{dgID}

	tests := []struct {
		name    string
		request bool // validate as a request body
		method  string
		path    string
		v       any
	}{
		{"Organisation", false, "GET", "/api/v1/organisations/{id}", &omadata.Organisation{
			ID: orgID, Kind: omadata.OrgDivision, Name: text, BusinessID: "0201256-6", ParentID: orgID, Email: "kirjaamo@hel.fi",
			Phone: "+358 9 310 1691", Address: omadata.Address{Street: "Pohjoisesplanadi 11-13", PostalCode: "00170", City: "Helsinki", Country: "FI"},
			Website: "https://www.hel.fi", PrivacyPolicyURL: "https://www.hel.fi/tietosuoja", DPO: contact, CreatedAt: now, UpdatedAt: now,
		}},
		{"Organisation without optional fields", false, "GET", "/api/v1/organisations/{id}", &omadata.Organisation{
			ID: orgID, Kind: omadata.OrgCity, Name: text, Email: "kirjaamo@hel.fi", PrivacyPolicyURL: "https://www.hel.fi/tietosuoja",
			DPO: omadata.Contact{Name: "DPO", Email: "dpo@hel.fi"}, CreatedAt: now, UpdatedAt: now,
		}},
		{"OrganisationUpdate", true, "PATCH", "/api/v1/organisations/{id}", &omadata.OrganisationUpdate{
			Name: &text, Email: strp("kirjaamo@hel.fi"), Phone: strp(""), Address: &omadata.Address{City: "Helsinki"},
			Website: strp("https://www.hel.fi"), PrivacyPolicyURL: strp("https://www.hel.fi/tietosuoja"), DPO: &contact,
		}},
		{"Service", false, "GET", "/api/v1/services/{id}", &omadata.Service{
			ID: svcID, OrganisationID: orgID, Name: text, Description: text, Roles: []string{omadata.RoleSource, omadata.RoleSink},
			Endpoints: omadata.ServiceEndpoints{API: "https://api.example.fi", Webhook: "https://api.example.fi/hooks"},
			Status:    omadata.ServiceApproved, CreatedAt: now, UpdatedAt: now,
		}},
		{"ServiceUpdate", true, "PATCH", "/api/v1/services/{id}", &omadata.ServiceUpdate{
			Name: &text, Description: &text, Roles: &[]string{omadata.RoleSink}, Endpoints: &omadata.ServiceEndpoints{},
		}},
		{"Credential", false, "POST", "/api/v1/services/{id}/credentials", &omadata.Credential{
			ID: "cred_01jq8m6a7b8c9d0e1f2g3h4j5k", ServiceID: svcID, Name: "production", Scopes: []string{omadata.ScopeCatalogueRead},
			CreatedAt: now, ExpiresAt: &later, RevokedAt: &later, Token: "secret",
		}},
		{"AdminToken", false, "POST", "/api/v1/admin-tokens", &omadata.AdminToken{
			ID: "adm_01jq8m7k8m9n0p1q2r3s4t5v6w", Name: "ops", CreatedAt: now, RevokedAt: &later, Token: "secret",
		}},
		{"Purpose", false, "GET", "/api/v1/purposes/{id}", &omadata.Purpose{
			ID: purID, Code: "proactive-services", Name: text, Description: text, DPVPurposes: []string{"dpv:ServiceProvision"},
			KantaraCategory: "1 - Core Function", LegalBases: []string{omadata.BasisConsent}, CreatedAt: now, UpdatedAt: now,
		}},
		{"PurposeUpdate", true, "PATCH", "/api/v1/purposes/{id}", &omadata.PurposeUpdate{
			Name: &text, Description: &text, DPVPurposes: &[]string{"dpv:ServiceProvision"}, KantaraCategory: strp(""),
			LegalBases: &[]string{omadata.BasisConsent},
		}},
		{"DataGroup", false, "GET", "/api/v1/data-groups/{id}", &omadata.DataGroup{
			ID: dgID, ServiceID: svcID, Code: "library-loans", Name: text, Description: text, SpecialCategory: true,
			PersonalDataCategories: []string{"pd:Health"}, Retention: "P5Y", LegalBasis: omadata.BasisPublicTask, CreatedAt: now, UpdatedAt: now,
		}},
		{"DataGroupUpdate", true, "PATCH", "/api/v1/data-groups/{id}", &omadata.DataGroupUpdate{
			Name: &text, Description: &text, SpecialCategory: boolp(false), PersonalDataCategories: &[]string{"pd:Interest"}, Retention: strp("P1Y"), LegalBasis: strp(omadata.BasisPublicTask),
		}},
		{"Processing", false, "GET", "/api/v1/processings/{id}", &omadata.Processing{
			ID: procID, ServiceID: svcID, Code: "reading-recommendations", CreatedAt: now, Versions: []*omadata.ProcessingVersion{version},
		}},
		{"ProcessingDraft", true, "POST", "/api/v1/processings", &omadata.ProcessingDraft{
			ServiceID: svcID, Code: "reading-recommendations", Title: text, Description: text, PurposeID: purID, DataGroupIDs: ids,
			LegalBasis: omadata.BasisConsent, Retention: "P1Y", Recipients: recipients, AutomatedDecisions: true,
			Transparency: omadata.Transparency{AutomatedDecisionLogic: text, ProvisionRequirement: omadata.ProvisionVoluntary, ProvisionConsequence: text},
		}},
		{"ProcessingVersionUpdate", true, "PATCH", "/api/v1/processings/{id}/versions/{version}", &omadata.ProcessingVersionUpdate{
			Title: &text, Description: &text, PurposeID: strp(purID), DataGroupIDs: &ids, LegalBasis: strp(omadata.BasisPublicTask),
			Art9Condition: strp(""), LegalBasisNote: strp("Kirjastolaki"), Retention: strp("P2W"), Recipients: &recipients,
			AutomatedDecisions: boolp(true), Compatible: boolp(false), LegitimateInterest: &omadata.Text{},
			Transfers: &[]omadata.CountryTransfer{}, ProvisionRequirement: strp(""), ProvisionConsequence: &omadata.Text{}, AutomatedDecisionLogic: &text,
		}},
		{"CatalogueEntry", false, "GET", "/api/v1/public/catalogue/{processing_id}", &omadata.CatalogueEntry{
			ProcessingID: procID, Version: 1, Title: text, Description: text, Sink: catService,
			Purpose:    omadata.CataloguePurpose{ID: purID, Code: "research", Name: text, DPVPurposes: []string{"dpv:ScientificResearch"}},
			LegalBasis: omadata.BasisConsent, LegalBasisIRI: omadata.LegalBasisIRI(omadata.BasisConsent), Art9Condition: "A9-2-a",
			LegalBasisNote: "note", DataGroups: []omadata.CatalogueDataGroup{{ID: dgID, Code: "library-loans", Name: text, SpecialCategory: true,
				PersonalDataCategories: []string{"pd:Health"}, Source: catService}},
			Retention: "P30D", Recipients: recipients, AutomatedDecisions: true, Notices: []*omadata.Notice{notice}, PublishedAt: now,
			Transparency: transparency,
			Controller: omadata.CatalogueController{ID: orgID, Kind: omadata.OrgDivision, Name: text, BusinessID: "0201256-6", Parent: &text,
				Email: "kirjaamo@hel.fi", Address: omadata.Address{City: "Helsinki"}, PrivacyPolicyURL: "https://www.hel.fi/tietosuoja", DPO: contact},
			Rights:               omadata.RightsFor(omadata.BasisConsent, "A9-2-a"),
			SupervisoryAuthority: omadata.SupervisoryAuthority,
			AISystems:            []omadata.CatalogueAISystem{{ID: "ai_01jq8m8x9y0z1a2b3c4d5e6f7g", Name: text, RiskLevel: "high", Status: "in_use"}},
		}},
		{"AISystem", false, "GET", "/api/v1/ai-systems/{id}", &omadata.AISystem{
			ID: "ai_01jq8m8x9y0z1a2b3c4d5e6f7g", OrganisationID: orgID, Name: text, Description: text, Purpose: text,
			ProcessingIDs: []string{procID}, DataGroupIDs: ids, LegalBasis: omadata.BasisPublicTask, HumanOversight: text,
			RiskLevel: "high", Status: "in_use", Contact: contact, CreatedAt: now, UpdatedAt: now,
		}},
		{"AISystemUpdate", true, "PATCH", "/api/v1/ai-systems/{id}", &omadata.AISystemUpdate{
			Name: &text, Description: &text, Purpose: &text, ProcessingIDs: &[]string{}, DataGroupIDs: &ids,
			LegalBasis: strp(omadata.BasisConsent), HumanOversight: &text, RiskLevel: strp("minimal"), Status: strp("planned"), Contact: &contact,
		}},
		{"Resident", false, "GET", "/api/v1/me", &omadata.Resident{
			ID: "res_01jq8m2k3n4p5q6r7s8t9v0w1x", Name: "Testi Asukas", IdentityCode: "131052-308T", BirthDate: "1952-10-13", CreatedAt: now, UpdatedAt: now,
		}},
		{"RepresentationInput", true, "POST", "/api/v1/representations", &omadata.RepresentationInput{
			Kind: omadata.RepMandate, RepresentativeIdentityCode: "131052-308T", PrincipalIdentityCode: "280251X899U",
			RepresentationScope: omadata.RepresentationScope{Purposes: []string{"research"}}, Basis: "mandate code", ValidFrom: &now, ValidUntil: &later,
		}},
		{"MandateInput", true, "POST", "/api/v1/me/representations", &omadata.MandateInput{
			RepresentativeIdentityCode: "131052-308T", RepresentationScope: omadata.RepresentationScope{AllPurposes: true}, ValidFrom: &now, ValidUntil: &later,
		}},
		{"RepresentationRecorder", false, "GET", "/api/v1/services/{id}/representation-kinds", &omadata.RepresentationRecorder{
			ServiceID: svcID, Kinds: []string{omadata.RepGuardian}, UpdatedAt: now,
		}},
		{"RepresentationRecorder never set", false, "GET", "/api/v1/services/{id}/representation-kinds", &omadata.RepresentationRecorder{
			ServiceID: svcID, Kinds: []string{},
		}},
		{"ConsentRequestInput", true, "POST", "/api/v1/consent-requests", &omadata.ConsentRequestInput{
			ProcessingID: procID, Pseudonym: "psn_01jq8m2k3n4p5q6r7s8t9v0w1x", SourceIDs: []string{svcID}, Message: text,
		}},
		{"Representation", false, "POST", "/api/v1/representations", &omadata.Representation{
			ID: "rep_01jq8m2k3n4p5q6r7s8t9v0w1x", Kind: omadata.RepMandate, RepresentativeID: "res_01jq8m2k3n4p5q6r7s8t9v0w1x",
			PrincipalID: "res_01jq8m2k3n4p5q6r7s8t9v0w1y", RepresentationScope: omadata.RepresentationScope{Purposes: []string{"research"}}, Basis: "mandate code", ValidFrom: now,
			ValidUntil: &later, EndedAt: &later, CreatedAt: now,
		}},
		{"Consent", false, "GET", "/api/v1/consents/{id}", &omadata.Consent{
			ID: "cns_01jq8m2k3n4p5q6r7s8t9v0w1x", ResidentID: "res_01jq8m2k3n4p5q6r7s8t9v0w1x", Pseudonym: "psn_01jq8m2k3n4p5q6r7s8t9v0w1x",
			ProcessingID: procID, VersionID: "pver_01jq8m5z6y7x8w9v0t1s2r3q4q", Version: 2, SinkID: svcID, SourceIDs: []string{svcID},
			Status: omadata.ConsentSuspended, ValidFrom: &now, ValidUntil: &later, RenewalRequired: true, Message: text, CreatedAt: now, UpdatedAt: now,
			Records: []*omadata.ConsentRecord{{
				ID: "cnr_01jq8m2k3n4p5q6r7s8t9v0w1x", ConsentID: "cns_01jq8m2k3n4p5q6r7s8t9v0w1x", Seq: 2, Status: omadata.ConsentSuspended,
				PrevHash: "ab", Hash: "cd", ActorKind: "resident", ActorID: "res_01jq8m2k3n4p5q6r7s8t9v0w1x", ActorRole: omadata.ActorGuardian,
				NoticeSHA256: notice.SHA256, NoticeLanguage: "sv", CollectionMethod: omadata.CollectedPaper, ValidFrom: &now, ValidUntil: &later,
				Reason: "On holiday", CreatedAt: now, Receipt: "a.b.c",
			}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.v)
			if err != nil {
				t.Fatal(err)
			}
			if tt.request {
				err = s.ValidateRequest(tt.method, tt.path, b)
			} else {
				status := 200
				if tt.method == "POST" {
					status = 201
				}
				err = s.ValidateResponse(tt.method, tt.path, status, "application/json", b)
			}
			if err != nil {
				t.Errorf("got %v, want nil", err)
			}
		})
	}
}
