// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"strings"
	"time"

	"github.com/omadata/omadata"
)

// openStatuses is the SQL list of the statuses omadata.RequestOpen holds
// open: a request awaiting its answer.
const openStatuses = "('" + omadata.RequestReceived + "', '" + omadata.RequestInProgress + "', '" + omadata.RequestPending + "')"

// remindBatch bounds the rows one reminder run reads per query.
const remindBatch = 500

// answeredAt is the value for answered_at when a request moves to status:
// now when the move answers it, else nil (COALESCE keeps the first answer).
func answeredAt(status string, now time.Time) any {
	if omadata.RequestOpen(status) {
		return nil
	}
	return now
}

// ExtendRequest implements omadata.RequestService: an admin extends an
// open request's deadline by one or two months, once, within its first
// month, with the reason the resident is told. The request's history gets
// a step "extended" with its log leaf, the open tasks the new deadline,
// and the change is audited.
func (s *Store) ExtendRequest(ctx context.Context, id string, in *omadata.RequestExtension) (*omadata.Request, error) {
	if in.Months < 1 || in.Months > omadata.RequestMaxExtensionMonths {
		return nil, omadata.Invalidf("months", "Extend by 1 or %d months.", omadata.RequestMaxExtensionMonths)
	} else if strings.TrimSpace(in.Reason) == "" {
		return nil, omadata.Invalidf("reason", "Give the reason the resident is told.")
	} else if err := checkText("reason", in.Reason, maxRequestText); err != nil {
		return nil, err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	q, err := findRequest(ctx, tx, id, tx.now)
	if err != nil {
		return nil, err
	}
	c := omadata.CallerFromContext(ctx)
	switch {
	case !c.IsAdmin():
		return nil, omadata.Errorf(omadata.EFORBIDDEN, "Only an operator admin extends a request's deadline.")
	case q.ExtensionMonths > 0:
		return nil, omadata.Conflictf("months", "This request was extended already; the law allows one extension.")
	case !omadata.RequestOpen(q.Status):
		return nil, omadata.Conflictf("status", "This request is answered already.")
	case tx.now.After(omadata.RequestDue(q.CreatedAt, omadata.RequestDueMonths)):
		return nil, omadata.Conflictf("months", "The first month has passed: a deadline is extended within it.")
	}
	q.ExtensionMonths, q.ExtensionReason, q.UpdatedAt = in.Months, in.Reason, tx.now
	q.DueAt = omadata.RequestDue(q.CreatedAt, omadata.RequestDueMonths+in.Months)
	// The reminders start again for the new deadline.
	if _, err := tx.exec(ctx, `UPDATE requests SET due_at = ?, extension_months = ?, extension_reason = ?, reminded = '', updated_at = ? WHERE id = ?`,
		q.DueAt, q.ExtensionMonths, q.ExtensionReason, q.UpdatedAt, q.ID); err != nil {
		return nil, err
	} else if _, err := tx.exec(ctx, `UPDATE request_tasks SET due_at = ? WHERE request_id = ? AND status = 'open'`, q.DueAt, q.ID); err != nil {
		return nil, err
	} else if err := s.recordRequestStep(ctx, tx, &q.Request, "extended", actorOf(c), "", "", nil); err != nil {
		return nil, err
	} else if err := s.audit(ctx, tx, "request.extended", "request", q.ID, map[string]any{
		"months": in.Months, "due_at": q.DueAt.UTC().Format(time.RFC3339),
	}); err != nil {
		return nil, err
	}
	out := &q.Request
	if err := requestDetails(ctx, tx, []*omadata.Request{out}); err != nil {
		return nil, err
	} else if err := tx.Commit(); err != nil {
		return nil, err
	}
	return out, nil
}

// RequestDeadlines implements omadata.RequestService, from the database,
// so that every instance counts the same.
func (s *Store) RequestDeadlines(ctx context.Context) (*omadata.RequestDeadlines, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	now := s.db.now()
	var d omadata.RequestDeadlines
	err := s.db.reader().queryRow(ctx, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN due_at >= ? AND due_at < ? THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN due_at < ? THEN 1 ELSE 0 END), 0)
		FROM requests WHERE status IN `+openStatuses,
		now, now.Add(omadata.RequestDueSoon), now).Scan(&d.Open, &d.DueSoon, &d.Overdue)
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// RemindRequests implements omadata.RequestService.
func (s *Store) RemindRequests(ctx context.Context) (int, error) {
	if err := requireAdmin(ctx); err != nil {
		return 0, err
	}
	total := 0
	for {
		n, more, err := s.remindRequests(ctx)
		total += n
		if err != nil || !more {
			return total, err
		}
	}
}

// remindRequests sends one batch of reminders and task resends in one
// transaction; more says whether a batch was full.
func (s *Store) remindRequests(ctx context.Context) (int, bool, error) {
	tx, err := s.db.begin(ctx)
	if err != nil {
		return 0, false, err
	}
	defer tx.Rollback()
	sent := 0
	// Requests reaching a reminder stage: due soon (not yet reminded), or
	// overdue (not yet reminded as overdue).
	rows, err := tx.query(ctx, `SELECT id, due_at, CASE WHEN due_at < ? THEN 'overdue' ELSE 'due_soon' END FROM requests
		WHERE status IN `+openStatuses+`
		AND ((due_at < ? AND reminded = '') OR (due_at < ? AND reminded <> 'overdue'))
		ORDER BY due_at, id LIMIT ?`, tx.now, tx.now.Add(omadata.RequestDueSoon), tx.now, remindBatch)
	if err != nil {
		return 0, false, err
	}
	type stage struct {
		id, stage string
		due       time.Time
	}
	stages, err := collect(rows, func(row interface{ Scan(...any) error }) (stage, error) {
		var x stage
		return x, row.Scan(&x.id, Time{&x.due}, &x.stage)
	})
	if err != nil {
		return 0, false, err
	}
	for _, x := range stages {
		tasks, err := findTasks(ctx, tx, "t.request_id = ? AND t.status = 'open'", 0, x.id)
		if err != nil {
			return 0, false, err
		}
		for _, t := range tasks {
			data := taskEvent(t.ID, t.RequestID, t.Kind, t.Role, t.Pseudonym, "", x.due)
			data["reminder"] = x.stage
			if err := s.enqueue(ctx, tx, "request.reminder", t.ID, []recipient{{t.ServiceID, data}}); err != nil {
				return 0, false, err
			}
			sent++
		}
		if _, err := tx.exec(ctx, `UPDATE requests SET reminded = ? WHERE id = ?`, x.stage, x.id); err != nil {
			return 0, false, err
		}
	}
	// Open tasks of open requests not sent for RequestTaskResend: their
	// event again, until the service answers or the request is closed by
	// hand.
	tasks, err := findTasks(ctx, tx, "t.status = 'open' AND t.sent_at <= ? AND q.status IN "+openStatuses, remindBatch, tx.now.Add(-omadata.RequestTaskResend))
	if err != nil {
		return 0, false, err
	}
	for _, t := range tasks {
		if err := s.enqueue(ctx, tx, "request."+t.Kind, t.ID, []recipient{{t.ServiceID, taskEvent(t.ID, t.RequestID, t.Kind, t.Role, t.Pseudonym, t.Details, t.DueAt)}}); err != nil {
			return 0, false, err
		} else if _, err := tx.exec(ctx, `UPDATE request_tasks SET sent_at = ? WHERE id = ?`, tx.now, t.ID); err != nil {
			return 0, false, err
		}
		sent++
	}
	return sent, len(stages) == remindBatch || len(tasks) == remindBatch, tx.Commit()
}
