// SPDX-License-Identifier: Apache-2.0

package omadata_test

import (
	"strings"
	"testing"

	"github.com/omadata/omadata"
)

func TestAppRedirectURIAllowed(t *testing.T) {
	a := &omadata.App{RedirectURIs: []string{"https://app.example/cb", "http://127.0.0.1/callback", "http://[::1]/callback", "fi.city.app:/oauth"}}
	for _, tc := range []struct {
		uri  string
		want bool
	}{
		{"https://app.example/cb", true},
		{"https://app.example/cb/", false},
		{"https://app.example/cb?x=1", false},
		{"https://APP.example/cb", false},
		{"https://app.example:8443/cb", false}, // only loopback ports are free
		{"http://127.0.0.1/callback", true},
		{"http://127.0.0.1:53117/callback", true},
		{"http://127.0.0.1:53117/callback?x=1", false},
		{"http://127.0.0.1:53117/other", false},
		{"http://[::1]:8080/callback", true},
		{"http://localhost:8080/callback", false}, // RFC 8252 §8.3: not localhost
		{"http://user@127.0.0.1:8080/callback", false},
		{"http://127.0.0.1:8080/callback#x", false},
		{"https://127.0.0.1:8080/callback", false},
		{"fi.city.app:/oauth", true},
		{"fi.city.app:/oauth2", false},
		{"", false},
		{"%zz", false},
		{"http://127.0.0.1:99999/callback", false},
		{"http://127.0.0.1:0/callback", false},
		{"http://127.0.0.1:08080/callback", false},
		{"http://127.0.0.1:/callback", false},
		{"HTTP://127.0.0.1:9000/callback", false},
		{"http://[::ffff:127.0.0.1]:9000/callback", false},
		{"http://127.1:9000/callback", false},
		{"FI.CITY.APP:/oauth", false},
	} {
		if got := a.RedirectURIAllowed(tc.uri); got != tc.want {
			t.Errorf("RedirectURIAllowed(%q) = %v, want %v", tc.uri, got, tc.want)
		}
	}
}

// TestAppRedirectURIRegistration holds registration to canonical, valid
// URIs: what is registered is what an exact match compares.
func TestAppRedirectURIRegistration(t *testing.T) {
	for _, tc := range []struct {
		uri string
		ok  bool
	}{
		{"https://app.example/cb", true},
		{"https://app.example:8443/cb?tenant=hel", true},
		{"https://192.0.2.1/cb", true},
		{"http://127.0.0.1/callback", true},
		{"http://127.0.0.1:8080/callback", true},
		{"http://[::1]/callback", true},
		{"fi.city.app:/oauth", true},
		{"https://*.a.fi/cb", false},
		{"https://a.fi/../x", false},
		{"https://a.fi/x/./y", false},
		{"https://a.fi/x/%2E%2E/y", false},
		{"https://a.fi:99999/cb", false},
		{"https://a.fi:0/cb", false},
		{"https://a.fi:/cb", false},
		{"https://ä.fi/cb", false},
		{"https://xn--4ca.fi/cb", true},
		{"HTTPS://A.FI/cb", false},
		{"https://A.fi/cb", false},
		{"https://-a.fi/cb", false},
		{"https://a.fi/cb#x", false},
		{"https://user@a.fi/cb", false},
		{"https://a.fi/c b", false},
		{"https:///cb", false},
		{"http://127.0.0.1:0/cb", false},
		{"http://[::ffff:127.0.0.1]/cb", false},
		{"http://localhost/cb", false},
		{"http://app.example/cb", false},
		{"fi.example.app://evil.com/x", false},
		{"fi.a:", false},
		{"fi.a:x", false},
		{"noscheme:/x", false},
		{"/relative", false},
	} {
		a := &omadata.App{Name: omadata.Text{"fi": "a", "sv": "a", "en": "a"}, Publisher: "p", Status: omadata.AppActive,
			Scopes: []string{omadata.AppScopeRead}, RedirectURIs: []string{tc.uri}}
		err := a.Validate()
		if tc.ok && err != nil {
			t.Errorf("%q refused: %v", tc.uri, err)
		} else if !tc.ok && err == nil {
			t.Errorf("%q registered", tc.uri)
		} else if err != nil && (omadata.ErrorField(err) != "redirect_uris[0]" || strings.Contains(omadata.ErrorMessage(err), "code=")) {
			t.Errorf("%q: field %q, message %q", tc.uri, omadata.ErrorField(err), omadata.ErrorMessage(err))
		}
	}
}

func TestParseScope(t *testing.T) {
	for in, want := range map[string]string{
		"me:read me:write":      "me:read|me:write",
		" me:read  me:write ":   "me:read|me:write",
		"me:read\u00a0me:write": "me:read\u00a0me:write",
		"me:read\tme:write":     "me:read\tme:write",
		"":                      "",
	} {
		if got := strings.Join(omadata.ParseScope(in), "|"); got != want {
			t.Errorf("ParseScope(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSortScopes(t *testing.T) {
	got := omadata.SortScopes([]string{"me:write", "x", "me:read", "me:write"})
	if strings.Join(got, " ") != "me:read me:write" {
		t.Errorf("SortScopes = %q, want me:read me:write", got)
	}
	if got := omadata.SortScopes(nil); got == nil || len(got) != 0 {
		t.Errorf("SortScopes(nil) = %#v, want an empty list", got)
	}
}
