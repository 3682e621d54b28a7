// SPDX-License-Identifier: Apache-2.0

package demo

import (
	"context"
	"fmt"

	"github.com/omadata/omadata"
)

// StaffPerson is a demo member of staff whom the built-in provider offers
// on the admin console's sign-in. Their identity codes are synthetic too.
type StaffPerson struct {
	Person
	Role string
	// BusinessID names the organisation of an organisation admin.
	BusinessID string
}

// Staff are the demo staff: an operator admin, an organisation admin of
// the City of Helsinki and a data protection officer (a read-only auditor).
func Staff() []StaffPerson {
	return []StaffPerson{
		{Person: Person{Key: "olli", Name: "Olli Ylläpitäjä", IdentityCode: "120475-931B", About: omadata.Text{
			"fi": "Operaattorin pääkäyttäjä: hyväksyy organisaatiot ja palvelut ja julkaisee käsittelyt.",
			"sv": "Operatörens huvudanvändare: godkänner organisationer och tjänster och publicerar behandlingar.",
			"en": "The operator's admin: admits organisations and services and publishes processings.",
		}}, Role: omadata.StaffOperatorAdmin},
		{Person: Person{Key: "helmi", Name: "Helmi Hallinto", IdentityCode: "230882-942U", About: omadata.Text{
			"fi": "Helsingin kaupungin pääkäyttäjä.",
			"sv": "Huvudanvändare vid Helsingfors stad.",
			"en": "An admin of the City of Helsinki.",
		}}, Role: omadata.StaffOrganisationAdmin, BusinessID: "0201256-6"},
		{Person: Person{Key: "tiina", Name: "Tiina Tietosuoja", IdentityCode: "051168-953C", About: omadata.Text{
			"fi": "Tietosuojavastaava: näkee kaiken, ei muuta mitään.",
			"sv": "Dataskyddsombud: ser allt, ändrar ingenting.",
			"en": "The data protection officer: sees everything, changes nothing.",
		}}, Role: omadata.StaffAuditor},
	}
}

// StaffServices are what LoadStaff reads and writes through. The store
// must have its keyring: staff are found by a blind index.
type StaffServices struct {
	Staff         omadata.StaffService
	Organisations omadata.OrganisationService
}

// LoadStaff creates the demo staff, or sets their roles back, as an
// operator admin. Load must have run: the organisation admin belongs to
// the demo City of Helsinki.
func LoadStaff(ctx context.Context, s StaffServices) error { return LoadCityStaff(ctx, s, "") }

// LoadCityStaff is LoadStaff for one city's operator of the demo network:
// the operator admin and the auditor, and the City of Helsinki's admin
// only at Helsinki's.
func LoadCityStaff(ctx context.Context, s StaffServices, city string) error {
	ctx = omadata.NewContextWithCaller(ctx, omadata.Caller{Kind: omadata.CallerAdmin, TokenID: "demo"})
	orgs, err := omadata.All(func(after string) ([]*omadata.Organisation, string, error) {
		return s.Organisations.FindOrganisations(ctx, omadata.OrganisationFilter{After: after})
	})
	if err != nil {
		return err
	}
	for _, p := range Staff() {
		if p.BusinessID != "" && city != "" && p.BusinessID != CityBusinessID(city) {
			continue
		}
		org := ""
		if p.BusinessID != "" {
			// The city itself, not one of its divisions (which share its
			// business ID): a city's admin looks after its divisions too.
			for _, o := range orgs {
				if o.BusinessID == p.BusinessID && o.Kind != omadata.OrgDivision {
					org = o.ID
				}
			}
			if org == "" {
				return fmt.Errorf("demo staff %s: no organisation %s", p.Key, p.BusinessID)
			}
		}
		if _, err := s.Staff.EnsureStaff(ctx, p.IdentityCode, p.Name, p.Role, org); err != nil {
			return fmt.Errorf("demo staff %s: %w", p.Key, err)
		}
	}
	return nil
}
