// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store/storetest"
)

// TestLoad loads a small dataset on each engine and checks that the bulk
// rows are what the store itself would have written: decisions answer as
// the mix says, identities open and are found by their blind index,
// consent chains verify, and every workload's operation succeeds on them.
func TestLoad(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			dsn := ""
			if engine == "postgres" {
				dsn = storetest.PostgresDSN(t)
			}
			ctx := context.Background()
			d, err := Load(ctx, LoadOptions{Engine: engine, PostgresURL: dsn, Dir: t.TempDir(), Records: 700, Pool: 40})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { d.Close() })
			testLoaded(t, d)
		})
	}
}

func testLoaded(t *testing.T, d *Dataset) {
	ctx := context.Background()
	// 700 consents need 800 residents in the mix; the withdrawal pool adds
	// 40 consents; every withdrawn consent has two records.
	if d.Mix != 800 || d.Residents != 880 || d.Consents != 740 || d.ConsentRecords != 840 {
		t.Fatalf("got mix %d, %d residents, %d consents, %d records; want 800, 880, 740, 840", d.Mix, d.Residents, d.Consents, d.ConsentRecords)
	}
	s, err := d.OpenStore(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.DB().Close()
	sink := asService(ctx, d.Sink.ID, omadata.ScopeDecisions)
	admin := admin(ctx)

	for k := 0; k < 16; k++ {
		q, permit, reason := d.Question(k)
		dec, err := s.Decide(sink, q)
		if err != nil {
			t.Fatalf("resident %d: %v", k, err)
		} else if dec.Permit() != permit || dec.Reason != reason {
			t.Errorf("resident %d: got %s %q, want permit %v %q", k, dec.Decision, dec.Reason, permit, reason)
		}
		f, err := s.LoadDecisionFacts(sink, q)
		if err != nil {
			t.Fatal(err)
		} else if p, why := f.Evaluate(time.Now()); p != permit || why != reason {
			t.Errorf("resident %d: facts evaluate to %v %q, want %v %q", k, p, why, permit, reason)
		}

		me, err := s.FindResidentByID(asResident(ctx, d.ResidentID(k)), d.ResidentID(k))
		if err != nil {
			t.Fatalf("resident %d: %v", k, err)
		} else if _, err := omadata.ParseIdentityCode(me.IdentityCode); err != nil {
			t.Errorf("resident %d: identity code: %v", k, err)
		} else if found, err := s.FindResidentByIdentityCode(admin, me.IdentityCode); err != nil || found.ID != me.ID {
			t.Errorf("resident %d: found by identity code %v (%v), want %s", k, found, err, me.ID)
		}

		if d.kind(k) == kindNone {
			continue
		}
		c, err := s.FindConsentByID(asResident(ctx, d.ResidentID(k)), d.ConsentID(k))
		if err != nil {
			t.Fatalf("resident %d: %v", k, err)
		} else if err := omadata.VerifyConsentChain(d.ResidentID(k), c.Records); err != nil {
			t.Errorf("resident %d: %v", k, err)
		} else if want := map[bool]int{true: 2, false: 1}[d.kind(k) == kindWithdrawn]; len(c.Records) != want {
			t.Errorf("resident %d: got %d records, want %d", k, len(c.Records), want)
		}
	}

	var stale atomic.Int64
	for name, op := range map[string]Op{"give": GiveOp(s, d), "withdraw": WithdrawOp(s, d, &stale), "grant": GrantOp(s, d)} {
		for i := 0; i < 3; i++ {
			if err := op(ctx, i); err != nil {
				t.Fatalf("%s %d: %v", name, i, err)
			}
		}
	}
	if n := stale.Load(); n != 0 {
		t.Fatalf("got %d stale permits, want 0", n)
	}
}
