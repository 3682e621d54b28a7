// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
)

// testDecisionFacts: evaluating loaded facts alone answers as Decide does,
// records nothing, and refuses the callers and input Decide refuses.
func testDecisionFacts(t *testing.T, s *store.Store) {
	f := newDecisionFixture(t, s)
	n := f.n
	sink := As(n.Sink.ID)
	task := f.processing(t, "research-task", "research", omadata.BasisPublicTask, n.Loans.ID)
	research := Purpose(t, s, "research").ID
	hour := time.Now().UTC().Add(time.Hour)

	tests := []struct {
		name  string
		setup func(t *testing.T, residentID, psn string) *omadata.DecisionInput
		at    time.Time // when to decide; zero: now
	}{
		{"permit", func(t *testing.T, id, psn string) *omadata.DecisionInput {
			f.give(t, id, n.Processing)
			return f.question(psn)
		}, time.Time{}},
		{"unknown pseudonym", func(t *testing.T, _, _ string) *omadata.DecisionInput {
			return f.question(omadata.NewID(omadata.PrefixPseudonym))
		}, time.Time{}},
		{"no consent", func(t *testing.T, _, psn string) *omadata.DecisionInput { return f.question(psn) }, time.Time{}},
		{"withdrawn", func(t *testing.T, id, psn string) *omadata.DecisionInput {
			c := f.give(t, id, n.Processing)
			must[*omadata.Consent](t)(s.ChangeConsent(AsResident(id), c.ID, omadata.ConsentWithdrawn, ""))
			return f.question(psn)
		}, time.Time{}},
		{"window passed, status still given", func(t *testing.T, id, psn string) *omadata.DecisionInput {
			must[*omadata.Consent](t)(s.GiveConsent(AsResident(id), &omadata.ConsentInput{
				ProcessingID: n.Processing.ID, Version: 1, Language: "fi", ValidUntil: &hour}))
			return f.question(psn)
		}, hour},
		{"source not the holder", func(t *testing.T, id, psn string) *omadata.DecisionInput {
			q := f.question(psn)
			q.DataGroupIDs = []string{n.Loans.ID, f.meals.ID}
			return q
		}, time.Time{}},
		{"legal basis", func(t *testing.T, _, psn string) *omadata.DecisionInput {
			q := f.question(psn)
			q.PurposeID = research
			return q
		}, time.Time{}},
		{"objection", func(t *testing.T, id, psn string) *omadata.DecisionInput {
			ok(t, s.DB().Exec(context.Background(), `INSERT INTO objections (id, resident_id, processing_id, kind, status, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
				omadata.NewID("obj"), id, task.ID, "objection", "upheld", time.Now().UTC()))
			q := f.question(psn)
			q.PurposeID = research
			return q
		}, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, psn := f.resident(t)
			q := tt.setup(t, r.ID, psn)
			before := rowCount(t, s, "decisions")
			facts := must[*store.DecisionFacts](t)(s.LoadDecisionFacts(sink, q))
			if got := rowCount(t, s, "decisions"); got != before {
				t.Fatalf("loading facts wrote %d evidence rows", got-before)
			}
			at := tt.at
			if at.IsZero() {
				at = time.Now().UTC()
			}
			fixedClock(s, at)
			defer func() { s.DB().Now = time.Now }()
			d := must[*omadata.Decision](t)(s.Decide(sink, q))
			if permit, reason := facts.Evaluate(at); permit != d.Permit() || reason != d.Reason {
				t.Fatalf("facts evaluate to %v %q, Decide answers %s %q", permit, reason, d.Decision, d.Reason)
			}
		})
	}
	r, psn := f.resident(t)
	f.give(t, r.ID, n.Processing)
	bad := f.question(psn)
	bad.PurposeID = "nope"
	foreign := f.question(psn)
	foreign.SinkID = n.Sink.ID
	for _, tt := range []struct {
		name        string
		ctx         context.Context
		in          *omadata.DecisionInput
		code, field string
	}{
		{"resident caller", AsResident(r.ID), f.question(psn), omadata.EFORBIDDEN, ""},
		{"no question", sink, nil, omadata.EINVALID, "body"},
		{"bad purpose", sink, bad, omadata.EINVALID, "purpose_id"},
		{"a question about others", As(f.source2.ID), foreign, omadata.EFORBIDDEN, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.LoadDecisionFacts(tt.ctx, tt.in)
			wantField(t, err, tt.code, tt.field)
		})
	}
}
