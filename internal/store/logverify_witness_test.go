// SPDX-License-Identifier: Apache-2.0

package store_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
	"github.com/omadata/omadata/internal/store/storetest"
	"github.com/omadata/omadata/internal/witness"
)

// TestVerifyCosignatures, on both engines: the cosignatures stored for
// the log's checkpoints verify with the policy's witness keys and the
// checkpoint cosigned by both witnesses meets a 2-of-2 policy; one of a
// witness the policy does not name is reported; an altered line fails
// naming the checkpoint's size and the witness; without a policy they are
// only counted.
func TestVerifyCosignatures(t *testing.T) {
	engines := []struct {
		name string
		open func(testing.TB) *store.Store
	}{{"sqlite", storetest.OpenSQLite}}
	if os.Getenv("OMADATA_TEST_POSTGRES_DSN") != "" {
		engines = append(engines, struct {
			name string
			open func(testing.TB) *store.Store
		}{"postgres", storetest.OpenPostgres})
	}
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			s := e.open(t)
			storetest.PopulateLog(t, s)
			ctx := context.Background()
			cp, err := s.LatestCheckpoint(ctx)
			if err != nil {
				t.Fatal(err)
			}
			vkey := storetest.LogVerifierKey(t, s)
			n, err := note.Open([]byte(cp.Note), note.VerifierList(mustVerifier(t, vkey)))
			if err != nil {
				t.Fatal(err)
			}
			var ws []witness.PolicyWitness
			lines := map[string]string{}
			for _, name := range []string{"espoo.example/witness", "turku.example/witness", "other.example/witness"} {
				_, key, _ := ed25519.GenerateKey(rand.Reader)
				c, err := witness.NewCosigner(name, key)
				if err != nil {
					t.Fatal(err)
				}
				line, err := c.Cosign(n.Text)
				if err != nil {
					t.Fatal(err)
				}
				cn, err := note.Open([]byte(cp.Note+line), note.VerifierList(mustCosignatureVerifier(t, c.VerifierKey())))
				if err != nil {
					t.Fatal(err)
				}
				at, err := witness.CosignatureTime(cn.Sigs[0])
				if err != nil {
					t.Fatal(err)
				}
				if err := s.AddCosignatures(ctx, cp.Size, []*omadata.Cosignature{{Size: cp.Size, Witness: name, KeyHash: cn.Sigs[0].Hash, Time: at, Line: line}}); err != nil {
					t.Fatal(err)
				}
				if name != "other.example/witness" {
					ws = append(ws, witness.PolicyWitness{Label: strings.Split(name, ".")[0], VerifierKey: c.VerifierKey()})
				}
				lines[name] = line
			}
			policy := witness.NewPolicy(vkey, "", ws, 2)

			rep, err := store.VerifyCosignatures(ctx, s.DB(), nil)
			if err != nil || rep.Cosignatures != 3 || rep.Checkpoints != 1 || rep.Met != nil {
				t.Fatalf("without a policy: %+v, %v", rep, err)
			}
			rep, err = store.VerifyCosignatures(ctx, s.DB(), policy)
			if err != nil || !slices.Equal(rep.Met, []int64{cp.Size}) || len(rep.Unknown) != 1 || rep.Unknown[0].Witness != "other.example/witness" {
				t.Fatalf("with the policy: %+v, %v", rep, err)
			}

			line := lines["turku.example/witness"]
			b64 := line[strings.LastIndex(line, " ")+1 : len(line)-1]
			sig, _ := base64.StdEncoding.DecodeString(b64)
			sig[len(sig)-1] ^= 1
			if err := s.DB().Exec(ctx, `UPDATE log_cosignatures SET line = ? WHERE witness = ?`,
				strings.Replace(line, b64, base64.StdEncoding.EncodeToString(sig), 1), "turku.example/witness"); err != nil {
				t.Fatal(err)
			}
			_, err = store.VerifyCosignatures(ctx, s.DB(), policy)
			var p *store.LogProblem
			want := "checkpoint " + itoa(cp.Size) + ": the cosignature of turku.example/witness does not verify"
			if !errors.As(err, &p) || !strings.HasPrefix(p.What, want) {
				t.Fatalf("an altered line: %v, want %q", err, want)
			}
		})
	}
}

func mustVerifier(t *testing.T, vkey string) note.Verifier {
	t.Helper()
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func mustCosignatureVerifier(t *testing.T, vkey string) note.Verifier {
	t.Helper()
	v, err := witness.NewCosignatureVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
