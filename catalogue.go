// SPDX-License-Identifier: Apache-2.0

package omadata

import (
	"context"
	"time"
)

// CatalogueEntry is one line of the public statement of what the city
// collects, for what, and on what ground: a published processing version,
// expanded with its sink, purpose and data groups. Anyone may read it.
type CatalogueEntry struct {
	ProcessingID string           `json:"processing_id"`
	Version      int              `json:"version"`
	Title        Text             `json:"title"`
	Description  Text             `json:"description"`
	Sink         CatalogueService `json:"sink"`
	// Operator names the peer operator the sink is registered at, for a
	// processing mirrored from its catalogue (docs/network.md); nil for
	// this operator's own. Its notices are the peer's, as published.
	Operator           *OperatorRef         `json:"operator,omitempty"`
	Purpose            CataloguePurpose     `json:"purpose"`
	LegalBasis         string               `json:"legal_basis"`
	LegalBasisIRI      string               `json:"legal_basis_iri"`
	Art9Condition      string               `json:"art9_condition,omitempty"`
	LegalBasisNote     string               `json:"legal_basis_note,omitempty"`
	DataGroups         []CatalogueDataGroup `json:"data_groups"`
	Retention          string               `json:"retention"`
	Recipients         []Recipient          `json:"recipients"`
	AutomatedDecisions bool                 `json:"automated_decisions"`
	Transparency
	// Controller is the organisation that decides on the processing: the
	// sink's organisation, with its contact and its data protection
	// officer (Art 13(1)(a) and (b)).
	Controller CatalogueController `json:"controller"`
	// Rights lists the resident's rights under the version's basis
	// (RightsFor).
	Rights []string `json:"rights"`
	// SupervisoryAuthority is where a resident may lodge a complaint.
	SupervisoryAuthority SupervisoryAuthorityInfo `json:"supervisory_authority"`
	// AISystems lists the entries of the AI system register linked to the
	// processing.
	AISystems   []CatalogueAISystem `json:"ai_systems"`
	Notices     []*Notice           `json:"notices"`
	PublishedAt time.Time           `json:"published_at"`
}

// CatalogueController names the controller of a processing and how to
// reach it and its data protection officer. Parent names the city a
// division belongs to.
type CatalogueController struct {
	ID               string  `json:"id"`
	Kind             string  `json:"kind"`
	Name             Text    `json:"name"`
	BusinessID       string  `json:"business_id"`
	Parent           *Text   `json:"parent_name,omitempty"`
	Email            string  `json:"email"`
	Phone            string  `json:"phone,omitempty"`
	Address          Address `json:"address"`
	Website          string  `json:"website,omitempty"`
	PrivacyPolicyURL string  `json:"privacy_policy_url"`
	DPO              Contact `json:"dpo"`
}

// CatalogueAISystem names an AI system register entry linked to a
// processing.
type CatalogueAISystem struct {
	ID        string `json:"id"`
	Name      Text   `json:"name"`
	RiskLevel string `json:"risk_level"`
	Status    string `json:"status"`
}

// CatalogueService names a service and its organisation.
type CatalogueService struct {
	ID           string `json:"id"`
	Name         Text   `json:"name"`
	Organisation struct {
		ID   string `json:"id"`
		Name Text   `json:"name"`
	} `json:"organisation"`
}

// CataloguePurpose names a purpose and its DPV mapping.
type CataloguePurpose struct {
	ID          string   `json:"id"`
	Code        string   `json:"code"`
	Name        Text     `json:"name"`
	DPVPurposes []string `json:"dpv_purposes"`
}

// CatalogueDataGroup names a data group and the source that holds it.
type CatalogueDataGroup struct {
	ID              string `json:"id"`
	Code            string `json:"code"`
	Name            Text   `json:"name"`
	SpecialCategory bool   `json:"special_category"`
	// PersonalDataCategories are the group's DPV "pd:" categories (Art
	// 14(1)(d)).
	PersonalDataCategories []string         `json:"personal_data_categories"`
	Source                 CatalogueService `json:"source"`
}

// CatalogueFilter selects catalogue entries.
type CatalogueFilter struct {
	OrganisationID *string // entries whose sink or a source belongs to it
	PurposeID      *string
	After          string // processing ID cursor
	Limit          int
}

// CatalogueReader reads the public catalogue.
type CatalogueReader interface {
	// FindCatalogue returns published processings of approved sinks.
	FindCatalogue(ctx context.Context, f CatalogueFilter) ([]*CatalogueEntry, string, error)
	// FindCatalogueEntry returns one, ENOTFOUND unless published.
	FindCatalogueEntry(ctx context.Context, processingID string) (*CatalogueEntry, error)
}
