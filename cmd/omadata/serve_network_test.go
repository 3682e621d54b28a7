// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/anchor"
	"github.com/omadata/omadata/internal/federation"
	"github.com/omadata/omadata/internal/netnode"
	"github.com/omadata/omadata/internal/witness"
)

// TestServeNetwork: with OMADATA_NETWORK_ANCHOR, serve publishes its
// entity configuration (signed with its federation key, made on first
// start), the anchor admits it, and its network endpoint refuses an
// unsigned call with a counted problem document; "keys rotate federation"
// adds a key that the configuration lists within seconds. Without an
// anchor, both paths answer 404.
func TestServeNetwork(t *testing.T) {
	var h http.Handler
	as := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(as.Close)
	db, err := anchor.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "anchor.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	k, err := federation.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	a := &anchor.Anchor{ID: as.URL, Name: "Test network", Rulebook: 1, DB: db, Keys: []federation.Key{k}, Sign: netnode.SignAnchorEvent}
	h = a.Handler()
	jwks, err := json.Marshal(federation.KeySet(k))
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	url := startNetworkServe(t, dir, map[string]string{
		"OMADATA_NETWORK_ANCHOR":      as.URL,
		"OMADATA_NETWORK_ANCHOR_JWKS": string(jwks),
		"OMADATA_NETWORK_RULEBOOK":    "1",
		"OMADATA_NETWORK_NAME_SV":     "Testoperatör",
	})

	config := func() *federation.Statement {
		t.Helper()
		res, err := http.Get(url + federation.WellKnownPath)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		buf, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != federation.ContentTypeEntityStatement {
			t.Fatalf("entity configuration: got %d %s", res.StatusCode, buf)
		}
		var st federation.Statement
		if err := federation.Unverified(string(buf), &st); err != nil {
			t.Fatal(err)
		}
		if _, err := federation.Verify(string(buf), st.JWKS, url, url, time.Now()); err != nil {
			t.Fatalf("the configuration does not verify with its own keys: %v", err)
		}
		return &st
	}
	st := config()
	var md omadata.OperatorMetadata
	if err := json.Unmarshal(st.Metadata[federation.MetadataOperator], &md); err != nil {
		t.Fatal(err)
	}
	if len(st.JWKS.Keys) != 1 || st.AuthorityHints[0] != as.URL || md.OperatorID != url || md.NetworkEndpoint != url+"/network/v1" ||
		md.LogVerifierKey == "" || !strings.HasPrefix(md.LogVerifierKey, md.LogOrigin+"+") || md.Name["sv"] != "Testoperatör" {
		t.Fatalf("got configuration %+v, metadata %+v", st, md)
	}
	// Its witness (docs/witnessing.md §1): on its origin, named after its
	// log origin, the key the one it cosigns with.
	if v, err := witness.NewCosignatureVerifier(md.WitnessVerifierKey); err != nil || md.WitnessEndpoint != url+"/witness/v1" ||
		v.Name() != omadata.WitnessName(url) {
		t.Errorf("witness %q %q: %v; want %s/witness/v1 and a cosignature/v1 key named %s", md.WitnessEndpoint, md.WitnessVerifierKey, err, url, omadata.WitnessName(url))
	}
	var readyz struct{ Checks map[string]string }
	if code := call(t, "GET", url+"/readyz", "", "", &readyz); code != 200 || readyz.Checks["federation_key"] != "ok" {
		t.Errorf("readyz: got %d %v, want the federation key ready", code, readyz.Checks)
	}
	if _, err := a.Admit(context.Background(), url, "test", "test"); err != nil {
		t.Fatalf("admit: %v", err)
	}

	res, err := http.Get(url + "/network/v1/catalogue")
	if err != nil {
		t.Fatal(err)
	}
	buf, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 401 || !strings.Contains(string(buf), `"reason":"unsigned"`) {
		t.Fatalf("unsigned call: got %d %s", res.StatusCode, buf)
	}
	res, err = http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	buf, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(buf), `omadata_network_refusals_total{reason="unsigned"} 1`) {
		t.Error("metrics: no count of the unsigned call")
	}

	var out, errOut bytes.Buffer
	rot := &Main{Stdout: &out, Stderr: &errOut, LookupEnv: envOf(map[string]string{})}
	if err := rot.Run(context.Background(), []string{"keys", "rotate", "federation", "--demo", "--database", "sqlite:" + filepath.Join(dir, "omadata.db")}); err != nil {
		t.Fatalf("keys rotate federation: %v %s", err, &errOut)
	}
	deadline := time.Now().Add(3*keyRefreshInterval + 5*time.Second)
	for len(config().JWKS.Keys) != 2 {
		if time.Now().After(deadline) {
			t.Fatal("the entity configuration does not list the new federation key")
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// TestServeWithoutNetwork: without an anchor, nothing of the network is
// served.
func TestServeWithoutNetwork(t *testing.T) {
	s := startServe(t, t.TempDir())
	defer s.stop(t)
	for _, path := range []string{federation.WellKnownPath, "/network/v1/catalogue"} {
		if code := call(t, "GET", s.URL+path, "", "", nil); code != 404 {
			t.Errorf("%s: got %d, want 404", path, code)
		}
	}
}

// startNetworkServe starts serve --demo in dir with env on 127.0.0.1:0 and
// returns its URL; it stops when t ends.
func startNetworkServe(t *testing.T, dir string, env map[string]string) string {
	t.Helper()
	ready := make(chan net.Addr, 1)
	var stdout, stderr bytes.Buffer
	m := &Main{Stdout: &stdout, Stderr: &stderr, LookupEnv: envOf(env), Ready: func(addr net.Addr) { ready <- addr }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- m.Run(ctx, []string{"serve", "--demo", "--listen", "127.0.0.1:0", "--database", "sqlite:" + filepath.Join(dir, "omadata.db"), "--log-level", "warn"})
	}()
	select {
	case addr := <-ready:
		t.Cleanup(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve: %v", err)
			}
		})
		return "http://" + addr.String()
	case err := <-done:
		cancel()
		t.Fatalf("serve stopped: %v\n%s", err, &stderr)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("serve did not start in 30 s")
	}
	return ""
}
