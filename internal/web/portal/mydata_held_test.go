// SPDX-License-Identifier: Apache-2.0

package portal_test

import (
	"encoding/csv"
	"net/http"
	"regexp"
	"strings"
	"testing"

	src "github.com/omadata/omadata/client"
	"github.com/omadata/omadata/internal/demo/sources"
	"github.com/omadata/omadata/internal/glossary"
)

// garbage is a source that answers what is not the protocol's JSON.
var garbage = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte("<html>not json</html>"))
})

// TestMyDataHeld: "my data" lists each data group a source holds about the
// resident with its source, controller, legal basis and retention period,
// asks no source until the resident asks, then shows the data (items, a
// table with its CSV), "none", a source that is down and one that answers
// garbage, by name in every language, the error summary linking to their
// groups.
func TestMyDataHeld(t *testing.T) {
	e, recs := newSourcesEnv(t)
	recs["helsinki-school"].Close()            // down
	e.runSource(t, "helsinki-sports", garbage) // garbage
	loansID, eceID := e.demo.IDs["data-group/library-loans"], e.demo.IDs["data-group/ece-placements"]
	schoolID, sportsID := e.demo.IDs["data-group/school-enrolment"], e.demo.IDs["data-group/sports-services"]
	c := e.client(t)
	c.login("en", "aino")
	p := c.get("/en/my-data")
	held := between(p.body, `<h2 id="held">`, `<h2 id="used">`)
	for _, w := range []string{"Your data at the city&#39;s data sources", "<h3>Library loans</h3>", "Data source</dt><dd>Helmet libraries", "Controller</dt><dd>Culture and Leisure Division",
		"Legal basis</dt><dd>task in the public interest or exercise of official authority</dd>\n<dt>Retention period</dt><dd>1 year", `href="/en/my-data?show=all"`,
		`href="/en/my-data?show=` + loansID + `#dg-` + loansID + `">Show the data: Library loans</a>`} {
		if !strings.Contains(held, w) {
			t.Errorf("the list lacks %q:\n%s", w, held)
		}
	}
	for key, rec := range recs {
		if n := len(rec.Requests()); n > 0 {
			t.Errorf("listing the groups asked %s %d times", key, n)
		}
	}
	if strings.Contains(p.body, "error-summary") {
		t.Error("the list shows a problem")
	}

	for lang, want := range map[string][]string{
		"en": {"Not every data source answered", "Helsinki basic education did not answer; try again later.", "The answer from Helsinki sports services could not be read; try again later.",
			"Helsinki early childhood education holds no data about you in this data group now.",
			`<caption id="cap-dg-` + loansID + `">Library loans</caption>`, `<th scope="col">Due</th>`, "On loan</dt><dd>Tove Jansson: Muumipappa ja meri (12 November 2026)",
			"Download the table as a CSV file: Library loans"},
		"fi": {"Kaikki tietolähteet eivät vastanneet", "Tietolähde Helsingin perusopetus ei vastannut. Yritä myöhemmin uudelleen.", "Tietolähteen Helsingin liikuntapalvelut vastausta ei voitu lukea. Yritä myöhemmin uudelleen.",
			"Tietolähteessä Helsingin varhaiskasvatus ei ole tällä hetkellä tietoja sinusta tässä tietoryhmässä.", "Lainassa</dt><dd>Tove Jansson: Muumipappa ja meri (12.11.2026)", "Lataa taulukko CSV-tiedostona"},
		"sv": {"Alla datakällor svarade inte", "Datakällan Den grundläggande utbildningen i Helsingfors svarade inte. Försök igen senare.", "Svaret från datakällan Idrottstjänsterna i Helsingfors kunde inte läsas. Försök igen senare.",
			"Datakällan Småbarnspedagogiken i Helsingfors har för närvarande inga uppgifter om dig i den här datagruppen.", "Utlånat</dt><dd>Tove Jansson: Muumipappa ja meri (12.11.2026)", "Ladda ner tabellen som CSV-fil"},
	} {
		c := e.client(t)
		c.login(lang, "aino")
		p := c.get("/" + lang + "/my-data?show=all")
		if p.status != 200 {
			t.Fatalf("%s: show all: %d", lang, p.status)
		}
		for _, w := range want {
			if !strings.Contains(p.body, w) {
				t.Errorf("%s: shown data lacks %q:\n%s", lang, w, between(p.body, "<main", `<h2 id="used">`))
			}
		}
		summary := between(p.body, `<div class="error-summary"`, "</div>")
		if !strings.Contains(summary, `href="#dg-`+schoolID+`"`) || !strings.Contains(summary, `href="#dg-`+sportsID+`"`) || strings.Contains(summary, loansID) || strings.Contains(summary, eceID) {
			t.Errorf("%s: the summary does not link to the groups whose source failed only:\n%s", lang, summary)
		}
	}

	// One group: only its source is asked.
	before := len(recs["helmet"].Requests())
	p = c.get("/en/my-data?show=" + eceID)
	if !strings.Contains(p.body, "Helsinki early childhood education holds no data about you in this data group now.") || strings.Contains(p.body, "error-summary") ||
		!strings.Contains(p.body, "Show the data: Library loans") || len(recs["helmet"].Requests()) != before {
		t.Errorf("one group:\n%s", between(p.body, "<main", `<h2 id="used">`))
	}
	if p := c.get("/en/my-data?show=dg_00000000000000000000000000"); p.status != http.StatusNotFound {
		t.Errorf("a group the resident's sources do not hold: %d", p.status)
	}
	// The resident's own views are not data handed over.
	if used := between(c.get("/en/my-data").body, `<h2 id="used">`, `<h2 id="registers">`); !strings.Contains(used, "No data has been handed over.") {
		t.Errorf("my own views show as handed over:\n%s", used)
	}
}

// TestMyDataCSV: a group's table downloads as CSV in the page's language,
// fetched live, a cell that a spreadsheet would run as a formula quoted;
// a group without a table now goes back to the page that says why.
func TestMyDataCSV(t *testing.T) {
	e, recs := newSourcesEnv(t)
	lib := e.customSource(t, "helmet", func(person, code string) *src.OwnDataAnswer {
		a := sourcesAnswer("helmet", code, person)
		a.Table.Rows = append(a.Table.Rows, map[string]string{"title": `=HYPERLINK("http://evil.example")`, "borrowed": "2026-11-01", "due": "-1"})
		return a
	})
	recs["helsinki-ece"].Close()
	loansID, eceID := e.demo.IDs["data-group/library-loans"], e.demo.IDs["data-group/ece-placements"]
	c := e.client(t)
	c.login("fi", "aino")
	req, _ := http.NewRequest("GET", e.url+"/fi/my-data/"+loansID+"/csv", nil)
	res, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	rows, err := csv.NewReader(res.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/csv; charset=utf-8" || res.Header.Get("Content-Disposition") != "attachment; filename=library-loans.csv" {
		t.Errorf("CSV: %d %v", res.StatusCode, res.Header)
	}
	if len(rows) != 4 || strings.Join(rows[0], "|") != "Nimeke|Lainattu|Eräpäivä" || strings.Join(rows[3], "|") != `'=HYPERLINK("http://evil.example")|2026-11-01|'-1` {
		t.Errorf("CSV rows: %q", rows)
	}
	if len(lib.Requests()) != 1 {
		t.Errorf("the CSV was not fetched live: %d requests", len(lib.Requests()))
	}
	if p := c.noRedirects().get("/fi/my-data/" + eceID + "/csv"); p.status != http.StatusSeeOther {
		t.Errorf("CSV of a source that is down: %d", p.status)
	}
	if p := c.get("/fi/my-data/" + eceID + "/csv"); !strings.Contains(p.body, "Tietolähde Helsingin varhaiskasvatus ei vastannut.") {
		t.Errorf("CSV of a source that is down does not end at the page saying so")
	}
	if p := c.get("/fi/my-data/dg_00000000000000000000000000/csv"); p.status != http.StatusNotFound {
		t.Errorf("CSV of a group not held: %d", p.status)
	}
}

// fetchedRE is the time a page's data was fetched, which differs between
// runs.
var fetchedRE = regexp.MustCompile(`<p class="fetched">[^<]*</p>`)

// TestGoldenHeld pins "my data" with the sources' groups listed, and with
// their data shown: tables, items, a source that is down, one that
// answers garbage, ones that hold nothing.
func TestGoldenHeld(t *testing.T) {
	g, err := glossary.Load(glossary.Path())
	if err != nil {
		t.Fatal(err)
	}
	e, recs := newSourcesEnv(t)
	recs["helsinki-school"].Close()
	e.runSource(t, "helsinki-sports", garbage)
	c := e.client(t)
	c.login("fi", "matti")
	for _, lang := range []string{"fi", "sv", "en"} {
		for _, pg := range []struct{ name, query string }{{"my-data-held", ""}, {"my-data-shown", "?show=all"}} {
			t.Run(lang+"/"+pg.name, func(t *testing.T) {
				p := c.get("/" + lang + "/my-data" + pg.query)
				if p.status != 200 {
					t.Fatalf("got %d", p.status)
				}
				checkGolden(t, g, lang, pg.name, fetchedRE.ReplaceAllString(p.body, `<p class="fetched">FETCHED</p>`))
			})
		}
	}
}

// sourcesAnswer is what the demo source holds, which the test changes.
func sourcesAnswer(key, code, person string) *src.OwnDataAnswer {
	a := sources.Answer(key, code, person)
	if a == nil {
		return nil
	}
	if a.Table != nil {
		t := *a.Table
		t.Rows = append([]map[string]string(nil), t.Rows...)
		a.Table = &t
	}
	return a
}
