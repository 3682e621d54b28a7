// SPDX-License-Identifier: Apache-2.0

package network_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/omadata/omadata/internal/network"
)

// TestAnswer signs an answer and verifies it, and refuses one whose
// signature, key, type, issuer, audience, nonce or time does not check.
func TestAnswer(t *testing.T) {
	home, sinkOp := newMember(t, "https://helsinki.example"), newMember(t, "https://espoo.example")
	keys := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{home.jwk.Public()}}
	now := time.Unix(1767225600, 0)
	call := &network.Call{OperatorID: sinkOp.id, Nonce: "4pQbq8nQY2rJcUV0-ZJm3A"}
	claims := network.ClaimsFor(call, home.id, now)
	members := map[string]any{"event": "nev_1"}
	jws, err := network.SignAnswer(claims, members, home.kid, home.key)
	if err != nil {
		t.Fatal(err)
	}
	a, err := network.VerifyAnswer(jws, keys, home.id, sinkOp.id, call.Nonce, now.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Event string `json:"event"`
		Exp   int64  `json:"exp"`
	}
	if err := json.Unmarshal(a.Payload, &got); err != nil || got.Event != "nev_1" || got.Exp != now.Unix()+300 || a.JWS != jws {
		t.Errorf("got %+v, %v", got, err)
	}
	parsed, _ := jose.ParseSigned(jws, []jose.SignatureAlgorithm{jose.EdDSA})
	if h := parsed.Signatures[0].Protected; h.KeyID != home.kid || h.ExtraHeaders[jose.HeaderType] != "omadata-answer+jwt" || h.Algorithm != "EdDSA" {
		t.Errorf("header: %+v", h)
	}

	sign := func(c network.AnswerClaims, m member, typ string) string {
		t.Helper()
		if typ != "" {
			s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: m.key}, (&jose.SignerOptions{}).WithType(jose.ContentType(typ)).WithHeader("kid", m.kid))
			if err != nil {
				t.Fatal(err)
			}
			p, _ := json.Marshal(c)
			o, _ := s.Sign(p)
			out, _ := o.CompactSerialize()
			return out
		}
		out, err := network.SignAnswer(c, nil, m.kid, m.key)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	impostor := newMember(t, home.id)
	sameKid := impostor
	sameKid.kid = home.kid
	parts := strings.Split(jws, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	payload = []byte(strings.Replace(string(payload), "nev_1", "nev_2", 1))
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString(payload) + "." + parts[2]
	long := claims
	long.Expiry = long.IssuedAt + 301
	future := network.ClaimsFor(call, home.id, now.Add(2*time.Minute))
	wrap := claims // exp − iat overflows int64 to a negative lifetime
	wrap.IssuedAt, wrap.Expiry = math.MinInt64, now.Add(time.Hour).Unix()
	cases := []struct {
		name, jws, iss, aud, nonce string
		at                         time.Time
		check                      string
	}{
		{"wrong nonce", jws, home.id, sinkOp.id, "another-nonce-0000000", now, "nonce"},
		{"wrong audience", jws, home.id, "https://turku.example", call.Nonce, now, "aud"},
		{"wrong issuer", jws, "https://turku.example", sinkOp.id, call.Nonce, now, "iss"},
		{"expired", jws, home.id, sinkOp.id, call.Nonce, now.Add(300 * time.Second), "exp"},
		{"issued in the future", sign(future, home, ""), home.id, sinkOp.id, call.Nonce, now, "iat"},
		{"lives too long", sign(long, home, ""), home.id, sinkOp.id, call.Nonce, now, "exp"},
		{"lifetime overflows", sign(wrap, home, ""), home.id, sinkOp.id, call.Nonce, now, "iat"},
		{"unknown kid", sign(claims, impostor, ""), home.id, sinkOp.id, call.Nonce, now, "kid"},
		{"another key", sign(claims, sameKid, ""), home.id, sinkOp.id, call.Nonce, now, "signature"},
		{"another type", sign(claims, home, "JWT"), home.id, sinkOp.id, call.Nonce, now, "typ"},
		{"tampered", tampered, home.id, sinkOp.id, call.Nonce, now, "signature"},
		{"not a JWS", "x.y", home.id, sinkOp.id, call.Nonce, now, "jws"},
	}
	for _, c := range cases {
		_, err := network.VerifyAnswer(c.jws, keys, c.iss, c.aud, c.nonce, c.at)
		var ae *network.AnswerError
		if !errors.As(err, &ae) || ae.Check != c.check {
			t.Errorf("%s: got %v, want the answer's %s not to check", c.name, err, c.check)
		}
	}
	if _, err := network.SignAnswer(claims, map[string]any{"nonce": "x"}, home.kid, home.key); err == nil {
		t.Error("an answer member named nonce was signed")
	}
	if _, err := network.SignAnswer(claims, []int{1}, home.kid, home.key); err == nil {
		t.Error("an answer that is no JSON object was signed")
	}
}

// TestWriteAnswer: an answer is application/jwt, not stored by caches
// unless its handler says how long it may be (the catalogue).
func TestWriteAnswer(t *testing.T) {
	w := httptest.NewRecorder()
	network.WriteAnswer(w, http.StatusOK, "a.b.c")
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/jwt" || w.Header().Get("Cache-Control") != "no-store" || w.Body.String() != "a.b.c" {
		t.Errorf("got %d %v %q", w.Code, w.Header(), w.Body)
	}
	w = httptest.NewRecorder()
	w.Header().Set("Cache-Control", "max-age=300")
	network.WriteAnswer(w, http.StatusOK, "a.b.c")
	if got := w.Header().Get("Cache-Control"); got != "max-age=300" {
		t.Errorf("Cache-Control: got %s, want max-age=300", got)
	}
}
