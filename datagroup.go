// SPDX-License-Identifier: Apache-2.0

package omadata

import (
	"context"
	"time"
)

// DataGroup is a set of personal data a source holds, described so that a
// resident understands it ("library loans").
type DataGroup struct {
	ID                     string   `json:"id"`
	ServiceID              string   `json:"service_id"`
	Code                   string   `json:"code"`
	Name                   Text     `json:"name"`
	Description            Text     `json:"description"`
	SpecialCategory        bool     `json:"special_category"`
	PersonalDataCategories []string `json:"personal_data_categories"`
	Retention              string   `json:"retention"` // ISO 8601 period at the source
	// LegalBasis is why the source holds the data, a GDPR Art 6 code
	// (such as A6-1-e, public task), which "My data" shows the resident
	// (docs/own-data.md); "" where the catalogue does not say.
	LegalBasis string    `json:"legal_basis,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Validate checks the data group's own fields and normalises its personal
// data categories to the "pd:" form.
func (g *DataGroup) Validate() error {
	if !ValidID(PrefixService, g.ServiceID) {
		return Invalidf("service_id", "Not a service ID.")
	} else if err := CheckText("code", g.Code, 64); err != nil {
		return err
	} else if !ValidCode(g.Code) {
		return Invalidf("code", "Use 1 to 64 lower-case letters, digits and hyphens, such as library-loans.")
	} else if err := g.Name.Validate("name", 200, "fi", "sv", "en"); err != nil {
		return err
	} else if err := g.Description.Validate("description", 4000, "fi", "sv", "en"); err != nil {
		return err
	} else if !ValidPeriod(g.Retention) {
		return Invalidf("retention", "Use an ISO 8601 period such as P5Y or P6M.")
	} else if g.LegalBasis != "" && !ValidLegalBasis(g.LegalBasis) {
		return Invalidf("legal_basis", "Use one of %s, or leave it out.", legalBasisCodes())
	}
	return g.normaliseCategories()
}

func (g *DataGroup) normaliseCategories() error {
	if len(g.PersonalDataCategories) == 0 {
		return Invalidf("personal_data_categories", "Give at least one DPV personal-data category, such as pd:Address.")
	}
	seen := map[string]bool{}
	for i, c := range g.PersonalDataCategories {
		short, special, ok := ParsePersonalDataCategory(c)
		if !ok {
			return Invalidf("personal_data_categories", "Unknown DPV personal-data category %q.", Truncate(c, 80))
		} else if special && !g.SpecialCategory {
			return Invalidf("special_category", "%s is special-category data; set special_category.", short)
		} else if seen[short] {
			return Invalidf("personal_data_categories", "%s given twice.", short)
		}
		seen[short] = true
		g.PersonalDataCategories[i] = short
	}
	return nil
}

// ValidCode reports whether s is a short machine name: lower-case letters,
// digits and inner hyphens.
func ValidCode(s string) bool {
	if len(s) == 0 || len(s) > 64 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// Truncate shortens an input value quoted in an error message to n bytes,
// and hides it when it holds a personal identity code, which must not
// reach a response or a log.
func Truncate(s string, n int) string {
	if ContainsIdentityCode(s) {
		return "(a value holding a personal identity code)"
	} else if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// DataGroupFilter selects data groups.
type DataGroupFilter struct {
	ServiceID *string
	After     string
	Limit     int
}

// DataGroupUpdate holds the fields a PATCH may change.
type DataGroupUpdate struct {
	Name                   *Text     `json:"name"`
	Description            *Text     `json:"description"`
	SpecialCategory        *bool     `json:"special_category"`
	PersonalDataCategories *[]string `json:"personal_data_categories"`
	Retention              *string   `json:"retention"`
	LegalBasis             *string   `json:"legal_basis"`
}

// Apply copies the set fields of u onto g.
func (u DataGroupUpdate) Apply(g *DataGroup) {
	setIf(&g.Name, u.Name)
	setIf(&g.Description, u.Description)
	setIf(&g.SpecialCategory, u.SpecialCategory)
	setIf(&g.PersonalDataCategories, u.PersonalDataCategories)
	setIf(&g.Retention, u.Retention)
	setIf(&g.LegalBasis, u.LegalBasis)
}

// DataGroupService manages the data groups sources hold.
type DataGroupService interface {
	FindDataGroupByID(ctx context.Context, id string) (*DataGroup, error)
	FindDataGroups(ctx context.Context, f DataGroupFilter) ([]*DataGroup, string, error)
	// CreateDataGroup returns EINVALID when the service is not a source and
	// ECONFLICT when the code is taken within the service.
	CreateDataGroup(ctx context.Context, g *DataGroup) error
	// UpdateDataGroup returns ECONFLICT when clearing special_category of a
	// group that a published processing uses under an Art 9 condition.
	UpdateDataGroup(ctx context.Context, id string, u DataGroupUpdate) (*DataGroup, error)
}
