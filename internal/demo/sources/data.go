// SPDX-License-Identifier: Apache-2.0

package sources

import (
	"github.com/omadata/omadata"
	"github.com/omadata/omadata/client"
)

func text(fi, sv, en string) omadata.Text { return omadata.Text{"fi": fi, "sv": sv, "en": en} }

func item(label omadata.Text, value, date string) omadata.OwnDataItem {
	return omadata.OwnDataItem{Label: label, Value: value, Date: date}
}

// Labels shared by the sources.
var (
	lOnLoan   = text("Lainassa", "Utlånat", "On loan")
	lReserved = text("Varattu", "Reserverat", "Reserved")
	lHistory  = text("Lainahistoria", "Lånehistorik", "Loan history")
	lPlace    = text("Varhaiskasvatuspaikka", "Plats inom småbarnspedagogiken", "Early childhood education place")
	lHours    = text("Hoitoaika", "Vårdtid", "Hours of care")
	lLanguage = text("Varhaiskasvatuksen kieli", "Språk inom småbarnspedagogiken", "Language of early childhood education")
	lEnded    = text("Paikka päättyi", "Platsen upphörde", "Place ended")
	lSchool   = text("Koulu", "Skola", "School")
	lGrade    = text("Vuosiluokka", "Årskurs", "Grade")
	lLunch    = text("Erityisruokavalio", "Specialkost", "Special diet")
	lCard     = text("Liikuntakortti", "Motionskort", "Sports card")
	lCourse   = text("Liikuntakurssi", "Motionskurs", "Sports course")
	lBooking  = text("Vakiovuoro", "Fast tur", "Regular booking")
	lAddress  = text("Osoite", "Adress", "Address")
	lMovedOut = text("Muutti pois", "Flyttade bort", "Moved out")
	lSteps    = text("Askeleet, viikon keskiarvo", "Steg, veckans medeltal", "Steps, weekly average")
	lSleep    = text("Uni, viikon keskiarvo", "Sömn, veckans medeltal", "Sleep, weekly average")
	lDevice   = text("Mittalaite", "Mätare", "Measuring device")
)

// weeksTable is the table form of weekly wellbeing measurements.
func weeksTable(rows ...[3]string) *omadata.OwnDataTable {
	t := &omadata.OwnDataTable{Columns: []omadata.OwnDataColumn{
		{Key: "week", Label: text("Viikko", "Vecka", "Week")},
		{Key: "steps", Label: text("Askeleet päivässä", "Steg per dag", "Steps a day")},
		{Key: "sleep", Label: text("Uni yössä", "Sömn per natt", "Sleep a night")},
	}}
	for _, r := range rows {
		t.Rows = append(t.Rows, map[string]string{"week": r[0], "steps": r[1], "sleep": r[2]})
	}
	return t
}

// loansTable is the table form of a library's loans.
func loansTable(rows ...[3]string) *omadata.OwnDataTable {
	t := &omadata.OwnDataTable{Columns: []omadata.OwnDataColumn{
		{Key: "title", Label: text("Nimeke", "Titel", "Title")},
		{Key: "borrowed", Label: text("Lainattu", "Lånat", "Borrowed")},
		{Key: "due", Label: text("Eräpäivä", "Förfallodag", "Due")},
	}}
	for _, r := range rows {
		t.Rows = append(t.Rows, map[string]string{"title": r[0], "borrowed": r[1], "due": r[2]})
	}
	return t
}

// data is what each demo source holds, by source key (the demo
// catalogue's service key), data group code and demo person key. A person
// missing from a group is one the source holds nothing about there.
var data = map[string]map[string]map[string]*client.OwnDataAnswer{
	"helmet": {"library-loans": {
		"aino": {
			Items: []omadata.OwnDataItem{
				item(lOnLoan, "Tove Jansson: Muumipappa ja meri", "2026-11-12"),
				item(lOnLoan, "Väinö Linna: Tuntematon sotilas", "2026-11-20"),
				item(lReserved, "Sofi Oksanen: Puhdistus (Oodi)", "2026-11-28"),
				item(lHistory, "Käytössä", "2019-03-04"),
			},
			Table: loansTable(
				[3]string{"Tove Jansson: Muumipappa ja meri", "2026-11-12", "2026-12-03"},
				[3]string{"Väinö Linna: Tuntematon sotilas", "2026-11-20", "2026-12-11"},
			),
		},
		"matti": {
			Items: []omadata.OwnDataItem{
				item(lOnLoan, "Pirkka-Pekka Petelius: Retkeilijän käsikirja", "2026-10-30"),
				item(lOnLoan, "Mauri Kunnas: Koiramäen talossa (lasten)", "2026-11-15"),
			},
			Table: loansTable(
				[3]string{"Pirkka-Pekka Petelius: Retkeilijän käsikirja", "2026-10-30", "2026-11-27"},
				[3]string{"Mauri Kunnas: Koiramäen talossa", "2026-11-15", "2026-12-06"},
			),
		},
		"sanna": {Items: []omadata.OwnDataItem{
			item(lOnLoan, "Minna Canth: Työmiehen vaimo", "2026-11-05"),
			item(lReserved, "Kaunis Espoo – opaskirja (Sello)", "2026-11-25"),
		}},
		"emma": {
			Items: []omadata.OwnDataItem{item(lOnLoan, "Timo Parvela: Ella ja kaverit", "2026-11-18")},
			Table: loansTable([3]string{"Timo Parvela: Ella ja kaverit", "2026-11-18", "2026-12-09"}),
		},
		"leo": {Items: []omadata.OwnDataItem{item(lOnLoan, "Mauri Kunnas: Herra Hakkaraisen aakkoset", "2026-11-18")}},
		"ella": {Items: []omadata.OwnDataItem{
			item(text("Lainattiin", "Lånades", "Borrowed"), "Aino Havukainen: Tatu ja Patu päiväkodissa (palautettu)", "2025-05-14"),
		}},
	}},
	"helsinki-ece": {"ece-placements": {
		"ella": {Items: []omadata.OwnDataItem{
			item(lPlace, "Päiväkoti Lepatriinu, Kallio, Helsinki", "2023-08-01"),
			item(lHours, "Yli 35 tuntia viikossa", "2023-08-01"),
			item(lLanguage, "suomi", "2023-08-01"),
			item(lEnded, "Muutto Espooseen", "2025-07-31"),
		}},
		"leo": {Items: []omadata.OwnDataItem{
			item(lPlace, "Päiväkoti Auringonkukka, Vallila, Helsinki", "2020-08-03"),
			item(text("Esiopetus", "Förskoleundervisning", "Pre-primary education"), "Päiväkoti Auringonkukka", "2024-08-08"),
			item(lEnded, "Siirtyi perusopetukseen", "2025-05-31"),
		}},
	}},
	"espoo-ece": {"ece-places": {
		"ella": {Items: []omadata.OwnDataItem{
			item(lPlace, "Päiväkoti Metsätähti, Tapiola, Espoo", "2025-08-04"),
			item(lHours, "25–35 tuntia viikossa", "2025-08-04"),
			item(lLanguage, "suomi", "2025-08-04"),
			item(text("Siirtyneet tiedot", "Överförda uppgifter", "Data moved"), "Varhaiskasvatussuunnitelma Helsingistä", "2025-08-04"),
		}},
	}},
	"helsinki-school": {"school-enrolment": {
		"emma": {Items: []omadata.OwnDataItem{
			item(lSchool, "Kalliolan yhtenäiskoulu, Helsinki", "2021-08-11"),
			item(lGrade, "7", "2026-08-12"),
			item(text("Valinnainen kieli", "Valfritt språk", "Optional language"), "saksa", "2024-08-08"),
		}},
		"leo": {Items: []omadata.OwnDataItem{
			item(lSchool, "Vallilan ala-aste, Helsinki", "2025-08-07"),
			item(lGrade, "2", "2026-08-12"),
			item(lLunch, "Laktoositon", "2025-08-07"),
		}},
	}},
	"helsinki-sports": {"sports-services": {
		"aino": {Items: []omadata.OwnDataItem{
			item(lCard, "Uimahallien 10 kerran sarjakortti, 4 käyntiä jäljellä", "2026-09-01"),
			item(lCourse, "Vesijumppa, Itäkeskuksen uimahalli, ti 18.00", "2026-09-08"),
		}},
		"matti": {
			Items: []omadata.OwnDataItem{item(lBooking, "Sulkapallo, Töölön palloiluhalli, to 19.00", "2026-08-20")},
			Table: &omadata.OwnDataTable{
				Columns: []omadata.OwnDataColumn{
					{Key: "date", Label: text("Päivä", "Dag", "Date")},
					{Key: "place", Label: text("Paikka", "Plats", "Place")},
					{Key: "price", Label: text("Hinta", "Pris", "Price")},
				},
				Rows: []map[string]string{
					{"date": "2026-11-05", "place": "Töölön palloiluhalli, kenttä 3", "price": "18,00 €"},
					{"date": "2026-11-12", "place": "Töölön palloiluhalli, kenttä 3", "price": "18,00 €"},
					{"date": "2026-11-19", "place": "Töölön palloiluhalli, kenttä 3", "price": "18,00 €"},
				},
			},
		},
		"sanna": {Items: []omadata.OwnDataItem{item(lCard, "Liikuntapalvelujen kausikortti (päättynyt muuton yhteydessä)", "2025-07-31")}},
		"emma":  {Items: []omadata.OwnDataItem{item(lCourse, "Tyttöjen futiskoulu, Brahenkenttä, ke 17.00", "2026-08-26")}},
	}},
	"helsinki-wellbeing": {"wellbeing-measurements": {
		"aino": {
			Items: []omadata.OwnDataItem{
				item(lDevice, "Aktiivisuusranneke (oma laite, yhdistetty 2026-03-02)", "2026-03-02"),
				item(lSteps, "8 420", "2026-11-29"),
				item(lSleep, "7 h 5 min", "2026-11-29"),
			},
			Table: weeksTable(
				[3]string{"2026-W46", "7 910", "6 h 50 min"},
				[3]string{"2026-W47", "8 960", "7 h 15 min"},
				[3]string{"2026-W48", "8 420", "7 h 5 min"},
			),
		},
		"matti": {
			Items: []omadata.OwnDataItem{
				item(lDevice, "Älypuhelimen askelmittari (yhdistetty 2025-10-14)", "2025-10-14"),
				item(lSteps, "6 150", "2026-11-29"),
			},
			Table: weeksTable(
				[3]string{"2026-W47", "5 870", "–"},
				[3]string{"2026-W48", "6 150", "–"},
			),
		},
	}},
	"helsinki-residents": {"address-history": {
		"aino":  {Items: []omadata.OwnDataItem{item(lAddress, "Mäkelänkatu 54 B 21, 00510 Helsinki", "2016-06-01")}},
		"matti": {Items: []omadata.OwnDataItem{item(lAddress, "Sturenkatu 11 A 5, 00510 Helsinki", "2012-04-15")}},
		"emma":  {Items: []omadata.OwnDataItem{item(lAddress, "Sturenkatu 11 A 5, 00510 Helsinki", "2014-05-10")}},
		"leo":   {Items: []omadata.OwnDataItem{item(lAddress, "Sturenkatu 11 A 5, 00510 Helsinki", "2018-09-20")}},
		"sanna": {Items: []omadata.OwnDataItem{
			item(lAddress, "Fleminginkatu 7 C 30, 00530 Helsinki", "2019-02-01"),
			item(lMovedOut, "Espoo (Tapiola); uusi osoite Espoon tiedoissa", "2025-07-31"),
		}},
		"ella": {Items: []omadata.OwnDataItem{
			item(lAddress, "Fleminginkatu 7 C 30, 00530 Helsinki", "2021-03-15"),
			item(lMovedOut, "Espoo (Tapiola); uusi osoite Espoon tiedoissa", "2025-07-31"),
		}},
	}},
}

// Answer returns what the demo source holds in the data group about the
// demo person, or nil for nothing.
func Answer(source, code, person string) *client.OwnDataAnswer {
	a := data[source][code][person]
	if a == nil {
		return nil
	}
	c := *a
	return &c
}

// Groups returns the data group codes the demo source answers for.
func Groups(source string) []string {
	var out []string
	for code := range data[source] {
		out = append(out, code)
	}
	return out
}

// Keys are the demo catalogue's services that answer as sources.
func Keys() []string {
	return []string{"helmet", "helsinki-ece", "espoo-ece", "helsinki-school", "helsinki-sports", "helsinki-wellbeing", "helsinki-residents"}
}
