// SPDX-License-Identifier: Apache-2.0

package netnode_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/federation"
	"github.com/omadata/omadata/internal/netnode"
	"github.com/omadata/omadata/internal/network"
	"github.com/omadata/omadata/internal/store/storetest"
)

// TestNetworkCatalogue: a member fetches another's catalogue as a signed
// answer with an ETag, gets 304 for it again, and the catalogue sync
// mirrors it, fetching again only what expired, past a member that is
// down; the entity configuration resolves through the anchor.
func TestNetworkCatalogue(t *testing.T) {
	a := startAnchor(t)
	hki, esp, tku := startOperator(t, a, "Helsinki"), startOperator(t, a, "Espoo"), startOperator(t, a, "Turku")
	storetest.CreateNetwork(t, hki.Store)
	admit(t, a, hki, esp, tku)
	ctx := storetest.Admin()

	res, err := http.Get(hki.URL + federation.WellKnownPath)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != federation.ContentTypeEntityStatement {
		t.Fatalf("entity configuration: got %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	peer, err := esp.Node.Resolver.Resolve(ctx, hki.URL)
	if err != nil {
		t.Fatal(err)
	} else if peer.Peer.OperatorID != hki.URL || peer.Peer.LogVerifierKey == "" || peer.Peer.RulebookVersion != 1 {
		t.Fatalf("resolved %+v", peer.Peer)
	}

	c, err := esp.Node.Client.FetchCatalogue(ctx, peer.Peer, "")
	if err != nil {
		t.Fatal(err)
	} else if c.NotModified || c.Catalogue.OperatorID != hki.URL || len(c.Catalogue.Sources) != 1 || c.ETag == "" || !c.Expires.After(time.Now()) {
		t.Fatalf("got %+v, want the catalogue with an ETag", c)
	}
	again, err := esp.Node.Client.FetchCatalogue(ctx, peer.Peer, c.ETag)
	if err != nil {
		t.Fatal(err)
	} else if !again.NotModified {
		t.Fatalf("with If-None-Match: got %+v, want not modified", again)
	}

	// Turku is down: its catalogue fails, Helsinki's is imported.
	tku.down.Store(true)
	n, err := esp.Node.Sync.Sync(ctx)
	if err == nil || !strings.Contains(err.Error(), tku.URL) || n != 1 {
		t.Fatalf("sync: got %d, %v; want hki's catalogue imported and tku's failure", n, err)
	}
	if got := metric(t, esp, "omadata_network_catalogues_failing"); got != "1" {
		t.Errorf("catalogues failing: got %s, want 1", got)
	}
	if got := metric(t, esp, "omadata_network_catalogues_synced"); got != "1" {
		t.Errorf("catalogues synced: got %s, want 1", got)
	}
	tku.down.Store(false)
	etag, exp, err := esp.Store.PeerCatalogueState(ctx, hki.URL)
	if err != nil || etag != c.ETag || !exp.After(time.Now()) {
		t.Fatalf("mirror: got %q %v %v, want ETag %q unexpired", etag, exp, err, c.ETag)
	}
	if n, err := esp.Node.Sync.Sync(ctx); err != nil || n != 1 {
		t.Fatalf("second sync: got %d, %v; want only Turku's catalogue fetched, Helsinki's mirror unexpired", n, err)
	}
}

// TestNetworkRefusals: every refusal of a call is a problem document
// naming its reason, and counted in the callee's /metrics.
func TestNetworkRefusals(t *testing.T) {
	a := startAnchor(t)
	hki, esp, tku := startOperator(t, a, "Helsinki"), startOperator(t, a, "Espoo"), startOperator(t, a, "Turku")
	admit(t, a, hki, esp)
	catalogue := hki.URL + "/network/v1/catalogue"
	decisions := hki.URL + "/network/v1/decisions"
	now := time.Now()

	// A good call first: hki now holds esp's chain.
	if res := signed(t, esp, "GET", catalogue, nil, now, nil); res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/jwt" {
		t.Fatalf("a member's call: got %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}

	other, err := federation.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		call   func() *http.Response
		status int
		reason string
	}{
		{"Unsigned", func() *http.Response {
			res, err := http.Post(decisions, "application/json", strings.NewReader(`{"questions":[]}`))
			if err != nil {
				t.Fatal(err)
			}
			return res
		}, 401, network.ReasonUnsigned},
		{"NotMember", func() *http.Response { return signed(t, tku, "GET", catalogue, nil, now, nil) }, 403, network.ReasonNotMember},
		{"Expired", func() *http.Response { return signed(t, esp, "GET", catalogue, nil, now.Add(-10*time.Minute), nil) }, 401, network.ReasonExpired},
		{"WrongAudience", func() *http.Response {
			// Signed for and sent to esp, claiming to be for hki's host.
			return signed(t, tku, "GET", esp.URL+"/network/v1/catalogue", nil, now, func(r *http.Request) { r.Host = strings.TrimPrefix(hki.URL, "http://") })
		}, 401, network.ReasonWrongAudience},
		{"DigestMismatch", func() *http.Response {
			return signed(t, esp, "POST", decisions, []byte(`{"questions":[]}`), now, func(r *http.Request) {
				b := []byte(`{"questions":[{}]}`)
				r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
			})
		}, 401, network.ReasonDigestMismatch},
		{"BadSignature", func() *http.Response {
			impostor := *esp
			impostor.Key = other
			return signed(t, &impostor, "GET", catalogue, nil, now, nil)
		}, 401, network.ReasonBadSignature},
		{"Replayed", func() *http.Response {
			var first *http.Request
			signed(t, esp, "GET", catalogue, nil, now, func(r *http.Request) { first = r.Clone(context.Background()) })
			first.Body = http.NoBody
			res, err := http.DefaultClient.Do(first)
			if err != nil {
				t.Fatal(err)
			}
			return res
		}, 401, network.ReasonReplayed},
		{"TooLarge", func() *http.Response {
			return signed(t, esp, "POST", decisions, bytes.Repeat([]byte(" "), 1<<20+1), now, nil)
		}, 413, network.ReasonTooLarge},
		{"InvalidBody", func() *http.Response {
			return signed(t, esp, "POST", decisions, []byte(`{"questions":[],"extra":1}`), now, nil)
		}, 400, network.ReasonInvalid},
		{"UnknownPath", func() *http.Response {
			// Refused through the Guard like any other: logged, counted.
			return signed(t, esp, "GET", hki.URL+"/network/v1/nosuch", nil, now, nil)
		}, 404, network.ReasonNotFound},
		{"NotJSON", func() *http.Response {
			return signed(t, esp, "POST", decisions, []byte(`{"questions":[]}`), now, func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") })
		}, 415, network.ReasonInvalid},
		{"NoContentType", func() *http.Response {
			return signed(t, esp, "POST", decisions, []byte(`{"questions":[]}`), now, func(r *http.Request) { r.Header.Del("Content-Type") })
		}, 415, network.ReasonInvalid},
		{"FederationEventNotFromAnchor", func() *http.Response {
			return signed(t, esp, "POST", hki.URL+"/network/v1/federation-events", []byte(`{"sub":"`+esp.URL+`","status":"removed"}`), now, nil)
		}, 403, network.ReasonNotMember},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := refusals(t, hki, tc.reason)
			if tc.name == "WrongAudience" {
				before = refusals(t, esp, tc.reason)
			}
			problem(t, tc.call(), tc.status, tc.reason)
			after := refusals(t, hki, tc.reason)
			if tc.name == "WrongAudience" {
				after = refusals(t, esp, tc.reason)
			}
			if after == before {
				t.Errorf("omadata_network_refusals_total{reason=%q}: still %s", tc.reason, after)
			}
		})
	}

	// A body that is not JSON is refused naming Content-Type (§5, §6).
	res := signed(t, esp, "POST", decisions, []byte(`{"questions":[]}`), time.Now(), func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") })
	var p network.Problem
	if err := json.NewDecoder(res.Body).Decode(&p); err != nil || res.StatusCode != http.StatusUnsupportedMediaType || p.Field != "Content-Type" {
		t.Errorf("got %d %+v, %v; want 415 naming Content-Type", res.StatusCode, p, err)
	}

	// Suspended, then removed: the anchor tells hki, whose next answer to
	// esp is a refusal naming the status.
	ctx := context.Background()
	notify := func(status string) {
		t.Helper()
		results, err := a.Notify(ctx, esp.URL, status)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range results {
			if r.Err != nil {
				t.Fatalf("event to %s: %v", r.EntityID, r.Err)
			}
		}
	}
	if _, err := a.Suspend(ctx, esp.URL, "unpaid fee", "test"); err != nil {
		t.Fatal(err)
	}
	notify("suspended")
	problem(t, signed(t, esp, "GET", catalogue, nil, time.Now(), nil), 403, network.ReasonSuspendedMember)
	if _, err := a.Remove(ctx, esp.URL, "left the network", "test"); err != nil {
		t.Fatal(err)
	}
	notify("removed")
	problem(t, signed(t, esp, "GET", catalogue, nil, time.Now(), nil), 403, network.ReasonRemovedMember)
}

// TestNetworkConnectionsReused: a node keeps its connections to a peer
// for calls that come in parallel, instead of opening one per call above
// Go's default of two idle connections a host (over TLS, a handshake per
// call).
func TestNetworkConnectionsReused(t *testing.T) {
	a := startAnchor(t)
	hki, esp := startOperator(t, a, "Helsinki"), startOperator(t, a, "Espoo")
	storetest.CreateNetwork(t, hki.Store)
	admit(t, a, hki, esp)
	ctx := storetest.Admin()
	p, err := esp.Node.Resolver.Resolve(ctx, hki.URL)
	if err != nil {
		t.Fatal(err)
	}
	const parallel = 8
	for range 3 {
		var wg sync.WaitGroup
		errs := make(chan error, parallel)
		for range parallel {
			wg.Go(func() {
				if _, err := esp.Node.Client.FetchCatalogue(ctx, p.Peer, ""); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	}
	n := 0
	hki.clients.Range(func(any, any) bool { n++; return true })
	if n > parallel+2 {
		t.Errorf("3 rounds of %d parallel calls came on %d connections, want at most %d", parallel, n, parallel+2)
	}
}

// TestCatalogueSyncLogsChanges: a member that stays down is one warning,
// not one per run, and its recovery one line.
func TestCatalogueSyncLogsChanges(t *testing.T) {
	a := startAnchor(t)
	hki, esp := startOperator(t, a, "Helsinki"), startOperator(t, a, "Espoo")
	admit(t, a, hki, esp)
	var buf syncBuffer
	esp.Node.Sync.Logger = slog.New(slog.NewTextHandler(&buf, nil))
	esp.Node.Sync.Interval = 20 * time.Millisecond
	hki.down.Store(true)
	ctx, cancel := context.WithCancel(storetest.Admin())
	done := make(chan struct{})
	go func() { esp.Node.Sync.Run(ctx); close(done) }()
	time.Sleep(300 * time.Millisecond)
	hki.down.Store(false)
	time.Sleep(300 * time.Millisecond)
	cancel()
	<-done
	out := buf.String()
	if n := strings.Count(out, "members' catalogues not all synced"); n != 1 {
		t.Errorf("got %d warnings, want 1:\n%s", n, out)
	}
	if n := strings.Count(out, "members' catalogues all synced again"); n != 1 {
		t.Errorf("got %d recoveries, want 1:\n%s", n, out)
	}
}

// TestCatalogueSyncSlowMember: members that hang delay no other's
// catalogue: the sync asks members at once, each within its timeout.
func TestCatalogueSyncSlowMember(t *testing.T) {
	a := startAnchor(t)
	hki, esp, tku, oulu := startOperator(t, a, "Helsinki"), startOperator(t, a, "Espoo"), startOperator(t, a, "Turku"), startOperator(t, a, "Oulu")
	admit(t, a, hki, esp, tku, oulu)
	hki.hang.Store(true)
	tku.hang.Store(true)
	const timeout = 400 * time.Millisecond
	esp.Node.Sync.PeerTimeout = timeout
	start := time.Now()
	n, err := esp.Node.Sync.Sync(storetest.Admin())
	took := time.Since(start)
	if n != 1 || err == nil || !strings.Contains(err.Error(), hki.URL) || !strings.Contains(err.Error(), tku.URL) {
		t.Fatalf("got %d imported, %v; want Oulu's imported, Helsinki and Turku failing", n, err)
	}
	if took >= 2*timeout {
		t.Errorf("the sync took %v with two members hanging, want under %v", took, 2*timeout)
	}
	if _, _, err := esp.Store.PeerCatalogueState(storetest.Admin(), oulu.URL); err != nil {
		t.Fatalf("Oulu's catalogue: %v", err)
	}
}

// TestPeerLapsedServicesSuspended: a member told by the anchor that a
// peer is suspended, or whose sync finds a peer's chain no longer
// resolves, suspends the services it mirrors of that peer; the first sync
// after a re-admission approves them again (docs/network.md §2.6, §5.1).
func TestPeerLapsedServicesSuspended(t *testing.T) {
	a := startAnchor(t)
	hki, esp, tku := startOperator(t, a, "Helsinki"), startOperator(t, a, "Espoo"), startOperator(t, a, "Turku")
	admit(t, a, hki, esp, tku)
	hn, tn := storetest.CreateNetwork(t, hki.Store), storetest.CreateNetwork(t, tku.Store)
	ctx, admin := context.Background(), storetest.Admin()
	status := func(id string) string {
		t.Helper()
		sv, err := esp.Store.FindServiceByID(admin, id)
		if err != nil {
			t.Fatal(err)
		}
		return sv.Status
	}
	syncNow := func() {
		t.Helper()
		if _, err := esp.Node.Sync.Sync(admin); err != nil {
			t.Fatal(err)
		}
	}
	syncNow()
	if status(hn.Sink.ID) != omadata.ServiceApproved || status(tn.Sink.ID) != omadata.ServiceApproved {
		t.Fatal("the members' sinks are not mirrored as approved")
	}

	// Suspended: the anchor's event suspends Helsinki's sink at Espoo.
	if _, err := a.Suspend(ctx, hki.URL, "unpaid fee", "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Notify(ctx, hki.URL, omadata.MemberSuspended); err != nil {
		t.Fatal(err)
	}
	if got := status(hn.Sink.ID); got != omadata.ServiceSuspended {
		t.Fatalf("got Helsinki's sink %s at Espoo after its suspension, want suspended", got)
	}
	if _, err := esp.Store.FindCatalogueEntry(storetest.Public(), hn.Processing.ID); omadata.ErrorCode(err) != omadata.ENOTFOUND {
		t.Fatalf("a suspended member's processing is still offered: %v", err)
	}
	// Admitted again: the next sync imports its catalogue whole.
	admit(t, a, hki)
	if _, err := a.Notify(ctx, hki.URL, omadata.MemberActive); err != nil {
		t.Fatal(err)
	}
	syncNow()
	if got := status(hn.Sink.ID); got != omadata.ServiceApproved {
		t.Fatalf("got Helsinki's sink %s after its re-admission, want approved", got)
	}

	// Removed, and Espoo not told: once its cached chain lapses, the sync
	// finds Turku no longer resolves and suspends its sink.
	if _, err := a.Remove(ctx, tku.URL, "left", "test"); err != nil {
		t.Fatal(err)
	}
	if err := esp.Node.Resolver.Drop(ctx, tku.URL); err != nil { // as when the chain expires
		t.Fatal(err)
	}
	if _, err := esp.Node.Sync.Sync(admin); err == nil || !strings.Contains(err.Error(), tku.URL) {
		t.Fatalf("got %v, want Turku's failure", err)
	}
	if got := status(tn.Sink.ID); got != omadata.ServiceSuspended {
		t.Fatalf("got Turku's sink %s after its removal, want suspended", got)
	}
	if got := status(hn.Sink.ID); got != omadata.ServiceApproved {
		t.Fatalf("got Helsinki's sink %s, want approved still", got)
	}
}

// TestCatalogueSyncRefusesChangedVersion: a peer that publishes other
// text under a version already mirrored has that item refused, logged
// with the peer and processing, and counted; the mirror keeps the old
// (docs/network.md §5.1).
func TestCatalogueSyncRefusesChangedVersion(t *testing.T) {
	a := startAnchor(t)
	hki, esp := startOperator(t, a, "Helsinki"), startOperator(t, a, "Espoo")
	admit(t, a, hki, esp)
	hn := storetest.CreateNetwork(t, hki.Store)
	admin := storetest.Admin()
	var buf syncBuffer
	esp.Node.Sync.Logger = slog.New(slog.NewTextHandler(&buf, nil))
	if _, err := esp.Node.Sync.Sync(admin); err != nil {
		t.Fatal(err)
	}
	before, err := esp.Store.FindCatalogueEntry(storetest.Public(), hn.Processing.ID)
	if err != nil {
		t.Fatal(err)
	}
	// Helsinki misbehaves: its published version gets another title behind
	// the API's back (its immutability trigger dropped).
	if err := hki.Store.DB().Exec(admin, `DROP TRIGGER processing_versions_immutable`); err != nil {
		t.Fatal(err)
	}
	if err := hki.Store.DB().Exec(admin, `UPDATE processing_versions SET title = ? WHERE processing_id = ? AND version = 1`,
		`{"fi":"Muutettu","sv":"Ändrad","en":"Changed"}`, hn.Processing.ID); err != nil {
		t.Fatal(err)
	}
	esp.Node.Sync.Now = func() time.Time { return time.Now().Add(time.Hour) } // the mirror expired
	n, err := esp.Node.Sync.Sync(admin)
	if n != 1 || err != nil {
		t.Fatalf("got %d, %v; want the catalogue imported", n, err)
	}
	after, err := esp.Store.FindCatalogueEntry(storetest.Public(), hn.Processing.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after.Title["en"] != before.Title["en"] {
		t.Errorf("got title %v, want %v kept", after.Title, before.Title)
	}
	if out := buf.String(); !strings.Contains(out, "catalogue item refused") || !strings.Contains(out, hn.Processing.ID) || !strings.Contains(out, hki.URL) {
		t.Errorf("no warning naming the peer and processing:\n%s", out)
	}
	if got := metric(t, esp, `omadata_network_catalogue_items_refused_total{peer="`+hki.URL+`"}`); got != "1" {
		t.Errorf("omadata_network_catalogue_items_refused_total: %s, want 1", got)
	}
}

// syncBuffer is a bytes.Buffer safe for a logger's goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestNetworkRefusalsBounded: calls claiming to come from operators the
// anchor does not list, each a fresh ID (a signature that verifies or
// not), cost at most a bounded number of requests to the anchor, not one
// resolution each (network.md §7); a member's calls cost none once its
// chain is cached.
func TestNetworkRefusalsBounded(t *testing.T) {
	a := startAnchor(t)
	hki, esp, tku := startOperator(t, a, "Helsinki"), startOperator(t, a, "Espoo"), startOperator(t, a, "Turku")
	admit(t, a, hki, esp)
	catalogue := hki.URL + "/network/v1/catalogue"
	if res := signed(t, esp, "GET", catalogue, nil, time.Now(), nil); res.StatusCode != 200 {
		t.Fatalf("a member's call: got %d", res.StatusCode)
	}
	before := a.Hits.Load()
	const n = 40
	for i := range n {
		fake := *tku
		fake.URL = fmt.Sprintf("http://127.0.0.1:%d", 20000+i)
		problem(t, signed(t, &fake, "GET", catalogue, nil, time.Now(), nil), 403, network.ReasonNotMember)
		problem(t, signed(t, tku, "GET", catalogue, nil, time.Now(), nil), 403, network.ReasonNotMember)
		if res := signed(t, esp, "GET", catalogue, nil, time.Now(), nil); res.StatusCode != 200 {
			t.Fatalf("a member's call among them: got %d", res.StatusCode)
		}
	}
	// At most: the anchor's configuration and its member list once each.
	if got := a.Hits.Load() - before; got > 2 {
		t.Errorf("%d refused calls made %d requests to the anchor, want at most 2", 2*n, got)
	}

	// A member suspended, its chain dropped (no event reached Helsinki,
	// whose list still names it): the anchor's 404 is kept, so its calls
	// cost one request to the anchor, not one each.
	if _, err := a.Suspend(context.Background(), esp.URL, "unpaid fee", "test"); err != nil {
		t.Fatal(err)
	}
	if err := hki.Node.Resolver.Drop(context.Background(), esp.URL); err != nil {
		t.Fatal(err)
	}
	before = a.Hits.Load()
	for range n {
		problem(t, signed(t, esp, "GET", catalogue, nil, time.Now(), nil), 403, network.ReasonSuspendedMember)
	}
	if got := a.Hits.Load() - before; got > 1 {
		t.Errorf("%d calls of a suspended member made %d requests to the anchor, want 1", n, got)
	}
}

// TestNoRedirects: a node's client, its default or one given without a
// CheckRedirect, follows no redirect: the place a redirect points to is
// never asked (network.md §7).
func TestNoRedirects(t *testing.T) {
	var asked atomic.Bool
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { asked.Store(true) }))
	t.Cleanup(target.Close)
	redirector := httptest.NewServer(http.RedirectHandler(target.URL+"/elsewhere", http.StatusFound))
	t.Cleanup(redirector.Close)
	k, err := federation.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	for name, client := range map[string]*http.Client{"Default": nil, "Given": {}} {
		t.Run(name, func(t *testing.T) {
			asked.Store(false)
			op := storetest.OpenOperator(testing.TB(t), storetest.OpenSQLite, "http://127.0.0.1:1", "Helsinki")
			node, err := netnode.New(netnode.Options{
				Metadata: op.Peer.OperatorMetadata, OrganizationName: "Helsinki", AnchorID: redirector.URL, AnchorKeys: federation.KeySet(k), Rulebook: 1,
				Keys:  func(context.Context) ([]federation.Key, error) { return []federation.Key{k}, nil },
				Store: op.Store, HTTPClient: client,
			})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := node.Members.List(context.Background()); err == nil {
				t.Error("the member list of a redirecting anchor was read")
			}
			if asked.Load() {
				t.Error("the redirect was followed")
			}
		})
	}
}

// TestAnchorRotationWithCachedConfiguration: the anchor rotates its key
// after an operator cached its configuration; its subordinate statements,
// signed with the new key, still resolve (the configuration is read again
// at once), so members' calls are taken (network.md §2.4, §2.5).
func TestAnchorRotationWithCachedConfiguration(t *testing.T) {
	a := startAnchor(t)
	hki, esp := startOperator(t, a, "Helsinki"), startOperator(t, a, "Espoo")
	admit(t, a, hki, esp)
	catalogue := hki.URL + "/network/v1/catalogue"
	if res := signed(t, esp, "GET", catalogue, nil, time.Now(), nil); res.StatusCode != 200 {
		t.Fatalf("before the rotation: got %d", res.StatusCode)
	}
	k, err := federation.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	a.Anchor.Keys = append([]federation.Key{k}, a.Anchor.Keys...)
	if err := hki.Node.Resolver.Drop(context.Background(), esp.URL); err != nil {
		t.Fatal(err)
	}
	if res := signed(t, esp, "GET", catalogue, nil, time.Now(), nil); res.StatusCode != 200 {
		b, _ := io.ReadAll(res.Body)
		t.Fatalf("after the rotation: got %d %s", res.StatusCode, b)
	}
}

// TestReadmissionDropsChains: a member that was suspended when another
// was removed, and missed the event, drops every cached chain when the
// anchor tells it that it is active again, so the removed member's next
// call is refused (docs/network.md §2.6).
func TestReadmissionDropsChains(t *testing.T) {
	ctx := context.Background()
	a := startAnchor(t)
	hki, esp, tku := startOperator(t, a, "Helsinki"), startOperator(t, a, "Espoo"), startOperator(t, a, "Turku")
	admit(t, a, hki, esp, tku)
	catalogue := hki.URL + "/network/v1/catalogue"
	if res := signed(t, tku, "GET", catalogue, nil, time.Now(), nil); res.StatusCode != 200 {
		t.Fatalf("a member's call: %d", res.StatusCode)
	}
	if _, err := a.Suspend(ctx, hki.URL, "unpaid fee", "test"); err != nil {
		t.Fatal(err)
	}
	// Turku is removed while Helsinki is unreachable: Helsinki misses it
	// and still holds Turku's chain.
	if _, err := a.Remove(ctx, tku.URL, "left the network", "test"); err != nil {
		t.Fatal(err)
	}
	hki.down.Store(true)
	if _, err := a.Notify(ctx, tku.URL, "removed"); err != nil {
		t.Fatal(err)
	}
	hki.down.Store(false)
	if res := signed(t, tku, "GET", catalogue, nil, time.Now(), nil); res.StatusCode != 200 {
		t.Fatalf("the cached chain: %d, want still believed before the re-admission", res.StatusCode)
	}
	if _, err := a.Admit(ctx, hki.URL, "fee paid", "test"); err != nil {
		t.Fatal(err)
	}
	results, err := a.Notify(ctx, hki.URL, "active")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if r.Err != nil {
			t.Errorf("event to %s: %v", r.EntityID, r.Err)
		}
	}
	problem(t, signed(t, tku, "GET", catalogue, nil, time.Now(), nil), 403, network.ReasonRemovedMember)
	if p, _, err := hki.Store.FindPeer(ctx, esp.URL); err == nil && p.ChainExpiresAt.After(time.Now()) {
		t.Errorf("Espoo's chain still cached until %s", p.ChainExpiresAt)
	}
}

// TestPeerTextRefused: a member whose configuration, after its admission,
// carries a text that breaks the text rule is refused as not_member,
// and the refusal is logged naming the field (docs/network.md §2.4).
func TestPeerTextRefused(t *testing.T) {
	ctx := context.Background()
	a := startAnchor(t)
	hki, esp := startOperator(t, a, "Helsinki"), startOperator(t, a, "Espoo")
	admit(t, a, hki, esp)
	c := esp.Node.Member.Config
	c.Metadata.LogOrigin = "espoo.example/log\u202e"
	c.Keys = []federation.Key{esp.Key}
	as, err := federation.FetchAnchor(ctx, http.DefaultClient, a.URL, a.Keys, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	tm, err := federation.FetchTrustMark(ctx, http.DefaultClient, as, esp.URL)
	if err != nil {
		t.Fatal(err)
	}
	c.TrustMarks = []federation.TrustMarkRef{{Type: federation.MemberTrustMarkType(a.URL), TrustMark: tm}}
	jws, err := federation.EntityConfiguration(&c, esp.Key, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	esp.configuration.Store(&jws)
	before := refusals(t, hki, network.ReasonNotMember)
	problem(t, signed(t, esp, "GET", hki.URL+"/network/v1/catalogue", nil, time.Now(), nil), 403, network.ReasonNotMember)
	if after := refusals(t, hki, network.ReasonNotMember); after == before {
		t.Errorf("refusal not counted: %s", after)
	}
	if out := hki.log.String(); !strings.Contains(out, "network call refused") || !strings.Contains(out, "field=log_origin") {
		t.Errorf("log:\n%s\nwant the refusal naming log_origin", out)
	}
}

// TestCatalogueNotModifiedRenews: a 304 to a mirror's ETag renews the
// mirror for the answer's max-age, so the next runs do not ask again
// until then (docs/network.md §5.1).
func TestCatalogueNotModifiedRenews(t *testing.T) {
	a := startAnchor(t)
	hki, esp := startOperator(t, a, "Helsinki"), startOperator(t, a, "Espoo")
	storetest.CreateNetwork(t, hki.Store)
	admit(t, a, hki, esp)
	ctx := storetest.Admin()
	if _, err := esp.Node.Sync.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	etag, _, err := esp.Store.PeerCatalogueState(ctx, hki.URL)
	if err != nil {
		t.Fatal(err)
	}
	// The mirror's time is up; Helsinki's catalogue has not changed.
	if err := esp.Store.RenewPeerCatalogue(ctx, hki.URL, etag, time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := esp.Node.Sync.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	got, exp, err := esp.Store.PeerCatalogueState(ctx, hki.URL)
	if err != nil || got != etag || !exp.After(time.Now().Add(time.Minute)) {
		t.Errorf("after a 304: ETag %q (want %q), expiry %v, %v; want renewed for the max-age", got, etag, exp, err)
	}
	// Another ETag is left alone.
	if err := esp.Store.RenewPeerCatalogue(ctx, hki.URL, `"other"`, time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, again, _ := esp.Store.PeerCatalogueState(ctx, hki.URL); !again.Equal(exp) {
		t.Errorf("a renewal with another ETag moved the expiry to %v", again)
	}
}
