// SPDX-License-Identifier: Apache-2.0

package netnode_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/omadata/omadata/internal/anchor"
	"github.com/omadata/omadata/internal/federation"
	"github.com/omadata/omadata/internal/keys"
	"github.com/omadata/omadata/internal/netnode"
	"github.com/omadata/omadata/internal/network"
	"github.com/omadata/omadata/internal/store"
	"github.com/omadata/omadata/internal/store/storetest"
	"github.com/omadata/omadata/internal/web"
)

// testAnchor is a trust anchor served by httptest.
type testAnchor struct {
	*anchor.Anchor
	URL  string
	Keys *jose.JSONWebKeySet
	// Hits counts the requests the anchor served.
	Hits *atomic.Int64
	// Down makes it answer 503.
	Down *atomic.Bool
}

func startAnchor(t testing.TB) *testAnchor {
	t.Helper()
	var h http.Handler
	hits, down := &atomic.Int64{}, &atomic.Bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	db, err := anchor.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "anchor.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	k, err := federation.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	a := &anchor.Anchor{ID: srv.URL, Name: "Test network", Rulebook: 1, DB: db, Keys: []federation.Key{k}, Sign: netnode.SignAnchorEvent}
	h = a.Handler()
	return &testAnchor{Anchor: a, URL: srv.URL, Keys: federation.KeySet(k), Hits: hits, Down: down}
}

// operator is one operator of a test network: its store, its node and its
// server.
type operator struct {
	URL     string
	Store   *store.Store
	Node    *netnode.Node
	Key     federation.Key
	Metrics *prometheus.Registry
	srv     *httptest.Server
	// down makes the server answer 503; hang makes its catalogue answer
	// nothing until the caller gives up; skew moves the store's clock.
	down *atomic.Bool
	hang *atomic.Bool
	skew *atomic.Int64
	// clients has the remote address of every connection that sent a
	// request.
	clients *sync.Map
	// configuration, when set, replaces the served entity configuration.
	configuration *atomic.Pointer[string]
	// log holds what the node logged.
	log *syncBuffer
	// opts made Node: another netnode.New(opts) is the operator restarted.
	opts netnode.Options
}

// startOperator starts an operator on SQLite in the network of a; it is
// a member once admitted.
func startOperator(t *testing.T, a *testAnchor, name string) *operator {
	t.Helper()
	return startOperatorOn(t, a, name, storetest.OpenSQLite, nil)
}

// startOperatorOn starts an operator on the store open returns, its node
// calling peers with client (nil: the node's default).
func startOperatorOn(t testing.TB, a *testAnchor, name string, open func(testing.TB) *store.Store, client *http.Client) *operator {
	t.Helper()
	var h http.Handler
	down, hang, skew, clients, configuration := &atomic.Bool{}, &atomic.Bool{}, &atomic.Int64{}, &sync.Map{}, &atomic.Pointer[string]{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		clients.Store(r.RemoteAddr, true)
		if down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		} else if hang.Load() && strings.HasSuffix(r.URL.Path, "/catalogue") {
			<-r.Context().Done()
			return
		}
		if c := configuration.Load(); c != nil && r.URL.Path == federation.WellKnownPath {
			w.Header().Set("Content-Type", federation.ContentTypeEntityStatement)
			_, _ = io.WriteString(w, *c)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	op := storetest.OpenOperator(t, open, srv.URL, name)
	op.Store.DB().Now = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	sealer, err := keys.NewSealer(storetest.SecretKey)
	if err != nil {
		t.Fatal(err)
	}
	_, vkey, err := keys.LogSigner(storetest.Admin(), op.Store, sealer, op.Peer.LogOrigin)
	if err != nil {
		t.Fatal(err)
	}
	md := op.Peer.OperatorMetadata
	md.LogVerifierKey = vkey
	md.LogEndpoint = srv.URL + "/api/v1/public/log" // as serve publishes it
	k, err := federation.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	logs := &syncBuffer{}
	opts := netnode.Options{
		Metadata: md, OrganizationName: name, AnchorID: a.URL, AnchorKeys: a.Keys, Rulebook: 1,
		Keys:  func(context.Context) ([]federation.Key, error) { return []federation.Key{k}, nil },
		Store: op.Store, Metrics: reg, HTTPClient: client, Logger: slog.New(slog.NewTextHandler(logs, nil)),
		Witness: op.Store,
	}
	node, err := netnode.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	s := op.Store.With(store.WithRelayer(node.Client))
	h = web.New(web.Options{
		Organisations: s, Services: s, Credentials: s, DataGroups: s, Purposes: s, Processings: s, AISystems: s,
		Catalogue: s, SigningKeys: s, Residents: s, Representations: s, Consents: s, Decisions: s, Grants: s, Webhooks: s,
		Log: s, Usage: s, Requests: s, Apps: s, AppTokens: s, Metrics: reg,
		Operator: web.OperatorInfo{ID: srv.URL, Name: name, BusinessID: "0201256-6", Email: "mydata@example.fi", PublicURL: srv.URL},
		Network:  node.Handler,
	})
	return &operator{URL: srv.URL, Store: s, Node: node, Key: k, Metrics: reg, srv: srv, down: down, hang: hang, skew: skew, clients: clients,
		configuration: configuration, log: logs, opts: opts}
}

// admit admits ops and has each fetch its trust mark.
func admit(t testing.TB, a *testAnchor, ops ...*operator) {
	t.Helper()
	ctx := context.Background()
	for _, op := range ops {
		if _, err := a.Admit(ctx, op.URL, "test network", "test"); err != nil {
			t.Fatalf("admit %s: %v", op.URL, err)
		}
	}
	for _, op := range ops {
		if err := op.Node.Member.Refresh(ctx); err != nil {
			t.Fatalf("refresh %s: %v", op.URL, err)
		}
	}
}

// signed sends a call from op to url, signed with op's key at now.
func signed(t *testing.T, op *operator, method, url string, body []byte, now time.Time, edit func(*http.Request)) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if err := network.Sign(req, body, op.URL, op.Key.ID, op.Key.Private, now); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(req)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res
}

// problem reads a problem document and checks its status and reason.
func problem(t *testing.T, res *http.Response, status int, reason string) {
	t.Helper()
	var p network.Problem
	buf, _ := io.ReadAll(res.Body)
	if res.StatusCode != status || res.Header.Get("Content-Type") != "application/problem+json" || json.Unmarshal(buf, &p) != nil || p.Reason != reason ||
		p.Type != "https://omadata.fi/problems/network/"+reason {
		t.Fatalf("got %d %s %s, want %d problem %s", res.StatusCode, res.Header.Get("Content-Type"), buf, status, reason)
	}
}

// refusals reads omadata_network_refusals_total{reason} from op's /metrics.
func refusals(t *testing.T, op *operator, reason string) string {
	t.Helper()
	return metric(t, op, `omadata_network_refusals_total{reason="`+reason+`"}`)
}

// metric reads the value of the series named so from op's /metrics, "0"
// when absent.
func metric(t *testing.T, op *operator, series string) string {
	t.Helper()
	res, err := http.Get(op.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	buf, _ := io.ReadAll(res.Body)
	for _, l := range strings.Split(string(buf), "\n") {
		if strings.HasPrefix(l, series+" ") {
			return strings.Fields(l)[1]
		}
	}
	return "0"
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
