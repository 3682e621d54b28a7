// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/sqlite"
	"github.com/omadata/omadata/internal/store"
	"github.com/omadata/omadata/internal/store/storetest"
	"github.com/omadata/omadata/internal/witness"
)

// cosign has c cosign the stored checkpoint of size as a witness does and
// stores the cosignature as the collector does.
func cosign(t *testing.T, s *store.Store, c *witness.Cosigner, size int64) string {
	t.Helper()
	ctx := context.Background()
	cp, err := s.CheckpointAt(ctx, size)
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open([]byte(cp.Note), note.VerifierList(mustNoteVerifier(t, storetest.LogVerifierKey(t, s))))
	if err != nil {
		t.Fatal(err)
	}
	line, err := c.Cosign(n.Text)
	if err != nil {
		t.Fatal(err)
	}
	v, err := witness.NewCosignatureVerifier(c.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	cn, err := note.Open([]byte(cp.Note+line), note.VerifierList(v))
	if err != nil {
		t.Fatalf("the cosignature does not verify: %v", err)
	}
	at, err := witness.CosignatureTime(cn.Sigs[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddCosignatures(ctx, size, []*omadata.Cosignature{{Size: size, Witness: c.Name(), KeyHash: cn.Sigs[0].Hash, Time: at, Line: line}}); err != nil {
		t.Fatal(err)
	}
	return line
}

func mustNoteVerifier(t *testing.T, vkey string) note.Verifier {
	t.Helper()
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func newCosigner(t *testing.T, name string) *witness.Cosigner {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	c, err := witness.NewCosigner(name, key)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestLogVerifyCosignatures: omadata log verify --policy checks every
// stored cosignature against the policy's witness keys and names the
// checkpoints that meet the policy and the newest; a cosignature of a
// witness the policy does not name is reported, one that does not verify
// (an altered line, a line of a checkpoint the log never signed) fails
// naming the checkpoint's size and the witness. Without --policy it only
// counts them.
func TestLogVerifyCosignatures(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "omadata.db")
	s := storetest.OpenURL(t, "sqlite:"+path)
	storetest.PopulateLog(t, s)
	vkey := storetest.LogVerifierKey(t, s)
	ctx := context.Background()
	latest, err := s.LatestCheckpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := s.DB().QueryStrings(ctx, `SELECT size FROM log_checkpoints ORDER BY seq LIMIT 1`)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := strconv.ParseInt(rows[0][0], 10, 64)
	if first == latest.Size {
		t.Fatalf("PopulateLog signed one checkpoint, want several")
	}
	espoo, turku, other := newCosigner(t, "espoo.example/witness"), newCosigner(t, "turku.example/witness"), newCosigner(t, "other.example/witness")
	cosign(t, s, espoo, first) // one of two: does not meet the policy
	cosign(t, s, espoo, latest.Size)
	turkuLine := cosign(t, s, turku, latest.Size)
	cosign(t, s, other, latest.Size)
	if err := s.DB().Close(); err != nil {
		t.Fatal(err)
	}
	policy := filepath.Join(dir, "policy")
	p := witness.NewPolicy(vkey, "", []witness.PolicyWitness{{Label: "espoo", VerifierKey: espoo.VerifierKey()}, {Label: "turku", VerifierKey: turku.VerifierKey()}}, 2)
	if err := os.WriteFile(policy, p.Marshal(), 0o600); err != nil {
		t.Fatal(err)
	}

	verify := func(t *testing.T, db string, args ...string) (string, string, int) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		m := &Main{Stdout: &stdout, Stderr: &stderr, LookupEnv: envOf(map[string]string{"OMADATA_DATABASE_URL": "sqlite:" + db})}
		code := m.Exit(m.Run(context.Background(), append([]string{"log", "verify", "--key", vkey}, args...)))
		return stdout.String(), stderr.String(), code
	}
	// tampered copies the database and runs stmts on the copy.
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
		raw, err := sqlite.Open("file:" + cp)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		for _, q := range stmts {
			if res, err := raw.Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			} else if n, _ := res.RowsAffected(); n != 1 {
				t.Fatalf("%s: changed %d rows", q, n)
			}
		}
		return cp
	}
	size := strconv.FormatInt(latest.Size, 10)

	t.Run("without a policy", func(t *testing.T) {
		out, stderr, code := verify(t, path)
		if code != 0 || !strings.Contains(out, "Cosignatures: 4 on 2 checkpoints, not checked: no witness policy (--policy).") {
			t.Fatalf("exit %d\n%s%s", code, out, stderr)
		}
	})
	t.Run("with the policy", func(t *testing.T) {
		out, stderr, code := verify(t, path, "--policy", policy)
		for _, want := range []string{
			"Cosignatures: 3 on 2 checkpoints, each of a witness the policy names verifies.",
			"Checkpoint " + size + ": a cosignature of other.example/witness, a witness the policy does not name, not checked.",
			"Checkpoints that meet the witness policy: 1 (sizes " + size + "); the newest: size " + size + ".",
		} {
			if code != 0 || !strings.Contains(out, want) {
				t.Fatalf("exit %d, want %q\n%s%s", code, want, out, stderr)
			}
		}
	})
	// An altered cosignature line: one bit of its signature flipped.
	b64 := turkuLine[strings.LastIndex(turkuLine, " ")+1 : len(turkuLine)-1]
	sig, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	sig[len(sig)-1] ^= 1
	altered := strings.Replace(turkuLine, b64, base64.StdEncoding.EncodeToString(sig), 1)
	for _, tc := range []struct {
		name string
		stmt string
		want string
	}{
		{"an altered cosignature line", `UPDATE log_cosignatures SET line = '` + altered + `' WHERE witness = 'turku.example/witness'`,
			"checkpoint " + size + ": the cosignature of turku.example/witness does not verify"},
		{"a cosignature moved to another checkpoint", `UPDATE log_cosignatures SET size = ` + strconv.FormatInt(first, 10) + ` WHERE witness = 'turku.example/witness'`,
			"checkpoint " + strconv.FormatInt(first, 10) + ": the cosignature of turku.example/witness does not verify"},
		{"a cosignature of a checkpoint never signed", `UPDATE log_cosignatures SET size = 999999 WHERE witness = 'turku.example/witness'`,
			"checkpoint 999999: cosigned by turku.example/witness, but the log signed no checkpoint of that size"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := tampered(t, tc.stmt)
			out, stderr, code := verify(t, db, "--policy", policy)
			if code == 0 || !strings.Contains(stderr, "the log's cosignatures do not verify: "+tc.want) {
				t.Fatalf("exit %d, want non-zero naming %q\nstdout: %s\nstderr: %s", code, tc.want, out, stderr)
			}
			// Without the policy it only counts them.
			if out, stderr, code := verify(t, db); code != 0 {
				t.Fatalf("without --policy: exit %d\n%s%s", code, out, stderr)
			}
		})
	}
	t.Run("a policy that does not parse", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "bad")
		os.WriteFile(bad, []byte("quorum\n"), 0o600)
		if out, stderr, code := verify(t, path, "--policy", bad); code == 0 || !strings.Contains(stderr, "--policy "+bad) {
			t.Fatalf("exit %d\n%s%s", code, out, stderr)
		}
	})
}
