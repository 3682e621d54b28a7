// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/federation"
)

// TestNetworkAnchor runs `omadata network anchor serve` and changes its
// members with the admin subcommands, against an operator's entity
// configuration served by federation.Member; another operator's resolver
// follows each change.
func TestNetworkAnchor(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tmp := t.TempDir()
	db := filepath.Join(tmp, "anchor.db")
	ready := make(chan net.Addr, 1)
	var serveOut, serveErr bytes.Buffer
	m := &Main{Stdout: &serveOut, Stderr: &serveErr, LookupEnv: noEnv, Ready: func(a net.Addr) { ready <- a }}
	done := make(chan error, 1)
	go func() {
		done <- m.Run(ctx, []string{"network", "anchor", "serve", "--listen", "127.0.0.1:0", "--db", db, "--rulebook", "2", "--name", "Test network"})
	}()
	var anchorID string
	select {
	case a := <-ready:
		anchorID = "http://" + a.String()
	case err := <-done:
		t.Fatalf("anchor serve: %v\n%s", err, serveErr.String())
	case <-time.After(10 * time.Second):
		t.Fatal("anchor serve did not start")
	}
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("anchor serve: %v", err)
		}
	}()
	if fi, err := os.Stat(db + ".key"); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v; want mode 600", fi, err)
	}

	// The anchor's key, as the operators are configured with it: read
	// from its published configuration here.
	var anchorCfg federation.Statement
	raw := httpGet(t, anchorID+federation.WellKnownPath)
	if err := federation.Unverified(raw, &anchorCfg); err != nil {
		t.Fatal(err)
	}
	pinned := anchorCfg.JWKS

	key, err := federation.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	member := &federation.Member{AnchorKeys: pinned, Keys: func(context.Context) ([]federation.Key, error) { return []federation.Key{key}, nil }}
	srv := httptest.NewServer(member)
	defer srv.Close()
	member.Config = federation.Configuration{
		Metadata: omadata.OperatorMetadata{OperatorID: srv.URL, Name: omadata.Text{"fi": "Turku"}, BaseURL: srv.URL, NetworkEndpoint: srv.URL + "/network/v1"},
		AnchorID: anchorID, OrganizationName: "Turun kaupunki",
	}
	resolver := func() *federation.Resolver {
		return &federation.Resolver{AnchorID: anchorID, AnchorKeys: pinned, Rulebook: 2}
	}

	run := func(args ...string) (string, error) {
		t.Helper()
		var out, errOut bytes.Buffer
		m := &Main{Stdout: &out, Stderr: &errOut, LookupEnv: noEnv}
		err := m.Run(context.Background(), append([]string{"network", "anchor"}, args...))
		return out.String(), err
	}
	if _, err := resolver().Resolve(ctx, srv.URL); !errors.Is(err, federation.ErrNotMember) {
		t.Fatalf("before admission: %v, want not a member", err)
	}
	out, err := run("admit", "--db", db, "--reason", "signed the constitutive agreement", "--by", "registrar", srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, srv.URL+" is active.") || !strings.Contains(out, "  "+key.ID+"\n") {
		t.Errorf("admit printed:\n%s\nwant the member active and its key's thumbprint %s", out, key.ID)
	}
	if err := member.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := resolver().Resolve(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if res.Peer.RulebookVersion != 2 || res.Peer.Name["fi"] != "Turku" {
		t.Errorf("resolved %+v", res.Peer)
	}
	out, err = run("list", "--db", db)
	if err != nil || !strings.Contains(out, srv.URL+"  active  "+key.ID) {
		t.Errorf("list: %v\n%s", err, out)
	}
	if _, err := run("suspend", "--db", db, "--by", "registrar", srv.URL); omadata.ErrorField(err) != "reason" {
		t.Errorf("suspend without a reason: %v, want refused naming reason", err)
	}
	if _, err := run("suspend", "--db", db, "--reason", "breach of the rulebook", "--by", "registrar", srv.URL); err != nil {
		t.Fatal(err)
	}
	if _, err := resolver().Resolve(ctx, srv.URL); !errors.Is(err, federation.ErrSuspended) {
		t.Errorf("suspended: %v", err)
	}
	if _, err := run("remove", "--db", db, "--reason", "left", "--by", "registrar", srv.URL); err != nil {
		t.Fatal(err)
	}
	if _, err := resolver().Resolve(ctx, srv.URL); !errors.Is(err, federation.ErrRemoved) {
		t.Errorf("removed: %v", err)
	}
	if _, err := run("suspend", "--db", db, "--reason", "x", "--by", "registrar", "https://never.example"); omadata.ErrorCode(err) != omadata.ENOTFOUND {
		t.Errorf("suspend a stranger: %v, want not found", err)
	}
	out, err = run("list", "--db", db)
	if err != nil || !strings.Contains(out, srv.URL+"  removed") {
		t.Errorf("list after removal: %v\n%s", err, out)
	}
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(resp.Body); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
