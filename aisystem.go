// SPDX-License-Identifier: Apache-2.0

package omadata

import (
	"context"
	"slices"
	"time"
)

// AI system risk levels, after the EU AI Act. Unacceptable-risk systems are
// prohibited, so they cannot be registered as in use.
var AIRiskLevels = []string{"minimal", "limited", "high"}

// AI system statuses.
var AIStatuses = []string{"planned", "in_use", "retired"}

// AISystem is an entry of the public register of AI systems used in city
// services.
type AISystem struct {
	ID             string    `json:"id"`
	OrganisationID string    `json:"organisation_id"`
	Name           Text      `json:"name"`
	Description    Text      `json:"description"`
	Purpose        Text      `json:"purpose"`
	ProcessingIDs  []string  `json:"processing_ids"`
	DataGroupIDs   []string  `json:"data_group_ids"`
	LegalBasis     string    `json:"legal_basis"`
	HumanOversight Text      `json:"human_oversight"`
	RiskLevel      string    `json:"risk_level"`
	Status         string    `json:"status"`
	Contact        Contact   `json:"contact"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// Validate checks the entry's own fields.
func (a *AISystem) Validate() error {
	if !ValidID(PrefixOrganisation, a.OrganisationID) {
		return Invalidf("organisation_id", "Not an organisation ID.")
	} else if err := a.Name.Validate("name", 200, "fi", "sv", "en"); err != nil {
		return err
	} else if err := a.Description.Validate("description", 4000, "fi", "sv", "en"); err != nil {
		return err
	} else if err := a.Purpose.Validate("purpose", 2000, "fi", "sv", "en"); err != nil {
		return err
	} else if err := a.HumanOversight.Validate("human_oversight", 2000, "fi", "sv", "en"); err != nil {
		return err
	} else if !ValidLegalBasis(a.LegalBasis) {
		return Invalidf("legal_basis", "Unknown legal basis; use one of %s.", legalBasisCodes())
	} else if !slices.Contains(AIRiskLevels, a.RiskLevel) {
		return Invalidf("risk_level", "Use minimal, limited or high.")
	} else if !slices.Contains(AIStatuses, a.Status) {
		return Invalidf("status", "Use planned, in_use or retired.")
	} else if err := a.Contact.validate("contact", true); err != nil {
		return err
	}
	for i, id := range a.ProcessingIDs {
		if !ValidID(PrefixProcessing, id) || slices.Contains(a.ProcessingIDs[:i], id) {
			return Invalidf("processing_ids", "Not a list of distinct processing IDs.")
		}
	}
	for i, id := range a.DataGroupIDs {
		if !ValidID(PrefixDataGroup, id) || slices.Contains(a.DataGroupIDs[:i], id) {
			return Invalidf("data_group_ids", "Not a list of distinct data group IDs.")
		}
	}
	return nil
}

// AISystemUpdate holds the fields a PATCH may change.
type AISystemUpdate struct {
	Name           *Text     `json:"name"`
	Description    *Text     `json:"description"`
	Purpose        *Text     `json:"purpose"`
	ProcessingIDs  *[]string `json:"processing_ids"`
	DataGroupIDs   *[]string `json:"data_group_ids"`
	LegalBasis     *string   `json:"legal_basis"`
	HumanOversight *Text     `json:"human_oversight"`
	RiskLevel      *string   `json:"risk_level"`
	Status         *string   `json:"status"`
	Contact        *Contact  `json:"contact"`
}

// Apply copies the set fields of u onto a.
func (u AISystemUpdate) Apply(a *AISystem) {
	setIf(&a.Name, u.Name)
	setIf(&a.Description, u.Description)
	setIf(&a.Purpose, u.Purpose)
	setIf(&a.ProcessingIDs, u.ProcessingIDs)
	setIf(&a.DataGroupIDs, u.DataGroupIDs)
	setIf(&a.LegalBasis, u.LegalBasis)
	setIf(&a.HumanOversight, u.HumanOversight)
	setIf(&a.RiskLevel, u.RiskLevel)
	setIf(&a.Status, u.Status)
	setIf(&a.Contact, u.Contact)
}

// AISystemFilter selects register entries.
type AISystemFilter struct {
	OrganisationID *string
	After          string
	Limit          int
}

// AISystemService manages the AI system register. Everyone reads; admins write.
type AISystemService interface {
	FindAISystemByID(ctx context.Context, id string) (*AISystem, error)
	FindAISystems(ctx context.Context, f AISystemFilter) ([]*AISystem, string, error)
	CreateAISystem(ctx context.Context, a *AISystem) error
	UpdateAISystem(ctx context.Context, id string, u AISystemUpdate) (*AISystem, error)
}
