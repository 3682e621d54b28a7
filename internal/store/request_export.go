// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"

	"github.com/omadata/omadata"
)

// ExportResident implements omadata.RequestService: it records the access
// request completed (one transaction), then reads everything the operator
// holds about the resident as the caller may see it.
func (s *Store) ExportResident(ctx context.Context, requestID string) (*omadata.ResidentExport, error) {
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	q, err := findRequest(ctx, tx, requestID, tx.now)
	if err != nil {
		return nil, err
	}
	switch {
	case q.Kind != omadata.RequestAccess:
		return nil, omadata.Invalidf("kind", "Only an access request has an export.")
	case q.Status == omadata.RequestRejected:
		return nil, omadata.Conflictf("status", "The request was rejected.")
	case q.Status != omadata.RequestCompleted:
		// A representative records completion only of a request they made:
		// their export holds what their authority covers, which is not the
		// answer to the principal's own request (or another holder's).
		if c := omadata.CallerFromContext(ctx); c.Kind == omadata.CallerResident && c.ResidentID != q.ResidentID {
			var kind, actor string
			if err := tx.queryRow(ctx, `SELECT actor_kind, actor_id FROM request_records WHERE request_id = ? ORDER BY seq LIMIT 1`, q.ID).Scan(&kind, &actor); err != nil {
				return nil, err
			}
			if kind != "resident" || actor != c.ResidentID {
				break
			}
		}
		if err := s.moveRequest(ctx, tx, &q.Request, omadata.RequestCompleted, actorOf(omadata.CallerFromContext(ctx)), "", nil); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return s.exportResident(ctx, q.ID, q.ResidentID)
}

// ExportResidentRecords implements omadata.RequestService: the export of
// a resident the caller may see (themselves, or a principal they
// represent, within the authority), recording no request.
func (s *Store) ExportResidentRecords(ctx context.Context, residentID string) (*omadata.ResidentExport, error) {
	c := omadata.CallerFromContext(ctx)
	if c.Kind != omadata.CallerResident || residentID == "" {
		return nil, omadata.NotFound("Resident")
	}
	// exportResident reads through the caller's authority: a resident they
	// do not represent is not found.
	return s.exportResident(ctx, "", residentID)
}

// exportResident reads the export of a resident the caller may see.
func (s *Store) exportResident(ctx context.Context, requestID, residentID string) (*omadata.ResidentExport, error) {
	r := s.db.reader()
	e := &omadata.ResidentExport{GeneratedAt: s.db.Now().UTC(), RequestID: requestID,
		Consents: []*omadata.Consent{}, Representations: []*omadata.Representation{}, Requests: []*omadata.Request{},
		Usage: []*omadata.Usage{}, LogEntries: []*omadata.LogEvent{}}
	var err error
	if e.Resident, err = s.FindResidentByID(ctx, residentID); err != nil {
		return nil, err
	}
	// A representative's export holds what their authority covers; the
	// consents, requests and usage below are read through the same rule.
	var auth *omadata.Authority
	if c := omadata.CallerFromContext(ctx); c.Kind == omadata.CallerResident && c.ResidentID != residentID {
		if auth, err = authorityOver(ctx, r, c.ResidentID, residentID, s.db.Now()); err != nil {
			return nil, err
		}
	}
	for after := ""; ; {
		page, next, err := s.FindConsents(ctx, omadata.ConsentFilter{ResidentID: &residentID, After: after, Limit: MaxLimit})
		if err != nil {
			return nil, err
		}
		for _, c := range page {
			full, err := s.FindConsentByID(ctx, c.ID)
			if err != nil {
				return nil, err
			}
			e.Consents = append(e.Consents, full)
		}
		if after = next; next == "" {
			break
		}
	}
	reps := &where{}
	reps.add("(r.representative_id = ? OR r.principal_id = ?)", residentID, residentID)
	if auth != nil && !auth.Allows(omadata.RepWhole, "") {
		reps.add("r.representative_id = ?", omadata.CallerFromContext(ctx).ResidentID) // only the caller's own
	}
	rows, err := r.query(ctx, `SELECT `+representationColumns+` FROM representations r `+reps.String()+` ORDER BY r.id`, reps.args...)
	if err != nil {
		return nil, err
	}
	if e.Representations, err = collect(rows, scanRepresentation); err != nil {
		return nil, err
	}
	reqs := &where{}
	reqs.add("q.resident_id = ?", residentID)
	if err := requestVisibility(ctx, r, reqs, s.db.Now()); err != nil {
		return nil, err
	}
	rows, err = r.query(ctx, `SELECT `+requestColumns+` FROM requests q `+reqs.String()+` ORDER BY q.id`, reqs.args...)
	if err != nil {
		return nil, err
	}
	if e.Requests, err = collect(rows, scanRequest); err != nil {
		return nil, err
	} else if err := requestDetails(ctx, r, e.Requests); err != nil {
		return nil, err
	}
	for before := int64(0); ; {
		page, next, err := s.FindUsage(ctx, omadata.UsageFilter{ResidentID: residentID, Before: before, Limit: MaxLimit})
		if err != nil {
			return nil, err
		}
		e.Usage = append(e.Usage, page...)
		if next == "" {
			break
		}
		if before, err = strconv.ParseInt(next, 10, 64); err != nil {
			return nil, err
		}
	}
	purposes := map[string]string{} // processing ID to purpose code, for leafAllowed
	for before := int64(0); ; {
		w := &where{}
		w.add("s.resident_id = ?", residentID)
		if before > 0 {
			w.add("l.seq < ?", before)
		}
		page, seqs, err := s.logEvents(ctx, `FROM log_subjects s JOIN log_leaves l ON l.seq = s.leaf_seq`, w, MaxLimit)
		if err != nil {
			return nil, err
		}
		for _, ev := range page {
			if ok, err := leafAllowed(ctx, r, auth, ev.Leaf, purposes); err != nil {
				return nil, err
			} else if ok {
				e.LogEntries = append(e.LogEntries, ev)
			}
		}
		next := nextSeq(seqs, MaxLimit)
		if next == "" {
			break
		}
		if before, err = strconv.ParseInt(next, 10, 64); err != nil {
			return nil, err
		}
	}
	if cp, err := latestCheckpoint(ctx, r); err == nil {
		e.Checkpoint = cp
	} else if omadata.ErrorCode(err) != omadata.ENOTFOUND {
		return nil, err
	}
	if e.Representations == nil {
		e.Representations = []*omadata.Representation{}
	}
	if e.Requests == nil {
		e.Requests = []*omadata.Request{}
	}
	return e, nil
}

// leafAllowed reports whether a representative's authority (nil: the
// resident or an admin) lets them see a log leaf about the principal: the
// act the leaf is about, for the purpose of its processing. purposes
// caches the purposes of processings across calls.
func leafAllowed(ctx context.Context, q querier, auth *omadata.Authority, l *omadata.LogLeaf, purposes map[string]string) (bool, error) {
	if auth == nil {
		return true, nil
	}
	purpose, known := purposes[l.ProcessingID]
	if !known && l.ProcessingID != "" {
		err := q.queryRow(ctx, processingPurpose("?"), l.ProcessingID).Scan(&purpose)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return false, err
		}
		purposes[l.ProcessingID] = purpose
	}
	return auth.Allows(omadata.LeafAct(l), purpose), nil
}
