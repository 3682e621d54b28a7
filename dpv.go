// SPDX-License-Identifier: Apache-2.0

package omadata

import (
	"slices"
	"strings"
)

// DPVBase is the namespace of DPV core concepts (purposes, processing).
const DPVBase = "https://w3id.org/dpv#"

// PDBase is the namespace of the DPV personal-data taxonomy.
const PDBase = "https://w3id.org/dpv/pd#"

// pdCategory is a category of the DPV personal-data taxonomy: whether it
// is special-category data under GDPR Art 9 (or Art 10), and its name for
// residents in each language, as it reads inside a sentence (lower case).
type pdCategory struct {
	special bool
	name    Text
}

// personalDataCategories is the part of the DPV personal-data taxonomy
// (https://w3id.org/dpv/pd) that city registers use. The names follow the
// terms of the GDPR's language versions where it has one (Art 4(1)
// location data, 4(13)-(15), 9(1), 10), else plain words.
var personalDataCategories = map[string]pdCategory{
	"Identifying":                {false, Text{"fi": "tunnistetiedot", "sv": "identifieringsuppgifter", "en": "identifying data"}},
	"Name":                       {false, Text{"fi": "nimi", "sv": "namn", "en": "name"}},
	"Age":                        {false, Text{"fi": "ikä", "sv": "ålder", "en": "age"}},
	"DateOfBirth":                {false, Text{"fi": "syntymäaika", "sv": "födelsedatum", "en": "date of birth"}},
	"Gender":                     {false, Text{"fi": "sukupuoli", "sv": "kön", "en": "gender"}},
	"Nationality":                {false, Text{"fi": "kansalaisuus", "sv": "medborgarskap", "en": "nationality"}},
	"Language":                   {false, Text{"fi": "kieli", "sv": "språk", "en": "language"}},
	"Contact":                    {false, Text{"fi": "yhteystiedot", "sv": "kontaktuppgifter", "en": "contact details"}},
	"Address":                    {false, Text{"fi": "osoite", "sv": "adress", "en": "address"}},
	"EmailAddress":               {false, Text{"fi": "sähköpostiosoite", "sv": "e-postadress", "en": "email address"}},
	"TelephoneNumber":            {false, Text{"fi": "puhelinnumero", "sv": "telefonnummer", "en": "telephone number"}},
	"Location":                   {false, Text{"fi": "sijaintitiedot", "sv": "lokaliseringsuppgifter", "en": "location data"}},
	"Family":                     {false, Text{"fi": "perhe", "sv": "familj", "en": "family"}},
	"FamilyStructure":            {false, Text{"fi": "perherakenne", "sv": "familjesammansättning", "en": "family structure"}},
	"Relationship":               {false, Text{"fi": "ihmissuhteet", "sv": "relationer", "en": "relationships"}},
	"Household":                  {false, Text{"fi": "kotitalous", "sv": "hushåll", "en": "household"}},
	"Education":                  {false, Text{"fi": "koulutus", "sv": "utbildning", "en": "education"}},
	"EducationExperience":        {false, Text{"fi": "koulutushistoria", "sv": "utbildningsbakgrund", "en": "educational background"}},
	"EducationQualification":     {false, Text{"fi": "tutkinnot", "sv": "examina", "en": "qualifications"}},
	"Professional":               {false, Text{"fi": "ammatti", "sv": "yrke", "en": "profession"}},
	"Employment":                 {false, Text{"fi": "työsuhde", "sv": "anställning", "en": "employment"}},
	"Financial":                  {false, Text{"fi": "taloudelliset tiedot", "sv": "ekonomiska uppgifter", "en": "financial data"}},
	"Income":                     {false, Text{"fi": "tulot", "sv": "inkomster", "en": "income"}},
	"Behavioral":                 {false, Text{"fi": "käyttäytyminen", "sv": "beteende", "en": "behaviour"}},
	"ServiceConsumptionBehavior": {false, Text{"fi": "palvelujen käyttö", "sv": "användning av tjänster", "en": "use of services"}},
	"Interest":                   {false, Text{"fi": "kiinnostuksen kohteet", "sv": "intressen", "en": "interests"}},
	"Preference":                 {false, Text{"fi": "mieltymykset", "sv": "preferenser", "en": "preferences"}},
	"Opinion":                    {false, Text{"fi": "mielipiteet", "sv": "åsikter", "en": "opinions"}},
	"Social":                     {false, Text{"fi": "sosiaalinen elämä", "sv": "socialt liv", "en": "social life"}},
	"Demographic":                {false, Text{"fi": "väestötiedot", "sv": "demografiska uppgifter", "en": "demographic data"}},
	"OfficialID":                 {false, Text{"fi": "viralliset tunnisteet", "sv": "officiella identifierare", "en": "official identifiers"}},
	"PhysicalCharacteristic":     {false, Text{"fi": "fyysiset ominaisuudet", "sv": "fysiska kännetecken", "en": "physical characteristics"}},
	"Health":                     {true, Text{"fi": "terveystiedot", "sv": "uppgifter om hälsa", "en": "data concerning health"}},
	"HealthRecord":               {true, Text{"fi": "potilastiedot", "sv": "journaluppgifter", "en": "health records"}},
	"HealthHistory":              {true, Text{"fi": "terveyshistoria", "sv": "hälsohistorik", "en": "health history"}},
	"MentalHealth":               {true, Text{"fi": "mielenterveys", "sv": "psykisk hälsa", "en": "mental health"}},
	"PhysicalHealth":             {true, Text{"fi": "fyysinen terveys", "sv": "fysisk hälsa", "en": "physical health"}},
	"Biometric":                  {true, Text{"fi": "biometriset tiedot", "sv": "biometriska uppgifter", "en": "biometric data"}},
	"Genetic":                    {true, Text{"fi": "geneettiset tiedot", "sv": "genetiska uppgifter", "en": "genetic data"}},
	"Ethnicity":                  {true, Text{"fi": "etninen alkuperä", "sv": "etniskt ursprung", "en": "ethnic origin"}},
	"Religion":                   {true, Text{"fi": "uskonnollinen vakaumus", "sv": "religiös övertygelse", "en": "religious beliefs"}},
	"PoliticalAffiliation":       {true, Text{"fi": "poliittiset mielipiteet", "sv": "politiska åsikter", "en": "political opinions"}},
	"TradeUnionMembership":       {true, Text{"fi": "ammattiliiton jäsenyys", "sv": "medlemskap i fackförening", "en": "trade union membership"}},
	"Sexual":                     {true, Text{"fi": "seksuaalinen käyttäytyminen ja suuntautuminen", "sv": "sexualliv och sexuell läggning", "en": "sex life and sexual orientation"}},
	"Criminal":                   {true, Text{"fi": "rikostuomiot ja rikkomukset", "sv": "fällande domar i brottmål och överträdelser", "en": "criminal convictions and offences"}},
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
	c, ok := personalDataCategories[name]
	if !ok {
		return "", false, false
	}
	return "pd:" + name, c.special, true
}

// PersonalDataCategories returns the DPV personal-data categories the
// catalogue accepts, as "pd:Address", sorted.
func PersonalDataCategories() []string {
	out := make([]string, 0, len(personalDataCategories))
	for name := range personalDataCategories {
		out = append(out, "pd:"+name)
	}
	slices.Sort(out)
	return out
}

// PersonalDataCategoryName returns the name in lang of a DPV personal-data
// category given as "pd:Address" or the full IRI, as it reads inside a
// sentence; an unknown category is returned as given.
func PersonalDataCategoryName(code, lang string) string {
	name, found := strings.CutPrefix(code, "pd:")
	if !found {
		name, found = strings.CutPrefix(code, PDBase)
	}
	if c, ok := personalDataCategories[name]; found && ok {
		return c.name.In(lang)
	}
	return code
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
