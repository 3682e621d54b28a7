// SPDX-License-Identifier: Apache-2.0

package omadata

import (
	"context"
	"time"
)

// Purpose is why a sink wants data: one of the city taxonomy, mapped to W3C
// DPV purposes, with the legal bases a processing for it may use.
type Purpose struct {
	ID              string    `json:"id"`
	Code            string    `json:"code"`
	Name            Text      `json:"name"`
	Description     Text      `json:"description"`
	DPVPurposes     []string  `json:"dpv_purposes"`
	KantaraCategory string    `json:"kantara_category,omitempty"`
	LegalBases      []string  `json:"legal_bases"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

// Validate checks the purpose's own fields.
func (p *Purpose) Validate() error {
	if err := CheckText("code", p.Code, 64); err != nil {
		return err
	} else if !ValidCode(p.Code) {
		return Invalidf("code", "Use 1 to 64 lower-case letters, digits and hyphens.")
	} else if err := p.Name.Validate("name", 200, "fi", "sv", "en"); err != nil {
		return err
	} else if err := p.Description.Validate("description", 4000, "fi", "sv", "en"); err != nil {
		return err
	} else if err := CheckText("kantara_category", p.KantaraCategory, 100); err != nil {
		return err
	}
	if len(p.DPVPurposes) == 0 {
		return Invalidf("dpv_purposes", "Give at least one DPV purpose, such as dpv:ServiceProvision.")
	}
	for _, d := range p.DPVPurposes {
		if !ValidDPVPurpose(d) {
			return Invalidf("dpv_purposes", "Not a DPV purpose: %q; use the form dpv:ServiceProvision.", Truncate(d, 80))
		}
	}
	if len(p.LegalBases) == 0 {
		return Invalidf("legal_bases", "Give at least one legal basis.")
	}
	for _, b := range p.LegalBases {
		if !ValidLegalBasis(b) {
			return Invalidf("legal_bases", "Unknown legal basis %q; use one of %s.", Truncate(b, 20), legalBasisCodes())
		}
	}
	return nil
}

// PurposeUpdate holds the fields a PATCH may change.
type PurposeUpdate struct {
	Name            *Text     `json:"name"`
	Description     *Text     `json:"description"`
	DPVPurposes     *[]string `json:"dpv_purposes"`
	KantaraCategory *string   `json:"kantara_category"`
	LegalBases      *[]string `json:"legal_bases"`
}

// Apply copies the set fields of u onto p.
func (u PurposeUpdate) Apply(p *Purpose) {
	setIf(&p.Name, u.Name)
	setIf(&p.Description, u.Description)
	setIf(&p.DPVPurposes, u.DPVPurposes)
	setIf(&p.KantaraCategory, u.KantaraCategory)
	setIf(&p.LegalBases, u.LegalBases)
}

// PurposeService manages the purpose taxonomy. Everyone reads; admins write.
type PurposeService interface {
	FindPurposeByID(ctx context.Context, id string) (*Purpose, error)
	FindPurposes(ctx context.Context) ([]*Purpose, error)
	CreatePurpose(ctx context.Context, p *Purpose) error
	UpdatePurpose(ctx context.Context, id string, u PurposeUpdate) (*Purpose, error)
}
