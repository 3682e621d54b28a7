// SPDX-License-Identifier: Apache-2.0

package portal_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
	src "github.com/omadata/omadata/client"
	"github.com/omadata/omadata/internal/owndata"
	"github.com/omadata/omadata/internal/owndata/owndatatest"
	"github.com/omadata/omadata/internal/store/storetest"
	"github.com/omadata/omadata/internal/web/portal"
)

// newSourcesEnv is the demo operator whose portal asks the sources with
// the operator's own OwnDataService (internal/owndata), each within 2 s.
func newSourcesEnv(t *testing.T) *env {
	t.Helper()
	return newProviderEnv(t, time.Time{}, nil, nil, func(e *env, o *portal.Options) {
		od, err := owndata.New(e.store, nil, 2*time.Second, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		o.OwnData = od
	})
}

// demoSource runs the demo's source service (its key in the demo, such
// as "helmet") as a separate HTTP server, with the client package's
// handler for its data group code: its API endpoint is moved there, it
// gets a credential to verify grants, and it knows the residents of
// people by a pairwise pseudonym. answer gives what it holds, by the
// resident's identity code (nil: nothing). Every request it receives is
// recorded.
func (e *env) demoSource(t *testing.T, service, code string, answer func(identityCode string) *src.OwnDataAnswer, people ...string) *owndatatest.Recorder {
	t.Helper()
	admin := storetest.Admin()
	id := e.demo.IDs["service/"+service]
	var h http.Handler
	rec := owndatatest.NewRecorder(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	if _, err := e.store.UpdateService(admin, id, omadata.ServiceUpdate{Endpoints: &omadata.ServiceEndpoints{API: rec.URL + "/api"}}); err != nil {
		t.Fatal(err)
	}
	cred := &omadata.Credential{ServiceID: id, Name: "own data test", Scopes: []string{omadata.ScopeTransfers}}
	if err := e.store.CreateCredential(admin, cred); err != nil {
		t.Fatal(err)
	}
	known := map[string]string{} // pseudonym → identity code
	for _, code := range people {
		psn, err := e.store.Pseudonym(admin, id, e.resident(t, code).ID)
		if err != nil {
			t.Fatal(err)
		}
		known[psn] = code
	}
	mux := http.NewServeMux()
	mux.Handle("GET /api/omadata/own-data/{code}", src.OwnDataHandler(src.NewVerifier(e.url, id, src.New(e.url, cred.Token), src.WithIssuer(storeIssuer)),
		map[string]string{code: e.demo.IDs["data-group/"+code]},
		func(ctx context.Context, pseudonym, _ string) (*src.OwnDataAnswer, error) {
			who, ok := known[pseudonym]
			if !ok {
				return nil, omadata.NotFound("Resident")
			}
			if a := answer(who); a != nil {
				return a, nil
			}
			return nil, omadata.NotFound("Resident")
		}))
	h = mux
	return rec
}

// storeIssuer is the iss the test store signs grants with
// (storetest.OpenURL); the test server's operator description names its
// own URL instead.
const storeIssuer = "https://omadata.test"

// libraryLoans is the demo library's answer: Aino's loans as items and a
// table.
func libraryLoans(string) *src.OwnDataAnswer {
	return &src.OwnDataAnswer{
		Items: []omadata.OwnDataItem{{Label: omadata.Text{"fi": "Lainoja nyt", "sv": "Lån nu", "en": "Loans now"}, Value: "2", Date: "2026-11-01"}},
		Table: &omadata.OwnDataTable{
			Columns: []omadata.OwnDataColumn{{Key: "title", Label: omadata.Text{"fi": "Nimeke", "sv": "Titel", "en": "Title"}}, {Key: "due", Label: omadata.Text{"fi": "Eräpäivä", "sv": "Förfallodag", "en": "Due"}}},
			Rows:    []map[string]string{{"title": "Seitsemän veljestä", "due": "2026-11-20"}, {"title": "Tuntematon sotilas", "due": "2026-11-27"}},
		},
	}
}

// ecePlacement is the demo early childhood education's answer.
func ecePlacement(string) *src.OwnDataAnswer {
	return &src.OwnDataAnswer{Items: []omadata.OwnDataItem{{Label: omadata.Text{"fi": "Päiväkoti", "sv": "Daghem", "en": "Day care centre"}, Value: "Päiväkoti Satakieli", Date: "2025-08-01"}}}
}

// TestMyDataSources: the demo's library and early childhood education run
// as separate HTTP servers with the client package's handler. Aino sees
// her loans and her placement fetched live in the portal; with the early
// childhood education's server down, the page names it and still shows
// the library's data. The views appear in "who used my data" as her own
// view, each with a proof that checks out, and no identity code reaches
// either source.
func TestMyDataSources(t *testing.T) {
	e := newSourcesEnv(t)
	library := e.demoSource(t, "helmet", "library-loans", libraryLoans, ainoCode)
	ece := e.demoSource(t, "helsinki-ece", "ece-placements", ecePlacement, ainoCode)
	c := e.client(t)
	c.login("en", "aino")
	p := c.get("/en/my-data?show=all")
	main := between(p.body, "<main", `<h2 id="used">`)
	for _, w := range []string{"Library loans", "<th scope=\"col\">Due</th>", "<td>Tuntematon sotilas</td><td>27 November 2026</td>", "Loans now</dt><dd>2 (1 November 2026)",
		"Early childhood education placements", "Day care centre</dt><dd>Päiväkoti Satakieli (1 August 2025)", "Download the table as a CSV file: Library loans"} {
		if !strings.Contains(main, w) {
			t.Errorf("my data lacks %q:\n%s", w, main)
		}
	}
	if strings.Contains(main, "error-summary") {
		t.Errorf("a problem with both sources up:\n%s", main)
	}

	ece.Close()
	p = c.get("/en/my-data?show=all")
	main = between(p.body, "<main", `<h2 id="used">`)
	if !strings.Contains(main, "Helsinki early childhood education did not answer; try again later.") || !strings.Contains(main, "<td>Tuntematon sotilas</td>") {
		t.Errorf("with the early childhood education down:\n%s", main)
	}

	e.integrate(t)
	u := c.get("/en/usage")
	views := strings.Count(u.body, "Transfer: You (your own view)")
	if views < 3 { // both groups, then the library again
		t.Errorf("who used my data shows %d own views, want 3:\n%s", views, between(u.body, "<main", "</main>"))
	}
	card := between(u.body, "Transfer: You (your own view)", "</li>")
	if !strings.Contains(card, "Right of access") || !strings.Contains(card, "/en/usage/proof?index=") {
		t.Errorf("an own view's card:\n%s", card)
	}
	proof := between(card, `href="`, `"`)
	if pr := c.get(strings.ReplaceAll(proof, "&amp;", "&")); !strings.Contains(pr.body, "The proof checks out") || !strings.Contains(pr.body, "transfer.recorded") {
		t.Errorf("the own view's proof (%s):\n%s", proof, between(pr.body, "<main", "</main>"))
	}
	for name, rec := range map[string]*owndatatest.Recorder{"library": library, "early childhood education": ece} {
		if len(rec.Requests()) == 0 {
			t.Errorf("the %s was never asked", name)
		}
		if rec.Contains(ainoCode) || rec.Contains(e.resident(t, ainoCode).ID) {
			t.Errorf("Aino's identity code or resident ID reached the %s", name)
		}
	}
}

// TestMyDataSourcesRepresented: a guardian acting for a child sees the
// child's data at the sources; a mandate holder sees only the groups the
// mandate covers (Aino holds Sanna's mandate for statutory services,
// which use the early childhood education placements, not the library
// loans). The store decides; the page shows what it is given.
func TestMyDataSourcesRepresented(t *testing.T) {
	e := newSourcesEnv(t)
	const emmaCode, sannaCode = "100514A9037", "021290-905C"
	e.demoSource(t, "helmet", "library-loans", libraryLoans, emmaCode, sannaCode)
	e.demoSource(t, "helsinki-ece", "ece-placements", ecePlacement, emmaCode, sannaCode)
	for _, tc := range []struct {
		person, principal string
		want, not         []string
	}{
		{"matti", emmaCode, []string{"Data about Emma Korhonen at the city&#39;s data sources", "<td>Tuntematon sotilas</td>", "Päiväkoti Satakieli"}, nil},
		{"aino", sannaCode, []string{"Data about Sanna Mäkinen at the city&#39;s data sources", "Päiväkoti Satakieli"}, []string{"Library loans", "Tuntematon sotilas"}},
	} {
		c := e.client(t)
		c.login("en", tc.person)
		p := c.get("/en/acting-for")
		c.post("/en/acting-for", url.Values{"csrf": {p.csrf(t)}, "principal": {e.resident(t, tc.principal).ID}})
		p = c.get("/en/my-data?show=all")
		held := between(p.body, "<main", `<h2 id="used">`)
		for _, w := range tc.want {
			if !strings.Contains(held, w) {
				t.Errorf("%s for %s: lacks %q:\n%s", tc.person, tc.principal, w, held)
			}
		}
		for _, w := range tc.not {
			if strings.Contains(held, w) {
				t.Errorf("%s for %s: shows %q, which the representation does not cover", tc.person, tc.principal, w)
			}
		}
	}
}

// TestMyDataSourceHangs: a source that never answers holds "my data" no
// longer than the timeout (2 s here), and the other source's data shows
// with the hanging one named.
func TestMyDataSourceHangs(t *testing.T) {
	e := newSourcesEnv(t)
	e.demoSource(t, "helmet", "library-loans", libraryLoans, ainoCode)
	e.demoSource(t, "helsinki-ece", "ece-placements", ecePlacement, ainoCode)
	release := make(chan struct{})
	hanging := owndatatest.NewRecorder(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release) }) // runs before the server closes
	api := hanging.URL + "/api"
	if _, err := e.store.UpdateService(storetest.Admin(), e.demo.IDs["service/helsinki-ece"], omadata.ServiceUpdate{Endpoints: &omadata.ServiceEndpoints{API: api}}); err != nil {
		t.Fatal(err)
	}
	c := e.client(t)
	c.login("fi", "aino")
	start := time.Now()
	p := c.get("/fi/my-data?show=all")
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("the page took %v with a hanging source", d)
	}
	main := between(p.body, "<main", `<h2 id="used">`)
	if !strings.Contains(main, "Tietolähde Helsingin varhaiskasvatus ei vastannut. Yritä myöhemmin uudelleen.") || !strings.Contains(main, "<td>Tuntematon sotilas</td>") {
		t.Errorf("with a hanging source:\n%s", main)
	}
	if len(hanging.Requests()) == 0 {
		t.Error("the hanging source was never asked")
	}
}
