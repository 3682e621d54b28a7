// SPDX-License-Identifier: Apache-2.0

package omadata

import (
	"slices"
)

// Provision requirements: whether a resident must provide the data (GDPR
// Art 13(2)(e)).
const (
	ProvisionStatutory            = "statutory"             // required by law
	ProvisionContractual          = "contractual"           // required by a contract
	ProvisionContractPrecondition = "contract_precondition" // needed to enter into a contract
	ProvisionVoluntary            = "voluntary"             // the resident may decline
)

// ProvisionRequirements lists the provision requirements.
var ProvisionRequirements = []string{ProvisionStatutory, ProvisionContractual, ProvisionContractPrecondition, ProvisionVoluntary}

// Transfer safeguards for third-country transfers (GDPR Art 45 to 49).
const (
	SafeguardAdequacy        = "adequacy"         // Art 45 adequacy decision
	SafeguardStandardClauses = "standard_clauses" // Art 46(2)(c) standard data protection clauses
	SafeguardBindingRules    = "binding_rules"    // Art 47 binding corporate rules
	SafeguardDerogation      = "derogation"       // Art 49 derogation for a specific situation
)

// TransferSafeguards lists the transfer safeguards.
var TransferSafeguards = []string{SafeguardAdequacy, SafeguardStandardClauses, SafeguardBindingRules, SafeguardDerogation}

// eea lists the EU and EEA countries, to which a transfer is not a
// third-country transfer.
var eea = []string{"AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IS", "IT",
	"LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK"}

// CountryTransfer is a transfer of the data to a country outside the EU and EEA,
// with the safeguard it rests on (GDPR Art 13(1)(f)).
type CountryTransfer struct {
	Country   string `json:"country"` // ISO 3166-1 alpha-2
	Safeguard string `json:"safeguard"`
}

// Transparency holds what GDPR Articles 13 and 14 require residents be
// told about a processing version beyond its other fields. A processing
// version carries it; the catalogue shows it.
type Transparency struct {
	// LegitimateInterest states the interest pursued, required on (and
	// only on) legitimate interests, A6-1-f (Art 13(1)(d)).
	LegitimateInterest Text `json:"legitimate_interest,omitempty"`
	// Transfers lists transfers outside the EU and EEA; empty means none.
	Transfers []CountryTransfer `json:"third_country_transfers,omitempty"`
	// ProvisionRequirement says whether providing the data is a statutory
	// or contractual requirement (Art 13(2)(e)); empty means it follows
	// from the legal basis (DefaultProvision).
	ProvisionRequirement string `json:"provision_requirement,omitempty"`
	// ProvisionConsequence says what follows from not providing the data.
	ProvisionConsequence Text `json:"provision_consequence,omitempty"`
	// AutomatedDecisionLogic is meaningful information about the logic,
	// significance and consequences of automated decisions (Art
	// 13(2)(f)), required when the version makes them.
	AutomatedDecisionLogic Text `json:"automated_decision_logic,omitempty"`
}

// validate checks the fields against the version's basis and its
// automated decisions.
func (t *Transparency) validate(basis string, automated bool) error {
	// That legitimate interests need one is checked by CheckProcessingRules,
	// after the rule that public authorities cannot rely on them.
	if err := t.LegitimateInterest.Validate("legitimate_interest", 1000); err != nil {
		return err
	} else if basis != BasisLegitimateInterest && len(t.LegitimateInterest) > 0 {
		return Invalidf("legitimate_interest", "Only for processings on legitimate interests (A6-1-f).")
	}
	if len(t.Transfers) > 50 {
		return Invalidf("third_country_transfers", "At most 50 transfers.")
	}
	for i, tr := range t.Transfers {
		switch {
		case !validCountry(tr.Country):
			return Invalidf("third_country_transfers.country", "Use an ISO 3166-1 alpha-2 code, such as US.")
		case slices.Contains(eea, tr.Country):
			return Invalidf("third_country_transfers.country", "%s is in the EU or EEA; list only countries outside them.", tr.Country)
		case !slices.Contains(TransferSafeguards, tr.Safeguard):
			return Invalidf("third_country_transfers.safeguard", "Use adequacy, standard_clauses, binding_rules or derogation.")
		}
		for _, prev := range t.Transfers[:i] {
			if prev.Country == tr.Country {
				return Invalidf("third_country_transfers.country", "%s given twice.", tr.Country)
			}
		}
	}
	if t.ProvisionRequirement != "" && !slices.Contains(ProvisionRequirements, t.ProvisionRequirement) {
		return Invalidf("provision_requirement", "Use statutory, contractual, contract_precondition or voluntary.")
	} else if err := t.ProvisionConsequence.Validate("provision_consequence", 1000); err != nil {
		return err
	} else if t.ProvisionRequirement != "" {
		if err := t.ProvisionConsequence.Validate("provision_consequence", 1000, "fi", "sv", "en"); err != nil {
			return err
		}
	} else if len(t.ProvisionConsequence) > 0 {
		return Invalidf("provision_consequence", "Give provision_requirement too.")
	}
	if err := t.AutomatedDecisionLogic.Validate("automated_decision_logic", 2000); err != nil {
		return err
	} else if automated {
		return t.AutomatedDecisionLogic.Validate("automated_decision_logic", 2000, "fi", "sv", "en")
	} else if len(t.AutomatedDecisionLogic) > 0 {
		return Invalidf("automated_decision_logic", "Only for processings that make automated decisions.")
	}
	return nil
}

func validCountry(c string) bool {
	return len(c) == 2 && c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z'
}

// DefaultProvision is the provision requirement that follows from a
// legal basis when a version states none: consent is voluntary, a
// contract contractual, a legal obligation or a public task statutory.
func DefaultProvision(basis string) string {
	switch basis {
	case BasisConsent:
		return ProvisionVoluntary
	case BasisContract:
		return ProvisionContractual
	case BasisLegalObligation, BasisPublicTask:
		return ProvisionStatutory
	}
	return ""
}

// Rights of the data subject (GDPR Art 15 to 22, Art 7(3)).
const (
	RightAccess        = "access"
	RightRectification = "rectification"
	RightErasure       = "erasure"
	RightRestriction   = "restriction"
	RightObjection     = "objection"
	RightPortability   = "portability"
	RightWithdrawal    = "withdrawal"
)

// RightsFor lists the rights a resident has over a processing on basis
// (and Art 9(2) condition art9): access, rectification, erasure and
// restriction always; objection on a public task or legitimate interests
// (Art 21); portability on consent or contract (Art 20); withdrawal of
// consent (Art 7(3)).
func RightsFor(basis, art9 string) []string {
	r := []string{RightAccess, RightRectification, RightErasure, RightRestriction}
	if basis == BasisPublicTask || basis == BasisLegitimateInterest {
		r = append(r, RightObjection)
	}
	if basis == BasisConsent || basis == BasisContract || art9 == "A9-2-a" {
		r = append(r, RightPortability)
	}
	if basis == BasisConsent || art9 == "A9-2-a" {
		r = append(r, RightWithdrawal)
	}
	return r
}

// SupervisoryAuthorityInfo is a supervisory authority with which a resident may lodge a
// complaint (GDPR Art 77).
type SupervisoryAuthorityInfo struct {
	Name    Text   `json:"name"`
	Address Text   `json:"address"`
	URL     string `json:"url"`
}

// SupervisoryAuthority is Finland's data protection authority.
var SupervisoryAuthority = SupervisoryAuthorityInfo{
	Name: Text{
		"fi": "Tietosuojavaltuutetun toimisto",
		"sv": "Dataombudsmannens byrå",
		"en": "Office of the Data Protection Ombudsman",
	},
	Address: Text{
		"fi": "PL 800, 00531 Helsinki",
		"sv": "PB 800, 00531 Helsingfors",
		"en": "P.O. Box 800, FI-00531 Helsinki, Finland",
	},
	URL: "https://tietosuoja.fi",
}
