// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/sqlite"
	"github.com/omadata/omadata/internal/store"
	"github.com/omadata/omadata/internal/store/storetest"
)

// TestBackupRestore gives consents through the store, and integrates the
// log, while omadata backup runs; restores the backup into a new database,
// where omadata log verify passes and every consent whose log leaf lies
// within the manifest's checkpoint is; and sees restore refuse, with a
// message naming why and no database left behind, a damaged copy, a copy
// without its secret key or with another, and a copy whose log was altered.
func TestBackupRestore(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		testBackupRestore(t, func(t *testing.T) string {
			return "sqlite:" + filepath.Join(t.TempDir(), "omadata.db")
		}, tamperSQLite)
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := storetest.PostgresDSN(t)
		testBackupRestore(t, func(t *testing.T) string { return newPostgresDatabase(t, dsn) }, tamperPostgres)
	})
}

func testBackupRestore(t *testing.T, newDB func(t *testing.T) string, tamper func(t *testing.T, dbURL string)) {
	src := newDB(t)
	s := storetest.OpenURL(t, src)
	n := storetest.CreateNetwork(t, s)
	key := base64.StdEncoding.EncodeToString(storetest.SecretKey)
	run := func(t *testing.T, env map[string]string, args ...string) (string, string, int) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		m := &Main{Stdout: &stdout, Stderr: &stderr, LookupEnv: envOf(env)}
		code := m.Exit(m.Run(context.Background(), args))
		return stdout.String(), stderr.String(), code
	}
	withKey := map[string]string{"OMADATA_SECRET_KEY": key}

	// The load: two writers give consents, one resident each, and an
	// integrator makes checkpoints, as serve's worker does.
	ctx, stop := context.WithCancel(context.Background())
	var (
		mu      sync.Mutex
		given   []string // consent record IDs, acknowledged
		loadErr error
		wg      sync.WaitGroup
	)
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(given) }
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if loadErr == nil && ctx.Err() == nil {
			loadErr = err
		}
	}
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil && i < 15000; i++ {
				code := storetest.ChildBornOn(time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, w*15000+i))
				r, err := s.EnsureResident(storetest.Admin(), code, "Testi Asukas")
				if err != nil {
					fail(err)
					return
				}
				c, err := s.GiveConsent(storetest.AsResident(r.ID), &omadata.ConsentInput{ProcessingID: n.Processing.ID, Version: n.Processing.Current().Version, Language: "fi"})
				if err != nil {
					fail(err)
					return
				}
				mu.Lock()
				given = append(given, c.Records[0].ID)
				mu.Unlock()
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			if _, err := s.IntegrateLog(storetest.Admin()); err != nil && ctx.Err() == nil {
				fail(err)
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	waitFor := func(want int) {
		t.Helper()
		for deadline := time.Now().Add(60 * time.Second); count() < want; time.Sleep(5 * time.Millisecond) {
			mu.Lock()
			err := loadErr
			mu.Unlock()
			if err != nil || time.Now().After(deadline) {
				stop()
				wg.Wait()
				t.Fatalf("load: %d consents given, want %d (%v)", count(), want, err)
			}
		}
	}
	waitFor(30)
	out := filepath.Join(t.TempDir(), "backup")
	before := count()
	stdout, stderr, code := run(t, nil, "backup", "--out", out, "--database", src)
	during := count() - before
	waitFor(count() + 20) // writes go on after the backup
	stop()
	wg.Wait()
	if loadErr != nil {
		t.Fatalf("load: %v", loadErr)
	}
	if code != 0 || !strings.Contains(stdout, "Backed up the ") {
		t.Fatalf("backup: exit %d\n%s%s", code, stdout, stderr)
	}
	t.Logf("backup: %d consents given while it ran; %s", during, strings.SplitN(stdout, "\n", 2)[0])
	var man backupManifest
	if b, err := os.ReadFile(filepath.Join(out, manifestFile)); err != nil {
		t.Fatal(err)
	} else if err := json.Unmarshal(b, &man); err != nil {
		t.Fatal(err)
	}
	if man.Checkpoint == nil || man.Checkpoint.Size == 0 || man.SchemaVersion == "" || man.Size == 0 || man.Version != version {
		t.Fatalf("manifest %+v, want a checkpoint, a schema version, a size and the version", man)
	}
	for _, f := range []string{out, filepath.Join(out, man.File), filepath.Join(out, manifestFile)} {
		if fi, err := os.Stat(f); err != nil || fi.Mode().Perm()&0o077 != 0 {
			t.Fatalf("%s: %v, want it the owner's alone", f, err)
		}
	}
	if _, _, code := run(t, nil, "backup", "--out", out, "--database", src); code != 1 {
		t.Fatalf("a second backup into %s: exit %d, want a refusal", out, code)
	}

	// Restore into a new database: it verifies and holds every consent
	// acknowledged before the backup's checkpoint.
	dst := newDB(t)
	stdout, stderr, code = run(t, withKey, "restore", "--from", out, "--database", dst, "--key", storetest.LogVerifierKey(t, s))
	if code != 0 || !strings.Contains(stdout, "The log verifies: ") {
		t.Fatalf("restore: exit %d\n%s%s", code, stdout, stderr)
	}
	if stdout, stderr, code := run(t, withKey, "log", "verify", "--database", dst, "--key", storetest.LogVerifierKey(t, s)); code != 0 || !strings.HasPrefix(stdout, "The log verifies: ") {
		t.Fatalf("log verify on the restored database: exit %d\n%s%s", code, stdout, stderr)
	}
	// Every leaf of the source is in the tree now, so each acknowledged
	// consent's leaf index is known.
	for range 100 {
		if _, err := s.IntegrateLog(storetest.Admin()); err != nil {
			t.Fatal(err)
		}
		if rows := queryStrings(t, s.DB(), `SELECT COUNT(*) FROM log_leaves l WHERE NOT EXISTS (SELECT 1 FROM log_index i WHERE i.leaf_seq = l.seq)`); rows[0][0] == "0" {
			break
		}
	}
	index := map[string]string{}
	for _, r := range queryStrings(t, s.DB(), `SELECT l.record_id, i.idx FROM log_leaves l JOIN log_index i ON i.leaf_seq = l.seq WHERE l.kind = 'consent.given'`) {
		index[r[0]] = r[1]
	}
	rdb, err := store.Open(context.Background(), dst)
	if err != nil {
		t.Fatal(err)
	}
	restored := map[string]bool{}
	for _, r := range queryStrings(t, rdb, `SELECT id FROM consent_records`) {
		restored[r[0]] = true
	}
	rdb.Close()
	within, missing := 0, 0
	for _, id := range given {
		idx, ok := index[id]
		if !ok {
			t.Fatalf("consent record %s acknowledged, but no leaf in the source's log", id)
		}
		i, err := strconv.ParseInt(idx, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		if i < man.Checkpoint.Size {
			within++
			if !restored[id] {
				missing++
			}
		}
	}
	if missing > 0 || within < 10 || within == len(given) {
		t.Fatalf("%d of %d consents within the checkpoint of size %d missing from the restored copy (%d given in all), want none missing, at least 10 within and some after",
			missing, within, man.Checkpoint.Size, len(given))
	}
	if _, stderr, code := run(t, withKey, "restore", "--from", out, "--database", dst); code != 1 || !strings.Contains(stderr, "restore never overwrites a database") {
		t.Fatalf("restore over the restored database: exit %d\n%s", code, stderr)
	}

	// Refusals, each leaving the target as it was: absent or empty.
	damaged := filepath.Join(t.TempDir(), "damaged")
	copyDir(t, out, damaged)
	b, err := os.ReadFile(filepath.Join(damaged, man.File))
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 1
	if err := os.WriteFile(filepath.Join(damaged, man.File), b, 0o600); err != nil {
		t.Fatal(err)
	}
	other := make([]byte, 32)
	rand.Read(other)
	tamper(t, dst)
	tampered := filepath.Join(t.TempDir(), "tampered")
	if stdout, stderr, code := run(t, nil, "backup", "--out", tampered, "--database", dst); code != 0 {
		t.Fatalf("backup of the tampered copy: exit %d\n%s%s", code, stdout, stderr)
	}
	for _, tc := range []struct {
		name string
		from string
		env  map[string]string
		want string
	}{
		{"damaged", damaged, withKey, "the copy is damaged: " + man.File + " has"},
		{"no secret key", out, nil, "no secret key: set OMADATA_SECRET_KEY or OMADATA_SECRET_KEY_FILE"},
		{"another secret key", out, map[string]string{"OMADATA_SECRET_KEY": base64.StdEncoding.EncodeToString(other)}, "the secret key does not open the copy's"},
		{"log tampered with", tampered, withKey, "the copy's log does not verify: leaf "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target := newDB(t)
			_, stderr, code := run(t, tc.env, "restore", "--from", tc.from, "--database", target)
			if code != 1 || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, %s\nwant exit 1 and %q", code, stderr, tc.want)
			}
			t.Log(strings.TrimSpace(stderr))
			wantNoDatabase(t, target)
		})
	}
}

// wantNoDatabase fails unless the restore target is absent (SQLite) or
// empty (PostgreSQL).
func wantNoDatabase(t *testing.T, dbURL string) {
	t.Helper()
	if path, ok := sqlitePath(dbURL); ok {
		ents, err := os.ReadDir(filepath.Dir(path))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			t.Errorf("%s left in the target's directory, want nothing", e.Name())
		}
		return
	}
	db, err := store.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n, err := db.Objects(context.Background()); err != nil || n != 0 {
		t.Fatalf("%d objects left in the target database (%v), want none", n, err)
	}
}

// tamperSQLite alters the first consent's log leaf as someone with write
// access to the file would: triggers dropped.
func tamperSQLite(t *testing.T, dbURL string) {
	t.Helper()
	path, _ := sqlitePath(dbURL)
	raw, err := sqlite.Open("file:" + path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`DROP TRIGGER log_leaves_no_update`); err != nil {
		t.Fatal(err)
	}
	tamperLeaf(t, raw, "?")
}

// tamperPostgres does what tamperSQLite does, as the tables' owner.
func tamperPostgres(t *testing.T, dbURL string) {
	t.Helper()
	raw, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`ALTER TABLE log_leaves DISABLE TRIGGER USER`); err != nil {
		t.Fatal(err)
	}
	tamperLeaf(t, raw, "$1")
	if _, err := raw.Exec(`ALTER TABLE log_leaves ENABLE TRIGGER USER`); err != nil {
		t.Fatal(err)
	}
}

func tamperLeaf(t *testing.T, raw *sql.DB, ph string) {
	t.Helper()
	res, err := raw.Exec(`UPDATE log_leaves SET data = replace(data, '"consent.given"', '"consent.withdrawn"')
		WHERE seq = (SELECT MIN(seq) FROM log_leaves WHERE kind = `+ph+`)`, "consent.given")
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("tampered with %d leaves, want 1", n)
	}
}

// newPostgresDatabase creates an empty database for one test, dropped when
// it ends, and returns its URL.
func newPostgresDatabase(t *testing.T, dsn string) string {
	t.Helper()
	var b [6]byte
	rand.Read(b[:])
	name := "omadata_backup_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec(`CREATE DATABASE ` + name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			return
		}
		defer db.Close()
		db.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`)
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if err := os.CopyFS(to, os.DirFS(from)); err != nil {
		t.Fatal(err)
	}
}

func queryStrings(t *testing.T, db *store.DB, q string) [][]string {
	t.Helper()
	rows, err := db.QueryStrings(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}
