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
	return l.take(kind, "address", l.ClientAddr(r))
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

// ClientAddr returns the address of the client of r: the connection's
// peer, or, when the peer is a trusted proxy, the nearest address in
// X-Forwarded-For that is not a trusted proxy.
func (l *Limiter) ClientAddr(r *http.Request) string {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	addr := peer.Addr().Unmap()
	if !l.trusted(addr) {
		return addr.String()
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a hop we cannot read: the last trusted one is the client
		}
		addr = a.Unmap()
		if !l.trusted(addr) {
			break
		}
	}
	return addr.String()
}

func (l *Limiter) trusted(a netip.Addr) bool {
	for _, p := range l.o.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
