// SPDX-License-Identifier: Apache-2.0

package main

import (
	"encoding/base64"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
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
	bin := filepath.Join(t.TempDir(), "omadata")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	keyFile := filepath.Join(t.TempDir(), "secret.key")
	if err := os.WriteFile(keyFile, []byte(base64.StdEncoding.EncodeToString(storetest.SecretKey)), 0o600); err != nil {
		t.Fatal(err)
	}
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
