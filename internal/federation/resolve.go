// SPDX-License-Identifier: Apache-2.0

package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/omadata/omadata"
)

// Membership errors: the anchor's 404 on its fetch endpoint names the
// subject's status (network.md §2.2). Callers turn them into the network
// reasons of network.md §3 with Reason.
var (
	ErrNotMember = errors.New("federation: not a member of the network")
	ErrSuspended = errors.New("federation: member suspended")
	ErrRemoved   = errors.New("federation: member removed")
	// ErrUnavailable wraps a failure to fetch a statement: the chain cannot
	// be resolved now, which says nothing about membership.
	ErrUnavailable = errors.New("federation: trust chain unavailable")
	// ErrDropped is a Cache.Put refused because the entity was dropped
	// after its resolution began (network.md §2.6).
	ErrDropped = errors.New("federation: the chain was dropped while it was resolved")
)

// Reason returns the network reason (network.md §3, §6) of a resolution
// error: suspended_member, removed_member, unavailable, or not_member for
// an entity that is no member or whose chain does not validate.
func Reason(err error) string {
	switch {
	case errors.Is(err, ErrSuspended):
		return omadata.ReasonSuspendedMember
	case errors.Is(err, ErrRemoved):
		return omadata.ReasonRemovedMember
	case errors.Is(err, ErrUnavailable):
		return omadata.ReasonUnavailable
	}
	return omadata.ReasonNotMember
}

// MemberStatusResponse is the body of the anchor's 404 for a subject that
// is not an active member (network.md §2.2; the error shape of OIDF §8.9).
type MemberStatusResponse struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	MemberStatus     string `json:"omadata_member_status,omitempty"`
}

// MemberEvent is the body of a membership event (network.md §2.6).
type MemberEvent struct {
	Subject string `json:"sub"`
	Status  string `json:"status"`
}

// Resolved is a peer whose trust chain validated: its metadata after the
// policy, its rulebook version, the keys the anchor vouches for (those
// that verify its calls and answers), and when the chain expires
// (Peer.ChainExpiresAt).
type Resolved struct {
	Peer *omadata.Peer
	Keys *jose.JSONWebKeySet
	// Generation is the entity's drop generation (Cache.Generation) read
	// before its resolution began.
	Generation int64
}

// Cache keeps resolved chains until they expire. Get returns ENOTFOUND
// for an entity it does not hold or whose chain has expired. Drop moves
// the entity's generation; Put records a chain only while the entity's
// generation is still r.Generation, and returns ErrDropped otherwise, so
// a resolution that began before a drop never undoes it.
type Cache interface {
	Get(ctx context.Context, entityID string) (*Resolved, error)
	Generation(ctx context.Context, entityID string) (int64, error)
	Put(ctx context.Context, r *Resolved) error
	Drop(ctx context.Context, entityID string) error
	DropAll(ctx context.Context) error
}

// resolveAttempts bounds the resolutions of one Resolve that a drop
// during each can void.
const resolveAttempts = 3

// Resolver resolves and validates peers' trust chains (OIDF §10,
// network.md §2.4) against one trust anchor whose keys it is configured
// with.
type Resolver struct {
	AnchorID   string
	AnchorKeys *jose.JSONWebKeySet // pinned: they verify the anchor's configuration
	Rulebook   int                 // the network's rulebook version
	Client     *http.Client        // nil: a client with a 10 s timeout
	Cache      Cache               // nil: no cache
	Now        func() time.Time    // nil: time.Now
	// Anchor returns the anchor's configuration verified with the pinned
	// keys (FetchAnchor), from a cache unless fresh; nil: fetched for
	// each resolution.
	Anchor func(ctx context.Context, fresh bool) (*Statement, error)
}

func (r *Resolver) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Resolver) client() *http.Client {
	if r.Client != nil {
		return r.Client
	}
	return defaultClient
}

var defaultClient = &http.Client{Timeout: 10 * time.Second, CheckRedirect: NoRedirect}

// NoRedirect is the CheckRedirect of the network's HTTP clients: a
// statement, a catalogue or an answer is taken from the URL asked, never
// from where a redirect points (a 3xx is then an unexpected status).
func NoRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// Resolve returns the peer entityID as its valid trust chain has it, from
// the cache while the cached chain is unexpired. The errors: a membership
// error (ErrNotMember, ErrSuspended, ErrRemoved), ErrUnavailable, or a
// *ChainError or *PolicyError for a chain that does not validate.
func (r *Resolver) Resolve(ctx context.Context, entityID string) (*Resolved, error) {
	if err := ValidEntityID("entity_id", entityID); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotMember, err)
	}
	if r.Cache == nil {
		return r.resolve(ctx, entityID)
	}
	res, err := r.Cache.Get(ctx, entityID)
	if err == nil && res.Peer.ChainExpiresAt.After(r.now()) {
		return res, nil
	} else if err != nil && omadata.ErrorCode(err) != omadata.ENOTFOUND {
		return nil, cacheError(err)
	}
	for range resolveAttempts {
		gen, err := r.Cache.Generation(ctx, entityID)
		if err != nil {
			return nil, cacheError(err)
		}
		res, err := r.resolve(ctx, entityID)
		if err != nil {
			return nil, err
		}
		res.Generation = gen
		if err := r.Cache.Put(ctx, res); errors.Is(err, ErrDropped) {
			continue // what it fetched may predate the drop: again
		} else if err != nil {
			return nil, cacheError(err)
		}
		return res, nil
	}
	return nil, fmt.Errorf("%w: %s was dropped during each of %d resolutions", ErrUnavailable, entityID, resolveAttempts)
}

// cacheError is a failure of the cache (the database): it says nothing
// about membership, so it is ErrUnavailable (503), not not_member.
func cacheError(err error) error {
	return fmt.Errorf("%w: trust chain cache: %w", ErrUnavailable, err)
}

// Drop forgets the cached chain of entityID, so that the next Resolve
// asks the anchor again (network.md §2.6).
func (r *Resolver) Drop(ctx context.Context, entityID string) error {
	if r.Cache == nil {
		return nil
	}
	return r.Cache.Drop(ctx, entityID)
}

// DropAll forgets every cached chain: this operator was suspended and is
// active again, and may have missed events meanwhile (network.md §2.6).
func (r *Resolver) DropAll(ctx context.Context) error {
	if r.Cache == nil {
		return nil
	}
	return r.Cache.DropAll(ctx)
}

// resolve builds and validates the chain [leaf configuration, anchor's
// subordinate statement about the leaf, anchor's configuration] (OIDF
// §10.1, §10.2; network.md §2.4 steps 1–7).
func (r *Resolver) resolve(ctx context.Context, entityID string) (*Resolved, error) {
	now := r.now()
	anchor, err := r.anchor(ctx, false, now)
	if err != nil {
		return nil, err
	}
	sub, err := FetchSubordinate(ctx, r.client(), anchor, entityID, now)
	if ce := (*ChainError)(nil); errors.As(err, &ce) && ce.unknownKey && r.Anchor != nil {
		// Signed with a key the cached configuration lacks: the anchor
		// rotated its key since (network.md §2.5). Read it again, once.
		if anchor, err = r.anchor(ctx, true, now); err != nil {
			return nil, err
		}
		sub, err = FetchSubordinate(ctx, r.client(), anchor, entityID, now)
	}
	if err != nil {
		return nil, err
	}
	// Step 3: the leaf's configuration verifies with a key the anchor
	// vouches for, and with a key of its own jwks (OIDF §10.2).
	raw, err := fetchJWT(ctx, r.client(), entityID+WellKnownPath, ContentTypeEntityStatement)
	if err != nil {
		return nil, err
	}
	leaf, err := Verify(raw, sub.JWKS, entityID, entityID, now)
	if err != nil {
		return nil, err
	}
	if err := VerifySelfSigned(raw, leaf); err != nil {
		return nil, err
	}
	if !slices.Contains(leaf.AuthorityHints, r.AnchorID) {
		return nil, chainErrorf("%s does not name the anchor in authority_hints", entityID)
	}
	// Step 5: the policy (OIDF §6.1.4) on the omadata_operator metadata,
	// none of whose critical operators we may ignore (OIDF §6.1.3.2).
	if err := CheckPolicyCrit(sub.MetadataPolicyCrit); err != nil {
		return nil, err
	}
	policies, err := MergePolicies(sub.MetadataPolicy, nil)
	if err != nil {
		return nil, err
	}
	rawMD, ok := leaf.Metadata[MetadataOperator]
	if !ok {
		return nil, chainErrorf("%s has no %s metadata", entityID, MetadataOperator)
	}
	md, err := DecodeMetadata(rawMD)
	if err != nil {
		return nil, chainErrorf("%s metadata: %v", MetadataOperator, err)
	}
	md, err = ApplyPolicy(md, policies[MetadataOperator])
	if err != nil {
		return nil, err
	}
	peer := &omadata.Peer{}
	if b, err := json.Marshal(md); err != nil {
		return nil, err
	} else if err := json.Unmarshal(b, &peer.OperatorMetadata); err != nil {
		return nil, chainErrorf("%s metadata: %v", MetadataOperator, err)
	}
	if peer.OperatorID != entityID {
		return nil, chainErrorf("%s metadata names operator %q", entityID, peer.OperatorID)
	}
	// Step 7: its texts and URLs (network.md §2.4).
	if err := CheckMetadata(entityID, &peer.OperatorMetadata); err != nil {
		return nil, chainErrorf("%s metadata: %v", entityID, err)
	}
	// Step 6: the member trust mark, issued by the anchor.
	typ := MemberTrustMarkType(r.AnchorID)
	if issuers, ok := anchor.TrustMarkIssuers[typ]; ok && !slices.Contains(issuers, r.AnchorID) {
		return nil, chainErrorf("the anchor does not list itself as issuer of %s", typ)
	}
	var mark *TrustMark
	for _, tm := range leaf.TrustMarks {
		if tm.Type != typ {
			continue
		}
		if mark, err = VerifyTrustMark(tm.TrustMark, anchor.JWKS, r.AnchorID, entityID, typ, r.Rulebook, now); err == nil {
			break
		}
	}
	if mark == nil {
		if err == nil {
			err = chainErrorf("%s carries no trust mark %s", entityID, typ)
		}
		return nil, err
	}
	peer.RulebookVersion = mark.RulebookVersion
	expires := slices.MinFunc([]time.Time{leaf.Expires(), sub.Expires(), anchor.Expires(), mark.Expires()}, time.Time.Compare)
	peer.ChainExpiresAt = expires
	return &Resolved{Peer: peer, Keys: sub.JWKS}, nil
}

// anchor returns the anchor's configuration, from the Anchor hook (its
// cache unless fresh) when there is one (network.md §2.4 step 1).
func (r *Resolver) anchor(ctx context.Context, fresh bool, now time.Time) (*Statement, error) {
	if r.Anchor != nil {
		return r.Anchor(ctx, fresh)
	}
	return FetchAnchor(ctx, r.client(), r.AnchorID, r.AnchorKeys, now)
}

// FetchAnchor fetches the anchor's entity configuration and verifies it
// with the pinned keys (network.md §2.4 step 1): iss = sub = anchorID, a
// jwks and a fetch endpoint. A configuration signed with a pinned key
// that lists new keys carries the anchor's rotation (network.md §2.5).
func FetchAnchor(ctx context.Context, c *http.Client, anchorID string, pinned *jose.JSONWebKeySet, now time.Time) (*Statement, error) {
	raw, err := fetchJWT(ctx, c, anchorID+WellKnownPath, ContentTypeEntityStatement)
	if err != nil {
		return nil, err
	}
	st, err := Verify(raw, pinned, anchorID, anchorID, now)
	if err != nil {
		return nil, err
	}
	if st.JWKS == nil || len(st.JWKS.Keys) == 0 {
		return nil, chainErrorf("the anchor's configuration has no jwks")
	}
	if _, err := st.federationEndpoint("federation_fetch_endpoint"); err != nil {
		return nil, err
	}
	return st, nil
}

// federationEndpoint returns an endpoint of the federation_entity
// metadata (OIDF §5.1.1).
func (s *Statement) federationEndpoint(name string) (string, error) {
	var fe map[string]any
	if raw, ok := s.Metadata[MetadataFederation]; ok {
		_ = json.Unmarshal(raw, &fe)
	}
	ep, _ := fe[name].(string)
	if ep == "" {
		return "", chainErrorf("%s has no %s", s.Subject, name)
	}
	return ep, nil
}

// FetchSubordinate fetches the anchor's subordinate statement about sub
// from its fetch endpoint (OIDF §8.1) and verifies it with the anchor's
// keys (network.md §2.4 step 2). A 404 with omadata_member_status is a
// membership error.
func FetchSubordinate(ctx context.Context, c *http.Client, anchor *Statement, sub string, now time.Time) (*Statement, error) {
	ep, err := anchor.federationEndpoint("federation_fetch_endpoint")
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(ep)
	if err != nil {
		return nil, chainErrorf("fetch endpoint: %v", err)
	}
	q := u.Query()
	q.Set("sub", sub)
	u.RawQuery = q.Encode()
	raw, err := fetchJWT(ctx, c, u.String(), ContentTypeEntityStatement)
	if err != nil {
		return nil, err
	}
	st, err := Verify(raw, anchor.JWKS, anchor.Subject, sub, now)
	if err != nil {
		return nil, err
	}
	if st.JWKS == nil || len(st.JWKS.Keys) == 0 {
		return nil, chainErrorf("the subordinate statement about %s has no jwks", sub)
	}
	// Every kid is its key's thumbprint (network.md §1, §2.4 step 2).
	if err := CheckKeySet(st.JWKS); err != nil {
		return nil, chainErrorf("the subordinate statement about %s: %v", sub, err)
	}
	return st, nil
}

// fetchJWT GETs a compact JWS of the given media type (OIDF §9, §8.1).
func fetchJWT(ctx context.Context, c *http.Client, rawURL, mediaType string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return "", chainErrorf("request %s: %v", rawURL, err)
	}
	req.Header.Set("Accept", mediaType)
	resp, err := c.Do(req)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("%w: read %s: %w", ErrUnavailable, rawURL, err)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		var st MemberStatusResponse
		_ = json.Unmarshal(body, &st)
		switch st.MemberStatus {
		case omadata.MemberSuspended:
			return "", ErrSuspended
		case omadata.MemberRemoved:
			return "", ErrRemoved
		}
		return "", fmt.Errorf("%w: %s answered 404", ErrNotMember, rawURL)
	case resp.StatusCode != http.StatusOK:
		return "", fmt.Errorf("%w: %s answered %d", ErrUnavailable, rawURL, resp.StatusCode)
	}
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err != nil || mt != mediaType {
		return "", chainErrorf("%s answered Content-Type %q, want %s", rawURL, resp.Header.Get("Content-Type"), mediaType)
	}
	return strings.TrimSpace(string(body)), nil
}

// ValidEntityID checks an entity identifier as network.md §1 has it: an
// https URL (http only on the literal loopback addresses 127.0.0.1 and
// [::1], never a name such as localhost that a resolver could answer
// otherwise), no query, no fragment, no user, a path without a trailing
// "/". It is the one check of an entity ID: the configuration, the
// anchor's commands and the resolver all use it. The error names field.
func ValidEntityID(field, id string) error {
	u, err := url.Parse(id)
	switch {
	case err != nil || u.Host == "" || u.Opaque != "":
		return omadata.Invalidf(field, "The entity identifier is not an absolute URL.")
	case u.Scheme != "https" && !(u.Scheme == "http" && loopbackLiteral(u.Host)):
		return omadata.Invalidf(field, "The entity identifier must be an https URL (http only on 127.0.0.1 or [::1]).")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.User != nil:
		return omadata.Invalidf(field, "The entity identifier has no query, fragment or user.")
	case strings.HasSuffix(u.Path, "/"):
		return omadata.Invalidf(field, "The entity identifier has no trailing slash.")
	case u.String() != id:
		return omadata.Invalidf(field, "The entity identifier is not in its normal form.")
	}
	return nil
}

// loopbackLiteral reports whether host (with an optional port) is the
// literal 127.0.0.1 or [::1].
func loopbackLiteral(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	} else {
		host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	}
	return host == "127.0.0.1" || host == "::1"
}

// MemoryCache is a Cache in one process's memory, for tests and tools.
// A server's instances share the store's cache (StoreCache) instead.
type MemoryCache struct {
	Now func() time.Time // nil: time.Now

	mu   sync.Mutex
	m    map[string]*Resolved
	gens map[string]int64
}

// Generation returns how many times entityID was dropped.
func (c *MemoryCache) Generation(ctx context.Context, entityID string) (int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gens[entityID], nil
}

// Get returns the unexpired chain of entityID, or ENOTFOUND.
func (c *MemoryCache) Get(ctx context.Context, entityID string) (*Resolved, error) {
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.m[entityID]
	if !ok || !r.Peer.ChainExpiresAt.After(now()) {
		return nil, omadata.NotFound("peer")
	}
	return r, nil
}

// Put keeps r until its chain expires, unless its entity was dropped
// since r.Generation (ErrDropped).
func (c *MemoryCache) Put(ctx context.Context, r *Resolved) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gens[r.Peer.OperatorID] != r.Generation {
		return ErrDropped
	}
	if c.m == nil {
		c.m = map[string]*Resolved{}
	}
	c.m[r.Peer.OperatorID] = r
	return nil
}

// Drop forgets entityID's chain.
func (c *MemoryCache) Drop(ctx context.Context, entityID string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, entityID)
	if c.gens == nil {
		c.gens = map[string]int64{}
	}
	c.gens[entityID]++
	return nil
}

// DropAll forgets every chain.
func (c *MemoryCache) DropAll(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gens == nil {
		c.gens = map[string]int64{}
	}
	for id := range c.m {
		c.gens[id]++
	}
	for id := range c.gens {
		if _, ok := c.m[id]; !ok {
			c.gens[id]++
		}
	}
	clear(c.m)
	return nil
}
