// SPDX-License-Identifier: Apache-2.0

package store_test

import (
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
	"github.com/omadata/omadata/internal/store/storetest"
)

// BenchmarkEvaluate measures the decision rule alone, on facts read once,
// on every CPU: half the questions permit, half deny (withdrawn, no
// consent, a purpose the sink has no processing for). omadata bench
// reports the same measure on a loaded database as W1-eval.
//
//	go test -run XXX -bench Evaluate ./internal/store/
func BenchmarkEvaluate(b *testing.B) {
	s := storetest.OpenSQLite(b)
	n := storetest.CreateNetwork(b, s)
	ctx := storetest.Admin()
	sink := storetest.As(n.Sink.ID)
	var facts []*store.DecisionFacts
	for i := 0; i < 4; i++ {
		r := storetest.CreateResident(b, s, storetest.ChildBornOn(time.Date(1960+i, 1, 1, 0, 0, 0, 0, time.UTC)))
		psn, err := s.Pseudonym(ctx, n.Sink.ID, r.ID)
		if err != nil {
			b.Fatal(err)
		}
		q := &omadata.DecisionInput{SourceID: n.Source.ID, Pseudonym: psn, DataGroupIDs: []string{n.Loans.ID}, PurposeID: n.Recommendations.ID}
		if i < 3 {
			c, err := s.GiveConsent(storetest.AsResident(r.ID), &omadata.ConsentInput{ProcessingID: n.Processing.ID, Version: 1, Language: "fi"})
			if err != nil {
				b.Fatal(err)
			}
			if i == 1 {
				if _, err := s.ChangeConsent(storetest.AsResident(r.ID), c.ID, omadata.ConsentWithdrawn, ""); err != nil {
					b.Fatal(err)
				}
			}
			if i == 2 {
				q.PurposeID = storetest.Purpose(b, s, "research").ID
			}
		}
		for j := 0; j < 3 && (i == 0 || j == 0); j++ { // the permit three times: half of the mix
			f, err := s.LoadDecisionFacts(sink, q)
			if err != nil {
				b.Fatal(err)
			}
			facts = append(facts, f)
		}
	}
	now := time.Now()
	if p, _ := facts[0].Evaluate(now); !p {
		b.Fatal("the first question does not permit")
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for i := 0; pb.Next(); i++ {
			facts[i%len(facts)].Evaluate(now)
		}
	})
}
