// SPDX-License-Identifier: Apache-2.0

package portal_test

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/oidctest"
	"github.com/omadata/omadata/internal/web"
	"github.com/omadata/omadata/internal/web/portal"
)

// The residents the provider knows: one with a valid identity code at
// assurance level high, one at substantial, one without a code.
const (
	loa2 = "http://ftn.ficora.fi/2017/loa2"
	loa3 = "http://ftn.ficora.fi/2017/loa3"
)

var opUsers = []oidctest.User{
	{Username: "aino", Password: "aino-pw", ACR: loa3, Claims: map[string]any{"national_id_num": "131052-308T", "name": "Aino Virtanen"}},
	{Username: "eino", Password: "eino-pw", ACR: loa2, Claims: map[string]any{"national_id_num": "010190-900P", "name": "Eino Laine"}},
	{Username: "nocode", Password: "nocode-pw", ACR: loa3, Claims: map[string]any{"name": "Ei Tunnusta"}},
	{Username: "badcode", Password: "badcode-pw", ACR: loa3, Claims: map[string]any{"national_id_num": "131052-308A", "name": "Väärä Tunnus"}},
}

// opProvider runs tools/testop for the portal, with the issuer ending in
// "/", the portal registered as a client (its redirect URI and the front
// page in each language after logout) and the misbehaviour m.
func opProvider(m oidctest.Misbehave, acr ...string) provider {
	return func(t *testing.T, base string) (portal.OIDC, []web.Page) {
		t.Helper()
		var back []string
		for _, l := range omadata.Languages {
			back = append(back, base+portal.PostLogoutPath(l))
		}
		op := oidctest.Start(t, oidctest.Config{
			Issuer:    "http://{addr}/",
			Clients:   []oidctest.Client{{ID: "omadata-portal", Secret: "portal-secret", RedirectURIs: []string{base + portal.CallbackPath}, PostLogoutRedirectURIs: back}},
			Users:     opUsers,
			Misbehave: m,
		})
		return portal.OIDC{Issuer: op.Issuer, ClientID: "omadata-portal", ClientSecret: "portal-secret",
			IdentityClaim: "national_id_num", NameClaim: "name", ACRValues: acr}, nil
	}
}

// jarClient is an HTTP client with a cookie jar that follows redirects.
func jarClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 10 * time.Second}
}

// loggedIn tells whether a login ended on the portal page asked for,
// signed in.
func loggedIn(e *env, p oidctest.Page, lang string) bool {
	return p.Status == 200 && p.URL == e.url+"/"+lang+"/consents" && strings.Contains(p.Body, `action="/`+lang+`/logout"`)
}

func TestLoginOpenIDProvider(t *testing.T) {
	e := newProviderEnv(t, time.Time{}, nil, opProvider(oidctest.Misbehave{}))
	p := oidctest.Login(t, jarClient(), e.url+"/fi/login?next=/fi/consents", "aino", "aino-pw")
	if !p.AskedPassword || !loggedIn(e, p, "fi") {
		t.Fatalf("login: got %d at %s (asked for the password: %t): %.300s", p.Status, p.URL, p.AskedPassword, p.Body)
	}
	if !strings.Contains(p.Body, "Aino Virtanen") {
		t.Errorf("the page does not name the resident: %.300s", p.Body)
	}
}

// TestLoginAZP: with several audiences the ID token's azp must be
// present and name the portal; when present it must name the portal
// (OpenID Connect Core 1.0 §3.1.3.7 items 3-5).
func TestLoginAZP(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    oidctest.Misbehave
		ok   bool
	}{
		{"several audiences, azp ours", oidctest.Misbehave{ExtraAudiences: []string{"another-client"}}, true},
		{"several audiences, no azp", oidctest.Misbehave{ExtraAudiences: []string{"another-client"}, DropAZP: true}, false},
		{"one audience, azp another client", oidctest.Misbehave{AZP: "another-client"}, false},
		{"several audiences, azp another client", oidctest.Misbehave{ExtraAudiences: []string{"another-client"}, AZP: "another-client"}, false},
		{"one audience, no azp", oidctest.Misbehave{DropAZP: true}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newProviderEnv(t, time.Time{}, nil, opProvider(tc.m))
			p := oidctest.Login(t, jarClient(), e.url+"/en/login?next=/en/consents", "aino", "aino-pw")
			if got := loggedIn(e, p, "en"); got != tc.ok {
				t.Fatalf("signed in: got %t, want %t (%d at %s: %.300s)", got, tc.ok, p.Status, p.URL, p.Body)
			}
			if !tc.ok && (p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "Signing in failed. Please try again.")) {
				t.Errorf("refusal: got %d: %.300s", p.Status, p.Body)
			}
		})
	}
}

// TestLoginCookieExpires: the login cookie's expiry is inside its signed
// value and the server checks it; a browser that keeps the cookie longer
// gets nowhere.
func TestLoginCookieExpires(t *testing.T) {
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	e := newProviderEnv(t, start, nil, opProvider(oidctest.Misbehave{}))
	b := jarClient()
	// At the provider's login form, then back 11 minutes later.
	form := oidctest.Get(t, b, e.url+"/en/login?next=/en/consents")
	if form.Status != 200 || !strings.Contains(form.Body, `name="password"`) {
		t.Fatalf("login: got %d at %s", form.Status, form.URL)
	}
	e.setNow(start.Add(11 * time.Minute))
	p := oidctest.Login(t, b, e.url+"/en/login?next=/en/consents", "aino", "aino-pw")
	// The second login made a new cookie: that one works.
	if !loggedIn(e, p, "en") {
		t.Fatalf("a fresh login: got %d at %s", p.Status, p.URL)
	}

	b = jarClient()
	form = oidctest.Get(t, b, e.url+"/en/login?next=/en/consents")
	e.setNow(start.Add(22 * time.Minute))
	p = oidctest.Login(t, b, form.URL, "aino", "aino-pw")
	if loggedIn(e, p, "en") || p.Status != http.StatusBadRequest {
		t.Fatalf("an expired login cookie: got %d at %s, want 400", p.Status, p.URL)
	}
	e.setNow(start.Add(22*time.Minute + 9*time.Minute))
	b = jarClient()
	form = oidctest.Get(t, b, e.url+"/en/login?next=/en/consents")
	e.setNow(start.Add(22*time.Minute + 18*time.Minute))
	if p := oidctest.Login(t, b, form.URL, "aino", "aino-pw"); !loggedIn(e, p, "en") {
		t.Fatalf("9 minutes at the provider: got %d at %s, want signed in", p.Status, p.URL)
	}
}

// TestLoginAssurance: with a required level the portal asks for it
// (acr_values) and refuses a login at another level, saying so in the
// resident's language.
func TestLoginAssurance(t *testing.T) {
	e := newProviderEnv(t, time.Time{}, nil, opProvider(oidctest.Misbehave{}, loa3, "http://eidas.europa.eu/LoA/high"))
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noFollow.Get(e.url + "/fi/login")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if loc := res.Header.Get("Location"); !strings.Contains(loc, "acr_values=http%3A%2F%2Fftn.ficora.fi%2F2017%2Floa3+http%3A%2F%2Feidas.europa.eu%2FLoA%2Fhigh") {
		t.Errorf("the authorization request has no acr_values: %s", loc)
	}
	if p := oidctest.Login(t, jarClient(), e.url+"/fi/login?next=/fi/consents", "aino", "aino-pw"); !loggedIn(e, p, "fi") {
		t.Fatalf("level high: got %d at %s", p.Status, p.URL)
	}
	for lang, want := range map[string]string{
		"fi": "tunnistustapasi ei täytä palvelun edellyttämää varmuustasoa",
		"sv": "din identifieringsmetod inte uppfyller den tillitsnivå som tjänsten kräver",
		"en": "does not meet the assurance level this service requires",
	} {
		p := oidctest.Login(t, jarClient(), e.url+"/"+lang+"/login?next=/"+lang+"/consents", "eino", "eino-pw")
		if p.Status != http.StatusForbidden || !strings.Contains(p.Body, want) || !strings.Contains(p.Body, `lang="`+lang+`"`) {
			t.Errorf("%s, level substantial: got %d: %.400s", lang, p.Status, p.Body)
		}
	}
}

// TestLoginNoIdentityCode: a token without a valid identity code is
// refused with a page that says why, in the resident's language.
func TestLoginNoIdentityCode(t *testing.T) {
	e := newProviderEnv(t, time.Time{}, nil, opProvider(oidctest.Misbehave{}))
	for lang, want := range map[string]string{
		"fi": "tunnistuspalvelu ei välittänyt kelvollista henkilötunnustasi",
		"sv": "identifieringstjänsten inte förmedlade en giltig personbeteckning",
		"en": "the identification service did not pass on a valid personal identity code",
	} {
		for _, user := range []string{"nocode", "badcode"} {
			p := oidctest.Login(t, jarClient(), e.url+"/"+lang+"/login?next=/"+lang+"/consents", user, user+"-pw")
			if p.Status != http.StatusForbidden || !strings.Contains(p.Body, want) || !strings.Contains(p.Body, `lang="`+lang+`"`) {
				t.Errorf("%s, %s: got %d: %.400s", lang, user, p.Status, p.Body)
			}
		}
	}
}

// TestLogoutEndsProviderSession: logging out of the portal ends the
// session at the provider too (RP-initiated logout), and comes back to
// the front page in the resident's language; the next login asks for the
// password again.
func TestLogoutEndsProviderSession(t *testing.T) {
	e := newProviderEnv(t, time.Time{}, nil, opProvider(oidctest.Misbehave{}))
	b := jarClient()
	p := oidctest.Login(t, b, e.url+"/sv/login?next=/sv/consents", "aino", "aino-pw")
	if !p.AskedPassword || !loggedIn(e, p, "sv") {
		t.Fatalf("login: got %d at %s", p.Status, p.URL)
	}
	// Without logging out, the provider's session lets the resident through.
	if p = oidctest.Login(t, b, e.url+"/sv/login?next=/sv/consents", "aino", "aino-pw"); p.AskedPassword || !loggedIn(e, p, "sv") {
		t.Fatalf("a second login: got %d at %s (asked for the password: %t)", p.Status, p.URL, p.AskedPassword)
	}
	// The logout request names the client, where to come back to, a
	// state and the language (RP-Initiated Logout 1.0 §2).
	noFollow := &http.Client{Jar: b.Jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	c := &client{t: t, e: e, http: noFollow}
	first := c.post("/sv/logout", url.Values{"csrf": {csrfRE.FindStringSubmatch(p.Body)[1]}})
	loc, err := url.Parse(first.header.Get("Location"))
	if err != nil || first.status != http.StatusSeeOther {
		t.Fatalf("logout: got %d to %q", first.status, first.header.Get("Location"))
	}
	q := loc.Query()
	if q.Get("client_id") != "omadata-portal" || q.Get("post_logout_redirect_uri") != e.url+"/sv/?done=logged-out" ||
		q.Get("ui_locales") != "sv" || len(q.Get("state")) < 16 || q.Has("id_token_hint") {
		t.Errorf("the logout request: %s", loc)
	}
	// The store session ended before the browser left.
	if p := (&client{t: t, e: e, http: noFollow}).get("/sv/consents"); p.status == 200 {
		t.Errorf("the portal session outlived the logout: %d", p.status)
	}
	c.http = b
	out := c.get(loc.String())
	if out.status != 200 || !strings.HasPrefix(out.url, e.url+"/sv/?done=logged-out") || !strings.Contains(out.body, "Du har loggat ut.") {
		t.Fatalf("logout: got %d at %s: %.300s", out.status, out.url, out.body)
	}
	if p := oidctest.Login(t, b, e.url+"/sv/login?next=/sv/consents", "aino", "aino-pw"); !p.AskedPassword || !loggedIn(e, p, "sv") {
		t.Fatalf("login after logout: got %d at %s (asked for the password: %t), want the password asked", p.Status, p.URL, p.AskedPassword)
	}
}
