// SPDX-License-Identifier: Apache-2.0

package store_test

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store/storetest"
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
		})
	}
}
