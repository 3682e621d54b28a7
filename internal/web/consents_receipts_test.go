// SPDX-License-Identifier: Apache-2.0

package web_test

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store/storetest"
)

// TestConsentReceiptsVerify fetches receipts as a resident would and
// verifies them with jwx, a JOSE library independent of go-jose, which
// signs them, against the operator's published key set.
func TestConsentReceiptsVerify(t *testing.T) {
	e := newEnv(t, nil)
	me, tok := e.residentSession(t, storetest.AdultCode)
	c := consentOf(t, e.do(t, "POST", "/api/v1/me/consents", tok, consentBody(e.procA, map[string]any{"language": "en"})), 201, omadata.ConsentGiven)
	consentOf(t, e.do(t, "POST", "/api/v1/me/consents/"+c.ID+"/withdraw", tok, nil), 200, omadata.ConsentWithdrawn)
	sinkPseudonym, err := e.store.Pseudonym(adminCtx(), e.svcA, me)
	must(t, "pseudonym", err)

	r := e.do(t, "GET", "/.well-known/jwks.json", "", nil)
	wantStatus(t, r, 200)
	set, err := jwk.Parse(r.body)
	if err != nil {
		t.Fatalf("jwk.Parse: %v", err)
	} else if set.Len() == 0 {
		t.Fatal("the key set is empty")
	}

	receipt := func(t *testing.T, seq, query string) (compact []byte, payload map[string]any) {
		t.Helper()
		r := e.do(t, "GET", "/api/v1/me/consents/"+c.ID+"/records/"+seq+"/receipt"+query, tok, nil)
		wantStatus(t, r, 200)
		if got := r.header.Get("Content-Type"); got != "application/jose" {
			t.Errorf("got Content-Type %q, want application/jose", got)
		}
		verified, err := jws.Verify(r.body, jws.WithKeySet(set))
		if err != nil {
			t.Fatalf("jws.Verify: %v\n%s", err, r.body)
		}
		for _, code := range []string{storetest.AdultCode, "131052", me} {
			if strings.Contains(string(verified), code) {
				t.Errorf("the receipt names the resident (%q): %s", code, verified)
			}
		}
		return r.body, decodeJSON(t, verified)
	}
	// The status is the first type of dpv:hasConsentStatus (a given
	// status also names the consent type).
	status := func(p map[string]any) any {
		s, _ := p["dpv:hasConsentStatus"].(map[string]any)
		types, _ := s["@type"].([]any)
		if len(types) == 0 {
			return nil
		}
		return types[0]
	}
	subject := func(p map[string]any) any {
		s, _ := p["dpv:hasDataSubject"].(map[string]any)
		return s["dct:identifier"]
	}

	t.Run("dpv", func(t *testing.T) {
		for _, tt := range []struct{ seq, query, status string }{
			{"1", "", "dpv:ConsentGiven"},
			{"1", "?format=dpv", "dpv:ConsentGiven"},
			{"2", "?format=dpv", "dpv:ConsentWithdrawn"},
		} {
			compact, p := receipt(t, tt.seq, tt.query)
			if status(p) != tt.status || p["omadata:consent"] != c.ID || subject(p) != sinkPseudonym {
				t.Errorf("record %s: got status %v consent %v subject %v, want %s of %s about %s", tt.seq, status(p), p["omadata:consent"], subject(p), tt.status, c.ID, sinkPseudonym)
			}
			if string(compact) != c.Records[0].Receipt && tt.seq == "1" {
				t.Errorf("the exported receipt is not the one stored with the record")
			}
		}
	})
	t.Run("kantara", func(t *testing.T) {
		_, p := receipt(t, "1", "?format=kantara")
		if p["version"] != "KI-CR-v1.1.0" || p["piiPrincipalId"] != sinkPseudonym || p["language"] != "en" {
			t.Errorf("got %v, want a Kantara v1.1 receipt about %s in en", p, sinkPseudonym)
		}
		// Kantara receipts record consent given; a withdrawal is a DPV record.
		r := e.do(t, "GET", "/api/v1/me/consents/"+c.ID+"/records/2/receipt?format=kantara", tok, nil)
		wantStatus(t, r, 409)
		if got := r.err(t).Field; got != "format" {
			t.Errorf("got field %q, want format", got)
		}
	})
	t.Run("tampered", func(t *testing.T) {
		compact, _ := receipt(t, "1", "")
		parts := strings.Split(string(compact), ".")
		forged := map[string]any{"dpv:hasConsentStatus": map[string]any{"@type": []string{"dpv:ConsentGiven"}}, "omadata:consent": c.ID}
		b, _ := json.Marshal(forged)
		parts[1] = strings.TrimRight(b64url(b), "=")
		if _, err := jws.Verify([]byte(strings.Join(parts, ".")), jws.WithKeySet(set)); err == nil {
			t.Error("a receipt with a changed payload verified")
		}
	})
}

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
