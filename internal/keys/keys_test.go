// SPDX-License-Identifier: Apache-2.0

package keys_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/keys"
)

func newSealer(t *testing.T, b byte) *keys.Sealer {
	t.Helper()
	s, err := keys.NewSealer(bytes.Repeat([]byte{b}, keys.SecretKeySize))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNewSealer_KeySize(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33, 64} {
		if _, err := keys.NewSealer(make([]byte, n)); err == nil {
			t.Errorf("NewSealer(%d bytes): got nil error, want one", n)
		}
	}
}

func TestSealer(t *testing.T) {
	s := newSealer(t, 1)
	plain := []byte("private key seed, 32 bytes long!")
	sealed, err := s.Seal("key_a", plain)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, plain) {
		t.Fatal("sealed blob contains the plaintext")
	}

	t.Run("RoundTrip", func(t *testing.T) {
		got, err := s.Open("key_a", sealed)
		if err != nil {
			t.Fatal(err)
		} else if !bytes.Equal(got, plain) {
			t.Fatalf("got %q, want %q", got, plain)
		}
	})
	t.Run("FreshNonce", func(t *testing.T) {
		again, err := s.Seal("key_a", plain)
		if err != nil {
			t.Fatal(err)
		} else if bytes.Equal(again, sealed) {
			t.Fatal("two seals of the same plaintext are equal; want a random nonce")
		}
	})

	tampered := func(i int) []byte {
		b := bytes.Clone(sealed)
		b[i] ^= 0x01
		return b
	}
	for _, tc := range []struct {
		name   string
		sealer *keys.Sealer
		keyID  string
		blob   []byte
	}{
		{"TamperedNonce", s, "key_a", tampered(0)},
		{"TamperedCiphertext", s, "key_a", tampered(len(sealed) / 2)},
		{"TamperedTag", s, "key_a", tampered(len(sealed) - 1)},
		{"Truncated", s, "key_a", sealed[:10]},
		{"Empty", s, "key_a", nil},
		{"WrongKeyID", s, "key_b", sealed},
		{"WrongSecret", newSealer(t, 2), "key_a", sealed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tc.sealer.Open(tc.keyID, tc.blob); !errors.Is(err, keys.ErrOpen) {
				t.Fatalf("got %v, want ErrOpen", err)
			}
		})
	}
}

// signingKeys is an in-memory SigningKeyService.
type signingKeys struct {
	keys    []*omadata.SigningKey // newest first
	rotated int
}

func (m *signingKeys) FindSigningKeys(ctx context.Context) ([]*omadata.SigningKey, error) {
	return m.keys, nil
}

func (m *signingKeys) RotateSigningKey(ctx context.Context, k *omadata.SigningKey) error {
	for _, old := range m.keys {
		if old.Purpose == k.Purpose {
			old.Status = "retired"
		}
	}
	m.keys = append([]*omadata.SigningKey{k}, m.keys...)
	m.rotated++
	return nil
}

func (m *signingKeys) CreateSigningKey(ctx context.Context, k *omadata.SigningKey) (*omadata.SigningKey, error) {
	for _, old := range m.keys {
		if old.Purpose == k.Purpose && old.Status == "active" {
			return old, nil
		}
	}
	return k, m.RotateSigningKey(ctx, k)
}

var _ omadata.SigningKeyService = (*signingKeys)(nil)

func TestEnsure(t *testing.T) {
	ctx := context.Background()
	s := newSealer(t, 3)
	svc := &signingKeys{}

	k, err := keys.Ensure(ctx, svc, s, omadata.KeyPurposeRecords)
	if err != nil {
		t.Fatal(err)
	}
	if !omadata.ValidID(omadata.PrefixSigningKey, k.ID) {
		t.Errorf("ID: got %q, want a key ID", k.ID)
	}
	if k.Algorithm != "EdDSA" || k.Purpose != omadata.KeyPurposeRecords || k.Status != "active" {
		t.Errorf("got alg %q purpose %q status %q, want EdDSA records active", k.Algorithm, k.Purpose, k.Status)
	}

	again, err := keys.Ensure(ctx, svc, s, omadata.KeyPurposeRecords)
	if err != nil {
		t.Fatal(err)
	} else if again.ID != k.ID || svc.rotated != 1 {
		t.Fatalf("second Ensure: got key %s after %d rotations, want %s after 1", again.ID, svc.rotated, k.ID)
	}

	other, err := keys.Ensure(ctx, svc, s, "other")
	if err != nil {
		t.Fatal(err)
	} else if other.ID == k.ID || svc.rotated != 2 {
		t.Fatalf("Ensure for another purpose: got key %s after %d rotations, want a new key after 2", other.ID, svc.rotated)
	}

	rotated, err := keys.Rotate(ctx, svc, s, omadata.KeyPurposeRecords)
	if err != nil {
		t.Fatal(err)
	} else if rotated.ID == k.ID {
		t.Fatal("Rotate returned the old key")
	}
	if got, err := keys.Ensure(ctx, svc, s, omadata.KeyPurposeRecords); err != nil {
		t.Fatal(err)
	} else if got.ID != rotated.ID {
		t.Fatalf("Ensure after Rotate: got %s, want %s", got.ID, rotated.ID)
	}
}

func TestPublicJWK(t *testing.T) {
	k, err := keys.New(newSealer(t, 4), omadata.KeyPurposeRecords)
	if err != nil {
		t.Fatal(err)
	}
	var jwk jose.JSONWebKey
	if err := json.Unmarshal([]byte(k.PublicJWK), &jwk); err != nil {
		t.Fatalf("go-jose cannot parse the public JWK: %v", err)
	}
	if !jwk.Valid() || !jwk.IsPublic() {
		t.Errorf("got valid %t public %t, want a valid public key", jwk.Valid(), jwk.IsPublic())
	}
	if jwk.KeyID != k.ID || jwk.Algorithm != "EdDSA" || jwk.Use != "sig" {
		t.Errorf("got kid %q alg %q use %q, want %q EdDSA sig", jwk.KeyID, jwk.Algorithm, jwk.Use, k.ID)
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(k.PublicJWK), &raw); err != nil {
		t.Fatal(err)
	}
	if _, ok := raw["d"]; ok {
		t.Errorf("public JWK has a private part: %s", k.PublicJWK)
	}
	if raw["kty"] != "OKP" || raw["crv"] != "Ed25519" {
		t.Errorf("got kty %v crv %v, want OKP Ed25519", raw["kty"], raw["crv"])
	}
}

func TestSigner(t *testing.T) {
	s := newSealer(t, 5)
	k, err := keys.New(s, omadata.KeyPurposeRecords)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := keys.Signer(k, s)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := keys.PublicKey(k)
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("tree head")
	if !ed25519.Verify(pub, msg, ed25519.Sign(priv, msg)) {
		t.Fatal("signature does not verify with the public JWK")
	}

	t.Run("WrongSecret", func(t *testing.T) {
		if _, err := keys.Signer(k, newSealer(t, 6)); !errors.Is(err, keys.ErrOpen) {
			t.Fatalf("got %v, want ErrOpen", err)
		}
	})
	t.Run("SwappedBlob", func(t *testing.T) {
		other, err := keys.New(s, omadata.KeyPurposeRecords)
		if err != nil {
			t.Fatal(err)
		}
		swapped := *k
		swapped.PrivateKey = other.PrivateKey
		if _, err := keys.Signer(&swapped, s); !errors.Is(err, keys.ErrOpen) {
			t.Fatalf("got %v, want ErrOpen", err)
		}
	})
	t.Run("MismatchedPublicKey", func(t *testing.T) {
		other, err := keys.New(s, omadata.KeyPurposeRecords)
		if err != nil {
			t.Fatal(err)
		}
		// A blob resealed under this key's ID but holding another seed.
		seed, err := s.Open(other.ID, other.PrivateKey)
		if err != nil {
			t.Fatal(err)
		}
		mixed := *k
		if mixed.PrivateKey, err = s.Seal(k.ID, seed); err != nil {
			t.Fatal(err)
		}
		if _, err := keys.Signer(&mixed, s); err == nil {
			t.Fatal("got nil error, want a mismatch")
		}
	})
}

func TestKeyring(t *testing.T) {
	secret := make([]byte, keys.SecretKeySize)
	k1, err := keys.NewKeyring(secret)
	if err != nil {
		t.Fatal(err)
	}
	other := make([]byte, keys.SecretKeySize)
	other[0] = 1
	k2, _ := keys.NewKeyring(other)
	a, b := k1.BlindIndex("131052-308T"), k1.BlindIndex("131052-308T")
	if a != b || a == k2.BlindIndex("131052-308T") || a == k1.BlindIndex("131052-308U") || len(a) != 64 {
		t.Fatalf("blind index not deterministic per key: %s %s", a, b)
	}
	sealed, err := k1.Seal([]byte("131052-308T"), []byte("res_1"))
	if err != nil {
		t.Fatal(err)
	}
	if plain, err := k1.Open(sealed, []byte("res_1")); err != nil || string(plain) != "131052-308T" {
		t.Fatalf("got %q, %v", plain, err)
	}
	if _, err := k1.Open(sealed, []byte("res_2")); err == nil {
		t.Fatal("opened with another record's additional data")
	}
	if _, err := k2.Open(sealed, []byte("res_1")); err == nil {
		t.Fatal("opened under another secret key")
	}
	// The data key is not the signing-key sealer's key: no key serves two uses.
	s, _ := keys.NewSealer(secret)
	if _, err := s.Open("res_1", sealed); err == nil {
		t.Fatal("the signing-key sealer opened personal data")
	}
}

// TestFederationJWK: a federation key is published with its RFC 7638
// thumbprint as kid, checked against RFC 8037 Appendix A.3's vector.
func TestFederationJWK(t *testing.T) {
	var x jose.JSONWebKey
	if err := x.UnmarshalJSON([]byte(`{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`)); err != nil {
		t.Fatal(err)
	}
	pub := x.Key.(ed25519.PublicKey)
	jwk, err := json.Marshal(jose.JSONWebKey{Key: pub, KeyID: "key_a", Algorithm: keys.Algorithm, Use: "sig"})
	if err != nil {
		t.Fatal(err)
	}
	k := &omadata.SigningKey{ID: "key_a", Purpose: omadata.KeyPurposeFederation, PublicJWK: string(jwk)}
	got, err := keys.FederationJWK(k)
	if err != nil {
		t.Fatal(err)
	}
	if got.KeyID != "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k" || got.Algorithm != "EdDSA" || got.Use != "sig" || !pub.Equal(got.Key) {
		t.Errorf("got kid %q alg %q use %q, want RFC 8037's thumbprint kPrK_…S4k, EdDSA, sig", got.KeyID, got.Algorithm, got.Use)
	}
}
