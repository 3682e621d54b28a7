// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"strings"
	"testing"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
)

// disguisedCodes are a valid identity code, 150385-9013, written the ways
// a person may type or paste one, none of them the exact form.
var disguisedCodes = []string{
	"150385a9013",                // a lower-case century sign
	"1503859013",                 // no separator
	"150385\u20119013",           // a non-breaking hyphen
	"１５０３８５-９０１３",                // fullwidth digits
	"150\u200b385 90\u00ad13",    // a zero-width space, a space and a soft hyphen
	"1 5 0 3 8 5 \u2212 9 0 1 3", // digits spaced apart around a minus sign
}

// badTexts break the rest of the text rule: control characters and
// invalid UTF-8.
var badTexts = []string{"a\x00b", "a\x1bb", "a\rb", "a\u0085b", "a\xffb"}

// testTextIdentityCodes writes an identity code, disguised, and text with
// control characters or invalid UTF-8 into every kind of stored text: each
// write is refused, naming the field, and changes nothing.
func testTextIdentityCodes(t *testing.T, s *store.Store) {
	n := CreateNetwork(t, s)
	resident := CreateResident(t, s, AdultCode)
	e := &consentEnv{s: s, n: n}
	consent := e.give(t, resident, n.Processing)
	draft := must[*omadata.Processing](t)(s.CreateProcessing(Admin(), NewDraft(n.Sink.ID, "drafted", n.Recommendations.ID, n.Loans.ID)))
	ai := &omadata.AISystem{OrganisationID: n.City.ID, Name: Text("Chatbot"), Description: Text("Answers"), Purpose: Text("Service"),
		HumanOversight: Text("Staff"), LegalBasis: omadata.BasisPublicTask, RiskLevel: "limited", Status: "in_use",
		Contact: omadata.Contact{Name: "AI team", Email: "ai@example.fi"}, ProcessingIDs: []string{}, DataGroupIDs: []string{}}
	if err := s.CreateAISystem(Admin(), ai); err != nil {
		t.Fatal(err)
	}
	writes := []struct {
		name, field string
		write       func(code string) error
	}{
		{"admin token name", "name", func(c string) error { _, err := s.CreateAdminToken(Admin(), "token "+c); return err }},
		{"credential name", "name", func(c string) error {
			return s.CreateCredential(Admin(), &omadata.Credential{ServiceID: n.Sink.ID, Name: c, Scopes: []string{omadata.ScopeCatalogueRead}})
		}},
		{"organisation name", "name.fi", func(c string) error {
			o := NewOrganisation(omadata.OrgCompany)
			o.Name = omadata.Text{"fi": "Oy " + c}
			return s.CreateOrganisation(Admin(), o)
		}},
		{"organisation phone", "phone", func(c string) error {
			_, err := s.UpdateOrganisation(Admin(), n.Company.ID, omadata.OrganisationUpdate{Phone: &c})
			return err
		}},
		{"organisation email", "email", func(c string) error {
			email := c + "@example.fi"
			_, err := s.UpdateOrganisation(Admin(), n.Company.ID, omadata.OrganisationUpdate{Email: &email})
			return err
		}},
		{"service description", "description.en", func(c string) error {
			d := omadata.Text{"en": "Ask " + c}
			_, err := s.UpdateService(Admin(), n.Sink.ID, omadata.ServiceUpdate{Description: &d})
			return err
		}},
		{"data group code", "code", func(c string) error {
			return s.CreateDataGroup(As(n.Source.ID), NewDataGroup(n.Source.ID, strings.ToLower(c), false))
		}},
		{"data group name", "name.sv", func(c string) error {
			name := omadata.Text{"fi": "Lainat", "sv": "Lån " + c, "en": "Loans"}
			_, err := s.UpdateDataGroup(As(n.Source.ID), n.Loans.ID, omadata.DataGroupUpdate{Name: &name})
			return err
		}},
		{"purpose description", "description.fi", func(c string) error {
			d := omadata.Text{"fi": c, "sv": "x", "en": "x"}
			_, err := s.UpdatePurpose(Admin(), n.Recommendations.ID, omadata.PurposeUpdate{Description: &d})
			return err
		}},
		{"processing title", "title.fi", func(c string) error {
			title := omadata.Text{"fi": "Käsittely " + c, "sv": "x", "en": "x"}
			_, err := s.UpdateVersion(As(n.Sink.ID), draft.ID, 1, omadata.ProcessingVersionUpdate{Title: &title})
			return err
		}},
		{"notice body", "body", func(c string) error {
			_, err := s.PutNotice(As(n.Sink.ID), draft.ID, 1, &omadata.Notice{Language: "fi", Title: "Ilmoitus", Body: "Tunnus " + c})
			return err
		}},
		{"AI system oversight", "human_oversight.en", func(c string) error {
			h := omadata.Text{"fi": "x", "sv": "x", "en": "Call " + c}
			_, err := s.UpdateAISystem(Admin(), ai.ID, omadata.AISystemUpdate{HumanOversight: &h})
			return err
		}},
		{"staff name", "name", func(c string) error {
			_, err := s.EnsureStaff(Admin(), StaffCode, "Outi "+c, omadata.StaffAuditor, "")
			return err
		}},
		{"representation basis", "basis", func(c string) error {
			_, err := s.CreateRepresentation(Admin(), &omadata.RepresentationInput{Kind: omadata.RepMandate,
				RepresentativeIdentityCode: AdultCode, PrincipalIdentityCode: AdultCode2, Basis: "valtakirja " + c})
			return err
		}},
		{"withdrawal reason", "reason", func(c string) error {
			_, err := s.ChangeConsent(AsResident(resident.ID), consent.ID, omadata.ConsentWithdrawn, "koska "+c)
			return err
		}},
		{"request details", "details", func(c string) error {
			_, err := s.CreateRequest(AsResident(resident.ID), &omadata.RequestInput{Kind: omadata.RequestRectification, Details: "Oikea tunnus on " + c})
			return err
		}},
	}
	for _, w := range writes {
		t.Run(w.name, func(t *testing.T) {
			for i, code := range append(disguisedCodes, badTexts...) {
				before := tableCounts(t, s)
				err := w.write(code)
				if omadata.ErrorCode(err) != omadata.EINVALID || omadata.ErrorField(err) != w.field {
					t.Fatalf("%q: got %v, want invalid naming %s", code, err, w.field)
				} else if i < len(disguisedCodes) && omadata.ErrorMessage(err) != omadata.IdentityCodeInText {
					t.Fatalf("%q: got message %q, want the identity-code message", code, omadata.ErrorMessage(err))
				}
				if after := tableCounts(t, s); after != before {
					t.Fatalf("%q: the database changed:\n%s\n%s", code, before, after)
				}
			}
		})
	}
}

// tableCounts returns the row counts of the tables a refused write could
// touch, and the latest update times of the records edited above.
func tableCounts(t *testing.T, s *store.Store) string {
	t.Helper()
	var b strings.Builder
	for _, table := range []string{"admin_tokens", "credentials", "organisations", "services", "data_groups", "purposes",
		"processing_versions", "notices", "ai_systems", "staff", "representations", "consent_records", "requests",
		"admin_changes", "log_leaves", "outbox"} {
		rows := must[[][]string](t)(s.DB().QueryStrings(context.Background(), `SELECT COUNT(*) FROM `+table))
		b.WriteString(table + "=" + rows[0][0] + " ")
	}
	for _, table := range []string{"organisations", "services", "data_groups", "purposes", "ai_systems"} {
		rows := must[[][]string](t)(s.DB().QueryStrings(context.Background(), `SELECT MAX(updated_at) FROM `+table))
		b.WriteString(table + ".updated=" + rows[0][0] + " ")
	}
	return b.String()
}
