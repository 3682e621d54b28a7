// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/keys"
	"github.com/omadata/omadata/internal/oidctest"
	"github.com/omadata/omadata/internal/web/admin"
	"github.com/omadata/omadata/internal/web/portal"
)

// TestLoginProviders runs serve with two OpenID provider processes:
// residents log in to the portal at one, whose issuer ends in "/" (used
// exactly as given), and staff to the console at the other
// (OMADATA_ADMIN_OIDC_*). A login at the staff provider of someone not on
// the staff does not reach the console; a staff member's login at the
// residents' provider reaches the portal, not the console. Logging out of
// the console ends the session at the staff provider. The staff
// provider's own identity claim and required acr apply, and its refusals
// say why in the page's language.
func TestLoginProviders(t *testing.T) {
	tmp := t.TempDir()
	migrated(t, tmp)
	const (
		aino = "131052-308T" // a resident
		olli = "120475-931B" // on the staff
	)
	env := map[string]string{
		"OMADATA_DATABASE_URL":         "sqlite:" + filepath.Join(tmp, "omadata.db"),
		"OMADATA_SECRET_KEY":           base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, keys.SecretKeySize)),
		"OMADATA_OPERATOR_BUSINESS_ID": "0201256-6",
		"OMADATA_OPERATOR_EMAIL":       "mydata@example.fi",
	}
	var stdout, stderr bytes.Buffer
	m := &Main{Stdout: &stdout, Stderr: &stderr, Stdin: strings.NewReader(olli + "\n"), LookupEnv: envOf(env)}
	if err := m.Run(context.Background(), []string{"staff", "add", "--name", "Olli Ylläpitäjä", "--role", "operator_admin"}); err != nil {
		t.Fatalf("staff add: %v\n%s", err, stderr.String())
	}

	addr := freeAddr(t)
	public := "http://" + addr
	var portalBack, consoleBack []string
	for _, l := range omadata.Languages {
		portalBack = append(portalBack, public+portal.PostLogoutPath(l))
		consoleBack = append(consoleBack, public+admin.PostLogoutPath(l))
	}
	residents := oidctest.Start(t, oidctest.Config{
		Issuer:  "http://{addr}/",
		Clients: []oidctest.Client{{ID: "omadata-portal", Secret: "portal-secret", RedirectURIs: []string{public + portal.CallbackPath}, PostLogoutRedirectURIs: portalBack}},
		Users: []oidctest.User{
			{Username: "aino", Password: "aino-pw", Claims: map[string]any{"national_id_num": aino, "name": "Aino Virtanen"}},
			{Username: "olli", Password: "olli-at-home", Claims: map[string]any{"national_id_num": olli, "name": "Olli Ylläpitäjä"}},
		},
	})
	staff := oidctest.Start(t, oidctest.Config{
		Issuer:  "http://{addr}/workforce",
		Clients: []oidctest.Client{{ID: "omadata-console", Secret: "console-secret", RedirectURIs: []string{public + admin.CallbackPath}, PostLogoutRedirectURIs: consoleBack}},
		Users: []oidctest.User{
			{Username: "olli", Password: "olli-at-work", ACR: "urn:example:staff:mfa", Claims: map[string]any{"hetu": olli, "displayName": "Olli Ylläpitäjä"}},
			{Username: "aino", Password: "aino-at-work", ACR: "urn:example:staff:mfa", Claims: map[string]any{"hetu": aino, "displayName": "Aino Virtanen"}},
			{Username: "olli-pw", Password: "olli-pw-only", ACR: "urn:example:staff:password", Claims: map[string]any{"hetu": olli, "displayName": "Olli Ylläpitäjä"}},
			{Username: "trainee", Password: "trainee-pw", ACR: "urn:example:staff:mfa", Claims: map[string]any{"displayName": "Harjoittelija"}},
		},
	})
	for k, v := range map[string]string{
		"OMADATA_PUBLIC_URL":                public,
		"OMADATA_OIDC_ISSUER":               residents.Issuer,
		"OMADATA_OIDC_CLIENT_ID":            "omadata-portal",
		"OMADATA_OIDC_CLIENT_SECRET":        "portal-secret",
		"OMADATA_ADMIN_OIDC_ISSUER":         staff.Issuer,
		"OMADATA_ADMIN_OIDC_CLIENT_ID":      "omadata-console",
		"OMADATA_ADMIN_OIDC_CLIENT_SECRET":  "console-secret",
		"OMADATA_ADMIN_OIDC_IDENTITY_CLAIM": "hetu",
		"OMADATA_ADMIN_OIDC_NAME_CLAIM":     "displayName",
		"OMADATA_ADMIN_OIDC_ACR_VALUES":     "urn:example:staff:mfa",
		"OMADATA_LOG_LEVEL":                 "error",
		"OMADATA_RATE_LIMIT_LOGIN":          "off",
	} {
		env[k] = v
	}
	if !strings.HasSuffix(residents.Issuer, "/") {
		t.Fatalf("the residents' issuer %q has no trailing slash", residents.Issuer)
	}
	startServeAt(t, env, addr)

	t.Run("resident at the residents' provider", func(t *testing.T) {
		b := jarClient()
		p := oidctest.Login(t, b, public+"/fi/login?next=/fi/consents", "aino", "aino-pw")
		if p.Status != 200 || p.URL != public+"/fi/consents" || !strings.Contains(p.Body, "Aino Virtanen") {
			t.Fatalf("got %d at %s: %.300s", p.Status, p.URL, p.Body)
		}
		// The console sends her to the staff provider, which asks again.
		if p := oidctest.Get(t, b, public+"/admin/fi/login"); !strings.HasPrefix(p.URL, "http://"+staff.Addr+"/") || !strings.Contains(p.Body, `name="password"`) {
			t.Fatalf("console login: got %d at %s", p.Status, p.URL)
		}
	})
	t.Run("resident at the staff provider", func(t *testing.T) {
		p := oidctest.Login(t, jarClient(), public+"/admin/en/login", "aino", "aino-at-work")
		if p.Status != http.StatusForbidden || !strings.Contains(p.Body, "You are not on the operator") {
			t.Fatalf("got %d at %s: %.300s", p.Status, p.URL, p.Body)
		}
	})
	t.Run("staff provider: no identity code, or a level not accepted", func(t *testing.T) {
		for _, tc := range []struct{ lang, user, password, want string }{
			{"fi", "trainee", "trainee-pw", "tunnistuspalvelu ei välittänyt kelvollista henkilötunnustasi"},
			{"sv", "trainee", "trainee-pw", "identifieringstjänsten inte förmedlade en giltig personbeteckning"},
			{"en", "trainee", "trainee-pw", "did not pass on a valid personal identity code"},
			{"fi", "olli-pw", "olli-pw-only", "ei täytä hallinnan edellyttämää varmuustasoa"},
			{"sv", "olli-pw", "olli-pw-only", "den tillitsnivå som administrationen kräver"},
			{"en", "olli-pw", "olli-pw-only", "does not meet the assurance level the admin console requires"},
		} {
			p := oidctest.Login(t, jarClient(), public+"/admin/"+tc.lang+"/login", tc.user, tc.password)
			if p.Status != http.StatusForbidden || !strings.Contains(p.Body, tc.want) {
				t.Errorf("%s, %s: got %d at %s: %.300s", tc.lang, tc.user, p.Status, p.URL, p.Body)
			}
		}
	})
	t.Run("staff member at the residents' provider", func(t *testing.T) {
		b := jarClient()
		if p := oidctest.Login(t, b, public+"/en/login?next=/en/consents", "olli", "olli-at-home"); p.URL != public+"/en/consents" {
			t.Fatalf("portal login: got %d at %s", p.Status, p.URL)
		}
		if p := oidctest.Get(t, b, public+"/admin/en/"); strings.Contains(p.Body, `action="/admin/en/logout"`) {
			t.Fatalf("a login at the residents' provider reached the console: %d at %s", p.Status, p.URL)
		}
		// The staff provider's password does not work at the residents'.
		if p := oidctest.Login(t, jarClient(), public+"/en/login?next=/en/consents", "olli", "olli-at-work"); p.URL == public+"/en/consents" {
			t.Fatalf("the staff password worked at the residents' provider")
		}
	})
	t.Run("staff member at the staff provider, then logout", func(t *testing.T) {
		b := jarClient()
		p := oidctest.Login(t, b, public+"/admin/fi/login", "olli", "olli-at-work")
		if p.Status != 200 || p.URL != public+"/admin/fi/" || !strings.Contains(p.Body, `action="/admin/fi/logout"`) {
			t.Fatalf("got %d at %s: %.300s", p.Status, p.URL, p.Body)
		}
		csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(p.Body)
		if csrf == nil {
			t.Fatal("no CSRF token on the console")
		}
		req, _ := http.NewRequest("POST", public+"/admin/fi/logout", strings.NewReader(url.Values{"csrf": {csrf[1]}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", public)
		res, err := b.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if !strings.HasPrefix(res.Request.URL.String(), public+"/admin/fi/?done=logged-out") {
			t.Fatalf("logout ended at %s", res.Request.URL)
		}
		if p := oidctest.Login(t, b, public+"/admin/fi/login", "olli", "olli-at-work"); !p.AskedPassword || p.URL != public+"/admin/fi/" {
			t.Fatalf("login after logout: got %d at %s (asked for the password: %t), want the password asked", p.Status, p.URL, p.AskedPassword)
		}
	})
}

// freeAddr is a loopback address with a port nobody listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startServeAt runs serve on addr with env until the test ends.
func startServeAt(t *testing.T, env map[string]string, addr string) {
	t.Helper()
	ready := make(chan net.Addr, 1)
	done := make(chan error, 1)
	var stdout, stderr bytes.Buffer
	m := &Main{Stdout: &stdout, Stderr: &stderr, LookupEnv: envOf(env), Ready: func(a net.Addr) { ready <- a }}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { done <- m.Run(ctx, []string{"serve", "--listen", addr}) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("serve stopped before listening: %v\n%s", err, stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start in 30 s")
	}
}

func jarClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 10 * time.Second}
}
