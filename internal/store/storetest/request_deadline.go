// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
)

// setClock fixes the store's clock at at until the test ends.
func setClock(t *testing.T, s *store.Store, at time.Time) {
	t.Helper()
	s.DB().Now = func() time.Time { return at }
	t.Cleanup(func() { s.DB().Now = time.Now })
}

// testRequestDeadline: a request is due one month after receipt as the
// law counts months (31 January: the last day of February), and an
// admin extends it once, by one or two months, within the first month,
// with a reason the resident sees; the history and the log show the step.
func testRequestDeadline(t *testing.T, s *store.Store) {
	f := newRequestFixture(t, s)
	r, _ := f.resident(t)
	for _, c := range []struct{ at, due string }{
		{"2027-01-31T10:00:00Z", "2027-02-28T10:00:00Z"},
		{"2028-01-31T10:00:00Z", "2028-02-29T10:00:00Z"},
		{"2027-03-15T08:30:00Z", "2027-04-15T07:30:00Z"}, // 10:30 in Helsinki both days; summer time by April
		{"2027-01-30T22:30:00Z", "2027-02-27T22:30:00Z"}, // 00:30 on 31 January in Helsinki: due 28 February
	} {
		setClock(t, s, mustTime(t, c.at))
		q := must[*omadata.Request](t)(s.CreateRequest(AsResident(r.ID), &omadata.RequestInput{Kind: omadata.RequestAccess}))
		if want := mustTime(t, c.due); !q.DueAt.Equal(want) {
			t.Errorf("received %s: due %s, want %s", c.at, q.DueAt, want)
		}
	}

	setClock(t, s, mustTime(t, "2027-01-31T10:00:00Z"))
	q := must[*omadata.Request](t)(s.CreateRequest(AsResident(r.ID), &omadata.RequestInput{Kind: omadata.RequestAccess}))
	setClock(t, s, mustTime(t, "2027-02-20T09:00:00Z"))
	ext := &omadata.RequestExtension{Months: 2, Reason: "Many sources hold data about you; gathering it takes longer."}
	_, err := s.ExtendRequest(AsResident(r.ID), q.ID, ext)
	wantCode(t, err, omadata.EFORBIDDEN)
	_, err = s.ExtendRequest(AsResident(f.n.Sink.ID), q.ID, ext)
	wantCode(t, err, omadata.ENOTFOUND)
	for _, bad := range []struct {
		in    omadata.RequestExtension
		field string
	}{{omadata.RequestExtension{Months: 0, Reason: "x"}, "months"}, {omadata.RequestExtension{Months: 3, Reason: "x"}, "months"}, {omadata.RequestExtension{Months: 1}, "reason"}, {omadata.RequestExtension{Months: 1, Reason: " \t "}, "reason"}} {
		_, err := s.ExtendRequest(Admin(), q.ID, &bad.in)
		wantField(t, err, omadata.EINVALID, bad.field)
	}
	if got := must[*omadata.Request](t)(s.FindRequestByID(AsResident(r.ID), q.ID)); got.ExtensionMonths != 0 || !got.DueAt.Equal(q.DueAt) {
		t.Fatalf("bad input changed the request: %+v", got)
	}
	// A reminder sent for the first deadline; the extension starts them
	// again for the new one.
	if err := s.DB().Exec(t.Context(), `UPDATE requests SET reminded = 'due_soon' WHERE id = ?`, q.ID); err != nil {
		t.Fatal(err)
	}
	got := must[*omadata.Request](t)(s.ExtendRequest(Admin(), q.ID, ext))
	if rows, err := s.DB().QueryStrings(t.Context(), `SELECT reminded FROM requests WHERE id = ?`, q.ID); err != nil || len(rows) != 1 || rows[0][0] != "" {
		t.Fatalf("after the extension reminded = %q (%v), want none sent for the new deadline", rows, err)
	}
	if want := mustTime(t, "2027-04-30T09:00:00Z"); !got.DueAt.Equal(want) || got.ExtensionMonths != 2 || got.ExtensionReason != ext.Reason {
		t.Fatalf("got due %s, extension %d %q; want %s, 2, the reason", got.DueAt, got.ExtensionMonths, got.ExtensionReason, want)
	}
	seen := must[*omadata.Request](t)(s.FindRequestByID(AsResident(r.ID), q.ID))
	if seen.ExtensionReason != ext.Reason || len(seen.Records) != 2 || seen.Records[1].Step != "extended" || seen.Records[1].DueAt == nil || !seen.Records[1].DueAt.Equal(got.DueAt) {
		t.Fatalf("the resident sees %+v, want the reason and an extended step", seen)
	}
	wantKinds(t, leafKinds(t, s, q.ID), "request.access.received", "request.access.extended")
	if n := scalar(t, s, `SELECT COUNT(*) FROM admin_changes WHERE action = 'request.extended' AND target_id = ?`, q.ID); n != "1" {
		t.Fatalf("%s admin changes record the extension, want 1", n)
	}
	setClock(t, s, time.Now())
	verifyWholeLog(t, s) // the extension's leaf verifies as any other
	setClock(t, s, mustTime(t, "2027-02-20T09:00:00Z"))
	_, err = s.ExtendRequest(Admin(), q.ID, &omadata.RequestExtension{Months: 1, Reason: "More."})
	wantField(t, err, omadata.ECONFLICT, "months")

	// Past the first month it is too late.
	late := must[*omadata.Request](t)(s.CreateRequest(AsResident(r.ID), &omadata.RequestInput{Kind: omadata.RequestAccess}))
	setClock(t, s, mustTime(t, "2027-03-21T09:00:01Z"))
	_, err = s.ExtendRequest(Admin(), late.ID, ext)
	wantField(t, err, omadata.ECONFLICT, "months")
	// An answered request is not extended.
	done := must[*omadata.Request](t)(s.CreateRequest(AsResident(r.ID), &omadata.RequestInput{Kind: omadata.RequestAccess}))
	must[*omadata.Request](t)(s.ResolveRequest(Admin(), done.ID, &omadata.RequestResolution{Status: omadata.RequestRejected, Note: "Duplicate."}))
	_, err = s.ExtendRequest(Admin(), done.ID, ext)
	wantField(t, err, omadata.ECONFLICT, "status")
	if got := must[*omadata.Request](t)(s.FindRequestByID(Admin(), done.ID)); got.AnsweredAt == nil || !got.AnsweredAt.Equal(mustTime(t, "2027-03-21T09:00:01Z")) {
		t.Fatalf("answered at %v, want when it was rejected", got.AnsweredAt)
	}
}

// testRequestReminders: the services with open tasks on a request are
// reminded a week before its deadline and once it is overdue; an open
// task is sent again every day until its service answers; the counts of
// requests due soon and overdue come from the database.
func testRequestReminders(t *testing.T, s *store.Store) {
	f := newRequestFixture(t, s)
	r, _ := f.resident(t)
	f.pseudonym(t, f.n.Source.ID, r.ID)
	start := mustTime(t, "2027-05-03T12:00:00Z")
	setClock(t, s, start)
	q := must[*omadata.Request](t)(s.CreateRequest(AsResident(r.ID), &omadata.RequestInput{Kind: omadata.RequestRectification, Details: "My address is wrong."}))
	if len(q.Tasks) != 1 {
		t.Fatalf("got %d tasks, want one", len(q.Tasks))
	}
	outbox := func(typ string) string {
		return scalar(t, s, `SELECT COUNT(*) FROM outbox WHERE service_id = ? AND type = ?`, f.n.Source.ID, typ)
	}
	_, err := s.RemindRequests(AsResident(r.ID))
	wantCode(t, err, omadata.EFORBIDDEN)
	_, err = s.RequestDeadlines(As(f.n.Source.ID))
	wantCode(t, err, omadata.EFORBIDDEN)
	if n := must[int](t)(s.RemindRequests(Admin())); n != 0 {
		t.Fatalf("sent %d at once, want none", n)
	}
	deadlines := func(open, soon, overdue int) {
		t.Helper()
		d := must[*omadata.RequestDeadlines](t)(s.RequestDeadlines(Admin()))
		if d.Open != open || d.DueSoon != soon || d.Overdue != overdue {
			t.Fatalf("got %+v, want open %d, due soon %d, overdue %d", d, open, soon, overdue)
		}
	}
	deadlines(1, 0, 0)

	// A day later the task goes again; nothing else.
	setClock(t, s, start.Add(25*time.Hour))
	if n := must[int](t)(s.RemindRequests(Admin())); n != 1 || outbox("request.rectification") != "2" {
		t.Fatalf("sent %d, %s task events; want the task again", n, outbox("request.rectification"))
	}
	if n := must[int](t)(s.RemindRequests(Admin())); n != 0 {
		t.Fatalf("sent %d on a second run, want none", n)
	}
	// Six days before the deadline: a due-soon reminder, once.
	setClock(t, s, q.DueAt.Add(-6*24*time.Hour))
	deadlines(1, 1, 0)
	must[int](t)(s.RemindRequests(Admin()))
	if got := outbox("request.reminder"); got != "1" {
		t.Fatalf("%s reminders, want one", got)
	}
	payload := scalar(t, s, `SELECT payload FROM outbox WHERE service_id = ? AND type = 'request.reminder'`, f.n.Source.ID)
	if !strings.Contains(payload, `"reminder":"due_soon"`) || !strings.Contains(payload, q.Tasks[0].ID) {
		t.Fatalf("reminder %s, want due_soon naming the task", payload)
	}
	must[int](t)(s.RemindRequests(Admin()))
	if got := outbox("request.reminder"); got != "1" {
		t.Fatalf("%s reminders after a second run, want one", got)
	}
	// Overdue: one more reminder.
	setClock(t, s, q.DueAt.Add(time.Hour))
	deadlines(1, 0, 1)
	must[int](t)(s.RemindRequests(Admin()))
	must[int](t)(s.RemindRequests(Admin()))
	if got := outbox("request.reminder"); got != "2" {
		t.Fatalf("%s reminders once overdue, want two", got)
	}
	// Answered: no more of either.
	must[*omadata.RequestTask](t)(s.AnswerRequestTask(As(f.n.Source.ID), q.Tasks[0].ID, &omadata.TaskAnswer{Status: omadata.TaskCompleted}))
	deadlines(0, 0, 0)
	if n := scalar(t, s, `SELECT COUNT(*) FROM outbox WHERE payload LIKE ?`, "%"+q.Tasks[0].Pseudonym+"%"); n != "0" {
		t.Fatalf("%s outbox rows (the task, its resends, its reminders) still name the pseudonym after the answer", n)
	}
	setClock(t, s, q.DueAt.Add(72*time.Hour))
	if n := must[int](t)(s.RemindRequests(Admin())); n != 0 {
		t.Fatalf("sent %d after the answer, want none", n)
	}
	got := must[*omadata.Request](t)(s.FindRequestByID(Admin(), q.ID))
	if got.AnsweredAt == nil || !got.AnsweredAt.Equal(q.DueAt.Add(time.Hour)) {
		t.Fatalf("answered at %v, want when the source answered", got.AnsweredAt)
	}

	// A rectification an admin completes by hand: its open task is not
	// sent again.
	setClock(t, s, start)
	q2 := must[*omadata.Request](t)(s.CreateRequest(AsResident(r.ID), &omadata.RequestInput{Kind: omadata.RequestRectification, Details: "My phone number is wrong."}))
	must[*omadata.Request](t)(s.ResolveRequest(Admin(), q2.ID, &omadata.RequestResolution{Status: omadata.RequestCompleted, Note: "Corrected by phone."}))
	setClock(t, s, start.Add(48*time.Hour))
	if n := must[int](t)(s.RemindRequests(Admin())); n != 0 {
		t.Fatalf("sent %d for a closed request, want none", n)
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

// testRequestRestrictionAnyBasis: a restriction (Art 18) blocks the
// processing it names whatever its basis becomes: when a later version
// rests on consent and the resident gives it, decisions still deny until
// the restriction is lifted (invariant 1).
func testRequestRestrictionAnyBasis(t *testing.T, s *store.Store) {
	f := newRequestFixture(t, s)
	r, psn := f.resident(t)
	q := must[*omadata.Request](t)(s.CreateRequest(AsResident(r.ID), &omadata.RequestInput{Kind: omadata.RequestRestriction, ProcessingID: f.task.ID}))
	wantDecision(t, s, f.askTask(t, psn), "deny", omadata.DenyRestriction)

	v := must[*omadata.ProcessingVersion](t)(s.CreateVersion(Admin(), f.task.ID, false))
	consent, none := omadata.BasisConsent, ""
	must[*omadata.ProcessingVersion](t)(s.UpdateVersion(Admin(), f.task.ID, v.Version, omadata.ProcessingVersionUpdate{LegalBasis: &consent, LegalBasisNote: &none}))
	PutNotices(t, s, f.task.ID, v.Version)
	must[*omadata.ProcessingVersion](t)(s.PublishVersion(Admin(), f.task.ID, v.Version))
	f.give(t, r.ID, must[*omadata.Processing](t)(s.FindProcessingByID(Admin(), f.task.ID)))
	wantDecision(t, s, f.askTask(t, psn), "deny", omadata.DenyRestriction)

	must[*omadata.Request](t)(s.ResolveRequest(AsResident(r.ID), q.ID, &omadata.RequestResolution{Status: omadata.RequestLifted}))
	wantDecision(t, s, f.askTask(t, psn), "permit", "")
}
