// SPDX-License-Identifier: Apache-2.0

// Package peer is this operator's client of the other operators of its
// network (docs/network.md): it asks a resident's home operator for
// decisions and grants on behalf of a local sink (the store's Relayer),
// sends consent events, fetches members' catalogues and the log records
// of a release. Each call is signed with this operator's federation key,
// and each answer is believed only once it verifies with the peer's keys
// from its resolved trust chain.
package peer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/network"
	"github.com/omadata/omadata/internal/witness"
)

// Transport sends a signed call and verifies its signed answer: signing
// with this operator's federation key (docs/network.md §3) and verifying
// the answer's JWS with the peer's keys, its iss, aud and nonce (§4). A
// refusal is a *network.Refusal with the peer's reason. internal/netnode
// implements it over network.Client.
type Transport interface {
	Do(ctx context.Context, peer string, req *http.Request, body []byte) (*Answer, error)
}

// Answer is a peer's answer to a signed call.
type Answer struct {
	Status int
	Header http.Header
	// JWS is the answer as sent, verified; Claims its payload. Both are
	// empty for 204 and 304.
	JWS    string
	Claims json.RawMessage
}

// Resolver gives a peer as its trust chain says it is now (the store's
// cache of resolved chains in front of the federation resolver).
type Resolver interface {
	Resolve(ctx context.Context, operatorID string) (*omadata.Peer, error)
}

// Client calls peers.
type Client struct {
	Transport Transport
	Peers     Resolver
	Metrics   *Metrics // nil counts nothing
	Now       func() time.Time
	// Witness is this operator's witness state: a peer's checkpoint read
	// with a record is checked against it (docs/witnessing.md §4); nil
	// checks nothing.
	Witness witness.State
	// OnFork reports a fork seen in a peer's checkpoint (the ERROR line
	// and the metric; the store raised the webhook when it recorded it).
	OnFork func(*omadata.WitnessFork)
	// HTTP fetches consistency proofs from a peer's public log; nil: a
	// client with a 10 s timeout that follows no redirect.
	HTTP *http.Client
}

// call sends a signed call to the endpoint path of peer (below its
// network_endpoint) and returns its answer, a *network.Refusal for a problem
// document, or an error.
func (c *Client) call(ctx context.Context, p *omadata.Peer, kind, method, endpoint string, in any, header http.Header) (a *Answer, err error) {
	var body []byte
	if in != nil {
		if body, err = json.Marshal(in); err != nil {
			return nil, fmt.Errorf("encode %s: %w", kind, err)
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%s request: %w", kind, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	start := time.Now()
	defer func() { c.Metrics.observe(kind, start, err) }()
	a, err = c.Transport.Do(ctx, p.OperatorID, req, body)
	if err != nil {
		return nil, err
	}
	return a, nil
}

// endpoint joins the peer's network endpoint and path.
func endpoint(p *omadata.Peer, path string) string {
	return strings.TrimSuffix(p.NetworkEndpoint, "/") + path
}

// decode reads an answer's claims into v, which must name every member
// the caller needs; the JWT's own claims are ignored.
func decode(a *Answer, v any) error {
	if len(a.Claims) == 0 {
		return errors.New("the answer has no claims")
	}
	if err := json.Unmarshal(a.Claims, v); err != nil {
		return fmt.Errorf("decode the answer: %w", err)
	}
	return nil
}

// RelayGrant asks the resident's home operator for a grant to a sink of
// this operator (docs/network.md §5.4) and returns the grant, the answer
// JWS verbatim (the home operator's signed word, kept as evidence) and the
// reference to its grant.issued leaf (zero on deny).
func (c *Client) RelayGrant(ctx context.Context, p *omadata.Peer, in *omadata.NetworkGrantInput) (*omadata.Grant, string, omadata.LeafPeer, error) {
	a, err := c.call(ctx, p, "grant", http.MethodPost, endpoint(p, "/grants"), in, nil)
	if err != nil {
		return nil, "", omadata.LeafPeer{}, err
	}
	var out struct {
		Grant *omadata.Grant    `json:"grant"`
		Leaf  *omadata.LeafPeer `json:"leaf"`
	}
	if err := decode(a, &out); err != nil {
		return nil, "", omadata.LeafPeer{}, err
	} else if out.Grant == nil || out.Grant.Decision == nil {
		return nil, "", omadata.LeafPeer{}, errors.New("the grant answer has no grant with a decision")
	} else if out.Grant.Decision.Permit() && (out.Grant.Token == "" || out.Leaf == nil || out.Leaf.Record != out.Grant.ID || out.Leaf.Origin != p.LogOrigin) {
		return nil, "", omadata.LeafPeer{}, errors.New("the grant answer permits without a token or a leaf of the peer's log naming the grant")
	}
	var leaf omadata.LeafPeer
	if out.Leaf != nil {
		leaf = *out.Leaf
	}
	return out.Grant, a.JWS, leaf, nil
}

// RelayDecisions asks the resident's home operator the questions of a
// sink of this operator (docs/network.md §5.3) and returns its decisions,
// in order, and the answer JWS verbatim.
func (c *Client) RelayDecisions(ctx context.Context, p *omadata.Peer, qs []*omadata.NetworkQuestion) ([]*omadata.Decision, string, error) {
	a, err := c.call(ctx, p, "decisions", http.MethodPost, endpoint(p, "/decisions"), map[string]any{"questions": qs}, nil)
	if err != nil {
		return nil, "", err
	}
	var out struct {
		Decisions []*omadata.Decision `json:"decisions"`
	}
	if err := decode(a, &out); err != nil {
		return nil, "", err
	} else if len(out.Decisions) != len(qs) {
		return nil, "", fmt.Errorf("the peer answered %d decisions to %d questions", len(out.Decisions), len(qs))
	}
	for i, d := range out.Decisions {
		if d == nil {
			return nil, "", fmt.Errorf("the peer's decision %d is null", i)
		}
	}
	return out.Decisions, a.JWS, nil
}

// SendConsentEvent tells the sink's operator of a resident's consent event
// (docs/network.md §5.2); nil once the peer acknowledged it.
func (c *Client) SendConsentEvent(ctx context.Context, p *omadata.Peer, ev *omadata.NetworkConsentEvent) error {
	a, err := c.call(ctx, p, "consent_event", http.MethodPost, endpoint(p, "/consent-events"), ev, nil)
	if err != nil {
		return err
	}
	var out struct {
		Event string `json:"event"`
	}
	if err := decode(a, &out); err != nil {
		return err
	} else if out.Event != ev.ID {
		return fmt.Errorf("the peer acknowledged event %q, want %q", out.Event, ev.ID)
	}
	return nil
}

// Catalogue is a peer's catalogue as fetched: unchanged (NotModified) or
// new, with its ETag and until when it may be mirrored.
type Catalogue struct {
	NotModified bool
	Catalogue   *omadata.NetworkCatalogue
	ETag        string // without quotes
	Expires     time.Time
}

// FetchCatalogue fetches the peer's catalogue (docs/network.md §5.1),
// conditionally when etag is the one last imported.
func (c *Client) FetchCatalogue(ctx context.Context, p *omadata.Peer, etag string) (*Catalogue, error) {
	h := http.Header{}
	if etag != "" {
		h.Set("If-None-Match", `"`+etag+`"`)
	}
	target := p.CatalogueEndpoint
	if target == "" {
		target = endpoint(p, "/catalogue")
	}
	a, err := c.call(ctx, p, "catalogue", http.MethodGet, target, nil, h)
	if err != nil {
		return nil, err
	}
	out := &Catalogue{ETag: strings.Trim(strings.TrimPrefix(a.Header.Get("ETag"), "W/"), `"`)}
	if a.Status == http.StatusNotModified {
		// Still current: mirrored until the answer's max-age from now.
		out.NotModified, out.ETag, out.Expires = true, etag, c.now().Add(maxAge(a.Header))
		return out, nil
	}
	var body struct {
		Catalogue *omadata.NetworkCatalogue `json:"catalogue"`
		Exp       int64                     `json:"exp"`
	}
	if err := decode(a, &body); err != nil {
		return nil, err
	} else if body.Catalogue == nil || body.Catalogue.OperatorID != p.OperatorID {
		return nil, fmt.Errorf("the catalogue of %s names another operator", p.OperatorID)
	} else if out.ETag == "" {
		return nil, errors.New("the catalogue answer has no ETag")
	}
	// Mirrored until the answer expires or its max-age passes, whichever
	// is first.
	out.Catalogue, out.Expires = body.Catalogue, time.Unix(body.Exp, 0).UTC()
	if byAge := c.now().Add(maxAge(a.Header)).UTC(); byAge.Before(out.Expires) {
		out.Expires = byAge
	}
	return out, nil
}

// Record is a leaf of a peer's log with its proof (docs/network.md §5.5).
type Record struct {
	Entry      *omadata.LogEvent   `json:"entry"`
	Checkpoint *omadata.Checkpoint `json:"checkpoint"`
	JWS        string              `json:"-"`
}

// FetchRecord fetches the leaf of record from the peer's log, with its
// inclusion proof and the checkpoint it is proven in. It does not verify
// them: VerifyRecord does, with the peer's log verifier key.
func (c *Client) FetchRecord(ctx context.Context, p *omadata.Peer, record string) (*Record, error) {
	a, err := c.call(ctx, p, "log_record", http.MethodGet, endpoint(p, "/log/records/"+url.PathEscape(record)), nil, nil)
	if err != nil {
		return nil, err
	}
	var out Record
	if err := decode(a, &out); err != nil {
		return nil, err
	} else if out.Entry == nil || out.Checkpoint == nil {
		return nil, errors.New("the record answer has no entry or no checkpoint")
	}
	out.JWS = a.JWS
	return &out, nil
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// maxAge reads Cache-Control's max-age (RFC 9111 §5.2.2.1), capped at
// the catalogue's network.MaxCatalogueAge (docs/network.md §7), which is
// also the age without one.
func maxAge(h http.Header) time.Duration {
	for _, d := range strings.Split(h.Get("Cache-Control"), ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(d), "=")
		if strings.EqualFold(k, "max-age") {
			if n, err := strconv.Atoi(v); err == nil && n >= 0 && time.Duration(n)*time.Second < network.MaxCatalogueAge {
				return time.Duration(n) * time.Second
			}
		}
	}
	return network.MaxCatalogueAge
}
