// SPDX-License-Identifier: Apache-2.0

package portal_test

import (
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/glossary"
	"github.com/omadata/omadata/internal/web/portal"
)

var (
	idRE        = regexp.MustCompile(`\b[a-z]{2,5}_[0-9a-z]{26}\b`)
	csrfValueRE = regexp.MustCompile(`name="csrf" value="[^"]+"`)
	cssRE       = regexp.MustCompile(`/static/portal\.[0-9a-f]+\.css`)
)

// normalise replaces what differs between runs: IDs, numbered in order of
// appearance, and the CSRF token; and the stylesheet's checksum, so that a
// change of style does not rewrite every file.
func normalise(s string) string {
	ids := map[string]string{}
	s = idRE.ReplaceAllStringFunc(s, func(id string) string {
		if _, ok := ids[id]; !ok {
			ids[id] = id[:len(id)-26] + "ID" + strconv.Itoa(len(ids)+1)
		}
		return ids[id]
	})
	s = cssRE.ReplaceAllString(s, "/static/portal.CHECKSUM.css")
	return csrfValueRE.ReplaceAllString(s, `name="csrf" value="CSRF"`)
}

// TestGolden pins the rendered HTML of the main pages in every language,
// on a fixed clock. After an intended change:
//
//	go test ./internal/web/portal -run TestGolden -update
//	git diff internal/web/portal/testdata
func TestGolden(t *testing.T) {
	g, err := glossary.Load(glossary.Path())
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC))
	anon := e.client(t)
	c := e.client(t)
	c.login("fi", "matti")
	proc := e.recommendations(t)
	statutory := e.processingByCode(t, "ece-placement-on-move")
	n := c.get("/fi/processings/" + proc)
	given := c.post("/fi/processings/"+proc+"/give", url.Values{"csrf": {n.csrf(t)}, "version": {hiddenValue(t, n, "version")}, "notice_sha256": {hiddenValue(t, n, "notice_sha256")}})
	if given.status != 200 {
		t.Fatalf("give: %d", given.status)
	}
	consent := between(given.url, "/fi", "?")
	e.decide(t, e.resident(t, mattiCode).ID) // a permit for "who used my data"
	e.integrate(t)
	if p := c.post("/fi/requests", url.Values{"csrf": {n.csrf(t)}, "form": {"access"}}); p.status != 200 {
		t.Fatalf("access request: %d", p.status)
	}
	app := e.app(t, omadata.AppScopeRead, omadata.AppScopeWrite)
	authorize := authorizePath(app, func(v url.Values) { v.Set("scope", "me:read me:write") })
	screen := c.get("/fi" + authorize)
	allow := url.Values{"decision": {"allow"}}
	for _, m := range hiddenRE.FindAllStringSubmatch(screen.body, -1) {
		allow.Set(m[1], htmlUnescape(m[2]))
	}
	if q := atRedirectURI(t, e, c.noRedirects().post("/fi/oauth/authorize", allow), "http://127.0.0.1:49152/callback"); q.Get("code") == "" {
		t.Fatalf("connect an app: %v", q)
	}
	for _, lang := range []string{"fi", "sv", "en"} {
		pages := []struct {
			name, path string
			c          *client
		}{
			{"home", "/", anon},
			{"catalogue", "/catalogue", anon},
			{"ai-systems", "/ai-systems", anon},
			{"entry", "/catalogue/" + statutory, anon},
			{"privacy", "/privacy", anon},
			{"home-signed-in", "/", c},
			{"my-data", "/my-data", c},
			{"consents", "/consents", c},
			{"notice", "/processings/" + proc, c},
			{"consent", consent, c},
			{"acting-for", "/acting-for", c},
			{"usage", "/usage", c},
			{"requests", "/requests", c},
			{"erasure", "/requests/erasure", c},
			{"apps", "/apps", c},
			{"authorize", authorize, c},
		}
		for _, pg := range pages {
			t.Run(lang+"/"+pg.name, func(t *testing.T) {
				p := pg.c.get("/" + lang + pg.path)
				if p.status != 200 {
					t.Fatalf("got %d", p.status)
				}
				checkGolden(t, g, lang, pg.name, p.body)
			})
		}
	}
}

// checkGolden holds a rendered page to docs/glossary.md and compares it
// with its golden file, testdata/golden/{lang}-{name}.html (rewritten
// with -update).
func checkGolden(t *testing.T, g *glossary.Glossary, lang, name, body string) {
	t.Helper()
	// What the page shows follows docs/glossary.md in its language:
	// no Finnish name on a Swedish page, no forbidden variant.
	for _, v := range g.Violations(lang, glossary.PageText(body)) {
		t.Errorf("glossary: %s", v)
	}
	if keys := glossary.RawKeys(glossary.PageText(body), portal.Messages()); len(keys) > 0 {
		t.Errorf("the page shows message keys: %q", keys)
	}
	got := normalise(body)
	file := filepath.Join("testdata", "golden", lang+"-"+name+".html")
	if *update {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the rendered page; run with -update and review the diff\n%s", file, firstDiff(string(want), got))
	}
}

// firstDiff shows where two texts first differ.
func firstDiff(want, got string) string {
	i := 0
	for i < len(want) && i < len(got) && want[i] == got[i] {
		i++
	}
	from := max(0, i-80)
	return "want …" + want[from:min(len(want), i+80)] + "…\n got …" + got[from:min(len(got), i+80)] + "…"
}
