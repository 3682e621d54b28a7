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
	"github.com/omadata/omadata/internal/demo/sources"
	"github.com/omadata/omadata/internal/owndata"
	"github.com/omadata/omadata/internal/owndata/owndatatest"
	"github.com/omadata/omadata/internal/store/storetest"
	"github.com/omadata/omadata/internal/web/portal"
)

// newSourcesEnv is the demo operator whose portal asks the sources with
// the operator's own OwnDataService (internal/owndata), each within 2 s,
// and the demo's sources (internal/demo/sources) each as a separate HTTP
// server that records every request it receives, by the source's key
// ("helmet", "helsinki-ece", …). Every demo resident is linked to each,
// as serve --demo does.
func newSourcesEnv(t *testing.T) (*env, map[string]*owndatatest.Recorder) {
	t.Helper()
	e := newProviderEnv(t, time.Time{}, nil, nil, func(e *env, o *portal.Options) {
		od, err := owndata.New(e.store, nil, 2*time.Second, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		o.OwnData = od
	})
	st := e.store
	srcs, err := sources.Link(context.Background(), sources.Services{Services: st, DataGroups: st, Residents: st}, e.demo.IDs)
	if err != nil {
		t.Fatal(err)
	}
	e.own = srcs
	recs := map[string]*owndatatest.Recorder{}
	for _, s := range srcs {
		recs[s.Key] = e.runSource(t, s.Key, sources.Handler(s.Key, e.verifier(t, s.ServiceID), s.Groups, s.People))
	}
	return e, recs
}

// verifier is a source's grant verifier, with a credential of its own.
func (e *env) verifier(t *testing.T, serviceID string) *src.Verifier {
	t.Helper()
	cred := &omadata.Credential{ServiceID: serviceID, Name: "own data test", Scopes: []string{omadata.ScopeTransfers}}
	if err := e.store.CreateCredential(storetest.Admin(), cred); err != nil {
		t.Fatal(err)
	}
	return src.NewVerifier(e.url, serviceID, src.New(e.url, cred.Token), src.WithIssuer(storeIssuer))
}

// runSource serves h as the demo source key, a separate HTTP server that
// records every request, and points the source's API endpoint there.
func (e *env) runSource(t *testing.T, key string, h http.Handler) *owndatatest.Recorder {
	t.Helper()
	rec := owndatatest.NewRecorder(t, h)
	e.moveSource(t, key, rec.URL+"/api")
	return rec
}

// customSource runs the demo source key with the client package's
// handler answering fn for the demo person it knows by the pseudonym.
func (e *env) customSource(t *testing.T, key string, fn func(person, code string) *src.OwnDataAnswer) *owndatatest.Recorder {
	t.Helper()
	for _, s := range e.own {
		if s.Key != key {
			continue
		}
		return e.runSource(t, key, src.OwnDataHandler(e.verifier(t, s.ServiceID), s.Groups,
			func(_ context.Context, pseudonym, code string) (*src.OwnDataAnswer, error) {
				if a := fn(s.People[pseudonym], code); a != nil {
					return a, nil
				}
				return nil, omadata.NotFound("Resident")
			}))
	}
	t.Fatalf("no demo source %s", key)
	return nil
}

// moveSource points the demo source key's API endpoint at api.
func (e *env) moveSource(t *testing.T, key, api string) {
	t.Helper()
	if _, err := e.store.UpdateService(storetest.Admin(), e.demo.IDs["service/"+key], omadata.ServiceUpdate{Endpoints: &omadata.ServiceEndpoints{API: api}}); err != nil {
		t.Fatal(err)
	}
}

// storeIssuer is the iss the test store signs grants with
// (storetest.OpenURL); the test server's operator description names its
// own URL instead.
const storeIssuer = "https://omadata.test"

// TestMyDataSources: the demo's sources run as separate HTTP servers with
// the client package's handler. Aino sees her loans (items and a table)
// and her sports services fetched live in the portal, and that the early
// childhood education holds nothing about her; with the library's server
// down, the page names it and still shows the others' data. The views
// appear in "who used my data" as her own view, each with a proof that
// checks out, and neither her identity code nor her resident ID reaches
// any source.
func TestMyDataSources(t *testing.T) {
	e, recs := newSourcesEnv(t)
	c := e.client(t)
	c.login("en", "aino")
	p := c.get("/en/my-data?show=all")
	main := between(p.body, "<main", `<h2 id="used">`)
	for _, w := range []string{"Library loans", `<th scope="col">Due</th>`, "<td>Väinö Linna: Tuntematon sotilas</td><td>20 November 2026</td><td>11 December 2026</td>",
		"On loan</dt><dd>Tove Jansson: Muumipappa ja meri (12 November 2026)", "Download the table as a CSV file: Library loans",
		"Vesijumppa, Itäkeskuksen uimahalli", "Controller</dt><dd>Culture and Leisure Division</dd>", "Helsinki early childhood education holds no data about you in this data group now."} {
		if !strings.Contains(main, w) {
			t.Errorf("my data lacks %q:\n%s", w, main)
		}
	}
	// The controllers in English, also of sources no published processing
	// uses (the organisations of the catalogue name them otherwise).
	if strings.Contains(main, "toimiala") {
		t.Errorf("a controller named in Finnish on an English page:\n%s", main)
	}
	if strings.Contains(main, "error-summary") {
		t.Errorf("a problem with every source up:\n%s", main)
	}

	if csv := c.get("/sv/my-data/" + e.demo.IDs["data-group/library-loans"] + "/csv"); csv.status != 200 ||
		!strings.HasPrefix(csv.body, "Titel,Lånat,Förfallodag\r\n") || !strings.Contains(csv.body, "Väinö Linna: Tuntematon sotilas,2026-11-20,2026-12-11\r\n") {
		t.Errorf("the loans as CSV: %d\n%s", csv.status, csv.body)
	}

	recs["helmet"].Close()
	p = c.get("/en/my-data?show=all")
	main = between(p.body, "<main", `<h2 id="used">`)
	if !strings.Contains(between(main, `id="error-summary"`, "</div>"), "Helmet libraries did not answer; try again later.") || !strings.Contains(main, "Vesijumppa") {
		t.Errorf("with the library down:\n%s", main)
	}

	e.integrate(t)
	u := c.get("/en/usage")
	if views := strings.Count(u.body, "Transfer: You"); views < 2 {
		t.Errorf("who used my data shows %d own views, want every answer:\n%s", views, between(u.body, "<main", "</main>"))
	}
	card := between(u.body, "Transfer: You", "</li>")
	if !strings.Contains(card, "Viewing your own data") || !strings.Contains(card, "/en/usage/proof?index=") {
		t.Errorf("an own view's card:\n%s", card)
	}
	proof := between(card, `href="`, `"`)
	if pr := c.get(proof); !strings.Contains(pr.body, "The proof checks out") || !strings.Contains(pr.body, "transfer.recorded") {
		t.Errorf("the own view's proof (%s):\n%s", proof, between(pr.body, "<main", "</main>"))
	}
	aino := e.resident(t, ainoCode)
	for key, rec := range recs {
		if key == "helmet" || key == "helsinki-sports" || key == "helsinki-ece" {
			if len(rec.Requests()) == 0 {
				t.Errorf("%s was never asked", key)
			}
		}
		if rec.Contains(ainoCode) || rec.Contains(aino.ID) {
			t.Errorf("Aino's identity code or resident ID reached %s", key)
		}
	}
}

// TestMyDataSourcesRepresented: a guardian acting for a child sees the
// child's data at the sources; a mandate holder sees only the groups the
// mandate covers (Aino holds Sanna's mandate for statutory services,
// which use the early childhood education placements, not the library
// loans or sports). The store decides; the page shows what it is given.
func TestMyDataSourcesRepresented(t *testing.T) {
	e, _ := newSourcesEnv(t)
	const emmaCode, sannaCode = "100514A9037", "021290-905C"
	for _, tc := range []struct {
		person, principal string
		want, not         []string
	}{
		{"matti", emmaCode, []string{"Data about Emma Korhonen at the city&#39;s data sources", "<td>Timo Parvela: Ella ja kaverit</td>", "Kalliolan yhtenäiskoulu"}, nil},
		{"aino", sannaCode, []string{"Data about Sanna Mäkinen at the city&#39;s data sources", "Early childhood education placements"}, []string{"Library loans", "Minna Canth", "Liikuntapalvelujen"}},
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
// longer than the timeout (2 s here), and the other sources' data shows
// with the hanging one named.
func TestMyDataSourceHangs(t *testing.T) {
	e, _ := newSourcesEnv(t)
	release := make(chan struct{})
	hanging := owndatatest.NewRecorder(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release) }) // runs before the server closes
	e.moveSource(t, "helsinki-sports", hanging.URL+"/api")
	c := e.client(t)
	c.login("fi", "aino")
	start := time.Now()
	p := c.get("/fi/my-data?show=all")
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("the page took %v with a hanging source", d)
	}
	main := between(p.body, "<main", `<h2 id="used">`)
	if !strings.Contains(main, "ei vastannut. Yritä myöhemmin uudelleen.") || !strings.Contains(main, "<td>Väinö Linna: Tuntematon sotilas</td>") {
		t.Errorf("with a hanging source:\n%s", main)
	}
	if len(hanging.Requests()) == 0 {
		t.Error("the hanging source was never asked")
	}
}

// TestMyDataViewsKeepTransfers: the resident's own views, each a decision,
// a grant and a transfer in the log, never crowd the data handed over to
// others out of "My data".
func TestMyDataViewsKeepTransfers(t *testing.T) {
	e, _ := newSourcesEnv(t)
	e.loadActivity(t) // aino's measurements handed over to the study
	c := e.client(t)
	c.login("en", "aino")
	used := func() string {
		t.Helper()
		p := c.get("/en/my-data")
		return between(p.body, `<h2 id="used">`, "</table>")
	}
	before := used()
	if !strings.Contains(before, "Wellbeing") {
		t.Fatalf("no data handed over about the demo resident to start with:\n%s", before)
	}
	for range 6 { // 6 × (7 groups × 3 leaves) > the 100 uses read
		if p := c.get("/en/my-data?show=all"); p.status != 200 {
			t.Fatalf("show all: %d", p.status)
		}
	}
	if after := used(); after != before {
		t.Errorf("own views changed what was handed over:\nbefore\n%s\nafter\n%s", before, after)
	}
}
