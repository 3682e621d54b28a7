// SPDX-License-Identifier: Apache-2.0

package api

import (
	"net/http/httptest"
	"testing"
)

// TestAcceptsArchive: application/zip with any weight above zero asks for
// the archive (RFC 9110 §12.5.1); zero, or no mention, for the JSON.
func TestAcceptsArchive(t *testing.T) {
	for accept, want := range map[string]bool{
		"":                                   false,
		"application/json":                   false,
		"application/zip":                    true,
		"application/json, application/zip":  true,
		"application/zip;q=0.01":             true,
		"application/zip;q=0.5, */*;q=0.1":   true,
		"application/zip;q=0":                false,
		"application/zip;q=0.000":            false,
		"application/zip;q=x":                false,
		"application/zipx, application/json": false,
	} {
		r := httptest.NewRequest("POST", "/", nil)
		if accept != "" {
			r.Header.Set("Accept", accept)
		}
		if got := acceptsArchive(r); got != want {
			t.Errorf("Accept %q: acceptsArchive = %v, want %v", accept, got, want)
		}
	}
}
