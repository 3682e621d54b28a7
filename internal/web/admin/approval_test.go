// SPDX-License-Identifier: Apache-2.0

package admin_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
)

// TestApproveVersion: a new version of Espoo's statutory processing over
// Helsinki's data awaits approval. Helmi, Helsinki's organisation admin,
// the controller of the data, sees it and approves it; the auditor sees it
// and may not; Espoo's own sink cannot publish it before.
func TestApproveVersion(t *testing.T) {
	e := newEnv(t, time.Time{})
	id := e.demo.IDs["processing/ece-placement-on-move"]
	if _, err := e.store.CreateVersion(adminCtx(), id, true); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.PublishVersion(adminCtx(), id, 2); omadata.ErrorField(err) != "approval" {
		t.Fatalf("publishing before approval: %v, want a conflict on approval", err)
	}
	path := "/admin/en/processings/" + id

	auditor := e.client(t)
	auditor.login("/admin/en/login", "tiina")
	pg := auditor.get(path)
	if pg.status != 200 || !strings.Contains(pg.body, "<strong>awaiting approval</strong>") || strings.Contains(pg.body, `id="approve"`) {
		t.Fatalf("auditor's processing page: %d; want awaiting approval and no approve button: %.2000s", pg.status, pg.body)
	}
	if p := auditor.post(path+"/versions/2/approve", url.Values{"csrf": {pg.csrf(t)}}); p.status != 403 {
		t.Fatalf("auditor approving: %d, want 403", p.status)
	}
	if v := e.processing(t, id).Latest(); v.Approval != nil {
		t.Fatalf("a refused approval was recorded: %+v", v.Approval)
	}

	helmi := e.client(t)
	helmi.login("/admin/en/login", "helmi")
	if list := helmi.get("/admin/en/processings"); !strings.Contains(list.body, path) || !strings.Contains(list.body, "<strong>awaiting approval</strong>") {
		t.Fatalf("Helsinki's admin does not see the processing over Helsinki's data: %.2000s", list.body)
	}
	pg = helmi.get(path)
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
