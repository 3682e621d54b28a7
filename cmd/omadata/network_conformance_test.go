// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/omadata/omadata/internal/conformance/conformancetest"
	"github.com/omadata/omadata/internal/federation"
)

// confStartAnchor runs "omadata network anchor serve" on 127.0.0.1:0 and
// returns its ID and database flag; it stops when t ends.
func confStartAnchor(t *testing.T, dir string) (id, db string) {
	t.Helper()
	db = "sqlite:" + filepath.Join(dir, "anchor.db")
	ready := make(chan net.Addr, 1)
	done := make(chan error, 1)
	ctx, cancel := context.WithCancel(context.Background())
	m := &Main{Stdout: io.Discard, Stderr: io.Discard, LookupEnv: noEnv, Ready: func(a net.Addr) { ready <- a }}
	go func() {
		done <- m.Run(ctx, []string{"network", "anchor", "serve", "--db", db, "--listen", "127.0.0.1:0"})
	}()
	select {
	case a := <-ready:
		t.Cleanup(func() { cancel(); <-done })
		return "http://" + a.String(), db
	case err := <-done:
		cancel()
		t.Fatalf("anchor serve: %v", err)
	}
	return "", ""
}

// confAdmit runs "omadata network anchor admit", retrying while the entity
// does not serve its configuration yet.
func confAdmit(t *testing.T, db, entity string) {
	t.Helper()
	var stderr bytes.Buffer
	for range 100 {
		stderr.Reset()
		m := &Main{Stdout: io.Discard, Stderr: &stderr, LookupEnv: noEnv}
		if m.Run(context.Background(), []string{"network", "anchor", "admit", "--db", db, "--reason", "conformance test", "--by", "test", entity}) == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("admit %s: %s", entity, stderr.String())
}

// confAnchorKeys runs "omadata network anchor keys" on the anchor's
// database, as a joining operator is given the anchor's keys
// (docs/network.md §12.4), and writes them to a file.
func confAnchorKeys(t *testing.T, db, path string) *jose.JSONWebKeySet {
	t.Helper()
	var out, errOut bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &errOut, LookupEnv: noEnv}
	if err := m.Run(context.Background(), []string{"network", "anchor", "keys", "--db", db}); err != nil {
		t.Fatalf("network anchor keys: %v\n%s", err, errOut.String())
	}
	set, err := federation.ParseJWKS(out.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, out.String())
	return set
}

// TestNetworkConformance runs "omadata network conformance" against a
// member of a trust anchor that "omadata network anchor serve" runs,
// with the checker admitted there by "omadata network anchor admit" while
// it waits: against a member that follows docs/network.md every check
// passes and the command succeeds; against one that keeps no nonces the
// command fails and its table names call/replayed-nonce.
func TestNetworkConformance(t *testing.T) {
	dir := t.TempDir()
	anchor, db := confStartAnchor(t, dir)
	keys := confAnchorKeys(t, db, filepath.Join(dir, "anchor.jwks"))
	for _, tc := range []struct {
		name, broken, fails string
	}{{"correct", "", ""}, {"replayed-nonce", "replayed-nonce", "call/replayed-nonce"}} {
		t.Run(tc.name, func(t *testing.T) {
			member := conformancetest.NewMember(t, anchor, keys, tc.broken)
			confAdmit(t, db, member.ID)
			keyFile := filepath.Join(t.TempDir(), "checker.jwk")
			entity := "http://" + freeAddr(t)
			var stdout, stderr bytes.Buffer
			m := &Main{Stdout: &stdout, Stderr: &stderr, LookupEnv: noEnv}
			done := make(chan error, 1)
			go func() {
				done <- m.Run(context.Background(), []string{"network", "conformance", "--peer", member.ID,
					"--entity", entity, "--key", keyFile, "--anchor", anchor,
					"--anchor-jwks", filepath.Join(dir, "anchor.jwks"), "--rulebook", "1", "--wait", "20s"})
			}()
			confAdmit(t, db, entity)
			err := <-done
			out := stdout.String()
			t.Log("\n" + out)
			if tc.fails == "" {
				if err != nil {
					t.Fatalf("conformance: %v\n%s", err, stderr.String())
				} else if !strings.Contains(out, "22 checks: 22 passed, 0 failed, 0 skipped.") {
					t.Errorf("not every check passed")
				}
				if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
					t.Errorf("key file: %v %v, want created 0600", fi, err)
				}
				return
			}
			if err == nil || m.Exit(err) != 1 {
				t.Fatalf("conformance against a broken member: %v, want exit status 1", err)
			}
			var failedLines []string
			for _, line := range strings.Split(out, "\n") {
				if f := strings.Fields(line); len(f) > 2 && strings.Contains(line, " FAIL ") {
					failedLines = append(failedLines, f[0])
				}
			}
			if len(failedLines) != 1 || failedLines[0] != tc.fails {
				t.Errorf("failed checks %q, want [%s]", failedLines, tc.fails)
			}
		})
	}
}

// TestNetworkConformanceFlags: the command refuses to run without what it
// needs, naming the flag, with the usage exit status.
func TestNetworkConformanceFlags(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "bad.jwks"), `{"keys": 1}`)
	for _, tc := range []struct {
		args []string
		want string
		code int
	}{
		{[]string{"--peer", "http://127.0.0.1:1"}, "--entity is required", 2},
		{[]string{"--peer", "http://127.0.0.1:1", "--entity", "http://127.0.0.1:2", "--key", filepath.Join(dir, "k.jwk"),
			"--anchor", "http://127.0.0.1:3", "--anchor-jwks", filepath.Join(dir, "bad.jwks")}, "anchor_jwks", 1},
	} {
		var stderr bytes.Buffer
		m := &Main{Stdout: io.Discard, Stderr: &stderr, LookupEnv: noEnv}
		code := m.Exit(m.Run(context.Background(), append([]string{"network", "conformance"}, tc.args...)))
		if code != tc.code || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%q: exit %d, %q; want %d and %q", tc.args, code, stderr.String(), tc.code, tc.want)
		}
	}
}
