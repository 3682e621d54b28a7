// SPDX-License-Identifier: Apache-2.0

package federation_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"golang.org/x/mod/sumdb/note"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/anchor"
	"github.com/omadata/omadata/internal/federation"
	"github.com/omadata/omadata/internal/witness"
)

// testNetwork is a real trust anchor (internal/anchor on SQLite) behind an
// httptest server, with a hook to tamper with its answers.
type testNetwork struct {
	t      *testing.T
	anchor *anchor.Anchor
	srv    *httptest.Server
	pinned *jose.JSONWebKeySet
	// tamper, when set, rewrites the claims of the anchor's subordinate
	// statements, which are then signed again with resign.
	mu     sync.Mutex
	tamper func(st *federation.Statement)
	resign federation.Key
}

func newNetwork(t *testing.T, rulebook int) *testNetwork {
	t.Helper()
	db, err := anchor.Open(context.Background(), filepath.Join(t.TempDir(), "anchor.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	key, err := federation.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	n := &testNetwork{t: t, pinned: federation.KeySet(key)}
	n.anchor = &anchor.Anchor{Name: "Test network", Rulebook: rulebook, DB: db, Keys: []federation.Key{key}}
	n.srv = httptest.NewServer(http.HandlerFunc(n.serve))
	t.Cleanup(n.srv.Close)
	n.anchor.ID = n.srv.URL
	return n
}

func (n *testNetwork) serve(w http.ResponseWriter, r *http.Request) {
	n.mu.Lock()
	tamper, resign := n.tamper, n.resign
	n.mu.Unlock()
	if tamper == nil || r.URL.Path != anchor.FetchPath {
		n.anchor.Handler().ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	n.anchor.Handler().ServeHTTP(rec, r)
	if rec.Code != http.StatusOK {
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		return
	}
	var st federation.Statement
	if err := federation.Unverified(rec.Body.String(), &st); err != nil {
		n.t.Error(err)
		return
	}
	tamper(&st)
	jws, err := federation.Sign(&st, resign)
	if err != nil {
		n.t.Error(err)
		return
	}
	w.Header().Set("Content-Type", federation.ContentTypeEntityStatement)
	_, _ = w.Write([]byte(jws))
}

func (n *testNetwork) setTamper(resign federation.Key, f func(st *federation.Statement)) {
	n.mu.Lock()
	n.tamper, n.resign = f, resign
	n.mu.Unlock()
}

func (n *testNetwork) resolver(rulebook int) *federation.Resolver {
	return &federation.Resolver{AnchorID: n.anchor.ID, AnchorKeys: n.pinned, Rulebook: rulebook, Cache: &federation.MemoryCache{}}
}

// testMember is an operator serving its entity configuration through
// federation.Member, with keys that can rotate.
type testMember struct {
	*federation.Member
	srv *httptest.Server

	mu   sync.Mutex
	keys []federation.Key // newest first
	// override, when set, replaces the served configuration.
	override func() (string, error)
}

func (n *testNetwork) newMember(t *testing.T, name string) *testMember {
	t.Helper()
	k, err := federation.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	m := &testMember{keys: []federation.Key{k}}
	m.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		override := m.override
		m.mu.Unlock()
		if override != nil && r.URL.Path == federation.WellKnownPath {
			federation.Handler(func(context.Context) (string, error) { return override() }).ServeHTTP(w, r)
			return
		}
		m.ServeHTTP(w, r)
	}))
	t.Cleanup(m.srv.Close)
	id := m.srv.URL
	m.Member = &federation.Member{
		Config: federation.Configuration{
			Metadata: omadata.OperatorMetadata{
				OperatorID: id, Name: omadata.Text{"fi": name, "en": name}, BaseURL: id,
				NetworkEndpoint: id + "/network/v1", CatalogueEndpoint: id + "/network/v1/catalogue",
				LogEndpoint: id + "/api/v1/log", LogOrigin: strings.TrimPrefix(id, "http://") + "/log",
			},
			OrganizationName: name,
			AnchorID:         n.anchor.ID,
		},
		AnchorKeys: n.pinned,
		Keys: func(context.Context) ([]federation.Key, error) {
			m.mu.Lock()
			defer m.mu.Unlock()
			return append([]federation.Key(nil), m.keys...), nil
		},
	}
	return m
}

func (m *testMember) id() string { return m.srv.URL }

func (m *testMember) rotate(t *testing.T) federation.Key {
	t.Helper()
	k, err := federation.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	m.mu.Lock()
	m.keys = append([]federation.Key{k}, m.keys...)
	m.mu.Unlock()
	return k
}

// serveWith makes the member serve a configuration built from its own
// with change applied, signed with key.
func (m *testMember) serveWith(key federation.Key, change func(c *federation.Configuration)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.override = func() (string, error) {
		c := m.Config
		c.Keys = m.keys
		change(&c)
		return federation.EntityConfiguration(&c, key, time.Now())
	}
}

// serveMarked makes m serve its configuration with change applied and
// the trust mark the anchor issued it, signed with its key: a chain that
// fails only by what change does.
func (n *testNetwork) serveMarked(t *testing.T, m *testMember, change func(c *federation.Configuration)) {
	t.Helper()
	a, err := federation.FetchAnchor(context.Background(), http.DefaultClient, n.anchor.ID, n.pinned, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	tm, err := federation.FetchTrustMark(context.Background(), http.DefaultClient, a, m.id())
	if err != nil {
		t.Fatal(err)
	}
	m.serveWith(m.keys[0], func(c *federation.Configuration) {
		c.TrustMarks = []federation.TrustMarkRef{{Type: federation.MemberTrustMarkType(n.anchor.ID), TrustMark: tm}}
		change(c)
	})
}

// admit admits m at the anchor and lets m fetch its trust mark.
func (n *testNetwork) admit(t *testing.T, m *testMember) {
	t.Helper()
	ctx := context.Background()
	if _, err := n.anchor.Admit(ctx, m.id(), "joins the test network", "tester"); err != nil {
		t.Fatal(err)
	}
	if err := m.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestResolve(t *testing.T) {
	ctx := context.Background()
	n := newNetwork(t, 3)
	helsinki, espoo := n.newMember(t, "Helsinki"), n.newMember(t, "Espoo")
	// Helsinki is a witness (docs/witnessing.md §1); Espoo, of an older
	// version, is not, and is a member all the same.
	wkey := testWitnessKey(t, omadata.WitnessName(helsinki.id()))
	helsinki.Config.Metadata.LogVerifierKey = testLogKey(t, helsinki.Config.Metadata.LogOrigin)
	helsinki.Config.Metadata.WitnessEndpoint, helsinki.Config.Metadata.WitnessVerifierKey = helsinki.id()+"/witness/v1", wkey
	n.admit(t, helsinki)
	n.admit(t, espoo)
	r := n.resolver(3)
	before := time.Now()
	res, err := r.Resolve(ctx, helsinki.id())
	if err != nil {
		t.Fatal(err)
	}
	p := res.Peer
	if p.OperatorID != helsinki.id() || p.BaseURL != helsinki.id() || p.Name["fi"] != "Helsinki" || p.NetworkEndpoint != helsinki.id()+"/network/v1" {
		t.Errorf("peer = %+v", p)
	}
	if p.WitnessEndpoint != helsinki.id()+"/witness/v1" || p.WitnessVerifierKey != wkey {
		t.Errorf("witness = %q %q, want %q %q", p.WitnessEndpoint, p.WitnessVerifierKey, helsinki.id()+"/witness/v1", wkey)
	}
	if res, err := r.Resolve(ctx, espoo.id()); err != nil {
		t.Errorf("a member without a witness: %v", err)
	} else if res.Peer.WitnessEndpoint != "" || res.Peer.WitnessVerifierKey != "" {
		t.Errorf("Espoo's witness = %+v, want none", res.Peer)
	}
	if p.RulebookVersion != 3 {
		t.Errorf("rulebook version = %d, want 3", p.RulebookVersion)
	}
	if exp := p.ChainExpiresAt; exp.Before(before.Add(federation.DefaultLifetime-2*time.Second)) || exp.After(time.Now().Add(federation.DefaultLifetime)) {
		t.Errorf("chain expires at %s, want about an hour from now", exp)
	}
	if len(res.Keys.Keys) != 1 || res.Keys.Keys[0].KeyID != helsinki.keys[0].ID {
		t.Errorf("keys = %+v, want Helsinki's one key", res.Keys.Keys)
	}
	// The anchor lists its active members.
	resp, err := http.Get(n.anchor.ID + anchor.ListPath)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	_ = json.NewDecoder(resp.Body).Decode(&ids)
	resp.Body.Close()
	if len(ids) != 2 {
		t.Errorf("list = %v, want both members", ids)
	}
}

// testWitnessKey is a cosignature/v1 verifier key of a new key.
func testWitnessKey(t *testing.T, name string) string {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := witness.NewCosigner(name, priv)
	if err != nil {
		t.Fatal(err)
	}
	return c.VerifierKey()
}

// testLogKey is a signed-note Ed25519 verifier key of a new key.
func testLogKey(t *testing.T, name string) string {
	t.Helper()
	_, vkey, err := note.GenerateKey(nil, name)
	if err != nil {
		t.Fatal(err)
	}
	return vkey
}

// TestResolveRefusals: each broken link of the chain fails it, closed.
func TestResolveRefusals(t *testing.T) {
	ctx := context.Background()
	rogue, err := federation.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		setup func(t *testing.T, n *testNetwork, m *testMember)
		rule  int
	}{
		{"ExpiredLeafConfiguration", func(t *testing.T, n *testNetwork, m *testMember) {
			m.serveWith(m.keys[0], func(c *federation.Configuration) { c.Lifetime = -time.Minute })
		}, 1},
		{"ExpiredSubordinateStatement", func(t *testing.T, n *testNetwork, m *testMember) {
			n.setTamper(n.anchor.Keys[0], func(st *federation.Statement) { st.IssuedAt -= 7200; st.ExpiresAt = st.IssuedAt + 3600 })
		}, 1},
		{"WronglySignedSubordinateStatement", func(t *testing.T, n *testNetwork, m *testMember) {
			// A rogue key under the anchor's kid: the signature is bad.
			n.setTamper(federation.Key{ID: n.anchor.Keys[0].ID, Private: rogue.Private}, func(*federation.Statement) {})
		}, 1},
		{"SubordinateStatementAboutAnother", func(t *testing.T, n *testNetwork, m *testMember) {
			n.setTamper(n.anchor.Keys[0], func(st *federation.Statement) { st.Subject = "https://other.example" })
		}, 1},
		{"LeafSignedWithUnvouchedKey", func(t *testing.T, n *testNetwork, m *testMember) {
			// The leaf lists a new key in its own jwks and signs with it,
			// but the anchor vouches only for the old one.
			k := m.rotate(t)
			m.serveWith(k, func(*federation.Configuration) {})
		}, 1},
		{"LeafOwnJWKSWithoutSigningKey", func(t *testing.T, n *testNetwork, m *testMember) {
			// Signed with the key the anchor vouches for, but its own jwks
			// does not hold it: not self-signed (OIDF §10.2).
			other, err := federation.NewKey()
			if err != nil {
				t.Fatal(err)
			}
			a, err := federation.FetchAnchor(context.Background(), http.DefaultClient, n.anchor.ID, n.pinned, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			tm, err := federation.FetchTrustMark(context.Background(), http.DefaultClient, a, m.id())
			if err != nil {
				t.Fatal(err)
			}
			m.serveWith(m.keys[0], func(c *federation.Configuration) {
				c.Keys = []federation.Key{other}
				c.TrustMarks = []federation.TrustMarkRef{{Type: federation.MemberTrustMarkType(n.anchor.ID), TrustMark: tm}}
			})
		}, 1},
		{"LeafWithoutAuthorityHint", func(t *testing.T, n *testNetwork, m *testMember) {
			m.serveWith(m.keys[0], func(c *federation.Configuration) { c.AnchorID = "https://other-anchor.example" })
		}, 1},
		{"TrustMarkMissing", func(t *testing.T, n *testNetwork, m *testMember) {
			m.serveWith(m.keys[0], func(c *federation.Configuration) { c.TrustMarks = nil })
		}, 1},
		{"TrustMarkExpired", func(t *testing.T, n *testNetwork, m *testMember) {
			now := time.Now()
			tm, err := federation.IssueTrustMark(&federation.TrustMark{Issuer: n.anchor.ID, Subject: m.id(), Type: federation.MemberTrustMarkType(n.anchor.ID),
				IssuedAt: now.Add(-2 * time.Hour).Unix(), ExpiresAt: now.Add(-time.Hour).Unix(), RulebookVersion: 1}, n.anchor.Keys[0])
			if err != nil {
				t.Fatal(err)
			}
			m.serveWith(m.keys[0], func(c *federation.Configuration) {
				c.TrustMarks = []federation.TrustMarkRef{{Type: federation.MemberTrustMarkType(n.anchor.ID), TrustMark: tm}}
			})
		}, 1},
		{"TrustMarkSignedByMember", func(t *testing.T, n *testNetwork, m *testMember) {
			now := time.Now()
			tm, err := federation.IssueTrustMark(&federation.TrustMark{Issuer: n.anchor.ID, Subject: m.id(), Type: federation.MemberTrustMarkType(n.anchor.ID),
				IssuedAt: now.Unix(), ExpiresAt: now.Add(time.Hour).Unix(), RulebookVersion: 1}, m.keys[0])
			if err != nil {
				t.Fatal(err)
			}
			m.serveWith(m.keys[0], func(c *federation.Configuration) {
				c.TrustMarks = []federation.TrustMarkRef{{Type: federation.MemberTrustMarkType(n.anchor.ID), TrustMark: tm}}
			})
		}, 1},
		{"TrustMarkWrongRulebook", func(t *testing.T, n *testNetwork, m *testMember) {}, 2},
		{"PolicyViolation", func(t *testing.T, n *testNetwork, m *testMember) {
			n.setTamper(n.anchor.Keys[0], func(st *federation.Statement) {
				st.MetadataPolicy[federation.MetadataOperator]["log_origin"] = map[string]any{"one_of": []any{"other.example/log"}}
			})
		}, 1},
		{"CriticalPolicyOperatorUnknown", func(t *testing.T, n *testNetwork, m *testMember) {
			n.setTamper(n.anchor.Keys[0], func(st *federation.Statement) { st.MetadataPolicyCrit = []string{"regexp"} })
		}, 1},
		{"SubordinateKidNotThumbprint", func(t *testing.T, n *testNetwork, m *testMember) {
			// A second key under the member's kid (network.md §1).
			n.setTamper(n.anchor.Keys[0], func(st *federation.Statement) {
				k := rogue.Public()
				k.KeyID = m.keys[0].ID
				st.JWKS.Keys = append(st.JWKS.Keys, k)
			})
		}, 1},
		{"NetworkEndpointOffOrigin", func(t *testing.T, n *testNetwork, m *testMember) {
			n.serveMarked(t, m, func(c *federation.Configuration) { c.Metadata.NetworkEndpoint = "http://127.0.0.1:1/network/v1" })
		}, 1},
		{"LogEndpointOffOrigin", func(t *testing.T, n *testNetwork, m *testMember) {
			n.serveMarked(t, m, func(c *federation.Configuration) { c.Metadata.LogEndpoint = "https://internal.example/api/v1/log" })
		}, 1},
		{"WitnessEndpointOffOrigin", func(t *testing.T, n *testNetwork, m *testMember) {
			n.serveMarked(t, m, func(c *federation.Configuration) {
				c.Metadata.WitnessEndpoint, c.Metadata.WitnessVerifierKey = "https://witness.example/witness/v1", testWitnessKey(t, omadata.WitnessName(m.id()))
			})
		}, 1},
		{"WitnessVerifierKeyNotCosignature", func(t *testing.T, n *testNetwork, m *testMember) {
			// A signed-note Ed25519 key (algorithm 0x01), not cosignature/v1.
			n.serveMarked(t, m, func(c *federation.Configuration) {
				c.Metadata.WitnessEndpoint, c.Metadata.WitnessVerifierKey = m.id()+"/witness/v1", testLogKey(t, omadata.WitnessName(m.id()))
			})
		}, 1},
		// Names bound to the entity ID (docs/witnessing.md §1): a member
		// cannot claim another's log or witness.
		{"LogOriginOfAnother", func(t *testing.T, n *testNetwork, m *testMember) {
			n.serveMarked(t, m, func(c *federation.Configuration) {
				c.Metadata.LogOrigin, c.Metadata.LogVerifierKey = "espoo.example/log", testLogKey(t, "espoo.example/log")
			})
		}, 1},
		{"LogVerifierKeyOfAnotherName", func(t *testing.T, n *testNetwork, m *testMember) {
			n.serveMarked(t, m, func(c *federation.Configuration) { c.Metadata.LogVerifierKey = testLogKey(t, "espoo.example/log") })
		}, 1},
		{"WitnessVerifierKeyOfAnotherName", func(t *testing.T, n *testNetwork, m *testMember) {
			n.serveMarked(t, m, func(c *federation.Configuration) {
				c.Metadata.WitnessEndpoint, c.Metadata.WitnessVerifierKey = m.id()+"/witness/v1", testWitnessKey(t, "anchor.example/witness")
			})
		}, 1},
		{"WitnessEndpointWithoutKey", func(t *testing.T, n *testNetwork, m *testMember) {
			n.serveMarked(t, m, func(c *federation.Configuration) { c.Metadata.WitnessEndpoint = m.id() + "/witness/v1" })
		}, 1},
		{"LogOriginBidi", func(t *testing.T, n *testNetwork, m *testMember) {
			n.serveMarked(t, m, func(c *federation.Configuration) { c.Metadata.LogOrigin = "gol/\u202eexample" })
		}, 1},
		{"UnpinnedNameControlCharacter", func(t *testing.T, n *testNetwork, m *testMember) {
			n.setTamper(n.anchor.Keys[0], func(st *federation.Statement) { delete(st.MetadataPolicy[federation.MetadataOperator], "name") })
			n.serveMarked(t, m, func(c *federation.Configuration) { c.Metadata.Name = omadata.Text{"fi": "Helsinki\x07"} })
		}, 1},
		{"UnpinnedNameBidi", func(t *testing.T, n *testNetwork, m *testMember) {
			n.setTamper(n.anchor.Keys[0], func(st *federation.Statement) { delete(st.MetadataPolicy[federation.MetadataOperator], "name") })
			n.serveMarked(t, m, func(c *federation.Configuration) { c.Metadata.Name = omadata.Text{"fi": "\u202eiknisleH"} })
		}, 1},
		{"UnpinnedNameTooLong", func(t *testing.T, n *testNetwork, m *testMember) {
			n.setTamper(n.anchor.Keys[0], func(st *federation.Statement) { delete(st.MetadataPolicy[federation.MetadataOperator], "name") })
			n.serveMarked(t, m, func(c *federation.Configuration) { c.Metadata.Name = omadata.Text{"fi": strings.Repeat("H", 3000)} })
		}, 1},
		{"PolicyNamesAnotherOperator", func(t *testing.T, n *testNetwork, m *testMember) {
			n.setTamper(n.anchor.Keys[0], func(st *federation.Statement) {
				st.MetadataPolicy[federation.MetadataOperator]["operator_id"] = map[string]any{"value": "https://other.example"}
			})
		}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := newNetwork(t, 1)
			m := n.newMember(t, "Helsinki")
			n.admit(t, m)
			c.setup(t, n, m)
			_, err := n.resolver(c.rule).Resolve(ctx, m.id())
			var ce *federation.ChainError
			var pe *federation.PolicyError
			if !errors.As(err, &ce) && !errors.As(err, &pe) {
				t.Fatalf("Resolve = %v, want a chain or policy error", err)
			}
			if got := federation.Reason(err); got != "not_member" {
				t.Errorf("Reason = %q, want not_member", got)
			}
			t.Log(err)
		})
	}
}

// TestResolvePinsName: the anchor's subordinate statement pins the name
// it recorded at admission, so a member that calls itself another city
// is shown under its own name (network.md §2.2).
func TestResolvePinsName(t *testing.T) {
	ctx := context.Background()
	n := newNetwork(t, 1)
	m := n.newMember(t, "Helsinki")
	n.admit(t, m)
	m.Config.Metadata.Name = omadata.Text{"fi": "Espoon kaupunki", "sv": "Esbo stad", "en": "City of Espoo"}
	res, err := n.resolver(1).Resolve(ctx, m.id())
	if err != nil {
		t.Fatal(err)
	}
	if want := (omadata.Text{"fi": "Helsinki", "en": "Helsinki"}); !maps.Equal(res.Peer.Name, want) {
		t.Errorf("name = %v, want %v as admitted", res.Peer.Name, want)
	}
}

// TestResolveMembership: the anchor's 404 gives typed errors, and a
// cached chain is believed until it is dropped (network.md §2.4, §2.6).
func TestResolveMembership(t *testing.T) {
	ctx := context.Background()
	n := newNetwork(t, 1)
	m, stranger := n.newMember(t, "Helsinki"), n.newMember(t, "Stranger")
	n.admit(t, m)
	r := n.resolver(1)
	if _, err := r.Resolve(ctx, stranger.id()); !errors.Is(err, federation.ErrNotMember) || federation.Reason(err) != "not_member" {
		t.Errorf("never admitted: %v, want ErrNotMember", err)
	}
	if _, err := r.Resolve(ctx, m.id()); err != nil {
		t.Fatal(err)
	}
	if _, err := n.anchor.Suspend(ctx, m.id(), "unpaid fee", "tester"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Resolve(ctx, m.id()); err != nil {
		t.Errorf("cached chain before the event: %v, want it still believed", err)
	}
	if err := r.Drop(ctx, m.id()); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Resolve(ctx, m.id()); !errors.Is(err, federation.ErrSuspended) || federation.Reason(err) != "suspended_member" {
		t.Errorf("suspended: %v, want ErrSuspended", err)
	}
	if _, err := n.anchor.Remove(ctx, m.id(), "left the network", "tester"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Resolve(ctx, m.id()); !errors.Is(err, federation.ErrRemoved) || federation.Reason(err) != "removed_member" {
		t.Errorf("removed: %v, want ErrRemoved", err)
	}
	// No trust mark for a member that is not active.
	anchorCfg, err := federation.FetchAnchor(ctx, http.DefaultClient, n.anchor.ID, n.pinned, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := federation.FetchTrustMark(ctx, http.DefaultClient, anchorCfg, m.id()); err == nil {
		t.Error("trust mark of a removed member issued")
	}
	// Admitted again, it resolves again.
	n.admit(t, m)
	if _, err := r.Resolve(ctx, m.id()); err != nil {
		t.Errorf("admitted again: %v", err)
	}
	// An anchor that cannot be reached is unavailable, not a verdict.
	down := &federation.Resolver{AnchorID: "http://127.0.0.1:1", AnchorKeys: n.pinned, Rulebook: 1}
	if _, err := down.Resolve(ctx, m.id()); federation.Reason(err) != "unavailable" {
		t.Errorf("anchor down: %v, want unavailable", err)
	}
}

// TestRotation: a member's new key signs only once the anchor vouches for
// it, and the chain resolves at every step (network.md §2.5); the anchor
// rotates its own key without members changing their pinned key.
func TestRotation(t *testing.T) {
	ctx := context.Background()
	n := newNetwork(t, 1)
	m := n.newMember(t, "Helsinki")
	n.admit(t, m)
	resolve := func(step string) *federation.Resolved {
		t.Helper()
		res, err := n.resolver(1).Resolve(ctx, m.id())
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		return res
	}
	old := m.keys[0]
	resolve("before rotation")
	k := m.rotate(t)
	if err := m.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := m.SigningKey(ctx); got.ID != old.ID {
		t.Errorf("signs with %s before the anchor vouches for the new key, want the old %s", got.ID, old.ID)
	}
	resolve("rotated, anchor not refreshed")
	if err := n.anchor.Refresh(ctx, "anchor"); err != nil {
		t.Fatal(err)
	}
	res := resolve("anchor refreshed, member not yet")
	if len(res.Keys.Keys) != 2 {
		t.Errorf("the anchor vouches for %d keys, want 2", len(res.Keys.Keys))
	}
	if err := m.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := m.SigningKey(ctx); got.ID != k.ID {
		t.Errorf("signs with %s after the anchor vouches for the new key, want %s", got.ID, k.ID)
	}
	resolve("member signs with the new key")
	// The member drops its old key: the anchor follows on its next refresh.
	m.mu.Lock()
	m.keys = m.keys[:1]
	m.mu.Unlock()
	if err := n.anchor.Refresh(ctx, "anchor"); err != nil {
		t.Fatal(err)
	}
	if res := resolve("old key dropped"); len(res.Keys.Keys) != 1 || res.Keys.Keys[0].KeyID != k.ID {
		t.Errorf("keys after the old one was dropped: %+v", res.Keys.Keys)
	}
	entries, err := n.anchor.Audit(ctx, m.id())
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 3 || entries[0].Action != "admit" || entries[1].Action != "keys" || entries[2].Action != "keys" {
		t.Errorf("audit = %+v, want admit and two key changes", entries)
	}

	// The anchor rotates: its new key signs statements and trust marks,
	// its configuration is still signed with the pinned key.
	nk, err := federation.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	n.anchor.Keys = append([]federation.Key{nk}, n.anchor.Keys...)
	if err := m.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	resolve("anchor rotated")
	resp, err := http.Get(n.anchor.ID + anchor.FetchPath + "?sub=" + m.id())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	obj, err := jose.ParseSigned(string(b), []jose.SignatureAlgorithm{jose.EdDSA})
	if err != nil {
		t.Fatal(err)
	}
	if kid := obj.Signatures[0].Protected.KeyID; kid != nk.ID {
		t.Errorf("subordinate statement signed with %s, want the anchor's new key %s", kid, nk.ID)
	}
}

// TestResolveCriticalKnownOperator: a metadata_policy_crit naming only
// operators this package implements does not fail the chain.
func TestResolveCriticalKnownOperator(t *testing.T) {
	n := newNetwork(t, 1)
	m := n.newMember(t, "Helsinki")
	n.admit(t, m)
	n.setTamper(n.anchor.Keys[0], func(st *federation.Statement) { st.MetadataPolicyCrit = []string{"one_of", "essential"} })
	if _, err := n.resolver(1).Resolve(context.Background(), m.id()); err != nil {
		t.Errorf("Resolve = %v", err)
	}
}

// TestResolveDropDuringResolution: a member suspended, and its chain
// dropped, while a resolution is between the anchor's statement and its
// end is not trusted by that resolution: Resolve resolves again and
// returns the suspension (network.md §2.6).
func TestResolveDropDuringResolution(t *testing.T) {
	ctx := context.Background()
	n := newNetwork(t, 1)
	m := n.newMember(t, "Helsinki")
	n.admit(t, m)
	r := n.resolver(1)
	var once sync.Once
	n.setTamper(n.anchor.Keys[0], func(*federation.Statement) {
		once.Do(func() {
			if _, err := n.anchor.Suspend(ctx, m.id(), "unpaid fee", "tester"); err != nil {
				t.Error(err)
			}
			if err := r.Drop(ctx, m.id()); err != nil {
				t.Error(err)
			}
		})
	})
	if res, err := r.Resolve(ctx, m.id()); !errors.Is(err, federation.ErrSuspended) {
		t.Fatalf("Resolve = %+v, %v; want ErrSuspended", res, err)
	}
	if _, err := r.Cache.Get(ctx, m.id()); omadata.ErrorCode(err) != omadata.ENOTFOUND {
		t.Errorf("cached after the drop: %v", err)
	}
}

// brokenCache is a cache whose database is down.
type brokenCache struct{ federation.MemoryCache }

func (*brokenCache) Get(context.Context, string) (*federation.Resolved, error) {
	return nil, errors.New("database is down")
}

// TestResolveCacheDown: a failing cache is unavailable (503), never a
// verdict on membership.
func TestResolveCacheDown(t *testing.T) {
	n := newNetwork(t, 1)
	m := n.newMember(t, "Helsinki")
	n.admit(t, m)
	r := n.resolver(1)
	r.Cache = &brokenCache{}
	if _, err := r.Resolve(context.Background(), m.id()); !errors.Is(err, federation.ErrUnavailable) || federation.Reason(err) != "unavailable" {
		t.Errorf("Resolve with the cache down = %v, want unavailable", err)
	}
}

// TestNoRedirects: the federation client does not follow a redirect: the
// place it points to is never asked.
func TestNoRedirects(t *testing.T) {
	var hits sync.Map
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Store(r.URL.Path, true) }))
	t.Cleanup(target.Close)
	redirector := httptest.NewServer(http.RedirectHandler(target.URL+"/elsewhere", http.StatusFound))
	t.Cleanup(redirector.Close)
	key, err := federation.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	r := &federation.Resolver{AnchorID: redirector.URL, AnchorKeys: federation.KeySet(key), Rulebook: 1}
	_, err = r.Resolve(context.Background(), "http://127.0.0.1:1")
	if _, asked := hits.Load("/elsewhere"); asked {
		t.Error("the redirect was followed")
	}
	if federation.Reason(err) != "unavailable" {
		t.Errorf("Resolve = %v, want unavailable (a 302 is an unexpected status)", err)
	}
}

// TestTrustMarkEndpoint: a member fetches its trust mark where the
// anchor's entity configuration says, its federation_trust_mark_endpoint
// (OIDF §5.1.1, network.md §2.3), never at a guessed {anchor}/trust-mark;
// an anchor that advertises none gives it no trust mark.
func TestTrustMarkEndpoint(t *testing.T) {
	ctx := context.Background()
	n := newNetwork(t, 1)
	key := n.anchor.Keys[0]
	const moved = "/marks/issue"
	var advertise atomic.Bool
	advertise.Store(true)
	// A front that serves the anchor's trust mark endpoint at another
	// path, and its configuration re-signed to say so.
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case anchor.TrustMarkPath:
			http.NotFound(w, r)
		case moved:
			r.URL.Path = anchor.TrustMarkPath
			n.serve(w, r)
		case federation.WellKnownPath:
			rec := httptest.NewRecorder()
			n.serve(rec, r)
			var st federation.Statement
			if err := federation.Unverified(rec.Body.String(), &st); err != nil {
				t.Error(err)
				return
			}
			var fe map[string]string
			_ = json.Unmarshal(st.Metadata[federation.MetadataFederation], &fe)
			if fe["federation_trust_mark_endpoint"] != n.anchor.ID+anchor.TrustMarkPath {
				t.Errorf("the anchor advertises the trust mark endpoint %q, want %q", fe["federation_trust_mark_endpoint"], n.anchor.ID+anchor.TrustMarkPath)
			}
			delete(fe, "federation_trust_mark_endpoint")
			if advertise.Load() {
				fe["federation_trust_mark_endpoint"] = n.anchor.ID + moved
			}
			st.Metadata[federation.MetadataFederation], _ = json.Marshal(fe)
			jws, err := federation.Sign(&st, key)
			if err != nil {
				t.Error(err)
				return
			}
			w.Header().Set("Content-Type", federation.ContentTypeEntityStatement)
			_, _ = w.Write([]byte(jws))
		default:
			n.serve(w, r)
		}
	}))
	defer front.Close()
	n.anchor.ID = front.URL // the front is the anchor

	m := n.newMember(t, "Helsinki")
	n.admit(t, m) // Refresh fails unless it asks at the moved endpoint
	if _, err := n.resolver(1).Resolve(ctx, m.id()); err != nil {
		t.Errorf("resolve with the trust mark from the advertised endpoint: %v", err)
	}
	advertise.Store(false)
	if err := m.Refresh(ctx); err == nil || !strings.Contains(err.Error(), "federation_trust_mark_endpoint") {
		t.Errorf("refresh against an anchor that advertises no trust mark endpoint: %v, want an error naming federation_trust_mark_endpoint", err)
	}
}
