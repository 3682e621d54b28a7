// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store/storetest"
)

// TestKeysRotate: rotating makes a new active key and keeps the old one,
// retired, so what it signed still verifies against the published JWKS.
func TestKeysRotate(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{
		"OMADATA_DATABASE_URL": "sqlite:" + filepath.Join(dir, "omadata.db"),
		"OMADATA_SECRET_KEY":   base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)),
	}
	run := func(args ...string) (string, string, int) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		m := &Main{Stdout: &stdout, Stderr: &stderr, LookupEnv: envOf(env)}
		code := m.Exit(m.Run(context.Background(), args))
		return stdout.String(), stderr.String(), code
	}
	if _, stderr, code := run("migrate"); code != 0 {
		t.Fatalf("migrate: %s", stderr)
	}
	for range 2 {
		if out, stderr, code := run("keys", "rotate"); code != 0 || !strings.HasPrefix(out, "New active signing key key_") {
			t.Fatalf("rotate: exit %d, %q %q", code, out, stderr)
		}
	}
	list, stderr, code := run("keys", "list")
	if code != 0 {
		t.Fatalf("list: %s", stderr)
	}
	lines := strings.Split(strings.TrimSpace(list), "\n")
	if len(lines) != 3 || !strings.Contains(lines[1], "active") || !strings.Contains(lines[2], "retired") {
		t.Fatalf("got\n%s\nwant a header, the new active key and the retired one", list)
	}
	delete(env, "OMADATA_SECRET_KEY")
	if _, stderr, code := run("keys", "rotate"); code == 0 || !strings.Contains(stderr, "secret key") {
		t.Fatalf("rotate without a secret key: exit %d, %q", code, stderr)
	}
}

// TestKeysRotateFederation: "keys rotate federation" rotates the
// federation key and leaves the records key alone; another purpose is
// refused.
func TestKeysRotateFederation(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{
		"OMADATA_DATABASE_URL": "sqlite:" + filepath.Join(dir, "omadata.db"),
		"OMADATA_SECRET_KEY":   base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)),
	}
	run := func(args ...string) (string, string, int) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		m := &Main{Stdout: &stdout, Stderr: &stderr, LookupEnv: envOf(env)}
		code := m.Exit(m.Run(context.Background(), args))
		return stdout.String(), stderr.String(), code
	}
	if _, stderr, code := run("migrate"); code != 0 {
		t.Fatalf("migrate: %s", stderr)
	}
	if out, stderr, code := run("keys", "rotate"); code != 0 || !strings.HasPrefix(out, "New active signing key") {
		t.Fatalf("rotate: exit %d, %q %q", code, out, stderr)
	}
	for range 2 {
		if out, stderr, code := run("keys", "rotate", "federation"); code != 0 || !strings.HasPrefix(out, "New federation key key_") || !strings.Contains(out, "(kid ") {
			t.Fatalf("rotate federation: exit %d, %q %q", code, out, stderr)
		}
	}
	list, stderr, code := run("keys", "list")
	if code != 0 {
		t.Fatalf("list: %s", stderr)
	}
	count := map[string]int{}
	for _, l := range strings.Split(strings.TrimSpace(list), "\n")[1:] {
		f := strings.Fields(l)
		count[f[1]+" "+f[3]]++
	}
	if want := map[string]int{"records active": 1, "federation active": 1, "federation retired": 1}; fmt.Sprint(count) != fmt.Sprint(want) {
		t.Errorf("got keys %v, want %v\n%s", count, want, list)
	}
	if _, stderr, code := run("keys", "rotate", "log"); code != 2 || !strings.Contains(stderr, "records, federation or witness") {
		t.Errorf("rotate log: exit %d, %q, want a usage error naming the purposes", code, stderr)
	}
}

// TestKeysRotateDemo: on the demo database, keys rotate --demo uses the key
// serve --demo made, and the server starts again with the new key; without
// that key file it makes none.
func TestKeysRotateDemo(t *testing.T) {
	dir := t.TempDir()
	startServe(t, dir).stop(t)
	db := "sqlite:" + filepath.Join(dir, "omadata.db")
	run := func(args ...string) (string, string, int) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		m := &Main{Stdout: &stdout, Stderr: &stderr, LookupEnv: noEnv}
		code := m.Exit(m.Run(context.Background(), args))
		return stdout.String(), stderr.String(), code
	}
	if out, stderr, code := run("keys", "rotate", "--demo", "--database", db); code != 0 || !strings.HasPrefix(out, "New active signing key key_") {
		t.Fatalf("rotate --demo: exit %d, %q %q", code, out, stderr)
	}
	startServe(t, dir).stop(t) // opens the new key with the demo key

	other := t.TempDir()
	migrated(t, other)
	if _, stderr, code := run("keys", "rotate", "--demo", "--database", "sqlite:"+filepath.Join(other, "omadata.db")); code != 1 || !strings.Contains(stderr, "no demo secret key") {
		t.Fatalf("rotate --demo without a demo key: exit %d, %q", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(other, DemoKeyFile)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("got %v, want no demo key made", err)
	}
}

// TestKeysRotateReachesServe: a running serve signs with the key that
// "omadata keys rotate" makes against its database within a few seconds,
// without a restart, and what it signed before still verifies against the
// JWKS it publishes.
func TestKeysRotateReachesServe(t *testing.T) {
	dir := t.TempDir()
	dbURL := "sqlite:" + filepath.Join(dir, "omadata.db")
	s := storetest.OpenURL(t, dbURL) // migrates, and seals the first key with storetest.SecretKey
	n := storetest.CreateNetwork(t, s)
	resident := storetest.CreateResident(t, s, storetest.AdultCode)
	session, err := s.CreateSession(storetest.Admin(), resident.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"OMADATA_DATABASE_URL":         dbURL,
		"OMADATA_SECRET_KEY":           base64.StdEncoding.EncodeToString(storetest.SecretKey),
		"OMADATA_OPERATOR_BUSINESS_ID": "0201256-6",
		"OMADATA_OPERATOR_EMAIL":       "mydata@example.fi",
		"OMADATA_WEBHOOK_WORKERS":      "0",
	}
	base := startServeEnv(t, env)

	// give and withdraw alternately; each answers with a new signed record.
	var c omadata.Consent
	given := false
	sign := func() string {
		t.Helper()
		if !given {
			callJSON(t, base, "POST", "/api/v1/me/consents", session.Token, map[string]any{
				"processing_id": n.Processing.ID, "version": 1, "language": "fi"}, 201, &c)
		} else {
			callJSON(t, base, "POST", "/api/v1/me/consents/"+c.ID+"/withdraw", session.Token, nil, 200, &c)
		}
		given = !given
		if len(c.Records) == 0 {
			t.Fatalf("consent %s has no records in the answer", c.ID)
		}
		return c.Records[len(c.Records)-1].Receipt
	}
	old := sign()
	oldKid := receiptKid(t, old)

	var stdout, stderr bytes.Buffer
	m := &Main{Stdout: &stdout, Stderr: &stderr, LookupEnv: envOf(env)}
	if err := m.Run(context.Background(), []string{"keys", "rotate"}); err != nil {
		t.Fatalf("keys rotate: %v\n%s", err, stderr.String())
	}
	newKid, _, _ := strings.Cut(strings.TrimPrefix(stdout.String(), "New active signing key "), ";")
	if newKid == oldKid || !strings.HasPrefix(newKid, "key_") {
		t.Fatalf("keys rotate printed %q, want a new key ID", stdout.String())
	}

	rotated := time.Now()
	deadline := rotated.Add(3*keyRefreshInterval + 5*time.Second)
	for kid := oldKid; kid != newKid; kid = receiptKid(t, sign()) {
		if kid != oldKid {
			t.Fatalf("got a receipt signed by %s, want %s or %s", kid, oldKid, newKid)
		} else if time.Now().After(deadline) {
			t.Fatalf("serve still signs with %s %v after the rotation, want %s", kid, time.Since(rotated).Round(time.Second), newKid)
		}
		time.Sleep(250 * time.Millisecond)
	}

	var jwks jose.JSONWebKeySet
	callJSON(t, base, "GET", "/.well-known/jwks.json", "", nil, 200, &jwks)
	jws, err := jose.ParseSigned(old, []jose.SignatureAlgorithm{jose.EdDSA})
	if err != nil {
		t.Fatal(err)
	}
	keys := jwks.Key(oldKid)
	if len(keys) != 1 {
		t.Fatalf("JWKS has %d keys with the retired kid %s, want 1", len(keys), oldKid)
	}
	if _, err := jws.Verify(keys[0]); err != nil {
		t.Fatalf("a receipt signed before the rotation does not verify: %v", err)
	}
}

// receiptKid returns the kid in a compact JWS's protected header.
func receiptKid(t *testing.T, receipt string) string {
	t.Helper()
	jws, err := jose.ParseSigned(receipt, []jose.SignatureAlgorithm{jose.EdDSA})
	if err != nil || len(jws.Signatures) != 1 {
		t.Fatalf("receipt %.40q…: %v", receipt, err)
	}
	return jws.Signatures[0].Header.KeyID
}

// startServeEnv runs serve in this process with env as its environment,
// listening on 127.0.0.1:0, until the test ends; it returns the base URL.
func startServeEnv(t *testing.T, env map[string]string) string {
	t.Helper()
	ready := make(chan net.Addr, 1)
	done := make(chan error, 1)
	var stderr bytes.Buffer
	m := &Main{Stdout: io.Discard, Stderr: &stderr, LookupEnv: envOf(env), Ready: func(a net.Addr) { ready <- a }}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { done <- m.Run(ctx, []string{"serve", "--listen", "127.0.0.1:0", "--log-level", "warn"}) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case addr := <-ready:
		return "http://" + addr.String()
	case err := <-done:
		t.Fatalf("serve stopped before listening: %v\n%s", err, stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start in 30 s")
	}
	return ""
}
