// SPDX-License-Identifier: Apache-2.0

package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
	"github.com/omadata/omadata/internal/store/storetest"
)

// historyCycles is the long history: give-and-withdraw cycles of one
// resident on one processing before the decision.
const historyCycles = 10000

// BenchmarkDecideHistory measures whether a decision's cost grows with the
// resident's history on the processing. Four residents: one with a single
// give-and-withdraw cycle and one with historyCycles, each asked about
// once with consent given again (a permit) and once with it withdrawn (a
// deny). Each op is one decision for each of the four; the metrics are the
// p50 of each and the ratio of the long history's p50 to the short one's,
// measured in the same run (the target is at most 1.2). On PostgreSQL it
// runs when OMADATA_TEST_POSTGRES_DSN is set.
//
//	go test ./internal/store -run '^$' -bench DecideHistory -benchtime 2000x
func BenchmarkDecideHistory(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchmarkDecideHistory(b, storetest.OpenSQLite(b)) })
	b.Run("postgres", func(b *testing.B) { benchmarkDecideHistory(b, storetest.OpenPostgres(b)) })
}

func benchmarkDecideHistory(b *testing.B, s *store.Store) {
	n := storetest.CreateNetwork(b, s)
	sink := omadata.NewContextWithCaller(context.Background(), omadata.Caller{Kind: omadata.CallerService, ServiceID: n.Sink.ID, Scopes: []string{omadata.ScopeDecisions}})
	type subject struct {
		name   string
		cycles int
		permit bool
		in     *omadata.DecisionInput
		took   []time.Duration
	}
	subjects := []*subject{
		{name: "permit-1", cycles: 1, permit: true},
		{name: "permit-10000", cycles: historyCycles, permit: true},
		{name: "deny-1", cycles: 1},
		{name: "deny-10000", cycles: historyCycles},
	}
	give := &omadata.ConsentInput{ProcessingID: n.Processing.ID, Version: 1, Language: "fi"}
	for i, sub := range subjects {
		r := storetest.CreateResident(b, s, storetest.ChildBornOn(time.Date(1975, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i)))
		as := storetest.AsResidentVia(r.ID, omadata.ChannelAPI)
		c, err := s.GiveConsent(as, give)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.ChangeConsent(as, c.ID, omadata.ConsentWithdrawn, ""); err != nil {
			b.Fatal(err)
		}
		if err := store.AddConsentHistory(context.Background(), s, c.ID, sub.cycles-1); err != nil {
			b.Fatal(err)
		}
		if sub.permit {
			if _, err := s.GiveConsent(as, give); err != nil {
				b.Fatal(err)
			}
		}
		p, err := s.Pseudonym(storetest.Admin(), n.Sink.ID, r.ID)
		if err != nil {
			b.Fatal(err)
		}
		sub.in = &omadata.DecisionInput{SourceID: n.Source.ID, Pseudonym: p, DataGroupIDs: []string{n.Loans.ID}, PurposeID: n.Recommendations.ID}
		// One decision first, so that the catalogue is cached for all.
		if d, err := s.Decide(sink, sub.in); err != nil || d.Permit() != sub.permit {
			b.Fatalf("%s: got %+v, %v; want permit %v", sub.name, d, err, sub.permit)
		}
	}
	b.ResetTimer()
	for range b.N {
		for _, sub := range subjects {
			start := time.Now()
			d, err := s.Decide(sink, sub.in)
			sub.took = append(sub.took, time.Since(start))
			if err != nil || d.Permit() != sub.permit {
				b.Fatalf("%s: got %+v, %v; want permit %v", sub.name, d, err, sub.permit)
			}
		}
	}
	b.StopTimer()
	p50 := map[string]float64{}
	for _, sub := range subjects {
		slices.Sort(sub.took)
		p50[sub.name] = float64(sub.took[len(sub.took)/2].Microseconds())
		b.ReportMetric(p50[sub.name], sub.name+"-p50-µs")
	}
	b.ReportMetric(p50["permit-10000"]/p50["permit-1"], "permit-ratio")
	b.ReportMetric(p50["deny-10000"]/p50["deny-1"], "deny-ratio")
}
