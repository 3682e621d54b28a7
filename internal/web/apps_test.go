// SPDX-License-Identifier: Apache-2.0

package web_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store/storetest"
	"github.com/omadata/omadata/internal/web"
	"github.com/omadata/omadata/internal/web/ratelimit"
)

// publicURL is the test server's Operator.PublicURL: what proofs name.
const publicURL = "https://omadata.example.fi"

// appKey is an app's DPoP key; its proofs are made with jwx, a library
// independent of the server's (go-jose).
type appKey struct {
	priv crypto.Signer
	pub  jwk.Key
	jkt  string
}

func newAppKey(t *testing.T) *appKey {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := jwk.Import(priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	tp, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return &appKey{priv: priv, pub: pub, jkt: base64.RawURLEncoding.EncodeToString(tp)}
}

// proof signs a DPoP proof for method and url (an absolute URL), with ath
// for token when it is not ""; edit changes the claims before signing.
func (k *appKey) proof(t *testing.T, method, url, token string, edit ...func(map[string]any)) string {
	t.Helper()
	var jti [12]byte
	rand.Read(jti[:])
	claims := map[string]any{"jti": base64.RawURLEncoding.EncodeToString(jti[:]), "htm": method, "htu": url, "iat": time.Now().Unix()}
	if token != "" {
		sum := sha256.Sum256([]byte(token))
		claims["ath"] = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	for _, f := range edit {
		f(claims)
	}
	h := jws.NewHeaders()
	for name, v := range map[string]any{"typ": "dpop+jwt", "jwk": k.pub} {
		if err := h.Set(name, v); err != nil {
			t.Fatal(err)
		}
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jws.Sign(payload, jws.WithKey(jwa.ES256(), k.priv, jws.WithProtectedHeaders(h)))
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// oauthAnswer is a token endpoint answer: the tokens or an RFC 6749 error.
type oauthAnswer struct {
	omadata.AppToken
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// postForm posts a form to an OAuth endpoint with the given DPoP proof
// ("" for none).
func (e *env) postForm(t *testing.T, path string, form url.Values, proof string) (response, oauthAnswer) {
	t.Helper()
	var hdr []string
	if proof != "" {
		hdr = []string{"DPoP", proof}
	}
	r := e.call(t, "POST", path, "", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), hdr...)
	var a oauthAnswer
	if len(r.body) > 0 {
		r.decode(t, &a)
	}
	return r, a
}

// token asks the token endpoint with a fresh proof of k.
func (e *env) token(t *testing.T, k *appKey, form url.Values) (response, oauthAnswer) {
	t.Helper()
	return e.postForm(t, "/oauth/token", form, k.proof(t, "POST", publicURL+"/oauth/token", ""))
}

// appCall calls the API with a DPoP-bound token and a proof of k.
func (e *env) appCall(t *testing.T, k *appKey, method, path, token string, body any) response {
	t.Helper()
	var rd *strings.Reader
	ct := ""
	if body != nil {
		b, _ := json.Marshal(body)
		rd, ct = strings.NewReader(string(b)), "application/json"
	}
	u, _ := url.Parse(path)
	p := k.proof(t, method, publicURL+u.Path, token)
	if rd == nil {
		return e.call(t, method, path, "", ct, nil, "Authorization", "DPoP "+token, "DPoP", p)
	}
	return e.call(t, method, path, "", ct, rd, "Authorization", "DPoP "+token, "DPoP", p)
}

const (
	testVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk" // RFC 7636 Appendix B
	testRedirect = "http://127.0.0.1:5000/callback"
)

// connectApp makes a code for the resident as the consent screen does.
func (e *env) connectApp(t *testing.T, residentID string, scopes []string, jkt string) string {
	t.Helper()
	sum := sha256.Sum256([]byte(testVerifier))
	code, err := e.store.CreateAuthorizationCode(storetest.AsResident(residentID), &omadata.AuthorizationRequest{
		AppID: e.app, RedirectURI: testRedirect, Scopes: scopes, CodeChallenge: base64.RawURLEncoding.EncodeToString(sum[:]), DPoPJKT: jkt,
	})
	must(t, "authorization code", err)
	return code
}

func (e *env) codeForm(code string) url.Values {
	return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {testRedirect}, "client_id": {e.app}, "code_verifier": {testVerifier}}
}

func (e *env) refreshForm(rt string) url.Values {
	return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {e.app}}
}

func wantOAuthError(t *testing.T, r response, a oauthAnswer, status int, code string) {
	t.Helper()
	if r.status != status || a.Error != code || a.Description == "" {
		t.Fatalf("got %d %q (%s), want %d %s", r.status, a.Error, r.body, status, code)
	}
	if r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", r.header.Get("Cache-Control"))
	}
}

// wantChallenge checks a 401 with a DPoP challenge naming the error.
func wantChallenge(t *testing.T, r response, status int, code string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("got status %d, want %d; body %s", r.status, status, r.body)
	}
	h := r.header.Get("WWW-Authenticate")
	if !strings.HasPrefix(h, "DPoP ") || !strings.Contains(h, `error="`+code+`"`) {
		t.Fatalf("WWW-Authenticate %q, want a DPoP challenge with error %q", h, code)
	}
	// docs/apps.md: every challenge carries error_description and algs;
	// insufficient_scope names the scope (RFC 6750 §3).
	if !strings.Contains(h, `error_description="`) || !strings.Contains(h, `algs="ES256`) ||
		code == "insufficient_scope" && !strings.Contains(h, `scope="me:write"`) {
		t.Fatalf("WWW-Authenticate %q lacks error_description, algs or scope", h)
	}
}

func TestOAuthMetadata(t *testing.T) {
	e := newEnv(t, nil)
	r := e.do(t, "GET", "/.well-known/oauth-authorization-server", "", nil)
	wantStatus(t, r, 200)
	var m map[string]any
	r.decode(t, &m)
	for k, want := range map[string]any{
		"issuer": publicURL, "authorization_endpoint": publicURL + "/oauth/authorize", "token_endpoint": publicURL + "/oauth/token",
		"revocation_endpoint": publicURL + "/oauth/revoke", "authorization_response_iss_parameter_supported": true,
	} {
		if m[k] != want {
			t.Errorf("%s = %v, want %v", k, m[k], want)
		}
	}
	for k, want := range map[string]string{
		"response_types_supported": "code", "grant_types_supported": "authorization_code refresh_token",
		"code_challenge_methods_supported": "S256", "token_endpoint_auth_methods_supported": "none",
		"revocation_endpoint_auth_methods_supported": "none", "scopes_supported": "me:read me:write", "ui_locales_supported": "fi sv en",
	} {
		var got []string
		for _, v := range m[k].([]any) {
			got = append(got, v.(string))
		}
		if strings.Join(got, " ") != want {
			t.Errorf("%s = %v, want %s", k, got, want)
		}
	}
	if algs, _ := m["dpop_signing_alg_values_supported"].([]any); len(algs) == 0 || algs[0] != "ES256" {
		t.Errorf("dpop_signing_alg_values_supported = %v", m["dpop_signing_alg_values_supported"])
	}
}

// TestAppFlow: code to tokens, a /me call, refresh with rotation, the
// refusals of each step, and every way the tokens stop working.
func TestAppFlow(t *testing.T) {
	e := newEnv(t, nil)
	me, session := e.residentSession(t, storetest.AdultCode)
	key, other := newAppKey(t), newAppKey(t)

	// The code with the right verifier, redirect URI and proof.
	code := e.connectApp(t, me, []string{"me:read"}, "")
	for _, tc := range []struct {
		name   string
		edit   func(url.Values)
		status int
		error  string
	}{
		{"wrong verifier", func(f url.Values) { f.Set("code_verifier", strings.Repeat("x", 43)) }, 400, "invalid_grant"},
		{"no verifier", func(f url.Values) { f.Del("code_verifier") }, 400, "invalid_request"},
		{"redirect_uri mismatch", func(f url.Values) { f.Set("redirect_uri", "http://127.0.0.1:5001/callback") }, 400, "invalid_grant"},
		{"unknown code", func(f url.Values) { f.Set("code", "nope") }, 400, "invalid_grant"},
		{"unknown client", func(f url.Values) { f.Set("client_id", "app_0000000000000000000000000a") }, 400, "invalid_client"},
		{"unknown grant type", func(f url.Values) { f.Set("grant_type", "password") }, 400, "unsupported_grant_type"},
		{"no grant type", func(f url.Values) { f.Del("grant_type") }, 400, "invalid_request"},
	} {
		f := e.codeForm(code)
		tc.edit(f)
		r, a := e.token(t, key, f)
		t.Run(tc.name, func(t *testing.T) { wantOAuthError(t, r, a, tc.status, tc.error) })
	}
	proofCases := []struct {
		name, proof string
	}{
		{"no proof", ""},
		{"proof for another URL", key.proof(t, "POST", publicURL+"/oauth/revoke", "")},
		{"proof for another method", key.proof(t, "GET", publicURL+"/oauth/token", "")},
		{"stale iat", key.proof(t, "POST", publicURL+"/oauth/token", "", func(c map[string]any) { c["iat"] = time.Now().Add(-10 * time.Minute).Unix() })},
	}
	replayed := key.proof(t, "POST", publicURL+"/oauth/token", "")
	r, a := e.postForm(t, "/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}, "client_id": {e.app}}, replayed)
	wantOAuthError(t, r, a, 400, "invalid_grant") // the proof was good; the grant not
	proofCases = append(proofCases, struct{ name, proof string }{"replayed jti", replayed})
	for _, tc := range proofCases {
		r, a := e.postForm(t, "/oauth/token", e.codeForm(code), tc.proof)
		t.Run(tc.name, func(t *testing.T) { wantOAuthError(t, r, a, 400, "invalid_dpop_proof") })
	}
	r, first := e.token(t, key, e.codeForm(code))
	wantStatus(t, r, 200)
	if first.TokenType != "DPoP" || first.ExpiresIn != 600 || first.Scope != "me:read" || first.AccessToken == "" || first.RefreshToken == "" ||
		r.header.Get("Cache-Control") != "no-store" || r.header.Get("Pragma") != "no-cache" {
		t.Fatalf("token answer %s, headers %v", r.body, r.header)
	}

	// The /me call with the token and a proof of its key.
	r = e.appCall(t, key, "GET", "/api/v1/me", first.AccessToken, nil)
	wantStatus(t, r, 200)
	var res omadata.Resident
	if r.decode(t, &res); res.ID != me {
		t.Fatalf("/me is %s, want %s", res.ID, me)
	}
	t.Run("token as Bearer", func(t *testing.T) {
		wantChallenge(t, e.do(t, "GET", "/api/v1/me", first.AccessToken, nil), 401, "invalid_token")
	})
	t.Run("proof of another key", func(t *testing.T) {
		wantChallenge(t, e.appCall(t, other, "GET", "/api/v1/me", first.AccessToken, nil), 401, "invalid_dpop_proof")
	})
	t.Run("proof without ath", func(t *testing.T) {
		p := key.proof(t, "GET", publicURL+"/api/v1/me", "")
		wantChallenge(t, e.call(t, "GET", "/api/v1/me", "", "", nil, "Authorization", "DPoP "+first.AccessToken, "DPoP", p), 401, "invalid_dpop_proof")
	})
	t.Run("proof for another path", func(t *testing.T) {
		p := key.proof(t, "GET", publicURL+"/api/v1/me/apps", first.AccessToken)
		wantChallenge(t, e.call(t, "GET", "/api/v1/me", "", "", nil, "Authorization", "DPoP "+first.AccessToken, "DPoP", p), 401, "invalid_dpop_proof")
	})
	t.Run("no proof on the API", func(t *testing.T) {
		wantChallenge(t, e.call(t, "GET", "/api/v1/me", "", "", nil, "Authorization", "DPoP "+first.AccessToken), 401, "invalid_dpop_proof")
	})
	t.Run("unknown token", func(t *testing.T) {
		wantChallenge(t, e.appCall(t, key, "GET", "/api/v1/me", omadata.AppAccessTokenPrefix+"nope", nil), 401, "invalid_token")
	})
	t.Run("me:read on a write route", func(t *testing.T) {
		r := e.appCall(t, key, "POST", "/api/v1/me/representations", first.AccessToken, map[string]any{"representative_identity_code": storetest.AdultCode2})
		wantChallenge(t, r, 403, "insufficient_scope")
	})
	t.Run("not a resident route", func(t *testing.T) {
		wantStatus(t, e.appCall(t, key, "GET", "/api/v1/apps", first.AccessToken, nil), 403)
	})

	// The code again: refused, and the tokens it gave stop working.
	t.Run("code reuse", func(t *testing.T) {
		r, a := e.token(t, key, e.codeForm(code))
		wantOAuthError(t, r, a, 400, "invalid_grant")
		wantChallenge(t, e.appCall(t, key, "GET", "/api/v1/me", first.AccessToken, nil), 401, "invalid_token")
	})

	// A connection bound at authorization to the key (dpop_jkt), with
	// both scopes; refresh keeps to that key and rotates.
	code = e.connectApp(t, me, []string{"me:read", "me:write"}, key.jkt)
	r, a = e.token(t, other, e.codeForm(code))
	wantOAuthError(t, r, a, 400, "invalid_grant")
	r, tok := e.token(t, key, e.codeForm(code))
	wantStatus(t, r, 200)
	t.Run("wrong key on refresh", func(t *testing.T) {
		r, a := e.token(t, other, e.refreshForm(tok.RefreshToken))
		wantOAuthError(t, r, a, 400, "invalid_dpop_proof")
	})
	t.Run("wider scope on refresh", func(t *testing.T) {
		f := e.refreshForm(tok.RefreshToken)
		f.Set("scope", "me:read 150385-9013")
		r, a := e.token(t, key, f)
		wantOAuthError(t, r, a, 400, "invalid_scope")
		if omadata.ContainsIdentityCode(string(r.body)) {
			t.Errorf("the answer repeats an identity code: %s", r.body)
		}
	})
	f := e.refreshForm(tok.RefreshToken)
	f.Set("scope", "me:read")
	r, narrow := e.token(t, key, f)
	wantStatus(t, r, 200)
	if narrow.Scope != "me:read" || narrow.RefreshToken == tok.RefreshToken {
		t.Fatalf("refreshed: %s", r.body)
	}
	r = e.appCall(t, key, "POST", "/api/v1/me/representations", narrow.AccessToken, map[string]any{})
	wantChallenge(t, r, 403, "insufficient_scope")
	r, next := e.token(t, key, e.refreshForm(narrow.RefreshToken))
	wantStatus(t, r, 200)
	if next.Scope != "me:read me:write" {
		t.Fatalf("the rotated refresh token lost scopes: %s", r.body)
	}
	// me:write reaches a write route (refused there for its body, not its token).
	if r := e.appCall(t, key, "POST", "/api/v1/me/representations", next.AccessToken, map[string]any{}); r.status != 400 {
		t.Fatalf("me:write on a write route: %d %s", r.status, r.body)
	}
	t.Run("rotated refresh token reused", func(t *testing.T) {
		r, a := e.token(t, key, e.refreshForm(tok.RefreshToken))
		wantOAuthError(t, r, a, 400, "invalid_grant")
		wantChallenge(t, e.appCall(t, key, "GET", "/api/v1/me", next.AccessToken, nil), 401, "invalid_token")
		r, a = e.token(t, key, e.refreshForm(next.RefreshToken))
		wantOAuthError(t, r, a, 400, "invalid_grant")
	})

	// The resident disconnects the app from the API (as the portal's
	// connected apps page does); its tokens stop at once.
	t.Run("ended connection", func(t *testing.T) {
		_, tok := e.token(t, key, e.codeForm(e.connectApp(t, me, []string{"me:read"}, "")))
		r := e.do(t, "GET", "/api/v1/me/apps", session, nil)
		wantStatus(t, r, 200)
		var list struct{ Items []omadata.AppConnection }
		r.decode(t, &list)
		if len(list.Items) != 1 || list.Items[0].App == nil || list.Items[0].App.Name["en"] != "The app" {
			t.Fatalf("connections: %s", r.body)
		}
		_, otherSession := e.residentSession(t, storetest.AdultCode2)
		wantStatus(t, e.do(t, "DELETE", "/api/v1/me/apps/"+list.Items[0].ID, otherSession, nil), 404)
		wantStatus(t, e.appCall(t, key, "GET", "/api/v1/me", tok.AccessToken, nil), 200)
		wantStatus(t, e.do(t, "DELETE", "/api/v1/me/apps/"+list.Items[0].ID, session, nil), 204)
		wantChallenge(t, e.appCall(t, key, "GET", "/api/v1/me", tok.AccessToken, nil), 401, "invalid_token")
		r, a := e.token(t, key, e.refreshForm(tok.RefreshToken))
		wantOAuthError(t, r, a, 400, "invalid_grant")
	})

	t.Run("suspended app", func(t *testing.T) {
		_, tok := e.token(t, key, e.codeForm(e.connectApp(t, me, []string{"me:read"}, "")))
		wantStatus(t, e.do(t, "PATCH", "/api/v1/apps/"+e.app, e.admin, map[string]any{"status": "suspended"}), 200)
		wantChallenge(t, e.appCall(t, key, "GET", "/api/v1/me", tok.AccessToken, nil), 401, "invalid_token")
		r, a := e.token(t, key, e.refreshForm(tok.RefreshToken))
		wantOAuthError(t, r, a, 400, "invalid_client")
		wantStatus(t, e.do(t, "PATCH", "/api/v1/apps/"+e.app, e.admin, map[string]any{"status": "active"}), 200)
		wantStatus(t, e.appCall(t, key, "GET", "/api/v1/me", tok.AccessToken, nil), 200)
	})
}

// TestAppRevoke: RFC 7009 revocation by the app.
func TestAppRevoke(t *testing.T) {
	e := newEnv(t, nil)
	me, session := e.residentSession(t, storetest.AdultCode)
	key := newAppKey(t)
	_, tok := e.token(t, key, e.codeForm(e.connectApp(t, me, []string{"me:read"}, "")))
	revoke := func(f url.Values) (response, oauthAnswer) { return e.postForm(t, "/oauth/revoke", f, "") }

	for _, tc := range []struct {
		name   string
		form   url.Values
		status int
		error  string
	}{
		{"no token", url.Values{"client_id": {e.app}}, 400, "invalid_request"},
		{"no client_id", url.Values{"token": {tok.AccessToken}}, 400, "invalid_request"},
		{"bad client_id", url.Values{"token": {tok.AccessToken}, "client_id": {"x"}}, 400, "invalid_client"},
		{"bad hint", url.Values{"token": {tok.AccessToken}, "client_id": {e.app}, "token_type_hint": {"id_token"}}, 400, "unsupported_token_type"},
		{"twice", url.Values{"token": {tok.AccessToken, tok.AccessToken}, "client_id": {e.app}}, 400, "invalid_request"},
	} {
		r, a := revoke(tc.form)
		t.Run(tc.name, func(t *testing.T) { wantOAuthError(t, r, a, tc.status, tc.error) })
	}
	wantStatus(t, e.appCall(t, key, "GET", "/api/v1/me", tok.AccessToken, nil), 200)
	r, _ := revoke(url.Values{"token": {"unknown"}, "client_id": {e.app}})
	wantStatus(t, r, 200)
	r, _ = revoke(url.Values{"token": {tok.AccessToken}, "client_id": {e.app}, "token_type_hint": {"access_token"}})
	wantStatus(t, r, 200)
	wantChallenge(t, e.appCall(t, key, "GET", "/api/v1/me", tok.AccessToken, nil), 401, "invalid_token")

	// Revoking the refresh token ends the connection.
	r, next := e.token(t, key, e.refreshForm(tok.RefreshToken))
	wantStatus(t, r, 200)
	r, _ = revoke(url.Values{"token": {next.RefreshToken}, "client_id": {e.app}})
	wantStatus(t, r, 200)
	wantChallenge(t, e.appCall(t, key, "GET", "/api/v1/me", next.AccessToken, nil), 401, "invalid_token")
	r = e.do(t, "GET", "/api/v1/me/apps", session, nil)
	if !strings.Contains(string(r.body), `"items":[]`) {
		t.Fatalf("connections after revoking the refresh token: %s", r.body)
	}
}

// TestOAuthForm: the token endpoint reads one form, in the body, each
// parameter once; anything else is invalid_request and changes nothing.
func TestOAuthForm(t *testing.T) {
	e := newEnv(t, nil)
	me, _ := e.residentSession(t, storetest.AdultCode)
	key := newAppKey(t)
	code := e.connectApp(t, me, []string{"me:read"}, "")
	body := e.codeForm(code).Encode()
	before := e.dump(t)
	for _, tc := range []struct {
		name, path, contentType, body string
	}{
		{"JSON", "/oauth/token", "application/json", `{"grant_type":"authorization_code"}`},
		{"no content type", "/oauth/token", "", body},
		{"in the query", "/oauth/token?" + body, "application/x-www-form-urlencoded", ""},
		{"a parameter twice", "/oauth/token", "application/x-www-form-urlencoded", body + "&code=" + code},
		{"malformed", "/oauth/token", "application/x-www-form-urlencoded", body + "&%zz"},
		{"control character", "/oauth/token", "application/x-www-form-urlencoded", body + "&x=%01"},
		{"latin-1", "/oauth/token", "application/x-www-form-urlencoded; charset=iso-8859-1", body},
		{"too long", "/oauth/token", "application/x-www-form-urlencoded", body + "&x=" + strings.Repeat("a", 3000)},
		{"an identity code twice", "/oauth/token", "application/x-www-form-urlencoded", body + "&150385-9013=a&150385-9013=b"},
		{"an identity code too long", "/oauth/token", "application/x-www-form-urlencoded", body + "&150385-9013=" + strings.Repeat("a", 3000)},
	} {
		p := key.proof(t, "POST", publicURL+"/oauth/token", "")
		r := e.call(t, "POST", tc.path, "", tc.contentType, strings.NewReader(tc.body), "DPoP", p)
		var a oauthAnswer
		r.decode(t, &a)
		t.Run(tc.name, func(t *testing.T) {
			wantOAuthError(t, r, a, 400, "invalid_request")
			if omadata.ContainsIdentityCode(string(r.body)) {
				t.Errorf("the answer repeats an identity code: %s", r.body)
			}
		})
	}
	if after := e.dump(t); after != before {
		t.Fatalf("refused token requests changed the database:\n%s", firstDiff(before, after))
	}
	r, _ := e.token(t, key, e.codeForm(code))
	wantStatus(t, r, 200)
}

// TestOAuthRateLimit: the token and revocation endpoints count against the
// token limit of the client's address; over it, 429 with Retry-After in
// RFC 6749's error shape, before the proof or the grant is looked at.
func TestOAuthRateLimit(t *testing.T) {
	e := newEnv(t, func(o *web.Options) {
		o.Limiter = ratelimit.New(ratelimit.Options{Rates: map[string]ratelimit.Rate{ratelimit.Token: {N: 2, Per: time.Minute}}})
	})
	key := newAppKey(t)
	for range 2 {
		r, a := e.token(t, key, e.refreshForm("unknown"))
		wantOAuthError(t, r, a, 400, "invalid_grant")
	}
	r, a := e.token(t, key, e.refreshForm("unknown"))
	wantOAuthError(t, r, a, 429, "rate_limited")
	if r.header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	r, a = e.postForm(t, "/oauth/revoke", url.Values{"token": {"x"}, "client_id": {e.app}}, "")
	wantOAuthError(t, r, a, 429, "rate_limited")
}
