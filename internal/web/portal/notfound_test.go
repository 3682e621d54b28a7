// SPDX-License-Identifier: Apache-2.0

package portal_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestNotFoundPage: a path under a language that no page has is answered
// with an HTML page in that language, not the API's JSON; signed in and
// acting for a child, that page and the other error pages keep the
// signed-in header and the acting-for banner. A path outside the languages
// that a browser asks for is that page too, in the language "/" picks.
func TestNotFoundPage(t *testing.T) {
	e := newEnv(t, time.Time{})
	c := e.client(t)
	for _, tc := range []struct{ method, path, lang, text string }{
		{"GET", "/fi/ei-tallaista", "fi", "Sivua ei löytynyt."},
		{"GET", "/sv/finns/inte", "sv", "Sidan hittades inte."},
		{"GET", "/en/no-such-page/x/y", "en", "Page not found."},
		{"POST", "/en/no-such-page", "en", "Page not found."},
		{"GET", "/en/consents/x/y", "en", "Page not found."},
	} {
		req, _ := http.NewRequest(tc.method, e.url+tc.path, nil)
		p := c.do(req)
		if p.status != http.StatusNotFound || !strings.HasPrefix(p.header.Get("Content-Type"), "text/html") {
			t.Errorf("%s %s: got %d %s, want 404 text/html", tc.method, tc.path, p.status, p.header.Get("Content-Type"))
			continue
		}
		for _, want := range []string{`<html lang="` + tc.lang + `">`, tc.text, `<nav class="main"`} {
			if !strings.Contains(p.body, want) {
				t.Errorf("%s %s: no %q in the page", tc.method, tc.path, want)
			}
		}
	}

	// Outside the languages, a browser gets the page in its language, an
	// API client the JSON error (internal/web's TestNotFoundPage has more).
	for _, tc := range []struct{ accept, acceptLang, want string }{
		{"text/html", "sv-FI, en;q=0.5", `<html lang="sv">`},
		{"text/html", "", `<html lang="fi">`},
		{"application/json", "sv", `"code":"not_found"`},
	} {
		req, _ := http.NewRequest("GET", e.url+"/no-such-page", nil)
		req.Header.Set("Accept", tc.accept)
		req.Header.Set("Accept-Language", tc.acceptLang)
		if p := c.do(req); p.status != http.StatusNotFound || !strings.Contains(p.body, tc.want) {
			t.Errorf("/no-such-page (Accept %q, Accept-Language %q): got %d %.80q, want 404 with %q", tc.accept, tc.acceptLang, p.status, p.body, tc.want)
		}
	}

	c.login("en", "matti")
	p := c.get("/en/acting-for")
	p = c.post("/en/acting-for", url.Values{"csrf": {p.csrf(t)}, "principal": {e.resident(t, "100514A9037").ID}})
	if !strings.Contains(p.body, "You are acting for Emma Korhonen.") {
		t.Fatalf("no acting banner on %s", p.url)
	}
	for _, tc := range []struct {
		name   string
		status int
		do     func() page
	}{
		{"an unknown path", 404, func() page { return c.get("/en/no-such-page") }},
		{"a consent not there", 404, func() page { return c.get("/en/consents/cns_00000000000000000000000000") }},
		{"a form without its token", 403, func() page { return c.post("/en/requests", url.Values{"kind": {"access"}}) }},
		{"an unknown path outside the languages", 404, func() page {
			req, _ := http.NewRequest("GET", e.url+"/consents", nil)
			req.Header.Set("Accept", "text/html,*/*;q=0.8") // the page's language is the remembered one
			return c.do(req)
		}},
	} {
		p := tc.do()
		if p.status != tc.status {
			t.Errorf("%s: got %d, want %d", tc.name, p.status, tc.status)
		}
		for _, want := range []string{"Signed in as Matti Korhonen", "You are acting for Emma Korhonen.", `action="/en/logout"`} {
			if !strings.Contains(p.body, want) {
				t.Errorf("%s: the error page lacks %q", tc.name, want)
			}
		}
	}
}
