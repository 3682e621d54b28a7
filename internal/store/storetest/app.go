// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
)

// Test values of the app flow: a PKCE verifier and its S256 challenge,
// and two DPoP key thumbprints.
var (
	testVerifier  = strings.Repeat("v", 43)
	testChallenge = pkceChallenge(testVerifier)
	testJKT       = pkceChallenge("key one")
	otherJKT      = pkceChallenge("key two")
)

func pkceChallenge(v string) string {
	sum := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// CreateApp registers an active app with both scopes and the redirect URI
// http://127.0.0.1/callback.
func CreateApp(t testing.TB, s *store.Store) *omadata.App {
	t.Helper()
	a := &omadata.App{
		Name:      omadata.Text{"fi": "Sovellus", "sv": "Appen", "en": "The app"},
		Publisher: "Example Oy", RedirectURIs: []string{"http://127.0.0.1/callback", "https://app.example/cb"},
		Scopes: []string{omadata.AppScopeRead, omadata.AppScopeWrite},
	}
	if err := s.CreateApp(Admin(), a); err != nil {
		t.Fatal(err)
	}
	return a
}

// authorize makes a code for the resident as the consent screen does.
func authorize(t *testing.T, s *store.Store, residentID string, r omadata.AuthorizationRequest) string {
	t.Helper()
	if r.CodeChallenge == "" {
		r.CodeChallenge = testChallenge
	}
	if r.Scopes == nil {
		r.Scopes = []string{omadata.AppScopeRead}
	}
	return must[string](t)(s.CreateAuthorizationCode(AsResident(residentID), &r))
}

func codeRequest(a *omadata.App, code string) *omadata.TokenRequest {
	return &omadata.TokenRequest{
		GrantType: omadata.GrantAuthorizationCode, ClientID: a.ID, Code: code,
		RedirectURI: "http://127.0.0.1:5000/callback", CodeVerifier: testVerifier, JKT: testJKT,
	}
}

func refreshRequest(a *omadata.App, rt string) *omadata.TokenRequest {
	return &omadata.TokenRequest{GrantType: omadata.GrantRefreshToken, ClientID: a.ID, RefreshToken: rt, JKT: testJKT}
}

// wantAppAuth checks whether an access token still authenticates.
func wantAppAuth(t *testing.T, s *store.Store, token string, want bool) {
	t.Helper()
	_, _, err := s.AuthenticateApp(context.Background(), token)
	if want && err != nil || !want && omadata.ErrorCode(err) != omadata.EUNAUTHORIZED {
		t.Fatalf("AuthenticateApp: got %v, want ok=%v", err, want)
	}
}

// testAppRegister: only an operator admin registers and changes apps, and
// every rule of a redirect URI names its field.
func testAppRegister(t *testing.T, s *store.Store) {
	a := CreateApp(t, s)
	if !omadata.ValidID(omadata.PrefixApp, a.ID) || a.Status != omadata.AppActive {
		t.Fatalf("created %+v", a)
	}
	r := CreateResident(t, s, AdultCode)
	for _, ctx := range []context.Context{AsResident(r.ID), As("svc_x"), Public()} {
		wantCode(t, s.CreateApp(ctx, &omadata.App{}), omadata.EFORBIDDEN)
		_, err := s.FindApps(ctx)
		wantCode(t, err, omadata.EFORBIDDEN)
		_, err = s.UpdateApp(ctx, a.ID, omadata.AppUpdate{Publisher: new("x")})
		wantCode(t, err, omadata.EFORBIDDEN)
	}
	for _, tc := range []struct {
		change func(*omadata.App)
		field  string
	}{
		{func(a *omadata.App) { a.Name = omadata.Text{"fi": "x", "en": "x"} }, "name.sv"},
		{func(a *omadata.App) { a.Publisher = " " }, "publisher"},
		{func(a *omadata.App) { a.RedirectURIs = nil }, "redirect_uris"},
		{func(a *omadata.App) { a.RedirectURIs = []string{"http://localhost:8080/cb"} }, "redirect_uris[0]"},
		{func(a *omadata.App) { a.RedirectURIs = []string{"https://ok.example/cb", "https://app.example/cb#x"} }, "redirect_uris[1]"},
		{func(a *omadata.App) { a.RedirectURIs = []string{"http://app.example/cb"} }, "redirect_uris[0]"},
		{func(a *omadata.App) { a.RedirectURIs = []string{"myapp:/cb"} }, "redirect_uris[0]"},
		{func(a *omadata.App) { a.RedirectURIs = []string{"/cb"} }, "redirect_uris[0]"},
		{func(a *omadata.App) { a.RedirectURIs = []string{"https://u@app.example/cb"} }, "redirect_uris[0]"},
		{func(a *omadata.App) { a.Scopes = []string{"me:read", "admin"} }, "scopes[1]"},
		{func(a *omadata.App) { a.Scopes = nil }, "scopes"},
		{func(a *omadata.App) { a.Status = "gone" }, "status"},
	} {
		b := &omadata.App{Name: omadata.Text{"fi": "S", "sv": "A", "en": "A"}, Publisher: "P", RedirectURIs: []string{"fi.city.app:/oauth", "http://[::1]/cb"}, Scopes: []string{"me:read"}}
		tc.change(b)
		wantField(t, s.CreateApp(Admin(), b), omadata.EINVALID, tc.field)
	}
	apps := must[[]*omadata.App](t)(s.FindApps(Admin()))
	if len(apps) != 1 || apps[0].ID != a.ID {
		t.Fatalf("apps after refused creations: %v", apps)
	}
	_, err := s.UpdateApp(Admin(), a.ID, omadata.AppUpdate{RedirectURIs: &[]string{"http://localhost/cb"}})
	wantField(t, err, omadata.EINVALID, "redirect_uris[0]")
	u := must[*omadata.App](t)(s.UpdateApp(Admin(), a.ID, omadata.AppUpdate{Publisher: new("Other Oy"), Scopes: &[]string{omadata.AppScopeRead}}))
	if got := must[*omadata.App](t)(s.FindApp(Public(), a.ID)); got.Publisher != "Other Oy" || !slices.Equal(got.Scopes, []string{"me:read"}) || !got.UpdatedAt.Equal(u.UpdatedAt) {
		t.Fatalf("after update: %+v", got)
	}
	_, err = s.FindApp(Public(), "app_00000000000000000000000000")
	wantCode(t, err, omadata.ENOTFOUND)
}

// testAppCode: a code is redeemed once, with the right verifier, redirect
// URI, client and key; a second use revokes what the first gave.
func testAppCode(t *testing.T, s *store.Store) {
	ctx := context.Background()
	a := CreateApp(t, s)
	r := CreateResident(t, s, AdultCode)
	redirect := "http://127.0.0.1:5000/callback"

	// Who may connect: the resident at the portal, with a request the app allows.
	for _, ctx := range []context.Context{AsResidentVia(r.ID, omadata.ChannelApp), AsResidentVia(r.ID, omadata.ChannelAPI), Admin()} {
		_, err := s.CreateAuthorizationCode(ctx, &omadata.AuthorizationRequest{AppID: a.ID, RedirectURI: redirect, Scopes: []string{"me:read"}, CodeChallenge: testChallenge})
		wantCode(t, err, omadata.EFORBIDDEN)
	}
	for _, tc := range []struct {
		req   omadata.AuthorizationRequest
		field string
	}{
		{omadata.AuthorizationRequest{AppID: "app_00000000000000000000000000", RedirectURI: redirect, Scopes: []string{"me:read"}, CodeChallenge: testChallenge}, "client_id"},
		{omadata.AuthorizationRequest{AppID: a.ID, RedirectURI: "http://127.0.0.1:5000/other", Scopes: []string{"me:read"}, CodeChallenge: testChallenge}, "redirect_uri"},
		{omadata.AuthorizationRequest{AppID: a.ID, RedirectURI: redirect, Scopes: []string{"me:admin"}, CodeChallenge: testChallenge}, "scope"},
		{omadata.AuthorizationRequest{AppID: a.ID, RedirectURI: redirect, Scopes: []string{}, CodeChallenge: testChallenge}, "scope"},
		{omadata.AuthorizationRequest{AppID: a.ID, RedirectURI: redirect, Scopes: []string{"me:read"}, CodeChallenge: "plain"}, "code_challenge"},
	} {
		_, err := s.CreateAuthorizationCode(AsResident(r.ID), &tc.req)
		wantField(t, err, omadata.EINVALID, tc.field)
	}
	if n := must[[]*omadata.AppConnection](t)(s.FindAppConnections(AsResident(r.ID))); len(n) != 0 {
		t.Fatalf("refused requests connected %v", n)
	}

	code := authorize(t, s, r.ID, omadata.AuthorizationRequest{AppID: a.ID, RedirectURI: redirect})
	for _, tc := range []struct {
		change func(*omadata.TokenRequest)
		field  string
	}{
		{func(q *omadata.TokenRequest) { q.CodeVerifier = strings.Repeat("w", 43) }, "grant"},
		{func(q *omadata.TokenRequest) { q.CodeVerifier = "" }, "grant"},
		{func(q *omadata.TokenRequest) { q.RedirectURI = "http://127.0.0.1:5001/callback" }, "grant"},
		{func(q *omadata.TokenRequest) { q.Code = "nope" }, "grant"},
		{func(q *omadata.TokenRequest) { q.ClientID = "app_00000000000000000000000000" }, "client_id"},
		{func(q *omadata.TokenRequest) { q.JKT = "" }, "DPoP"},
		{func(q *omadata.TokenRequest) { q.GrantType = "password" }, "grant_type"},
	} {
		q := codeRequest(a, code)
		tc.change(q)
		_, err := s.ExchangeToken(ctx, q)
		wantField(t, err, omadata.EINVALID, tc.field)
	}
	tok := must[*omadata.AppToken](t)(s.ExchangeToken(ctx, codeRequest(a, code)))
	if tok.TokenType != "DPoP" || tok.ExpiresIn != 600 || tok.Scope != "me:read" || !strings.HasPrefix(tok.AccessToken, omadata.AppAccessTokenPrefix) || tok.RefreshToken == "" {
		t.Fatalf("token: %+v", tok)
	}
	c, jkt, err := s.AuthenticateApp(ctx, tok.AccessToken)
	ok(t, err)
	if c.Kind != omadata.CallerResident || c.ResidentID != r.ID || c.Channel != omadata.ChannelApp || c.AppID != a.ID || jkt != testJKT ||
		!slices.Equal(c.Scopes, []string{"me:read"}) || !omadata.ValidID(omadata.PrefixConnection, c.ConnectionID) {
		t.Fatalf("caller %+v, jkt %q", c, jkt)
	}
	conns := must[[]*omadata.AppConnection](t)(s.FindAppConnections(AsResident(r.ID)))
	if len(conns) != 1 || conns[0].ID != c.ConnectionID || conns[0].App.Name["en"] != "The app" || conns[0].LastUsedAt == nil {
		t.Fatalf("connections: %+v", conns)
	}
	if _, _, err := s.AuthenticateApp(ctx, tok.RefreshToken); omadata.ErrorCode(err) != omadata.EUNAUTHORIZED {
		t.Fatalf("refresh token as access token: %v", err)
	}

	// The code again: refused, and the tokens it gave stop working.
	_, err = s.ExchangeToken(ctx, codeRequest(a, code))
	wantField(t, err, omadata.EINVALID, "grant")
	wantAppAuth(t, s, tok.AccessToken, false)
	_, err = s.ExchangeToken(ctx, refreshRequest(a, tok.RefreshToken))
	wantField(t, err, omadata.EINVALID, "grant")

	// A code lasts 60 seconds.
	code = authorize(t, s, r.ID, omadata.AuthorizationRequest{AppID: a.ID, RedirectURI: redirect})
	s.DB().Now = func() time.Time { return time.Now().Add(omadata.AppCodeTTL + time.Second) }
	_, err = s.ExchangeToken(ctx, codeRequest(a, code))
	s.DB().Now = time.Now
	wantField(t, err, omadata.EINVALID, "grant")

	// dpop_jkt at authorization binds the code to that key.
	code = authorize(t, s, r.ID, omadata.AuthorizationRequest{AppID: a.ID, RedirectURI: redirect, DPoPJKT: otherJKT})
	_, err = s.ExchangeToken(ctx, codeRequest(a, code))
	wantField(t, err, omadata.EINVALID, "grant")
	q := codeRequest(a, code)
	q.JKT = otherJKT
	must[*omadata.AppToken](t)(s.ExchangeToken(ctx, q))

	// Another app's code is not this one's.
	b := CreateApp(t, s)
	code = authorize(t, s, r.ID, omadata.AuthorizationRequest{AppID: a.ID, RedirectURI: redirect})
	_, err = s.ExchangeToken(ctx, codeRequest(b, code))
	wantField(t, err, omadata.EINVALID, "grant")

	// One connection per app, whose scopes grow with what the resident allows.
	authorize(t, s, r.ID, omadata.AuthorizationRequest{AppID: a.ID, RedirectURI: redirect, Scopes: []string{"me:write"}})
	conns = must[[]*omadata.AppConnection](t)(s.FindAppConnections(AsResident(r.ID)))
	if len(conns) != 1 || !slices.Equal(conns[0].Scopes, []string{"me:read", "me:write"}) {
		t.Fatalf("connections: %+v", conns)
	}
}

// testAppRefresh: a refresh token rotates, keeps to its key and scopes,
// and a rotated one used again ends the connection.
func testAppRefresh(t *testing.T, s *store.Store) {
	ctx := context.Background()
	a := CreateApp(t, s)
	r := CreateResident(t, s, AdultCode)
	code := authorize(t, s, r.ID, omadata.AuthorizationRequest{AppID: a.ID, RedirectURI: "http://127.0.0.1:5000/callback", Scopes: []string{"me:read", "me:write"}})
	first := must[*omadata.AppToken](t)(s.ExchangeToken(ctx, codeRequest(a, code)))
	if first.Scope != "me:read me:write" {
		t.Fatalf("scope %q", first.Scope)
	}

	q := refreshRequest(a, first.RefreshToken)
	q.JKT = otherJKT
	_, err := s.ExchangeToken(ctx, q)
	wantField(t, err, omadata.EINVALID, "DPoP")
	q = refreshRequest(a, first.RefreshToken)
	q.Scopes = []string{"me:read", "me:admin"}
	_, err = s.ExchangeToken(ctx, q)
	wantField(t, err, omadata.EINVALID, "scope")
	q = refreshRequest(a, first.AccessToken)
	_, err = s.ExchangeToken(ctx, q)
	wantField(t, err, omadata.EINVALID, "grant")

	q = refreshRequest(a, first.RefreshToken)
	q.Scopes = []string{"me:read"}
	second := must[*omadata.AppToken](t)(s.ExchangeToken(ctx, q))
	if second.Scope != "me:read" || second.RefreshToken == first.RefreshToken {
		t.Fatalf("second: %+v", second)
	}
	// The new refresh token keeps the scopes of the one it replaced.
	third := must[*omadata.AppToken](t)(s.ExchangeToken(ctx, refreshRequest(a, second.RefreshToken)))
	if third.Scope != "me:read me:write" {
		t.Fatalf("third scope %q", third.Scope)
	}
	wantAppAuth(t, s, second.AccessToken, true)
	wantAppAuth(t, s, third.AccessToken, true)

	// The first refresh token again: the connection ends, with every token.
	_, err = s.ExchangeToken(ctx, refreshRequest(a, first.RefreshToken))
	wantField(t, err, omadata.EINVALID, "grant")
	wantAppAuth(t, s, third.AccessToken, false)
	_, err = s.ExchangeToken(ctx, refreshRequest(a, third.RefreshToken))
	wantField(t, err, omadata.EINVALID, "grant")
	if conns := must[[]*omadata.AppConnection](t)(s.FindAppConnections(AsResident(r.ID))); len(conns) != 0 {
		t.Fatalf("connections after reuse: %+v", conns)
	}
	// A refresh token lasts 30 days.
	code = authorize(t, s, r.ID, omadata.AuthorizationRequest{AppID: a.ID, RedirectURI: "http://127.0.0.1:5000/callback"})
	tok := must[*omadata.AppToken](t)(s.ExchangeToken(ctx, codeRequest(a, code)))
	s.DB().Now = func() time.Time { return time.Now().Add(omadata.AppRefreshTokenTTL + time.Minute) }
	defer func() { s.DB().Now = time.Now }()
	wantAppAuth(t, s, tok.AccessToken, false)
	if rowCount(t, s, "app_tokens") == 0 || rowCount(t, s, "app_codes") == 0 {
		t.Fatal("no tokens or codes before the sweep")
	}
	_, err = s.ExchangeToken(ctx, refreshRequest(a, tok.RefreshToken))
	wantField(t, err, omadata.EINVALID, "grant")
	// Expired codes and tokens are swept as exchanges come.
	if n, m := rowCount(t, s, "app_tokens"), rowCount(t, s, "app_codes"); n != 0 || m != 0 {
		t.Fatalf("after 30 days: %d tokens and %d codes kept, want none", n, m)
	}
}

// testAppEnd: the resident ends a connection, the app revokes its tokens,
// the operator suspends the app; each stops the tokens at once.
func testAppEnd(t *testing.T, s *store.Store) {
	ctx := context.Background()
	a := CreateApp(t, s)
	r := CreateResident(t, s, AdultCode)
	other := CreateResident(t, s, AdultCode2)
	connect := func() *omadata.AppToken {
		code := authorize(t, s, r.ID, omadata.AuthorizationRequest{AppID: a.ID, RedirectURI: "http://127.0.0.1:5000/callback"})
		return must[*omadata.AppToken](t)(s.ExchangeToken(ctx, codeRequest(a, code)))
	}

	tok := connect()
	conns := must[[]*omadata.AppConnection](t)(s.FindAppConnections(AsResident(r.ID)))
	if len(conns) != 1 {
		t.Fatalf("connections: %+v", conns)
	} else if l := must[[]*omadata.AppConnection](t)(s.FindAppConnections(AsResident(other.ID))); len(l) != 0 {
		t.Fatalf("another resident sees %+v", l)
	}
	wantCode(t, s.EndAppConnection(AsResident(other.ID), conns[0].ID), omadata.ENOTFOUND)
	wantCode(t, s.EndAppConnection(AsResident(r.ID), "apc_nope"), omadata.ENOTFOUND)
	wantCode(t, s.EndAppConnection(Admin(), conns[0].ID), omadata.EFORBIDDEN)
	wantAppAuth(t, s, tok.AccessToken, true)
	ok(t, s.EndAppConnection(AsResident(r.ID), conns[0].ID))
	wantAppAuth(t, s, tok.AccessToken, false)
	_, err := s.ExchangeToken(ctx, refreshRequest(a, tok.RefreshToken))
	wantField(t, err, omadata.EINVALID, "grant")
	wantCode(t, s.EndAppConnection(AsResident(r.ID), conns[0].ID), omadata.ENOTFOUND)

	// An app sees and ends only its own connection.
	tok = connect()
	b := CreateApp(t, s)
	code := must[string](t)(s.CreateAuthorizationCode(AsResident(r.ID), &omadata.AuthorizationRequest{AppID: b.ID, RedirectURI: "http://127.0.0.1:5000/callback", Scopes: []string{"me:read"}, CodeChallenge: testChallenge}))
	must[*omadata.AppToken](t)(s.ExchangeToken(ctx, codeRequest(b, code)))
	asApp, _, err := s.AuthenticateApp(ctx, tok.AccessToken)
	ok(t, err)
	appCtx := omadata.NewContextWithCaller(ctx, asApp)
	all := must[[]*omadata.AppConnection](t)(s.FindAppConnections(AsResident(r.ID)))
	own := must[[]*omadata.AppConnection](t)(s.FindAppConnections(appCtx))
	if len(all) != 2 || len(own) != 1 || own[0].ID != asApp.ConnectionID {
		t.Fatalf("the resident sees %d connections, the app %+v", len(all), own)
	}
	for _, c := range all {
		if c.AppID == b.ID {
			wantCode(t, s.EndAppConnection(appCtx, c.ID), omadata.ENOTFOUND)
		}
	}
	ok(t, s.EndAppConnection(appCtx, asApp.ConnectionID))
	wantAppAuth(t, s, tok.AccessToken, false)
	if l := must[[]*omadata.AppConnection](t)(s.FindAppConnections(AsResident(r.ID))); len(l) != 1 || l[0].AppID != b.ID {
		t.Fatalf("after the app disconnected itself: %+v", l)
	}

	// Revocation: unknown and other apps' tokens are no error and change nothing.
	tok = connect()
	ok(t, s.RevokeAppToken(ctx, a.ID, "oma_app_unknown"))
	ok(t, s.RevokeAppToken(ctx, "app_00000000000000000000000000", tok.AccessToken))
	wantAppAuth(t, s, tok.AccessToken, true)
	ok(t, s.RevokeAppToken(ctx, a.ID, tok.AccessToken))
	wantAppAuth(t, s, tok.AccessToken, false)
	next := must[*omadata.AppToken](t)(s.ExchangeToken(ctx, refreshRequest(a, tok.RefreshToken)))
	wantAppAuth(t, s, next.AccessToken, true)
	ok(t, s.RevokeAppToken(ctx, a.ID, next.RefreshToken))
	wantAppAuth(t, s, next.AccessToken, false)
	if l := must[[]*omadata.AppConnection](t)(s.FindAppConnections(AsResident(r.ID))); len(l) != 1 || l[0].AppID != b.ID {
		t.Fatalf("connections after revoking the refresh token: %+v", l)
	}

	// Suspension stops tokens and new ones; reactivation lets live ones work.
	tok = connect()
	must[*omadata.App](t)(s.UpdateApp(Admin(), a.ID, omadata.AppUpdate{Status: new(omadata.AppSuspended)}))
	wantAppAuth(t, s, tok.AccessToken, false)
	_, err = s.ExchangeToken(ctx, refreshRequest(a, tok.RefreshToken))
	wantField(t, err, omadata.EINVALID, "client_id")
	_, err = s.CreateAuthorizationCode(AsResident(r.ID), &omadata.AuthorizationRequest{AppID: a.ID, RedirectURI: "http://127.0.0.1/callback", Scopes: []string{"me:read"}, CodeChallenge: testChallenge})
	wantField(t, err, omadata.EINVALID, "client_id")
	must[*omadata.App](t)(s.UpdateApp(Admin(), a.ID, omadata.AppUpdate{Status: new(omadata.AppActive)}))
	wantAppAuth(t, s, tok.AccessToken, true)

	// Connecting and disconnecting are audited, without a token or a code.
	rows := must[[][]string](t)(s.DB().QueryStrings(ctx, `SELECT action, actor_id, details FROM admin_changes WHERE action LIKE 'app.%' ORDER BY created_at, id`))
	var actions []string
	for _, r := range rows {
		actions = append(actions, r[0]+" "+strings.SplitN(r[1], ":", 2)[0])
		if strings.Contains(r[2], "oma_") || strings.Contains(r[2], tok.RefreshToken) {
			t.Fatalf("an audit row holds a token: %v", r)
		}
	}
	if !slices.Contains(actions, "app.connected resident") || !slices.Contains(actions, "app.disconnected resident") || !slices.Contains(actions, "app.created admin") {
		t.Fatalf("audited: %v", actions)
	}

	// An access token lasts ten minutes.
	s.DB().Now = func() time.Time { return time.Now().Add(omadata.AppAccessTokenTTL + time.Second) }
	defer func() { s.DB().Now = time.Now }()
	wantAppAuth(t, s, tok.AccessToken, false)
}

// testAppUseOnce: the DPoP replay table (the grants' dpop_proofs) sees
// each key and jti once until it expires.
func testAppUseOnce(t *testing.T, s *store.Store) {
	ctx := context.Background()
	until := time.Now().Add(time.Minute)
	for i, want := range []bool{true, false} {
		if got := must[bool](t)(s.UseOnce(ctx, testJKT, "jti-1", until)); got != want {
			t.Fatalf("use %d: got %v, want %v", i, got, want)
		}
	}
	if !must[bool](t)(s.UseOnce(ctx, testJKT, "jti-2", until)) || !must[bool](t)(s.UseOnce(ctx, otherJKT, "jti-1", until)) {
		t.Fatal("another jti, or the same jti of another key, refused")
	}
	long := strings.Repeat("k", 256) // the longest internal/dpop admits
	if !must[bool](t)(s.UseOnce(ctx, testJKT, long, until)) || must[bool](t)(s.UseOnce(ctx, testJKT, long, until)) {
		t.Fatal("a long jti: want new, then seen")
	}
	s.DB().Now = func() time.Time { return until.Add(time.Second) }
	defer func() { s.DB().Now = time.Now }()
	if !must[bool](t)(s.UseOnce(ctx, testJKT, "jti-1", until.Add(time.Hour))) {
		t.Fatal("an expired record still refuses")
	}
}
