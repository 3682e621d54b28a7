// SPDX-License-Identifier: Apache-2.0

package client_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/client"
	"github.com/omadata/omadata/internal/store"
	"github.com/omadata/omadata/internal/store/storetest"
	"github.com/omadata/omadata/internal/web"
)

// operator is a real omadata server on a fresh SQLite store, seeded with
// the storetest network, a resident who consents, and credentials.
type operator struct {
	url   string
	store *store.Store
	n     *storetest.Network

	resident            *omadata.Resident
	consent             *omadata.Consent
	sinkPseudonym       string
	sinkToken, srcToken string
	source2             *omadata.Service
	src2Token           string
	research            *omadata.Processing
}

func newOperator(t *testing.T, opts ...func(*store.Store, *web.Options)) *operator {
	t.Helper()
	st := storetest.OpenURL(t, "sqlite:"+filepath.Join(t.TempDir(), "omadata.db"))
	var h http.Handler
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(hs.Close)
	wo := web.Options{
		Organisations: st, Services: st, Credentials: st, DataGroups: st, Purposes: st, Processings: st, AISystems: st,
		Catalogue: st, SigningKeys: st, Residents: st, Representations: st, Consents: st, Decisions: st, Grants: st, Webhooks: st, Log: st, Usage: st, Requests: st,
		Apps: st, AppTokens: st,
		Operator: web.OperatorInfo{ID: "https://omadata.test", Name: "Test City", BusinessID: "0201256-6", Email: "mydata@example.fi", PublicURL: hs.URL},
	}
	for _, f := range opts {
		f(st, &wo)
	}
	h = web.New(wo)

	o := &operator{url: hs.URL, store: st, n: storetest.CreateNetwork(t, st)}
	admin := storetest.Admin()
	o.resident = storetest.CreateResident(t, st, storetest.AdultCode)
	var err error
	if o.sinkPseudonym, err = st.Pseudonym(admin, o.n.Sink.ID, o.resident.ID); err != nil {
		t.Fatal(err)
	}
	if o.consent, err = st.GiveConsent(storetest.AsResident(o.resident.ID), &omadata.ConsentInput{
		ProcessingID: o.n.Processing.ID, Version: 1, Language: "fi",
	}); err != nil {
		t.Fatal(err)
	}
	o.sinkToken = credential(t, st, o.n.Sink.ID, omadata.ScopeDecisions, omadata.ScopeGrants)
	o.srcToken = credential(t, st, o.n.Source.ID, omadata.ScopeTransfers)

	// A second source, whose data the sink processes on a public task.
	o.source2 = storetest.CreateService(t, st, o.n.City.ID, true, omadata.RoleSource)
	meals := storetest.CreateDataGroup(t, st, o.source2.ID, "school-meals", false)
	o.src2Token = credential(t, st, o.source2.ID, omadata.ScopeTransfers)
	d := storetest.NewDraft(o.n.Sink.ID, "meal-research", storetest.Purpose(t, st, "research").ID, meals.ID)
	d.LegalBasis, d.LegalBasisNote = omadata.BasisPublicTask, "Statistics Act 280/2004"
	p, err := st.CreateProcessing(admin, d)
	if err != nil {
		t.Fatal(err)
	}
	storetest.PutNotices(t, st, p.ID, 1)
	if _, err := st.ApproveVersion(admin, p.ID, 1); err != nil { // a public task: the operator approves it first
		t.Fatal(err)
	}
	if _, err := st.PublishVersion(admin, p.ID, 1); err != nil {
		t.Fatal(err)
	}
	o.research = p
	return o
}

func credential(t *testing.T, st *store.Store, serviceID string, scopes ...string) string {
	t.Helper()
	c := &omadata.Credential{ServiceID: serviceID, Name: "test", Scopes: scopes}
	if err := st.CreateCredential(storetest.Admin(), c); err != nil {
		t.Fatal(err)
	}
	return c.Token
}

// newSource is a source's data API protected by a Verifier: it answers a
// verified request with the data and reports the transfer.
func newSource(t *testing.T, operatorURL, sourceID, token string) *httptest.Server {
	t.Helper()
	c := client.New(operatorURL, token)
	v := client.NewVerifier(operatorURL, sourceID, c)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g, err := v.VerifyRequest(r.Context(), r)
		var e *client.Error
		if errors.As(err, &e) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(e.Status)
			json.NewEncoder(w).Encode(map[string]string{"code": e.Code, "reason": e.Reason, "message": e.Message})
			return
		} else if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		if _, err := c.ReportTransfer(r.Context(), &omadata.TransferInput{GrantID: g.GrantID, DataGroupIDs: g.DataGroupIDs}); err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"resident": g.Pseudonym, "loans": []string{"Seitsemän veljestä"}})
	}))
	t.Cleanup(hs.Close)
	return hs
}

// fetch sends r and returns its status and the JSON body's reason.
func fetch(t *testing.T, r *http.Request) (int, string) {
	t.Helper()
	res, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var body struct {
		Reason  string `json:"reason"`
		Message string `json:"message"`
	}
	json.Unmarshal(b, &body)
	if res.StatusCode != http.StatusOK {
		t.Logf("%s %s: %d %s", r.Method, r.URL, res.StatusCode, b)
	}
	return res.StatusCode, body.Reason
}

func transfers(t *testing.T, st *store.Store) int {
	t.Helper()
	rows, err := st.DB().QueryStrings(context.Background(), `SELECT COUNT(*) FROM transfers`)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]int{"0": 0, "1": 1, "2": 2, "3": 3}[rows[0][0]]
}

// TestEndToEnd runs a release the way sinks and sources do it: the sink
// decides and obtains a grant bound to its own key, calls the source,
// which verifies and reports; then the resident withdraws, and the same
// unexpired grant is refused on the next call.
func TestEndToEnd(t *testing.T) {
	o := newOperator(t)
	ctx := context.Background()
	src := newSource(t, o.url, o.n.Source.ID, o.srcToken)
	sink := client.New(o.url, o.sinkToken)
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	q := &omadata.DecisionInput{SourceID: o.n.Source.ID, Pseudonym: o.sinkPseudonym, DataGroupIDs: []string{o.n.Loans.ID}, PurposeID: o.n.Recommendations.ID}

	d, err := sink.Decide(ctx, q)
	if err != nil || !d.Permit() || d.Ground.ConsentID != o.consent.ID {
		t.Fatalf("got %+v, %v; want a permit on consent %s", d, err, o.consent.ID)
	}
	ds, err := sink.DecideBatch(ctx, []*omadata.DecisionInput{q, q})
	if err != nil || len(ds) != 2 || !ds[1].Permit() {
		t.Fatalf("got %+v, %v; want two permits", ds, err)
	}

	g, err := sink.RequestGrant(ctx, &omadata.GrantInput{SourceID: q.SourceID, Pseudonym: q.Pseudonym, DataGroupIDs: q.DataGroupIDs, PurposeID: q.PurposeID}, key)
	if err != nil || g.Token == "" || !g.Decision.Permit() {
		t.Fatalf("got %+v, %v; want a grant with a token", g, err)
	}

	req, err := sink.DPoPRequest(ctx, "GET", src.URL+"/loans?since=2020", nil, g, key)
	if err != nil {
		t.Fatal(err)
	}
	if status, _ := fetch(t, req); status != http.StatusOK {
		t.Fatalf("first fetch: got status %d, want 200", status)
	}
	if n := transfers(t, o.store); n != 1 {
		t.Fatalf("got %d transfers, want 1", n)
	}

	t.Run("replayed proof", func(t *testing.T) {
		again, _ := http.NewRequest("GET", src.URL+"/loans?since=2020", nil)
		again.Header = req.Header.Clone()
		if status, _ := fetch(t, again); status != http.StatusUnauthorized {
			t.Fatalf("got status %d, want 401", status)
		}
	})
	t.Run("proof by another key", func(t *testing.T) {
		_, other, _ := ed25519.GenerateKey(rand.Reader)
		r, _ := sink.DPoPRequest(ctx, "GET", src.URL+"/loans", nil, g, other)
		if status, _ := fetch(t, r); status != http.StatusUnauthorized {
			t.Fatalf("got status %d, want 401", status)
		}
	})
	t.Run("proof for another URL", func(t *testing.T) {
		r, _ := sink.DPoPRequest(ctx, "GET", src.URL+"/other", nil, g, key)
		r.URL.Path = "/loans"
		if status, _ := fetch(t, r); status != http.StatusUnauthorized {
			t.Fatalf("got status %d, want 401", status)
		}
	})
	t.Run("proof for another method", func(t *testing.T) {
		r, _ := sink.DPoPRequest(ctx, "POST", src.URL+"/loans", nil, g, key)
		r.Method = "GET"
		if status, _ := fetch(t, r); status != http.StatusUnauthorized {
			t.Fatalf("got status %d, want 401", status)
		}
	})
	t.Run("proof without ath of this token", func(t *testing.T) {
		proof, _ := client.DPoPProof(key, "GET", src.URL+"/loans", "another token")
		r, _ := http.NewRequest("GET", src.URL+"/loans", nil)
		r.Header.Set("Authorization", "DPoP "+g.Token)
		r.Header.Set("DPoP", proof)
		if status, _ := fetch(t, r); status != http.StatusUnauthorized {
			t.Fatalf("got status %d, want 401", status)
		}
	})
	t.Run("grant as a bearer token", func(t *testing.T) {
		r, _ := sink.DPoPRequest(ctx, "GET", src.URL+"/loans", nil, g, key)
		r.Header.Set("Authorization", "Bearer "+g.Token)
		if status, _ := fetch(t, r); status != http.StatusUnauthorized {
			t.Fatalf("got status %d, want 401", status)
		}
	})
	t.Run("tampered grant", func(t *testing.T) {
		// The same header and signature over claims naming more data.
		parts := strings.Split(g.Token, ".")
		claims, err := base64.RawURLEncoding.DecodeString(parts[1])
		if err != nil {
			t.Fatal(err)
		}
		more := strings.Replace(string(claims), `"data_group_ids":[`, `"data_group_ids":["`+o.n.Health.ID+`",`, 1)
		forged := *g
		forged.Token = parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(more)) + "." + parts[2]
		r, _ := sink.DPoPRequest(ctx, "GET", src.URL+"/loans", nil, &forged, key)
		if status, _ := fetch(t, r); status != http.StatusUnauthorized {
			t.Fatalf("got status %d, want 401", status)
		}
	})
	t.Run("grant for another source", func(t *testing.T) {
		meals := o.research.Versions[0].DataGroupIDs
		p, err := o.store.Pseudonym(storetest.Admin(), o.n.Sink.ID, o.resident.ID)
		if err != nil {
			t.Fatal(err)
		}
		other, err := sink.RequestGrant(ctx, &omadata.GrantInput{SourceID: o.source2.ID, Pseudonym: p, DataGroupIDs: meals,
			PurposeID: o.research.Versions[0].PurposeID}, key)
		if err != nil || other.Token == "" || other.Decision.Ground.Kind != "legal_basis" {
			t.Fatalf("got %+v, %v; want a grant on a legal basis", other, err)
		}
		r, _ := sink.DPoPRequest(ctx, "GET", src.URL+"/loans", nil, other, key)
		if status, _ := fetch(t, r); status != http.StatusUnauthorized {
			t.Fatalf("got status %d, want 401", status)
		}
		// The right source takes it.
		src2 := newSource(t, o.url, o.source2.ID, o.src2Token)
		r, _ = sink.DPoPRequest(ctx, "GET", src2.URL+"/meals", nil, other, key)
		if status, _ := fetch(t, r); status != http.StatusOK {
			t.Fatalf("got status %d, want 200 from the grant's own source", status)
		}
	})
	t.Run("ES256 key", func(t *testing.T) {
		ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		g2, err := sink.RequestGrant(ctx, &omadata.GrantInput{SourceID: q.SourceID, Pseudonym: q.Pseudonym, DataGroupIDs: q.DataGroupIDs, PurposeID: q.PurposeID}, ec)
		if err != nil || g2.Token == "" {
			t.Fatalf("got %+v, %v; want a grant", g2, err)
		}
		r, _ := sink.DPoPRequest(ctx, "GET", src.URL+"/loans", nil, g2, ec)
		if status, _ := fetch(t, r); status != http.StatusOK {
			t.Fatalf("got status %d, want 200", status)
		}
	})
	t.Run("operator refuses the status check", func(t *testing.T) {
		// A source credential without transfers cannot check grants: the
		// source answers 503, never the operator's 403.
		blind := newSource(t, o.url, o.n.Source.ID, credential(t, o.store, o.n.Source.ID, omadata.ScopeDecisions))
		r, _ := sink.DPoPRequest(ctx, "GET", blind.URL+"/loans", nil, g, key)
		if status, _ := fetch(t, r); status != http.StatusServiceUnavailable {
			t.Fatalf("got status %d, want 503", status)
		}
	})
	before := transfers(t, o.store)

	// The resident withdraws; the grant has not expired, yet the very next
	// call is refused, and no transfer is recorded.
	if _, err := o.store.ChangeConsent(storetest.AsResident(o.resident.ID), o.consent.ID, omadata.ConsentWithdrawn, ""); err != nil {
		t.Fatal(err)
	}
	req, _ = sink.DPoPRequest(ctx, "GET", src.URL+"/loans", nil, g, key)
	if status, reason := fetch(t, req); status != http.StatusForbidden || reason != omadata.DenyConsentWithdrawn {
		t.Fatalf("after withdrawal: got status %d reason %q, want 403 %s", status, reason, omadata.DenyConsentWithdrawn)
	}
	if n := transfers(t, o.store); n != before {
		t.Fatalf("got %d transfers, want %d", n, before)
	}
	d, err = sink.Decide(ctx, q)
	if err != nil || d.Permit() || d.Reason != omadata.DenyConsentWithdrawn {
		t.Fatalf("got %+v, %v; want a deny", d, err)
	}
	g, err = sink.RequestGrant(ctx, &omadata.GrantInput{SourceID: q.SourceID, Pseudonym: q.Pseudonym, DataGroupIDs: q.DataGroupIDs, PurposeID: q.PurposeID}, key)
	if err != nil || g.Token != "" || g.Decision.Reason != omadata.DenyConsentWithdrawn {
		t.Fatalf("got %+v, %v; want a denied grant without a token", g, err)
	}
}

// TestErrors checks that API errors come back typed, with code and field.
func TestErrors(t *testing.T) {
	o := newOperator(t)
	ctx := context.Background()
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	tests := []struct {
		name        string
		call        func() error
		status      int
		code, field string
	}{
		{"invalid question", func() error {
			_, err := client.New(o.url, o.sinkToken).Decide(ctx, &omadata.DecisionInput{SourceID: o.n.Source.ID, Pseudonym: o.sinkPseudonym})
			return err
		}, 400, omadata.EINVALID, "data_group_ids"},
		{"bad token", func() error {
			_, err := client.New(o.url, "oma_svc_nope").Decide(ctx, &omadata.DecisionInput{})
			return err
		}, 401, omadata.EUNAUTHORIZED, ""},
		{"missing scope", func() error {
			_, err := client.New(o.url, o.srcToken).Decide(ctx, &omadata.DecisionInput{})
			return err
		}, 403, omadata.EFORBIDDEN, ""},
		{"unknown grant", func() error {
			_, err := client.New(o.url, o.srcToken).GrantStatus(ctx, omadata.NewID(omadata.PrefixGrant))
			return err
		}, 404, omadata.ENOTFOUND, ""},
		{"grant with a stale proof", func() error {
			stale := client.New(o.url, o.sinkToken, client.WithClock(func() time.Time { return time.Now().Add(-5 * time.Minute) }))
			_, err := stale.RequestGrant(ctx, &omadata.GrantInput{SourceID: o.n.Source.ID, Pseudonym: o.sinkPseudonym,
				DataGroupIDs: []string{o.n.Loans.ID}, PurposeID: o.n.Recommendations.ID}, key)
			return err
		}, 400, omadata.EINVALID, "DPoP"},
		{"grant through another URL", func() error {
			other := client.New(strings.Replace(o.url, "127.0.0.1", "localhost", 1), o.sinkToken)
			_, err := other.RequestGrant(ctx, &omadata.GrantInput{SourceID: o.n.Source.ID, Pseudonym: o.sinkPseudonym,
				DataGroupIDs: []string{o.n.Loans.ID}, PurposeID: o.n.Recommendations.ID}, key)
			return err
		}, 400, omadata.EINVALID, "DPoP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			var e *client.Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v, want a *client.Error", err)
			}
			if e.Status != tt.status || e.Code != tt.code || e.Field != tt.field || client.ErrorCode(err) != tt.code {
				t.Fatalf("got %d %s field %q, want %d %s field %q", e.Status, e.Code, e.Field, tt.status, tt.code, tt.field)
			}
		})
	}
}
