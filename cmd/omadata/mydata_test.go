// SPDX-License-Identifier: Apache-2.0

package main

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
)

// TestMyDataServeDemo: under `serve --demo` the portal's "My data" asks
// the demo's sources, which the same server runs, for a resident's own
// data: Aino signs in at the demo provider and sees her library loans
// and sports services, fetched live, with none of the demo's sources
// reported down.
func TestMyDataServeDemo(t *testing.T) {
	s := startServe(t, t.TempDir())
	defer s.stop(t)
	jar, _ := cookiejar.New(nil)
	b := &browser{t: t, base: s.URL, http: &http.Client{Jar: jar}}
	res, body := b.do("GET", s.URL+"/en/login?"+url.Values{"next": {"/en/my-data?show=all"}}.Encode(), nil)
	if !strings.Contains(res.Request.URL.Path, "/demo-idp/authorize") {
		t.Fatalf("login went to %s", res.Request.URL)
	}
	form := hiddenFields(body)
	form.Set("person", "aino")
	res, body = b.do("POST", s.URL+"/demo-idp/authorize", form)
	if res.StatusCode != 200 || res.Request.URL.Path != "/en/my-data" {
		t.Fatalf("after login: %d at %s", res.StatusCode, res.Request.URL)
	}
	for _, w := range []string{"Your data at the city&#39;s data sources", "Helmet libraries", "<td>Väinö Linna: Tuntematon sotilas</td>", "Vesijumppa",
		"<td>2026-W47</td>", "Mäkelänkatu 54 B 21"} {
		if !strings.Contains(body, w) {
			t.Errorf("my data lacks %q", w)
		}
	}
	// Every source of the demo catalogue answers: no error summary.
	if i := strings.Index(body, `id="error-summary"`); i >= 0 {
		t.Errorf("a demo source did not answer under serve --demo:\n%.600s\n%s", body[i:], s.stderr)
	}

	// A rectification reaches every source that knows her; the portal
	// names each, also those that serve no published processing.
	var token string
	for _, c := range jar.Cookies(res.Request.URL) {
		if c.Name == "omadata_session" {
			token = c.Value
		}
	}
	if st := call(t, "POST", s.URL+"/api/v1/requests", token, `{"kind": "rectification", "details": "My address is wrong."}`, nil); st != 201 {
		t.Fatalf("rectification: %d", st)
	}
	_, page := b.do("GET", s.URL+"/en/requests", nil)
	if strings.Contains(page, "A service not in the catalogue") || !strings.Contains(page, "Helsinki sports services: waiting") {
		t.Errorf("the requests page does not name every source:\n%.2000s", page[strings.Index(page, `id="requests"`):])
	}
}
