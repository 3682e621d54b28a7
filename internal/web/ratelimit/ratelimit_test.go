// SPDX-License-Identifier: Apache-2.0

package ratelimit_test

import (
	"fmt"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/web/ratelimit"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time      { return c.t }
func (c *clock) add(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *clock               { return &clock{time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)} }

func TestBucket(t *testing.T) {
	c := newClock()
	reg := prometheus.NewRegistry()
	l := ratelimit.New(ratelimit.Options{Rates: map[string]ratelimit.Rate{ratelimit.Token: {N: 3, Per: time.Minute}}, Metrics: reg, Now: c.now})
	for i := range 3 {
		if err := l.Account(ratelimit.Token, "cred_a"); err != nil {
			t.Fatalf("request %d: %v, want allowed", i, err)
		}
	}
	err := l.Account(ratelimit.Token, "cred_a")
	if omadata.ErrorCode(err) != omadata.ERATELIMITED {
		t.Fatalf("4th request: got %v, want rate_limited", err)
	}
	if got := ratelimit.RetryAfterSeconds(err); got != "20" {
		t.Errorf("Retry-After: got %q, want 20 (one token per 20 s)", got)
	}
	// Another account and another kind are counted apart.
	if err := l.Account(ratelimit.Token, "cred_b"); err != nil {
		t.Fatalf("another account: %v", err)
	}
	if err := l.Account(ratelimit.Login, "cred_a"); err != nil {
		t.Fatalf("a kind without a rate: %v", err)
	}
	c.add(20 * time.Second)
	if err := l.Account(ratelimit.Token, "cred_a"); err != nil {
		t.Fatalf("after 20 s: %v, want one more allowed", err)
	}
	if err := l.Account(ratelimit.Token, "cred_a"); err == nil {
		t.Fatal("right after: allowed, want refused")
	}
	if got := refused(t, reg); got != 2 {
		t.Errorf("omadata_http_rate_limited_total: got %v, want 2", got)
	}
	var nilLimiter *ratelimit.Limiter
	if err := nilLimiter.Account(ratelimit.Token, "x"); err != nil {
		t.Errorf("nil limiter: %v", err)
	}
}

// refused sums omadata_http_rate_limited_total in reg.
func refused(t *testing.T, reg *prometheus.Registry) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() == "omadata_http_rate_limited_total" {
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

// TestBoundedMemory: idle buckets are forgotten, and there are never more
// than MaxKeys.
func TestBoundedMemory(t *testing.T) {
	c := newClock()
	l := ratelimit.New(ratelimit.Options{Rates: map[string]ratelimit.Rate{ratelimit.Login: {N: 5, Per: time.Minute}}, MaxKeys: 100, Now: c.now})
	for i := range 1000 {
		l.Account(ratelimit.Login, fmt.Sprint("id", i))
		if n := l.Len(); n > 100 {
			t.Fatalf("after %d keys: %d buckets, want at most 100", i+1, n)
		}
	}
	c.add(2 * time.Minute) // every bucket has refilled
	l.Account(ratelimit.Login, "new")
	if n := l.Len(); n != 1 {
		t.Fatalf("after the idle time: %d buckets, want 1", n)
	}
}

// TestClientKey: the bucket key of a request's client, from its peer or,
// behind a trusted proxy, from the rightmost untrusted X-Forwarded-For
// entry in any of the forms proxies write; IPv6 by its /64.
func TestClientKey(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	trusting := ratelimit.New(ratelimit.Options{TrustedProxies: proxies})
	plain := ratelimit.New(ratelimit.Options{})
	for _, tc := range []struct {
		name, remote string
		xff          []string // header lines
		trusting     string
		plain        string
	}{
		{"direct", "192.0.2.7:5000", nil, "192.0.2.7", "192.0.2.7"},
		{"forged header from a client", "192.0.2.7:5000", []string{"198.51.100.1"}, "192.0.2.7", "192.0.2.7"},
		{"through the proxy", "10.1.2.3:5000", []string{"198.51.100.1"}, "198.51.100.1", "10.1.2.3"},
		{"client prepends a forged hop", "10.1.2.3:5000", []string{"203.0.113.9, 198.51.100.1"}, "198.51.100.1", "10.1.2.3"},
		{"two trusted proxies", "10.1.2.3:5000", []string{"198.51.100.1, 10.9.9.9"}, "198.51.100.1", "10.1.2.3"},
		{"two header lines", "10.1.2.3:5000", []string{"203.0.113.9, 198.51.100.1", "10.9.9.9"}, "198.51.100.1", "10.1.2.3"},
		{"forged hop in the first of two lines", "10.1.2.3:5000", []string{"203.0.113.9", "198.51.100.1, 10.9.9.9"}, "198.51.100.1", "10.1.2.3"},
		{"empty elements", "10.1.2.3:5000", []string{"198.51.100.1, , 10.9.9.9,"}, "198.51.100.1", "10.1.2.3"},
		{"proxy without a header", "10.1.2.3:5000", nil, "10.1.2.3", "10.1.2.3"},
		{"ip:port", "10.1.2.3:5000", []string{"4.4.4.4:2001"}, "4.4.4.4", "10.1.2.3"},
		{"ip:port of a trusted proxy", "10.1.2.3:5000", []string{"4.4.4.4:2001, 10.9.9.9:443"}, "4.4.4.4", "10.1.2.3"},
		{"[v6]", "10.1.2.3:5000", []string{"[2001:db8:1:2::5]"}, "2001:db8:1:2::/64", "10.1.2.3"},
		{"[v6]:port", "10.1.2.3:5000", []string{"[2001:db8:1:2::5]:2001"}, "2001:db8:1:2::/64", "10.1.2.3"},
		{"bare v6", "10.1.2.3:5000", []string{"2001:db8:1:2:aaaa::9"}, "2001:db8:1:2::/64", "10.1.2.3"},
		{"v6 behind a v6 proxy", "[fd00::1]:443", []string{"2001:db8:1:2::9, fd00::2"}, "2001:db8:1:2::/64", "fd00::/64"},
		{"IPv4-mapped", "10.1.2.3:5000", []string{"::ffff:198.51.100.1"}, "198.51.100.1", "10.1.2.3"},
		{"IPv4-mapped proxy", "[::ffff:10.1.2.3]:5000", []string{"198.51.100.1"}, "198.51.100.1", "10.1.2.3"},
		{"garbage entry is its own key", "10.1.2.3:5000", []string{"198.51.100.1, nonsense"}, "entry:nonsense", "10.1.2.3"},
		{"garbage entry is cut", "10.1.2.3:5000", []string{strings.Repeat("x", 500)}, "entry:" + strings.Repeat("x", 64), "10.1.2.3"},
		{"[v4] is not an entry", "10.1.2.3:5000", []string{"[198.51.100.1]"}, "entry:[198.51.100.1]", "10.1.2.3"},
		{"IPv6 peer", "[2001:db8::1]:443", nil, "2001:db8::/64", "2001:db8::/64"},
		{"IPv6 peer in the same /64", "[2001:db8::ffff:1]:443", nil, "2001:db8::/64", "2001:db8::/64"},
		{"IPv4-mapped peer", "[::ffff:192.0.2.7]:443", nil, "192.0.2.7", "192.0.2.7"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.remote
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := trusting.ClientKey(r); got != tc.trusting {
				t.Errorf("trusting 10/8 and fd00::/8: got %s, want %s", got, tc.trusting)
			}
			if got := plain.ClientKey(r); got != tc.plain {
				t.Errorf("trusting none: got %s, want %s", got, tc.plain)
			}
		})
	}
}

// TestIPv6Bucket: addresses in one /64 share a bucket; another /64 has
// its own.
func TestIPv6Bucket(t *testing.T) {
	l := ratelimit.New(ratelimit.Options{Rates: map[string]ratelimit.Rate{ratelimit.Login: {N: 2, Per: time.Minute}}, Now: newClock().now})
	from := func(remote string) error {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		return l.Address(ratelimit.Login, r)
	}
	for i := range 2 {
		if err := from(fmt.Sprintf("[2001:db8:1:2::%d]:443", i+1)); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	if err := from("[2001:db8:1:2:ffff::1]:443"); omadata.ErrorCode(err) != omadata.ERATELIMITED {
		t.Fatalf("third address in the /64: got %v, want rate_limited", err)
	}
	if err := from("[2001:db8:1:3::1]:443"); err != nil {
		t.Fatalf("the next /64: %v, want allowed", err)
	}
}

func TestParseRate(t *testing.T) {
	for in, want := range map[string]string{"30/1m": "30/1m0s", "off": "off", "5/10s": "5/10s"} {
		if r, err := ratelimit.ParseRate(in); err != nil || r.String() != want {
			t.Errorf("ParseRate(%q): got %v, %v, want %s", in, r, err, want)
		}
	}
	for _, in := range []string{"", "30", "0/1m", "-1/1m", "30/1ms", "30/minute", "x/1m"} {
		if _, err := ratelimit.ParseRate(in); err == nil || !strings.Contains(err.Error(), "N/duration") {
			t.Errorf("ParseRate(%q): got %v, want an error", in, err)
		}
	}
}

// TestMetricsFromZero: every limit's refusals are exposed from the start,
// at 0, by address and by account.
func TestMetricsFromZero(t *testing.T) {
	reg := prometheus.NewRegistry()
	ratelimit.New(ratelimit.Options{Rates: map[string]ratelimit.Rate{ratelimit.Login: {N: 1, Per: time.Minute}}, Metrics: reg})
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var series []string
	for _, mf := range mfs {
		if mf.GetName() == "omadata_http_rate_limited_total" {
			for _, m := range mf.GetMetric() {
				series = append(series, fmt.Sprintf("%v=%v", m.GetLabel(), m.GetCounter().GetValue()))
			}
		}
	}
	if len(series) != 2 || refused(t, reg) != 0 {
		t.Errorf("got %v, want the login limit by address and by account, at 0", series)
	}
}
