// SPDX-License-Identifier: Apache-2.0

package omadata

import (
	"context"
	"net/mail"
	"net/url"
	"slices"
	"time"
)

// Organisation kinds.
const (
	OrgCity              = "city"
	OrgDivision          = "division" // a city division; shares its city's business ID
	OrgCompany           = "company"
	OrgResearchInstitute = "research_institute"
	OrgNGO               = "ngo"
)

// OrganisationKinds lists the organisation kinds.
var OrganisationKinds = []string{OrgCity, OrgDivision, OrgCompany, OrgResearchInstitute, OrgNGO}

// IsPublicAuthority reports whether organisations of kind are public
// authorities, which cannot rely on legitimate interests for their tasks.
func IsPublicAuthority(kind string) bool { return kind == OrgCity || kind == OrgDivision }

// Organisation is a controller: a city, a division, a company, a research
// institute or an NGO.
type Organisation struct {
	ID               string    `json:"id"`
	Kind             string    `json:"kind"`
	Name             Text      `json:"name"`
	BusinessID       string    `json:"business_id,omitempty"`
	ParentID         string    `json:"parent_id,omitempty"`
	Email            string    `json:"email"`
	Phone            string    `json:"phone,omitempty"`
	Address          Address   `json:"address"`
	Website          string    `json:"website,omitempty"`
	PrivacyPolicyURL string    `json:"privacy_policy_url"`
	DPO              Contact   `json:"dpo"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
}

// Address is a postal address.
type Address struct {
	Street     string `json:"street,omitempty"`
	PostalCode string `json:"postal_code,omitempty"`
	City       string `json:"city,omitempty"`
	Country    string `json:"country,omitempty"` // ISO 3166-1 alpha-2
}

// Contact is a named person or function with an email address.
type Contact struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Phone string `json:"phone,omitempty"`
}

// Validate checks the organisation's own fields; the store checks references.
func (o *Organisation) Validate() error {
	if !slices.Contains(OrganisationKinds, o.Kind) {
		return Invalidf("kind", "Must be one of city, division, company, research_institute, ngo.")
	}
	if err := o.Name.Validate("name", 200, "fi"); err != nil {
		return err
	}
	switch {
	case o.Kind == OrgDivision && o.ParentID == "":
		return Invalidf("parent_id", "A division needs the organisation it belongs to.")
	case o.Kind != OrgDivision && o.BusinessID == "":
		return Invalidf("business_id", "Required.")
	case o.BusinessID != "" && !ValidBusinessID(o.BusinessID):
		return Invalidf("business_id", "Not a valid Finnish business ID (Y-tunnus), such as 0201256-6.")
	case o.ParentID != "" && !ValidID(PrefixOrganisation, o.ParentID):
		return Invalidf("parent_id", "Not an organisation ID.")
	}
	if err := validEmail("email", o.Email, true); err != nil {
		return err
	} else if err := CheckText("phone", o.Phone, 40); err != nil {
		return err
	} else if err := o.Address.validate("address"); err != nil {
		return err
	} else if err := validURL("website", o.Website, false); err != nil {
		return err
	} else if err := validURL("privacy_policy_url", o.PrivacyPolicyURL, true); err != nil {
		return err
	}
	return o.DPO.validate("dpo", true)
}

func (a Address) validate(field string) error {
	for _, f := range []struct{ name, v string }{{"street", a.Street}, {"postal_code", a.PostalCode}, {"city", a.City}} {
		if err := CheckText(field+"."+f.name, f.v, 200); err != nil {
			return err
		}
	}
	if a.Country != "" && (len(a.Country) != 2 || a.Country[0] < 'A' || a.Country[0] > 'Z' || a.Country[1] < 'A' || a.Country[1] > 'Z') {
		return Invalidf(field+".country", "Use an ISO 3166-1 alpha-2 code, such as FI.")
	}
	return nil
}

func (c Contact) validate(field string, required bool) error {
	if required {
		if err := RequiredText(field+".name", c.Name, 200); err != nil {
			return err
		}
	} else if err := CheckText(field+".name", c.Name, 200); err != nil {
		return err
	}
	if err := validEmail(field+".email", c.Email, required); err != nil {
		return err
	}
	return CheckText(field+".phone", c.Phone, 40)
}

func validEmail(field, s string, required bool) error {
	if s == "" {
		if required {
			return Invalidf(field, "Required.")
		}
		return nil
	}
	if err := CheckText(field, s, 254); err != nil {
		return err
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || len(s) > 254 {
		return Invalidf(field, "Not an email address.")
	}
	return nil
}

// validURL accepts absolute https URLs, and http only for localhost, which
// development setups use.
func validURL(field, s string, required bool) error {
	if s == "" {
		if required {
			return Invalidf(field, "Required.")
		}
		return nil
	}
	if err := CheckText(field, s, 2000); err != nil {
		return err
	}
	u, err := url.Parse(s)
	if err != nil || len(s) > 2000 || u.Host == "" || u.User != nil {
		return Invalidf(field, "Not an absolute URL.")
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && (u.Hostname() == "localhost" || u.Hostname() == "127.0.0.1" || u.Hostname() == "::1"):
	default:
		return Invalidf(field, "Must be an https URL.")
	}
	return nil
}

// OrganisationFilter selects organisations. Nil fields do not filter.
type OrganisationFilter struct {
	Kind  *string
	After string // cursor: return records with IDs after this one
	Limit int
}

// OrganisationUpdate holds the fields a PATCH may change. Nil is unchanged.
type OrganisationUpdate struct {
	Name             *Text    `json:"name"`
	Email            *string  `json:"email"`
	Phone            *string  `json:"phone"`
	Address          *Address `json:"address"`
	Website          *string  `json:"website"`
	PrivacyPolicyURL *string  `json:"privacy_policy_url"`
	DPO              *Contact `json:"dpo"`
}

// Apply copies the set fields of u onto o.
func (u OrganisationUpdate) Apply(o *Organisation) {
	setIf(&o.Name, u.Name)
	setIf(&o.Email, u.Email)
	setIf(&o.Phone, u.Phone)
	setIf(&o.Address, u.Address)
	setIf(&o.Website, u.Website)
	setIf(&o.PrivacyPolicyURL, u.PrivacyPolicyURL)
	setIf(&o.DPO, u.DPO)
}

func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// OrganisationService manages organisations. Organisations are public
// controller information: every caller reads them; only operator admins write.
type OrganisationService interface {
	// FindOrganisationByID returns ENOTFOUND if missing or not visible.
	FindOrganisationByID(ctx context.Context, id string) (*Organisation, error)
	// FindOrganisations returns a page of organisations and the cursor of
	// the next page ("" on the last).
	FindOrganisations(ctx context.Context, f OrganisationFilter) ([]*Organisation, string, error)
	// CreateOrganisation returns EINVALID on bad input and ECONFLICT when the
	// business ID is taken.
	CreateOrganisation(ctx context.Context, o *Organisation) error
	// UpdateOrganisation returns ENOTFOUND, EINVALID or EFORBIDDEN.
	UpdateOrganisation(ctx context.Context, id string, u OrganisationUpdate) (*Organisation, error)
}
