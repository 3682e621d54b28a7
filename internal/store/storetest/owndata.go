// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
)

// ownGroupIDs returns the IDs of the groups FindOwnDataGroups lists.
func ownGroupIDs(groups []*omadata.OwnDataGroup) []string {
	var out []string
	for _, g := range groups {
		out = append(out, g.DataGroup.ID)
	}
	return out
}

// testOwnDataGroups: a resident sees the groups of the sources that know
// them, a guardian their child's, a mandate holder the groups the
// mandate's purposes use; anyone else finds nothing.
func testOwnDataGroups(t *testing.T, s *store.Store) {
	f := newDecisionFixture(t, s)
	code := ChildBornOn(time.Date(1983, 2, 3, 0, 0, 0, 0, time.UTC))
	r := CreateResident(t, s, code)
	f.pseudonym(t, f.n.Source.ID, r.ID) // the library has linked them; source2 has not
	// The catalogue says why the library holds the loans.
	bad, basis := "A6-1-x", omadata.BasisPublicTask
	_, err := s.UpdateDataGroup(Admin(), f.n.Loans.ID, omadata.DataGroupUpdate{LegalBasis: &bad})
	wantField(t, err, omadata.EINVALID, "legal_basis")
	if g := must[*omadata.DataGroup](t)(s.UpdateDataGroup(Admin(), f.n.Loans.ID, omadata.DataGroupUpdate{LegalBasis: &basis})); g.LegalBasis != basis {
		t.Fatalf("got legal basis %q, want %q", g.LegalBasis, basis)
	}
	got := must[[]*omadata.OwnDataGroup](t)(s.FindOwnDataGroups(AsResident(r.ID), r.ID))
	if ids := ownGroupIDs(got); !slices.Equal(ids, []string{f.n.Loans.ID, f.n.Health.ID}) && !slices.Equal(ids, []string{f.n.Health.ID, f.n.Loans.ID}) {
		t.Fatalf("got groups %v, want the library's loans and wellbeing only", ids)
	}
	for _, g := range got {
		if g.Service == nil || g.Service.ID != f.n.Source.ID || g.Controller == "" {
			t.Fatalf("got %+v, want the library as source with its controller's name", g)
		}
		if want := map[string]string{f.n.Loans.ID: basis}[g.DataGroup.ID]; g.LegalGround != want || g.DataGroup.LegalBasis != want {
			t.Fatalf("got legal ground %q of %s, want %q", g.LegalGround, g.DataGroup.Code, want)
		}
	}

	stranger := CreateResident(t, s, ChildBornOn(time.Date(1990, 3, 4, 0, 0, 0, 0, time.UTC)))
	for _, ctx := range []struct {
		name string
		ctx  func() (any, error)
	}{
		{"stranger", func() (any, error) { return s.FindOwnDataGroups(AsResident(stranger.ID), r.ID) }},
		{"admin", func() (any, error) { return s.FindOwnDataGroups(Admin(), r.ID) }},
		{"source", func() (any, error) { return s.FindOwnDataGroups(As(f.n.Source.ID), r.ID) }},
		{"public", func() (any, error) { return s.FindOwnDataGroups(Public(), r.ID) }},
		{"grant", func() (any, error) {
			return s.IssueOwnAccessGrant(AsResident(stranger.ID), r.ID, f.n.Loans.ID, newJKT(t))
		}},
	} {
		if _, err := ctx.ctx(); omadata.ErrorCode(err) != omadata.ENOTFOUND {
			t.Fatalf("%s: got %v, want not found", ctx.name, err)
		}
	}
	if n := rowCount(t, s, "grants"); n != 0 {
		t.Fatalf("a refused grant left %d grants", n)
	}
	// Staff see them once the resident has asked for access: the export
	// answering the request holds them.
	must[*omadata.Request](t)(s.CreateRequest(AsResident(r.ID), &omadata.RequestInput{Kind: omadata.RequestAccess}))
	if ids := ownGroupIDs(must[[]*omadata.OwnDataGroup](t)(s.FindOwnDataGroups(Admin(), r.ID))); len(ids) != 2 {
		t.Fatalf("got groups %v for staff answering the access request, want the library's two", ids)
	}
	_, err = s.FindOwnDataGroups(Admin(), stranger.ID)
	wantCode(t, err, omadata.ENOTFOUND)

	// A mandate for recommendations covers the loans, which the
	// recommendations processing uses, and not wellbeing.
	holderCode := ChildBornOn(time.Date(1972, 8, 9, 0, 0, 0, 0, time.UTC))
	holder := CreateResident(t, s, holderCode)
	must[*omadata.Representation](t)(s.CreateRepresentation(Admin(), &omadata.RepresentationInput{
		Kind: omadata.RepMandate, RepresentativeIdentityCode: holderCode, PrincipalIdentityCode: code,
		Basis: "mandate code 9", RepresentationScope: omadata.RepresentationScope{Purposes: []string{"recommendations"}},
	}))
	if ids := ownGroupIDs(must[[]*omadata.OwnDataGroup](t)(s.FindOwnDataGroups(AsResident(holder.ID), r.ID))); !slices.Equal(ids, []string{f.n.Loans.ID}) {
		t.Fatalf("got groups %v for the mandate holder, want the loans only", ids)
	}
	_, err = s.IssueOwnAccessGrant(AsResident(holder.ID), r.ID, f.n.Health.ID, newJKT(t))
	wantCode(t, err, omadata.ENOTFOUND)
	must[*omadata.OwnAccessGrant](t)(s.IssueOwnAccessGrant(AsResident(holder.ID), r.ID, f.n.Loans.ID, newJKT(t)))

	// A guardian sees all their child's groups.
	childCode := ChildBornOn(time.Now().AddDate(-6, 0, 0))
	child := CreateResident(t, s, childCode)
	f.pseudonym(t, f.source2.ID, child.ID)
	must[*omadata.Representation](t)(s.CreateRepresentation(Admin(), &omadata.RepresentationInput{
		Kind: omadata.RepGuardian, RepresentativeIdentityCode: holderCode, PrincipalIdentityCode: childCode, Basis: "population register",
	}))
	if ids := ownGroupIDs(must[[]*omadata.OwnDataGroup](t)(s.FindOwnDataGroups(AsResident(holder.ID), child.ID))); !slices.Equal(ids, []string{f.meals.ID}) {
		t.Fatalf("got groups %v for the guardian, want the child's school meals", ids)
	}
}

// testOwnDataGrant: the operator's grant to itself is a logged permit on
// its legal obligation, for the source, about the source's pseudonym,
// bound to the operator's key; its transfer shows in "who used my data"
// as the resident's own view.
func testOwnDataGrant(t *testing.T, s *store.Store) {
	f := newDecisionFixture(t, s)
	r, _ := f.resident(t)
	psn := f.pseudonym(t, f.n.Source.ID, r.ID)
	me := AsResident(r.ID)

	_, err := s.IssueOwnAccessGrant(me, r.ID, f.n.Loans.ID, "short")
	wantField(t, err, omadata.EINVALID, "jkt")
	_, err = s.IssueOwnAccessGrant(me, r.ID, f.meals.ID, newJKT(t)) // source2 does not know them
	wantCode(t, err, omadata.ENOTFOUND)
	_, err = s.IssueOwnAccessGrant(me, r.ID, "dg_nonsense", newJKT(t))
	wantCode(t, err, omadata.ENOTFOUND)
	if n := rowCount(t, s, "grants"); n != 0 {
		t.Fatalf("refused grants left %d rows", n)
	}

	jkt := newJKT(t)
	og := must[*omadata.OwnAccessGrant](t)(s.IssueOwnAccessGrant(me, r.ID, f.n.Loans.ID, jkt))
	g := og.Grant
	if og.Source.ID != f.n.Source.ID || og.DataGroup.Code != "library-loans" || g.SourceID != f.n.Source.ID || g.SinkID != f.n.Source.ID {
		t.Fatalf("got %+v, want a grant to the library for its loans", og)
	}
	if !g.Decision.Permit() || g.Decision.Ground.LegalBasis != omadata.BasisLegalObligation || g.Decision.Ground.ConsentID != "" {
		t.Fatalf("got decision %+v, want a permit on the legal obligation", g.Decision)
	}
	wantDecision(t, s, g.Decision, "permit", "")
	tok, err := jwt.ParseSigned(g.Token, []jose.SignatureAlgorithm{jose.EdDSA})
	ok(t, err)
	var std jwt.Claims
	var claims omadata.GrantClaims
	ok(t, tok.UnsafeClaimsWithoutVerification(&std, &claims))
	if std.Subject != psn || !slices.Equal(std.Audience, jwt.Audience{f.n.Source.ID}) || claims.PurposeID != omadata.OwnAccessPurposeID ||
		claims.LegalBasis != omadata.BasisLegalObligation || claims.Confirmation.JKT != jkt || !slices.Equal(claims.DataGroupIDs, []string{f.n.Loans.ID}) {
		t.Fatalf("got claims %+v %+v, want the library's pseudonym, own access on A6-1-c, the operator's key", std, claims)
	}
	// The source checks it as any grant: active, whatever consents say.
	if st := must[*omadata.GrantStatus](t)(s.GrantStatus(As(f.n.Source.ID), g.ID)); !st.Active {
		t.Fatalf("got status %+v, want active", st)
	}

	stranger := CreateResident(t, s, ChildBornOn(time.Date(1991, 3, 4, 0, 0, 0, 0, time.UTC)))
	_, err = s.RecordOwnAccess(AsResident(stranger.ID), g.ID)
	wantCode(t, err, omadata.ENOTFOUND)
	_, err = s.RecordOwnAccess(Admin(), g.ID)
	wantCode(t, err, omadata.ENOTFOUND)
	if n := rowCount(t, s, "transfers"); n != 0 {
		t.Fatalf("refused records left %d transfers", n)
	}
	x := must[*omadata.Transfer](t)(s.RecordOwnAccess(me, g.ID))
	if x.GrantID != g.ID || x.SourceID != f.n.Source.ID || !slices.Equal(x.DataGroupIDs, []string{f.n.Loans.ID}) {
		t.Fatalf("got transfer %+v", x)
	}

	usage, _ := mustList[*omadata.Usage](t)(s.FindUsage(me, omadata.UsageFilter{ResidentID: r.ID}))
	kinds := map[string]bool{}
	for _, u := range usage {
		if u.RecordID == g.ID || u.RecordID == x.ID || u.RecordID == g.Decision.EvidenceID {
			if !u.OwnView || u.PurposeID != omadata.OwnAccessPurposeID || u.SourceID != f.n.Source.ID {
				t.Fatalf("got usage %+v, want the resident's own view at the library", u)
			}
			kinds[u.Kind] = true
		} else if u.OwnView {
			t.Fatalf("got usage %+v marked own view", u)
		}
	}
	if !kinds[omadata.LeafDecisionPermit] || !kinds[omadata.LeafGrantIssued] || !kinds[omadata.LeafTransferRecorded] {
		t.Fatalf("got usage kinds %v, want the permit, the grant and the transfer", kinds)
	}
	// Data handed over to others: transfers only, never an own view, so
	// that views do not crowd the real transfers out of a page.
	handed, _ := mustList[*omadata.Usage](t)(s.FindUsage(me, omadata.UsageFilter{ResidentID: r.ID, HandedOver: true}))
	for _, u := range handed {
		if u.Kind != omadata.LeafTransferRecorded || u.OwnView {
			t.Fatalf("handed over: got %+v", u)
		}
	}
	if len(handed) >= len(usage) {
		t.Fatalf("handed over: %d of %d uses, want fewer (no own views, decisions or grants)", len(handed), len(usage))
	}

	// Once expired, no transfer is recorded on it.
	fixedClock(s, time.Now().Add(omadata.GrantTTL+time.Minute))
	_, err = s.RecordOwnAccess(me, g.ID)
	wantField(t, err, omadata.ECONFLICT, "grant_id")
}
