// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
)

// testBacklog: the counts /metrics shows of the log's leaves waiting for a
// checkpoint and of the webhook outbox come from the database, for admins
// only.
func testBacklog(t *testing.T, s *store.Store) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	fixedClock(s, t0)
	n := CreateNetwork(t, s)
	_, err := s.Backlog(As(n.Sink.ID))
	wantCode(t, err, omadata.EFORBIDDEN)

	integrate(t, s)
	b0 := must[*omadata.Backlog](t)(s.Backlog(Admin()))
	if b0.UnintegratedLeaves != 0 || b0.CheckpointSize == 0 || !b0.CheckpointAt.Equal(t0) {
		t.Fatalf("after an integration got %+v, want no leaf waiting and the checkpoint of %s", b0, t0)
	}
	CreateOrganisation(t, s, omadata.OrgCity) // an admin change: a leaf
	CreateOrganisation(t, s, omadata.OrgCity)
	if b := must[*omadata.Backlog](t)(s.Backlog(Admin())); b.UnintegratedLeaves != 2 || b.CheckpointSize != b0.CheckpointSize {
		t.Fatalf("after two changes got %+v, want 2 leaves waiting on checkpoint size %d", b, b0.CheckpointSize)
	}
	fixedClock(s, t0.Add(time.Minute))
	integrate(t, s)
	if b := must[*omadata.Backlog](t)(s.Backlog(Admin())); b.UnintegratedLeaves != 0 || b.CheckpointSize != b0.CheckpointSize+2 || !b.CheckpointAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("after the next integration got %+v, want none waiting, size %d, signed at %s", b, b0.CheckpointSize+2, t0.Add(time.Minute))
	}

	early := t0.Add(-time.Hour)
	InsertDelivery(t, s, n.Sink.ID, omadata.EventConsentGiven, early)
	InsertDelivery(t, s, n.Sink.ID, omadata.EventConsentGiven, t0.Add(time.Hour)) // not due yet
	dead := InsertDelivery(t, s, n.Sink.ID, omadata.EventConsentGiven, t0)
	if err := s.DB().Exec(Admin(), `UPDATE outbox SET status = 'dead' WHERE id = ?`, dead); err != nil {
		t.Fatal(err)
	}
	b := must[*omadata.Backlog](t)(s.Backlog(Admin()))
	if b.WebhookPending != b0.WebhookPending+2 || b.WebhookDue != b0.WebhookDue+1 || b.WebhookDead != b0.WebhookDead+1 || !b.WebhookOldestDue.Equal(early) {
		t.Fatalf("got %+v, want 2 more pending (1 due), 1 more dead, the oldest due at %s (before: %+v)", b, early, b0)
	}
}

// testStalePermitCanary: the canary counts permits decided on a consent
// more than omadata.StalePermitMargin after its withdrawal. The store
// itself never makes one (the decision after a withdrawal denies); a
// permit copied in with a later time stands for a decision that read a
// stale state.
func testStalePermitCanary(t *testing.T, s *store.Store) {
	f := newDecisionFixture(t, s)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	fixedClock(s, t0)
	r, psn := f.resident(t)
	c := f.give(t, r.ID, f.n.Processing)
	sink := As(f.n.Sink.ID)
	permit := must[*omadata.Decision](t)(s.Decide(sink, f.question(psn)))
	wantDecision(t, s, permit, "permit", "")
	withdrawn := t0.Add(time.Minute)
	fixedClock(s, withdrawn)
	must[*omadata.Consent](t)(s.ChangeConsent(AsResident(r.ID), c.ID, omadata.ConsentWithdrawn, ""))
	fixedClock(s, withdrawn.Add(30*time.Second))
	wantDecision(t, s, must[*omadata.Decision](t)(s.Decide(sink, f.question(psn))), "deny", "consent_withdrawn")
	stale := func(want int64) {
		t.Helper()
		if b := must[*omadata.Backlog](t)(s.Backlog(Admin())); b.StalePermits != want {
			t.Fatalf("stale permits %d, want %d", b.StalePermits, want)
		}
	}
	stale(0)

	copyPermit := func(at time.Time) {
		t.Helper()
		if err := s.DB().Exec(Admin(), `INSERT INTO decisions (id, decided_at, caller_id, sink_id, source_id, resident_id, purpose_id,
			data_group_ids, processing_id, version_id, permit, consent_id, legal_basis, reason)
			SELECT ?, ?, caller_id, sink_id, source_id, resident_id, purpose_id, data_group_ids, processing_id, version_id,
			permit, consent_id, legal_basis, reason FROM decisions WHERE id = ?`,
			omadata.NewID(omadata.PrefixDecision), at, permit.EvidenceID); err != nil {
			t.Fatal(err)
		}
	}
	copyPermit(withdrawn.Add(omadata.StalePermitMargin / 2)) // while the withdrawal may still be committing
	stale(0)
	copyPermit(withdrawn.Add(omadata.StalePermitMargin + time.Second))
	stale(1)
}
