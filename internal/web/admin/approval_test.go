// SPDX-License-Identifier: Apache-2.0

package admin_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
)

// awaitingApproval makes a new version of Espoo's statutory processing
// over Helsinki's data, which awaits approval: Espoo's own sink cannot
// publish it before. It returns the processing's ID.
func awaitingApproval(t *testing.T, e *env) string {
	t.Helper()
	id := e.demo.IDs["processing/ece-placement-on-move"]
	if _, err := e.store.CreateVersion(adminCtx(), id, true); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.PublishVersion(adminCtx(), id, 2); omadata.ErrorField(err) != "approval" {
		t.Fatalf("publishing before approval: %v, want a conflict on approval", err)
	}
	return id
}

// TestApproveVersion: Helmi, Helsinki's organisation admin, the
// controller of the data, sees a version awaiting approval and approves
// it; it can then be published.
func TestApproveVersion(t *testing.T) {
	e := newEnv(t, time.Time{})
	id := awaitingApproval(t, e)
	path := "/admin/en/processings/" + id

	helmi := e.client(t)
	helmi.login("/admin/en/login", "helmi")
	if list := helmi.get("/admin/en/processings"); !strings.Contains(list.body, path) || !strings.Contains(list.body, "<strong>awaiting approval</strong>") {
		t.Fatalf("Helsinki's admin does not see the processing over Helsinki's data: %.2000s", list.body)
	}
	pg := helmi.get(path)
	if pg.status != 200 || !strings.Contains(pg.body, `id="approve"`) {
		t.Fatalf("Helsinki's admin gets no approve button: %d %.2000s", pg.status, pg.body)
	}
	done := helmi.post(path+"/versions/2/approve", url.Values{"csrf": {pg.csrf(t)}})
	if done.status != 200 || !strings.Contains(done.body, "The version was approved.") {
		t.Fatalf("approve: %d %.2000s", done.status, done.body)
	}
	v := e.processing(t, id).Latest()
	if v.Approval == nil || !v.Approved() || !strings.HasPrefix(v.Approval.ApprovedBy, "organisation:staff:") {
		t.Fatalf("got approval %+v, want Helmi's", v.Approval)
	}
	if _, err := e.store.PublishVersion(adminCtx(), id, 2); err != nil {
		t.Fatalf("publishing the approved version: %v", err)
	}
}

// TestAuditorApprovesVersion: Tiina, the auditor (the operator's data
// protection officer), gets the approve button on a version awaiting
// approval and approves it, recorded as hers and not an operator admin's;
// it can then be published. Approving is the one change she makes: she
// still may not publish it.
func TestAuditorApprovesVersion(t *testing.T) {
	e := newEnv(t, time.Time{})
	id := awaitingApproval(t, e)
	path := "/admin/en/processings/" + id
	var tiina *omadata.Staff
	staff, err := e.store.FindStaff(adminCtx())
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range staff {
		if st.Role == omadata.StaffAuditor && st.Name == "Tiina Tietosuoja" {
			tiina = st
		}
	}
	if tiina == nil {
		t.Fatal("no auditor Tiina in the demo staff")
	}

	auditor := e.client(t)
	auditor.login("/admin/en/login", "tiina")
	pg := auditor.get(path)
	if pg.status != 200 || !strings.Contains(pg.body, "<strong>awaiting approval</strong>") || !strings.Contains(pg.body, `id="approve"`) || strings.Count(pg.body, `method="post"`) != 2 {
		t.Fatalf("auditor's processing page: %d; want awaiting approval, the approve button and no other form but logout: %.2000s", pg.status, pg.body)
	}
	done := auditor.post(path+"/versions/2/approve", url.Values{"csrf": {pg.csrf(t)}})
	if done.status != 200 || !strings.Contains(done.body, "The version was approved.") {
		t.Fatalf("auditor approving: %d %.2000s", done.status, done.body)
	}
	v := e.processing(t, id).Latest()
	if want := "auditor:staff:" + tiina.ID; v.Approval == nil || !v.Approved() || v.Approval.ApprovedBy != want {
		t.Fatalf("got approval %+v, want %s's", v.Approval, want)
	}
	rows, err := e.store.DB().QueryStrings(t.Context(), `SELECT c.actor_id, l.kind FROM processing_version_approvals a
		JOIN admin_changes c ON c.id = a.change_id JOIN log_leaves l ON l.record_id = c.id WHERE a.id = ?`, v.Approval.ID)
	if err != nil {
		t.Fatal(err)
	} else if len(rows) != 1 || rows[0][0] != "auditor:staff:"+tiina.ID || rows[0][1] != "admin.processing.version_approved" {
		t.Fatalf("got audit and leaf %v, want Tiina's admin.processing.version_approved", rows)
	}

	if p := auditor.post(path+"/versions/2/publish", url.Values{"csrf": {pg.csrf(t)}}); p.status != 403 || !strings.Contains(p.body, "As an auditor you cannot change this") {
		t.Fatalf("auditor publishing: %d, want 403", p.status)
	}
	if v := e.processing(t, id).Latest(); v.Status != omadata.VersionDraft {
		t.Fatalf("the auditor's refused publish left the version %s", v.Status)
	}
	if v, err := e.store.PublishVersion(adminCtx(), id, 2); err != nil || v.Status != omadata.VersionPublished {
		t.Fatalf("publishing the version the auditor approved: %v", err)
	}
}
