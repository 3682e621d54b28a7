// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
)

// decisionFixture is a Network plus a second approved source whose data
// group the sink may also process, and residents known to the sink.
type decisionFixture struct {
	s       *store.Store
	n       *Network
	source2 *omadata.Service
	meals   *omadata.DataGroup // held by source2
	next    int                // residents made so far
}

func newDecisionFixture(t *testing.T, s *store.Store) *decisionFixture {
	t.Helper()
	f := &decisionFixture{s: s, n: CreateNetwork(t, s)}
	f.source2 = CreateService(t, s, f.n.City.ID, true, omadata.RoleSource)
	f.meals = CreateDataGroup(t, s, f.source2.ID, "school-meals", false)
	return f
}

// resident makes a new adult resident and returns it with the sink's
// pseudonym of it.
func (f *decisionFixture) resident(t *testing.T) (*omadata.Resident, string) {
	t.Helper()
	f.next++
	r := CreateResident(t, f.s, ChildBornOn(time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 37*f.next)))
	return r, f.pseudonym(t, f.n.Sink.ID, r.ID)
}

func (f *decisionFixture) pseudonym(t *testing.T, serviceID, residentID string) string {
	t.Helper()
	return must[string](t)(f.s.Pseudonym(Admin(), serviceID, residentID))
}

// give records the resident's consent on a processing's current version.
func (f *decisionFixture) give(t *testing.T, residentID string, p *omadata.Processing, sources ...string) *omadata.Consent {
	t.Helper()
	cur := must[*omadata.Processing](t)(f.s.FindProcessingByID(Admin(), p.ID)).Current()
	return must[*omadata.Consent](t)(f.s.GiveConsent(AsResident(residentID), &omadata.ConsentInput{
		ProcessingID: p.ID, Version: cur.Version, Language: "fi", SourceIDs: sources,
	}))
}

// question asks, as the sink, for the loans of the resident named by psn.
func (f *decisionFixture) question(psn string) *omadata.DecisionInput {
	return &omadata.DecisionInput{SourceID: f.n.Source.ID, Pseudonym: psn, DataGroupIDs: []string{f.n.Loans.ID}, PurposeID: f.n.Recommendations.ID}
}

// processing creates and publishes a processing of the sink.
func (f *decisionFixture) processing(t *testing.T, code, purposeCode, basis string, groups ...string) *omadata.Processing {
	t.Helper()
	d := NewDraft(f.n.Sink.ID, code, Purpose(t, f.s, purposeCode).ID, groups...)
	if basis != omadata.BasisConsent {
		d.LegalBasis, d.LegalBasisNote = basis, "Act on the Openness of Government Activities 621/1999, section 28"
	}
	p := must[*omadata.Processing](t)(f.s.CreateProcessing(Admin(), d))
	PutNotices(t, f.s, p.ID, 1)
	if basis != omadata.BasisConsent {
		must[*omadata.ProcessingVersion](t)(f.s.ApproveVersion(Admin(), p.ID, 1))
	}
	must[*omadata.ProcessingVersion](t)(f.s.PublishVersion(Admin(), p.ID, 1))
	return must[*omadata.Processing](t)(f.s.FindProcessingByID(Admin(), p.ID))
}

// evidence returns the stored evidence row of a decision as
// permit, consent_id, legal_basis, reason, resident_id, caller_id.
func evidence(t *testing.T, s *store.Store, id string) []string {
	t.Helper()
	rows := must[[][]string](t)(s.DB().QueryStrings(context.Background(),
		`SELECT permit, consent_id, legal_basis, reason, resident_id, caller_id, processing_id FROM decisions WHERE id = ?`, id))
	if len(rows) != 1 {
		t.Fatalf("got %d evidence rows for %s, want 1", len(rows), id)
	}
	if p := rows[0][0]; p == "true" || p == "1" {
		rows[0][0] = "permit"
	} else {
		rows[0][0] = "deny"
	}
	return rows[0]
}

func rowCount(t *testing.T, s *store.Store, table string) int {
	t.Helper()
	rows := must[[][]string](t)(s.DB().QueryStrings(context.Background(), `SELECT COUNT(*) FROM `+table))
	var n int
	fmt.Sscan(rows[0][0], &n)
	return n
}

// wantDecision checks a decision's answer and that its evidence is stored.
func wantDecision(t *testing.T, s *store.Store, d *omadata.Decision, decision, reason string) {
	t.Helper()
	if d.Decision != decision || d.Reason != reason {
		t.Fatalf("got %s %q, want %s %q", d.Decision, d.Reason, decision, reason)
	}
	if !strings.HasPrefix(d.EvidenceID, omadata.PrefixDecision+"_") || d.DecidedAt.IsZero() {
		t.Fatalf("got evidence ID %q at %v, want a dec_ ID and a time", d.EvidenceID, d.DecidedAt)
	}
	if ev := evidence(t, s, d.EvidenceID); ev[0] != decision || ev[3] != reason {
		t.Fatalf("got evidence %v, want %s %q", ev, decision, reason)
	}
	if decision == "deny" && d.Ground != nil {
		t.Fatalf("a deny carries a ground: %+v", d.Ground)
	}
}

func testDecisionPermit(t *testing.T, s *store.Store) {
	f := newDecisionFixture(t, s)
	r, psn := f.resident(t)
	c := f.give(t, r.ID, f.n.Processing)
	sink := As(f.n.Sink.ID)

	d := must[*omadata.Decision](t)(s.Decide(sink, f.question(psn)))
	wantDecision(t, s, d, "permit", "")
	want := omadata.Ground{Kind: "consent", ConsentID: c.ID, LegalBasis: omadata.BasisConsent, LegalBasisIRI: omadata.GDPRBase + "A6-1-a"}
	if d.Ground == nil || *d.Ground != want || d.ProcessingID != f.n.Processing.ID || d.Version != 1 {
		t.Fatalf("got %+v ground %+v, want processing %s version 1 and ground %+v", d, d.Ground, f.n.Processing.ID, want)
	}
	ev := evidence(t, s, d.EvidenceID)
	if ev[1] != c.ID || ev[2] != omadata.BasisConsent || ev[4] != r.ID || ev[5] != f.n.Sink.ID || ev[6] != f.n.Processing.ID {
		t.Fatalf("got evidence %v, want the consent, basis, resident, caller and processing", ev)
	}

	// The source asks the same question about the same resident, by its
	// own pseudonym; the sink is named and the source is the caller.
	srcPsn := f.pseudonym(t, f.n.Source.ID, r.ID)
	q := &omadata.DecisionInput{SinkID: f.n.Sink.ID, Pseudonym: srcPsn, DataGroupIDs: []string{f.n.Loans.ID}, PurposeID: f.n.Recommendations.ID}
	d = must[*omadata.Decision](t)(s.Decide(As(f.n.Source.ID), q))
	wantDecision(t, s, d, "permit", "")
	if ev := evidence(t, s, d.EvidenceID); ev[5] != f.n.Source.ID || ev[4] != r.ID {
		t.Fatalf("got evidence %v, want caller %s about resident %s", ev, f.n.Source.ID, r.ID)
	}

	// Withdrawal is immediate: the very next decision, through another
	// Store on the same database, denies (invariant 2).
	must[*omadata.Consent](t)(s.ChangeConsent(AsResident(r.ID), c.ID, omadata.ConsentWithdrawn, ""))
	other := store.New(s.DB())
	d = must[*omadata.Decision](t)(other.Decide(sink, f.question(psn)))
	wantDecision(t, s, d, "deny", omadata.DenyConsentWithdrawn)
}

func testDecisionDenyReasons(t *testing.T, s *store.Store) {
	f := newDecisionFixture(t, s)
	n := f.n
	sink := As(n.Sink.ID)
	pending := CreateService(t, s, n.City.ID, false, omadata.RoleSource)
	pendingGroup := CreateDataGroup(t, s, pending.ID, "pending-loans", false)
	both := f.processing(t, "loans-and-meals", "co-production", omadata.BasisConsent, n.Loans.ID, f.meals.ID)
	coProduction := Purpose(t, s, "co-production").ID

	tests := []struct {
		name   string
		setup  func(t *testing.T, residentID, psn string) *omadata.DecisionInput
		reason string
	}{
		{"unknown pseudonym", func(t *testing.T, _, _ string) *omadata.DecisionInput {
			return f.question(omadata.NewID(omadata.PrefixPseudonym))
		}, omadata.DenyUnknownResident},
		{"another service's pseudonym", func(t *testing.T, id, _ string) *omadata.DecisionInput {
			f.give(t, id, n.Processing)
			return f.question(f.pseudonym(t, n.Source.ID, id))
		}, omadata.DenyUnknownResident},
		{"source not approved", func(t *testing.T, id, psn string) *omadata.DecisionInput {
			q := f.question(psn)
			q.SourceID, q.DataGroupIDs = pending.ID, []string{pendingGroup.ID}
			return q
		}, omadata.DenyServiceInactive},
		{"sink not a sink", func(t *testing.T, id, psn string) *omadata.DecisionInput {
			q := f.question(psn)
			q.SinkID = n.Source.ID // the caller, the sink, becomes the source
			q.SourceID = n.Sink.ID
			return q
		}, omadata.DenyServiceInactive},
		{"source not the holder", func(t *testing.T, id, psn string) *omadata.DecisionInput {
			f.give(t, id, n.Processing)
			q := f.question(psn)
			q.DataGroupIDs = []string{n.Loans.ID, f.meals.ID}
			return q
		}, omadata.DenySourceNotHolder},
		{"no processing for the purpose", func(t *testing.T, id, psn string) *omadata.DecisionInput {
			f.give(t, id, n.Processing)
			q := f.question(psn)
			q.PurposeID = Purpose(t, s, "marketing-cooperation").ID
			return q
		}, omadata.DenyNoProcessing},
		{"no processing covers every data group", func(t *testing.T, id, psn string) *omadata.DecisionInput {
			f.give(t, id, n.Processing)
			q := f.question(psn)
			q.DataGroupIDs = []string{n.Loans.ID, n.Health.ID}
			return q
		}, omadata.DenyNoProcessing},
		{"no consent", func(t *testing.T, id, psn string) *omadata.DecisionInput {
			return f.question(psn)
		}, omadata.DenyNoConsent},
		{"consent requested", func(t *testing.T, id, psn string) *omadata.DecisionInput {
			must[*omadata.Consent](t)(s.RequestConsent(sink, &omadata.ConsentRequestInput{ProcessingID: n.Processing.ID, Pseudonym: psn, Message: Text("Please")}))
			return f.question(psn)
		}, omadata.DenyConsentNotActive},
		{"consent refused", func(t *testing.T, id, psn string) *omadata.DecisionInput {
			must[*omadata.Consent](t)(s.RefuseConsent(AsResident(id), &omadata.ConsentInput{ProcessingID: n.Processing.ID, Version: 1, Language: "sv"}))
			return f.question(psn)
		}, omadata.DenyConsentNotActive},
		{"consent suspended", func(t *testing.T, id, psn string) *omadata.DecisionInput {
			c := f.give(t, id, n.Processing)
			must[*omadata.Consent](t)(s.ChangeConsent(AsResident(id), c.ID, omadata.ConsentSuspended, ""))
			return f.question(psn)
		}, omadata.DenyConsentNotActive},
		{"consent withdrawn", func(t *testing.T, id, psn string) *omadata.DecisionInput {
			c := f.give(t, id, n.Processing)
			must[*omadata.Consent](t)(s.ChangeConsent(AsResident(id), c.ID, omadata.ConsentWithdrawn, ""))
			return f.question(psn)
		}, omadata.DenyConsentWithdrawn},
		{"consent revoked by the sink", func(t *testing.T, id, psn string) *omadata.DecisionInput {
			c := f.give(t, id, n.Processing)
			must[*omadata.Consent](t)(s.ChangeConsent(sink, c.ID, omadata.ConsentRevoked, "Service closed"))
			return f.question(psn)
		}, omadata.DenyConsentRevoked},
		{"consent limited to another source", func(t *testing.T, id, psn string) *omadata.DecisionInput {
			f.give(t, id, both, f.source2.ID)
			q := f.question(psn)
			q.PurposeID = coProduction
			return q
		}, omadata.DenySourceNotCovered},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, psn := f.resident(t)
			before := rowCount(t, s, "decisions")
			d := must[*omadata.Decision](t)(s.Decide(sink, tt.setup(t, r.ID, psn)))
			wantDecision(t, s, d, "deny", tt.reason)
			if got := rowCount(t, s, "decisions"); got != before+1 {
				t.Fatalf("got %d evidence rows, want %d", got, before+1)
			}
			if d.Ground != nil {
				t.Fatalf("a deny shows a ground: %+v", d.Ground)
			}
		})
	}

	// A consent limited to source2 permits what source2 holds.
	t.Run("consent limited to this source", func(t *testing.T) {
		r, psn := f.resident(t)
		f.give(t, r.ID, both, f.source2.ID)
		q := &omadata.DecisionInput{SourceID: f.source2.ID, Pseudonym: psn, DataGroupIDs: []string{f.meals.ID}, PurposeID: coProduction}
		wantDecision(t, s, must[*omadata.Decision](t)(s.Decide(sink, q)), "permit", "")
	})
}

// testDecisionExpiry: a consent past its window denies even while its
// status still says given, and after the expiry job has run.
func testDecisionExpiry(t *testing.T, s *store.Store) {
	f := newDecisionFixture(t, s)
	r, psn := f.resident(t)
	start := time.Now().UTC()
	until := start.Add(time.Hour)
	must[*omadata.Consent](t)(s.GiveConsent(AsResident(r.ID), &omadata.ConsentInput{
		ProcessingID: f.n.Processing.ID, Version: 1, Language: "en", ValidUntil: &until,
	}))
	sink := As(f.n.Sink.ID)
	wantDecision(t, s, must[*omadata.Decision](t)(s.Decide(sink, f.question(psn))), "permit", "")

	fixedClock(s, until) // the window ends at valid_until itself
	wantDecision(t, s, must[*omadata.Decision](t)(s.Decide(sink, f.question(psn))), "deny", omadata.DenyConsentExpired)
	if _, err := s.ExpireConsents(Admin()); err != nil {
		t.Fatal(err)
	}
	wantDecision(t, s, must[*omadata.Decision](t)(s.Decide(sink, f.question(psn))), "deny", omadata.DenyConsentExpired)
}

// testDecisionVersions: a consent holds across versions marked compatible
// and needs renewal after an incompatible one.
func testDecisionVersions(t *testing.T, s *store.Store) {
	f := newDecisionFixture(t, s)
	r, psn := f.resident(t)
	f.give(t, r.ID, f.n.Processing)
	sink := As(f.n.Sink.ID)
	publish := func(compatible bool) {
		t.Helper()
		v := must[*omadata.ProcessingVersion](t)(s.CreateVersion(Admin(), f.n.Processing.ID, compatible))
		must[*omadata.ProcessingVersion](t)(s.PublishVersion(Admin(), f.n.Processing.ID, v.Version))
	}

	publish(true)
	d := must[*omadata.Decision](t)(s.Decide(sink, f.question(psn)))
	wantDecision(t, s, d, "permit", "")
	if d.Version != 2 {
		t.Fatalf("got version %d, want the current version 2", d.Version)
	}
	publish(false)
	d = must[*omadata.Decision](t)(s.Decide(sink, f.question(psn)))
	wantDecision(t, s, d, "deny", omadata.DenyRenewalRequired)
	if d.Version != 3 || d.ProcessingID != f.n.Processing.ID {
		t.Fatalf("got %s version %d, want %s version 3", d.ProcessingID, d.Version, f.n.Processing.ID)
	}
	publish(true) // compatible with 2, but the chain from 1 is broken at 3
	wantDecision(t, s, must[*omadata.Decision](t)(s.Decide(sink, f.question(psn))), "deny", omadata.DenyRenewalRequired)

	// Renewing on the current version permits again.
	f.give(t, r.ID, f.n.Processing)
	wantDecision(t, s, must[*omadata.Decision](t)(s.Decide(sink, f.question(psn))), "permit", "")

	// A retired processing permits nothing.
	must[*omadata.Processing](t)(s.RetireProcessing(Admin(), f.n.Processing.ID))
	wantDecision(t, s, must[*omadata.Decision](t)(s.Decide(sink, f.question(psn))), "deny", omadata.DenyNoProcessing)
}

// testDecisionLegalBasis: a public-task processing permits on its recorded
// basis unless an objection or restriction blocks it; with a consent-based
// processing beside it, a consent is the preferred ground.
func testDecisionLegalBasis(t *testing.T, s *store.Store) {
	f := newDecisionFixture(t, s)
	task := f.processing(t, "research-task", "research", omadata.BasisPublicTask, f.n.Loans.ID)
	research := Purpose(t, s, "research").ID
	sink := As(f.n.Sink.ID)
	ask := func(t *testing.T, psn string) *omadata.Decision {
		t.Helper()
		q := f.question(psn)
		q.PurposeID = research
		return must[*omadata.Decision](t)(s.Decide(sink, q))
	}
	object := func(t *testing.T, residentID, kind, status string) string {
		t.Helper()
		id := omadata.NewID("obj")
		ok(t, s.DB().Exec(context.Background(), `INSERT INTO objections (id, resident_id, processing_id, kind, status, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			id, residentID, task.ID, kind, status, time.Now().UTC()))
		return id
	}

	r, psn := f.resident(t)
	d := ask(t, psn)
	wantDecision(t, s, d, "permit", "")
	want := omadata.Ground{Kind: "legal_basis", LegalBasis: omadata.BasisPublicTask, LegalBasisIRI: omadata.GDPRBase + "A6-1-e",
		Note: "Act on the Openness of Government Activities 621/1999, section 28"}
	if d.Ground == nil || *d.Ground != want || d.ProcessingID != task.ID {
		t.Fatalf("got ground %+v on %s, want %+v on %s", d.Ground, d.ProcessingID, want, task.ID)
	}
	if ev := evidence(t, s, d.EvidenceID); ev[1] != "" || ev[2] != omadata.BasisPublicTask {
		t.Fatalf("got evidence %v, want no consent and basis A6-1-e", ev)
	}

	tests := []struct {
		name, kind, status, reason string
	}{
		{"pending objection", "objection", "pending", omadata.DenyObjection},
		{"upheld objection", "objection", "upheld", omadata.DenyObjection},
		{"rejected objection", "objection", "rejected", ""},
		{"lifted objection", "objection", "lifted", ""},
		{"pending restriction", "restriction", "pending", omadata.DenyRestriction},
		{"upheld restriction", "restriction", "upheld", omadata.DenyRestriction},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, psn := f.resident(t)
			object(t, r.ID, tt.kind, tt.status)
			if tt.reason == "" {
				wantDecision(t, s, ask(t, psn), "permit", "")
			} else {
				wantDecision(t, s, ask(t, psn), "deny", tt.reason)
			}
		})
	}
	t.Run("objection of another resident", func(t *testing.T) {
		_, psn := f.resident(t)
		object(t, r.ID, "objection", "upheld")
		wantDecision(t, s, ask(t, psn), "permit", "")
	})

	// A consent-based processing for the same purpose and data.
	withConsent := f.processing(t, "research-consent", "research", omadata.BasisConsent, f.n.Loans.ID)
	t.Run("consent preferred", func(t *testing.T) {
		r, psn := f.resident(t)
		c := f.give(t, r.ID, withConsent)
		d := ask(t, psn)
		wantDecision(t, s, d, "permit", "")
		if d.Ground.Kind != "consent" || d.Ground.ConsentID != c.ID || d.ProcessingID != withConsent.ID {
			t.Fatalf("got ground %+v on %s, want consent %s on %s", d.Ground, d.ProcessingID, c.ID, withConsent.ID)
		}
	})
	t.Run("legal basis when there is no consent", func(t *testing.T) {
		_, psn := f.resident(t)
		d := ask(t, psn)
		wantDecision(t, s, d, "permit", "")
		if d.Ground.Kind != "legal_basis" {
			t.Fatalf("got ground %+v, want the legal basis", d.Ground)
		}
	})
	t.Run("most specific reason", func(t *testing.T) {
		r, psn := f.resident(t)
		object(t, r.ID, "objection", "pending")
		d := ask(t, psn) // no consent on one, an objection on the other
		wantDecision(t, s, d, "deny", omadata.DenyObjection)
		if d.ProcessingID != task.ID {
			t.Fatalf("got processing %s, want %s", d.ProcessingID, task.ID)
		}
	})
}

func testDecisionBatch(t *testing.T, s *store.Store) {
	f := newDecisionFixture(t, s)
	r, psn := f.resident(t)
	f.give(t, r.ID, f.n.Processing)
	_, other := f.resident(t)
	sink := As(f.n.Sink.ID)

	before := rowCount(t, s, "decisions")
	ds := must[[]*omadata.Decision](t)(s.DecideBatch(sink, []*omadata.DecisionInput{f.question(psn), f.question(other), f.question(psn)}))
	if len(ds) != 3 {
		t.Fatalf("got %d decisions, want 3", len(ds))
	}
	wantDecision(t, s, ds[0], "permit", "")
	wantDecision(t, s, ds[1], "deny", omadata.DenyNoConsent)
	wantDecision(t, s, ds[2], "permit", "")
	if ds[0].EvidenceID == ds[2].EvidenceID {
		t.Fatal("two answers share an evidence ID")
	}
	if got := rowCount(t, s, "decisions"); got != before+3 {
		t.Fatalf("got %d evidence rows, want %d", got, before+3)
	}

	bad := f.question(psn)
	bad.PurposeID = "nope"
	foreign := f.question(psn)
	foreign.SinkID, foreign.SourceID = f.source2.ID, f.n.Source.ID
	tooMany := make([]*omadata.DecisionInput, omadata.MaxBatch+1)
	for i := range tooMany {
		tooMany[i] = f.question(psn)
	}
	tests := []struct {
		name        string
		in          []*omadata.DecisionInput
		code, field string
	}{
		{"empty", nil, omadata.EINVALID, "requests"},
		{"too many", tooMany, omadata.EINVALID, "requests"},
		{"nil question", []*omadata.DecisionInput{f.question(psn), nil}, omadata.EINVALID, "requests[1]"},
		{"invalid question", []*omadata.DecisionInput{f.question(psn), bad}, omadata.EINVALID, "requests[1].purpose_id"},
		{"question about others", []*omadata.DecisionInput{f.question(psn), foreign}, omadata.EFORBIDDEN, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := rowCount(t, s, "decisions")
			_, err := s.DecideBatch(sink, tt.in)
			wantField(t, err, tt.code, tt.field)
			if got := rowCount(t, s, "decisions"); got != before {
				t.Fatalf("a refused batch wrote %d evidence rows", got-before)
			}
		})
	}
}

// testDecisionCallers: only the sink or the source of the question may ask,
// with the decisions scope; input is checked field by field.
func testDecisionCallers(t *testing.T, s *store.Store) {
	f := newDecisionFixture(t, s)
	r, psn := f.resident(t)
	f.give(t, r.ID, f.n.Processing)
	third := CreateService(t, s, f.n.Company.ID, true, omadata.RoleSink)
	withScopes := func(svc string, scopes ...string) context.Context {
		return omadata.NewContextWithCaller(context.Background(), omadata.Caller{Kind: omadata.CallerService, ServiceID: svc, Scopes: scopes})
	}
	named := f.question(psn)
	named.SinkID = f.n.Sink.ID

	refused := []struct {
		name        string
		ctx         context.Context
		in          *omadata.DecisionInput
		code, field string
	}{
		{"a third service", As(third.ID), named, omadata.EFORBIDDEN, ""},
		{"without the decisions scope", withScopes(f.n.Sink.ID, omadata.ScopeGrants, omadata.ScopeConsents), f.question(psn), omadata.EFORBIDDEN, ""},
		{"an admin", Admin(), named, omadata.EFORBIDDEN, ""},
		{"a resident", AsResident(r.ID), named, omadata.EFORBIDDEN, ""},
		{"anonymous", Public(), named, omadata.EFORBIDDEN, ""},
		{"nil", As(f.n.Sink.ID), nil, omadata.EINVALID, "body"},
		{"neither party", As(f.n.Sink.ID), &omadata.DecisionInput{Pseudonym: psn, DataGroupIDs: named.DataGroupIDs, PurposeID: named.PurposeID}, omadata.EINVALID, "source_id"},
		{"bad sink", As(f.n.Sink.ID), &omadata.DecisionInput{SinkID: "svc_x", SourceID: f.n.Source.ID, Pseudonym: psn, DataGroupIDs: named.DataGroupIDs, PurposeID: named.PurposeID}, omadata.EINVALID, "sink_id"},
		{"bad source", As(f.n.Sink.ID), &omadata.DecisionInput{SourceID: "x", Pseudonym: psn, DataGroupIDs: named.DataGroupIDs, PurposeID: named.PurposeID}, omadata.EINVALID, "source_id"},
		{"no pseudonym", As(f.n.Sink.ID), &omadata.DecisionInput{SourceID: f.n.Source.ID, DataGroupIDs: named.DataGroupIDs, PurposeID: named.PurposeID}, omadata.EINVALID, "pseudonym"},
		{"bad pseudonym", As(f.n.Sink.ID), &omadata.DecisionInput{SourceID: f.n.Source.ID, Pseudonym: r.ID, DataGroupIDs: named.DataGroupIDs, PurposeID: named.PurposeID}, omadata.EINVALID, "pseudonym"},
		{"no data groups", As(f.n.Sink.ID), &omadata.DecisionInput{SourceID: f.n.Source.ID, Pseudonym: psn, PurposeID: named.PurposeID}, omadata.EINVALID, "data_group_ids"},
		{"repeated data group", As(f.n.Sink.ID), &omadata.DecisionInput{SourceID: f.n.Source.ID, Pseudonym: psn, DataGroupIDs: []string{f.n.Loans.ID, f.n.Loans.ID}, PurposeID: named.PurposeID}, omadata.EINVALID, "data_group_ids"},
		{"too many data groups", As(f.n.Sink.ID), &omadata.DecisionInput{SourceID: f.n.Source.ID, Pseudonym: psn, DataGroupIDs: make([]string, 101), PurposeID: named.PurposeID}, omadata.EINVALID, "data_group_ids"},
		{"bad data group", As(f.n.Sink.ID), &omadata.DecisionInput{SourceID: f.n.Source.ID, Pseudonym: psn, DataGroupIDs: []string{"dg_1"}, PurposeID: named.PurposeID}, omadata.EINVALID, "data_group_ids"},
		{"no purpose", As(f.n.Sink.ID), &omadata.DecisionInput{SourceID: f.n.Source.ID, Pseudonym: psn, DataGroupIDs: named.DataGroupIDs}, omadata.EINVALID, "purpose_id"},
	}
	before := rowCount(t, s, "decisions")
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Decide(tt.ctx, tt.in)
			wantField(t, err, tt.code, tt.field)
		})
	}
	if got := rowCount(t, s, "decisions"); got != before {
		t.Fatalf("refused questions wrote %d evidence rows", got-before)
	}

	// The third service's own pseudonym of the resident is unknown to it,
	// and the sink's pseudonym is not the third service's: both are
	// unknown_resident, with nothing about the consent in the answer.
	q := &omadata.DecisionInput{SourceID: f.n.Source.ID, Pseudonym: psn, DataGroupIDs: named.DataGroupIDs, PurposeID: named.PurposeID}
	d := must[*omadata.Decision](t)(s.Decide(As(third.ID), q))
	wantDecision(t, s, d, "deny", omadata.DenyUnknownResident)
	if d.ProcessingID != "" || d.Ground != nil {
		t.Fatalf("got %+v, want a deny that names nothing", d)
	}
}

// testDecisionFirstPermitsAtOnce: a resident's first log leaf makes their
// log key. Permits about a resident who has none yet (bulk-loaded
// residents, and residents whose key was made before logs, have none), asked
// at once, all permit: the one that lost the race for the key writes again
// with the winner's key instead of answering a valid question with 409.
func testDecisionFirstPermitsAtOnce(t *testing.T, s *store.Store) {
	f := newDecisionFixture(t, s)
	r, psn := f.resident(t)
	f.give(t, r.ID, f.n.Processing)
	ctx := context.Background()
	if err := s.DB().Exec(ctx, `DELETE FROM resident_log_keys WHERE resident_id = ?`, r.ID); err != nil {
		t.Fatal(err)
	}
	sink := As(f.n.Sink.ID)
	const n = 8
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			d, err := s.Decide(sink, f.question(psn))
			if err == nil && d.Decision != "permit" {
				err = fmt.Errorf("got %s %s, want a permit", d.Decision, d.Reason)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	rows, err := s.DB().QueryStrings(ctx, `SELECT COUNT(*) FROM resident_log_keys WHERE resident_id = ?`, r.ID)
	if err != nil {
		t.Fatal(err)
	} else if rows[0][0] != "1" {
		t.Fatalf("%s log keys, want 1", rows[0][0])
	}
}
