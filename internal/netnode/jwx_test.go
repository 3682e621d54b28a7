// SPDX-License-Identifier: Apache-2.0

package netnode_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"

	"github.com/omadata/omadata/internal/store/storetest"
)

// TestChainVerifiesWithJWX checks a member's trust chain and a signed
// answer with jwx, a JOSE library independent of go-jose, which signs
// them: the anchor's configuration with its pinned keys, its subordinate
// statement about Helsinki with the anchor's keys, Helsinki's entity
// configuration and its catalogue answer with the keys that statement
// vouches for (docs/network.md §2.1–§2.4, §4), each with its typ.
func TestChainVerifiesWithJWX(t *testing.T) {
	a := startAnchor(t)
	hki, esp := startOperator(t, a, "Helsinki"), startOperator(t, a, "Espoo")
	storetest.CreateNetwork(t, hki.Store)
	admit(t, a, hki, esp)

	get := func(url string) []byte {
		t.Helper()
		res, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("GET %s: %d %v\n%s", url, res.StatusCode, err, b)
		}
		return b
	}
	// verify checks compact with set and typ, and returns its claims.
	verify := func(what string, compact []byte, set jwk.Set, typ string) map[string]any {
		t.Helper()
		payload, err := jws.Verify(compact, jws.WithKeySet(set, jws.WithRequireKid(true)))
		if err != nil {
			t.Fatalf("%s: jwx does not verify it: %v", what, err)
		}
		msg, err := jws.Parse(compact)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := msg.Signatures()[0].ProtectedHeaders().Type(); got != typ {
			t.Errorf("%s: typ %q, want %q", what, got, typ)
		}
		var claims map[string]any
		if err := json.Unmarshal(payload, &claims); err != nil {
			t.Fatal(err)
		}
		return claims
	}
	keySet := func(v any) jwk.Set {
		t.Helper()
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		set, err := jwk.Parse(b)
		if err != nil {
			t.Fatalf("jwk.Parse: %v", err)
		}
		return set
	}

	anchorCfg := verify("the anchor's configuration", get(a.URL+"/.well-known/openid-federation"), keySet(a.Keys), "entity-statement+jwt")
	fed, _ := anchorCfg["metadata"].(map[string]any)["federation_entity"].(map[string]any)
	fetch, _ := fed["federation_fetch_endpoint"].(string)
	if fetch == "" {
		t.Fatalf("the anchor names no fetch endpoint: %v", anchorCfg["metadata"])
	}
	sub := verify("the anchor's statement about Helsinki", get(fetch+"?sub="+hki.URL), keySet(anchorCfg["jwks"]), "entity-statement+jwt")
	if sub["iss"] != a.URL || sub["sub"] != hki.URL {
		t.Errorf("subordinate statement iss %v sub %v", sub["iss"], sub["sub"])
	}
	vouched := keySet(sub["jwks"])
	cfgJWS := get(hki.URL + "/.well-known/openid-federation")
	cfg := verify("Helsinki's configuration", cfgJWS, vouched, "entity-statement+jwt")
	if _, err := jws.Verify(cfgJWS, jws.WithKeySet(keySet(anchorCfg["jwks"]))); err == nil {
		t.Error("Helsinki's configuration verifies with the anchor's keys too")
	}
	if cfg["iss"] != hki.URL || cfg["sub"] != hki.URL {
		t.Errorf("configuration iss %v sub %v", cfg["iss"], cfg["sub"])
	}
	marks, _ := cfg["trust_marks"].([]any)
	if len(marks) != 1 {
		t.Fatalf("trust marks: %v", cfg["trust_marks"])
	}
	tm, _ := marks[0].(map[string]any)["trust_mark"].(string)
	mark := verify("Helsinki's trust mark", []byte(tm), keySet(anchorCfg["jwks"]), "trust-mark+jwt")
	if mark["sub"] != hki.URL {
		t.Errorf("trust mark sub %v", mark["sub"])
	}

	res := signed(t, esp, "GET", hki.URL+"/network/v1/catalogue", nil, time.Now(), nil)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("catalogue: %d %v", res.StatusCode, err)
	}
	answer := verify("Helsinki's catalogue answer", []byte(strings.TrimSpace(string(b))), vouched, "omadata-answer+jwt")
	if answer["iss"] != hki.URL || answer["aud"] != esp.URL {
		t.Errorf("answer iss %v aud %v", answer["iss"], answer["aud"])
	}
}
