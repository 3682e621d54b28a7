// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/omadata/omadata"
)

const taskColumns = `t.id, t.request_id, q.kind, t.service_id, t.role, t.pseudonym, t.details, t.status, t.note, t.due_at, t.created_at, t.completed_at`

func scanTask(row interface{ Scan(...any) error }) (*omadata.RequestTask, error) {
	var t omadata.RequestTask
	err := row.Scan(&t.ID, &t.RequestID, &t.Kind, &t.ServiceID, &t.Role, &t.Pseudonym, &t.Details, &t.Status, &t.Note,
		Time{&t.DueAt}, Time{&t.CreatedAt}, NullTime{&t.CompletedAt})
	return &t, err
}

// findTasks reads the tasks matching cond, in ID order, at most limit (0:
// all).
func findTasks(ctx context.Context, q querier, cond string, limit int, args ...any) ([]*omadata.RequestTask, error) {
	query := `SELECT ` + taskColumns + ` FROM request_tasks t JOIN requests q ON q.id = t.request_id WHERE ` + cond + ` ORDER BY t.id`
	if limit > 0 {
		query += ` LIMIT ` + strconv.Itoa(limit)
	}
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanTask)
}

// knownBy is a service that knows a resident, with its pseudonym.
type knownBy struct {
	serviceID, pseudonym, role string
}

// servicesKnowing lists every service holding a pseudonym of the resident,
// as source when it is one, else as sink.
func servicesKnowing(ctx context.Context, tx *Tx, residentID string) ([]knownBy, error) {
	rows, err := tx.query(ctx, `SELECT p.service_id, p.pseudonym, s.roles FROM pseudonyms p JOIN services s ON s.id = p.service_id
		WHERE p.resident_id = ? ORDER BY p.service_id`, residentID)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(row interface{ Scan(...any) error }) (knownBy, error) {
		var k knownBy
		var roles []string
		if err := row.Scan(&k.serviceID, &k.pseudonym, jsonScan{&roles}); err != nil {
			return k, err
		}
		k.role = omadata.RoleSink
		if slices.Contains(roles, omadata.RoleSource) {
			k.role = omadata.RoleSource
		}
		return k, nil
	})
}

// sendTasks creates one task per service and its webhook, which carries the
// service's own pseudonym of the resident.
func (s *Store) sendTasks(ctx context.Context, tx *Tx, q *omadata.Request, to []knownBy) error {
	details := ""
	if q.Kind == omadata.RequestRectification {
		details = q.Details
	}
	for _, k := range to {
		id := omadata.NewID(omadata.PrefixRequestTask)
		if _, err := tx.exec(ctx, `INSERT INTO request_tasks (id, request_id, service_id, role, pseudonym, details, status, note, due_at, created_at, sent_at)
			VALUES (?, ?, ?, ?, ?, ?, 'open', '', ?, ?, ?)`, id, q.ID, k.serviceID, k.role, k.pseudonym, details, q.DueAt, tx.now, tx.now); err != nil {
			return err
		}
		if err := s.enqueue(ctx, tx, "request."+q.Kind, id, []recipient{{k.serviceID, taskEvent(id, q.ID, q.Kind, k.role, k.pseudonym, details, q.DueAt)}}); err != nil {
			return err
		}
	}
	return nil
}

// taskEvent is the data of a task's webhook: what the service needs to
// find the resident and act.
func taskEvent(taskID, requestID, kind, role, pseudonym, details string, due time.Time) map[string]any {
	data := map[string]any{
		"task_id": taskID, "request_id": requestID, "kind": kind, "role": role, "pseudonym": pseudonym,
		"due_at": due.UTC().Format(time.RFC3339),
	}
	if details != "" {
		data["details"] = details
	}
	return data
}

// routeRectification sends the rectification to the sources named, or to
// every source that knows the resident. With no source to ask it waits,
// received, for an admin.
func (s *Store) routeRectification(ctx context.Context, tx *Tx, q *omadata.Request, sourceIDs []string, actor requestActor) error {
	known, err := servicesKnowing(ctx, tx, q.ResidentID)
	if err != nil {
		return err
	}
	var to []knownBy
	for _, k := range known {
		if k.role == omadata.RoleSource && (len(sourceIDs) == 0 || slices.Contains(sourceIDs, k.serviceID)) {
			to = append(to, k)
		}
	}
	for _, id := range sourceIDs {
		if !slices.ContainsFunc(to, func(k knownBy) bool { return k.serviceID == id }) {
			return omadata.Invalidf("source_ids", "Service %s is not a source that holds data of the resident.", id)
		}
	}
	if len(to) == 0 {
		return nil
	}
	if err := s.sendTasks(ctx, tx, q, to); err != nil {
		return err
	}
	return s.moveRequest(ctx, tx, q, omadata.RequestInProgress, actor, "", taskServices(to))
}

func taskServices(to []knownBy) []string {
	ids := make([]string, len(to))
	for i, k := range to {
		ids[i] = k.serviceID
	}
	return ids
}

// moveRequest sets a request's status and records the step.
func (s *Store) moveRequest(ctx context.Context, tx *Tx, q *omadata.Request, status string, actor requestActor, taskID string, services []string) error {
	q.Status, q.UpdatedAt = status, tx.now
	if _, err := tx.exec(ctx, `UPDATE requests SET status = ?, updated_at = ?, answered_at = COALESCE(answered_at, ?) WHERE id = ?`,
		status, tx.now, answeredAt(status, tx.now), q.ID); err != nil {
		return err
	}
	if q.AnsweredAt == nil && !omadata.RequestOpen(status) {
		q.AnsweredAt = &q.UpdatedAt
	}
	return s.recordRequest(ctx, tx, q, actor, taskID, "", services)
}

// FindRequestTasks implements omadata.RequestService.
func (s *Store) FindRequestTasks(ctx context.Context, f omadata.RequestTaskFilter) ([]*omadata.RequestTask, string, error) {
	c := omadata.CallerFromContext(ctx)
	var w where
	switch {
	case c.IsAdmin():
		if f.ServiceID != nil {
			w.add("t.service_id = ?", *f.ServiceID)
		}
	case c.Kind == omadata.CallerService:
		if f.ServiceID != nil && *f.ServiceID != c.ServiceID {
			return nil, "", &omadata.Error{Code: omadata.ENOTFOUND, Field: "service_id", Message: "Service not found."}
		}
		w.add("t.service_id = ?", c.ServiceID)
	default:
		return nil, "", omadata.Errorf(omadata.EFORBIDDEN, "Tasks are for services and admins.")
	}
	if f.Status != nil {
		if *f.Status != omadata.TaskOpen && *f.Status != omadata.TaskCompleted && *f.Status != omadata.TaskRejected {
			return nil, "", omadata.Invalidf("status", "Use open, completed or rejected.")
		}
		w.add("t.status = ?", *f.Status)
	}
	if f.After != "" {
		w.add("t.id > ?", f.After)
	}
	w.add("1 = 1")
	limit := pageLimit(f.Limit)
	list, err := findTasks(ctx, s.db.reader(), strings.Join(w.conds, " AND "), limit+1, w.args...)
	if err != nil {
		return nil, "", err
	}
	list, next := page(list, limit, func(t *omadata.RequestTask) string { return t.ID })
	return list, next, nil
}

// AnswerRequestTask implements omadata.RequestService. The answer removes
// the pseudonym from the task and its webhook; the last answer completes
// the request.
func (s *Store) AnswerRequestTask(ctx context.Context, id string, in *omadata.TaskAnswer) (*omadata.RequestTask, error) {
	if in.Status != omadata.TaskCompleted && in.Status != omadata.TaskRejected {
		return nil, omadata.Invalidf("status", "Use completed or rejected.")
	} else if err := checkText("note", in.Note, maxRequestText); err != nil {
		return nil, err
	}
	c := omadata.CallerFromContext(ctx)
	if !omadata.ValidID(omadata.PrefixRequestTask, id) || !c.IsAdmin() && c.Kind != omadata.CallerService {
		return nil, omadata.NotFound("Task")
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	cond, args := "t.id = ?", []any{id}
	if !c.IsAdmin() {
		cond, args = cond+" AND t.service_id = ?", append(args, c.ServiceID)
	}
	tasks, err := findTasks(ctx, tx, cond, 0, args...)
	if err != nil {
		return nil, err
	} else if len(tasks) == 0 {
		return nil, omadata.NotFound("Task")
	}
	t := tasks[0]
	if t.Status != omadata.TaskOpen {
		return nil, omadata.Conflictf("status", "The task has already been answered.")
	}
	now := tx.now
	t.Status, t.Note, t.CompletedAt, t.Pseudonym, t.Details = in.Status, in.Note, &now, "", ""
	if _, err := tx.exec(ctx, `UPDATE request_tasks SET status = ?, note = ?, completed_at = ?, pseudonym = '', details = '' WHERE id = ?`,
		t.Status, t.Note, now, t.ID); err != nil {
		return nil, err
	}
	// The webhook named the pseudonym; once answered it is not kept.
	if _, err := tx.exec(ctx, `DELETE FROM outbox WHERE service_id = ? AND payload LIKE ?`, t.ServiceID, `%"subject":"`+t.ID+`"%`); err != nil {
		return nil, err
	}
	var q omadata.Request
	err = tx.queryRow(ctx, `SELECT id, resident_id, kind, COALESCE(processing_id, ''), status, due_at FROM requests WHERE id = ?`, t.RequestID).
		Scan(&q.ID, &q.ResidentID, &q.Kind, &q.ProcessingID, &q.Status, Time{&q.DueAt})
	if err != nil {
		return nil, err
	}
	open, err := count(ctx, tx, `SELECT COUNT(*) FROM request_tasks WHERE request_id = ? AND status = 'open'`, q.ID)
	if err != nil {
		return nil, err
	}
	status := q.Status
	if open == 0 && q.Status == omadata.RequestInProgress {
		status = omadata.RequestCompleted
	}
	if err := s.moveRequest(ctx, tx, &q, status, actorOf(c), t.ID, []string{t.ServiceID}); err != nil {
		return nil, err
	}
	return t, tx.Commit()
}
