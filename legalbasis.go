// SPDX-License-Identifier: Apache-2.0

package omadata

import "strings"

// GDPRBase is the DPV namespace of GDPR legal bases.
const GDPRBase = "https://w3id.org/dpv/legal/eu/gdpr#"

// Legal bases of GDPR Art 6(1), by their DPV names.
const (
	BasisConsent            = "A6-1-a"
	BasisContract           = "A6-1-b"
	BasisLegalObligation    = "A6-1-c"
	BasisVitalInterests     = "A6-1-d"
	BasisPublicTask         = "A6-1-e"
	BasisLegitimateInterest = "A6-1-f"
)

// LegalBases lists the Art 6(1) bases with a short English label.
var LegalBases = []struct{ Code, Label string }{
	{BasisConsent, "Consent"},
	{BasisContract, "Contract"},
	{BasisLegalObligation, "Legal obligation"},
	{BasisVitalInterests, "Vital interests"},
	{BasisPublicTask, "Public task or official authority"},
	{BasisLegitimateInterest, "Legitimate interests"},
}

// Art9Conditions lists the Art 9(2) conditions for special-category data.
var Art9Conditions = []struct{ Code, Label string }{
	{"A9-2-a", "Explicit consent"},
	{"A9-2-b", "Employment, social security and social protection law"},
	{"A9-2-c", "Vital interests"},
	{"A9-2-d", "Not-for-profit body, members only"},
	{"A9-2-e", "Manifestly made public by the data subject"},
	{"A9-2-f", "Legal claims or courts"},
	{"A9-2-g", "Substantial public interest"},
	{"A9-2-h", "Health and social care"},
	{"A9-2-i", "Public health"},
	{"A9-2-j", "Archiving, scientific or historical research, statistics"},
}

// ValidLegalBasis reports whether code is an Art 6(1) basis.
func ValidLegalBasis(code string) bool {
	for _, b := range LegalBases {
		if b.Code == code {
			return true
		}
	}
	return false
}

// ValidArt9Condition reports whether code is an Art 9(2) condition.
func ValidArt9Condition(code string) bool {
	for _, c := range Art9Conditions {
		if c.Code == code {
			return true
		}
	}
	return false
}

// LegalBasisIRI returns the DPV IRI of a legal basis or Art 9 condition.
func LegalBasisIRI(code string) string { return GDPRBase + code }

func legalBasisCodes() string {
	codes := make([]string, len(LegalBases))
	for i, b := range LegalBases {
		codes[i] = b.Code
	}
	return strings.Join(codes, ", ")
}
