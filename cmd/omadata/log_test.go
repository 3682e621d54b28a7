// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/sqlite"
	"github.com/omadata/omadata/internal/store/storetest"
)

// TestLogVerifyTamper populates a log through the store, then alters,
// deletes or swaps one stored leaf, record, hash or checkpoint at a time in
// a copy of the database: omadata log verify must fail and name it. The
// untouched copy verifies.
func TestLogVerifyTamper(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "omadata.db")
	s := storetest.OpenURL(t, "sqlite:"+path)
	rec := storetest.PopulateLog(t, s)
	vkey := storetest.LogVerifierKey(t, s)
	// Fold the WAL into the file, so that one file is the whole database.
	if err := s.DB().Close(); err != nil {
		t.Fatal(err)
	}

	verify := func(t *testing.T, db string, args ...string) (string, string, int) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		m := &Main{Stdout: &stdout, Stderr: &stderr, LookupEnv: envOf(map[string]string{
			"OMADATA_DATABASE_URL": "sqlite:" + db, "OMADATA_SECRET_KEY": base64.StdEncoding.EncodeToString(storetest.SecretKey),
		})}
		code := m.Exit(m.Run(context.Background(), append([]string{"log", "verify"}, args...)))
		return stdout.String(), stderr.String(), code
	}
	// tampered copies the database and runs stmts on the copy as someone
	// with write access to the file would: foreign keys and triggers off.
	tampered := func(t *testing.T, stmts ...string) string {
		t.Helper()
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		cp := filepath.Join(t.TempDir(), "copy.db")
		if err := os.WriteFile(cp, b, 0o600); err != nil {
			t.Fatal(err)
		}
		raw, err := sqlite.Open("file:"+cp, "foreign_keys(0)")
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		rows, err := raw.Query(`SELECT name FROM sqlite_master WHERE type = 'trigger'`)
		if err != nil {
			t.Fatal(err)
		}
		var triggers []string
		for rows.Next() {
			var n string
			rows.Scan(&n)
			triggers = append(triggers, n)
		}
		rows.Close()
		for _, n := range triggers {
			stmts = append([]string{"DROP TRIGGER " + n}, stmts...)
		}
		for _, q := range stmts {
			res, err := raw.Exec(q)
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			if n, _ := res.RowsAffected(); n == 0 && !strings.HasPrefix(q, "DROP") && !strings.HasPrefix(q, "CREATE") {
				t.Fatalf("%s: changed nothing", q)
			}
		}
		return cp
	}

	t.Run("untouched", func(t *testing.T) {
		out, stderr, code := verify(t, path, "--key", vkey)
		if code != 0 || !strings.HasPrefix(out, "The log verifies: ") || !strings.Contains(out, "Resident commitments: ") {
			t.Fatalf("exit %d\n%s%s", code, out, stderr)
		}
	})
	t.Run("untouched, keys from the database", func(t *testing.T) {
		out, stderr, code := verify(t, path)
		if code != 0 || !strings.Contains(out, "pin the published key with --key") {
			t.Fatalf("exit %d\n%s%s", code, out, stderr)
		}
	})

	for _, tc := range []struct {
		name  string
		stmts []string
		want  string
	}{
		{"a leaf's bytes altered", []string{`UPDATE log_leaves SET data = replace(data, '"consent.withdrawn"', '"consent.given"') WHERE kind = 'consent.withdrawn'`}, "altered: its bytes hash to"},
		{"a leaf deleted", []string{`DELETE FROM log_leaves WHERE record_id = '` + rec.Grant + `'`}, "its stored leaf (sequence"},
		{"a leaf's index row deleted", []string{`DELETE FROM log_index WHERE idx = 3`}, "leaf 3: missing from the tree"},
		{"the last leaf's index row deleted", []string{`DELETE FROM log_index WHERE idx = (SELECT MAX(idx) FROM log_index)`}, "is missing"},
		{"two leaves swapped", []string{
			`CREATE TEMP TABLE saved AS SELECT i.idx, l.data FROM log_index i JOIN log_leaves l ON l.seq = i.leaf_seq`,
			`UPDATE log_leaves SET data = (SELECT data FROM saved WHERE idx = 2) WHERE seq = (SELECT leaf_seq FROM log_index WHERE idx = 1)`,
			`UPDATE log_leaves SET data = (SELECT data FROM saved WHERE idx = 1) WHERE seq = (SELECT leaf_seq FROM log_index WHERE idx = 2)`,
		}, "leaf 1: altered"},
		{"two leaves swapped with their hashes", []string{
			`UPDATE log_index SET idx = -1 WHERE idx = 1`, `UPDATE log_index SET idx = 1 WHERE idx = 2`, `UPDATE log_index SET idx = 2 WHERE idx = -1`,
		}, "leaf 1: stored tree hash"},
		{"a leaf's hash key altered", []string{`UPDATE log_leaf_keys SET hash_key = hash_key + 1 WHERE idx = 2`}, "leaf 2: its hash key ("},
		{"a leaf's hash key deleted", []string{`DELETE FROM log_leaf_keys WHERE idx = 2`}, "leaf 2: its hash key is missing"},
		{"a leaf's hash key added twice", []string{`INSERT INTO log_leaf_keys SELECT part + 1, hash_key, idx FROM log_leaf_keys WHERE idx = 2`}, "leaf 2: its hash key appears twice"},
		{"a hash key of no leaf added", []string{`INSERT INTO log_leaf_keys VALUES (0, 1, 1000000)`}, "hash key 1 names leaf 1000000"},
		{"a consent record altered", []string{`UPDATE consent_records SET reason = 'changed' WHERE id = '` + rec.ConsentRecord + `'`}, "consent_record " + rec.ConsentRecord + " is altered"},
		{"a consent record deleted", []string{`DELETE FROM consent_records WHERE id = '` + rec.ConsentRecord + `'`}, "consent_record " + rec.ConsentRecord + " is missing"},
		{"a decision altered", []string{`UPDATE decisions SET purpose_id = 'pur_x' WHERE id = '` + rec.Decision + `'`}, "decision " + rec.Decision + " is altered"},
		{"a decision deleted", []string{`DELETE FROM decisions WHERE id = '` + rec.Decision + `'`}, "decision " + rec.Decision + " is missing"},
		{"a grant altered", []string{`UPDATE grants SET expires_at = '2099-01-01T00:00:00.000000Z' WHERE id = '` + rec.Grant + `'`}, "grant " + rec.Grant + " is altered"},
		{"a transfer deleted", []string{`DELETE FROM transfers WHERE id = '` + rec.Transfer + `'`}, "transfer " + rec.Transfer + " is missing"},
		{"an admin change altered", []string{`UPDATE admin_changes SET actor_id = 'admin:someone' WHERE id = '` + rec.AdminChange + `'`}, "admin_change " + rec.AdminChange + " is altered"},
		{"a stored tree hash altered", []string{`UPDATE log_hashes SET hash = zeroblob(32) WHERE id = 2`}, "stored tree hash 2 is altered"},
		{"a stored tree hash deleted", []string{`DELETE FROM log_hashes WHERE id = 2`}, "stored tree hash 2 is missing"},
		{"a checkpoint's root altered", []string{`UPDATE log_checkpoints SET note = replace(note, root_hash, 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='), root_hash = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' WHERE seq = 1`}, "checkpoint 1: signature"},
		{"a checkpoint's column altered", []string{`UPDATE log_checkpoints SET size = size - 1 WHERE seq = 0`}, "checkpoint 0: its note says"},
		{"a checkpoint deleted", []string{`DELETE FROM log_checkpoints WHERE seq = 0`}, "checkpoint 0: missing"},
		{"the latest checkpoint deleted", []string{`DELETE FROM log_checkpoints WHERE seq = (SELECT MAX(seq) FROM log_checkpoints)`}, "missing: the latest stored one covers"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, stderr, code := verify(t, tampered(t, tc.stmts...), "--key", vkey)
			if code == 0 || !strings.Contains(stderr, "the log does not verify: ") || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, want non-zero naming %q\nstdout: %s\nstderr: %s", code, tc.want, out, stderr)
			}
		})
	}
	t.Run("a checkpoint signed by another key", func(t *testing.T) {
		other := storetest.OpenURL(t, "sqlite:"+filepath.Join(t.TempDir(), "other.db"))
		out, stderr, code := verify(t, path, "--key", storetest.LogVerifierKey(t, other))
		if code == 0 || !strings.Contains(stderr, "checkpoint 0: signature") {
			t.Fatalf("exit %d\n%s%s", code, out, stderr)
		}
	})
}

// TestLogVerifyUnknownLeafKind: a leaf of a kind this version does not
// write, appended and signed into a checkpoint as a later version would,
// makes omadata log verify exit non-zero naming the leaf and its kind.
func TestLogVerifyUnknownLeafKind(t *testing.T) {
	path := filepath.Join(t.TempDir(), "omadata.db")
	s := storetest.OpenURL(t, "sqlite:"+path)
	storetest.PopulateLog(t, s)
	vkey := storetest.LogVerifierKey(t, s)
	ctx := context.Background()
	now := time.Now().UTC()
	leaf := &omadata.LogLeaf{Version: 1, Kind: "contract.signed", Record: "ctr_1", RecordKind: "contract",
		RecordSHA256: strings.Repeat("0", 64), Time: omadata.LogTime(now)}
	if err := s.DB().Exec(ctx, `INSERT INTO log_leaves (kind, record_kind, record_id, data, created_at) VALUES (?, ?, ?, ?, ?)`,
		leaf.Kind, leaf.RecordKind, leaf.Record, string(leaf.Bytes()), now.Format("2006-01-02T15:04:05.000000Z")); err != nil {
		t.Fatal(err)
	}
	cp, err := s.IntegrateLog(storetest.Admin())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DB().Close(); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	m := &Main{Stdout: &stdout, Stderr: &stderr, LookupEnv: envOf(map[string]string{"OMADATA_DATABASE_URL": "sqlite:" + path})}
	code := m.Exit(m.Run(ctx, []string{"log", "verify", "--key", vkey}))
	want := "leaf " + strconv.FormatInt(cp.Size-1, 10) + `: its kind "contract.signed"`
	if code == 0 || !strings.Contains(stderr.String(), want) {
		t.Fatalf("exit %d, want non-zero naming %q\nstdout: %s\nstderr: %s", code, want, &stdout, &stderr)
	}
}

// TestLogOriginStable: the demo's operator ID follows its listen address,
// but a log keeps the origin of its first checkpoint across restarts: a
// checkpoint signed after a restart on another port has the same origin.
func TestLogOriginStable(t *testing.T) {
	dir := t.TempDir()
	checkpoint := func(s *server, after int) (string, int) {
		t.Helper()
		for range 200 {
			resp, err := http.Get(s.URL + "/api/v1/public/log/checkpoint")
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if lines := strings.SplitN(string(b), "\n", 3); resp.StatusCode == 200 && len(lines) == 3 {
				if n, _ := strconv.Atoi(lines[1]); n > after {
					return lines[0], n
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("no checkpoint of more than %d leaves", after)
		return "", 0
	}
	s := startServe(t, dir)
	first, size := checkpoint(s, -1)
	s.stop(t)

	s = startServe(t, dir)
	defer s.stop(t)
	// An admin change appends a leaf, so a new checkpoint is signed.
	if code := call(t, "POST", s.URL+"/api/v1/admin-tokens", readToken(t, filepath.Join(dir, "omadata.demo-token")), `{"name":"restart"}`, nil); code != 201 {
		t.Fatalf("create admin token: %d", code)
	}
	second, _ := checkpoint(s, size)
	if first == "" || first != second {
		t.Fatalf("origins %q, then after a restart %q: want the first kept", first, second)
	}
}
