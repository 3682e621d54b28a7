// SPDX-License-Identifier: Apache-2.0

package portal_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/demo"
	"github.com/omadata/omadata/internal/demo/idp"
	"github.com/omadata/omadata/internal/glossary"
	"github.com/omadata/omadata/internal/web/webui"
)

// codeVerifier is the tests' PKCE code verifier (RFC 7636 §4.1), and
// codeChallenge its S256 challenge.
const codeVerifier = "a-code-verifier-of-the-tests-that-is-long-enough-0123"

var codeChallenge = func() string {
	sum := sha256.Sum256([]byte(codeVerifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}()

// app registers a resident's own app, as the operator admin, with the
// scopes it may ask for.
func (e *env) app(t *testing.T, scopes ...string) *omadata.App {
	t.Helper()
	a := &omadata.App{
		Name:         omadata.Text{"fi": "Kirjastosovellus", "sv": "Biblioteksappen", "en": "Library app"},
		Description:  omadata.Text{"fi": "Lainasi puhelimessa.", "sv": "Dina lån i telefonen.", "en": "Your loans on your phone."},
		Publisher:    "Kirjastolabra Oy",
		RedirectURIs: []string{"http://127.0.0.1/callback", "https://app.example.fi/callback?from=omadata"},
		Scopes:       scopes,
	}
	if err := e.store.CreateApp(omadata.NewContextWithCaller(context.Background(), omadata.Caller{Kind: omadata.CallerAdmin}), a); err != nil {
		t.Fatal(err)
	}
	return a
}

// connections lists a resident's connected apps, as that resident.
func (e *env) connections(t *testing.T, residentID string) []*omadata.AppConnection {
	t.Helper()
	ctx := omadata.NewContextWithCaller(context.Background(), omadata.Caller{Kind: omadata.CallerResident, ResidentID: residentID})
	list, err := e.store.FindAppConnections(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// authorizePath is an authorization request of the app, changed by mod.
func authorizePath(a *omadata.App, mod func(url.Values)) string {
	v := url.Values{
		"client_id": {a.ID}, "redirect_uri": {"http://127.0.0.1:49152/callback"}, "response_type": {"code"},
		"scope": {"me:read"}, "state": {"state-1"}, "code_challenge": {codeChallenge}, "code_challenge_method": {"S256"},
	}
	if mod != nil {
		mod(v)
	}
	return "/oauth/authorize?" + v.Encode()
}

// noRedirects is the client, with its cookies, that stops at a redirect
// instead of following it: the app's redirect URI answers nowhere.
func (c *client) noRedirects() *client {
	h := *c.http
	h.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &client{t: c.t, e: c.e, http: &h}
}

// atRedirectURI checks that p sends the browser to the app at uri (scheme,
// host and path) and returns the parameters it carries.
func atRedirectURI(t *testing.T, e *env, p page, uri string) url.Values {
	t.Helper()
	if p.status != http.StatusSeeOther {
		t.Fatalf("got %d, want a redirect to the app: %.300s", p.status, between(p.body, "<main", "</main>"))
	}
	got, err := url.Parse(p.header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := url.Parse(uri)
	if got.Scheme != want.Scheme || got.Host != want.Host || got.Path != want.Path {
		t.Fatalf("redirected to %s, want %s", got, uri)
	}
	q := got.Query()
	if q.Get("iss") != e.url {
		t.Errorf("iss = %q, want %q (RFC 9207)", q.Get("iss"), e.url)
	}
	return q
}

// TestAuthorizeBadClient: while the app or its redirect URI is not known
// good, the answer is a page in the resident's language, never a redirect
// (RFC 6749 §4.1.2.1), and nothing is recorded.
func TestAuthorizeBadClient(t *testing.T) {
	e := newEnv(t, time.Time{})
	a := e.app(t, omadata.AppScopeRead)
	suspended := e.app(t, omadata.AppScopeRead)
	admin := omadata.NewContextWithCaller(context.Background(), omadata.Caller{Kind: omadata.CallerAdmin})
	status := omadata.AppSuspended
	if _, err := e.store.UpdateApp(admin, suspended.ID, omadata.AppUpdate{Status: &status}); err != nil {
		t.Fatal(err)
	}
	c := e.client(t)
	c.login("en", "matti")
	before := e.dump(t)
	for _, tc := range []struct {
		name, path, says string
	}{
		{"no client_id", authorizePath(a, func(v url.Values) { v.Del("client_id") }), "The app is not known"},
		{"unknown client_id", authorizePath(a, func(v url.Values) { v.Set("client_id", "app_00000000000000000000000000") }), "The app is not known"},
		{"malformed client_id", authorizePath(a, func(v url.Values) { v.Set("client_id", "x'<script>\x00") }), "The app is not known"},
		{"client_id twice", authorizePath(a, func(v url.Values) { v.Add("client_id", a.ID) }), "The app is not known"},
		{"suspended app", authorizePath(suspended, nil), "The app is not known"},
		{"no redirect_uri", authorizePath(a, func(v url.Values) { v.Del("redirect_uri") }), "its return address is not registered"},
		{"another redirect_uri", authorizePath(a, func(v url.Values) { v.Set("redirect_uri", "https://evil.example/callback") }), "its return address is not registered"},
		{"a registered one with another path", authorizePath(a, func(v url.Values) { v.Set("redirect_uri", "https://app.example.fi/callback") }), "its return address is not registered"},
		{"localhost for a loopback IP", authorizePath(a, func(v url.Values) { v.Set("redirect_uri", "http://localhost:49152/callback") }), "its return address is not registered"},
		{"redirect_uri twice", authorizePath(a, func(v url.Values) { v.Add("redirect_uri", "http://127.0.0.1:49152/callback") }), "its return address is not registered"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := c.noRedirects().get(tc.path + "&ui_locales=en")
			if p.status != http.StatusBadRequest || p.header.Get("Location") != "" || !strings.Contains(p.body, tc.says) {
				t.Errorf("got %d (Location %q), want 400 saying %q: %.300s", p.status, p.header.Get("Location"), tc.says, between(p.body, "<main", "</main>"))
			}
		})
	}
	// Not signed in: the same page, before any login.
	p := e.client(t).noRedirects().get(authorizePath(a, func(v url.Values) { v.Set("redirect_uri", "https://evil.example/callback") }) + "&ui_locales=sv")
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, `<html lang="sv">`) || !strings.Contains(p.body, "dess returadress är inte registrerad") {
		t.Errorf("signed out: got %d: %.300s", p.status, between(p.body, "<main", "</main>"))
	}
	if after := e.dump(t); after != before {
		t.Error("a refused authorization request changed the database")
	}
}

// TestAuthorizeErrorRedirect: once the app and its redirect URI are known
// good, a bad parameter goes back to the app as an OAuth error with the
// state and the issuer (RFC 6749 §4.1.2.1, RFC 7636 §4.4.1, RFC 9207).
func TestAuthorizeErrorRedirect(t *testing.T) {
	e := newEnv(t, time.Time{})
	a := e.app(t, omadata.AppScopeRead)
	c := e.client(t).noRedirects() // not signed in: the request is checked first
	for _, tc := range []struct {
		name      string
		mod       func(url.Values)
		err       string
		withState bool
	}{
		{"no response_type", func(v url.Values) { v.Del("response_type") }, "invalid_request", true},
		{"implicit flow", func(v url.Values) { v.Set("response_type", "token") }, "unsupported_response_type", true},
		{"no state", func(v url.Values) { v.Del("state") }, "invalid_request", false},
		{"no PKCE", func(v url.Values) { v.Del("code_challenge"); v.Del("code_challenge_method") }, "invalid_request", true},
		{"plain PKCE", func(v url.Values) { v.Set("code_challenge_method", "plain") }, "invalid_request", true},
		{"no PKCE method", func(v url.Values) { v.Del("code_challenge_method") }, "invalid_request", true},
		{"short challenge", func(v url.Values) { v.Set("code_challenge", "abc") }, "invalid_request", true},
		{"bad dpop_jkt", func(v url.Values) { v.Set("dpop_jkt", "not a thumbprint") }, "invalid_request", true},
		{"scope the app may not ask for", func(v url.Values) { v.Set("scope", "me:read me:write") }, "invalid_scope", true},
		{"unknown scope", func(v url.Values) { v.Set("scope", "openid") }, "invalid_scope", true},
		{"scopes split by a tab", func(v url.Values) { v.Set("scope", "me:read\tme:read") }, "invalid_scope", true},
		{"fragment response mode", func(v url.Values) { v.Set("response_mode", "fragment") }, "invalid_request", true},
		{"request object", func(v url.Values) { v.Set("request", "eyJhbGciOiJub25lIn0.e30.") }, "request_not_supported", true},
		{"request_uri", func(v url.Values) { v.Set("request_uri", "https://evil.example/r") }, "request_uri_not_supported", true},
		{"an identity code as a scope", func(v url.Values) { v.Set("scope", "me:read "+mattiCode) }, "invalid_scope", true},
		{"an identity code as a parameter given twice", func(v url.Values) { v.Add(mattiCode, "1"); v.Add(mattiCode, "2") }, "invalid_request", false},
		{"state twice", func(v url.Values) { v.Add("state", "state-2") }, "invalid_request", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := atRedirectURI(t, e, c.get(authorizePath(a, tc.mod)), "http://127.0.0.1:49152/callback")
			if q.Get("error") != tc.err || q.Get("error_description") == "" || q.Get("code") != "" {
				t.Errorf("got %v, want error %s with a description", q, tc.err)
			}
			if strings.Contains(q.Get("error_description"), mattiCode) {
				t.Errorf("the answer repeats an identity code: %q", q.Get("error_description"))
			}
			if got := q.Get("state"); tc.withState && got != "state-1" || !tc.withState && got != "" {
				t.Errorf("state %q", got)
			}
		})
	}
	if n := len(e.connections(t, e.resident(t, mattiCode).ID)); n != 0 {
		t.Errorf("%d connections after refused requests", n)
	}
}

// TestAuthorizeAllow: a resident not signed in signs in first and comes
// back to the consent screen, in the language the app asked for, which
// names the app, its publisher and what it may do; Allow sends a code to
// the app's redirect URI (its own query kept) and the app shows on the
// connected apps page. Deny sends access_denied and connects nothing. A
// form without its CSRF token, or with a scope the screen did not show,
// connects nothing either.
func TestAuthorizeAllow(t *testing.T) {
	e := newEnv(t, time.Time{})
	a := e.app(t, omadata.AppScopeRead, omadata.AppScopeWrite)
	matti := e.resident(t, mattiCode)
	c := e.client(t)

	path := authorizePath(a, func(v url.Values) {
		v.Set("redirect_uri", "https://app.example.fi/callback?from=omadata")
		v.Set("scope", "me:write me:read")
		v.Set("ui_locales", "sv-FI en")
	})
	chooser := c.get(path)
	if chooser.status != 200 || !strings.Contains(chooser.url, idp.Prefix+"/authorize") {
		t.Fatalf("signed out: got %d at %s, want the provider's login", chooser.status, chooser.url)
	}
	form := url.Values{"person": {"matti"}}
	for _, m := range hiddenRE.FindAllStringSubmatch(chooser.body, 20) {
		if form.Get(m[1]) == "" {
			form.Set(m[1], htmlUnescape(m[2]))
		}
	}
	screen := c.post(idp.Prefix+"/authorize", form)
	if screen.status != 200 || !strings.Contains(screen.url, "/sv/oauth/authorize?") {
		t.Fatalf("after login at %s (%d), want the consent screen in Swedish", screen.url, screen.status)
	}
	for _, want := range []string{`<html lang="sv">`, "Ansluta en app: Biblioteksappen", "Kirjastolabra Oy", "Dina lån i telefonen.",
		"Se samma uppgifter som du ser i MinData-tjänsten", "Göra ändringar för din räkning", "Anslutna appar"} {
		if !strings.Contains(screen.body, want) {
			t.Errorf("the consent screen does not say %q: %s", want, between(screen.body, "<main", "</main>"))
		}
	}
	if csp := screen.header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' https://app.example.fi;") {
		t.Errorf("CSP %q does not let the form's redirect go to the app", csp)
	}
	fields := url.Values{}
	for _, m := range hiddenRE.FindAllStringSubmatch(screen.body, -1) {
		fields.Set(m[1], htmlUnescape(m[2]))
	}
	send := func(decision string, mod func(url.Values)) page {
		v := url.Values{}
		for k, x := range fields {
			v[k] = x
		}
		v.Set("decision", decision)
		if mod != nil {
			mod(v)
		}
		return c.noRedirects().post("/sv/oauth/authorize", v)
	}

	// Refused forms connect nothing.
	if p := send("allow", func(v url.Values) { v.Del("csrf") }); p.status != http.StatusForbidden {
		t.Errorf("without the CSRF token: got %d", p.status)
	}
	if p := send("allow", func(v url.Values) { v.Set("client_id", "app_00000000000000000000000000") }); p.status != http.StatusBadRequest || p.header.Get("Location") != "" {
		t.Errorf("another client_id: got %d to %q", p.status, p.header.Get("Location"))
	}
	if q := atRedirectURI(t, e, send("allow", func(v url.Values) { v.Set("scope", "me:write openid") }), "https://app.example.fi/callback"); q.Get("error") != "invalid_scope" || q.Get("code") != "" {
		t.Errorf("a scope the screen did not show: %v", q)
	}
	if n := len(e.connections(t, matti.ID)); n != 0 {
		t.Fatalf("%d connections after refused forms", n)
	}

	// Deny.
	q := atRedirectURI(t, e, send("deny", nil), "https://app.example.fi/callback")
	if q.Get("error") != "access_denied" || q.Get("state") != "state-1" || q.Get("code") != "" || q.Get("from") != "omadata" {
		t.Errorf("deny: %v", q)
	}
	if n := len(e.connections(t, matti.ID)); n != 0 {
		t.Fatalf("%d connections after deny", n)
	}

	// Allow.
	q = atRedirectURI(t, e, send("allow", nil), "https://app.example.fi/callback")
	if q.Get("code") == "" || q.Get("state") != "state-1" || q.Get("error") != "" || q.Get("from") != "omadata" {
		t.Errorf("allow: %v", q)
	}
	conns := e.connections(t, matti.ID)
	if len(conns) != 1 || conns[0].AppID != a.ID || strings.Join(conns[0].Scopes, " ") != "me:read me:write" {
		t.Fatalf("connections after allow: %+v", conns)
	}
	p := c.get("/en/apps")
	for _, want := range []string{"Library app", "Kirjastolabra Oy", "See what you see in the MyData service", "Make changes for you", "Not used yet",
		`<a href="/en/apps" aria-current="page">Connected apps</a>`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the connected apps page does not say %q: %s", want, between(p.body, "<main", "</main>"))
		}
	}
}

// TestAuthorizeActingFor: a resident acting for their child connects an
// app for themselves only, and the consent screen says so.
func TestAuthorizeActingFor(t *testing.T) {
	e := newEnv(t, time.Time{})
	a := e.app(t, omadata.AppScopeRead)
	c := e.client(t)
	c.login("en", "matti")
	emma := e.resident(t, "100514A9037")
	p := c.get("/en/acting-for")
	c.post("/en/acting-for", url.Values{"csrf": {p.csrf(t)}, "principal": {emma.ID}})
	screen := c.get(authorizePath(a, func(v url.Values) { v.Set("ui_locales", "en") }))
	if !strings.Contains(screen.body, "You are acting for Emma Korhonen. The app is connected for you yourself only, not for them.") {
		t.Fatalf("the consent screen does not say whom the app is connected for: %s", between(screen.body, "<main", "</main>"))
	}
	v := url.Values{"decision": {"allow"}}
	for _, m := range hiddenRE.FindAllStringSubmatch(screen.body, -1) {
		v.Set(m[1], htmlUnescape(m[2]))
	}
	if q := atRedirectURI(t, e, c.noRedirects().post("/en/oauth/authorize", v), "http://127.0.0.1:49152/callback"); q.Get("code") == "" {
		t.Fatalf("allow: %v", q)
	}
	if n := len(e.connections(t, e.resident(t, mattiCode).ID)); n != 1 {
		t.Errorf("Matti has %d connections, want 1", n)
	}
	if n := len(e.connections(t, emma.ID)); n != 0 {
		t.Errorf("Emma has %d connections, want none", n)
	}
	apps := c.get("/en/apps")
	if !strings.Contains(apps.body, "You are acting for Emma Korhonen, but apps are always your own") || !strings.Contains(apps.body, "Library app") {
		t.Errorf("the connected apps page while acting: %s", between(apps.body, "<main", "</main>"))
	}
}

// TestDisconnectApp: the connected apps page shows when the app connected
// and last used the connection; Disconnect ends the connection and says
// so; another resident's connection is not found for anyone else, and
// stays.
func TestDisconnectApp(t *testing.T) {
	connected := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	e := newEnv(t, connected)
	a := e.app(t, omadata.AppScopeRead)
	matti := e.resident(t, mattiCode)
	ctx := omadata.NewContextWithCaller(context.Background(), omadata.Caller{Kind: omadata.CallerResident, ResidentID: matti.ID, Channel: omadata.ChannelPortal})
	code, err := e.store.CreateAuthorizationCode(ctx, &omadata.AuthorizationRequest{AppID: a.ID, RedirectURI: "http://127.0.0.1/callback",
		Scopes: []string{omadata.AppScopeRead}, CodeChallenge: codeChallenge})
	if err != nil {
		t.Fatal(err)
	}
	used := connected.Add(50 * time.Second)
	e.setNow(used)
	if _, err := e.store.ExchangeToken(context.Background(), &omadata.TokenRequest{GrantType: omadata.GrantAuthorizationCode, ClientID: a.ID, Code: code,
		RedirectURI: "http://127.0.0.1/callback", CodeVerifier: codeVerifier, JKT: codeChallenge}); err != nil {
		t.Fatal(err)
	}
	conn := e.connections(t, matti.ID)[0]

	aino := e.client(t)
	aino.login("en", "aino")
	p := aino.get("/en/apps")
	if !strings.Contains(p.body, "You have not connected any apps.") {
		t.Errorf("Aino's page: %s", between(p.body, "<main", "</main>"))
	}
	before := e.dump(t)
	if p := aino.post("/en/apps/"+conn.ID+"/disconnect", url.Values{"csrf": {p.csrf(t)}}); p.status != http.StatusNotFound {
		t.Errorf("Aino disconnecting Matti's app: got %d, want 404", p.status)
	}
	if e.dump(t) != before {
		t.Error("a refused disconnect changed the database")
	}

	c := e.client(t)
	c.login("fi", "matti")
	p = c.get("/fi/apps")
	for _, want := range []string{"Kirjastosovellus", "<dt>Yhdistetty</dt><dd>" + webui.FormatDateTime("fi", connected) + "</dd>",
		"<dt>Käytetty viimeksi</dt><dd>" + webui.FormatDateTime("fi", used) + "</dd>"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("Matti's page does not say %q: %s", want, between(p.body, "<main", "</main>"))
		}
	}
	if p := c.post("/fi/apps/"+conn.ID+"/disconnect", url.Values{}); p.status != http.StatusForbidden {
		t.Errorf("without the CSRF token: got %d", p.status)
	}
	p = c.post("/fi/apps/"+conn.ID+"/disconnect", url.Values{"csrf": {p.csrf(t)}})
	if p.status != 200 || !strings.HasSuffix(p.url, "/fi/apps?done=app-disconnected") ||
		!strings.Contains(p.body, "Yhteys on katkaistu. Sovellus ei voi enää käyttää OmaData-palvelua puolestasi.") ||
		!strings.Contains(p.body, "Et ole yhdistänyt yhtään sovellusta.") {
		t.Errorf("after disconnect at %s (%d): %s", p.url, p.status, between(p.body, "<main", "</main>"))
	}
	if n := len(e.connections(t, matti.ID)); n != 0 {
		t.Errorf("%d connections after disconnect", n)
	}
	if p := c.post("/fi/apps/"+conn.ID+"/disconnect", url.Values{"csrf": {p.csrf(t)}}); p.status != http.StatusNotFound {
		t.Errorf("disconnecting again: got %d, want 404", p.status)
	}
}

// TestDemoAppConsentScreen: the consent screen of the demo's app, which
// the docs' walk-through opens, follows docs/glossary.md in every
// language, as the pages of TestGolden do (the app's name included).
func TestDemoAppConsentScreen(t *testing.T) {
	g, err := glossary.Load(glossary.Path())
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, time.Time{})
	if _, err := demo.LoadApp(omadata.NewContextWithCaller(context.Background(), omadata.Caller{Kind: omadata.CallerAdmin}), e.store); err != nil {
		t.Fatal(err)
	}
	c := e.client(t)
	c.login("en", "matti")
	for _, lang := range []string{"fi", "sv", "en"} {
		p := c.get("/" + lang + authorizePath(demo.App(), func(v url.Values) { v.Set("scope", "me:read me:write") }))
		if p.status != 200 {
			t.Fatalf("%s: got %d", lang, p.status)
		}
		for _, v := range g.Violations(lang, glossary.PageText(p.body)) {
			t.Errorf("%s glossary: %s", lang, v)
		}
	}
}
