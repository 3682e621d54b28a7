// SPDX-License-Identifier: Apache-2.0

package store_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
	"github.com/omadata/omadata/internal/store/storetest"
)

// BenchmarkDecide measures one permitting decision through the store, its
// evidence committed (synced) before it returns: one caller at a time, and
// many at once.
// On PostgreSQL it runs when OMADATA_TEST_POSTGRES_DSN is set.
func BenchmarkDecide(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchmarkDecide(b, storetest.OpenSQLite(b)) })
	b.Run("postgres", func(b *testing.B) { benchmarkDecide(b, storetest.OpenPostgres(b)) })
}

func benchmarkDecide(b *testing.B, s *store.Store) {
	n := storetest.CreateNetwork(b, s)
	r := storetest.CreateResident(b, s, storetest.AdultCode)
	if _, err := s.GiveConsent(storetest.AsResident(r.ID), &omadata.ConsentInput{ProcessingID: n.Processing.ID, Version: 1, Language: "fi"}); err != nil {
		b.Fatal(err)
	}
	p, err := s.Pseudonym(storetest.Admin(), n.Sink.ID, r.ID)
	if err != nil {
		b.Fatal(err)
	}
	ctx := omadata.NewContextWithCaller(context.Background(), omadata.Caller{Kind: omadata.CallerService, ServiceID: n.Sink.ID, Scopes: []string{omadata.ScopeDecisions}})
	in := &omadata.DecisionInput{SourceID: n.Source.ID, Pseudonym: p, DataGroupIDs: []string{n.Loans.ID}, PurposeID: n.Recommendations.ID}
	for _, par := range []int{1, 16} {
		b.Run(map[int]string{1: "serial", 16: "parallel"}[par], func(b *testing.B) {
			b.SetParallelism(par)
			cpu := processCPU()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					d, err := s.Decide(ctx, in)
					if err != nil || !d.Permit() {
						b.Fatalf("%v %+v", err, d)
					}
				}
			})
			// Wall time per call moves with whatever else the shared
			// machine runs; the process's CPU time per call (this process
			// only, so not PostgreSQL's) moves less.
			b.ReportMetric(float64((processCPU()-cpu).Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
}

// processCPU returns the user and system CPU time of the process so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
