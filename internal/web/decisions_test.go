// SPDX-License-Identifier: Apache-2.0

package web_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/client"
	"github.com/omadata/omadata/internal/store/storetest"
)

// releaseEnv is an env where sink B processes A's library loans under a
// consent the resident gave, with credentials for the release routes.
type releaseEnv struct {
	*env
	proc                 string // B's processing of A's loans
	resident, psn, other string // a consenting resident and B's pseudonyms of it and of one who did not consent
	consent              string
	sinkTok, sourceTok   string // B: decisions and grants; A: transfers
	key                  ed25519.PrivateKey
}

func newReleaseEnv(t testing.TB) *releaseEnv {
	t.Helper()
	e := &releaseEnv{env: newEnv(t, nil)}
	ctx := adminCtx()
	e.proc = e.processing(t, e.svcB, "loan-statistics", e.dgA, true)
	r, err := e.store.EnsureResident(ctx, storetest.AdultCode, "")
	must(t, "resident", err)
	o, err := e.store.EnsureResident(ctx, storetest.AdultCode2, "")
	must(t, "resident 2", err)
	e.resident = r.ID
	e.psn, err = e.store.Pseudonym(ctx, e.svcB, r.ID)
	must(t, "pseudonym", err)
	e.other, err = e.store.Pseudonym(ctx, e.svcB, o.ID)
	must(t, "pseudonym 2", err)
	c, err := e.store.GiveConsent(storetest.AsResident(r.ID), &omadata.ConsentInput{ProcessingID: e.proc, Version: 1, Language: "fi"})
	must(t, "consent", err)
	e.consent = c.ID
	_, e.sinkTok = e.credential(t, e.svcB, omadata.ScopeDecisions, omadata.ScopeGrants)
	_, e.sourceTok = e.credential(t, e.svcA, omadata.ScopeTransfers)
	_, e.key, err = ed25519.GenerateKey(rand.Reader)
	must(t, "key", err)
	return e
}

func (e *releaseEnv) question(psn string) map[string]any {
	return map[string]any{"source_id": e.svcA, "pseudonym": psn, "data_group_ids": []string{e.dgA}, "purpose_id": e.purpose}
}

// grantsURL is what DPoP proofs of grant requests name: the operator's
// public URL, not the test server's.
const grantsURL = "https://omadata.example.fi/api/v1/grants"

func (e *releaseEnv) requestGrant(t *testing.T, proof string, body any) response {
	t.Helper()
	b, _ := json.Marshal(body)
	return e.call(t, "POST", "/api/v1/grants", e.sinkTok, "application/json", strings.NewReader(string(b)), "DPoP", proof)
}

func (e *releaseEnv) proof(t *testing.T) string {
	t.Helper()
	p, err := client.DPoPProof(e.key, "POST", grantsURL, "")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// signProof signs proof claims with a header of our choosing, for the
// proofs the client would never make.
func signProof(t *testing.T, key any, alg jose.SignatureAlgorithm, typ string, embed bool, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{EmbedJWK: embed}).WithType(jose.ContentType(typ))
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(claims)
	jws, err := sig.Sign(b)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDecisionRoutes(t *testing.T) {
	e := newReleaseEnv(t)
	var d omadata.Decision
	r := e.do(t, "POST", "/api/v1/decisions", e.sinkTok, e.question(e.psn))
	wantStatus(t, r, 200)
	r.decode(t, &d)
	if !d.Permit() || d.Ground.ConsentID != e.consent || d.ProcessingID != e.proc {
		t.Fatalf("got %s, want a permit on consent %s", r.body, e.consent)
	}

	r = e.do(t, "POST", "/api/v1/decisions", e.sinkTok, e.question(e.other))
	wantStatus(t, r, 200)
	r.decode(t, &d)
	if d.Permit() || d.Reason != omadata.DenyNoConsent || strings.Contains(string(r.body), e.consent) {
		t.Fatalf("got %s, want a deny for no consent", r.body)
	}

	var batch struct {
		Decisions []omadata.Decision `json:"decisions"`
	}
	r = e.do(t, "POST", "/api/v1/decisions/batch", e.sinkTok, map[string]any{"requests": []any{e.question(e.psn), e.question(e.other)}})
	wantStatus(t, r, 200)
	r.decode(t, &batch)
	if len(batch.Decisions) != 2 || !batch.Decisions[0].Permit() || batch.Decisions[1].Permit() {
		t.Fatalf("got %s, want a permit then a deny", r.body)
	}

	before := e.dump(t)
	bad := e.question(e.psn)
	bad["data_group_ids"] = []string{}
	tests := []struct {
		name, path, token string
		body              any
		status            int
		field             string
	}{
		{"no data groups", "/api/v1/decisions", e.sinkTok, bad, 400, "data_group_ids"},
		{"unknown field", "/api/v1/decisions", e.sinkTok, map[string]any{"resident_id": e.resident}, 400, "resident_id"},
		{"not JSON", "/api/v1/decisions", e.sinkTok, "pseudonym=x", 400, "body"},
		{"a third party's question", "/api/v1/decisions", e.sinkTok, map[string]any{"sink_id": e.svcA, "source_id": e.svcA, "pseudonym": e.psn,
			"data_group_ids": []string{e.dgA}, "purpose_id": e.purpose}, 403, ""},
		{"without the decisions scope", "/api/v1/decisions", e.sourceTok, e.question(e.psn), 403, ""},
		{"empty batch", "/api/v1/decisions/batch", e.sinkTok, map[string]any{"requests": []any{}}, 400, "requests"},
		{"invalid question in a batch", "/api/v1/decisions/batch", e.sinkTok, map[string]any{"requests": []any{e.question(e.psn), bad}}, 400, "requests[1].data_group_ids"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(t, "POST", tt.path, tt.token, tt.body)
			wantStatus(t, r, tt.status)
			if got := r.err(t).Field; got != tt.field {
				t.Errorf("got field %q, want %q", got, tt.field)
			}
		})
	}
	if after := e.dump(t); after != before {
		t.Errorf("refused questions changed the database:\n%s", firstDiff(before, after))
	}
}

func TestGrantRoutes(t *testing.T) {
	e := newReleaseEnv(t)
	q := e.question(e.psn)

	r := e.requestGrant(t, e.proof(t), q)
	wantStatus(t, r, 201)
	var g omadata.Grant
	r.decode(t, &g)
	if g.Token == "" || !g.Decision.Permit() || g.SinkID != e.svcB || g.SourceID != e.svcA {
		t.Fatalf("got %s, want a grant with a token", r.body)
	}

	r = e.requestGrant(t, e.proof(t), e.question(e.other))
	wantStatus(t, r, 200)
	var denied omadata.Grant
	r.decode(t, &denied)
	if denied.Token != "" || denied.ID != "" || denied.Decision.Reason != omadata.DenyNoConsent {
		t.Fatalf("got %s, want a deny without a token", r.body)
	}

	// Every bad proof is refused with field DPoP and changes nothing.
	now := time.Now().Unix()
	claims := func(set map[string]any) map[string]any {
		c := map[string]any{"jti": omadata.NewID("jti"), "htm": "POST", "htu": grantsURL, "iat": now}
		for k, v := range set {
			if v == nil {
				delete(c, k)
			} else {
				c[k] = v
			}
		}
		return c
	}
	replayed := e.proof(t)
	wantStatus(t, e.requestGrant(t, replayed, q), 201)
	secret := []byte("a shared secret of thirty-two by")
	before := e.dump(t)
	tests := []struct {
		name  string
		proof string
	}{
		{"no proof", ""},
		{"not a JWS", "not.a.proof"},
		{"replayed", replayed},
		{"typ JWT", signProof(t, e.key, jose.EdDSA, "JWT", true, claims(nil))},
		{"no jwk", signProof(t, e.key, jose.EdDSA, "dpop+jwt", false, claims(nil))},
		{"symmetric", signProof(t, secret, jose.HS256, "dpop+jwt", false, claims(nil))},
		{"other method", signProof(t, e.key, jose.EdDSA, "dpop+jwt", true, claims(map[string]any{"htm": "GET"}))},
		{"other URL", signProof(t, e.key, jose.EdDSA, "dpop+jwt", true, claims(map[string]any{"htu": "https://omadata.example.fi/api/v1/decisions"}))},
		{"old", signProof(t, e.key, jose.EdDSA, "dpop+jwt", true, claims(map[string]any{"iat": now - 120}))},
		{"future", signProof(t, e.key, jose.EdDSA, "dpop+jwt", true, claims(map[string]any{"iat": now + 120}))},
		{"no iat", signProof(t, e.key, jose.EdDSA, "dpop+jwt", true, claims(map[string]any{"iat": nil}))},
		{"no jti", signProof(t, e.key, jose.EdDSA, "dpop+jwt", true, claims(map[string]any{"jti": nil}))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r response
			if tt.proof == "" {
				r = e.do(t, "POST", "/api/v1/grants", e.sinkTok, q)
			} else {
				r = e.requestGrant(t, tt.proof, q)
			}
			wantStatus(t, r, 400)
			if got := r.err(t).Field; got != "DPoP" {
				t.Errorf("got field %q, want DPoP", got)
			}
		})
	}
	t.Run("private key in jwk", func(t *testing.T) {
		// go-jose refuses to embed a private key, so splice one in.
		p := signProof(t, e.key, jose.EdDSA, "dpop+jwt", true, claims(nil))
		parts := strings.Split(p, ".")
		priv, _ := json.Marshal(jose.JSONWebKey{Key: e.key})
		hdr, _ := json.Marshal(map[string]any{"alg": "EdDSA", "typ": "dpop+jwt", "jwk": json.RawMessage(priv)})
		r := e.requestGrant(t, base64.RawURLEncoding.EncodeToString(hdr)+"."+parts[1]+"."+parts[2], q)
		wantStatus(t, r, 400)
		if got := r.err(t).Field; got != "DPoP" {
			t.Errorf("got field %q, want DPoP", got)
		}
	})
	if after := e.dump(t); after != before {
		t.Errorf("refused grant requests changed the database:\n%s", firstDiff(before, after))
	}

	// The source checks the grant live and records a transfer; the sink's
	// credential cannot, and another service does not see the grant.
	var st omadata.GrantStatus
	r = e.do(t, "GET", "/api/v1/grants/"+g.ID+"/status", e.sourceTok, nil)
	wantStatus(t, r, 200)
	r.decode(t, &st)
	if !st.Active {
		t.Fatalf("got %s, want active", r.body)
	}
	wantStatus(t, e.do(t, "GET", "/api/v1/grants/"+g.ID+"/status", e.sinkTok, nil), 403)
	_, sinkTransfers := e.credential(t, e.svcB, omadata.ScopeTransfers)
	wantStatus(t, e.do(t, "GET", "/api/v1/grants/"+g.ID+"/status", sinkTransfers, nil), 404)
	wantStatus(t, e.do(t, "GET", "/api/v1/grants/nope/status", e.sourceTok, nil), 404)

	transfer := map[string]any{"grant_id": g.ID, "data_group_ids": []string{e.dgA}}
	r = e.do(t, "POST", "/api/v1/transfers", e.sourceTok, transfer)
	wantStatus(t, r, 201)
	var tr omadata.Transfer
	r.decode(t, &tr)
	if tr.GrantID != g.ID || tr.DecisionID != g.Decision.EvidenceID {
		t.Fatalf("got %s, want a transfer under %s", r.body, g.ID)
	}
	// The sink's credential with transfers but not grants does not see it.
	wantStatus(t, e.do(t, "POST", "/api/v1/transfers", sinkTransfers, transfer), 404)
	r = e.do(t, "POST", "/api/v1/transfers", e.sourceTok, map[string]any{"grant_id": g.ID, "data_group_ids": []string{e.dgB}})
	wantStatus(t, r, 400)

	// After a withdrawal the unexpired grant is inactive and transfers are
	// refused.
	_, err := e.store.ChangeConsent(storetest.AsResident(e.resident), e.consent, omadata.ConsentWithdrawn, "")
	must(t, "withdraw", err)
	r = e.do(t, "GET", "/api/v1/grants/"+g.ID+"/status", e.sourceTok, nil)
	wantStatus(t, r, 200)
	r.decode(t, &st)
	if st.Active || st.Reason != omadata.DenyConsentWithdrawn {
		t.Fatalf("got %s, want inactive after withdrawal", r.body)
	}
	r = e.do(t, "POST", "/api/v1/transfers", e.sourceTok, transfer)
	wantStatus(t, r, 409)
	if got := r.err(t).Field; got != "grant_id" {
		t.Errorf("got field %q, want grant_id", got)
	}
}
