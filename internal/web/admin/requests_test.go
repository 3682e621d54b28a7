// SPDX-License-Identifier: Apache-2.0

package admin_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store/storetest"
)

// TestRequestDeadlinesConsole: the queue filters by deadline and shows
// extensions; the operator extends a deadline with a reason, the auditor
// cannot; the auditor's report lists each answered request with its
// deadline and whether it was answered in time.
func TestRequestDeadlinesConsole(t *testing.T) {
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	e := newEnv(t, now)
	objection := e.objection(t)
	matti, err := e.store.FindResidentByIdentityCode(adminCtx(), mattiCode)
	if err != nil {
		t.Fatal(err)
	}
	clock := e.store.DB().Now
	e.store.DB().Now = func() time.Time { return time.Date(2026, 9, 1, 9, 0, 0, 0, time.UTC) }
	old, err := e.store.CreateRequest(storetest.AsResident(matti.ID), &omadata.RequestInput{Kind: omadata.RequestAccess})
	if err != nil {
		t.Fatal(err)
	}
	e.store.DB().Now = func() time.Time { return time.Date(2026, 10, 5, 9, 0, 0, 0, time.UTC) }
	soon, err := e.store.CreateRequest(storetest.AsResident(matti.ID), &omadata.RequestInput{Kind: omadata.RequestAccess})
	e.store.DB().Now = clock
	if err != nil {
		t.Fatal(err)
	}

	c := e.client(t)
	c.login("/admin/en/login", "olli")
	if p := c.get("/admin/en/requests?due=overdue"); p.status != 200 || !strings.Contains(p.body, old.ID) || strings.Contains(p.body, objection) {
		t.Fatalf("overdue queue: %d, want the old request alone", p.status)
	}
	if p := c.get("/admin/en/requests?due=soon"); p.status != 200 || !strings.Contains(p.body, soon.ID) || strings.Contains(p.body, old.ID) || strings.Contains(p.body, objection) {
		t.Fatalf("due-soon queue: %d, want the one due in three days alone", p.status)
	}
	if p := c.get("/admin/en/"); !strings.Contains(p.body, "Open requests: 3, overdue: 1.") || !strings.Contains(p.body, "Due within a week: 1.") {
		t.Fatal("the home page does not count the open and overdue requests")
	}
	if p := c.get("/admin/en/requests?due=later"); p.status != 404 {
		t.Fatalf("unknown filter: %d, want 404", p.status)
	}

	p := c.get("/admin/en/requests/" + objection)
	tok := csrfRE.FindStringSubmatch(p.body)[1]
	if p := c.post("/admin/en/requests/"+objection+"/extend", url.Values{"csrf": {tok}, "reason": {"Many sources."}}); p.status != 400 || !strings.Contains(p.body, `id="months-error"`) {
		t.Fatalf("extend without months: %d", p.status)
	}
	if p := c.post("/admin/en/requests/"+old.ID+"/extend", url.Values{"csrf": {tok}, "months": {"1"}, "reason": {"Too late."}}); p.status != 400 || !strings.Contains(p.body, "can no longer be extended") {
		t.Fatalf("extend after the first month: %d", p.status)
	}
	reason := "Six services hold data about you; gathering it takes longer."
	p = c.post("/admin/en/requests/"+objection+"/extend", url.Values{"csrf": {tok}, "months": {"2"}, "reason": {reason}})
	if !strings.Contains(p.url, "done=request-extended") || !strings.Contains(p.body, reason) || strings.Contains(p.body, `id="extend"`) {
		t.Fatalf("extend: %d at %s", p.status, p.url)
	}
	if got, _ := e.store.FindRequestByID(adminCtx(), objection); !got.DueAt.Equal(time.Date(2027, 2, 2, 10, 0, 0, 0, time.UTC)) || got.ExtensionMonths != 2 {
		t.Fatalf("due %s, extension %d; want 2 February 2027, 2", got.DueAt, got.ExtensionMonths)
	}
	if p := c.get("/admin/en/requests"); !strings.Contains(p.body, "extended by 2 months") {
		t.Fatal("the queue does not show the extension")
	}
	if p := c.post("/admin/en/requests/"+old.ID+"/resolve", url.Values{"csrf": {tok}, "status": {"rejected"}, "note": {"Answered by letter."}}); !strings.Contains(p.url, "done=request-rejected") {
		t.Fatalf("reject: %d", p.status)
	}

	a := e.client(t)
	a.login("/admin/en/login", "tiina")
	if p := a.get("/admin/en/requests/" + objection); p.status != 200 || strings.Contains(p.body, "/extend") || !strings.Contains(p.body, reason) {
		t.Fatalf("auditor's request page: %d", p.status)
	}
	p = a.get("/admin/en/requests/timeliness")
	if p.status != 200 || !strings.Contains(p.body, "In time: 0. Late: 1. Open and overdue: 0.") || !strings.Contains(p.body, old.ID) || strings.Contains(p.body, objection) {
		t.Fatalf("timeliness: %d\n%s", p.status, p.body)
	}
	if p := a.post("/admin/en/requests/"+objection+"/extend", url.Values{"csrf": {csrfRE.FindStringSubmatch(p.body)[1]}, "months": {"1"}, "reason": {"x"}}); p.status != 403 {
		t.Fatalf("auditor extends: %d, want 403", p.status)
	}
}
