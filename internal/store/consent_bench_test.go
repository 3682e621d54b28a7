// SPDX-License-Identifier: Apache-2.0

package store_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store/storetest"
	"github.com/omadata/omadata/internal/worker"
)

// BenchmarkGiveWithdraw measures a resident giving consent and then
// withdrawing it through the store, each answered after its synced commit:
// one operation is the two writes. Compare with BenchmarkSyncedInsert.
func BenchmarkGiveWithdraw(b *testing.B) {
	for _, par := range []int{1, 32} {
		b.Run(fmt.Sprintf("clients=%d", par), func(b *testing.B) {
			s := storetest.OpenSQLite(b)
			n := storetest.CreateNetwork(b, s)
			var residents []string
			for i := range 32 * 4 {
				code := storetest.ChildBornOn(time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i))
				residents = append(residents, storetest.CreateResident(b, s, code).ID)
			}
			var next atomic.Int64
			b.SetParallelism(par)
			b.ResetTimer()
			cpu := processCPU()
			b.RunParallel(func(pb *testing.PB) {
				r := residents[next.Add(1)-1]
				ctx := storetest.AsResident(r)
				for pb.Next() {
					c, err := s.GiveConsent(ctx, &omadata.ConsentInput{ProcessingID: n.Processing.ID, Version: 1, Language: "fi"})
					if err != nil {
						b.Error(err)
						return
					}
					if _, err := s.ChangeConsent(ctx, c.ID, omadata.ConsentWithdrawn, ""); err != nil {
						b.Error(err)
						return
					}
				}
			})
			// One client's wall time is mostly its two fsyncs; the CPU
			// time of the process per pair is what the work costs.
			b.ReportMetric(float64((processCPU()-cpu).Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
}

// BenchmarkCheckpointsUnderLoad runs 32 residents giving and withdrawing
// consent as fast as they can while serve's checkpointer integrates the
// log every DefaultCheckpointInterval, and reports the longest time
// between two signed checkpoints (target: at most a second) and how many
// leaves still waited at the end. One operation is a give and a withdrawal.
func BenchmarkCheckpointsUnderLoad(b *testing.B) {
	s := storetest.OpenSQLite(b)
	n := storetest.CreateNetwork(b, s)
	var residents []string
	for i := range 32 {
		code := storetest.ChildBornOn(time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i))
		residents = append(residents, storetest.CreateResident(b, s, code).ID)
	}
	var mu sync.Mutex
	var signed []time.Time
	ctx, cancel := context.WithCancel(storetest.Admin())
	done := make(chan struct{})
	cp := &worker.Checkpointer{Log: s, Signed: func(*omadata.Checkpoint) {
		mu.Lock()
		signed = append(signed, time.Now())
		mu.Unlock()
	}}
	go func() { cp.Run(ctx); close(done) }()
	var next atomic.Int64
	b.SetParallelism(16) // 32 clients on 2 CPUs
	start := time.Now()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		r := residents[(next.Add(1)-1)%int64(len(residents))]
		rctx := storetest.AsResident(r)
		for pb.Next() {
			c, err := s.GiveConsent(rctx, &omadata.ConsentInput{ProcessingID: n.Processing.ID, Version: 1, Language: "fi"})
			if err != nil {
				b.Error(err)
				return
			}
			if _, err := s.ChangeConsent(rctx, c.ID, omadata.ConsentWithdrawn, ""); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	end := time.Now()
	cancel()
	<-done
	mu.Lock()
	defer mu.Unlock()
	gap, last := time.Duration(0), start
	for _, t := range signed {
		if t.After(start) {
			gap, last = max(gap, t.Sub(last)), t
		}
	}
	gap = max(gap, end.Sub(last))
	rows, err := s.DB().QueryStrings(context.Background(), `SELECT COUNT(*) FROM log_leaves l WHERE NOT EXISTS (SELECT 1 FROM log_index i WHERE i.leaf_seq = l.seq)`)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(gap.Milliseconds()), "max-checkpoint-gap-ms")
	w, _ := strconv.Atoi(rows[0][0])
	b.ReportMetric(float64(w), "leaves-waiting-at-end")
}
