// SPDX-License-Identifier: Apache-2.0

package web_test

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata/internal/web"
	"github.com/omadata/omadata/internal/web/ratelimit"
)

// TestRateLimits: credential creation is limited per client address and
// per token, answering 429 with Retry-After in the error shape, counted in
// /metrics; a refused request creates nothing. X-Forwarded-For names the
// address only because the test trusts the loopback proxy.
func TestRateLimits(t *testing.T) {
	var e *env
	e = newEnv(t, func(o *web.Options) {
		o.Limiter = ratelimit.New(ratelimit.Options{
			Rates:          map[string]ratelimit.Rate{ratelimit.Credential: {N: 2, Per: time.Minute}},
			TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
			Metrics:        o.Metrics,
		})
	})
	create := func(token, addr string) response {
		t.Helper()
		return e.call(t, "POST", "/api/v1/services/"+e.svcA+"/credentials", token, "application/json",
			strings.NewReader(`{"name":"limited","scopes":["catalogue:read"]}`), "X-Forwarded-For", addr)
	}
	count := func() int {
		t.Helper()
		var page struct{ Items []any }
		r := e.do(t, "GET", "/api/v1/services/"+e.svcA+"/credentials", e.admin, nil)
		r.decode(t, &page)
		return len(page.Items)
	}
	refused := func(r response, why string) {
		t.Helper()
		wantStatus(t, r, 429)
		if got := r.err(t).Code; got != "rate_limited" {
			t.Errorf("%s: got code %q, want rate_limited", why, got)
		}
		if ra := r.header.Get("Retry-After"); ra != "30" {
			t.Errorf("%s: got Retry-After %q, want 30", why, ra)
		}
	}
	before := count()

	// Per token: one token from a new address each time.
	wantStatus(t, create(e.tokA, "198.51.100.1"), 201)
	wantStatus(t, create(e.tokA, "198.51.100.2"), 201)
	refused(create(e.tokA, "198.51.100.3"), "third from one token")

	// Per address: other tokens from one address.
	wantStatus(t, create(e.admin, "198.51.100.9"), 201)
	wantStatus(t, create(e.tokB, "198.51.100.9"), 404) // A's service is not B's to see, but the request counts
	refused(create(e.admin, "198.51.100.9"), "third from one address")

	if n := count(); n != before+3 {
		t.Errorf("got %d credentials, want %d: a refused request created one", n, before+3)
	}
	// Other routes are not limited.
	for range 3 {
		wantStatus(t, e.do(t, "GET", "/api/v1/services/"+e.svcA+"/credentials", e.admin, nil), 200)
	}
	m := string(e.do(t, "GET", "/metrics", "", nil).body)
	for _, want := range []string{
		`omadata_http_rate_limited_total{key="account",limit="credential"} 1`,
		`omadata_http_rate_limited_total{key="address",limit="credential"} 1`,
		`omadata_http_requests_total{code="429",method="POST",route="/api/v1/services/{id}/credentials"} 2`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestRateLimitsForwarded: behind a trusted proxy the client's address
// comes from X-Forwarded-For in the forms proxies write (ip, ip:port,
// [v6], [v6]:port); IPv6 clients in one /64 share a bucket, and clients
// the proxy writes with a port, or as something that is no address, do
// not fall into the proxy's own bucket. Requests carry no token, so only
// the address is counted: 401 while allowed, 429 when refused.
func TestRateLimitsForwarded(t *testing.T) {
	var e *env
	e = newEnv(t, func(o *web.Options) {
		o.Limiter = ratelimit.New(ratelimit.Options{
			Rates:          map[string]ratelimit.Rate{ratelimit.Credential: {N: 2, Per: time.Minute}},
			TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
			Metrics:        o.Metrics,
		})
	})
	create := func(xff ...string) response {
		t.Helper()
		var header []string
		for _, v := range xff {
			header = append(header, "X-Forwarded-For", v)
		}
		return e.call(t, "POST", "/api/v1/services/"+e.svcA+"/credentials", "", "application/json",
			strings.NewReader(`{"name":"limited","scopes":["catalogue:read"]}`), header...)
	}

	// One /64: its addresses, in every form, share one bucket.
	wantStatus(t, create("2001:db8:1:2::1"), 401)
	wantStatus(t, create("[2001:db8:1:2::2]:443"), 401)
	wantStatus(t, create("[2001:db8:1:2:ffff::3]"), 429)
	// The next /64 is another client.
	wantStatus(t, create("2001:db8:1:3::1"), 401)

	// ip:port entries are read as their addresses: each its own bucket,
	// and the port does not make another.
	for i := range 3 {
		wantStatus(t, create(fmt.Sprintf("198.51.100.%d:2001", i+1)), 401)
	}
	wantStatus(t, create("198.51.100.1:2002"), 401)
	wantStatus(t, create("198.51.100.1"), 429)

	// Unreadable entries are their own keys, not the proxy's bucket,
	// which stays open for the proxy's own address.
	for range 2 {
		wantStatus(t, create("garbage"), 401)
	}
	wantStatus(t, create("garbage"), 429)
	wantStatus(t, create("other-garbage"), 401)
	wantStatus(t, create(), 401) // from the proxy itself

	// Two header lines are one list; the client's forged hop on the left
	// is not read.
	wantStatus(t, create("203.0.113.1", "203.0.113.50, 127.0.0.2"), 401)
	wantStatus(t, create("203.0.113.2", "203.0.113.50"), 401)
	wantStatus(t, create("203.0.113.3", "203.0.113.50:9"), 429)
}
