// SPDX-License-Identifier: Apache-2.0

package admin_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestNotFoundPage: a console path that no page has is answered with an
// HTML page in the path's language (Finnish without one, as /admin/
// itself), not the API's JSON; signed in, that page and the other error
// pages keep the signed-in header.
func TestNotFoundPage(t *testing.T) {
	e := newEnv(t, time.Time{})
	c := e.client(t)
	for _, tc := range []struct{ method, path, lang, text string }{
		{"GET", "/admin/fi/ei-tallaista", "fi", "Sivua ei löytynyt."},
		{"GET", "/admin/sv/finns/inte", "sv", "Sidan hittades inte."},
		{"GET", "/admin/en/no-such-page", "en", "Page not found."},
		{"POST", "/admin/en/no-such-page", "en", "Page not found."},
		{"GET", "/admin/no-such-page", "fi", "Sivua ei löytynyt."},
	} {
		req, _ := http.NewRequest(tc.method, e.url+tc.path, nil)
		p := c.do(req)
		if p.status != http.StatusNotFound || !strings.Contains(p.body, "<!DOCTYPE html>") {
			t.Errorf("%s %s: got %d %.80q, want 404 and a page", tc.method, tc.path, p.status, p.body)
			continue
		}
		for _, want := range []string{`<html lang="` + tc.lang + `">`, tc.text} {
			if !strings.Contains(p.body, want) {
				t.Errorf("%s %s: no %q in the page", tc.method, tc.path, want)
			}
		}
	}

	// A bare /admin goes to the console's front page, like /admin/.
	if p := c.get("/admin"); p.status != http.StatusOK || !strings.HasSuffix(p.url, "/admin/fi/") || !strings.Contains(p.body, `<html lang="fi">`) {
		t.Errorf("GET /admin: got %d at %s, want 200 at /admin/fi/", p.status, p.url)
	}

	c.login("/admin/en/login", "helmi") // an organisation admin
	for _, tc := range []struct {
		name   string
		status int
		do     func() page
	}{
		{"an unknown path", 404, func() page { return c.get("/admin/en/no-such-page") }},
		{"a page of the whole operator", 404, func() page { return c.get("/admin/en/staff") }},
		{"a form without its token", 403, func() page { return c.post("/admin/en/data-groups", url.Values{"code": {"x"}}) }},
	} {
		p := tc.do()
		if p.status != tc.status {
			t.Errorf("%s: got %d, want %d", tc.name, p.status, tc.status)
		}
		for _, want := range []string{"Signed in as Helmi", `action="/admin/en/logout"`, `<nav class="main"`} {
			if !strings.Contains(p.body, want) {
				t.Errorf("%s: the error page lacks %q", tc.name, want)
			}
		}
	}
}
