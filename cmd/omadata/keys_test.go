// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
