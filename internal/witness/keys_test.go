// SPDX-License-Identifier: Apache-2.0

package witness_test

import (
	"context"
	"testing"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/keys"
	"github.com/omadata/omadata/internal/store/storetest"
	"github.com/omadata/omadata/internal/witness"
)

// TestNewCosignerFromKeys: the witness key is an operator signing key of
// purpose "witness", made on first use and the same afterwards, sealed in
// the store (docs/witnessing.md §1).
func TestNewCosignerFromKeys(t *testing.T) {
	ctx := context.Background()
	s := storetest.OpenSQLite(t)
	sealer, err := keys.NewSealer(storetest.SecretKey)
	if err != nil {
		t.Fatal(err)
	}
	name := omadata.WitnessName("https://helsinki.example")
	c1, err := witness.NewCosignerFromKeys(ctx, s, sealer, name)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := witness.NewCosignerFromKeys(ctx, s, sealer, name)
	if err != nil {
		t.Fatal(err)
	}
	if c1.VerifierKey() != c2.VerifierKey() || c1.Name() != "helsinki.example/witness" {
		t.Fatalf("got %s and %s", c1.VerifierKey(), c2.VerifierKey())
	}
	ks, err := s.FindSigningKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, k := range ks {
		if k.Purpose == omadata.KeyPurposeWitness {
			n++
			if k.Status != keys.StatusActive {
				t.Fatalf("witness key %+v", k)
			}
		}
	}
	if n != 1 {
		t.Fatalf("%d witness keys, want 1", n)
	}
	v, err := witness.NewCosignatureVerifier(c1.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	line, err := c1.Cosign(cpText)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := openLine(cpText, line, v); err != nil {
		t.Fatal(err)
	}
}
