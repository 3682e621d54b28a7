// SPDX-License-Identifier: Apache-2.0

package demo

import "github.com/omadata/omadata"

// The demo's records refer to each other by the demo's own keys; the loader
// turns those into IDs. content returns fresh values on every call, because
// creating a record fills in its ID and timestamps.

type orgSpec struct {
	key, parent string
	city        string // the demo city whose operator holds it in the demo network
	org         omadata.Organisation
}

type serviceSpec struct {
	key, org string
	svc      omadata.Service
	// records are the kinds of representation the operator designated the
	// service to record (a population register: guardian).
	records []string
}

type groupSpec struct {
	service string
	g       omadata.DataGroup
}

type processingSpec struct {
	service, purpose string
	groups           []string // data group codes
	d                omadata.ProcessingDraft
	notices          []omadata.Notice
}

type aiSpec struct {
	key, org            string
	processings, groups []string // processing and data group codes
	a                   omadata.AISystem
}

type catalogue struct {
	organisations []orgSpec
	services      []serviceSpec
	dataGroups    []groupSpec
	processings   []processingSpec
	aiSystems     []aiSpec
	tokenService  string // the sink that gets the demo service credential
	tokenSource   string // the source that gets the demo source credential; "" for none
	// network are the processings and register entries of one city's
	// operator that use data groups of another city's sources: they can
	// be created only once the operator mirrors that city's catalogue
	// (LoadNetwork).
	network struct {
		processings []processingSpec
		aiSystems   []aiSpec
	}
}

// Business IDs of the demo's company and research institute. They are
// fictional: their check digits are right, but the 9xxxxxx range has not
// been issued.
const (
	CompanyBusinessID   = "9876543-0"
	InstituteBusinessID = "9753108-5"
)

func text(fi, sv, en string) omadata.Text { return omadata.Text{"fi": fi, "sv": sv, "en": en} }

func content() catalogue {
	return catalogue{
		organisations: organisations(),
		services:      services(),
		dataGroups:    dataGroups(),
		processings:   processings(),
		aiSystems:     aiSystems(),
		tokenService:  "kirjasuositus",
		tokenSource:   "helmet",
	}
}

// organisations: the data protection officers (and the AI systems'
// contacts) are made-up people, named the same in every language: a contact
// has one name, and a Swedish page must not show "Espoon kaupungin".
func organisations() []orgSpec {
	helsinki := func(key, parent, kind string, name omadata.Text, businessID string) orgSpec {
		return orgSpec{key: key, parent: parent, city: CityHelsinki, org: omadata.Organisation{
			Kind: kind, Name: name, BusinessID: businessID,
			Email:            "helsinki.kirjaamo@hel.fi",
			Address:          omadata.Address{Street: "Pohjoisesplanadi 11–13", PostalCode: "00170", City: "Helsinki", Country: "FI"},
			Website:          "https://www.hel.fi",
			PrivacyPolicyURL: "https://www.hel.fi/tietosuoja",
			DPO:              omadata.Contact{Name: "Anna Lindqvist", Email: "tietosuoja@hel.fi"},
		}}
	}
	espoo := func(key, parent, kind string, name omadata.Text, businessID string) orgSpec {
		return orgSpec{key: key, parent: parent, city: CityEspoo, org: omadata.Organisation{
			Kind: kind, Name: name, BusinessID: businessID,
			Email:            "kirjaamo@espoo.fi",
			Address:          omadata.Address{Street: "PL 1", PostalCode: "02070", City: "Espoo", Country: "FI"},
			Website:          "https://www.espoo.fi",
			PrivacyPolicyURL: "https://www.espoo.fi/tietosuoja",
			DPO:              omadata.Contact{Name: "Mikael Nyström", Email: "tietosuoja@espoo.fi"},
		}}
	}
	return []orgSpec{
		helsinki("helsinki", "", omadata.OrgCity, text("Helsingin kaupunki", "Helsingfors stad", "City of Helsinki"), "0201256-6"),
		helsinki("helsinki-education", "helsinki", omadata.OrgDivision,
			text("Kasvatuksen ja koulutuksen toimiala", "Fostrans- och utbildningssektorn", "Education Division"), ""),
		helsinki("helsinki-culture", "helsinki", omadata.OrgDivision,
			text("Kulttuurin ja vapaa-ajan toimiala", "Kultur- och fritidssektorn", "Culture and Leisure Division"), ""),
		helsinki("helsinki-social-health", "helsinki", omadata.OrgDivision,
			text("Sosiaali-, terveys- ja pelastustoimiala", "Social-, hälsovårds- och räddningssektorn",
				"Social Services, Health Care and Rescue Services Division"), ""),
		espoo("espoo", "", omadata.OrgCity, text("Espoon kaupunki", "Esbo stad", "City of Espoo"), "0101263-6"),
		espoo("espoo-growth-learning", "espoo", omadata.OrgDivision,
			text("Kasvun ja oppimisen toimiala", "Sektorn för tillväxt och lärande", "Growth and Learning Sector"), ""),
		{key: "turku", city: CityTurku, org: omadata.Organisation{
			Kind: omadata.OrgCity, Name: text("Turun kaupunki", "Åbo stad", "City of Turku"), BusinessID: "0204819-8",
			Email:            "kirjaamo@turku.fi",
			Address:          omadata.Address{Street: "PL 355", PostalCode: "20101", City: "Turku", Country: "FI"},
			Website:          "https://www.turku.fi",
			PrivacyPolicyURL: "https://www.turku.fi/tietosuoja",
			DPO:              omadata.Contact{Name: "Sari Lehtonen", Email: "tietosuoja@turku.fi"},
		}},
		{key: "kirjasuositus", city: CityHelsinki, org: omadata.Organisation{
			Kind: omadata.OrgCompany, Name: text("Kirjasuositus Oy", "Kirjasuositus Oy", "Kirjasuositus Oy"), BusinessID: CompanyBusinessID,
			Email:            "asiakaspalvelu@kirjasuositus.example",
			Address:          omadata.Address{Street: "Esimerkkikatu 1", PostalCode: "00100", City: "Helsinki", Country: "FI"},
			Website:          "https://kirjasuositus.example",
			PrivacyPolicyURL: "https://kirjasuositus.example/tietosuoja",
			DPO:              omadata.Contact{Name: "Jussi Heikkinen", Email: "tietosuoja@kirjasuositus.example"},
		}},
		{key: "institute", city: CityTurku, org: omadata.Organisation{
			Kind: omadata.OrgResearchInstitute, BusinessID: InstituteBusinessID,
			Name: text("Kaupunkihyvinvoinnin tutkimuslaitos", "Forskningsinstitutet för urbant välbefinnande",
				"Institute for Urban Wellbeing Research"),
			Email:            "kirjaamo@kaupunkihyvinvointi.example",
			Address:          omadata.Address{Street: "Tutkijankatu 3", PostalCode: "20520", City: "Turku", Country: "FI"},
			Website:          "https://kaupunkihyvinvointi.example",
			PrivacyPolicyURL: "https://kaupunkihyvinvointi.example/tietosuoja",
			DPO:              omadata.Contact{Name: "Eeva Koskinen", Email: "tietosuoja@kaupunkihyvinvointi.example"},
		}},
	}
}

func services() []serviceSpec {
	source := []string{omadata.RoleSource}
	sink := []string{omadata.RoleSink}
	return []serviceSpec{
		{key: "helsinki-ece", org: "helsinki-education", svc: omadata.Service{Roles: source,
			Name: text("Helsingin varhaiskasvatus", "Småbarnspedagogiken i Helsingfors", "Helsinki early childhood education"),
			Description: text("Varhaiskasvatuksen hakemukset, paikat ja asiakasmaksut.",
				"Ansökningar, platser och klientavgifter inom småbarnspedagogiken.",
				"Applications, placements and client fees in early childhood education.")}},
		{key: "helmet", org: "helsinki-culture", svc: omadata.Service{Roles: source,
			Name: text("Helmet-kirjastot", "Helmet-biblioteken", "Helmet libraries"),
			Description: text("Helsingin kaupunginkirjaston asiakas- ja lainaustiedot.",
				"Kund- och låneuppgifter vid Helsingfors stadsbibliotek.",
				"Customer and loan records of Helsinki City Library.")}},
		{key: "helsinki-wellbeing", org: "helsinki-social-health", svc: omadata.Service{Roles: source,
			Name: text("Omat hyvinvointimittaukset", "Egna välbefinnandemätningar", "Own wellbeing measurements"),
			Description: text("Asukkaan itse tallentamat ja terveysasemalla tehdyt mittaukset, kuten verenpaine, paino ja liikunta.",
				"Mätningar som invånaren själv har sparat eller som gjorts på hälsostationen, till exempel blodtryck, vikt och motion.",
				"Measurements residents record themselves or have taken at a health station, such as blood pressure, weight and exercise.")}},
		{key: "helsinki-residents", org: "helsinki", svc: omadata.Service{Roles: source,
			Name: text("Helsingin asukastiedot", "Helsingfors invånaruppgifter", "Helsinki resident records"),
			Description: text("Kaupungin asiakasrekisterin perustiedot, jotka päivittyvät väestötietojärjestelmästä.",
				"Grunduppgifter i stadens kundregister, som uppdateras från befolkningsdatasystemet.",
				"Basic data in the city's customer register, updated from the Population Information System.")},
			records: []string{omadata.RepGuardian}},
		{key: "espoo-ece", org: "espoo-growth-learning", svc: omadata.Service{Roles: []string{omadata.RoleSource, omadata.RoleSink},
			Name: text("Espoon varhaiskasvatus", "Småbarnspedagogiken i Esbo", "Espoo early childhood education"),
			Description: text("Varhaiskasvatuspaikkojen järjestäminen Espoossa.",
				"Ordnande av platser inom småbarnspedagogiken i Esbo.",
				"Arranging places in early childhood education in Espoo.")}},
		{key: "helsinki-school", org: "helsinki-education", svc: omadata.Service{Roles: source,
			Name: text("Helsingin perusopetus", "Den grundläggande utbildningen i Helsingfors", "Helsinki basic education"),
			Description: text("Oppilaiden koulupaikat, vuosiluokat, kielivalinnat ja erityisruokavaliot.",
				"Elevernas skolplatser, årskurser, språkval och specialkost.",
				"Pupils' school places, grades, language choices and special diets.")}},
		{key: "helsinki-sports", org: "helsinki-culture", svc: omadata.Service{Roles: source,
			Name: text("Helsingin liikuntapalvelut", "Idrottstjänsterna i Helsingfors", "Helsinki sports services"),
			Description: text("Liikuntakortit, liikuntakurssit ja liikuntapaikkojen vakiovuorot.",
				"Motionskort, motionskurser och fasta turer i idrottsanläggningar.",
				"Sports cards, sports courses and regular bookings of sports facilities.")}},
		{key: "kirjasuositus", org: "kirjasuositus", svc: omadata.Service{Roles: sink,
			Name: text("Kirjasuositus", "Kirjasuositus", "Kirjasuositus"),
			Description: text("Henkilökohtaiset kirjasuositukset lukuhistoriasi perusteella.",
				"Personliga boktips utifrån din läshistorik.",
				"Personal book recommendations based on your reading history.")}},
		{key: "wellbeing-study", org: "institute", svc: omadata.Service{Roles: sink,
			Name: text("Hyvinvointi-indikaattoritutkimus", "Forskning om välbefinnandeindikatorer", "Wellbeing indicators study"),
			Description: text("Alueellisten hyvinvointi-indikaattoreiden laskeminen kaupunkilaisten mittauksista.",
				"Beräkning av regionala välbefinnandeindikatorer från invånarnas mätningar.",
				"Computing regional wellbeing indicators from residents' measurements.")}},
	}
}

func dataGroups() []groupSpec {
	return []groupSpec{
		{service: "helsinki-ece", g: omadata.DataGroup{Code: "ece-placements", LegalBasis: omadata.BasisLegalObligation, Retention: "P10Y",
			Name: text("Varhaiskasvatuspaikat", "Platser inom småbarnspedagogiken", "Early childhood education placements"),
			Description: text(
				"Lapsen varhaiskasvatuspaikka: päiväkoti tai perhepäivähoito, aloituspäivä, hoitoaika ja varhaiskasvatuksen kieli sekä lapsen huoltajat.",
				"Barnets plats inom småbarnspedagogiken: daghem eller familjedagvård, startdatum, vårdtid och språk samt barnets vårdnadshavare.",
				"The child's place in early childhood education: day-care centre or family day care, start date, hours of care and language, and the child's guardians."),
			PersonalDataCategories: []string{"pd:Name", "pd:DateOfBirth", "pd:Education", "pd:Family", "pd:Language"}}},
		{service: "espoo-ece", g: omadata.DataGroup{Code: "ece-places", LegalBasis: omadata.BasisLegalObligation, Retention: "P10Y",
			Name: text("Varhaiskasvatuspaikat", "Platser inom småbarnspedagogiken", "Early childhood education places"),
			Description: text(
				"Lapsen varhaiskasvatuspaikka Espoossa: päiväkoti, aloituspäivä, hoitoaika ja kieli sekä toisesta kunnasta siirtyneet tiedot.",
				"Barnets plats inom småbarnspedagogiken i Esbo: daghem, startdatum, vårdtid och språk samt uppgifter som överförts från en annan kommun.",
				"The child's place in early childhood education in Espoo: day-care centre, start date, hours of care and language, and data moved from another municipality."),
			PersonalDataCategories: []string{"pd:Name", "pd:DateOfBirth", "pd:Education", "pd:Family", "pd:Language"}}},
		{service: "helsinki-school", g: omadata.DataGroup{Code: "school-enrolment", LegalBasis: omadata.BasisLegalObligation, Retention: "P10Y",
			Name: text("Koulupaikka", "Skolplats", "School place"),
			Description: text(
				"Oppilaan koulu, vuosiluokka, valinnaiset kielet ja erityisruokavalio.",
				"Elevens skola, årskurs, valfria språk och specialkost.",
				"The pupil's school, grade, optional languages and special diet."),
			PersonalDataCategories: []string{"pd:Name", "pd:Education", "pd:Language"}}},
		{service: "helsinki-sports", g: omadata.DataGroup{Code: "sports-services", LegalBasis: omadata.BasisPublicTask, Retention: "P2Y",
			Name: text("Liikuntapalvelujen käyttö", "Användning av idrottstjänster", "Use of sports services"),
			Description: text(
				"Liikuntakorttisi, kurssi-ilmoittautumisesi ja liikuntapaikkojen vakiovuorosi maksuineen.",
				"Dina motionskort, kursanmälningar och fasta turer i idrottsanläggningar med avgifter.",
				"Your sports cards, course enrolments and regular bookings of sports facilities, with their fees."),
			PersonalDataCategories: []string{"pd:ServiceConsumptionBehavior", "pd:Interest"}}},
		{service: "helmet", g: omadata.DataGroup{Code: "library-loans", LegalBasis: omadata.BasisPublicTask, Retention: "P1Y",
			Name: text("Kirjastolainat", "Bibliotekslån", "Library loans"),
			Description: text(
				"Lainaamasi ja varaamasi aineisto sekä lainahistoriasi, jos olet ottanut sen käyttöön.",
				"Material som du har lånat och reserverat samt din lånehistorik, om du har aktiverat den.",
				"Items you have borrowed and reserved, and your loan history if you have switched it on."),
			PersonalDataCategories: []string{"pd:ServiceConsumptionBehavior", "pd:Interest"}}},
		{service: "helsinki-wellbeing", g: omadata.DataGroup{Code: "wellbeing-measurements", LegalBasis: omadata.BasisConsent, Retention: "P5Y", SpecialCategory: true,
			Name: text("Hyvinvointimittaukset", "Välbefinnandemätningar", "Wellbeing measurements"),
			Description: text(
				"Verenpaine, paino, pituus, leposyke ja päivittäiset askeleet mittauspäivineen.",
				"Blodtryck, vikt, längd, vilopuls och dagliga steg med mätdatum.",
				"Blood pressure, weight, height, resting heart rate and daily steps, with the dates measured."),
			PersonalDataCategories: []string{"pd:PhysicalHealth", "pd:HealthRecord"}}},
		{service: "helsinki-residents", g: omadata.DataGroup{Code: "address-history", LegalBasis: omadata.BasisPublicTask, Retention: "P5Y",
			Name: text("Osoitehistoria", "Adresshistorik", "Address history"),
			Description: text(
				"Nykyinen ja aiemmat osoitteesi Helsingissä sekä muuttopäivät.",
				"Din nuvarande och dina tidigare adresser i Helsingfors samt flyttdatum.",
				"Your current and previous addresses in Helsinki, with moving dates."),
			PersonalDataCategories: []string{"pd:Address"}}},
	}
}
