// SPDX-License-Identifier: Apache-2.0

// Package conformance checks an operator of the network against the
// protocol of docs/network.md, as another member would see it: its entity
// configuration and trust chain, how it refuses bad signed calls, and its
// signed answers. It is written from the document, not from omadata's
// implementation (internal/network), so that it can find where the two
// disagree.
//
// To make signed calls the checker is itself a member: an entity admitted
// at the same trust anchor, which serves its own entity configuration
// (Checker.ServeHTTP) so that the peer can resolve it.
package conformance

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"golang.org/x/mod/sumdb/note"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/federation"
)

// Config is what a conformance run needs.
type Config struct {
	// Peer is the entity identifier (operator ID) of the member checked.
	Peer string
	// Entity is the checker's own entity identifier, admitted at Anchor;
	// its entity configuration must be reachable there (Listen, or
	// Checker.ServeHTTP mounted by the caller).
	Entity string
	// Key is the checker's Ed25519 federation key, private, the one the
	// anchor holds for Entity.
	Key *jose.JSONWebKey
	// Anchor is the trust anchor's entity identifier; AnchorJWKS its keys,
	// configured out of band (docs/network.md §2.4 step 1).
	Anchor     string
	AnchorJWKS *jose.JSONWebKeySet
	// Rulebook is the network's rulebook version the peer's trust mark
	// must carry; 0 accepts any.
	Rulebook int
	// Listen, if set, is the address Run serves the checker's entity
	// configurations on while it runs.
	Listen string
	// AdmissionWait is how long Run waits for the anchor to issue the
	// checker's trust mark (the time to admit it); 0 asks once.
	AdmissionWait time.Duration
	// Client makes the calls; http.DefaultClient when nil. The checker
	// uses a copy that follows no redirect (a probe's answer is the
	// peer's own) and times out after 30 s unless Client has a timeout.
	Client *http.Client
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Status is a check's outcome.
type Status string

const (
	Pass Status = "PASS"
	Fail Status = "FAIL"
	Skip Status = "SKIP"
)

// Result is the outcome of one check.
type Result struct {
	Check   string `json:"check"`   // e.g. "call/replayed-nonce"
	Section string `json:"section"` // docs/network.md section, and the standard's
	Status  Status `json:"status"`
	Reason  string `json:"reason"` // one line
}

// Failed reports whether any result is a failure.
func Failed(results []Result) bool {
	for _, r := range results {
		if r.Status == Fail {
			return true
		}
	}
	return false
}

// Checker is a conformance checker: the checks and the member it runs
// them as.
type Checker struct {
	cfg    Config
	client *http.Client
	now    func() time.Time
	prefix string // the path of Entity, served by ServeHTTP

	key       *jose.JSONWebKey // the checker's federation key (private)
	edKey     ed25519.PrivateKey
	kid       string
	logVerify string // the verifier key of the checker's (empty) log

	// The non-member: an entity under the checker's, with a key the
	// anchor never saw.
	nonMember    string
	nonMemberKey *jose.JSONWebKey

	mu        sync.Mutex
	trustMark string
	markExp   time.Time
}

// New checks cfg and returns a checker.
func New(cfg Config) (*Checker, error) {
	for _, f := range []struct{ name, v string }{{"peer", cfg.Peer}, {"entity", cfg.Entity}, {"anchor", cfg.Anchor}} {
		if err := checkEntityID(f.v); err != nil {
			return nil, omadata.Invalidf(f.name, "%s", err)
		}
	}
	if cfg.Key == nil || cfg.Key.IsPublic() {
		return nil, omadata.Invalidf("key", "an Ed25519 private JWK is required")
	}
	edKey, ok := cfg.Key.Key.(ed25519.PrivateKey)
	if !ok {
		return nil, omadata.Invalidf("key", "the key is not an Ed25519 private key (kty OKP, crv Ed25519)")
	}
	if cfg.AnchorJWKS == nil || len(cfg.AnchorJWKS.Keys) == 0 {
		return nil, omadata.Invalidf("anchor_jwks", "the trust anchor's keys are required")
	}
	c := &Checker{cfg: cfg, now: cfg.Now, edKey: edKey}
	if c.now == nil {
		c.now = time.Now
	}
	base := http.DefaultClient
	if cfg.Client != nil {
		base = cfg.Client
	}
	cl := *base
	if cl.Timeout == 0 {
		cl.Timeout = 30 * time.Second
	}
	cl.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.client = &cl
	u, _ := url.Parse(cfg.Entity)
	c.prefix = u.Path

	key := *cfg.Key
	key.Algorithm, key.Use = "EdDSA", "sig"
	key.KeyID = thumbprintKID(&key)
	c.key, c.kid = &key, key.KeyID

	var err error
	c.nonMember = strings.TrimSuffix(cfg.Entity, "/") + "/non-member"
	if c.nonMemberKey, err = newFederationKey(); err != nil {
		return nil, err
	}
	u, _ = url.Parse(cfg.Entity)
	if _, vk, err := note.GenerateKey(rand.Reader, u.Host+"/log"); err == nil {
		c.logVerify = vk
	} else {
		return nil, err
	}
	return c, nil
}

// NewKey returns a fresh Ed25519 federation JWK (docs/network.md §1),
// private, for a checker's --key.
func NewKey() (*jose.JSONWebKey, error) { return newFederationKey() }

func newFederationKey() (*jose.JSONWebKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	k := &jose.JSONWebKey{Key: priv, Algorithm: "EdDSA", Use: "sig"}
	k.KeyID = thumbprintKID(k)
	return k, nil
}

// checkEntityID checks an entity identifier as docs/network.md §1 has it,
// with federation.ValidEntityID, the one check of an entity ID.
func checkEntityID(s string) error {
	if s == "" {
		return errors.New("an entity identifier (URL) is required")
	}
	if err := federation.ValidEntityID("entity_id", s); err != nil {
		return fmt.Errorf("%q is not an entity identifier: an https URL (http only on 127.0.0.1 or [::1]) without query, fragment, user or trailing /", s)
	}
	return nil
}

// Run runs every check against cfg.Peer and returns their results in
// order. It serves the checker's entity configurations on cfg.Listen, if
// set, while it runs. An error means the run could not start (a bad
// Config, the checker not admitted at the anchor), not that a check
// failed.
func Run(ctx context.Context, cfg Config) ([]Result, error) {
	c, err := New(cfg)
	if err != nil {
		return nil, err
	}
	if cfg.Listen != "" {
		ln, err := net.Listen("tcp", cfg.Listen)
		if err != nil {
			return nil, fmt.Errorf("listen: %w", err)
		}
		srv := &http.Server{Handler: c, ReadHeaderTimeout: 10 * time.Second}
		go srv.Serve(ln)
		defer srv.Close()
	}
	if err := c.AwaitAdmission(ctx, cfg.AdmissionWait); err != nil {
		return nil, err
	}
	return c.Check(ctx), nil
}

// AwaitAdmission fetches the checker's trust mark from the anchor
// (docs/network.md §2.3), asking again for up to wait until the anchor
// issues it.
func (c *Checker) AwaitAdmission(ctx context.Context, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		err := c.fetchTrustMark(ctx)
		if err == nil {
			return nil
		} else if time.Now().After(deadline) {
			return fmt.Errorf("the checker's entity %s is not a member at %s (%w); admit it at the anchor (omadata network anchor admit) and run again", c.cfg.Entity, c.cfg.Anchor, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func (c *Checker) memberMarkType() string { return c.cfg.Anchor + "/trust-marks/member" }

// fetchTrustMark gets the checker's own trust mark from the trust mark
// endpoint the anchor's entity configuration advertises,
// federation_trust_mark_endpoint (docs/network.md §2.3; OIDF §5.1.1,
// §8.6).
func (c *Checker) fetchTrustMark(ctx context.Context) error {
	ep, err := c.trustMarkEndpoint(ctx)
	if err != nil {
		return err
	}
	u, err := url.Parse(ep)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Errorf("anchor configuration: federation_trust_mark_endpoint %q is not an http(s) URL", ep)
	}
	q := u.Query()
	q.Set("trust_mark_type", c.memberMarkType())
	q.Set("sub", c.cfg.Entity)
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("its trust mark endpoint answers %d", resp.StatusCode)
	}
	j, err := parseCompact(string(b))
	if err != nil {
		return fmt.Errorf("trust mark: %w", err)
	}
	cl, err := j.claims()
	if err != nil || cl.Exp == nil {
		return errors.New("trust mark without exp")
	}
	c.mu.Lock()
	c.trustMark, c.markExp = j.Raw, time.Unix(*cl.Exp, 0)
	c.mu.Unlock()
	return nil
}

// trustMarkEndpoint reads federation_trust_mark_endpoint from the
// anchor's entity configuration, verified with the configured anchor keys
// (docs/network.md §2.1, §2.4 step 1; OIDF §5.1.1).
func (c *Checker) trustMarkEndpoint(ctx context.Context) (string, error) {
	j, cl, err := c.statement(ctx, wellKnown(c.cfg.Anchor))
	if err != nil {
		return "", fmt.Errorf("anchor configuration: %w", err)
	} else if err := j.verify(c.cfg.AnchorJWKS, "the configured anchor keys"); err != nil {
		return "", fmt.Errorf("anchor configuration: %w", err)
	}
	ep, _ := cl.Metadata["federation_entity"]["federation_trust_mark_endpoint"].(string)
	if ep == "" {
		return "", errors.New("anchor configuration: no federation_trust_mark_endpoint")
	}
	return ep, nil
}

// ServeHTTP serves the checker's entity configuration (docs/network.md
// §2.1) and the non-member's, an empty catalogue and membership events,
// so that the peer can resolve the checker as it would any member.
func (c *Checker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path, ok := strings.CutPrefix(r.URL.Path, c.prefix)
	if !ok {
		http.NotFound(w, r)
		return
	}
	switch {
	case r.Method == http.MethodGet && path == "/.well-known/openid-federation":
		c.mu.Lock()
		mark, exp := c.trustMark, c.markExp
		c.mu.Unlock()
		if mark != "" && exp.Before(c.now().Add(time.Minute)) {
			if c.fetchTrustMark(r.Context()) == nil {
				c.mu.Lock()
				mark = c.trustMark
				c.mu.Unlock()
			}
		}
		c.serveConfiguration(w, c.cfg.Entity, c.key, mark)
	case r.Method == http.MethodGet && path == "/non-member/.well-known/openid-federation":
		c.serveConfiguration(w, c.nonMember, c.nonMemberKey, "")
	case r.Method == http.MethodGet && path == "/network/v1/catalogue":
		c.serveCatalogue(w, r)
	case r.Method == http.MethodPost && path == "/network/v1/federation-events":
		w.WriteHeader(http.StatusNoContent)
	default:
		http.NotFound(w, r)
	}
}

// operatorMetadata is the omadata_operator metadata of the checker, or
// of the non-member, at entity.
func (c *Checker) operatorMetadata(entity string) omadata.OperatorMetadata {
	u, _ := url.Parse(entity)
	name := "omadata conformance checker"
	return omadata.OperatorMetadata{
		OperatorID:        entity,
		Name:              omadata.Text{"fi": name, "sv": name, "en": name},
		BaseURL:           entity,
		NetworkEndpoint:   entity + "/network/v1",
		CatalogueEndpoint: entity + "/network/v1/catalogue",
		LogEndpoint:       entity + "/api/v1/log",
		LogOrigin:         u.Host + "/log",
		LogVerifierKey:    c.logVerify,
	}
}

func (c *Checker) serveConfiguration(w http.ResponseWriter, entity string, key *jose.JSONWebKey, trustMark string) {
	now := c.now()
	pub := key.Public()
	st := map[string]any{
		"iss": entity, "sub": entity,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"jwks":            jose.JSONWebKeySet{Keys: []jose.JSONWebKey{pub}},
		"authority_hints": []string{c.cfg.Anchor},
		"metadata": map[string]any{
			"federation_entity": map[string]any{"organization_name": "omadata conformance checker"},
			"omadata_operator":  c.operatorMetadata(entity),
		},
	}
	if trustMark != "" {
		st["trust_marks"] = []trustMarkRef{{Type: c.memberMarkType(), TrustMark: trustMark}}
	}
	s, err := signJWS(key, typEntityStatement, st)
	if err != nil {
		http.Error(w, "sign", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", mediaEntityStatement)
	io.WriteString(w, s)
}

var (
	sigInputNonce = regexp.MustCompile(`;nonce="([^"]*)"`)
	sigInputKeyID = regexp.MustCompile(`;keyid="([^"#]*)#`)
)

// serveCatalogue answers the checker's catalogue, which is empty, as a
// signed answer (docs/network.md §4, §5.1) to whoever asks: it holds
// nothing, so it verifies no signature.
func (c *Checker) serveCatalogue(w http.ResponseWriter, r *http.Request) {
	in := r.Header.Get("Signature-Input")
	var nonce, aud string
	if m := sigInputNonce.FindStringSubmatch(in); m != nil {
		nonce = m[1]
	}
	if m := sigInputKeyID.FindStringSubmatch(in); m != nil {
		aud = m[1]
	}
	now := c.now()
	s, err := signJWS(c.key, typAnswer, map[string]any{
		"iss": c.cfg.Entity, "aud": aud, "iat": now.Unix(), "exp": now.Add(maxAnswerLife).Unix(), "nonce": nonce,
		"catalogue": omadata.NetworkCatalogue{OperatorID: c.cfg.Entity, IssuedAt: now.UTC(),
			Sources: []*omadata.NetworkSource{}, Processings: []*omadata.CatalogueEntry{}},
	})
	if err != nil {
		http.Error(w, "sign", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", mediaAnswer)
	w.Header().Set("ETag", `"empty"`)
	w.Header().Set("Cache-Control", "max-age=300")
	io.WriteString(w, s)
}
