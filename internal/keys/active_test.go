// SPDX-License-Identifier: Apache-2.0

package keys_test

import (
	"context"
	"crypto/ed25519"
	"testing"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/keys"
)

// TestActiveSignerFollowsRotation: a rotation made elsewhere (the CLI,
// another instance) reaches a running signer on its next Refresh; a key
// the signer cannot open leaves it on its key and reports the failure.
func TestActiveSignerFollowsRotation(t *testing.T) {
	ctx := context.Background()
	s := newSealer(t, 5)
	svc := &signingKeys{}
	a, first, err := keys.NewActiveSigner(ctx, svc, s, omadata.KeyPurposeRecords)
	if err != nil {
		t.Fatal(err)
	}
	if kid, _ := a.SigningKey(); kid != first.ID {
		t.Fatalf("got kid %s, want %s", kid, first.ID)
	}
	if kid, err := a.Refresh(ctx); err != nil || kid != first.ID {
		t.Fatalf("Refresh without a rotation: got %s, %v, want %s", kid, err, first.ID)
	}

	rotated, err := keys.Rotate(ctx, svc, s, omadata.KeyPurposeRecords)
	if err != nil {
		t.Fatal(err)
	}
	if kid, _ := a.SigningKey(); kid != first.ID {
		t.Fatalf("before Refresh: got kid %s, want still %s", kid, first.ID)
	}
	if kid, err := a.Refresh(ctx); err != nil || kid != rotated.ID {
		t.Fatalf("Refresh after a rotation: got %s, %v, want %s", kid, err, rotated.ID)
	}
	kid, priv := a.SigningKey()
	pub, err := keys.PublicKey(rotated)
	if err != nil {
		t.Fatal(err)
	}
	if kid != rotated.ID || !ed25519.Verify(pub, []byte("m"), ed25519.Sign(priv, []byte("m"))) {
		t.Fatalf("after Refresh: got kid %s and a key that does not match %s's public key", kid, rotated.ID)
	}

	// A key sealed with another secret key cannot be opened: keep signing
	// with the key in use, and say so.
	if _, err := keys.Rotate(ctx, svc, newSealer(t, 6), omadata.KeyPurposeRecords); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Refresh(ctx); err == nil || a.Err() == nil {
		t.Fatalf("Refresh to an unopenable key: got %v, Err %v, want errors", err, a.Err())
	}
	if kid, _ := a.SigningKey(); kid != rotated.ID {
		t.Fatalf("after a failed Refresh: got kid %s, want still %s", kid, rotated.ID)
	}
}
