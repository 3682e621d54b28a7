// SPDX-License-Identifier: Apache-2.0

package omadata

import "strings"

// DPVBase is the namespace of DPV core concepts (purposes, processing).
const DPVBase = "https://w3id.org/dpv#"

// PDBase is the namespace of the DPV personal-data taxonomy.
const PDBase = "https://w3id.org/dpv/pd#"

// personalDataCategories is the part of the DPV personal-data taxonomy
// (https://w3id.org/dpv/pd) that city registers use. The value says whether
// the category is special-category data under GDPR Art 9 (or Art 10).
var personalDataCategories = map[string]bool{
	"Identifying":                false,
	"Name":                       false,
	"Age":                        false,
	"DateOfBirth":                false,
	"Gender":                     false,
	"Nationality":                false,
	"Language":                   false,
	"Contact":                    false,
	"Address":                    false,
	"EmailAddress":               false,
	"TelephoneNumber":            false,
	"Location":                   false,
	"Family":                     false,
	"FamilyStructure":            false,
	"Relationship":               false,
	"Household":                  false,
	"Education":                  false,
	"EducationExperience":        false,
	"EducationQualification":     false,
	"Professional":               false,
	"Employment":                 false,
	"Financial":                  false,
	"Income":                     false,
	"Behavioral":                 false,
	"ServiceConsumptionBehavior": false,
	"Interest":                   false,
	"Preference":                 false,
	"Opinion":                    false,
	"Social":                     false,
	"Demographic":                false,
	"OfficialID":                 false,
	"PhysicalCharacteristic":     false,
	"Health":                     true,
	"HealthRecord":               true,
	"HealthHistory":              true,
	"MentalHealth":               true,
	"PhysicalHealth":             true,
	"Biometric":                  true,
	"Genetic":                    true,
	"Ethnicity":                  true,
	"Religion":                   true,
	"PoliticalAffiliation":       true,
	"TradeUnionMembership":       true,
	"Sexual":                     true,
	"Criminal":                   true,
}

// ParsePersonalDataCategory accepts "pd:Address" or the full IRI and returns
// the short form and whether the category is special-category data.
func ParsePersonalDataCategory(s string) (short string, special, ok bool) {
	name, found := strings.CutPrefix(s, "pd:")
	if !found {
		name, found = strings.CutPrefix(s, PDBase)
	}
	if !found {
		return "", false, false
	}
	special, ok = personalDataCategories[name]
	if !ok {
		return "", false, false
	}
	return "pd:" + name, special, true
}

// ValidDPVPurpose reports whether s names a DPV purpose, as "dpv:Name".
// The DPV purpose taxonomy is large and grows; we check the form only.
func ValidDPVPurpose(s string) bool {
	name, ok := strings.CutPrefix(s, "dpv:")
	if !ok || name == "" || len(name) > 100 || name[0] < 'A' || name[0] > 'Z' {
		return false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
