// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
)

// testOverview counts decisions, consents and requests by day in the
// location asked, only inside the window, with the log's size and the
// webhook backlog; only the operator's admins and auditor see it.
func testOverview(t *testing.T, s *store.Store) {
	e := newConsentEnv(t, s)
	p := e.n.Processing
	zone := time.FixedZone("EET", 2*3600)
	since := consentNow.In(zone).AddDate(0, 0, -29)
	// Before the window: counted nowhere.
	e.at(since.AddDate(0, 0, -3))
	old := e.adult(t)
	e.give(t, old, p)
	e.at(consentNow.AddDate(0, -omadata.RequestDueMonths, -1)) // due the day before consentNow
	must[*omadata.Request](t)(s.CreateRequest(AsResident(old.ID), &omadata.RequestInput{Kind: omadata.RequestAccess}))
	answered := must[*omadata.Request](t)(s.CreateRequest(AsResident(e.adult(t).ID), &omadata.RequestInput{Kind: omadata.RequestAccess}))
	must[*omadata.Request](t)(s.ResolveRequest(Admin(), answered.ID, &omadata.RequestResolution{Status: omadata.RequestRejected, Note: "Ei tietoja."}))

	// 23:30 UTC is already the next day in Finland.
	e.at(time.Date(2026, 11, 20, 23, 30, 0, 0, time.UTC))
	late := e.adult(t)
	e.give(t, late, p)
	e.at(consentNow)
	r1, r2 := e.adult(t), e.adult(t)
	c1 := e.give(t, r1, p)
	e.give(t, r2, p)
	e.change(t, AsResident(r1.ID), c1.ID, omadata.ConsentWithdrawn, "")
	e.request(t, e.adult(t), p)                                                                                       // requested, not given: not counted
	must[*omadata.Request](t)(s.CreateRequest(AsResident(r2.ID), &omadata.RequestInput{Kind: omadata.RequestAccess})) // due on 2026-12-22
	question := func(r *omadata.Resident) *omadata.DecisionInput {
		psn := must[string](t)(s.Pseudonym(Admin(), e.n.Sink.ID, r.ID))
		return &omadata.DecisionInput{Pseudonym: psn, SourceID: e.n.Source.ID, DataGroupIDs: []string{e.n.Loans.ID}, PurposeID: e.n.Recommendations.ID}
	}
	for _, r := range []*omadata.Resident{r2, r2, r1} {
		must[*omadata.Decision](t)(s.Decide(As(e.n.Sink.ID), question(r)))
	}
	integrate(t, s)

	o := must[*omadata.Overview](t)(s.Overview(AsDPO(), since))
	if len(o.Days) != 30 || !o.Days[0].Day.Equal(time.Date(2026, 10, 24, 0, 0, 0, 0, zone)) || o.Days[29].Day.Format(time.DateOnly) != "2026-11-22" {
		t.Fatalf("got %d days from %v, want 30 from 2026-10-24 in EET to 2026-11-22", len(o.Days), o.Days[0].Day)
	}
	want := map[string]omadata.OverviewDay{
		"2026-11-21": {ConsentsGiven: 1},
		"2026-11-22": {ConsentsGiven: 2, ConsentsWithdrawn: 1, Permits: 2, Denies: 1},
	}
	for _, d := range o.Days {
		w := want[d.Day.Format(time.DateOnly)]
		w.Day = d.Day
		if d != w {
			t.Errorf("day %s: got %+v, want %+v", d.Day.Format(time.DateOnly), d, w)
		}
	}
	// Requests by due date: from the window's first day to a month after
	// today. The answered request was due yesterday too: closed, not open.
	if n := len(o.RequestsDue); n != 60 || o.RequestsDue[n-1].Day.Format(time.DateOnly) != "2026-12-22" {
		t.Fatalf("got %d due days to %v, want 60 to 2026-12-22", n, o.RequestsDue[n-1].Day)
	}
	wantDue := map[string]omadata.OverviewDue{"2026-11-21": {Open: 1, Closed: 1}, "2026-12-22": {Open: 1}}
	for _, d := range o.RequestsDue {
		w := wantDue[d.Day.Format(time.DateOnly)]
		w.Day = d.Day
		if d != w {
			t.Errorf("due %s: got %+v, want %+v", d.Day.Format(time.DateOnly), d, w)
		}
	}
	cp := must[*omadata.Checkpoint](t)(s.LatestCheckpoint(Public()))
	if o.LogSize != cp.Size || o.LogSize == 0 || o.LastCheckpoint == nil || o.LogSizeBefore != 0 {
		t.Errorf("got log size %d (before %d), last checkpoint %v; want %d, 0 before, at its time", o.LogSize, o.LogSizeBefore, o.LastCheckpoint, cp.Size)
	}
	pending, dead := omadata.DeliveryPending, omadata.DeliveryDead
	np := len(must[[]*omadata.Delivery](t)(omadata.All(func(after string) ([]*omadata.Delivery, string, error) {
		return s.FindDeliveries(Admin(), omadata.DeliveryFilter{Status: &pending, After: after})
	})))
	nd := len(must[[]*omadata.Delivery](t)(omadata.All(func(after string) ([]*omadata.Delivery, string, error) {
		return s.FindDeliveries(Admin(), omadata.DeliveryFilter{Status: &dead, After: after})
	})))
	if o.PendingDeliveries != np || np == 0 || o.DeadDeliveries != nd {
		t.Errorf("got %d pending and %d dead deliveries, want %d and %d", o.PendingDeliveries, o.DeadDeliveries, np, nd)
	}

	// A window starting today has one day.
	if o, err := s.Overview(Admin(), consentNow.Add(time.Hour)); err != nil {
		t.Fatal(err)
	} else if len(o.Days) != 1 {
		t.Errorf("got %d days, want today only", len(o.Days))
	}
	for _, bad := range []time.Time{consentNow.AddDate(0, 0, 1), consentNow.AddDate(-2, 0, 0)} {
		_, err := s.Overview(Admin(), bad)
		wantField(t, err, omadata.EINVALID, "since")
	}
	for _, ctx := range []context.Context{As(e.n.Sink.ID), AsResident(r1.ID), Public()} {
		_, err := s.Overview(ctx, since)
		wantCode(t, err, omadata.EFORBIDDEN)
	}
}
