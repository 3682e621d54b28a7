// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
)

// publicTaskDraft creates, as the sink itself, a processing on the public
// task basis over groups, with its notices: ready to publish but for an
// approval.
func publicTaskDraft(t *testing.T, s *store.Store, sinkID, code string, groups ...string) *omadata.Processing {
	t.Helper()
	d := NewDraft(sinkID, code, Purpose(t, s, "research").ID, groups...)
	d.LegalBasis, d.LegalBasisNote = omadata.BasisPublicTask, "Act on the Openness of Government Activities 621/1999, section 28"
	p := must[*omadata.Processing](t)(s.CreateProcessing(As(sinkID), d))
	PutNotices(t, s, p.ID, 1)
	return p
}

// testProcessingApproval: a sink publishes a processing on a basis other
// than consent only after the controller of the data (their organisation
// admin) or an operator admin approved exactly what it publishes; the
// approval is recorded, audited and logged; refusals change nothing.
func testProcessingApproval(t *testing.T, s *store.Store) {
	n := CreateNetwork(t, s)
	sink := As(n.Sink.ID)
	city, company := AsOrganisation(n.City.ID), AsOrganisation(n.Company.ID)
	p := publicTaskDraft(t, s, n.Sink.ID, "loans-statistics", n.Loans.ID)
	snapshot := func() *omadata.Processing { return must[*omadata.Processing](t)(s.FindProcessingByID(Admin(), p.ID)) }
	before := snapshot()

	_, err := s.PublishVersion(sink, p.ID, 1)
	wantField(t, err, omadata.ECONFLICT, "approval")
	other := CreateService(t, s, n.Company.ID, true, omadata.RoleSink)
	stranger := CreateOrganisation(t, s, omadata.OrgCompany)
	for _, tt := range []struct {
		name string
		ctx  context.Context
		code string
	}{
		{"the sink itself", sink, omadata.EFORBIDDEN},
		{"the sink's organisation admin", company, omadata.EFORBIDDEN},
		{"another service", As(other.ID), omadata.ENOTFOUND},
		{"an unrelated organisation admin", AsOrganisation(stranger.ID), omadata.ENOTFOUND},
		{"the public", Public(), omadata.ENOTFOUND},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.ApproveVersion(tt.ctx, p.ID, 1)
			wantCode(t, err, tt.code)
		})
	}
	if after := snapshot(); !reflect.DeepEqual(before, after) {
		t.Fatalf("refused calls changed the processing: %+v", after.Latest())
	}
	if got := queryStrings(t, s, `SELECT COUNT(*) FROM processing_version_approvals`); got[0] != "0" {
		t.Fatalf("got %s approvals after refusals, want 0", got[0])
	}

	// The city holds the loans: its organisation admin approves.
	v := must[*omadata.ProcessingVersion](t)(s.ApproveVersion(city, p.ID, 1))
	if v.Approval == nil || v.Approval.ApprovedBy != "organisation:staff:stf_test" || !v.Approved() || v.Status != omadata.VersionDraft {
		t.Fatalf("got %+v approval %+v, want a draft approved by the city admin", v, v.Approval)
	}
	if got := snapshot().Latest().Approval; got == nil || got.ID != v.Approval.ID {
		t.Fatalf("the stored approval is %+v, want %+v", got, v.Approval)
	}
	rows := must[[][]string](t)(s.DB().QueryStrings(context.Background(), `SELECT c.actor_id, l.kind FROM processing_version_approvals a
		JOIN admin_changes c ON c.id = a.change_id JOIN log_leaves l ON l.record_id = c.id WHERE a.id = ?`, v.Approval.ID))
	if len(rows) != 1 || rows[0][0] != "organisation:staff:stf_test" || rows[0][1] != "admin.processing.version_approved" {
		t.Fatalf("got audit and leaf %v, want the city admin's admin.processing.version_approved", rows)
	}
	_, err = s.ApproveVersion(Admin(), p.ID, 1)
	wantField(t, err, omadata.ECONFLICT, "approval")

	// A change after the approval needs a new one.
	retention := "P2Y"
	must[*omadata.ProcessingVersion](t)(s.UpdateVersion(sink, p.ID, 1, omadata.ProcessingVersionUpdate{Retention: &retention}))
	if snapshot().Latest().Approved() {
		t.Fatal("a draft changed after its approval still counts as approved")
	}
	_, err = s.PublishVersion(sink, p.ID, 1)
	wantField(t, err, omadata.ECONFLICT, "approval")
	must[*omadata.ProcessingVersion](t)(s.ApproveVersion(Admin(), p.ID, 1))
	v = must[*omadata.ProcessingVersion](t)(s.PublishVersion(sink, p.ID, 1))
	if v.Status != omadata.VersionPublished || !v.Approved() {
		t.Fatalf("got %s approved=%v, want published and approved", v.Status, v.Approved())
	}

	t.Run("a new version needs its own", func(t *testing.T) {
		v2 := must[*omadata.ProcessingVersion](t)(s.CreateVersion(sink, p.ID, true))
		if v2.Approval != nil || !v2.AwaitingApproval() {
			t.Fatalf("version 2 got approval %+v, want none: it awaits its own", v2.Approval)
		}
		_, err := s.PublishVersion(sink, p.ID, 2)
		wantField(t, err, omadata.ECONFLICT, "approval")
	})
	t.Run("append-only", func(t *testing.T) {
		for _, q := range []string{`UPDATE processing_version_approvals SET actor_id = 'admin:someone'`, `DELETE FROM processing_version_approvals`} {
			if err := s.DB().Exec(context.Background(), q); err == nil {
				t.Errorf("%s: the database allowed it", q)
			}
		}
	})
	t.Run("consent needs none", func(t *testing.T) {
		_, err := s.ApproveVersion(Admin(), n.Processing.ID, 1)
		wantField(t, err, omadata.ECONFLICT, "legal_basis")
	})
	t.Run("the operator's data protection officer", func(t *testing.T) {
		q := publicTaskDraft(t, s, n.Sink.ID, "dpo-statistics", n.Loans.ID)
		v := must[*omadata.ProcessingVersion](t)(s.ApproveVersion(AsDPO(), q.ID, 1))
		if v.Approval == nil || v.Approval.ApprovedBy != "auditor:staff:stf_dpo" || !v.Approved() {
			t.Fatalf("got approval %+v, want the data protection officer's", v.Approval)
		}
		rows := must[[][]string](t)(s.DB().QueryStrings(context.Background(), `SELECT a.actor_id, c.actor_id, c.action, l.kind FROM processing_version_approvals a
			JOIN admin_changes c ON c.id = a.change_id JOIN log_leaves l ON l.record_id = c.id WHERE a.id = ?`, v.Approval.ID))
		if want := []string{"auditor:staff:stf_dpo", "auditor:staff:stf_dpo", "processing.version_approved", "admin.processing.version_approved"}; len(rows) != 1 || !reflect.DeepEqual(rows[0], want) {
			t.Fatalf("got approval, audit and leaf %v, want %v", rows, want)
		}
		if v := must[*omadata.ProcessingVersion](t)(s.PublishVersion(sink, q.ID, 1)); v.Status != omadata.VersionPublished {
			t.Fatalf("got %s, want the approved version published", v.Status)
		}
	})
	t.Run("data of two organisations", func(t *testing.T) {
		partner := CreateService(t, s, n.Company.ID, true, omadata.RoleSource)
		theirs := CreateDataGroup(t, s, partner.ID, "partner-loans", false)
		q := publicTaskDraft(t, s, n.Sink.ID, "joint-statistics", n.Loans.ID, theirs.ID)
		_, err := s.ApproveVersion(city, q.ID, 1)
		wantCode(t, err, omadata.EFORBIDDEN)
		must[*omadata.ProcessingVersion](t)(s.ApproveVersion(Admin(), q.ID, 1))
	})
}

// testDecisionNeedsApproval: decisions permit only under approved versions,
// including one published before approvals were required.
func testDecisionNeedsApproval(t *testing.T, s *store.Store) {
	f := newDecisionFixture(t, s)
	p := publicTaskDraft(t, s, f.n.Sink.ID, "legacy-task", f.n.Loans.ID)
	// As a database migrated from before approvals holds it.
	ok(t, s.DB().Exec(context.Background(), `UPDATE processing_versions SET status = 'published', published_at = updated_at WHERE processing_id = ?`, p.ID))
	_, psn := f.resident(t)
	q := f.question(psn)
	q.PurposeID = Purpose(t, s, "research").ID
	wantDecision(t, s, must[*omadata.Decision](t)(s.Decide(As(f.n.Sink.ID), q)), "deny", omadata.DenyNoProcessing)
	must[*omadata.ProcessingVersion](t)(s.ApproveVersion(Admin(), p.ID, 1))
	wantDecision(t, s, must[*omadata.Decision](t)(s.Decide(As(f.n.Sink.ID), q)), "permit", "")
}

// testProcessingApprovalRace: a draft edited while it is being published
// is either published as approved or not published; never published with
// content its approval did not see.
func testProcessingApprovalRace(t *testing.T, s *store.Store) {
	n := CreateNetwork(t, s)
	sink := As(n.Sink.ID)
	for round := range 12 {
		p := publicTaskDraft(t, s, n.Sink.ID, fmt.Sprintf("race-%d", round), n.Loans.ID)
		must[*omadata.ProcessingVersion](t)(s.ApproveVersion(Admin(), p.ID, 1))
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			retention := "P2Y"
			s.UpdateVersion(sink, p.ID, 1, omadata.ProcessingVersionUpdate{Retention: &retention})
		}()
		go func() {
			defer wg.Done()
			s.PublishVersion(sink, p.ID, 1)
		}()
		wg.Wait()
		if cur := must[*omadata.Processing](t)(s.FindProcessingByID(Admin(), p.ID)).Current(); cur != nil && !cur.Approved() {
			t.Fatalf("round %d: version 1 was published with content its approval did not see (retention %s)", round, cur.Retention)
		}
	}
}
