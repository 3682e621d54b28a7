// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
	"golang.org/x/oauth2"

	"github.com/omadata/omadata/client"
)

// dpopTransport adds a DPoP proof (RFC 9449 §4) to every request, made
// with github.com/lestrrat-go/jwx, independent of our internal/dpop: htm
// and htu of the request and, when the request carries a DPoP-bound
// access token, its hash in ath.
type dpopTransport struct {
	key  crypto.Signer
	base http.RoundTripper
}

func (d *dpopTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	h := jws.NewHeaders()
	pub, err := jwk.Import(d.key.Public())
	if err != nil {
		return nil, err
	}
	if err := h.Set("typ", "dpop+jwt"); err != nil {
		return nil, err
	} else if err := h.Set("jwk", pub); err != nil {
		return nil, err
	}
	jti := make([]byte, 16)
	rand.Read(jti)
	htu := *r.URL
	htu.RawQuery, htu.Fragment = "", ""
	claims := map[string]any{"htm": r.Method, "htu": htu.String(), "iat": time.Now().Unix(), "jti": base64.RawURLEncoding.EncodeToString(jti)}
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "DPoP "); ok {
		sum := sha256.Sum256([]byte(tok))
		claims["ath"] = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	payload, _ := json.Marshal(claims)
	proof, err := jws.Sign(payload, jws.WithKey(jwa.ES256(), d.key, jws.WithProtectedHeaders(h)))
	if err != nil {
		return nil, err
	}
	r = r.Clone(r.Context())
	r.Header.Set("DPoP", string(proof))
	return d.base.RoundTrip(r)
}

var (
	hiddenInputRE = regexp.MustCompile(`<input type="hidden" name="([a-z0-9_]+)" value="([^"]*)">`)
	unescapeHTML  = strings.NewReplacer("&amp;", "&", "&#43;", "+", "&#34;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">")
)

// hiddenFields returns a page's hidden form fields.
func hiddenFields(body string) url.Values {
	v := url.Values{}
	for _, m := range hiddenInputRE.FindAllStringSubmatch(body, -1) {
		if v.Get(m[1]) == "" {
			v.Set(m[1], unescapeHTML.Replace(m[2]))
		}
	}
	return v
}

// browser is a resident's browser without JavaScript: a cookie jar, and
// forms posted same-origin.
type browser struct {
	t    *testing.T
	base string
	http *http.Client
}

func (b *browser) do(method, u string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", b.base)
	}
	res, err := b.http.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	buf, _ := io.ReadAll(res.Body)
	return res, string(buf)
}

// TestAppEndToEnd drives a resident's own app through `serve --demo` with
// golang.org/x/oauth2, a client we did not write: the authorization
// request with PKCE (S256) and state, the resident's login at the demo
// provider and Allow on the consent screen, the code caught at the app's
// loopback redirect URI, the token exchange and a /api/v1/me call with a
// DPoP-bound token (proofs made with lestrrat-go/jwx), a refresh, and the
// resident disconnecting the app on the connected apps page, after which
// the next call and the next refresh are refused. Deny gives
// access_denied at the redirect URI; a bad client_id or redirect_uri
// shows a page and never reaches the app.
func TestAppEndToEnd(t *testing.T) {
	dir := t.TempDir()
	s := startServe(t, dir)
	defer s.stop(t)
	admin := readToken(t, filepath.Join(dir, "omadata.demo-token"))

	var meta struct {
		Issuer                string   `json:"issuer"`
		AuthorizationEndpoint string   `json:"authorization_endpoint"`
		TokenEndpoint         string   `json:"token_endpoint"`
		CodeChallengeMethods  []string `json:"code_challenge_methods_supported"`
	}
	if st := call(t, "GET", s.URL+"/.well-known/oauth-authorization-server", "", "", &meta); st != 200 || meta.Issuer != s.URL ||
		meta.AuthorizationEndpoint != s.URL+"/oauth/authorize" || meta.TokenEndpoint != s.URL+"/oauth/token" {
		t.Fatalf("metadata: %d %+v", st, meta)
	}

	// The app, registered by the operator admin with a loopback redirect
	// URI: any port on 127.0.0.1 (RFC 8252 §7.3).
	var app struct{ ID string }
	if st := call(t, "POST", s.URL+"/api/v1/apps", admin, `{"name": {"fi": "Testisovellus", "sv": "Testappen", "en": "Test app"},
		"publisher": "Testaajat Oy", "redirect_uris": ["http://127.0.0.1/callback"], "scopes": ["me:read", "me:write"]}`, &app); st != 201 {
		t.Fatalf("register the app: %d", st)
	}
	caught := make(chan url.Values, 4)
	callback := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/callback" {
			http.NotFound(w, r)
			return
		}
		caught <- r.URL.Query()
		io.WriteString(w, "You may close this window.")
	}))
	defer callback.Close()
	conf := &oauth2.Config{
		ClientID:    app.ID,
		Endpoint:    oauth2.Endpoint{AuthURL: meta.AuthorizationEndpoint, TokenURL: meta.TokenEndpoint, AuthStyle: oauth2.AuthStyleInParams},
		RedirectURL: callback.URL + "/callback",
		Scopes:      []string{"me:read", "me:write"},
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Transport: &dpopTransport{key: key, base: http.DefaultTransport}})

	jar, _ := cookiejar.New(nil)
	b := &browser{t: t, base: s.URL, http: &http.Client{Jar: jar}}
	// authorize opens the authorization URL in the browser, signing in as
	// aino when asked, and returns the consent screen.
	authorize := func(authURL string) string {
		t.Helper()
		res, body := b.do("GET", authURL, nil)
		if strings.Contains(res.Request.URL.Path, "/demo-idp/authorize") {
			form := hiddenFields(body)
			form.Set("person", "aino")
			res, body = b.do("POST", s.URL+"/demo-idp/authorize", form)
		}
		if p := res.Request.URL.Path; res.StatusCode != 200 || p != "/oauth/authorize" && p != "/en/oauth/authorize" || !strings.Contains(body, "Test app") {
			t.Fatalf("consent screen: %d at %s: %.400s", res.StatusCode, res.Request.URL, body)
		}
		return body
	}
	// answer posts the consent screen's form with the decision and
	// returns what the app got at its redirect URI.
	answer := func(screen, decision string) url.Values {
		t.Helper()
		form := hiddenFields(screen)
		form.Set("decision", decision)
		res, _ := b.do("POST", s.URL+"/en/oauth/authorize", form)
		select {
		case q := <-caught:
			if !strings.HasPrefix(res.Request.URL.String(), callback.URL+"/callback?") {
				t.Errorf("the browser ended at %s", res.Request.URL)
			}
			return q
		default:
			t.Fatalf("%s: the app got nothing; the browser is at %s (%d)", decision, res.Request.URL, res.StatusCode)
			return nil
		}
	}

	// Deny.
	verifier := oauth2.GenerateVerifier()
	q := answer(authorize(conf.AuthCodeURL("state-deny", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("ui_locales", "en"))), "deny")
	if q.Get("error") != "access_denied" || q.Get("state") != "state-deny" || q.Get("iss") != meta.Issuer || q.Get("code") != "" {
		t.Fatalf("deny: the app got %v", q)
	}

	// A bad client_id or redirect_uri: a page, never the app.
	for _, bad := range []*oauth2.Config{
		{ClientID: "app_00000000000000000000000000", Endpoint: conf.Endpoint, RedirectURL: conf.RedirectURL},
		{ClientID: app.ID, Endpoint: conf.Endpoint, RedirectURL: "http://127.0.0.2:1/callback"},
		{ClientID: app.ID, Endpoint: conf.Endpoint, RedirectURL: "https://evil.example/callback"},
	} {
		res, body := b.do("GET", bad.AuthCodeURL("state-bad", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("ui_locales", "en")), nil)
		if res.StatusCode != 400 || res.Request.URL.Host != strings.TrimPrefix(s.URL, "http://") || !strings.Contains(body, "Nothing was sent to the app.") {
			t.Errorf("client %s at %s: got %d at %s", bad.ClientID, bad.RedirectURL, res.StatusCode, res.Request.URL)
		}
		if len(caught) > 0 {
			t.Fatalf("the app got %v", <-caught)
		}
	}

	// Allow: a code, exchanged with the PKCE verifier and a DPoP proof.
	verifier = oauth2.GenerateVerifier()
	q = answer(authorize(conf.AuthCodeURL("state-allow", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("ui_locales", "en"))), "allow")
	if q.Get("code") == "" || q.Get("state") != "state-allow" || q.Get("iss") != meta.Issuer {
		t.Fatalf("allow: the app got %v", q)
	}
	code := q.Get("code")
	tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	if tok.Type() != "DPoP" || tok.RefreshToken == "" || tok.Extra("scope") != "me:read me:write" {
		t.Fatalf("token type %q, refresh token %t, scope %v", tok.Type(), tok.RefreshToken != "", tok.Extra("scope"))
	}

	// me calls /api/v1/me through the oauth2 client, which sends
	// "Authorization: DPoP <token>"; dpopTransport adds the proof.
	me := func(src oauth2.TokenSource) (int, string, http.Header) {
		t.Helper()
		res, err := oauth2.NewClient(ctx, src).Get(s.URL + "/api/v1/me")
		if err != nil {
			return 0, err.Error(), nil
		}
		defer res.Body.Close()
		buf, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(buf), res.Header
	}
	if st, body, h := me(oauth2.StaticTokenSource(tok)); st != 200 || !strings.Contains(body, "Aino Virtanen") {
		t.Fatalf("GET /api/v1/me: %d %q %.300s", st, h.Get("WWW-Authenticate"), body)
	}
	// As a Bearer token, without a proof: refused.
	if st := call(t, "GET", s.URL+"/api/v1/me", tok.AccessToken, "", nil); st != 401 {
		t.Errorf("the DPoP-bound token as a Bearer token: %d", st)
	}

	// Refresh: the token source refreshes an expired token, rotating the
	// refresh token; the new access token works.
	expired := *tok
	expired.Expiry = time.Now().Add(-time.Minute)
	src := conf.TokenSource(ctx, &expired)
	fresh, err := src.Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if fresh.AccessToken == tok.AccessToken || fresh.RefreshToken == "" || fresh.RefreshToken == tok.RefreshToken {
		t.Fatal("the refresh did not give new tokens")
	}
	if st, body, _ := me(oauth2.StaticTokenSource(fresh)); st != 200 {
		t.Fatalf("GET /api/v1/me after the refresh: %d %.300s", st, body)
	}

	// The resident disconnects the app on the connected apps page, which
	// shows that the app has used the connection.
	res, page := b.do("GET", s.URL+"/en/apps", nil)
	id := regexp.MustCompile(`action="/en/apps/(apc_[0-9a-z]+)/disconnect"`).FindStringSubmatch(page)
	if res.StatusCode != 200 || id == nil || !strings.Contains(page, "Test app") || strings.Contains(page, "Not used yet") {
		t.Fatalf("connected apps page: %d: %.400s", res.StatusCode, page)
	}
	res, page = b.do("POST", s.URL+"/en/apps/"+id[1]+"/disconnect", url.Values{"csrf": {hiddenFields(page).Get("csrf")}})
	if res.StatusCode != 200 || !strings.Contains(page, "The app is disconnected.") {
		t.Fatalf("disconnect: %d at %s", res.StatusCode, res.Request.URL)
	}

	// The next call and the next refresh are refused.
	if st, body, h := me(oauth2.StaticTokenSource(fresh)); st != 401 || !strings.Contains(h.Get("WWW-Authenticate"), `DPoP`) ||
		!strings.Contains(h.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Errorf("GET /api/v1/me after disconnect: %d %q %.200s", st, h.Get("WWW-Authenticate"), body)
	}
	fresh.Expiry = time.Now().Add(-time.Minute)
	if _, err := conf.TokenSource(ctx, fresh).Token(); !isOAuthError(err, "invalid_grant") {
		t.Errorf("refresh after disconnect: %v", err)
	}
	// The code was single use (a second use would also revoke its tokens,
	// which is why it is tried last).
	if _, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier)); !isOAuthError(err, "invalid_grant") {
		t.Errorf("the code used twice: %v", err)
	}

	// The Go SDK's transport makes the proofs instead, for a code bound to
	// its key with dpop_jkt (RFC 9449 §10): a code redeemed with another
	// key is refused, the transport's own works.
	sdk := &client.DPoPTransport{Key: key}
	jkt, err := sdk.JKT()
	if err != nil {
		t.Fatal(err)
	}
	sdkCtx := context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Transport: sdk})
	for _, tc := range []struct {
		name string
		ctx  context.Context
		ok   bool
	}{
		{"another key", context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Transport: &client.DPoPTransport{Key: otherKey(t)}}), false},
		{"the SDK's key", sdkCtx, true},
	} {
		verifier = oauth2.GenerateVerifier()
		q = answer(authorize(conf.AuthCodeURL("state-sdk", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("ui_locales", "en"),
			oauth2.SetAuthURLParam("dpop_jkt", jkt))), "allow")
		tok, err := conf.Exchange(tc.ctx, q.Get("code"), oauth2.VerifierOption(verifier))
		if !tc.ok {
			if !isOAuthError(err, "invalid_grant") {
				t.Errorf("%s: exchange: %v", tc.name, err)
			}
			continue
		} else if err != nil {
			t.Fatalf("%s: exchange: %v", tc.name, err)
		}
		res, err := conf.Client(sdkCtx, tok).Get(s.URL + "/api/v1/me")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Errorf("%s: GET /api/v1/me: %d", tc.name, res.StatusCode)
		}
	}
}

// otherKey is a DPoP key of nobody's tokens.
func otherKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// isOAuthError reports whether err is the token endpoint's OAuth error
// code (RFC 6749 §5.2), as golang.org/x/oauth2 reads it.
func isOAuthError(err error, code string) bool {
	var re *oauth2.RetrieveError
	return errors.As(err, &re) && re.ErrorCode == code
}
