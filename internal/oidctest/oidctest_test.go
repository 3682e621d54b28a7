// SPDX-License-Identifier: Apache-2.0

package oidctest_test

import (
	"encoding/json"
	"net/http"
	"os"
	"testing"

	"github.com/omadata/omadata/internal/oidctest"
	"github.com/omadata/omadata/internal/skips"
)

func TestMain(m *testing.M) { os.Exit(skips.Main(m)) }

// TestDiscovery: the provider serves discovery under the issuer without
// its trailing "/", names the issuer exactly as configured and offers
// RP-initiated logout.
func TestDiscovery(t *testing.T) {
	for _, issuer := range []string{"http://{addr}", "http://{addr}/"} {
		op := oidctest.Start(t, oidctest.Config{Issuer: issuer})
		res, err := http.Get(op.DiscoveryURL())
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Issuer      string   `json:"issuer"`
			EndSession  string   `json:"end_session_endpoint"`
			PKCEMethods []string `json:"code_challenge_methods_supported"`
		}
		err = json.NewDecoder(res.Body).Decode(&doc)
		res.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if doc.Issuer != op.Issuer {
			t.Errorf("issuer: got %q, want %q", doc.Issuer, op.Issuer)
		}
		if doc.EndSession == "" {
			t.Errorf("%s: no end_session_endpoint", op.Issuer)
		}
		if len(doc.PKCEMethods) != 1 || doc.PKCEMethods[0] != "S256" {
			t.Errorf("code_challenge_methods_supported: got %q, want [S256]", doc.PKCEMethods)
		}
	}
}
