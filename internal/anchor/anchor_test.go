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
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

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
			Metadata: omadata.OperatorMetadata{OperatorID: m.srv.URL, BaseURL: m.srv.URL, NetworkEndpoint: m.srv.URL + "/network/v1"},
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
