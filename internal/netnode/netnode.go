// SPDX-License-Identifier: Apache-2.0

// Package netnode assembles an operator's part in the network
// (docs/network.md) from its pieces: its membership and entity
// configuration (internal/federation), the routes peers call
// (internal/web/netapi) behind signature checks (internal/network), and
// its client of the peers (internal/peer) with the workers that use it.
// omadata serve builds one when the operator is in a network; tests build
// several in one process.
package netnode

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/federation"
	"github.com/omadata/omadata/internal/network"
	"github.com/omadata/omadata/internal/peer"
	"github.com/omadata/omadata/internal/web/netapi"
	"github.com/omadata/omadata/internal/witness"
	"github.com/omadata/omadata/internal/worker"
)

// Store is what a node needs of the operator's store.
type Store interface {
	omadata.NetworkService
	omadata.NetworkOutbox
	federation.PeerStore
	netapi.RecordProver
	// FindPeerByLogOrigin names the peer whose log a leaf references.
	FindPeerByLogOrigin(ctx context.Context, origin string) (string, error)
	// UseOnce records a nonce once across the operator's instances
	// (network.Replay, the table DPoP proofs use).
	UseOnce(ctx context.Context, scope, nonce string, until time.Time) (bool, error)
	// The logs the operator witnesses: the members' are kept by
	// WitnessLogs (docs/witnessing.md §2).
	worker.WitnessLogStore
}

// Options configures a Node.
type Options struct {
	// Metadata is the operator's omadata_operator metadata; its
	// OperatorID is the operator's entity identifier.
	Metadata         omadata.OperatorMetadata
	OrganizationName string
	AnchorID         string
	AnchorKeys       *jose.JSONWebKeySet // pinned
	Rulebook         int
	// Keys returns the operator's federation keys, newest first.
	Keys  func(ctx context.Context) ([]federation.Key, error)
	Store Store

	SyncInterval time.Duration // of the catalogue sync; 0: its default
	// CatalogueMaxAge is the max-age of the catalogue served to members;
	// 0: network.MaxCatalogueAge.
	CatalogueMaxAge time.Duration
	// HTTPClient calls peers and the anchor; nil: a 10 s timeout,
	// peerConns idle connections a peer. It never follows a redirect (a
	// CheckRedirect of nil is replaced).
	HTTPClient *http.Client
	Logger     *slog.Logger
	Metrics    *prometheus.Registry // nil: a registry of its own
	Now        func() time.Time
	// Witness is the operator's witness state: a peer's checkpoint read
	// with a record is checked against the one it cosigned
	// (docs/witnessing.md §4); nil checks nothing.
	Witness witness.State
	// OnWitnessFork reports a fork seen in a peer's checkpoint beside
	// the ERROR line (the metric omadata_witness_forks_total); nil: the
	// line only.
	OnWitnessFork func(*omadata.WitnessFork)
}

// peerConns is how many idle connections the default client keeps to
// each peer: its calls to a peer come in parallel, one for each sink
// request relayed (Go's default keeps 2, and opens a connection, over TLS
// a handshake, for each call above that).
const peerConns = 64

// Node is an operator's part in the network.
type Node struct {
	Handler  *netapi.Handler
	Member   *federation.Member
	Resolver *federation.Resolver
	Client   *peer.Client
	Members  *peer.Members
	Sync     *worker.CatalogueSync
	Outbox   *worker.NetworkOutbox
	// WitnessLogs keeps the members' logs among those the operator
	// witnesses, and knows their witnesses (docs/witnessing.md §2, §3).
	WitnessLogs *worker.WitnessLogSync

	o    Options
	gate *gate
	// proven are the peers' records whose proofs verified: a leaf in an
	// append-only log stays proven, so a page shown again asks no peer.
	// Safe to lose, per instance.
	proven provenRecords
}

// provenRecords is a bounded set of verified leaf references.
type provenRecords struct {
	mu sync.Mutex
	m  map[omadata.LeafPeer]struct{}
}

// maxProven bounds the set; past it, it starts afresh.
const maxProven = 10000

func (p *provenRecords) has(ref omadata.LeafPeer) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.m[ref]
	return ok
}

func (p *provenRecords) add(ref omadata.LeafPeer) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil || len(p.m) >= maxProven {
		p.m = map[omadata.LeafPeer]struct{}{}
	}
	p.m[ref] = struct{}{}
}

// New assembles a node.
func New(o Options) (*Node, error) {
	self := o.Metadata.OperatorID
	if err := federation.ValidEntityID("operator_id", self); err != nil {
		return nil, err
	} else if o.AnchorID == "" || o.AnchorKeys == nil || o.Keys == nil || o.Store == nil {
		return nil, errors.New("netnode: the anchor, its keys, the federation keys and the store are required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Metrics == nil {
		o.Metrics = prometheus.NewRegistry()
	}
	if o.HTTPClient == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = peerConns
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second, Transport: t}
	}
	if o.HTTPClient.CheckRedirect == nil {
		// Statements, catalogues and answers come from the URL asked,
		// never from where a redirect points (network.md §7).
		c := *o.HTTPClient
		c.CheckRedirect = federation.NoRedirect
		o.HTTPClient = &c
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	n := &Node{o: o}
	n.gate = &gate{n: n}
	n.Member = &federation.Member{
		Config:     federation.Configuration{Metadata: o.Metadata, OrganizationName: o.OrganizationName, AnchorID: o.AnchorID},
		AnchorKeys: o.AnchorKeys, Client: o.HTTPClient, Keys: o.Keys, Now: o.Now,
	}
	n.Resolver = &federation.Resolver{
		AnchorID: o.AnchorID, AnchorKeys: o.AnchorKeys, Rulebook: o.Rulebook, Client: o.HTTPClient,
		Cache: federation.StoreCache{Store: o.Store, Now: o.Now, Parsed: &federation.ParsedKeys{}}, Now: o.Now, Anchor: n.gate.resolverAnchor,
	}
	guard := network.NewGuard(&network.Verifier{OperatorID: self, Keys: memberKeys{n}, Replay: o.Store, Now: o.Now}, o.Logger, o.Metrics)
	anchorGuard := network.NewGuard(&network.Verifier{OperatorID: self, Keys: anchorKeys{n}, Replay: o.Store, Now: o.Now}, o.Logger, o.Metrics)
	n.Handler = netapi.New(netapi.Options{
		OperatorID: self, LogOrigin: o.Metadata.LogOrigin,
		Network: o.Store, Records: o.Store, Guard: guard, AnchorGuard: anchorGuard, CatalogueMaxAge: o.CatalogueMaxAge,
		SignAnswer: n.signAnswer, MembershipChanged: n.membershipChanged,
		EntityConfiguration: anyOrigin(n.Member), Logger: o.Logger, Now: o.Now,
	})
	n.Client = &peer.Client{
		Transport: &transport{n: n}, Peers: peers{n.Resolver}, Metrics: peer.NewMetrics(o.Metrics), Now: o.Now,
		Witness: o.Witness, OnFork: n.peerFork, HTTP: o.HTTPClient,
	}
	n.Members = &peer.Members{AnchorID: o.AnchorID, AnchorKeys: o.AnchorKeys, Client: o.HTTPClient, Anchor: n.gate.anchor}
	n.Sync = &worker.CatalogueSync{
		Self: self, Members: n.Members.List, Peers: peers{n.Resolver}, Fetch: n.Client, Store: o.Store,
		Interval: o.SyncInterval, Logger: o.Logger, Metrics: worker.NewSyncMetrics(o.Metrics), Now: o.Now,
	}
	n.WitnessLogs = &worker.WitnessLogSync{Self: self, Members: n.Members.List, Peers: peers{n.Resolver}, Anchor: n.anchorWitness, Store: o.Store, Logger: o.Logger}
	n.Outbox = &worker.NetworkOutbox{Outbox: o.Store, Peers: peers{n.Resolver}, Send: n.Client, Logger: o.Logger, Metrics: worker.NewOutboxMetrics(o.Metrics)}
	return n, nil
}

var _ omadata.Relayer = (*peer.Client)(nil)

// membershipChanged drops the cached chain of a member whose membership
// the anchor changed (docs/network.md §2.6): its next call resolves it
// again and is refused if it is no longer an active member. When the
// member is this operator, active again, it drops every cached chain: it
// may have missed events while it was suspended (a removal believed for
// up to an hour otherwise).
func (n *Node) membershipChanged(ctx context.Context, operatorID, status string) error {
	n.o.Logger.InfoContext(ctx, "membership changed", "operator", operatorID, "status", status)
	n.gate.forget(operatorID)
	if operatorID == n.o.Metadata.OperatorID && status == omadata.MemberActive {
		n.gate.forgetAll()
		if err := n.Resolver.DropAll(ctx); err != nil {
			return fmt.Errorf("drop every cached chain: %w", err)
		}
		return nil
	}
	if err := n.Resolver.Drop(ctx, operatorID); err != nil {
		return fmt.Errorf("drop the chain of %s: %w", operatorID, err)
	}
	// A suspended or removed member's processings are no longer offered
	// here; the first import of its catalogue after its re-admission
	// approves them again (docs/network.md §2.6).
	if status == omadata.MemberSuspended || status == omadata.MemberRemoved {
		admin := omadata.NewContextWithCaller(ctx, omadata.Caller{Kind: omadata.CallerAdmin, TokenID: "network"})
		if _, err := n.o.Store.SuspendPeerServices(admin, operatorID, "member "+status); err != nil {
			return fmt.Errorf("suspend the services of %s: %w", operatorID, err)
		}
	}
	return nil
}

// peerFork reports a fork seen in a peer's checkpoint while checking its
// record (docs/witnessing.md §4): recorded by witness.CheckSeen, reported
// here.
func (n *Node) peerFork(f *omadata.WitnessFork) {
	witness.LogFork(context.Background(), n.o.Logger, f)
	if n.o.OnWitnessFork != nil {
		n.o.OnWitnessFork(f)
	}
}

// anyOrigin lets any page read the entity configuration
// (Access-Control-Allow-Origin: *): a resident's browser builds the trust
// chain from it to check a proof (docs/witnessing.md §5). It is a public,
// self-signed statement.
func anyOrigin(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		h.ServeHTTP(w, r)
	})
}

// peers resolves peers for the client and the workers.
type peers struct{ r *federation.Resolver }

func (p peers) Resolve(ctx context.Context, operatorID string) (*omadata.Peer, error) {
	res, err := p.r.Resolve(ctx, operatorID)
	if err != nil {
		return nil, err
	}
	return res.Peer, nil
}

// VerifyPeerRecord checks a peer's side of a release in its log
// (portal.PeerLog; docs/network.md §5.5): the peer named by the leaf
// reference's log origin, asked for the record over the network, its
// proof verified with the log key of its resolved chain. EINVALID when
// the peer's log does not prove the record, or the peer says it has no
// such record for this operator.
func (n *Node) VerifyPeerRecord(ctx context.Context, ref omadata.LeafPeer) error {
	if n.proven.has(ref) {
		return nil
	}
	id, err := n.o.Store.FindPeerByLogOrigin(ctx, ref.Origin)
	if err != nil {
		return err
	}
	_, err = n.Client.PeerProof(ctx, id, ref.Record)
	if err == nil {
		n.proven.add(ref)
	}
	var rf *network.Refusal
	if errors.As(err, &rf) && rf.Reason == network.ReasonNotFound {
		return fmt.Errorf("%w: %w", omadata.Invalidf("record", "The peer's log has no such record for this operator."), err)
	}
	return err
}
