// SPDX-License-Identifier: Apache-2.0

// Package ratelimit limits how often a client address and an account may
// call the endpoints that attackers guess at: login, grant tokens and
// credential creation. Each limit is a token bucket per key, kept in
// memory for as long as the key is active.
package ratelimit

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/omadata/omadata"
)

// The limited kinds of endpoint.
const (
	Login      = "login"      // portal and console login start and callback
	Token      = "token"      // the grant token endpoint (DPoP)
	Credential = "credential" // credential and admin-token creation
)

// Rate is N requests per Per, with bursts of up to N. The zero Rate is no
// limit.
type Rate struct {
	N   int
	Per time.Duration
}

// ParseRate parses "N/duration" ("30/1m", "600/1m") or "off".
func ParseRate(s string) (Rate, error) {
	if s == "off" {
		return Rate{}, nil
	}
	n, per, ok := strings.Cut(s, "/")
	nn, err := strconv.Atoi(n)
	if !ok || err != nil || nn < 1 || nn > 1_000_000 {
		return Rate{}, fmt.Errorf("%q is not N/duration (such as 30/1m) or off", s)
	}
	d, err := time.ParseDuration(per)
	if err != nil || d < time.Second || d > 24*time.Hour {
		return Rate{}, fmt.Errorf("%q is not N/duration with a duration from 1s to 24h", s)
	}
	return Rate{N: nn, Per: d}, nil
}

// String returns the rate as ParseRate reads it.
func (r Rate) String() string {
	if r.N == 0 {
		return "off"
	}
	return strconv.Itoa(r.N) + "/" + r.Per.String()
}

// Options configures a Limiter.
type Options struct {
	Rates map[string]Rate // by kind (Login, Token, Credential); missing: no limit
	// TrustedProxies are the addresses of reverse proxies whose
	// X-Forwarded-For header is believed; a request from elsewhere is
	// keyed by its connection's address.
	TrustedProxies []netip.Prefix
	// MaxKeys bounds the number of buckets kept; 0 means 100,000.
	MaxKeys int
	// Metrics receives omadata_http_rate_limited_total; nil: not counted.
	Metrics *prometheus.Registry
	// Now returns the current time; tests fix it. nil means time.Now.
	Now func() time.Time
}

// Limiter is a set of token buckets. A nil *Limiter allows everything.
type Limiter struct {
	o       Options
	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
	refused *prometheus.CounterVec
}

type bucket struct {
	tokens float64
	last   time.Time
	full   time.Time // when the bucket is full again, and may be forgotten
}

// New returns a Limiter.
func New(o Options) *Limiter {
	if o.MaxKeys <= 0 {
		o.MaxKeys = 100_000
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	l := &Limiter{o: o, buckets: map[string]*bucket{}}
	if o.Metrics != nil {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "omadata_http_rate_limited_total",
			Help: "Requests refused with 429 by a rate limit, by kind of endpoint (login, token, credential) and key (address, account).",
		}, []string{"limit", "key"})
		if err := o.Metrics.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if !errors.As(err, &are) {
				panic(err) // a name clash with another metric: a bug
			}
			c = are.ExistingCollector.(*prometheus.CounterVec)
		}
		// Every limit and key from the start, at 0, so that an alert on
		// increase() sees the first refusal after a restart too.
		for kind := range o.Rates {
			c.WithLabelValues(kind, "address")
			c.WithLabelValues(kind, "account")
		}
		l.refused = c
	}
	return l
}

// Address takes one request of kind from the client address of r. It
// returns nil, or an ERATELIMITED error when the address is over its rate;
// RetryAfter tells how long to wait.
func (l *Limiter) Address(kind string, r *http.Request) error {
	if l == nil {
		return nil
	}
	return l.take(kind, "address", l.ClientKey(r))
}

// Account takes one request of kind from an account: a token or credential
// ID, or a hash of a signed-in identity.
func (l *Limiter) Account(kind, account string) error {
	if l == nil {
		return nil
	}
	return l.take(kind, "account", account)
}

// Error is the ERATELIMITED error of a refused request.
type Error struct {
	Err        *omadata.Error
	RetryAfter time.Duration
}

func (e *Error) Error() string { return e.Err.Error() }

// Unwrap makes the error an *omadata.Error to errors.As.
func (e *Error) Unwrap() error { return e.Err }

// RetryAfterSeconds returns the Retry-After header's value for err: whole
// seconds, at least 1, or "" when err is not a refusal.
func RetryAfterSeconds(err error) string {
	var e *Error
	if !errors.As(err, &e) {
		return ""
	}
	return strconv.Itoa(max(1, int(math.Ceil(e.RetryAfter.Seconds()))))
}

func (l *Limiter) take(kind, keyKind, key string) error {
	rate, ok := l.o.Rates[kind]
	if !ok || rate.N == 0 {
		return nil
	}
	now := l.o.Now()
	perToken := rate.Per / time.Duration(rate.N)
	l.mu.Lock()
	defer l.mu.Unlock()
	k := kind + "\x00" + keyKind + "\x00" + key
	b := l.buckets[k]
	if b == nil {
		l.makeRoom(now)
		b = &bucket{tokens: float64(rate.N), last: now}
		l.buckets[k] = b
	}
	b.tokens = min(float64(rate.N), b.tokens+float64(now.Sub(b.last))/float64(perToken))
	b.last = now
	if b.tokens < 1 {
		if l.refused != nil {
			l.refused.WithLabelValues(kind, keyKind).Inc()
		}
		wait := time.Duration((1 - b.tokens) * float64(perToken))
		return &Error{Err: &omadata.Error{Code: omadata.ERATELIMITED, Message: fmt.Sprintf("Too many requests; try again in %d seconds.", max(1, int(math.Ceil(wait.Seconds()))))}, RetryAfter: wait}
	}
	b.tokens--
	b.full = now.Add(time.Duration((float64(rate.N) - b.tokens) * float64(perToken)))
	return nil
}

// makeRoom forgets buckets that have refilled (they are as good as new),
// at most once a minute or when the map is full; when it is still full it
// forgets arbitrary ones, so memory stays bounded whatever the traffic.
func (l *Limiter) makeRoom(now time.Time) {
	if len(l.buckets) < l.o.MaxKeys && now.Sub(l.swept) < time.Minute {
		return
	}
	l.swept = now
	for k, b := range l.buckets {
		if !now.Before(b.full) {
			delete(l.buckets, k)
		}
	}
	for k := range l.buckets {
		if len(l.buckets) < l.o.MaxKeys {
			break
		}
		delete(l.buckets, k)
	}
}

// Len returns the number of buckets kept.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// IPv6Prefix is the length of the prefix an IPv6 client is bucketed by:
// a site or a home gets a /64 (RFC 6177), and anyone holding one can pick
// any of its 2^64 addresses, so counting each address apart would give
// them unlimited attempts. An IPv4-mapped IPv6 address counts as IPv4.
const IPv6Prefix = 64

// maxEntryKey bounds the key made from an X-Forwarded-For entry that is no
// address, so an odd header cannot make a bucket key of any length.
const maxEntryKey = 64

// ClientKey returns the key the client of r is bucketed by: its address,
// an IPv4 address as itself and an IPv6 one as its /64 (IPv6Prefix).
//
// The client is the connection's peer, or, when the peer is a trusted
// proxy, the rightmost entry of X-Forwarded-For (all its header lines
// together) that is not a trusted proxy: entries further left are
// written by the client and never read. An entry is an address with or
// without a port: 192.0.2.1, 192.0.2.1:5000, 2001:db8::1, [2001:db8::1]
// or [2001:db8::1]:5000. An entry that is none of these ends the walk
// too and is the key itself, cut to 64 bytes and marked as such: the
// trusted proxy wrote it for this one client (an obfuscated identifier
// like RFC 7239's "_hidden", or a format we do not know), so falling back
// to the proxy's own address would put every client behind that proxy in
// one bucket, and one of them could lock all the others out.
func (l *Limiter) ClientKey(r *http.Request) string {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	addr := peer.Addr()
	if !l.trusted(addr) {
		return addrKey(addr)
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop := strings.TrimSpace(hops[i])
		if hop == "" {
			continue // an empty list element, as in "a, , b"
		}
		a, ok := parseEntry(hop)
		if !ok {
			return "entry:" + hop[:min(len(hop), maxEntryKey)]
		}
		addr = a
		if !l.trusted(addr) {
			break
		}
	}
	return addrKey(addr)
}

// parseEntry reads one X-Forwarded-For entry: ip, ip:port, [v6] or
// [v6]:port.
func parseEntry(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a, true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr(), true
	}
	if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
		if a, err := netip.ParseAddr(s[1 : len(s)-1]); err == nil && a.Is6() {
			return a, true
		}
	}
	return netip.Addr{}, false
}

// addrKey is the bucket key of an address: IPv4 (also IPv4-mapped IPv6)
// as is, IPv6 as its IPv6Prefix prefix.
func addrKey(a netip.Addr) string {
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(IPv6Prefix)
	return p.String()
}

func (l *Limiter) trusted(a netip.Addr) bool {
	a = a.Unmap().WithZone("")
	for _, p := range l.o.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
