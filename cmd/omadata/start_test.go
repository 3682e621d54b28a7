// SPDX-License-Identifier: Apache-2.0

package main

import (
	"net/http"
	"testing"

	"github.com/omadata/omadata/internal/store/storetest"
)

// TestProcessesStartTogether starts four "omadata serve" processes at once
// on an empty PostgreSQL schema: they take turns migrating it, agree on one
// signing key, and all become ready.
func TestProcessesStartTogether(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and starts four processes")
	}
	dsn := storetest.PostgresSchema(t, storetest.PostgresDSN(t)) // empty: not migrated
	bin, keyFile := buildServer(t)
	var ps []*process
	for range 4 {
		ps = append(ps, spawnProcess(t, bin, dsn, keyFile))
	}
	kids := map[string]bool{}
	for i, p := range ps {
		base := p.wait(t)
		res, err := http.Get(base + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("process %d: GET /readyz: got %d, want 200", i, res.StatusCode)
		}
		var jwks struct{ Keys []struct{ Kid string } }
		callJSON(t, base, "GET", "/.well-known/jwks.json", "", nil, 200, &jwks)
		for _, k := range jwks.Keys {
			kids[k.Kid] = true
		}
	}
	// One records key, whichever process made it: none made a second one
	// and retired the first.
	if len(kids) != 1 {
		t.Errorf("got %d published keys, want 1: %v", len(kids), kids)
	}
}
