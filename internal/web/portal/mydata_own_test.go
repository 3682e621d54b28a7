// SPDX-License-Identifier: Apache-2.0

package portal_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/glossary"
	"github.com/omadata/omadata/internal/web/portal"
)

// heldAnswers is an OwnDataService over the demo catalogue's library
// loans and early childhood education placements, answering each group as
// a test sets it, and counting the fetches. The browser test runs the
// operator's own OwnDataService against the demo's sources over HTTP; this
// one lets the page tests set each state a source can be in.
type heldAnswers struct {
	e       *env
	mu      sync.Mutex
	answers map[string]*omadata.OwnData // by data group code
	fetches int
	asked   []string // the residents asked about
}

var heldCodes = []struct{ service, code string }{{"helmet", "library-loans"}, {"helsinki-ece", "ece-placements"}}

func (h *heldAnswers) FindOwnDataGroups(ctx context.Context, residentID string) ([]*omadata.OwnDataGroup, error) {
	admin := omadata.NewContextWithCaller(ctx, omadata.Caller{Kind: omadata.CallerAdmin})
	var out []*omadata.OwnDataGroup
	for _, c := range heldCodes {
		g, err := h.e.store.FindDataGroupByID(admin, h.e.demo.IDs["data-group/"+c.code])
		if err != nil {
			return nil, err
		}
		s, err := h.e.store.FindServiceByID(admin, h.e.demo.IDs["service/"+c.service])
		if err != nil {
			return nil, err
		}
		out = append(out, &omadata.OwnDataGroup{DataGroup: g, Service: s, Controller: "City of Helsinki", LegalGround: omadata.BasisPublicTask})
	}
	return out, nil
}

func (h *heldAnswers) FetchOwnData(ctx context.Context, residentID string, ids []string) ([]*omadata.OwnData, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.fetches++
	h.asked = append(h.asked, residentID)
	groups, err := h.FindOwnDataGroups(ctx, residentID)
	if err != nil {
		return nil, err
	}
	var out []*omadata.OwnData
	for _, g := range groups {
		if len(ids) > 0 && !strings.Contains(strings.Join(ids, " "), g.DataGroup.ID) {
			continue
		}
		a := *h.answers[g.DataGroup.Code]
		a.DataGroupID, a.ServiceID = g.DataGroup.ID, g.Service.ID
		a.FetchedAt = time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
		out = append(out, &a)
	}
	return out, nil
}

// loans is the library's answer: items and a table.
var loans = &omadata.OwnData{Status: omadata.OwnDataOK,
	Items: []omadata.OwnDataItem{{Label: omadata.Text{"fi": "Lainoja nyt", "sv": "Lån nu", "en": "Loans now"}, Value: "2", Date: "2026-11-01"}},
	Table: &omadata.OwnDataTable{
		Columns: []omadata.OwnDataColumn{{Key: "title", Label: omadata.Text{"fi": "Nimeke", "sv": "Titel", "en": "Title"}}, {Key: "due", Label: omadata.Text{"fi": "Eräpäivä", "sv": "Förfallodag", "en": "Due"}}},
		Rows:    []map[string]string{{"title": "Seitsemän veljestä", "due": "2026-11-20"}, {"title": "=HYPERLINK(\"x\")", "due": "2026-11-27"}},
	}}

// newHeldEnv is the demo operator whose portal asks h for the resident's
// own data.
func newHeldEnv(t *testing.T) (*env, *heldAnswers) {
	t.Helper()
	h := &heldAnswers{answers: map[string]*omadata.OwnData{"library-loans": loans, "ece-placements": {Status: omadata.OwnDataUnavailable}}}
	e := newProviderEnv(t, time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC), nil, nil, func(e *env, o *portal.Options) {
		h.e = e
		o.OwnData = h
	})
	return e, h
}

// TestMyDataHeld: "my data" lists each data group a source holds about the
// resident with its source, controller, legal basis and retention period,
// fetches nothing until asked, then shows the data (items, a table with
// its CSV), "none", and a source that did not answer by name in every
// language, with the error summary linking to its group.
func TestMyDataHeld(t *testing.T) {
	e, h := newHeldEnv(t)
	loansID, eceID := e.demo.IDs["data-group/library-loans"], e.demo.IDs["data-group/ece-placements"]
	c := e.client(t)
	c.login("en", "aino")
	p := c.get("/en/my-data")
	held := between(p.body, `<h2 id="held">`, `<h2 id="used">`)
	for _, w := range []string{"Your data at the city&#39;s data sources", "Library loans", "Data source</dt><dd>Helmet libraries", "Controller</dt><dd>Culture and Leisure Division",
		"Legal basis</dt><dd>task in the public interest", "Retention period</dt><dd>1 year", `href="/en/my-data?show=all"`,
		`href="/en/my-data?show=` + loansID + `#dg-` + loansID + `">Show the data: Library loans</a>`} {
		if !strings.Contains(held, w) {
			t.Errorf("the list lacks %q:\n%s", w, held)
		}
	}
	if h.fetches != 0 || strings.Contains(p.body, "error-summary") {
		t.Errorf("listing the groups fetched data (%d) or shows a problem", h.fetches)
	}

	for lang, want := range map[string][]string{
		"en": {"Helsinki early childhood education did not answer; try again later.", "Not every data source answered", "<caption id=\"cap-dg-" + loansID + "\">Library loans</caption>", "<th scope=\"col\">Due</th>", "Loans now</dt><dd>2 (1 November 2026)", "Download the table as a CSV file: Library loans"},
		"fi": {"Tietolähde Helsingin varhaiskasvatus ei vastannut. Yritä myöhemmin uudelleen.", "Kaikki tietolähteet eivät vastanneet", "Lainoja nyt</dt><dd>2 (1.11.2026)", "Lataa taulukko CSV-tiedostona"},
		"sv": {"Datakällan Småbarnspedagogiken i Helsingfors svarade inte. Försök igen senare.", "Alla datakällor svarade inte", "Lån nu</dt><dd>2 (1.11.2026)", "Ladda ner tabellen som CSV-fil"},
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
		if !strings.Contains(summary, `href="#dg-`+eceID+`"`) || strings.Contains(summary, loansID) {
			t.Errorf("%s: the summary does not link to the group whose source is down only:\n%s", lang, summary)
		}
	}

	// One group; its source holds nothing now.
	h.answers["library-loans"] = &omadata.OwnData{Status: omadata.OwnDataNone}
	p = c.get("/en/my-data?show=" + loansID)
	if !strings.Contains(p.body, "Helmet libraries holds no data about you in this data group now.") || strings.Contains(p.body, "error-summary") ||
		!strings.Contains(p.body, "Show the data: Early childhood education placements") {
		t.Errorf("none:\n%s", between(p.body, "<main", `<h2 id="used">`))
	}
	if p := c.get("/en/my-data?show=dg_00000000000000000000000000"); p.status != http.StatusNotFound {
		t.Errorf("a group the resident's sources do not hold: %d", p.status)
	}
	// A source that answers what cannot be read.
	h.answers["ece-placements"] = &omadata.OwnData{Status: omadata.OwnDataInvalid}
	if p := c.get("/sv/my-data?show=" + eceID); !strings.Contains(p.body, "Svaret från datakällan Småbarnspedagogiken i Helsingfors kunde inte läsas. Försök igen senare.") {
		t.Errorf("invalid:\n%s", between(p.body, "<main", `<h2 id="used">`))
	}
}

// TestMyDataCSV: a group's table downloads as CSV in the page's language,
// fetched live, a cell that a spreadsheet would run as a formula quoted;
// a group without a table now goes back to the page that says why.
func TestMyDataCSV(t *testing.T) {
	e, h := newHeldEnv(t)
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
	want := [][]string{{"Nimeke", "Eräpäivä"}, {"Seitsemän veljestä", "2026-11-20"}, {"'=HYPERLINK(\"x\")", "2026-11-27"}}
	if len(rows) != 3 || strings.Join(rows[0], "|") != strings.Join(want[0], "|") || strings.Join(rows[2], "|") != strings.Join(want[2], "|") {
		t.Errorf("CSV rows: %q, want %q", rows, want)
	}
	if h.fetches != 1 {
		t.Errorf("the CSV was not fetched live: %d fetches", h.fetches)
	}
	p := c.noRedirects().get("/fi/my-data/" + eceID + "/csv")
	if p.status != http.StatusSeeOther {
		t.Errorf("CSV of a source that is down: %d", p.status)
	}
	if p := c.get("/fi/my-data/" + eceID + "/csv"); !strings.Contains(p.body, "ei vastannut") {
		t.Errorf("CSV of a source that is down does not end at the page saying so")
	}
	if p := c.get("/fi/my-data/dg_00000000000000000000000000/csv"); p.status != http.StatusNotFound {
		t.Errorf("CSV of a group not held: %d", p.status)
	}
}

// TestGoldenHeld pins "my data" with the sources' groups listed, and with
// their data shown: a table, items, a source that did not answer, one
// that holds nothing.
func TestGoldenHeld(t *testing.T) {
	g, err := glossary.Load(glossary.Path())
	if err != nil {
		t.Fatal(err)
	}
	e, h := newHeldEnv(t)
	c := e.client(t)
	c.login("fi", "aino")
	for _, lang := range []string{"fi", "sv", "en"} {
		h.answers["library-loans"], h.answers["ece-placements"] = loans, &omadata.OwnData{Status: omadata.OwnDataUnavailable}
		for _, pg := range []struct{ name, query string }{{"my-data-held", ""}, {"my-data-shown", "?show=all"}} {
			t.Run(lang+"/"+pg.name, func(t *testing.T) {
				p := c.get("/" + lang + "/my-data" + pg.query)
				if p.status != 200 {
					t.Fatalf("got %d", p.status)
				}
				checkGolden(t, g, lang, pg.name, p.body)
			})
		}
		h.answers["ece-placements"] = &omadata.OwnData{Status: omadata.OwnDataNone}
		t.Run(lang+"/my-data-none", func(t *testing.T) {
			p := c.get("/" + lang + "/my-data?show=" + e.demo.IDs["data-group/ece-placements"])
			checkGolden(t, g, lang, "my-data-none", p.body)
		})
	}
}

// TestMyDataHeldActing: a guardian acting for a child sees the child's
// groups and data: the portal asks the service about the child, and the
// service (the store) decides what the representation reaches.
func TestMyDataHeldActing(t *testing.T) {
	e, h := newHeldEnv(t)
	c := e.client(t)
	c.login("en", "matti")
	emma := e.resident(t, "100514A9037")
	p := c.get("/en/acting-for")
	c.post("/en/acting-for", url.Values{"csrf": {p.csrf(t)}, "principal": {emma.ID}})
	p = c.get("/en/my-data?show=all")
	if !strings.Contains(p.body, "Data about Emma Korhonen at the city&#39;s data sources") || !strings.Contains(p.body, "These data sources hold data about Emma Korhonen.") {
		t.Errorf("acting for Emma:\n%s", between(p.body, "<main", `<h2 id="used">`))
	}
	if len(h.asked) != 1 || h.asked[0] != emma.ID {
		t.Errorf("asked about %q, want Emma %s", h.asked, emma.ID)
	}
}
