// SPDX-License-Identifier: Apache-2.0

package store_test

import (
	"testing"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
	"github.com/omadata/omadata/internal/store/storetest"
)

// TestLiveAhead: a give done ahead sees a live consent of the resident's
// on the processing, and only then, on both engines.
func TestLiveAhead(t *testing.T) {
	for name, open := range map[string]func(testing.TB) *store.Store{"sqlite": storetest.OpenSQLite, "postgres": storetest.OpenPostgres} {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			n := storetest.CreateNetwork(t, s)
			r := storetest.CreateResident(t, s, storetest.AdultCode).ID
			ctx := storetest.AsResident(r)
			want := func(step string, live bool) {
				t.Helper()
				if got, err := store.LiveAhead(ctx, s, r, n.Sink.ID, n.Processing.ID); err != nil {
					t.Fatal(err)
				} else if got != live {
					t.Errorf("%s: live %v, want %v", step, got, live)
				}
			}
			want("before any consent", false)
			c, err := s.GiveConsent(ctx, &omadata.ConsentInput{ProcessingID: n.Processing.ID, Version: 1, Language: "fi"})
			if err != nil {
				t.Fatal(err)
			}
			want("given", true)
			if _, err := s.ChangeConsent(ctx, c.ID, omadata.ConsentSuspended, ""); err != nil {
				t.Fatal(err)
			}
			want("suspended", true)
			if _, err := s.ChangeConsent(ctx, c.ID, omadata.ConsentWithdrawn, ""); err != nil {
				t.Fatal(err)
			}
			want("withdrawn", false)
		})
	}
}
