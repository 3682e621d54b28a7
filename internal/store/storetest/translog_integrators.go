// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"sync"
	"testing"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/keys"
	"github.com/omadata/omadata/internal/store"
)

// secondIntegrator returns a second instance on s's database, with pools
// of its own and the log's signer: a second operator process.
func secondIntegrator(t *testing.T, s *store.Store) *store.Store {
	t.Helper()
	ctx := context.Background()
	db, err := s.DB().Reopen(ctx)
	ok(t, err)
	t.Cleanup(func() { db.Close() })
	sealer, err := keys.NewSealer(SecretKey)
	ok(t, err)
	signer, _, err := keys.LogSigner(ctx, store.New(db), sealer, LogOrigin)
	ok(t, err)
	return store.New(db, store.WithLog(signer))
}

// testLogIntegrators: two instances on one database integrate the log at
// the same time, again and again, while residents give and withdraw
// consents and decisions are asked. Every leaf is integrated exactly
// once, the checkpoints follow each other without a gap, each larger
// than the one before, and the log verifies: an integration that lost the
// race to the other instance wrote nothing.
func testLogIntegrators(t *testing.T, s *store.Store) {
	f := newDecisionFixture(t, s)
	second := secondIntegrator(t, s)
	const residents = 10
	type person struct{ id, psn string }
	var people []person
	for range residents {
		r, psn := f.resident(t)
		people = append(people, person{r.ID, psn})
	}
	stop := make(chan struct{})
	var integrators sync.WaitGroup
	signed := make([]int, 2)
	errs := make([]error, 2)
	for i, in := range []*store.Store{s, second} {
		integrators.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				cp, err := in.IntegrateLog(Admin())
				if err != nil && errs[i] == nil {
					errs[i] = err
				} else if cp != nil {
					signed[i]++
				}
			}
		})
	}
	var writers sync.WaitGroup
	writeErrs := make(chan error, residents)
	cur := must[*omadata.Processing](t)(s.FindProcessingByID(Admin(), f.n.Processing.ID)).Current()
	for _, p := range people {
		writers.Go(func() {
			c, err := s.GiveConsent(AsResident(p.id), &omadata.ConsentInput{ProcessingID: f.n.Processing.ID, Version: cur.Version, Language: "fi"})
			if err == nil {
				_, err = s.Decide(As(f.n.Sink.ID), f.question(p.psn))
			}
			if err == nil {
				_, err = s.ChangeConsent(AsResident(p.id), c.ID, omadata.ConsentWithdrawn, "")
			}
			writeErrs <- err
		})
	}
	writers.Wait()
	close(stop)
	integrators.Wait()
	close(writeErrs)
	for err := range writeErrs {
		ok(t, err)
	}
	ok(t, errs[0])
	ok(t, errs[1])
	integrate(t, s)

	cp := openCheckpoint(t, s)
	leaves := queryInts(t, s, `SELECT COUNT(*) FROM log_leaves`)[0]
	n := queryInts(t, s, `SELECT COUNT(*), COUNT(DISTINCT leaf_seq), COALESCE(MAX(idx), -1) FROM log_index`)
	if cp.size != leaves || n[0] != leaves || n[1] != leaves || n[2] != leaves-1 {
		t.Fatalf("%d leaves, %d indexed (%d distinct, last index %d), checkpoint of %d: want each leaf indexed once", leaves, n[0], n[1], n[2], cp.size)
	}
	cps := queryInts(t, s, `SELECT COUNT(*), MAX(seq) FROM log_checkpoints`)
	shrank := queryInts(t, s, `SELECT COUNT(*) FROM log_checkpoints a JOIN log_checkpoints b ON b.seq = a.seq + 1 WHERE b.size <= a.size`)[0]
	if cps[0] != cps[1]+1 || shrank != 0 {
		t.Fatalf("%d checkpoints up to seq %d, %d not larger than the one before: want one per seq, each larger", cps[0], cps[1], shrank)
	}
	rep, err := store.VerifyLog(context.Background(), s.DB(), store.VerifyLogOptions{VerifierKeys: []string{LogVerifierKey(t, s)}})
	ok(t, err)
	if rep.Leaves != leaves || rep.Pending != 0 || rep.Checkpoints != cps[0] {
		t.Fatalf("verified %+v, want %d leaves in %d checkpoints", rep, leaves, cps[0])
	}
	t.Logf("%d leaves, %d checkpoints; signed %d and %d by the two instances", leaves, cps[0], signed[0], signed[1])
}
