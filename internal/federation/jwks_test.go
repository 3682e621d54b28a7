// SPDX-License-Identifier: Apache-2.0

package federation_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/omadata/omadata/internal/dpop"
	"github.com/omadata/omadata/internal/federation"
)

// TestParseJWKS: a JWK set of federation public keys as network.md §1 has
// them is accepted; anything else is refused, saying why.
func TestParseJWKS(t *testing.T) {
	k1, _ := federation.NewKey()
	k2, _ := federation.NewKey()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	marshal := func(keys ...jose.JSONWebKey) string {
		b, err := json.Marshal(jose.JSONWebKeySet{Keys: keys})
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	good := marshal(k1.Public(), k2.Public())
	set, err := federation.ParseJWKS([]byte(good))
	if err != nil || len(set.Keys) != 2 || set.Keys[0].KeyID != k1.ID || set.Keys[1].KeyID != k2.ID {
		t.Fatalf("ParseJWKS(two federation keys) = %+v, %v", set, err)
	}
	// The kid is the thumbprint dpop.Thumbprint computes: one thumbprint.
	pub := k1.Public()
	if tp, err := dpop.Thumbprint(&pub); err != nil || tp != k1.ID {
		t.Errorf("dpop.Thumbprint = %s, %v; want the federation kid %s", tp, err, k1.ID)
	}
	wrongKid := k1.Public()
	wrongKid.KeyID = k2.ID
	noKid := k1.Public()
	noKid.KeyID = ""
	encrypt := k1.Public()
	encrypt.Use = "enc"
	otherAlg := k1.Public()
	otherAlg.Algorithm = "ES256"
	for _, tc := range []struct{ name, in, want string }{
		{"NotJSON", "{keys", "not a JWK set"},
		{"Empty", `{"keys":[]}`, "no keys"},
		{"Private", marshal(jose.JSONWebKey{Key: k1.Private, KeyID: k1.ID}), "not a public Ed25519 key"},
		{"EC", marshal(jose.JSONWebKey{Key: &ec.PublicKey, KeyID: "x"}), "not a public Ed25519 key"},
		{"KidNotThumbprint", marshal(k2.Public(), wrongKid), "key 1: kid"},
		{"NoKid", marshal(noKid), "no kid"},
		{"Encryption", marshal(encrypt), "not a signing key"},
		{"OtherAlg", marshal(otherAlg), "want EdDSA"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := federation.ParseJWKS([]byte(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParseJWKS = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
