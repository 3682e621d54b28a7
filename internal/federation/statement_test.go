// SPDX-License-Identifier: Apache-2.0

package federation_test

import (
	"errors"
	"testing"
	"time"

	"github.com/omadata/omadata/internal/federation"
)

// TestVerify: the checks of OIDF §3 and §10.2 on one statement.
func TestVerify(t *testing.T) {
	key, err := federation.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	other, err := federation.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	const id = "https://helsinki.example"
	st := func(change func(*federation.Statement)) *federation.Statement {
		s := &federation.Statement{Issuer: id, Subject: id, IssuedAt: now.Unix(), ExpiresAt: now.Add(time.Hour).Unix(), JWKS: federation.KeySet(key)}
		if change != nil {
			change(s)
		}
		return s
	}
	sign := func(s *federation.Statement, k federation.Key) string {
		jws, err := federation.Sign(s, k)
		if err != nil {
			t.Fatal(err)
		}
		return jws
	}
	good := sign(st(nil), key)
	if got, err := federation.Verify(good, federation.KeySet(key), id, id, now); err != nil || got.Subject != id {
		t.Fatalf("Verify = %+v, %v", got, err)
	}
	mark, err := federation.IssueTrustMark(&federation.TrustMark{Issuer: id, Subject: id, Type: "t", IssuedAt: now.Unix(), ExpiresAt: now.Add(time.Hour).Unix()}, key)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		jws  string
		iss  string
		now  time.Time
	}{
		{"WrongTyp", mark, id, now},
		{"OtherKey", sign(st(nil), other), id, now},
		{"RogueKeyUnderOurKid", sign(st(nil), federation.Key{ID: key.ID, Private: other.Private}), id, now},
		{"WrongIssuer", good, "https://espoo.example", now},
		{"IssuedInTheFuture", sign(st(func(s *federation.Statement) { s.IssuedAt = now.Add(2 * time.Minute).Unix() }), key), id, now},
		{"Expired", good, id, now.Add(time.Hour)},
		{"TooLong", sign(st(func(s *federation.Statement) { s.ExpiresAt = now.Add(25 * time.Hour).Unix() }), key), id, now},
		// exp − iat as a Duration would wrap to 0.29 s.
		{"LifetimeOverflow", sign(st(func(s *federation.Statement) { s.IssuedAt = s.ExpiresAt - 18446744074 }), key), id, now},
		{"IssuedAfterExpiry", sign(st(func(s *federation.Statement) { s.IssuedAt = s.ExpiresAt + 1 }), key), id, now},
		{"NoExp", sign(st(func(s *federation.Statement) { s.ExpiresAt = 0 }), key), id, now},
		{"NotAJWS", "a.b.c", id, now},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var ce *federation.ChainError
			if _, err := federation.Verify(c.jws, federation.KeySet(key), c.iss, id, c.now); !errors.As(err, &ce) {
				t.Errorf("Verify = %v, want a chain error", err)
			}
		})
	}
	// The skew: iat up to 60 s ahead is accepted.
	ahead := sign(st(func(s *federation.Statement) { s.IssuedAt = now.Add(50 * time.Second).Unix() }), key)
	if _, err := federation.Verify(ahead, federation.KeySet(key), id, id, now); err != nil {
		t.Errorf("iat 50 s ahead: %v", err)
	}
}

func TestValidEntityID(t *testing.T) {
	for _, id := range []string{"https://helsinki.example", "https://helsinki.example/operator", "http://127.0.0.1:8080",
		"http://127.0.0.1", "http://[::1]:8080", "http://[::1]", "https://localhost:8443"} {
		if err := federation.ValidEntityID("id", id); err != nil {
			t.Errorf("%s: %v", id, err)
		}
	}
	for _, id := range []string{"", "helsinki.example", "http://helsinki.example", "https://helsinki.example/", "https://helsinki.example?x=1",
		"https://helsinki.example#f", "https://u@helsinki.example", "ftp://helsinki.example",
		// http only on the literal loopback addresses (network.md §1).
		"http://localhost:8080", "http://127.0.0.2:8080", "http://[::2]:8080", "http://127.0.0.1.example:8080"} {
		if err := federation.ValidEntityID("id", id); err == nil {
			t.Errorf("%q accepted", id)
		}
	}
}
