// SPDX-License-Identifier: Apache-2.0

package anchor_test

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
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
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/anchor"
	"github.com/omadata/omadata/internal/federation"
)

// openDBs returns the anchor's database on SQLite and, when
// OMADATA_TEST_POSTGRES_DSN is set, on PostgreSQL in a schema of its own.
func openDBs(t *testing.T) map[string]func(t *testing.T) *anchor.DB {
	dbs := map[string]func(t *testing.T) *anchor.DB{
		"SQLite": func(t *testing.T) *anchor.DB {
			db, err := anchor.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "anchor.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		},
	}
	if dsn := os.Getenv("OMADATA_TEST_POSTGRES_DSN"); dsn != "" {
		dbs["Postgres"] = func(t *testing.T) *anchor.DB {
			admin, err := sql.Open("pgx", dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer admin.Close()
			schema := fmt.Sprintf("anchor_test_%d", time.Now().UnixNano())
			if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if a, err := sql.Open("pgx", dsn); err == nil {
					_, _ = a.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
					a.Close()
				}
			})
			sep := "?"
			if strings.Contains(dsn, "?") {
				sep = "&"
			}
			db, err := anchor.Open(context.Background(), dsn+sep+"search_path="+schema)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		}
	}
	return dbs
}

// member is an operator's configuration served by federation.Member, with
// a federation-events endpoint that verifies the test signature.
type member struct {
	*federation.Member
	srv    *httptest.Server
	mu     sync.Mutex
	keys   []federation.Key
	events []federation.MemberEvent
}

func newMember(t *testing.T, anchorID string, anchorPub ed25519.PublicKey) *member {
	k, err := federation.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	m := &member{keys: []federation.Key{k}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /network/v1/federation-events", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sig, err := base64.StdEncoding.DecodeString(r.Header.Get("Test-Signature"))
		if err != nil || !ed25519.Verify(anchorPub, body, sig) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var ev federation.MemberEvent
		if err := json.Unmarshal(body, &ev); err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		m.mu.Lock()
		m.events = append(m.events, ev)
		m.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	m.srv = httptest.NewServer(mux)
	t.Cleanup(m.srv.Close)
	m.Member = &federation.Member{
		Config: federation.Configuration{
			Metadata: omadata.OperatorMetadata{OperatorID: m.srv.URL, Name: omadata.Text{"fi": "Kaupunki " + m.srv.URL}, BaseURL: m.srv.URL, NetworkEndpoint: m.srv.URL + "/network/v1"},
			AnchorID: anchorID,
		},
		Keys: func(context.Context) ([]federation.Key, error) {
			m.mu.Lock()
			defer m.mu.Unlock()
			return append([]federation.Key(nil), m.keys...), nil
		},
	}
	mux.Handle("GET "+federation.WellKnownPath, m.Member)
	return m
}

// testSign stands in for the RFC 9421 signer of internal/network: a real
// Ed25519 signature of the body with the anchor's key, which the member
// verifies.
func testSign(req *http.Request, body []byte, key federation.Key, keyID string) error {
	if !strings.HasSuffix(keyID, "#"+key.ID) {
		return fmt.Errorf("keyid %q does not name the key", keyID)
	}
	req.Header.Set("Test-Signature", base64.StdEncoding.EncodeToString(ed25519.Sign(key.Private, body)))
	return nil
}

func TestAnchor(t *testing.T) {
	for name, open := range openDBs(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			key, err := federation.NewKey()
			if err != nil {
				t.Fatal(err)
			}
			a := &anchor.Anchor{Name: "Test", Rulebook: 1, DB: open(t), Keys: []federation.Key{key}, Sign: testSign}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { a.Handler().ServeHTTP(w, r) }))
			defer srv.Close()
			a.ID = srv.URL
			pub := key.Private.Public().(ed25519.PublicKey)
			h, e := newMember(t, a.ID, pub), newMember(t, a.ID, pub)

			// Admission checks the configuration is self-signed: one
			// signed with a key it does not list is refused.
			rogue, _ := federation.NewKey()
			var bogus *httptest.Server
			bogus = httptest.NewServer(federation.Handler(func(context.Context) (string, error) {
				return federation.EntityConfiguration(&federation.Configuration{
					Metadata: omadata.OperatorMetadata{OperatorID: bogus.URL, BaseURL: bogus.URL, NetworkEndpoint: bogus.URL + "/network/v1"},
					AnchorID: a.ID, Keys: e.keys,
				}, rogue, time.Now())
			}))
			defer bogus.Close()
			if _, err := a.Admit(ctx, bogus.URL, "joins", "registrar"); err == nil {
				t.Error("admitted an entity whose configuration its own keys do not verify")
			}
			for _, bad := range []struct{ id, reason, by, field string }{
				{"http://helsinki.example", "x", "y", "entity_id"},
				{h.srv.URL, " ", "y", "reason"},
				{h.srv.URL, "x", "", "by"},
			} {
				if _, err := a.Admit(ctx, bad.id, bad.reason, bad.by); omadata.ErrorField(err) != bad.field {
					t.Errorf("Admit(%q, %q, %q) = %v, want refused naming %s", bad.id, bad.reason, bad.by, err, bad.field)
				}
			}
			if ms, err := a.Members(ctx); err != nil || len(ms) != 0 {
				t.Fatalf("members after refused admissions: %v, %v", ms, err)
			}
			for _, m := range []*member{h, e} {
				if _, err := a.Admit(ctx, m.srv.URL, "signed the agreement", "registrar"); err != nil {
					t.Fatal(err)
				}
			}

			// Events reach every active member, signed.
			res, err := a.Notify(ctx, h.srv.URL, omadata.MemberSuspended)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range res {
				if r.Err != nil {
					t.Errorf("event to %s: %v", r.EntityID, r.Err)
				}
			}
			if len(res) != 2 || len(e.events) != 1 || e.events[0] != (federation.MemberEvent{Subject: h.srv.URL, Status: "suspended"}) {
				t.Errorf("results %v, Espoo got %v", res, e.events)
			}
			unsigned := *a
			unsigned.Sign = nil
			if res, _ := unsigned.Notify(ctx, h.srv.URL, "active"); len(res) != 2 || res[0].Err != anchor.ErrNoSigner {
				t.Errorf("without a signer: %v", res)
			}

			// The fetch endpoint: 400 without sub, 404 with the status.
			for q, want := range map[string]string{"": "400 ", "?sub=" + h.srv.URL + "&sub=x": "400 ", "?sub=https://never.example": `404 {"error":"not_found","error_description":"Not a member of this network."}`} {
				resp, err := http.Get(a.ID + anchor.FetchPath + q)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if got := fmt.Sprintf("%d %s", resp.StatusCode, strings.TrimSpace(string(b))); !strings.HasPrefix(got, want) {
					t.Errorf("fetch%s = %s, want %s", q, got, want)
				}
			}
			if _, err := a.Suspend(ctx, h.srv.URL, "unpaid fee", "registrar"); err != nil {
				t.Fatal(err)
			}
			resp, err := http.Get(a.ID + anchor.FetchPath + "?sub=" + h.srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			var st federation.MemberStatusResponse
			_ = json.NewDecoder(resp.Body).Decode(&st)
			resp.Body.Close()
			if resp.StatusCode != 404 || st.MemberStatus != "suspended" || st.Error != "not_found" {
				t.Errorf("fetch of a suspended member: %d %+v", resp.StatusCode, st)
			}

			// A member that rotated and dropped its old key before the
			// anchor refreshed cannot prove the new key: refused, kept.
			old := e.keys[0]
			nk, _ := federation.NewKey()
			e.mu.Lock()
			e.keys = []federation.Key{nk}
			e.mu.Unlock()
			if err := a.Refresh(ctx, "anchor"); err == nil {
				t.Error("refresh took keys signed by a key the anchor does not hold")
			}
			if m, err := a.FindMember(ctx, e.srv.URL); err != nil || len(m.JWKS.Keys) != 1 || m.JWKS.Keys[0].KeyID != old.ID {
				t.Errorf("held keys after a refused refresh: %+v, %v", m, err)
			}

			entries, err := a.Audit(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, en := range entries {
				got = append(got, en.Action+" "+en.Actor+" "+en.Reason)
			}
			want := []string{"admit registrar signed the agreement", "admit registrar signed the agreement", "suspend registrar unpaid fee"}
			if strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("audit = %q, want %q", got, want)
			}
		})
	}
}

func TestLoadKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "anchor.key")
	keys, err := anchor.LoadKeys(path)
	if err != nil || len(keys) != 1 {
		t.Fatalf("LoadKeys = %v, %v", keys, err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v, %v", fi, err)
	}
	again, err := anchor.LoadKeys(path)
	if err != nil || again[0].ID != keys[0].ID {
		t.Fatalf("LoadKeys again = %v, %v; want the same key", again, err)
	}
	rotated, err := anchor.RotateKeys(path)
	if err != nil || len(rotated) != 2 || rotated[1].ID != keys[0].ID {
		t.Fatalf("RotateKeys = %v, %v", rotated, err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := anchor.LoadKeys(path); err == nil {
		t.Error("a key file others can read was accepted")
	}
}

// newAnchor is an anchor on SQLite behind an httptest server.
func newAnchor(t *testing.T) (*anchor.Anchor, ed25519.PublicKey) {
	t.Helper()
	db, err := anchor.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "anchor.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	key, err := federation.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	a := &anchor.Anchor{Name: "Test", Rulebook: 1, DB: db, Keys: []federation.Key{key}, Sign: testSign}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { a.Handler().ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	a.ID = srv.URL
	return a, key.Private.Public().(ed25519.PublicKey)
}

// policyOf fetches the anchor's subordinate statement about sub and
// returns its omadata_operator policy.
func policyOf(t *testing.T, a *anchor.Anchor, sub string) federation.Policy {
	t.Helper()
	jws, _, err := a.Subordinate(context.Background(), sub)
	if err != nil {
		t.Fatal(err)
	}
	st, err := federation.Verify(jws, federation.KeySet(a.Keys...), a.ID, sub, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return st.MetadataPolicy[federation.MetadataOperator]
}

// TestAdmitName: the anchor records the member's name at admission (as
// declared, or as the admin corrects it) and pins it with every URL's
// origin checked; a name or URL that breaks the text rule or leaves the
// entity's origin is refused, naming the field, and changes nothing
// (network.md §2.2, §2.7).
func TestAdmitName(t *testing.T) {
	ctx := context.Background()
	a, pub := newAnchor(t)
	m := newMember(t, a.ID, pub)
	id := m.srv.URL
	for field, change := range map[string]func(md *omadata.OperatorMetadata){
		"name.fi":            func(md *omadata.OperatorMetadata) { md.Name = omadata.Text{"fi": "Helsinki\u202e"} },
		"name.en":            func(md *omadata.OperatorMetadata) { md.Name = omadata.Text{"en": "City\x07"} },
		"name.sv":            func(md *omadata.OperatorMetadata) { md.Name = omadata.Text{"sv": strings.Repeat("H", 3000)} },
		"name":               func(md *omadata.OperatorMetadata) { md.Name = nil },
		"log_origin":         func(md *omadata.OperatorMetadata) { md.LogOrigin = "log\x1b[31m" },
		"network_endpoint":   func(md *omadata.OperatorMetadata) { md.NetworkEndpoint = "http://127.0.0.1:1/network/v1" },
		"catalogue_endpoint": func(md *omadata.OperatorMetadata) { md.CatalogueEndpoint = "https://metadata.internal/catalogue" },
		"log_endpoint":       func(md *omadata.OperatorMetadata) { md.LogEndpoint = "http://169.254.169.254/latest" },
	} {
		good := m.Config.Metadata
		change(&m.Config.Metadata)
		_, err := a.Admit(ctx, id, "joins", "registrar")
		m.Config.Metadata = good
		if omadata.ErrorCode(err) != omadata.EINVALID || omadata.ErrorField(err) != field {
			t.Errorf("admit with a bad %s: %v, want refused naming it", field, err)
		}
	}
	if _, err := a.AdmitNamed(ctx, id, omadata.Text{"fi": "Espoo\u202e"}, "joins", "registrar"); omadata.ErrorField(err) != "name.fi" {
		t.Errorf("admit with a bad name given: %v, want refused naming name.fi", err)
	}
	if ms, err := a.Members(ctx); err != nil || len(ms) != 0 {
		t.Fatalf("members after refused admissions: %v, %v", ms, err)
	}

	// Admitted under its declared name, which the statement pins.
	got, err := a.Admit(ctx, id, "joins", "registrar")
	if err != nil {
		t.Fatal(err)
	}
	if got.Name["fi"] != "Kaupunki "+id {
		t.Errorf("recorded name %v", got.Name)
	}
	p := policyOf(t, a, id)
	if v, _ := p["name"]["value"].(map[string]any); v["fi"] != "Kaupunki "+id || len(v) != 1 {
		t.Errorf("policy of name = %v, want the recorded name pinned", p["name"])
	}
	if p["operator_id"]["value"] != id || p["base_url"]["value"] != id {
		t.Errorf("policy = %v", p)
	}
	// The member renames itself: the refresh keeps the recorded name.
	m.Config.Metadata.Name = omadata.Text{"fi": "Espoon kaupunki"}
	if err := a.Refresh(ctx, "anchor"); err != nil {
		t.Fatal(err)
	}
	if v, _ := policyOf(t, a, id)["name"]["value"].(map[string]any); v["fi"] != "Kaupunki "+id {
		t.Errorf("after the member renamed itself, the pinned name is %v", v)
	}
	// The admin corrects it by admitting again with --name-*.
	fixed := omadata.Text{"fi": "Helsingin kaupunki", "sv": "Helsingfors stad", "en": "City of Helsinki"}
	if got, err := a.AdmitNamed(ctx, id, fixed, "name corrected", "registrar"); err != nil || !maps.Equal(got.Name, fixed) {
		t.Fatalf("corrected: %+v, %v", got, err)
	}
	if v, _ := policyOf(t, a, id)["name"]["value"].(map[string]any); v["sv"] != "Helsingfors stad" || v["en"] != "City of Helsinki" {
		t.Errorf("pinned name after the correction: %v", v)
	}
}

// statementMember serves an entity configuration built by build and
// signed with sign.
func statementMember(t *testing.T, build func(id string) (*federation.Statement, federation.Key)) *httptest.Server {
	var srv *httptest.Server
	srv = httptest.NewServer(federation.Handler(func(context.Context) (string, error) {
		st, key := build(srv.URL)
		return federation.Sign(st, key)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func configuration(id string, anchorID string, keys ...jose.JSONWebKey) *federation.Statement {
	md, _ := json.Marshal(omadata.OperatorMetadata{OperatorID: id, Name: omadata.Text{"fi": "Testi"}, BaseURL: id, NetworkEndpoint: id + "/network/v1"})
	now := time.Now()
	return &federation.Statement{
		Issuer: id, Subject: id, IssuedAt: now.Unix(), ExpiresAt: now.Add(time.Hour).Unix(),
		JWKS: &jose.JSONWebKeySet{Keys: keys}, AuthorityHints: []string{anchorID},
		Metadata: map[string]json.RawMessage{federation.MetadataOperator: md},
	}
}

// TestAdmitKids: a key set whose kid is not the key's RFC 7638
// thumbprint, or that lists a kid twice, is refused at admission and at
// refresh (network.md §1): the anchor never vouches for a key under
// another member's kid.
func TestAdmitKids(t *testing.T) {
	ctx := context.Background()
	a, _ := newAnchor(t)
	k, _ := federation.NewKey()
	other, _ := federation.NewKey()
	renamed := k.Public()
	renamed.KeyID = other.ID // a kid that is another key's thumbprint
	signWithKid := federation.Key{ID: other.ID, Private: k.Private}
	wrong := statementMember(t, func(id string) (*federation.Statement, federation.Key) {
		return configuration(id, a.ID, renamed), signWithKid
	})
	if _, err := a.Admit(ctx, wrong.URL, "joins", "registrar"); omadata.ErrorField(err) != "jwks" {
		t.Errorf("admit with a kid that is not the thumbprint: %v, want refused naming jwks", err)
	}
	twice := statementMember(t, func(id string) (*federation.Statement, federation.Key) {
		return configuration(id, a.ID, k.Public(), k.Public()), k
	})
	if _, err := a.Admit(ctx, twice.URL, "joins", "registrar"); omadata.ErrorField(err) != "jwks" {
		t.Errorf("admit with a kid twice: %v, want refused naming jwks", err)
	}

	// A member admitted with its one key later lists a second key under
	// Espoo's kid, signed with the key the anchor holds: the refresh
	// refuses it and keeps the held key.
	espoo, _ := federation.NewKey()
	var mu sync.Mutex
	keys := []jose.JSONWebKey{k.Public()}
	srv := statementMember(t, func(id string) (*federation.Statement, federation.Key) {
		mu.Lock()
		defer mu.Unlock()
		return configuration(id, a.ID, keys...), k
	})
	if _, err := a.Admit(ctx, srv.URL, "joins", "registrar"); err != nil {
		t.Fatal(err)
	}
	rogue, _ := federation.NewKey()
	under := rogue.Public()
	under.KeyID = espoo.ID
	mu.Lock()
	keys = append(keys, under)
	mu.Unlock()
	if err := a.Refresh(ctx, "anchor"); err == nil {
		t.Error("refresh took a key under another key's kid")
	}
	if m, err := a.FindMember(ctx, srv.URL); err != nil || len(m.JWKS.Keys) != 1 || m.JWKS.Keys[0].KeyID != k.ID {
		t.Errorf("held keys after the refused refresh: %+v, %v", m, err)
	}
}

// TestNotifySuspended: the anchor tells suspended members too, not
// removed ones (network.md §2.6).
func TestNotifySuspended(t *testing.T) {
	ctx := context.Background()
	a, pub := newAnchor(t)
	h, e, tu := newMember(t, a.ID, pub), newMember(t, a.ID, pub), newMember(t, a.ID, pub)
	for _, m := range []*member{h, e, tu} {
		if _, err := a.Admit(ctx, m.srv.URL, "joins", "registrar"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.Suspend(ctx, h.srv.URL, "unpaid fee", "registrar"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Remove(ctx, tu.srv.URL, "left", "registrar"); err != nil {
		t.Fatal(err)
	}
	res, err := a.Notify(ctx, e.srv.URL, omadata.MemberRemoved)
	if err != nil {
		t.Fatal(err)
	}
	var told []string
	for _, r := range res {
		if r.Err != nil {
			t.Errorf("event to %s: %v", r.EntityID, r.Err)
		}
		told = append(told, r.EntityID)
	}
	slices.Sort(told)
	want := []string{h.srv.URL, e.srv.URL}
	slices.Sort(want)
	if !slices.Equal(told, want) {
		t.Errorf("told %v, want the suspended and the active member %v", told, want)
	}
	if len(h.events) != 1 || len(tu.events) != 0 {
		t.Errorf("suspended got %v, removed got %v", h.events, tu.events)
	}
}

// TestOpenBesideServe: an admin command opens the anchor's SQLite file
// while the serving anchor holds a write transaction; with the schema in
// place it only reads, and does not wait for the writer (network.md §2.7).
func TestOpenBesideServe(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "anchor #1%.db")
	served, err := anchor.Open(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer served.Close()
	if err := served.SaveSettings(ctx, anchor.Settings{ID: "https://anchor.example", Name: "Test", Rulebook: 1}); err != nil {
		t.Fatal(err)
	}
	hold, err := served.BeginForTest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Rollback()
	octx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	start := time.Now()
	admin, err := anchor.Open(octx, "sqlite:"+path)
	if err != nil {
		t.Fatalf("open beside a writer: %v", err)
	}
	defer admin.Close()
	if d := time.Since(start); d > time.Second {
		t.Errorf("open beside a writer took %s", d)
	}
	if s, err := admin.LoadSettings(ctx); err != nil || s.ID != "https://anchor.example" {
		t.Errorf("settings read by the second process: %+v, %v", s, err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("the database is not at its path: %v", err)
	}
}
