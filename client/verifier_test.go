// SPDX-License-Identifier: Apache-2.0

package client_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/client"
)

// fakeOperator serves a key set that a test may change, counts how often
// it is fetched, and says every grant is active.
type fakeOperator struct {
	mu      sync.Mutex
	keys    []jose.JSONWebKey
	fetches atomic.Int32
}

func (f *fakeOperator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/.well-known/jwks.json":
		f.fetches.Add(1)
		f.mu.Lock()
		defer f.mu.Unlock()
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: f.keys})
	case "/.well-known/mydata/operatordescription":
		json.NewEncoder(w).Encode(map[string]string{"operatorId": "fake-operator"})
	default:
		json.NewEncoder(w).Encode(omadata.GrantStatus{Active: true})
	}
}

func (f *fakeOperator) publish(kid string, pub ed25519.PublicKey) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys = append(f.keys, jose.JSONWebKey{Key: pub, KeyID: kid, Algorithm: "EdDSA", Use: "sig"})
}

// grantFor signs a grant for source "svc_source" bound to the DPoP key.
func grantFor(t *testing.T, now time.Time, kid string, key, dpop ed25519.PrivateKey) *omadata.Grant {
	t.Helper()
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
	if err != nil {
		t.Fatal(err)
	}
	jkt, err := client.Thumbprint(dpop)
	if err != nil {
		t.Fatal(err)
	}
	claims := omadata.GrantClaims{DataGroupIDs: []string{"dg_loans"}, PurposeID: "pur_x", SinkID: "svc_sink"}
	claims.Confirmation.JKT = jkt
	tok, err := jwt.Signed(sig).Claims(jwt.Claims{
		Issuer: "fake-operator", Audience: jwt.Audience{"svc_source"}, Subject: "psn_resident", ID: omadata.NewID(omadata.PrefixGrant),
		IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(omadata.GrantTTL)),
	}).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return &omadata.Grant{Token: tok}
}

// TestVerifierKeyCache checks that the operator's keys are cached, fetched
// again when stale, and on an unknown kid at most every ten seconds.
func TestVerifierKeyCache(t *testing.T) {
	op := &fakeOperator{}
	hs := httptest.NewServer(op)
	t.Cleanup(hs.Close)
	_, key1, _ := ed25519.GenerateKey(rand.Reader)
	pub2, key2, _ := ed25519.GenerateKey(rand.Reader)
	_, dpop, _ := ed25519.GenerateKey(rand.Reader)
	op.publish("k1", key1.Public().(ed25519.PublicKey))

	var offset atomic.Int64 // how far the verifier's clock is ahead
	clock := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	c := client.New(hs.URL, "oma_svc_source", client.WithClock(clock))
	v := client.NewVerifier(hs.URL, "svc_source", c, client.WithVerifierClock(clock), client.WithPublicURL("https://source.example"))
	verify := func(t *testing.T, g *omadata.Grant) error {
		t.Helper()
		r, err := c.DPoPRequest(context.Background(), "GET", "https://source.example/loans", nil, g, dpop)
		if err != nil {
			t.Fatal(err)
		}
		got, err := v.VerifyRequest(context.Background(), r)
		if err == nil && (got.Pseudonym != "psn_resident" || !got.Allows("dg_loans") || got.Allows("dg_health")) {
			t.Fatalf("got %+v, want the grant's resident and data groups", got)
		}
		return err
	}

	for range 3 {
		if err := verify(t, grantFor(t, clock(), "k1", key1, dpop)); err != nil {
			t.Fatal(err)
		}
	}
	if n := op.fetches.Load(); n != 1 {
		t.Fatalf("got %d key fetches for three requests, want 1", n)
	}

	// A grant signed by a key the operator has just published makes the
	// verifier fetch again; unknown kids do so at most every ten seconds.
	op.publish("k2", pub2)
	offset.Store(int64(11 * time.Second))
	if err := verify(t, grantFor(t, clock(), "k2", key2, dpop)); err != nil {
		t.Fatalf("got %v, want the new key found on a fetch", err)
	}
	if n := op.fetches.Load(); n != 2 {
		t.Fatalf("got %d key fetches, want 2", n)
	}
	offset.Store(int64(22 * time.Second))
	for range 3 {
		if err := verify(t, grantFor(t, clock(), "k9", key2, dpop)); client.ErrorCode(err) != omadata.EUNAUTHORIZED {
			t.Fatalf("got %v, want an unknown key refused", err)
		}
	}
	if n := op.fetches.Load(); n != 3 {
		t.Fatalf("got %d key fetches after unknown kids, want 3: one, then none for ten seconds", n)
	}

	// Stale keys are fetched again.
	offset.Store(int64(6 * time.Minute))
	if err := verify(t, grantFor(t, clock(), "k1", key1, dpop)); err != nil {
		t.Fatal(err)
	}
	if n := op.fetches.Load(); n != 4 {
		t.Fatalf("got %d key fetches, want 4", n)
	}
}
