// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/omadata/omadata"
)

var _ omadata.RequestService = (*Store)(nil)

// Request texts: what a resident writes and what a resolver notes.
const maxRequestText = 2000

const requestColumns = `q.id, q.resident_id, q.kind, q.processing_id, q.status, q.details, q.resolution, q.due_at, q.extension_months, q.extension_reason, q.answered_at, q.created_at, q.updated_at`

// requestRow is a request as stored, with the objection row it drives.
type requestRow struct {
	omadata.Request
	objectionID string
}

func scanRequest(row interface{ Scan(...any) error }) (*omadata.Request, error) {
	var q omadata.Request
	var proc sql.NullString
	err := row.Scan(&q.ID, &q.ResidentID, &q.Kind, &proc, &q.Status, &q.Details, &q.Resolution, Time{&q.DueAt},
		&q.ExtensionMonths, &q.ExtensionReason, NullTime{&q.AnsweredAt}, Time{&q.CreatedAt}, Time{&q.UpdatedAt})
	q.ProcessingID = proc.String
	return &q, err
}

// requestActor is who made a step of a request.
type requestActor struct{ kind, id string }

func actorOf(c omadata.Caller) requestActor {
	switch c.Kind {
	case omadata.CallerAdmin:
		return requestActor{"admin", c.TokenID}
	case omadata.CallerService:
		return requestActor{"service", c.ServiceID}
	case omadata.CallerResident:
		return requestActor{"resident", c.ResidentID}
	}
	return requestActor{"system", ""}
}

// requestResident settles whose request the caller makes: a resident's
// own, or a ward's or mandator's by an active representation; an admin's
// for the resident named. Anyone else, or an erased resident, is ENOTFOUND
// on on_behalf_of. For a representative it returns their authority over
// the resident, which the request's kind must then be allowed by.
func requestResident(ctx context.Context, q querier, onBehalfOf string, at time.Time) (string, *omadata.Authority, error) {
	c := omadata.CallerFromContext(ctx)
	id := onBehalfOf
	var auth *omadata.Authority
	switch c.Kind {
	case omadata.CallerResident:
		if id == "" {
			id = c.ResidentID
		} else if !omadata.ValidID("res", id) {
			return "", nil, omadata.Invalidf("on_behalf_of", "Not a resident ID.")
		} else if id != c.ResidentID {
			var err error
			if auth, err = authorityOver(ctx, q, c.ResidentID, id, at); omadata.ErrorCode(err) == omadata.ENOTFOUND {
				return "", nil, &omadata.Error{Code: omadata.ENOTFOUND, Field: "on_behalf_of", Message: "Resident not found."}
			} else if err != nil {
				return "", nil, err
			}
		}
	case omadata.CallerAdmin:
		if id == "" {
			return "", nil, omadata.Invalidf("on_behalf_of", "Name the resident the request is for.")
		} else if !omadata.ValidID("res", id) {
			return "", nil, omadata.Invalidf("on_behalf_of", "Not a resident ID.")
		}
	default:
		return "", nil, omadata.Errorf(omadata.EFORBIDDEN, "Only a resident, their representative or an operator admin may make a data-subject request.")
	}
	if n, err := count(ctx, q, `SELECT COUNT(*) FROM residents WHERE id = ? AND erased_at IS NULL`, id); err != nil {
		return "", nil, err
	} else if n == 0 {
		return "", nil, &omadata.Error{Code: omadata.ENOTFOUND, Field: "on_behalf_of", Message: "Resident not found."}
	}
	return id, auth, nil
}

// validateRequest checks the input alone, before anything is read.
func validateRequest(in *omadata.RequestInput) error {
	switch in.Kind {
	case omadata.RequestAccess, omadata.RequestErasure, omadata.RequestRectification, omadata.RequestRestriction, omadata.RequestObjection:
	case "":
		return omadata.Invalidf("kind", "Give the kind: access, erasure, rectification, restriction or objection.")
	default:
		return omadata.Invalidf("kind", "Use access, erasure, rectification, restriction or objection.")
	}
	if omadata.RequestBlocks(in.Kind) {
		if !omadata.ValidID(omadata.PrefixProcessing, in.ProcessingID) {
			return omadata.Invalidf("processing_id", "An %s names the processing it is about.", in.Kind)
		}
	} else if in.ProcessingID != "" {
		return omadata.Invalidf("processing_id", "Only objections and restrictions name a processing.")
	}
	if in.Kind == omadata.RequestRectification && in.Details == "" {
		return omadata.Invalidf("details", "Say what is wrong and what it should be.")
	}
	if in.Kind != omadata.RequestRectification && len(in.SourceIDs) > 0 {
		return omadata.Invalidf("source_ids", "Only a rectification names sources.")
	} else if len(in.SourceIDs) > 50 {
		return omadata.Invalidf("source_ids", "At most 50 sources.")
	}
	for _, id := range in.SourceIDs {
		if !omadata.ValidID(omadata.PrefixService, id) {
			return omadata.Invalidf("source_ids", "Not a service ID.")
		}
	}
	return checkText("details", in.Details, maxRequestText)
}

// CreateRequest implements omadata.RequestService.
func (s *Store) CreateRequest(ctx context.Context, in *omadata.RequestInput) (*omadata.Request, error) {
	if err := validateRequest(in); err != nil {
		return nil, err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	residentID, auth, err := requestResident(ctx, tx, in.OnBehalfOf, tx.now)
	if err != nil {
		return nil, err
	} else if auth != nil && !omadata.RequestBlocks(in.Kind) && !auth.Allows(omadata.RequestAct(in.Kind), "") {
		return nil, omadata.ErrNotCovered("on_behalf_of", omadata.RequestAct(in.Kind))
	}
	q := &requestRow{Request: omadata.Request{
		ID: omadata.NewID(omadata.PrefixRequest), ResidentID: residentID, Kind: in.Kind, ProcessingID: in.ProcessingID,
		Status: omadata.RequestReceived, Details: in.Details, DueAt: omadata.RequestDue(tx.now, omadata.RequestDueMonths),
		CreatedAt: tx.now, UpdatedAt: tx.now,
	}}
	var sinkID string
	if omadata.RequestBlocks(in.Kind) {
		if sinkID, err = s.openObjection(ctx, tx, q, auth); err != nil {
			return nil, err
		}
	}
	var proc, obj any
	if q.ProcessingID != "" {
		proc, obj = q.ProcessingID, q.objectionID
	}
	if _, err := tx.exec(ctx, `INSERT INTO requests (id, resident_id, kind, processing_id, objection_id, status, details, resolution, due_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, '', ?, ?, ?)`, q.ID, q.ResidentID, q.Kind, proc, obj, q.Status, q.Details, q.DueAt, q.CreatedAt, q.UpdatedAt); err != nil {
		return nil, err
	}
	actor := actorOf(omadata.CallerFromContext(ctx))
	if err := s.recordRequest(ctx, tx, &q.Request, actor, "", sinkID, nil); err != nil {
		return nil, err
	}
	switch q.Kind {
	case omadata.RequestObjection, omadata.RequestRestriction:
		if err := s.notifySink(ctx, tx, &q.Request, sinkID); err != nil {
			return nil, err
		}
	case omadata.RequestErasure:
		if err := s.erase(ctx, tx, &q.Request, actor); err != nil {
			return nil, err
		}
	case omadata.RequestRectification:
		if err := s.routeRectification(ctx, tx, &q.Request, in.SourceIDs, actor); err != nil {
			return nil, err
		}
	}
	// The answer is the request as committed, read inside the transaction
	// that writes it, not again after under the caller's visibility: an
	// erasure on behalf of a principal ends the representation that let
	// the caller see it, and a write that committed never answers failed.
	out := &q.Request
	if err := requestDetails(ctx, tx, []*omadata.Request{out}); err != nil {
		return nil, err
	} else if err := tx.Commit(); err != nil {
		return nil, err
	}
	return out, nil
}

// openObjection checks the processing of an objection or restriction and
// writes the objections row that makes its decisions deny, in the
// request's transaction. A representative's authority (nil for the
// resident and admins) must cover the processing's purpose. It returns the
// processing's sink.
func (s *Store) openObjection(ctx context.Context, tx *Tx, q *requestRow, auth *omadata.Authority) (string, error) {
	var sinkID, basis, purpose string
	err := tx.queryRow(ctx, `SELECT p.service_id, v.legal_basis, pu.code FROM processings p JOIN processing_versions v ON v.processing_id = p.id
		JOIN purposes pu ON pu.id = v.purpose_id WHERE p.id = ? AND v.status = 'published'`, q.ProcessingID).Scan(&sinkID, &basis, &purpose)
	if errors.Is(err, sql.ErrNoRows) {
		return "", &omadata.Error{Code: omadata.ENOTFOUND, Field: "processing_id", Message: "Processing not found."}
	} else if err != nil {
		return "", err
	}
	switch {
	case auth != nil && !auth.Allows(omadata.RequestAct(q.Kind), purpose):
		return "", omadata.ErrNotCovered("processing_id", omadata.RequestAct(q.Kind))
	case basis == omadata.BasisConsent:
		return "", omadata.Invalidf("processing_id", "This processing rests on consent: withdraw the consent instead.")
	case q.Kind == omadata.RequestObjection && basis != omadata.BasisPublicTask && basis != omadata.BasisLegitimateInterest:
		return "", omadata.Invalidf("processing_id", "An objection (GDPR Art 21) applies to processing on a public task or legitimate interests; ask for restriction instead.")
	}
	if n, err := count(ctx, tx, `SELECT COUNT(*) FROM objections WHERE resident_id = ? AND processing_id = ? AND kind = ? AND status IN ('pending', 'upheld')`,
		q.ResidentID, q.ProcessingID, q.Kind); err != nil {
		return "", err
	} else if n > 0 {
		return "", omadata.Conflictf("processing_id", "An %s on this processing is already open.", q.Kind)
	}
	q.Status = omadata.RequestPending
	q.objectionID = omadata.NewID("obj")
	if _, err := tx.exec(ctx, `INSERT INTO objections (id, resident_id, processing_id, kind, status, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		q.objectionID, q.ResidentID, q.ProcessingID, q.Kind, omadata.RequestPending, tx.now); err != nil {
		return "", err
	}
	return sinkID, nil
}

// notifySink tells the sink of an objection's processing where it stands,
// by its own pseudonym of the resident, if it has one.
func (s *Store) notifySink(ctx context.Context, tx *Tx, q *omadata.Request, sinkID string) error {
	var psn string
	err := tx.queryRow(ctx, `SELECT pseudonym FROM pseudonyms WHERE service_id = ? AND resident_id = ?`, sinkID, q.ResidentID).Scan(&psn)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	} else if err != nil {
		return err
	}
	return s.enqueue(ctx, tx, "request."+q.Kind+"."+q.Status, q.ID, []recipient{{sinkID, map[string]any{
		"request_id": q.ID, "kind": q.Kind, "status": q.Status, "processing_id": q.ProcessingID, "pseudonym": psn,
	}}})
}

// recordRequest appends the request's current status to its history and
// the history record's leaf to the log. Once the resident is erased the
// leaf commits to no one: no new log key is made for them.
func (s *Store) recordRequest(ctx context.Context, tx *Tx, q *omadata.Request, actor requestActor, taskID, sinkID string, sourceIDs []string) error {
	return s.recordRequestStep(ctx, tx, q, "", actor, taskID, sinkID, sourceIDs)
}

// recordRequestStep records a step of a request that is not a move of its
// status (step "extended"), or with step "" a move.
func (s *Store) recordRequestStep(ctx context.Context, tx *Tx, q *omadata.Request, step string, actor requestActor, taskID, sinkID string, sourceIDs []string) error {
	residentID := q.ResidentID
	if n, err := count(ctx, tx, `SELECT COUNT(*) FROM residents WHERE id = ? AND erased_at IS NULL`, residentID); err != nil {
		return err
	} else if n == 0 {
		residentID = ""
	}
	var seq int
	if err := tx.queryRow(ctx, `SELECT COALESCE(MAX(seq), 0) + 1 FROM request_records WHERE request_id = ?`, q.ID).Scan(&seq); err != nil {
		return err
	}
	id := omadata.NewID(omadata.PrefixRequestRecord)
	var due any
	kind, digest := "request."+q.Kind+"."+q.Status, requestRecordDigest(id, q.ID, seq, q.Kind, q.Status, actor.kind, actor.id, taskID, q.ProcessingID, tx.now)
	if step != "" {
		due = q.DueAt
		kind, digest = "request."+q.Kind+"."+step, requestStepDigest(id, q.ID, seq, q.Kind, q.Status, step, actor.kind, actor.id, q.ProcessingID, q.DueAt, tx.now)
	}
	if _, err := tx.exec(ctx, `INSERT INTO request_records (id, request_id, seq, status, step, due_at, actor_kind, actor_id, task_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, q.ID, seq, q.Status, step, due, actor.kind, actor.id, taskID, tx.now); err != nil {
		return err
	}
	return s.appendLog(ctx, tx, logAppend{
		kind: kind, recordKind: omadata.RecordRequest, recordID: id,
		recordSHA256: digest,
		processingID: q.ProcessingID, sinkID: sinkID, sourceIDs: sourceIDs, residentID: residentID,
	})
}

// requestStepDigest is the digest the leaf of a step that is not a move
// commits to (an extension): the record's columns, among them the new
// deadline, and the kind and processing of its request.
func requestStepDigest(id, requestID string, seq int, kind, status, step, actorKind, actorID, processingID string, due, at time.Time) string {
	return recordDigest(map[string]any{
		"id": id, "request_id": requestID, "seq": seq, "kind": kind, "status": status, "step": step, "due_at": due,
		"actor_kind": actorKind, "actor_id": actorID, "processing_id": processingID, "created_at": at,
	})
}

// requestRecordDigest is the digest a request leaf commits to: the
// record's columns and the kind and processing of its request.
func requestRecordDigest(id, requestID string, seq int, kind, status, actorKind, actorID, taskID, processingID string, at time.Time) string {
	return recordDigest(map[string]any{
		"id": id, "request_id": requestID, "seq": seq, "kind": kind, "status": status, "actor_kind": actorKind,
		"actor_id": actorID, "task_id": taskID, "processing_id": processingID, "created_at": at,
	})
}

// requestKinds are the kinds of data-subject requests.
var requestKinds = []string{omadata.RequestAccess, omadata.RequestErasure, omadata.RequestRectification, omadata.RequestRestriction, omadata.RequestObjection}

// processingPurpose is a query of the purpose code of the processing in
// column col: that of its newest version that is not a draft (the
// published one, if any).
func processingPurpose(col string) string {
	return `SELECT pu.code FROM processing_versions v JOIN purposes pu ON pu.id = v.purpose_id
	WHERE v.processing_id = ` + col + ` AND v.status <> 'draft' ORDER BY v.version DESC LIMIT 1`
}

// requestVisibility limits a query on requests q to what the caller may
// see at the time at: admins all; residents their own and, for each person
// they represent, the requests their authority would let them make (any
// for a guardian or a general mandate; for a scoped mandate the access
// requests and the objections and restrictions of the processings whose
// purpose it covers). Nobody else sees any.
func requestVisibility(ctx context.Context, q querier, w *where, at time.Time) error {
	c := omadata.CallerFromContext(ctx)
	switch {
	case c.IsAdmin():
	case c.Kind == omadata.CallerResident:
		return ownOrRepresented(ctx, q, w, "q.resident_id", c.ResidentID, at, func(a *omadata.Authority) (string, []any) {
			var kinds []string
			var args []any
			for _, kind := range requestKinds {
				scope := allowedScope(a, omadata.RequestAct(kind))
				if !scope.AllPurposes && len(scope.Purposes) == 0 {
					continue
				}
				cond, cargs := scopeCondition(scope, "("+processingPurpose("q.processing_id")+")")
				kinds = append(kinds, "(q.kind = ? AND "+cond+")")
				args = append(append(args, kind), cargs...)
			}
			if len(kinds) == 0 {
				return "", nil
			}
			return "(" + strings.Join(kinds, " OR ") + ")", args
		})
	default:
		w.add("1 = 0")
	}
	return nil
}

// findRequest returns a request visible to the caller at the time at, else
// ENOTFOUND.
func findRequest(ctx context.Context, q querier, id string, at time.Time) (*requestRow, error) {
	if !omadata.ValidID(omadata.PrefixRequest, id) {
		return nil, omadata.NotFound("Request")
	}
	w := where{}
	w.add("q.id = ?", id)
	if err := requestVisibility(ctx, q, &w, at); err != nil {
		return nil, err
	}
	var obj sql.NullString
	row := q.queryRow(ctx, `SELECT `+requestColumns+`, q.objection_id FROM requests q `+w.String(), w.args...)
	var r omadata.Request
	var proc sql.NullString
	err := row.Scan(&r.ID, &r.ResidentID, &r.Kind, &proc, &r.Status, &r.Details, &r.Resolution, Time{&r.DueAt},
		&r.ExtensionMonths, &r.ExtensionReason, NullTime{&r.AnsweredAt}, Time{&r.CreatedAt}, Time{&r.UpdatedAt}, &obj)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, omadata.NotFound("Request")
	} else if err != nil {
		return nil, err
	}
	r.ProcessingID = proc.String
	return &requestRow{Request: r, objectionID: obj.String}, nil
}

// requestDetails loads the records and tasks of requests.
func requestDetails(ctx context.Context, q querier, list []*omadata.Request) error {
	for _, r := range list {
		rows, err := q.query(ctx, `SELECT id, request_id, seq, status, step, due_at, actor_kind, actor_id, task_id, created_at FROM request_records WHERE request_id = ? ORDER BY seq`, r.ID)
		if err != nil {
			return err
		}
		if r.Records, err = collect(rows, func(row interface{ Scan(...any) error }) (*omadata.RequestRecord, error) {
			var x omadata.RequestRecord
			return &x, row.Scan(&x.ID, &x.RequestID, &x.Seq, &x.Status, &x.Step, NullTime{&x.DueAt}, &x.ActorKind, &x.ActorID, &x.TaskID, Time{&x.CreatedAt})
		}); err != nil {
			return err
		}
		if r.Tasks, err = findTasks(ctx, q, "t.request_id = ?", 0, r.ID); err != nil {
			return err
		}
	}
	return nil
}

// FindRequestByID implements omadata.RequestService.
func (s *Store) FindRequestByID(ctx context.Context, id string) (*omadata.Request, error) {
	r := s.db.reader()
	q, err := findRequest(ctx, r, id, s.db.Now())
	if err != nil {
		return nil, err
	}
	out := &q.Request
	return out, requestDetails(ctx, r, []*omadata.Request{out})
}

// FindRequests implements omadata.RequestService.
func (s *Store) FindRequests(ctx context.Context, f omadata.RequestFilter) ([]*omadata.Request, string, error) {
	c := omadata.CallerFromContext(ctx)
	r := s.db.reader()
	var w where
	switch c.Kind {
	case omadata.CallerAdmin:
		if f.ResidentID != nil {
			w.add("q.resident_id = ?", *f.ResidentID)
		}
	case omadata.CallerResident:
		id := c.ResidentID
		if f.ResidentID != nil && *f.ResidentID != c.ResidentID {
			if _, err := authorityOver(ctx, r, c.ResidentID, *f.ResidentID, s.db.Now()); omadata.ErrorCode(err) == omadata.ENOTFOUND {
				return nil, "", &omadata.Error{Code: omadata.ENOTFOUND, Field: "resident_id", Message: "Resident not found."}
			} else if err != nil {
				return nil, "", err
			}
			id = *f.ResidentID
		}
		w.add("q.resident_id = ?", id)
		if err := requestVisibility(ctx, r, &w, s.db.Now()); err != nil {
			return nil, "", err
		}
	default:
		return nil, "", omadata.Errorf(omadata.EFORBIDDEN, "Services see the tasks addressed to them, not requests.")
	}
	if f.Kind != nil {
		if !slices.Contains(requestKinds, *f.Kind) {
			return nil, "", omadata.Invalidf("kind", "Unknown request kind %q.", truncateString(*f.Kind, 20))
		}
		w.add("q.kind = ?", *f.Kind)
	}
	if f.Status != nil {
		if !validRequestStatus(*f.Status) {
			return nil, "", omadata.Invalidf("status", "Unknown request status %q.", truncateString(*f.Status, 20))
		}
		w.add("q.status = ?", *f.Status)
	}
	if f.After != "" {
		w.add("q.id > ?", f.After)
	}
	limit := pageLimit(f.Limit)
	rows, err := r.query(ctx, `SELECT `+requestColumns+` FROM requests q `+w.String()+` ORDER BY q.id LIMIT ?`, append(w.args, limit+1)...)
	if err != nil {
		return nil, "", err
	}
	list, err := collect(rows, scanRequest)
	if err != nil {
		return nil, "", err
	}
	list, next := page(list, limit, func(q *omadata.Request) string { return q.ID })
	return list, next, requestDetails(ctx, r, list)
}

func validRequestStatus(s string) bool {
	switch s {
	case omadata.RequestReceived, omadata.RequestInProgress, omadata.RequestCompleted, omadata.RequestRejected,
		omadata.RequestPending, omadata.RequestUpheld, omadata.RequestLifted:
		return true
	}
	return false
}

// ResolveRequest implements omadata.RequestService. Admins move any
// request its lifecycle allows, except that an erasure completes only by
// its tasks and an access request by its export; a resident (or their
// representative) may lift their own objection or restriction.
func (s *Store) ResolveRequest(ctx context.Context, id string, in *omadata.RequestResolution) (*omadata.Request, error) {
	if !validRequestStatus(in.Status) {
		return nil, omadata.Invalidf("status", "Use in_progress, completed, rejected, upheld or lifted.")
	} else if err := checkText("note", in.Note, maxRequestText); err != nil {
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
	blocks := omadata.RequestBlocks(q.Kind)
	switch {
	case !c.IsAdmin() && !(blocks && in.Status == omadata.RequestLifted):
		return nil, omadata.Errorf(omadata.EFORBIDDEN, "Only an operator admin resolves requests; a resident may lift their own objection or restriction.")
	}
	if err := omadata.RequestMoveByHand(q.Kind, q.Status, in.Status); err != nil {
		return nil, err
	}
	q.Status, q.Resolution, q.UpdatedAt = in.Status, in.Note, tx.now
	if _, err := tx.exec(ctx, `UPDATE requests SET status = ?, resolution = ?, updated_at = ?, answered_at = COALESCE(answered_at, ?) WHERE id = ?`,
		q.Status, q.Resolution, q.UpdatedAt, answeredAt(q.Status, tx.now), q.ID); err != nil {
		return nil, err
	}
	if q.AnsweredAt == nil && !omadata.RequestOpen(q.Status) {
		q.AnsweredAt = &q.UpdatedAt
	}
	var sinkID string
	if blocks {
		if _, err := tx.exec(ctx, `UPDATE objections SET status = ?, resolved_at = ? WHERE id = ?`, q.Status, tx.now, q.objectionID); err != nil {
			return nil, err
		}
		if err := tx.queryRow(ctx, `SELECT service_id FROM processings WHERE id = ?`, q.ProcessingID).Scan(&sinkID); err != nil {
			return nil, err
		}
	}
	if err := s.recordRequest(ctx, tx, &q.Request, actorOf(c), "", sinkID, nil); err != nil {
		return nil, err
	} else if blocks {
		if err := s.notifySink(ctx, tx, &q.Request, sinkID); err != nil {
			return nil, err
		}
	}
	out := &q.Request
	if err := requestDetails(ctx, tx, []*omadata.Request{out}); err != nil {
		return nil, err
	} else if err := tx.Commit(); err != nil {
		return nil, err
	}
	return out, nil
}
