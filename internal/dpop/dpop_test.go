// SPDX-License-Identifier: Apache-2.0

package dpop_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"

	"github.com/omadata/omadata/internal/dpop"
)

// The examples of RFC 9449: the proof of §4.1 (Figure 3), made for the
// token request of §5 (Figure 6), and the proof of §7.1 (Figure 13) that
// goes with the access token of §7.1 (Figure 12). The key's thumbprint is
// the jkt of §6.1 (Figure 7).
const (
	rfcTokenProof    = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg"
	rfcResourceProof = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiJlMWozVl9iS2ljOC1MQUVCIiwiaHRtIjoiR0VUIiwiaHR1IjoiaHR0cHM6Ly9yZXNvdXJjZS5leGFtcGxlLm9yZy9wcm90ZWN0ZWRyZXNvdXJjZSIsImlhdCI6MTU2MjI2MjYxOCwiYXRoIjoiZlVIeU8ycjJaM0RaNTNFc05yV0JiMHhXWG9hTnk1OUlpS0NBcWtzbVFFbyJ9.2oW9RP35yRqzhrtNP86L-Ey71EOptxRimPPToA1plemAgR6pxHF8y6-yqyVnmcw6Fy1dqd-jfxSYoMxhAJpLjA"
	rfcAccessToken   = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"
	rfcJKT           = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
	rfcATH           = "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
)

func at(unix int64) func() time.Time { return func() time.Time { return time.Unix(unix, 0) } }

func TestRFC9449Examples(t *testing.T) {
	ctx := context.Background()
	v := &dpop.Verifier{Now: at(1562262616)}
	p, err := v.Verify(ctx, []string{rfcTokenProof}, "POST", "https://server.example.com/token", "")
	if err != nil {
		t.Fatal(err)
	}
	if p.JKT != rfcJKT || p.ID != "-BwC3ESc6acc2lTc" || p.IssuedAt.Unix() != 1562262616 {
		t.Errorf("proof = %+v", p)
	}
	if dpop.TokenHash(rfcAccessToken) != rfcATH {
		t.Errorf("TokenHash = %s, want %s", dpop.TokenHash(rfcAccessToken), rfcATH)
	}
	p, err = (&dpop.Verifier{Now: at(1562262620)}).Verify(ctx, []string{rfcResourceProof}, "GET", "https://resource.example.org/protectedresource?x=1", rfcAccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if p.JKT != rfcJKT {
		t.Errorf("jkt = %s", p.JKT)
	}
	// The same proofs, checked as other requests.
	for name, tc := range map[string]struct {
		proof, method, uri, token string
		now                       int64
	}{
		"replayed":             {rfcTokenProof, "POST", "https://server.example.com/token", "", 1562262616},
		"other method":         {rfcTokenProof, "GET", "https://server.example.com/token", "", 1562262616},
		"other URL":            {rfcTokenProof, "POST", "https://server.example.com/token2", "", 1562262616},
		"other host":           {rfcTokenProof, "POST", "https://evil.example.com/token", "", 1562262616},
		"http":                 {rfcTokenProof, "POST", "http://server.example.com/token", "", 1562262616},
		"too old":              {rfcResourceProof, "GET", "https://resource.example.org/protectedresource", rfcAccessToken, 1562262618 + 121},
		"from the future":      {rfcResourceProof, "GET", "https://resource.example.org/protectedresource", rfcAccessToken, 1562262618 - 31},
		"other token":          {rfcResourceProof, "GET", "https://resource.example.org/protectedresource", rfcAccessToken + "x", 1562262618},
		"token without ath":    {rfcTokenProof, "POST", "https://server.example.com/token", rfcAccessToken, 1562262616},
		"tampered payload":     {tamper(rfcTokenProof), "GET", "https://server.example.com/token", "", 1562262616},
		"not a JWT":            {"eyJ0eXAiOiJkcG9wK2p3dCJ9", "POST", "https://server.example.com/token", "", 1562262616},
		"trailing garbage":     {rfcTokenProof + ".x", "POST", "https://server.example.com/token", "", 1562262616},
		"signature of another": {rfcTokenProof[:strings.LastIndex(rfcTokenProof, ".")] + rfcResourceProof[strings.LastIndex(rfcResourceProof, "."):], "POST", "https://server.example.com/token", "", 1562262616},
	} {
		t.Run(name, func(t *testing.T) {
			verifier := v // "replayed" shares the verifier that saw the proof
			if name != "replayed" {
				verifier = &dpop.Verifier{Now: at(tc.now)}
			}
			_, err := verifier.Verify(ctx, []string{tc.proof}, tc.method, tc.uri, tc.token)
			var de *dpop.Error
			if !errors.As(err, &de) {
				t.Fatalf("err = %v, want a *dpop.Error", err)
			}
		})
	}
}

// tamper changes the method in the proof's payload, keeping the signature.
func tamper(proof string) string {
	parts := strings.Split(proof, ".")
	b, _ := json.Marshal(map[string]any{"jti": "-BwC3ESc6acc2lTc", "htm": "GET", "htu": "https://server.example.com/token", "iat": 1562262616})
	return parts[0] + "." + b64(b) + "." + parts[2]
}

// jwxProof makes a proof with an independent JOSE library: header fields
// and claims as given, signed with key under alg.
func jwxProof(t *testing.T, key crypto.Signer, alg jwa.SignatureAlgorithm, header map[string]any, claims map[string]any) string {
	t.Helper()
	h := jws.NewHeaders()
	pub, err := jwk.Import(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]any{"typ": "dpop+jwt", "jwk": pub} {
		if err := h.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	for k, v := range header {
		if v == nil {
			if err := h.Remove(k); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := h.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jws.Sign(payload, jws.WithKey(alg, key, jws.WithProtectedHeaders(h)))
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestVerifyRules(t *testing.T) {
	ctx := context.Background()
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ed, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	_ = ed
	rsa2048, _ := rsa.GenerateKey(rand.Reader, 2048)
	rsa1024, _ := rsa.GenerateKey(rand.Reader, 1024)
	now := time.Now()
	const uri = "https://omadata.example/api/v1/me/consents"
	good := func() map[string]any {
		return map[string]any{"jti": rand.Text(), "htm": "GET", "htu": uri, "iat": now.Unix(), "ath": dpop.TokenHash("tok")}
	}
	with := func(k string, v any) map[string]any {
		c := good()
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	privJWK, _ := jwk.Import(ec)
	for _, tc := range []struct {
		name   string
		proof  string
		method string
		uri    string
		ok     bool
	}{
		{"ES256", jwxProof(t, ec, jwa.ES256(), nil, good()), "GET", uri, true},
		{"EdDSA", jwxProof(t, edPriv, jwa.EdDSA(), nil, good()), "GET", uri, true},
		{"PS256", jwxProof(t, rsa2048, jwa.PS256(), nil, good()), "GET", uri, true},
		{"RS256", jwxProof(t, rsa2048, jwa.RS256(), nil, good()), "GET", uri, true},
		{"RSA under 2048 bits", joseProof(t, rsa1024, good()), "GET", uri, false},
		{"typ in upper case", jwxProof(t, ec, jwa.ES256(), map[string]any{"typ": "DPoP+JWT"}, good()), "GET", uri, true},
		{"typ JWT", jwxProof(t, ec, jwa.ES256(), map[string]any{"typ": "JWT"}, good()), "GET", uri, false},
		{"no typ", jwxProof(t, ec, jwa.ES256(), map[string]any{"typ": nil}, good()), "GET", uri, false},
		{"no jwk", jwxProof(t, ec, jwa.ES256(), map[string]any{"jwk": nil}, good()), "GET", uri, false},
		{"private jwk", jwxProof(t, ec, jwa.ES256(), map[string]any{"jwk": privJWK}, good()), "GET", uri, false},
		{"no jti", jwxProof(t, ec, jwa.ES256(), nil, with("jti", nil)), "GET", uri, false},
		{"numeric jti", jwxProof(t, ec, jwa.ES256(), nil, with("jti", 7)), "GET", uri, false},
		{"no htm", jwxProof(t, ec, jwa.ES256(), nil, with("htm", nil)), "GET", uri, false},
		{"htm in lower case", jwxProof(t, ec, jwa.ES256(), nil, with("htm", "get")), "GET", uri, false},
		{"no htu", jwxProof(t, ec, jwa.ES256(), nil, with("htu", nil)), "GET", uri, false},
		{"htu with query and fragment", jwxProof(t, ec, jwa.ES256(), nil, with("htu", uri+"?a=1#x")), "GET", uri, true},
		{"htu with default port and upper-case host", jwxProof(t, ec, jwa.ES256(), nil, with("htu", "https://OMADATA.example:443/api/v1/me/consents")), "GET", uri, true},
		{"htu percent-encoded", jwxProof(t, ec, jwa.ES256(), nil, with("htu", "https://omadata.example/api/v1/me/%63onsents")), "GET", uri, true},
		{"htu of a sibling path", jwxProof(t, ec, jwa.ES256(), nil, with("htu", uri+"/x")), "GET", uri, false},
		{"htu relative", jwxProof(t, ec, jwa.ES256(), nil, with("htu", "/api/v1/me/consents")), "GET", uri, false},
		{"htu with user info", jwxProof(t, ec, jwa.ES256(), nil, with("htu", "https://a@omadata.example/api/v1/me/consents")), "GET", uri, false},
		{"no iat", jwxProof(t, ec, jwa.ES256(), nil, with("iat", nil)), "GET", uri, false},
		{"iat a string", jwxProof(t, ec, jwa.ES256(), nil, with("iat", "now")), "GET", uri, false},
		{"iat fractional", jwxProof(t, ec, jwa.ES256(), nil, with("iat", float64(now.Unix())+0.5)), "GET", uri, true},
		{"iat huge", jwxProof(t, ec, jwa.ES256(), nil, with("iat", 1e300)), "GET", uri, false},
		{"iat 3 minutes ago", jwxProof(t, ec, jwa.ES256(), nil, with("iat", now.Add(-3*time.Minute).Unix())), "GET", uri, false},
		{"iat 1 minute ago", jwxProof(t, ec, jwa.ES256(), nil, with("iat", now.Add(-time.Minute).Unix())), "GET", uri, true},
		{"iat 1 minute ahead", jwxProof(t, ec, jwa.ES256(), nil, with("iat", now.Add(time.Minute).Unix())), "GET", uri, false},
		{"no ath", jwxProof(t, ec, jwa.ES256(), nil, with("ath", nil)), "GET", uri, false},
		{"ath of another token", jwxProof(t, ec, jwa.ES256(), nil, with("ath", dpop.TokenHash("other"))), "GET", uri, false},
		{"crit header", jwxProof(t, ec, jwa.ES256(), map[string]any{"crit": []string{"exp"}, "exp": 1}, good()), "GET", uri, false},
		{"HS256", hs256Proof(t, good()), "GET", uri, false},
		{"alg none", noneProof(t, good()), "GET", uri, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := (&dpop.Verifier{}).Verify(ctx, []string{tc.proof}, tc.method, tc.uri, "tok")
			if tc.ok && err != nil {
				t.Fatalf("refused: %v", err)
			} else if !tc.ok && err == nil {
				t.Fatalf("accepted: %+v", p)
			} else if err != nil {
				t.Log(err)
			}
			var de *dpop.Error
			if err != nil && !errors.As(err, &de) {
				t.Fatalf("err = %v, want a *dpop.Error", err)
			}
		})
	}
	// One header, not two or none.
	proof := jwxProof(t, ec, jwa.ES256(), nil, good())
	for _, h := range [][]string{nil, {proof, proof}, {""}} {
		if _, err := (&dpop.Verifier{}).Verify(ctx, h, "GET", uri, "tok"); err == nil {
			t.Errorf("Verify(%d headers) accepted", len(h))
		}
	}
	if _, err := (&dpop.Verifier{}).Verify(ctx, []string{strings.Repeat("a", dpop.MaxProofSize+1)}, "GET", uri, "tok"); err == nil {
		t.Error("an oversized proof accepted")
	}
}

// joseProof makes a proof with go-jose, for keys jwx refuses to embed.
func joseProof(t *testing.T, key crypto.Signer, claims map[string]any) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{EmbedJWK: true}).WithType("dpop+jwt"))
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	sig, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := sig.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func hs256Proof(t *testing.T, claims map[string]any) string {
	t.Helper()
	h := jws.NewHeaders()
	_ = h.Set("typ", "dpop+jwt")
	payload, _ := json.Marshal(claims)
	out, err := jws.Sign(payload, jws.WithKey(jwa.HS256(), []byte("0123456789abcdef0123456789abcdef"), jws.WithProtectedHeaders(h)))
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func noneProof(t *testing.T, claims map[string]any) string {
	t.Helper()
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pub, _ := jwk.Import(ec.Public())
	hb, _ := json.Marshal(map[string]any{"typ": "dpop+jwt", "alg": "none", "jwk": pub})
	pb, _ := json.Marshal(claims)
	return b64(hb) + "." + b64(pb) + "."
}

// TestSignerVerifiedByJWX checks our Signer's proofs with the independent
// library, and with our Verifier: the SDK's proofs are what servers expect.
func TestSignerVerifiedByJWX(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	r, _ := rsa.GenerateKey(rand.Reader, 2048)
	for _, key := range []crypto.Signer{ec, ed, r} {
		s, err := dpop.NewSigner(key)
		if err != nil {
			t.Fatal(err)
		}
		proof, err := s.Proof("POST", "https://omadata.example/oauth/token?ignored=1", "tok")
		if err != nil {
			t.Fatal(err)
		}
		msg, err := jws.Parse([]byte(proof))
		if err != nil {
			t.Fatal(err)
		}
		hdr := msg.Signatures()[0].ProtectedHeaders()
		var typ string
		if err := hdr.Get("typ", &typ); err != nil || typ != "dpop+jwt" {
			t.Errorf("typ = %q (%v)", typ, err)
		}
		pub, ok := hdr.JWK()
		if !ok {
			t.Fatal("no jwk header")
		}
		alg, _ := hdr.Algorithm()
		payload, err := jws.Verify([]byte(proof), jws.WithKey(alg, pub))
		if err != nil {
			t.Fatalf("%T: jwx does not verify our proof: %v", key, err)
		}
		tp, err := pub.Thumbprint(crypto.SHA256)
		if err != nil || b64(tp) != s.JKT() {
			t.Errorf("%T: JKT = %s, jwx thumbprint %s", key, s.JKT(), b64(tp))
		}
		var c map[string]any
		_ = json.Unmarshal(payload, &c)
		if c["htu"] != "https://omadata.example/oauth/token" || c["htm"] != "POST" || c["ath"] != dpop.TokenHash("tok") {
			t.Errorf("claims %v", c)
		}
		p, err := (&dpop.Verifier{}).Verify(context.Background(), []string{proof}, "POST", "https://omadata.example/oauth/token", "tok")
		if err != nil || p.JKT != s.JKT() {
			t.Errorf("%T: Verify = %+v, %v", key, p, err)
		}
	}
}

type replayFunc func(context.Context, string, time.Time) (bool, error)

func (f replayFunc) UseOnce(ctx context.Context, jkt, jti string, until time.Time) (bool, error) {
	return f(ctx, jkt+" "+jti, until)
}

func TestReplayStore(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	s, _ := dpop.NewSigner(ec)
	seen := map[string]time.Time{}
	v := &dpop.Verifier{Replay: replayFunc(func(_ context.Context, key string, until time.Time) (bool, error) {
		if _, ok := seen[key]; ok {
			return false, nil
		}
		seen[key] = until
		return true, nil
	})}
	proof, _ := s.Proof("GET", "https://omadata.example/x", "")
	for i, want := range []bool{true, false} {
		_, err := v.Verify(context.Background(), []string{proof}, "GET", "https://omadata.example/x", "")
		if (err == nil) != want {
			t.Errorf("use %d: err = %v", i+1, err)
		}
	}
	for _, until := range seen {
		if d := time.Until(until); d < dpop.DefaultMaxAge || d > dpop.DefaultMaxAge+dpop.DefaultMaxSkew+time.Minute {
			t.Errorf("kept until %s from now", d)
		}
	}
	// A failing store refuses the proof, and says it was not the proof's fault.
	failing := &dpop.Verifier{Replay: replayFunc(func(context.Context, string, time.Time) (bool, error) {
		return false, errors.New("database down")
	})}
	proof, _ = s.Proof("GET", "https://omadata.example/x", "")
	_, err := failing.Verify(context.Background(), []string{proof}, "GET", "https://omadata.example/x", "")
	var de *dpop.Error
	if err == nil || errors.As(err, &de) {
		t.Errorf("err = %v, want a server error", err)
	}
}

func FuzzVerify(f *testing.F) {
	f.Add(rfcTokenProof, "POST", "https://server.example.com/token", "")
	f.Add(rfcResourceProof, "GET", "https://resource.example.org/protectedresource", rfcAccessToken)
	f.Add("e30.e30.", "GET", "https://a/", "")
	f.Fuzz(func(t *testing.T, proof, method, uri, token string) {
		v := &dpop.Verifier{Now: at(1562262617)}
		p, err := v.Verify(context.Background(), []string{proof}, method, uri, token)
		if err == nil && (p.JKT == "" || p.ID == "") {
			t.Fatalf("accepted without a key or jti: %+v", p)
		}
	})
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
