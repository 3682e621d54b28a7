// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
)

// newJKT returns the RFC 7638 thumbprint of a fresh Ed25519 key.
func newJKT(t *testing.T) string {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(nil)
	ok(t, err)
	jwk := jose.JSONWebKey{Key: pub}
	tp, err := jwk.Thumbprint(crypto.SHA256)
	ok(t, err)
	return base64.RawURLEncoding.EncodeToString(tp)
}

// grantInput asks, as the sink, for the loans of the resident named by psn.
func (f *decisionFixture) grantInput(t *testing.T, psn string) *omadata.GrantInput {
	return &omadata.GrantInput{SourceID: f.n.Source.ID, Pseudonym: psn, DataGroupIDs: []string{f.n.Loans.ID},
		PurposeID: f.n.Recommendations.ID, JKT: newJKT(t), ProofJTI: omadata.NewID("jti")}
}

// outbox returns the payloads of the events of a type sent to a service.
func outbox(t *testing.T, s *store.Store, serviceID, eventType string) []map[string]any {
	t.Helper()
	rows := must[[][]string](t)(s.DB().QueryStrings(context.Background(), `SELECT payload FROM outbox WHERE service_id = ? AND type = ? ORDER BY id`, serviceID, eventType))
	var out []map[string]any
	for _, r := range rows {
		var ce struct {
			Data map[string]any `json:"data"`
		}
		ok(t, json.Unmarshal([]byte(r[0]), &ce))
		out = append(out, ce.Data)
	}
	return out
}

func testGrantIssue(t *testing.T, s *store.Store) {
	f := newDecisionFixture(t, s)
	r, psn := f.resident(t)
	c := f.give(t, r.ID, f.n.Processing)
	sink := As(f.n.Sink.ID)
	in := f.grantInput(t, psn)
	g := must[*omadata.Grant](t)(s.IssueGrant(sink, in))
	if !g.Decision.Permit() || !strings.HasPrefix(g.ID, omadata.PrefixGrant+"_") || g.Token == "" {
		t.Fatalf("got %+v, want a permitted grant with a token", g)
	}
	if g.SinkID != f.n.Sink.ID || g.SourceID != f.n.Source.ID || g.ExpiresAt.Sub(g.IssuedAt) != omadata.GrantTTL {
		t.Fatalf("got %+v, want sink, source and a %v lifetime", g, omadata.GrantTTL)
	}
	wantDecision(t, s, g.Decision, "permit", "")

	// The token: EdDSA by the active records key, for the source, about
	// the source's pseudonym of the resident, bound to the key.
	tok, err := jwt.ParseSigned(g.Token, []jose.SignatureAlgorithm{jose.EdDSA})
	ok(t, err)
	h := tok.Headers[0]
	if typ := h.ExtraHeaders[jose.HeaderType]; typ != "JWT" {
		t.Fatalf("got typ %v, want JWT", typ)
	}
	var key jose.JSONWebKey
	for _, k := range must[[]*omadata.SigningKey](t)(s.FindSigningKeys(Admin())) {
		if k.ID == h.KeyID && k.Status == "active" {
			ok(t, key.UnmarshalJSON([]byte(k.PublicJWK)))
		}
	}
	if key.Key == nil {
		t.Fatalf("kid %q is not the active signing key", h.KeyID)
	}
	var std jwt.Claims
	var claims omadata.GrantClaims
	ok(t, tok.Claims(key.Key, &std, &claims))
	srcPsn := f.pseudonym(t, f.n.Source.ID, r.ID)
	switch {
	case std.Issuer == "", std.Subject != srcPsn, !slices.Equal(std.Audience, jwt.Audience{f.n.Source.ID}), std.ID != g.ID:
		t.Fatalf("got iss %q sub %q aud %v jti %q, want sub %s aud %s jti %s", std.Issuer, std.Subject, std.Audience, std.ID, srcPsn, f.n.Source.ID, g.ID)
	case *std.Expiry-*std.IssuedAt != jwt.NumericDate(omadata.GrantTTL/time.Second), *std.NotBefore != *std.IssuedAt:
		t.Fatalf("got iat %v nbf %v exp %v, want a five-minute window", *std.IssuedAt, *std.NotBefore, *std.Expiry)
	}
	want := omadata.GrantClaims{DataGroupIDs: []string{f.n.Loans.ID}, PurposeID: f.n.Recommendations.ID, ProcessingID: f.n.Processing.ID,
		ConsentID: c.ID, LegalBasis: omadata.BasisConsent, SinkID: f.n.Sink.ID, DecisionID: g.Decision.EvidenceID}
	want.Confirmation.JKT = in.JKT
	if b1, b2 := must[[]byte](t)(json.Marshal(claims)), must[[]byte](t)(json.Marshal(want)); string(b1) != string(b2) {
		t.Fatalf("got claims %s, want %s", b1, b2)
	}

	// The source hears of it, by its own pseudonym only.
	events := outbox(t, s, f.n.Source.ID, omadata.EventGrantIssued)
	if len(events) != 1 || events[0]["grant_id"] != g.ID || events[0]["pseudonym"] != srcPsn {
		t.Fatalf("got grant.issued events %v, want one with the source's pseudonym", events)
	}
	if b := must[[]byte](t)(json.Marshal(events)); strings.Contains(string(b), psn) || strings.Contains(string(b), r.ID) {
		t.Fatalf("the source's event names the sink's pseudonym or the resident ID: %s", b)
	}

	// A replayed DPoP proof is refused and changes nothing.
	decisions, grants := rowCount(t, s, "decisions"), rowCount(t, s, "grants")
	_, err = s.IssueGrant(sink, in)
	wantField(t, err, omadata.EINVALID, "DPoP")
	if rowCount(t, s, "decisions") != decisions || rowCount(t, s, "grants") != grants {
		t.Fatal("a replayed proof wrote rows")
	}
	in2 := *in
	in2.ProofJTI = omadata.NewID("jti")
	if g2 := must[*omadata.Grant](t)(s.IssueGrant(sink, &in2)); g2.ID == g.ID || g2.Token == "" {
		t.Fatalf("got %+v, want a second grant", g2)
	}

	// A deny has the decision and its evidence, and no grant.
	_, other := f.resident(t)
	grants = rowCount(t, s, "grants")
	d := must[*omadata.Grant](t)(s.IssueGrant(sink, f.grantInput(t, other)))
	if d.ID != "" || d.Token != "" || !d.IssuedAt.IsZero() {
		t.Fatalf("got %+v, want no grant on deny", d)
	}
	wantDecision(t, s, d.Decision, "deny", omadata.DenyNoConsent)
	if rowCount(t, s, "grants") != grants {
		t.Fatal("a deny stored a grant")
	}

	refused := []struct {
		name        string
		ctx         context.Context
		edit        func(in *omadata.GrantInput)
		code, field string
	}{
		{"without the grants scope", omadata.NewContextWithCaller(context.Background(), omadata.Caller{Kind: omadata.CallerService, ServiceID: f.n.Sink.ID,
			Scopes: []string{omadata.ScopeDecisions, omadata.ScopeTransfers}}), nil, omadata.EFORBIDDEN, ""},
		{"an admin", Admin(), nil, omadata.EFORBIDDEN, ""},
		{"a resident", AsResident(r.ID), nil, omadata.EFORBIDDEN, ""},
		{"no key", sink, func(in *omadata.GrantInput) { in.JKT = "" }, omadata.EINVALID, "DPoP"},
		{"bad key", sink, func(in *omadata.GrantInput) { in.JKT = strings.Repeat("!", 43) }, omadata.EINVALID, "DPoP"},
		{"no source", sink, func(in *omadata.GrantInput) { in.SourceID = "" }, omadata.EINVALID, "source_id"},
		{"bad purpose", sink, func(in *omadata.GrantInput) { in.PurposeID = "pur_x" }, omadata.EINVALID, "purpose_id"},
	}
	decisions = rowCount(t, s, "decisions")
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			in := f.grantInput(t, psn)
			if tt.edit != nil {
				tt.edit(in)
			}
			_, err := s.IssueGrant(tt.ctx, in)
			wantField(t, err, tt.code, tt.field)
		})
	}
	if rowCount(t, s, "decisions") != decisions {
		t.Fatal("refused grant requests wrote evidence")
	}
}

func testGrantStatusAndTransfer(t *testing.T, s *store.Store) {
	f := newDecisionFixture(t, s)
	r, psn := f.resident(t)
	c := f.give(t, r.ID, f.n.Processing)
	sink, source := As(f.n.Sink.ID), As(f.n.Source.ID)
	g := must[*omadata.Grant](t)(s.IssueGrant(sink, f.grantInput(t, psn)))
	third := CreateService(t, s, f.n.City.ID, true, omadata.RoleSource, omadata.RoleSink)
	scoped := func(svc string, scopes ...string) context.Context {
		return omadata.NewContextWithCaller(context.Background(), omadata.Caller{Kind: omadata.CallerService, ServiceID: svc, Scopes: scopes})
	}
	wantStatus := func(t *testing.T, active bool, reason string) {
		t.Helper()
		decisions := rowCount(t, s, "decisions")
		st := must[*omadata.GrantStatus](t)(s.GrantStatus(source, g.ID))
		if st.Active != active || st.Reason != reason {
			t.Fatalf("got %+v, want active %v reason %q", st, active, reason)
		}
		if rowCount(t, s, "decisions") != decisions {
			t.Fatal("a status check wrote evidence")
		}
	}

	wantStatus(t, true, "")
	if st := must[*omadata.GrantStatus](t)(s.GrantStatus(scoped(f.n.Sink.ID, omadata.ScopeGrants), g.ID)); !st.Active {
		t.Fatalf("the sink got %+v, want active", st)
	}
	for name, ctx := range map[string]context.Context{
		"a third service":                As(third.ID),
		"the source without transfers":   scoped(f.n.Source.ID, omadata.ScopeGrants, omadata.ScopeDecisions),
		"the sink without grants":        scoped(f.n.Sink.ID, omadata.ScopeTransfers),
		"an admin":                       Admin(),
		"the resident":                   AsResident(r.ID),
		"a source asking a bad grant ID": source,
	} {
		t.Run("status by "+name, func(t *testing.T) {
			id := g.ID
			if strings.Contains(name, "bad") {
				id = "grt_nope"
			}
			_, err := s.GrantStatus(ctx, id)
			wantCode(t, err, omadata.ENOTFOUND)
		})
	}

	// The source records a release; the sink hears of it by its pseudonym.
	in := &omadata.TransferInput{GrantID: g.ID, DataGroupIDs: []string{f.n.Loans.ID}, XRoadID: "FI/GOV/0201256-6/loans/1234", XRoadRequestHash: "c2hhMjU2"}
	tr := must[*omadata.Transfer](t)(s.RecordTransfer(source, in))
	if !strings.HasPrefix(tr.ID, omadata.PrefixTransfer+"_") || tr.GrantID != g.ID || tr.DecisionID != g.Decision.EvidenceID ||
		tr.SinkID != f.n.Sink.ID || tr.SourceID != f.n.Source.ID || !slices.Equal(tr.DataGroupIDs, in.DataGroupIDs) {
		t.Fatalf("got %+v, want the transfer under %s", tr, g.ID)
	}
	events := outbox(t, s, f.n.Sink.ID, omadata.EventReleaseRecorded)
	if len(events) != 1 || events[0]["transfer_id"] != tr.ID || events[0]["pseudonym"] != psn {
		t.Fatalf("got release.recorded events %v, want one with the sink's pseudonym", events)
	}

	refused := []struct {
		name        string
		ctx         context.Context
		in          omadata.TransferInput
		code, field string
	}{
		{"data group outside the grant", source, omadata.TransferInput{GrantID: g.ID, DataGroupIDs: []string{f.n.Health.ID}}, omadata.EINVALID, "data_group_ids"},
		{"no data groups", source, omadata.TransferInput{GrantID: g.ID}, omadata.EINVALID, "data_group_ids"},
		{"bad grant ID", source, omadata.TransferInput{GrantID: "grt_1", DataGroupIDs: in.DataGroupIDs}, omadata.EINVALID, "grant_id"},
		{"unknown grant", source, omadata.TransferInput{GrantID: omadata.NewID(omadata.PrefixGrant), DataGroupIDs: in.DataGroupIDs}, omadata.ENOTFOUND, ""},
		{"control characters", source, omadata.TransferInput{GrantID: g.ID, DataGroupIDs: in.DataGroupIDs, XRoadID: "a\x00b"}, omadata.EINVALID, "x_road_id"},
		{"by the sink", sink, *in, omadata.EFORBIDDEN, ""},
		{"by a third service", As(third.ID), *in, omadata.ENOTFOUND, ""},
		{"without transfers", scoped(f.n.Source.ID, omadata.ScopeDecisions), *in, omadata.EFORBIDDEN, ""},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			before := rowCount(t, s, "transfers")
			_, err := s.RecordTransfer(tt.ctx, &tt.in)
			wantField(t, err, tt.code, tt.field)
			if rowCount(t, s, "transfers") != before {
				t.Fatal("a refused transfer was recorded")
			}
		})
	}

	// A withdrawal makes the unexpired grant inactive at once.
	must[*omadata.Consent](t)(s.ChangeConsent(AsResident(r.ID), c.ID, omadata.ConsentWithdrawn, ""))
	wantStatus(t, false, omadata.DenyConsentWithdrawn)
	_, err := s.RecordTransfer(source, in)
	wantField(t, err, omadata.ECONFLICT, "grant_id")
	// A new consent is a new ground: the old grant stays inactive.
	f.give(t, r.ID, f.n.Processing)
	wantStatus(t, false, omadata.GrantGroundChanged)

	g = must[*omadata.Grant](t)(s.IssueGrant(sink, f.grantInput(t, psn)))
	wantStatus(t, true, "")
	ok(t, s.DB().Exec(context.Background(), `UPDATE grants SET revoked_at = ? WHERE id = ?`, time.Now().UTC(), g.ID))
	wantStatus(t, false, omadata.GrantRevoked)

	g = must[*omadata.Grant](t)(s.IssueGrant(sink, f.grantInput(t, psn)))
	fixedClock(s, g.ExpiresAt)
	wantStatus(t, false, omadata.GrantExpired)
	_, err = s.RecordTransfer(source, &omadata.TransferInput{GrantID: g.ID, DataGroupIDs: in.DataGroupIDs})
	wantField(t, err, omadata.ECONFLICT, "grant_id")
}
