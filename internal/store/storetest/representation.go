// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
)

// scopeFixture is a principal with a consent on the sink's recommendations
// processing, permits under recommendations and research, and a holder of
// a mandate that covers research only.
type scopeFixture struct {
	*requestFixture
	principal, holder *omadata.Resident
	holderCode        string
	consent           *omadata.Consent
	mandate           *omadata.Representation
	statutory         *omadata.Processing // public task, statutory-services: outside the mandate
}

func newScopeFixture(t *testing.T, s *store.Store) *scopeFixture {
	t.Helper()
	f := &scopeFixture{requestFixture: newRequestFixture(t, s)}
	f.statutory = f.processing(t, "statutory-task", "statutory-services", omadata.BasisPublicTask, f.n.Loans.ID)
	prinCode := ChildBornOn(time.Date(1980, 5, 6, 0, 0, 0, 0, time.UTC))
	f.holderCode = ChildBornOn(time.Date(1975, 1, 2, 0, 0, 0, 0, time.UTC))
	f.principal, f.holder = CreateResident(t, s, prinCode), CreateResident(t, s, f.holderCode)
	psn := f.pseudonym(t, f.n.Sink.ID, f.principal.ID)
	f.consent = f.give(t, f.principal.ID, f.n.Processing)
	wantDecision(t, s, must[*omadata.Decision](t)(s.Decide(As(f.n.Sink.ID), f.question(psn))), "permit", "")
	wantDecision(t, s, f.askTask(t, psn), "permit", "")
	f.mandate = must[*omadata.Representation](t)(s.CreateRepresentation(Admin(), &omadata.RepresentationInput{
		Kind: omadata.RepMandate, RepresentativeIdentityCode: f.holderCode, PrincipalIdentityCode: prinCode, Basis: "mandate code 7",
		RepresentationScope: omadata.RepresentationScope{Purposes: []string{"research"}},
	}))
	return f
}

// unchanged fails unless the principal, their consent, the mandate and
// the requests are as before a refused request.
func (f *scopeFixture) unchanged(t *testing.T, requests string) {
	t.Helper()
	must[*omadata.Resident](t)(f.s.FindResidentByID(Admin(), f.principal.ID))
	if c := must[*omadata.Consent](t)(f.s.FindConsentByID(Admin(), f.consent.ID)); c.Status != omadata.ConsentGiven {
		t.Fatalf("got consent %s, want still given", c.Status)
	}
	if n := scalar(t, f.s, `SELECT COUNT(*) FROM representations WHERE id = ? AND ended_at IS NULL`, f.mandate.ID); n != "1" {
		t.Fatal("the mandate is gone or ended")
	}
	if n := scalar(t, f.s, `SELECT COUNT(*) FROM requests`); n != requests {
		t.Fatalf("got %s requests, want %s", n, requests)
	}
	if n := scalar(t, f.s, `SELECT COUNT(*) FROM objections`); n != scalar(t, f.s, `SELECT COUNT(*) FROM requests WHERE kind IN ('objection', 'restriction')`) {
		t.Fatalf("an objection row without its request: %s", n)
	}
}

// testRepresentationScopedRequests: a mandate limited to some purposes
// neither erases nor rectifies its principal, objects only to processings
// of its purposes, and sees only the requests it could make; a stranger's
// principal is not found.
func testRepresentationScopedRequests(t *testing.T, s *store.Store) {
	f := newScopeFixture(t, s)
	asHolder := AsResident(f.holder.ID)
	before := scalar(t, s, `SELECT COUNT(*) FROM requests`)

	for _, kind := range []string{omadata.RequestErasure, omadata.RequestRectification} {
		t.Run(kind+" refused", func(t *testing.T) {
			_, err := s.CreateRequest(asHolder, &omadata.RequestInput{Kind: kind, OnBehalfOf: f.principal.ID, Details: "Name is wrong."})
			wantField(t, err, omadata.EFORBIDDEN, "on_behalf_of")
			f.unchanged(t, before)
		})
	}
	t.Run("objection outside the scope refused", func(t *testing.T) {
		for _, kind := range []string{omadata.RequestObjection, omadata.RequestRestriction} {
			_, err := s.CreateRequest(asHolder, &omadata.RequestInput{Kind: kind, OnBehalfOf: f.principal.ID, ProcessingID: f.statutory.ID})
			wantField(t, err, omadata.EFORBIDDEN, "processing_id")
			f.unchanged(t, before)
		}
	})
	t.Run("stranger not found", func(t *testing.T) {
		stranger := CreateResident(t, s, AdultCode2)
		_, err := s.CreateRequest(asHolder, &omadata.RequestInput{Kind: omadata.RequestAccess, OnBehalfOf: stranger.ID})
		wantField(t, err, omadata.ENOTFOUND, "on_behalf_of")
	})

	obj := must[*omadata.Request](t)(s.CreateRequest(asHolder, &omadata.RequestInput{Kind: omadata.RequestObjection, OnBehalfOf: f.principal.ID, ProcessingID: f.task.ID}))
	if obj.ResidentID != f.principal.ID || obj.Status != omadata.RequestPending {
		t.Fatalf("got %+v, want the principal's pending objection", obj)
	}
	// The principal's own requests: the holder sees those it could make.
	access := must[*omadata.Request](t)(s.CreateRequest(AsResident(f.principal.ID), &omadata.RequestInput{Kind: omadata.RequestAccess}))
	rect := must[*omadata.Request](t)(s.CreateRequest(AsResident(f.principal.ID), &omadata.RequestInput{Kind: omadata.RequestRectification, Details: "Address is old."}))
	outside := must[*omadata.Request](t)(s.CreateRequest(AsResident(f.principal.ID), &omadata.RequestInput{Kind: omadata.RequestRestriction, ProcessingID: f.statutory.ID}))
	t.Run("requests seen within the scope", func(t *testing.T) {
		list, _ := mustList[*omadata.Request](t)(s.FindRequests(asHolder, omadata.RequestFilter{ResidentID: &f.principal.ID}))
		var got []string
		for _, q := range list {
			got = append(got, q.ID)
		}
		want := []string{obj.ID, access.ID}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("got requests %v, want %v (objection in scope, access)", got, want)
		}
		for _, id := range []string{rect.ID, outside.ID} {
			_, err := s.FindRequestByID(asHolder, id)
			wantCode(t, err, omadata.ENOTFOUND)
		}
		must[*omadata.Request](t)(s.FindRequestByID(asHolder, obj.ID))
		all, _ := mustList[*omadata.Request](t)(s.FindRequests(AsResident(f.principal.ID), omadata.RequestFilter{}))
		if len(all) != 4 {
			t.Fatalf("the principal sees %d requests, want 4", len(all))
		}
	})
	t.Run("consent outside the scope hidden", func(t *testing.T) {
		_, err := s.FindConsentByID(asHolder, f.consent.ID)
		wantCode(t, err, omadata.ENOTFOUND)
		_, err = s.ChangeConsent(asHolder, f.consent.ID, omadata.ConsentWithdrawn, "")
		wantCode(t, err, omadata.ENOTFOUND)
	})
}

// testRepresentationScopedReads: usage and an access export on a
// principal's behalf hold only what the mandate's purposes cover.
func testRepresentationScopedReads(t *testing.T, s *store.Store) {
	f := newScopeFixture(t, s)
	asHolder := AsResident(f.holder.ID)
	research := Purpose(t, s, "research").ID
	integrate(t, s)

	t.Run("usage", func(t *testing.T) {
		own, _ := mustList[*omadata.Usage](t)(s.FindUsage(AsResident(f.principal.ID), omadata.UsageFilter{ResidentID: f.principal.ID}))
		if !slices.ContainsFunc(own, func(u *omadata.Usage) bool { return u.PurposeID == f.n.Recommendations.ID }) {
			t.Fatal("the principal's own usage lacks the recommendations permit")
		}
		got, _ := mustList[*omadata.Usage](t)(s.FindUsage(asHolder, omadata.UsageFilter{ResidentID: f.principal.ID}))
		if len(got) == 0 {
			t.Fatal("the holder sees no usage under research")
		}
		for _, u := range got {
			if u.PurposeID != research {
				t.Fatalf("the holder sees a %s under purpose %s, outside the mandate", u.Kind, u.PurposeID)
			}
		}
	})
	t.Run("export", func(t *testing.T) {
		q := must[*omadata.Request](t)(s.CreateRequest(asHolder, &omadata.RequestInput{Kind: omadata.RequestAccess, OnBehalfOf: f.principal.ID}))
		e := must[*omadata.ResidentExport](t)(s.ExportResident(asHolder, q.ID))
		if len(e.Consents) != 0 {
			t.Fatalf("the export holds %d consents outside the mandate", len(e.Consents))
		}
		if len(e.Usage) == 0 {
			t.Fatal("the export holds no usage under research")
		}
		for _, u := range e.Usage {
			if u.PurposeID != research {
				t.Fatalf("the export holds a %s under purpose %s", u.Kind, u.PurposeID)
			}
		}
		for _, l := range e.LogEntries {
			if l.Leaf.ProcessingID == f.n.Processing.ID || l.Leaf.RecordKind == omadata.RecordConsent {
				t.Fatalf("the export holds the leaf %s of processing %s", l.Leaf.Kind, l.Leaf.ProcessingID)
			}
		}
		if len(e.Representations) != 1 || e.Representations[0].ID != f.mandate.ID {
			t.Fatalf("got representations %+v, want only the holder's mandate", e.Representations)
		}
		// The principal's own export has everything.
		own := must[*omadata.Request](t)(s.CreateRequest(AsResident(f.principal.ID), &omadata.RequestInput{Kind: omadata.RequestAccess}))
		all := must[*omadata.ResidentExport](t)(s.ExportResident(AsResident(f.principal.ID), own.ID))
		if len(all.Consents) != 1 || len(all.Usage) <= len(e.Usage) {
			t.Fatalf("the principal's export has %d consents and %d uses, want 1 and more than %d", len(all.Consents), len(all.Usage), len(e.Usage))
		}
		// Of the entries about no processing, the holder's export holds
		// only those about the access requests it lists.
		for _, l := range e.LogEntries {
			if l.Leaf.ProcessingID == "" && (l.Leaf.RecordKind != omadata.RecordRequest || !strings.HasPrefix(l.Leaf.Kind, "request.access.")) {
				t.Fatalf("the holder's export holds the leaf %s about no processing", l.Leaf.Kind)
			}
		}
	})
	t.Run("holder does not complete the principal's request", func(t *testing.T) {
		own := must[*omadata.Request](t)(s.CreateRequest(AsResident(f.principal.ID), &omadata.RequestInput{Kind: omadata.RequestAccess}))
		e := must[*omadata.ResidentExport](t)(s.ExportResident(asHolder, own.ID))
		if len(e.Consents) != 0 {
			t.Fatalf("the holder's export holds %d consents outside the mandate", len(e.Consents))
		}
		q := must[*omadata.Request](t)(s.FindRequestByID(Admin(), own.ID))
		if q.Status != omadata.RequestReceived {
			t.Fatalf("the holder's export moved the principal's request to %s", q.Status)
		}
		if n := scalar(t, s, `SELECT COUNT(*) FROM request_records WHERE request_id = ?`, own.ID); n != "1" {
			t.Fatalf("got %s records of the principal's request, want 1", n)
		}
		must[*omadata.ResidentExport](t)(s.ExportResident(AsResident(f.principal.ID), own.ID))
		if q := must[*omadata.Request](t)(s.FindRequestByID(Admin(), own.ID)); q.Status != omadata.RequestCompleted {
			t.Fatalf("the principal's own export left the request %s", q.Status)
		}
	})
}

// testRepresentationGeneralErasure: a general mandate (all purposes)
// erases its principal, and the caller is told it committed although the
// erasure ends the mandate that let them see the request.
func testRepresentationGeneralErasure(t *testing.T, s *store.Store) {
	f := newScopeFixture(t, s)
	general := must[*omadata.Representation](t)(s.CreateRepresentation(Admin(), &omadata.RepresentationInput{
		Kind: omadata.RepMandate, RepresentativeIdentityCode: AdultCode, PrincipalIdentityCode: ChildBornOn(time.Date(1980, 5, 6, 0, 0, 0, 0, time.UTC)),
		Basis: "mandate code 8", RepresentationScope: omadata.RepresentationScope{AllPurposes: true},
	}))
	if !general.AllPurposes || len(general.Purposes) != 0 {
		t.Fatalf("got scope %+v, want all purposes", general.RepresentationScope)
	}
	q, err := s.CreateRequest(AsResident(general.RepresentativeID), &omadata.RequestInput{Kind: omadata.RequestErasure, OnBehalfOf: f.principal.ID})
	if err != nil {
		t.Fatalf("the committed erasure answered %v", err)
	}
	if q.Kind != omadata.RequestErasure || q.ResidentID != f.principal.ID || q.Status != omadata.RequestInProgress || len(q.Records) == 0 {
		t.Fatalf("got %+v, want the committed erasure in progress", q)
	}
	if n := scalar(t, s, `SELECT COUNT(*) FROM residents WHERE id = ? AND erased_at IS NOT NULL`, f.principal.ID); n != "1" {
		t.Fatal("the principal was not erased")
	}
	// The request is no longer the caller's to see: the mandate ended with it.
	_, err = s.FindRequestByID(AsResident(general.RepresentativeID), q.ID)
	wantCode(t, err, omadata.ENOTFOUND)
}

// testRepresentationRecorders: a source records representations only of
// the kinds the operator designated it for; the designation is an admin
// change, audited and logged.
func testRepresentationRecorders(t *testing.T, s *store.Store) {
	n := CreateNetwork(t, s)
	guardianship := &omadata.RepresentationInput{Kind: omadata.RepGuardian, RepresentativeIdentityCode: AdultCode,
		PrincipalIdentityCode: ChildBornOn(time.Date(2015, 3, 4, 0, 0, 0, 0, time.UTC)), Basis: "population register"}
	mandate := &omadata.RepresentationInput{Kind: omadata.RepMandate, RepresentativeIdentityCode: AdultCode, PrincipalIdentityCode: AdultCode2,
		Basis: "mandate code 9", RepresentationScope: omadata.RepresentationScope{Purposes: []string{"research"}}}

	_, err := s.CreateRepresentation(As(n.Source.ID), guardianship)
	wantField(t, err, omadata.EFORBIDDEN, "kind")
	if got := scalar(t, s, `SELECT COUNT(*) FROM representations`); got != "0" {
		t.Fatalf("got %s representations after a refusal, want 0", got)
	}
	_, err = s.SetRepresentationRecorder(As(n.Source.ID), n.Source.ID, []string{omadata.RepGuardian})
	wantCode(t, err, omadata.EFORBIDDEN)
	_, err = s.SetRepresentationRecorder(Admin(), n.Source.ID, []string{"friend"})
	wantField(t, err, omadata.EINVALID, "kinds")
	_, err = s.SetRepresentationRecorder(Admin(), "svc_01jq8m2k3n4p5q6r7s8t9v0w1y", []string{omadata.RepGuardian})
	wantCode(t, err, omadata.ENOTFOUND)
	_, err = s.SetRepresentationRecorder(Admin(), n.Sink.ID, []string{omadata.RepGuardian})
	wantField(t, err, omadata.EINVALID, "kinds") // a sink records no representations

	// A kind given twice is refused, so there are at most two.
	for _, kinds := range [][]string{{omadata.RepGuardian, omadata.RepGuardian}, {omadata.RepGuardian, omadata.RepMandate, omadata.RepGuardian}} {
		_, err = s.SetRepresentationRecorder(Admin(), n.Source.ID, kinds)
		wantField(t, err, omadata.EINVALID, "kinds")
	}
	rec := must[*omadata.RepresentationRecorder](t)(s.SetRepresentationRecorder(Admin(), n.Source.ID, []string{omadata.RepGuardian}))
	if !slices.Equal(rec.Kinds, []string{omadata.RepGuardian}) {
		t.Fatalf("got kinds %v, want [guardian]", rec.Kinds)
	}
	if got := scalar(t, s, `SELECT COUNT(*) FROM admin_changes c JOIN log_leaves l ON l.record_id = c.id
		WHERE c.action = 'service.representation_kinds' AND c.target_id = ? AND l.kind = 'admin.service.representation_kinds'`, n.Source.ID); got != "1" {
		t.Fatalf("got %s audited and logged designations, want 1", got)
	}
	got := must[*omadata.RepresentationRecorder](t)(s.FindRepresentationRecorder(Admin(), n.Source.ID))
	if !slices.Equal(got.Kinds, []string{omadata.RepGuardian}) {
		t.Fatalf("read back kinds %v, want [guardian]", got.Kinds)
	}
	// An organisation admin reads the designation of a service they look
	// after (the console shows it) but may not change it; another
	// organisation's service is not there for them.
	got = must[*omadata.RepresentationRecorder](t)(s.FindRepresentationRecorder(AsOrganisation(n.City.ID), n.Source.ID))
	if !slices.Equal(got.Kinds, []string{omadata.RepGuardian}) {
		t.Fatalf("the city's admin reads kinds %v, want [guardian]", got.Kinds)
	}
	_, err = s.FindRepresentationRecorder(AsOrganisation(n.Company.ID), n.Source.ID)
	wantCode(t, err, omadata.ENOTFOUND)
	_, err = s.SetRepresentationRecorder(AsOrganisation(n.City.ID), n.Source.ID, []string{omadata.RepGuardian, omadata.RepMandate})
	wantCode(t, err, omadata.EFORBIDDEN)
	_, err = s.FindRepresentationRecorder(As(n.Source.ID), n.Source.ID)
	wantCode(t, err, omadata.EFORBIDDEN)
	must[*omadata.Representation](t)(s.CreateRepresentation(As(n.Source.ID), guardianship))
	// The designation holds while the service is an approved source.
	must[*omadata.Service](t)(s.SetServiceStatus(Admin(), n.Source.ID, omadata.ServiceSuspended))
	_, err = s.CreateRepresentation(As(n.Source.ID), guardianship)
	wantField(t, err, omadata.EFORBIDDEN, "kind")
	must[*omadata.Service](t)(s.SetServiceStatus(Admin(), n.Source.ID, omadata.ServiceApproved))
	_, err = s.CreateRepresentation(As(n.Source.ID), mandate)
	wantField(t, err, omadata.EFORBIDDEN, "kind")
	_, err = s.CreateRepresentation(As(n.Sink.ID), guardianship)
	wantField(t, err, omadata.EFORBIDDEN, "kind")

	// Ending the designation ends the right.
	must[*omadata.RepresentationRecorder](t)(s.SetRepresentationRecorder(Admin(), n.Source.ID, []string{}))
	_, err = s.CreateRepresentation(As(n.Source.ID), guardianship)
	wantField(t, err, omadata.EFORBIDDEN, "kind")
	// Admins keep their right; a resident uses GrantMandate.
	must[*omadata.Representation](t)(s.CreateRepresentation(Admin(), mandate))
	_, err = s.CreateRepresentation(AsResident(CreateResident(t, s, AdultCode2).ID), mandate)
	wantCode(t, err, omadata.EFORBIDDEN)
	verifyWholeLog(t, s) // the designations' admin leaves verify like any other
}

// testRepresentationGrantMandate: a resident grants a mandate as its
// principal and ends it; the holder acts for the purposes granted.
func testRepresentationGrantMandate(t *testing.T, s *store.Store) {
	f := newRequestFixture(t, s)
	principal := CreateResident(t, s, AdultCode2)
	holder := must[*omadata.Resident](t)(s.EnsureResident(Admin(), AdultCode, "Hanna Haltija"))
	asPrincipal := AsResident(principal.ID)
	cases := []struct {
		name  string
		in    omadata.MandateInput
		field string
	}{
		{"no scope", omadata.MandateInput{RepresentativeIdentityCode: AdultCode}, "scope"},
		{"scope and all", omadata.MandateInput{RepresentativeIdentityCode: AdultCode,
			RepresentationScope: omadata.RepresentationScope{AllPurposes: true, Purposes: []string{"research"}}}, "scope"},
		{"unknown purpose", omadata.MandateInput{RepresentativeIdentityCode: AdultCode,
			RepresentationScope: omadata.RepresentationScope{Purposes: []string{"astrology"}}}, "scope"},
		{"self", omadata.MandateInput{RepresentativeIdentityCode: AdultCode2,
			RepresentationScope: omadata.RepresentationScope{Purposes: []string{"research"}}}, "representative_identity_code"},
		{"child", omadata.MandateInput{RepresentativeIdentityCode: ChildBornOn(time.Date(2015, 3, 4, 0, 0, 0, 0, time.UTC)),
			RepresentationScope: omadata.RepresentationScope{Purposes: []string{"research"}}}, "representative_identity_code"},
		{"a purpose twice", omadata.MandateInput{RepresentativeIdentityCode: AdultCode,
			RepresentationScope: omadata.RepresentationScope{Purposes: []string{"research", "research"}}}, "scope"},
		// Not backdated (beyond a clock skew), and that is said before
		// whether the principal was an adult then.
		{"backdated", omadata.MandateInput{RepresentativeIdentityCode: AdultCode, ValidFrom: ptr(time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC)),
			RepresentationScope: omadata.RepresentationScope{AllPurposes: true}}, "valid_from"},
		{"backdated to childhood", omadata.MandateInput{RepresentativeIdentityCode: AdultCode, ValidFrom: ptr(time.Date(1965, 1, 1, 0, 0, 0, 0, time.UTC)),
			RepresentationScope: omadata.RepresentationScope{AllPurposes: true}}, "valid_from"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.GrantMandate(asPrincipal, &c.in)
			wantField(t, err, omadata.EINVALID, c.field)
			if n := scalar(t, s, `SELECT COUNT(*) FROM representations`); n != "0" {
				t.Fatalf("got %s representations after bad input, want 0", n)
			}
		})
	}
	_, err := s.GrantMandate(Admin(), &omadata.MandateInput{RepresentativeIdentityCode: AdultCode,
		RepresentationScope: omadata.RepresentationScope{Purposes: []string{"research"}}})
	wantCode(t, err, omadata.EFORBIDDEN)
	child := CreateResident(t, s, ChildBornOn(time.Date(2015, 3, 4, 0, 0, 0, 0, time.UTC)))
	_, err = s.GrantMandate(AsResident(child.ID), &omadata.MandateInput{RepresentativeIdentityCode: AdultCode,
		RepresentationScope: omadata.RepresentationScope{AllPurposes: true}})
	wantCode(t, err, omadata.EFORBIDDEN)

	m := must[*omadata.Representation](t)(s.GrantMandate(asPrincipal, &omadata.MandateInput{RepresentativeIdentityCode: AdultCode,
		RepresentationScope: omadata.RepresentationScope{Purposes: []string{"research"}}}))
	if m.Kind != omadata.RepMandate || m.PrincipalID != principal.ID || m.RepresentativeID != holder.ID || m.AllPurposes ||
		!slices.Equal(m.Purposes, []string{"research"}) || m.Basis == "" {
		t.Fatalf("got %+v, want the principal's research mandate to the holder", m)
	}
	// Both residents' lists name the other one and the reader's relation.
	for _, c := range []struct{ reader, relation string }{{principal.ID, omadata.RelationPrincipal}, {holder.ID, omadata.RelationRepresentative}} {
		list := must[[]*omadata.Representation](t)(s.FindRepresentations(AsResident(c.reader), c.reader))
		if len(list) != 1 || list[0].PrincipalName != "Testi Asukas" || list[0].RepresentativeName != "Hanna Haltija" || list[0].Relation != c.relation {
			t.Fatalf("%s's list: got %+v, want the mandate naming both, relation %s", c.relation, list, c.relation)
		}
	}
	obj := must[*omadata.Request](t)(s.CreateRequest(AsResident(holder.ID), &omadata.RequestInput{
		Kind: omadata.RequestObjection, OnBehalfOf: principal.ID, ProcessingID: f.task.ID}))
	if obj.ResidentID != principal.ID {
		t.Fatalf("got %+v, want the principal's objection", obj)
	}
	ended := must[*omadata.Representation](t)(s.EndRepresentation(asPrincipal, m.ID))
	if ended.EndedAt == nil {
		t.Fatal("not ended")
	}
	_, err = s.CreateRequest(AsResident(holder.ID), &omadata.RequestInput{Kind: omadata.RequestAccess, OnBehalfOf: principal.ID})
	wantField(t, err, omadata.ENOTFOUND, "on_behalf_of")
}

// mustList unwraps a page of a list.
func mustList[T any](t *testing.T) func([]T, string, error) ([]T, string) {
	return func(l []T, next string, err error) ([]T, string) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return l, next
	}
}

// testRepresentationAdultFinnishTime: a ward born on 7 December turns 18
// at midnight in Helsinki, 22:00 UTC on the 6th. From then, and until
// midnight UTC too, the guardian no longer acts for them, a new
// guardianship over them is refused, and they may give a mandate
// themselves; a minute before, the guardian still acts.
func testRepresentationAdultFinnishTime(t *testing.T, s *store.Store) {
	t.Cleanup(func() { s.DB().Now = time.Now })
	fixedClock(s, time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC))
	wardCode := ChildBornOn(time.Date(2008, 12, 7, 0, 0, 0, 0, time.UTC))
	must[*omadata.Representation](t)(s.CreateRepresentation(Admin(), &omadata.RepresentationInput{
		Kind: omadata.RepGuardian, RepresentativeIdentityCode: AdultCode, PrincipalIdentityCode: wardCode, Basis: "population register"}))
	guardian, ward := CreateResident(t, s, AdultCode), CreateResident(t, s, wardCode)
	access := &omadata.RequestInput{Kind: omadata.RequestAccess, OnBehalfOf: ward.ID}

	fixedClock(s, time.Date(2026, 12, 6, 21, 59, 0, 0, time.UTC))
	must[*omadata.Request](t)(s.CreateRequest(AsResident(guardian.ID), access))
	for _, at := range []time.Time{time.Date(2026, 12, 6, 22, 0, 0, 0, time.UTC), time.Date(2026, 12, 6, 23, 59, 0, 0, time.UTC)} {
		fixedClock(s, at)
		requests := scalar(t, s, `SELECT COUNT(*) FROM requests`)
		_, err := s.CreateRequest(AsResident(guardian.ID), access)
		wantCode(t, err, omadata.ENOTFOUND)
		_, err = s.FindResidentByID(AsResident(guardian.ID), ward.ID)
		wantCode(t, err, omadata.ENOTFOUND)
		reps := scalar(t, s, `SELECT COUNT(*) FROM representations`)
		_, err = s.CreateRepresentation(Admin(), &omadata.RepresentationInput{
			Kind: omadata.RepGuardian, RepresentativeIdentityCode: AdultCode2, PrincipalIdentityCode: wardCode, Basis: "population register"})
		wantCode(t, err, omadata.EINVALID)
		if n := scalar(t, s, `SELECT COUNT(*) FROM requests`); n != requests {
			t.Fatalf("at %v: got %s requests, want %s", at, n, requests)
		}
		if n := scalar(t, s, `SELECT COUNT(*) FROM representations`); n != reps {
			t.Fatalf("at %v: got %s representations, want %s", at, n, reps)
		}
	}
	// Adult in Finland: the former ward gives a mandate herself.
	must[*omadata.Representation](t)(s.GrantMandate(AsResident(ward.ID), &omadata.MandateInput{
		RepresentativeIdentityCode: AdultCode2, RepresentationScope: omadata.RepresentationScope{AllPurposes: true}}))
}
