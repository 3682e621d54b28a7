// SPDX-License-Identifier: Apache-2.0

package omadata_test

import (
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
	} {
		if got := a.RedirectURIAllowed(tc.uri); got != tc.want {
			t.Errorf("RedirectURIAllowed(%q) = %v, want %v", tc.uri, got, tc.want)
		}
	}
}
