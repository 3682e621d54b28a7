// SPDX-License-Identifier: Apache-2.0

package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store/storetest"
	"github.com/omadata/omadata/internal/web"
	"github.com/omadata/omadata/internal/web/portal"
)

// browserAccept is what Chromium sends for a page.
const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"

// TestNotFoundPage: an unknown path outside the API and the machine paths
// that a browser asks for is the portal's 404 page in the language of
// Accept-Language (Finnish when none matches); an API client, and any
// path under /api/ or a machine path, still gets the JSON error.
func TestNotFoundPage(t *testing.T) {
	e := newEnv(t, func(o *web.Options) {
		p, err := portal.New(portal.Options{
			Residents: o.Residents, Representations: o.Representations, Consents: o.Consents, Catalogue: o.Catalogue,
			AISystems: o.AISystems, Credentials: o.Credentials, Usage: o.Usage, Log: o.Log, Requests: o.Requests,
			OIDC:      portal.OIDC{Issuer: "https://id.example.fi", ClientID: "portal", IdentityClaim: "sub"},
			PublicURL: o.Operator.PublicURL, SecretKey: storetest.SecretKey,
		})
		if err != nil {
			t.Fatal(err)
		}
		o.NotFound = p.NotFound()
	})
	get := func(method, path, accept, lang string) response {
		var h []string
		if accept != "" {
			h = append(h, "Accept", accept)
		}
		if lang != "" {
			h = append(h, "Accept-Language", lang)
		}
		return e.call(t, method, path, "", "", nil, h...)
	}

	for _, tc := range []struct{ method, path, accept, acceptLang, lang, text string }{
		{"GET", "/consents", browserAccept, "sv-FI,sv;q=0.9,en;q=0.5", "sv", "Sidan hittades inte."},
		{"GET", "/foo/bar", browserAccept, "de-DE, en;q=0.8", "en", "Page not found."},
		{"GET", "/foo", browserAccept, "", "fi", "Sivua ei löytynyt."},
		{"GET", "/foo", browserAccept, "de", "fi", "Sivua ei löytynyt."},
		{"POST", "/foo", browserAccept, "en", "en", "Page not found."},
		{"GET", "/foo", "text/*, application/json;q=0.9", "en", "en", "Page not found."},
		{"GET", "/apis", "text/html", "en", "en", "Page not found."},
	} {
		r := get(tc.method, tc.path, tc.accept, tc.acceptLang)
		if r.status != http.StatusNotFound || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
			t.Errorf("%s %s (Accept %q): got %d %s, want 404 text/html", tc.method, tc.path, tc.accept, r.status, r.header.Get("Content-Type"))
			continue
		}
		for _, want := range []string{`<html lang="` + tc.lang + `">`, tc.text, `<nav class="main"`} {
			if !strings.Contains(string(r.body), want) {
				t.Errorf("%s %s (Accept-Language %q): no %q in the page", tc.method, tc.path, tc.acceptLang, want)
			}
		}
		if v := r.header.Values("Vary"); !strings.Contains(strings.Join(v, ","), "Accept") {
			t.Errorf("%s %s: Vary %q lacks Accept", tc.method, tc.path, v)
		}
	}

	for _, tc := range []struct{ method, path, accept string }{
		{"GET", "/consents", "application/json"},
		{"GET", "/consents", "*/*"},
		{"GET", "/consents", ""},
		{"GET", "/consents", "application/json, text/html"},
		{"GET", "/consents", "text/html;q=0.5, application/json"},
		{"GET", "/consents", "text/html;q=0, */*"},
		{"POST", "/foo", "application/json"},
		{"GET", "/api/v1/nope", browserAccept},
		{"GET", "/api", browserAccept},
		{"POST", "/api/v1/nope", browserAccept},
		{"GET", "/.well-known/nope", browserAccept},
		{"GET", "/openapi.json/x", browserAccept},
		{"GET", "/healthz/x", browserAccept},
		{"GET", "/livez/x", browserAccept},
		{"GET", "/readyz/x", browserAccept},
		{"GET", "/metrics/x", browserAccept},
	} {
		r := get(tc.method, tc.path, tc.accept, "sv")
		if r.status != http.StatusNotFound || r.header.Get("Content-Type") != "application/json" {
			t.Errorf("%s %s (Accept %q): got %d %s, want 404 application/json", tc.method, tc.path, tc.accept, r.status, r.header.Get("Content-Type"))
			continue
		}
		if got := r.err(t).Code; got != omadata.ENOTFOUND {
			t.Errorf("%s %s (Accept %q): code %q, want %q", tc.method, tc.path, tc.accept, got, omadata.ENOTFOUND)
		}
	}
}
