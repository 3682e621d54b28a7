// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/omadata/omadata"
)

var _ omadata.OverviewService = (*Store)(nil)

// Overview implements omadata.OverviewService.
//
// The counts are grouped by UTC hour in SQL and the hours put into days of
// since's location here, so that a day is the operator's day. Decisions,
// consent records and requests have no index on their times, but their IDs
// begin with the time they were made (omadata.NewID): each query reads a
// range of the primary key from the first ID that can be in the window,
// and checks the time column within it. A request is due a month after it
// arrives, so a request due in the window was made at most a month and a
// day before since.
func (s *Store) Overview(ctx context.Context, since time.Time) (*omadata.Overview, error) {
	if !omadata.CallerFromContext(ctx).IsAdmin() {
		return nil, omadata.Errorf(omadata.EFORBIDDEN, "Only an operator admin or the auditor sees the overview.")
	}
	loc := since.Location()
	now := s.db.now().In(loc)
	first := time.Date(since.Year(), since.Month(), since.Day(), 0, 0, 0, 0, loc)
	if first.After(now) {
		return nil, omadata.Invalidf("since", "Must not be in the future.")
	} else if first.Before(now.AddDate(-1, 0, -1)) {
		return nil, omadata.Invalidf("since", "At most a year back.")
	}
	o := &omadata.Overview{Since: first}
	index := map[string]int{}
	for d := first; !d.After(now); d = d.AddDate(0, 0, 1) {
		index[d.Format(time.DateOnly)] = len(o.Days)
		o.Days = append(o.Days, omadata.OverviewDay{Day: d})
	}
	// add counts n into the day of a UTC hour "2006-01-02T15".
	add := func(hour string, n int, field func(*omadata.OverviewDay) *int) error {
		h, err := time.Parse("2006-01-02T15", hour)
		if err != nil {
			return err
		}
		if i, ok := index[h.In(loc).Format(time.DateOnly)]; ok {
			*field(&o.Days[i]) += n
		}
		return nil
	}
	r := s.db.reader()
	hour := s.db.d.hourOf
	margin := time.Minute // an ID and its row's time are read from the clock a moment apart

	rows, err := r.query(ctx, `SELECT `+hour("decided_at")+`, permit, COUNT(*) FROM decisions
		WHERE id >= ? AND decided_at >= ? GROUP BY 1, 2`, omadata.FirstIDAt(omadata.PrefixDecision, first.Add(-margin)), first)
	if err != nil {
		return nil, err
	}
	if err := scanCounts(rows, func(h string, permit bool, n int) error {
		if permit {
			return add(h, n, func(d *omadata.OverviewDay) *int { return &d.Permits })
		}
		return add(h, n, func(d *omadata.OverviewDay) *int { return &d.Denies })
	}); err != nil {
		return nil, err
	}

	rows, err = r.query(ctx, `SELECT `+hour("created_at")+`, status = ?, COUNT(*) FROM consent_records
		WHERE id >= ? AND created_at >= ? AND (status = ? OR status = ?) GROUP BY 1, 2`,
		omadata.ConsentGiven, omadata.FirstIDAt(omadata.PrefixConsentRecord, first.Add(-margin)), first, omadata.ConsentGiven, omadata.ConsentWithdrawn)
	if err != nil {
		return nil, err
	}
	if err := scanCounts(rows, func(h string, given bool, n int) error {
		if given {
			return add(h, n, func(d *omadata.OverviewDay) *int { return &d.ConsentsGiven })
		}
		return add(h, n, func(d *omadata.OverviewDay) *int { return &d.ConsentsWithdrawn })
	}); err != nil {
		return nil, err
	}

	// Requests are due a month after they arrive: those due from the
	// window's first day were made at most a month and a day before it,
	// and the last due are today's.
	end := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc).AddDate(0, omadata.RequestDueMonths, 1)
	due := map[string]int{}
	for d := first; d.Before(end); d = d.AddDate(0, 0, 1) {
		due[d.Format(time.DateOnly)] = len(o.RequestsDue)
		o.RequestsDue = append(o.RequestsDue, omadata.OverviewDue{Day: d})
	}
	rows, err = r.query(ctx, `SELECT `+hour("due_at")+`, (status = ? OR status = ? OR status = ?), COUNT(*) FROM requests
		WHERE id >= ? AND due_at >= ? AND due_at < ? GROUP BY 1, 2`,
		omadata.RequestReceived, omadata.RequestInProgress, omadata.RequestPending,
		omadata.FirstIDAt(omadata.PrefixRequest, first.AddDate(0, -omadata.RequestDueMonths, -1)), first, end)
	if err != nil {
		return nil, err
	}
	if err := scanCounts(rows, func(hour string, open bool, n int) error {
		h, err := time.Parse("2006-01-02T15", hour)
		if err != nil {
			return err
		}
		i, ok := due[h.In(loc).Format(time.DateOnly)]
		switch {
		case !ok:
		case open:
			o.RequestsDue[i].Open += n
		default:
			o.RequestsDue[i].Closed += n
		}
		return nil
	}); err != nil {
		return nil, err
	}

	var at time.Time
	switch err := r.queryRow(ctx, `SELECT size, created_at FROM log_checkpoints ORDER BY seq DESC LIMIT 1`).Scan(&o.LogSize, Time{&at}); {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, err
	default:
		o.LastCheckpoint = &at
		// Checkpoints are numbered in the order they are signed: the
		// newest before since is the first found going back from the end.
		if err := r.queryRow(ctx, `SELECT size FROM log_checkpoints WHERE created_at < ? ORDER BY seq DESC LIMIT 1`, first).Scan(&o.LogSizeBefore); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
	}
	if err := r.queryRow(ctx, `SELECT COUNT(*) FROM outbox WHERE status = ?`, omadata.DeliveryPending).Scan(&o.PendingDeliveries); err != nil {
		return nil, err
	}
	if err := r.queryRow(ctx, `SELECT COUNT(*) FROM outbox WHERE status = ?`, omadata.DeliveryDead).Scan(&o.DeadDeliveries); err != nil {
		return nil, err
	}
	return o, nil
}

// scanCounts reads rows of (hour, flag, count).
func scanCounts(rows *sql.Rows, f func(hour string, flag bool, n int) error) error {
	defer rows.Close()
	for rows.Next() {
		var h string
		var flag bool
		var n int
		if err := rows.Scan(&h, &flag, &n); err != nil {
			return err
		}
		if err := f(h, flag, n); err != nil {
			return err
		}
	}
	return rows.Err()
}
