// SPDX-License-Identifier: Apache-2.0

package portal_test

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata/internal/demo/idp"
	"github.com/omadata/omadata/internal/web/ratelimit"
)

// forwardedFor sends every request as if through a proxy for addr.
type forwardedFor struct{ addr *string }

func (f forwardedFor) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", *f.addr)
	return http.DefaultTransport.RoundTrip(r)
}

// TestLoginRateLimit: login starts and callbacks are limited per client
// address, and callbacks per signed-in identity too; a refusal is a 429
// page in the page's language with Retry-After.
func TestLoginRateLimit(t *testing.T) {
	e := newLimitedEnv(t, time.Time{}, ratelimit.New(ratelimit.Options{
		Rates:          map[string]ratelimit.Rate{ratelimit.Login: {N: 2, Per: time.Minute}},
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
	}))
	addr := "198.51.100.1"
	client := func() *client {
		c := e.client(t)
		c.http.Transport = forwardedFor{&addr}
		return c
	}
	refused := func(p page, lang, want, why string) {
		t.Helper()
		if p.status != 429 || !strings.Contains(p.body, want) || !strings.Contains(p.body, `<html lang="`+lang+`">`) {
			t.Fatalf("%s: got %d %.300s, want 429 saying %q", why, p.status, p.body, want)
		}
	}

	// Per address: two login starts, then a refusal.
	c := client()
	for range 2 {
		if p := c.get("/sv/login"); p.status != 200 {
			t.Fatalf("login start: got %d", p.status)
		}
	}
	refused(c.get("/sv/login"), "sv", "För många försök", "third login start from one address")
	res, err := c.http.Get(e.url + "/sv/login")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if ra := res.Header.Get("Retry-After"); res.StatusCode != 429 || ra == "" || ra == "0" {
		t.Fatalf("got %d with Retry-After %q, want 429 with a number of seconds", res.StatusCode, ra)
	}

	// Per identity: a login is a start and a callback, so each comes from
	// an address of its own; the third login of one person is refused at
	// the callback.
	for _, a := range []string{"198.51.100.2", "198.51.100.3"} {
		addr = a
		client().login("en", "aino")
	}
	addr = "198.51.100.4"
	c = client()
	chooser := c.get("/en/login?next=/en/consents")
	form := map[string][]string{"person": {"aino"}}
	for _, m := range hiddenRE.FindAllStringSubmatch(chooser.body, 20) {
		if _, ok := form[m[1]]; !ok {
			form[m[1]] = []string{htmlUnescape(m[2])}
		}
	}
	refused(c.post(idp.Prefix+"/authorize", form), "en", "Too many attempts", "third login of one person")
	// Someone else from that address signs in.
	addr = "198.51.100.5"
	client().login("en", "matti")
}
