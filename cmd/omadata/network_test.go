// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/anchor"
	"github.com/omadata/omadata/internal/federation"
	"github.com/omadata/omadata/internal/network"
)

// TestNetworkAnchor runs `omadata network anchor serve` and changes its
// members with the admin subcommands, against an operator's entity
// configuration served by federation.Member; another operator's resolver
// follows each change.
func TestNetworkAnchor(t *testing.T) {
	if anchorEventSigner == nil {
		// Until the serve wiring sets it: internal/network's signer, as
		// that wiring does.
		anchorEventSigner = func(req *http.Request, body []byte, key federation.Key, keyID string) error {
			return network.Sign(req, body, strings.TrimSuffix(keyID, "#"+key.ID), key.ID, key.Private, time.Now())
		}
		defer func() { anchorEventSigner = nil }()
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tmp := t.TempDir()
	db := filepath.Join(tmp, "anchor.db")
	ready := make(chan net.Addr, 1)
	var serveOut, serveErr bytes.Buffer
	m := &Main{Stdout: &serveOut, Stderr: &serveErr, LookupEnv: noEnv, Ready: func(a net.Addr) { ready <- a }}
	done := make(chan error, 1)
	go func() {
		done <- m.Run(ctx, []string{"network", "anchor", "serve", "--listen", "127.0.0.1:0", "--db", db, "--rulebook", "2", "--name", "Test network", "--refresh", "1s"})
	}()
	var anchorID string
	select {
	case a := <-ready:
		anchorID = "http://" + a.String()
	case err := <-done:
		t.Fatalf("anchor serve: %v\n%s", err, serveErr.String())
	case <-time.After(10 * time.Second):
		t.Fatal("anchor serve did not start")
	}
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("anchor serve: %v", err)
		}
	}()
	if fi, err := os.Stat(db + ".key"); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v; want mode 600", fi, err)
	}

	// The anchor's key, as the operators are configured with it: read
	// from its published configuration here.
	var anchorCfg federation.Statement
	raw := httpGet(t, anchorID+federation.WellKnownPath)
	if err := federation.Unverified(raw, &anchorCfg); err != nil {
		t.Fatal(err)
	}
	pinned := anchorCfg.JWKS

	turku := newCLIMember(t, anchorID, pinned, "Turku")
	espoo := newCLIMember(t, anchorID, pinned, "Espoo")
	srv, key, member := turku.srv, turku.key, turku.member
	resolver := func() *federation.Resolver {
		return &federation.Resolver{AnchorID: anchorID, AnchorKeys: pinned, Rulebook: 2}
	}

	run := func(args ...string) (string, error) {
		t.Helper()
		var out, errOut bytes.Buffer
		m := &Main{Stdout: &out, Stderr: &errOut, LookupEnv: noEnv}
		err := m.Run(context.Background(), append([]string{"network", "anchor"}, args...))
		return out.String(), err
	}
	if _, err := resolver().Resolve(ctx, srv.URL); !errors.Is(err, federation.ErrNotMember) {
		t.Fatalf("before admission: %v, want not a member", err)
	}
	out, err := run("admit", "--db", db, "--reason", "signed the constitutive agreement", "--by", "registrar", srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, srv.URL+" is active.") || !strings.Contains(out, "  "+key.ID+"\n") {
		t.Errorf("admit printed:\n%s\nwant the member active and its key's thumbprint %s", out, key.ID)
	}
	if !strings.Contains(out, "Told 1 of 1 members (active or suspended).") {
		t.Errorf("admit printed:\n%s\nwant the one member told", out)
	}
	if err := member.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "Its name, pinned") || !strings.Contains(out, "  fi: Turku\n") {
		t.Errorf("admit printed:\n%s\nwant the recorded name", out)
	}
	// The admin corrects a name with --name-*: it is pinned in the
	// anchor's statement, whatever Espoo's configuration says.
	if _, err := run("admit", "--db", db, "--reason", "x", "--by", "registrar", "--name-fi", "Espoo\u202e", espoo.srv.URL); omadata.ErrorField(err) != "name.fi" {
		t.Errorf("admit with a bidi override in the name: %v, want refused naming name.fi", err)
	}
	if out, err := run("admit", "--db", db, "--reason", "signed the constitutive agreement", "--by", "registrar",
		"--name-fi", "Espoon kaupunki", "--name-sv", "Esbo stad", "--name-en", "City of Espoo", espoo.srv.URL); err != nil || !strings.Contains(out, "Told 2 of 2") ||
		!strings.Contains(out, "  fi: Espoon kaupunki\n  sv: Esbo stad\n  en: City of Espoo\n") {
		t.Fatalf("admit Espoo: %v\n%s", err, out)
	}
	if err := espoo.member.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if res, err := resolver().Resolve(ctx, espoo.srv.URL); err != nil || res.Peer.Name["sv"] != "Esbo stad" || res.Peer.Name["fi"] != "Espoon kaupunki" {
		t.Errorf("Espoo resolved as %+v, %v; want the name the admin gave", res, err)
	}
	res, err := resolver().Resolve(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if res.Peer.RulebookVersion != 2 || res.Peer.Name["fi"] != "Turku" {
		t.Errorf("resolved %+v", res.Peer)
	}
	out, err = run("list", "--db", db)
	if err != nil || !strings.Contains(out, srv.URL+"  active  "+key.ID) || !strings.Contains(out, "Espoon kaupunki\n") {
		t.Errorf("list: %v\n%s", err, out)
	}
	if _, err := run("suspend", "--db", db, "--by", "registrar", srv.URL); omadata.ErrorField(err) != "reason" {
		t.Errorf("suspend without a reason: %v, want refused naming reason", err)
	}
	if _, err := run("suspend", "--db", db, "--reason", "breach of the rulebook", "--by", "registrar", srv.URL); err != nil {
		t.Fatal(err)
	}
	if _, err := resolver().Resolve(ctx, srv.URL); !errors.Is(err, federation.ErrSuspended) {
		t.Errorf("suspended: %v", err)
	}
	// Each member was told, with the anchor's RFC 9421 signature: Turku
	// of its own admission, Espoo's and its own suspension (a suspended
	// member is told too, network.md §2.6), Espoo of its own and of
	// Turku's suspension.
	want := []federation.MemberEvent{{Subject: srv.URL, Status: "active"}, {Subject: espoo.srv.URL, Status: "active"}, {Subject: srv.URL, Status: "suspended"}}
	if got := turku.received(); !slices.Equal(got, want) {
		t.Errorf("Turku received %v, want %v", got, want)
	}
	want = []federation.MemberEvent{{Subject: espoo.srv.URL, Status: "active"}, {Subject: srv.URL, Status: "suspended"}}
	if got := espoo.received(); !slices.Equal(got, want) {
		t.Errorf("Espoo received %v, want %v", got, want)
	}
	// Key rotation: `refresh` takes Espoo's new key at once, and serve's
	// own refresh (every second here) the next one.
	k2 := espoo.rotate(t)
	if _, err := run("refresh", "--db", db, "--by", "registrar"); err != nil {
		t.Fatal(err)
	}
	if out, _ := run("list", "--db", db); !strings.Contains(out, k2.ID) {
		t.Errorf("after refresh, list:\n%s\nwant Espoo's new key %s", out, k2.ID)
	}
	k3 := espoo.rotate(t)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if out, _ := run("list", "--db", db); strings.Contains(out, k3.ID) {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("serve did not refresh Espoo's keys:\n%s", out)
		}
	}
	if err := espoo.member.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if k, _, err := espoo.member.SigningKey(ctx); err != nil || k.ID != k3.ID {
		t.Errorf("Espoo signs with %s, %v; want its newest key %s", k.ID, err, k3.ID)
	}
	if _, err := resolver().Resolve(ctx, espoo.srv.URL); err != nil {
		t.Errorf("Espoo after two rotations: %v", err)
	}

	if _, err := run("remove", "--db", db, "--reason", "left", "--by", "registrar", srv.URL); err != nil {
		t.Fatal(err)
	}
	if _, err := resolver().Resolve(ctx, srv.URL); !errors.Is(err, federation.ErrRemoved) {
		t.Errorf("removed: %v", err)
	}
	if _, err := run("suspend", "--db", db, "--reason", "x", "--by", "registrar", "https://never.example"); omadata.ErrorCode(err) != omadata.ENOTFOUND {
		t.Errorf("suspend a stranger: %v, want not found", err)
	}
	out, err = run("list", "--db", db)
	if err != nil || !strings.Contains(out, srv.URL+"  removed") {
		t.Errorf("list after removal: %v\n%s", err, out)
	}
	out, err = run("audit", "--db", db, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
		f := strings.Fields(l)
		actions = append(actions, f[1]+" "+f[2])
	}
	if want := []string{"registrar admit", "registrar suspend", "registrar remove"}; !slices.Equal(actions, want) {
		t.Errorf("audit of Turku:\n%s\nwant %v", out, want)
	}
	if out, err := run("audit", "--db", db); err != nil || !strings.Contains(out, "  anchor     keys     "+espoo.srv.URL) {
		t.Errorf("audit of all: %v\n%s\nwant serve's key refresh", err, out)
	}

	// The anchor's own key rotation is audited with the thumbprints.
	if _, err := run("rotate-key", "--db", db, "--by", "registrar"); err != nil {
		t.Fatal(err)
	}
	keys, err := anchor.LoadKeys(db + ".key")
	if err != nil || len(keys) != 2 {
		t.Fatalf("keys after rotate-key: %v, %v", keys, err)
	}
	out, err = run("audit", "--db", db, anchorID)
	if err != nil || !strings.Contains(out, "registrar  rotate_key") || !strings.Contains(out, "new "+keys[0].ID+"; published "+keys[0].ID+" "+keys[1].ID) {
		t.Errorf("audit of the anchor after rotate-key: %v\n%s", err, out)
	}
}

// cliMember is an operator for the anchor commands: its configuration
// through federation.Member, and a federation-events endpoint that
// verifies the anchor's RFC 9421 signature with internal/network's
// verifier and the anchor's keys.
type cliMember struct {
	srv    *httptest.Server
	key    federation.Key
	keys   []federation.Key // newest first
	member *federation.Member
	mu     sync.Mutex
	events []federation.MemberEvent
}

func newCLIMember(t *testing.T, anchorID string, pinned *jose.JSONWebKeySet, name string) *cliMember {
	t.Helper()
	key, err := federation.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	c := &cliMember{key: key, keys: []federation.Key{key}}
	c.member = &federation.Member{AnchorKeys: pinned, Keys: func(context.Context) ([]federation.Key, error) {
		c.mu.Lock()
		defer c.mu.Unlock()
		return slices.Clone(c.keys), nil
	}}
	mux := http.NewServeMux()
	mux.Handle("GET "+federation.WellKnownPath, c.member)
	mux.HandleFunc("POST /network/v1/federation-events", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		v := &network.Verifier{OperatorID: c.srv.URL, Keys: anchorKeys{anchorID, pinned}, Replay: &nonces{}}
		if _, err := v.Verify(r, body); err != nil {
			t.Errorf("%s: event refused: %v", name, err)
			http.Error(w, "refused", http.StatusUnauthorized)
			return
		}
		var ev federation.MemberEvent
		if err := json.Unmarshal(body, &ev); err != nil {
			t.Error(err)
		}
		c.mu.Lock()
		c.events = append(c.events, ev)
		c.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	c.srv = httptest.NewServer(mux)
	t.Cleanup(c.srv.Close)
	c.member.Config = federation.Configuration{
		Metadata: omadata.OperatorMetadata{OperatorID: c.srv.URL, Name: omadata.Text{"fi": name}, BaseURL: c.srv.URL, NetworkEndpoint: c.srv.URL + "/network/v1"},
		AnchorID: anchorID, OrganizationName: name,
	}
	return c
}

func (c *cliMember) rotate(t *testing.T) federation.Key {
	t.Helper()
	k, err := federation.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	c.keys = append([]federation.Key{k}, c.keys...)
	c.mu.Unlock()
	return k
}

func (c *cliMember) received() []federation.MemberEvent {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.events)
}

// anchorKeys gives the anchor's keys for its own calls (the events).
type anchorKeys struct {
	id   string
	keys *jose.JSONWebKeySet
}

func (k anchorKeys) CallerKeys(ctx context.Context, id string) (jose.JSONWebKeySet, error) {
	if id != k.id {
		return jose.JSONWebKeySet{}, network.Refuse(network.ReasonNotMember, "not the anchor")
	}
	return *k.keys, nil
}

type nonces struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (n *nonces) UseOnce(ctx context.Context, scope, nonce string, until time.Time) (bool, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.seen == nil {
		n.seen = map[string]bool{}
	}
	if n.seen[scope+" "+nonce] {
		return false, nil
	}
	n.seen[scope+" "+nonce] = true
	return true, nil
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(resp.Body); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestNetworkAnchorKeys runs "omadata network anchor keys": it prints
// the public JWK set members pin (docs/network.md §12.4), every key of
// the anchor, which federation.ParseJWKS accepts and which verifies the
// anchor's entity configuration; "serve" prints every key ID with what
// it signs. Without a key file "keys" fails and makes none.
func TestNetworkAnchorKeys(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db := filepath.Join(t.TempDir(), "anchor.db")
	run := func(args ...string) (string, error) {
		t.Helper()
		var out, errOut bytes.Buffer
		m := &Main{Stdout: &out, Stderr: &errOut, LookupEnv: noEnv}
		err := m.Run(context.Background(), append([]string{"network", "anchor"}, args...))
		return out.String(), err
	}
	if out, err := run("keys", "--db", db); err == nil {
		t.Fatalf("keys without a key file: printed\n%s\nwant an error", out)
	} else if _, err := os.Stat(db + ".key"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("keys made a key file: %v", err)
	}
	// Two keys: the first made, then a rotation.
	if _, err := run("rotate-key", "--db", db, "--by", "registrar"); err != nil {
		t.Fatal(err)
	}
	out, err := run("keys", "--db", db)
	if err != nil {
		t.Fatal(err)
	}
	set, err := federation.ParseJWKS([]byte(out))
	if err != nil {
		t.Fatalf("keys printed\n%s\nnot a JWK set of federation keys: %v", out, err)
	} else if len(set.Keys) != 2 {
		t.Fatalf("keys printed %d keys, want 2:\n%s", len(set.Keys), out)
	}
	for _, k := range set.Keys {
		if !k.IsPublic() {
			t.Fatalf("keys printed a private key:\n%s", out)
		}
	}
	newest, oldest := set.Keys[0].KeyID, set.Keys[1].KeyID

	ready := make(chan net.Addr, 1)
	var serveOut syncBuffer
	m := &Main{Stdout: &serveOut, Stderr: io.Discard, LookupEnv: noEnv, Ready: func(a net.Addr) { ready <- a }}
	done := make(chan error, 1)
	go func() {
		done <- m.Run(ctx, []string{"network", "anchor", "serve", "--listen", "127.0.0.1:0", "--db", db})
	}()
	var anchorID string
	select {
	case a := <-ready:
		anchorID = "http://" + a.String()
	case err := <-done:
		t.Fatalf("anchor serve: %v", err)
	}
	defer func() { cancel(); <-done }()
	printed := serveOut.String()
	if !strings.Contains(printed, "  "+newest+"  signs subordinate statements and trust marks\n") ||
		!strings.Contains(printed, "  "+oldest+"  signs the entity configuration\n") {
		t.Errorf("serve printed\n%s\nwant both keys, %s signing statements and %s the configuration", printed, newest, oldest)
	}
	// The printed set verifies the configuration, signed with the oldest
	// key; the newest key alone does not.
	if _, err := federation.FetchAnchor(ctx, http.DefaultClient, anchorID, set, time.Now()); err != nil {
		t.Errorf("the configuration with the printed keys: %v", err)
	}
	onlyNewest := &jose.JSONWebKeySet{Keys: set.Keys[:1]}
	if _, err := federation.FetchAnchor(ctx, http.DefaultClient, anchorID, onlyNewest, time.Now()); err == nil {
		t.Error("the configuration verified with the newest key alone; it is signed with the oldest")
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader in two
// goroutines.
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
