// SPDX-License-Identifier: Apache-2.0

package federation

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/omadata/omadata"
)

// DefaultLifetime is how long omadata's entity statements and trust marks
// are valid (network.md §2.1, §2.2).
const DefaultLifetime = time.Hour

// Configuration is what an operator's entity configuration says of it
// (network.md §2.1).
type Configuration struct {
	Metadata         omadata.OperatorMetadata
	OrganizationName string
	AnchorID         string
	Keys             []Key // every federation key, all published in jwks
	TrustMarks       []TrustMarkRef
	Lifetime         time.Duration // 0: DefaultLifetime
}

// EntityConfiguration builds the operator's entity configuration and signs
// it with sign (OIDF §3, §9; network.md §2.1): iss = sub = the operator
// ID, iat now, exp now + lifetime, jwks, authority_hints [anchor],
// metadata federation_entity and omadata_operator, trust_marks.
func EntityConfiguration(c *Configuration, sign Key, now time.Time) (string, error) {
	md := c.Metadata
	if err := ValidEntityID("operator_id", md.OperatorID); err != nil {
		return "", err
	}
	lifetime := c.Lifetime
	if lifetime == 0 {
		lifetime = DefaultLifetime
	}
	op, err := json.Marshal(md)
	if err != nil {
		return "", err
	}
	fe, err := json.Marshal(map[string]string{"organization_name": c.OrganizationName})
	if err != nil {
		return "", err
	}
	st := &Statement{
		Issuer: md.OperatorID, Subject: md.OperatorID,
		IssuedAt: now.Unix(), ExpiresAt: now.Add(lifetime).Unix(),
		JWKS:           KeySet(c.Keys...),
		AuthorityHints: []string{c.AnchorID},
		Metadata:       map[string]json.RawMessage{MetadataFederation: fe, MetadataOperator: op},
		TrustMarks:     c.TrustMarks,
	}
	return Sign(st, sign)
}

// Handler serves an entity configuration at WellKnownPath (OIDF §9):
// build returns the signed configuration for each request.
func Handler(build func(ctx context.Context) (string, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		jws, err := build(r.Context())
		if err != nil {
			http.Error(w, "entity configuration unavailable", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", ContentTypeEntityStatement)
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write([]byte(jws))
	})
}

// ErrNoVouchedKey is ChooseKey's answer when the anchor vouches for none
// of the member's keys.
var ErrNoVouchedKey = errors.New("federation: the anchor vouches for none of our keys")

// ChooseKey returns the key a member signs with (network.md §2.5): the
// newest of keys (newest first) that vouched, the jwks of the anchor's
// subordinate statement about the member, lists. With vouched nil (not
// yet admitted, or the anchor not reached since the start) the oldest
// key: the one the anchor most likely holds, so that its next refresh
// verifies the configuration and takes the newer keys.
func ChooseKey(keys []Key, vouched *jose.JSONWebKeySet) (Key, error) {
	if len(keys) == 0 {
		return Key{}, errors.New("federation: no federation key")
	}
	if vouched == nil {
		return keys[len(keys)-1], nil
	}
	for _, k := range keys {
		for _, v := range vouched.Key(k.ID) {
			if pub, ok := v.Key.(ed25519.PublicKey); ok && pub.Equal(k.Private.Public()) {
				return k, nil
			}
		}
	}
	return Key{}, ErrNoVouchedKey
}

// Member is an operator's own side of membership: it asks the anchor what
// it vouches for (the subordinate statement about the member) and for the
// member's trust mark, chooses the signing key, and serves the entity
// configuration. Refresh it every few minutes; until the first Refresh
// that reaches the anchor it signs with its oldest key and carries no
// trust mark.
type Member struct {
	Config     Configuration // Keys and TrustMarks are filled in by Member
	AnchorKeys *jose.JSONWebKeySet
	Client     *http.Client                             // nil: a client with a 10 s timeout
	Keys       func(ctx context.Context) ([]Key, error) // the federation keys, newest first
	Now        func() time.Time                         // nil: time.Now

	mu        sync.Mutex
	vouched   *jose.JSONWebKeySet
	trustMark string
}

func (m *Member) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

func (m *Member) client() *http.Client {
	if m.Client != nil {
		return m.Client
	}
	return defaultClient
}

// Refresh asks the anchor for its subordinate statement about the member
// and for the member's trust mark (network.md §2.3, §2.5).
func (m *Member) Refresh(ctx context.Context) error {
	now := m.now()
	self := m.Config.Metadata.OperatorID
	anchor, err := FetchAnchor(ctx, m.client(), m.Config.AnchorID, m.AnchorKeys, now)
	if err != nil {
		return err
	}
	sub, err := FetchSubordinate(ctx, m.client(), anchor, self, now)
	if err != nil {
		return err
	}
	tm, err := FetchTrustMark(ctx, m.client(), anchor, self)
	if err != nil {
		return err
	}
	m.mu.Lock()
	m.vouched, m.trustMark = sub.JWKS, tm
	m.mu.Unlock()
	return nil
}

// SigningKey returns the key the member signs its statements and calls
// with (ChooseKey); before any Refresh, or when the anchor vouches for
// none of its keys, the oldest.
func (m *Member) SigningKey(ctx context.Context) (Key, []Key, error) {
	keys, err := m.Keys(ctx)
	if err != nil {
		return Key{}, nil, err
	}
	m.mu.Lock()
	vouched := m.vouched
	m.mu.Unlock()
	k, err := ChooseKey(keys, vouched)
	if errors.Is(err, ErrNoVouchedKey) {
		k, err = ChooseKey(keys, nil)
	}
	return k, keys, err
}

// EntityConfiguration returns the member's signed entity configuration.
func (m *Member) EntityConfiguration(ctx context.Context) (string, error) {
	k, keys, err := m.SigningKey(ctx)
	if err != nil {
		return "", err
	}
	c := m.Config
	c.Keys = keys
	m.mu.Lock()
	if m.trustMark != "" {
		c.TrustMarks = []TrustMarkRef{{Type: MemberTrustMarkType(c.AnchorID), TrustMark: m.trustMark}}
	}
	m.mu.Unlock()
	return EntityConfiguration(&c, k, m.now())
}

// ServeHTTP serves the entity configuration (OIDF §9).
func (m *Member) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	Handler(m.EntityConfiguration).ServeHTTP(w, r)
}

// FetchTrustMark asks the anchor for sub's member trust mark at the
// federation_trust_mark_endpoint its entity configuration anchor
// advertises (OIDF §5.1.1, §8.6; network.md §2.3), never at a guessed URL.
// The configuration is FetchAnchor's, verified. The trust mark is not
// verified here: the peers that resolve sub verify it.
func FetchTrustMark(ctx context.Context, c *http.Client, anchor *Statement, sub string) (string, error) {
	ep, err := anchor.federationEndpoint("federation_trust_mark_endpoint")
	if err != nil {
		return "", fmt.Errorf("trust mark: %w", err)
	}
	u, err := url.Parse(ep)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", chainErrorf("trust mark endpoint %q is not an http(s) URL", ep)
	}
	q := u.Query()
	q.Set("trust_mark_type", MemberTrustMarkType(anchor.Subject))
	q.Set("sub", sub)
	u.RawQuery = q.Encode()
	raw, err := fetchJWT(ctx, c, u.String(), ContentTypeTrustMark)
	if err != nil {
		return "", fmt.Errorf("trust mark: %w", err)
	}
	return raw, nil
}
