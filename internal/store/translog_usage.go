// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/omadata/omadata"
)

var _ omadata.UsageService = (*Store)(nil)

// usageKinds are the leaves "who used my data" shows.
var usageKinds = []any{omadata.LeafDecisionPermit, omadata.LeafGrantIssued, omadata.LeafTransferRecorded}

// FindUsage implements omadata.UsageService. A resident sees their own
// usage and that of the people they represent; admins anyone's.
func (s *Store) FindUsage(ctx context.Context, f omadata.UsageFilter) ([]*omadata.Usage, string, error) {
	c := omadata.CallerFromContext(ctx)
	r := s.db.reader()
	scope := omadata.RepresentationScope{AllPurposes: true}
	switch c.Kind {
	case omadata.CallerAdmin:
	case omadata.CallerResident:
		if c.ResidentID != f.ResidentID {
			a, err := authorityOver(ctx, r, c.ResidentID, f.ResidentID, s.db.Now())
			if omadata.ErrorCode(err) == omadata.ENOTFOUND {
				return nil, "", omadata.NotFound("Resident")
			} else if err != nil {
				return nil, "", err
			}
			scope = allowedScope(a, omadata.RepUsage)
		}
	default:
		return nil, "", omadata.NotFound("Resident")
	}
	limit := pageLimit(f.Limit)
	w := &where{}
	w.add("s.resident_id = ?", f.ResidentID)
	if f.HandedOver {
		w.add("l.kind = ?", omadata.LeafTransferRecorded)
		w.add(`l.record_id NOT IN (SELECT t.id FROM transfers t JOIN decisions d ON d.id = t.decision_id WHERE d.purpose_id = ?)`, omadata.OwnAccessPurposeID)
	} else {
		w.add("l.kind IN (?, ?, ?)", usageKinds...)
	}
	if !scope.AllPurposes {
		// The uses under the purposes a representative's scope covers: each
		// kind's record names its purpose.
		cond, codes := scopeCondition(scope, "pu.code")
		w.add(`(l.record_id IN (SELECT d.id FROM decisions d JOIN purposes pu ON pu.id = d.purpose_id WHERE `+cond+`)
			OR l.record_id IN (SELECT g.id FROM grants g JOIN purposes pu ON pu.id = g.purpose_id WHERE `+cond+`)
			OR l.record_id IN (SELECT t.id FROM transfers t JOIN decisions d ON d.id = t.decision_id JOIN purposes pu ON pu.id = d.purpose_id WHERE `+cond+`))`,
			slices.Concat(codes, codes, codes)...)
	}
	if f.Before > 0 {
		w.add("l.seq < ?", f.Before)
	}
	events, seqs, err := s.logEvents(ctx, `FROM log_subjects s JOIN log_leaves l ON l.seq = s.leaf_seq`, w, limit)
	if err != nil {
		return nil, "", err
	}
	out := make([]*omadata.Usage, len(events))
	byKind := map[string][]any{}
	for i, e := range events {
		out[i] = &omadata.Usage{Kind: e.Leaf.Kind, RecordID: e.Leaf.Record, ProcessingID: e.Leaf.ProcessingID, Log: *e}
		byKind[e.Leaf.Kind] = append(byKind[e.Leaf.Kind], e.Leaf.Record)
	}
	details := map[string]*omadata.Usage{}
	for kind, ids := range byKind {
		if err := usageDetails(ctx, r, kind, ids, details); err != nil {
			return nil, "", err
		}
	}
	for _, u := range out {
		if d := details[u.RecordID]; d != nil {
			u.Time, u.SinkID, u.SourceID, u.DataGroupIDs, u.PurposeID = d.Time, d.SinkID, d.SourceID, d.DataGroupIDs, d.PurposeID
			u.ConsentID, u.LegalBasis = d.ConsentID, d.LegalBasis
			u.OwnView = d.PurposeID == omadata.OwnAccessPurposeID
			if d.ProcessingID != "" {
				u.ProcessingID = d.ProcessingID
			}
		}
	}
	if err := sinkOperators(ctx, r, out); err != nil {
		return nil, "", err
	}
	return out, nextSeq(seqs, limit), nil
}

// sinkOperators names the peer operator of each use by a peer's sink
// (docs/network.md §5.5).
func sinkOperators(ctx context.Context, q querier, uses []*omadata.Usage) error {
	var ids []any
	for _, u := range uses {
		if u.SinkID != "" && !slices.Contains(ids, any(u.SinkID)) {
			ids = append(ids, u.SinkID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	rows, err := q.query(ctx, `SELECT s.id, p.operator_id, p.name FROM services s JOIN peers p ON p.operator_id = s.operator_id
		WHERE s.id IN (`+placeholders(len(ids))+`)`, ids...)
	if err != nil {
		return err
	}
	defer rows.Close()
	ops := map[string]*omadata.OperatorRef{}
	for rows.Next() {
		var id string
		var ref omadata.OperatorRef
		if err := rows.Scan(&id, &ref.ID, jsonScan{&ref.Name}); err != nil {
			return err
		}
		ops[id] = &ref
	}
	for _, u := range uses {
		u.SinkOperator = ops[u.SinkID]
	}
	return rows.Err()
}

// usageDetails reads who, what, why and on what ground from the records
// the leaves commit to.
func usageDetails(ctx context.Context, q querier, kind string, ids []any, into map[string]*omadata.Usage) error {
	in := "(" + placeholders(len(ids)) + ")"
	var query string
	switch kind {
	case omadata.LeafDecisionPermit:
		query = `SELECT d.id, d.decided_at, d.sink_id, d.source_id, d.data_group_ids, d.purpose_id, d.processing_id, d.consent_id, d.legal_basis
			FROM decisions d WHERE d.id IN ` + in
	case omadata.LeafGrantIssued:
		query = `SELECT g.id, g.issued_at, g.sink_id, g.source_id, g.data_group_ids, g.purpose_id, g.processing_id, g.consent_id, d.legal_basis
			FROM grants g JOIN decisions d ON d.id = g.decision_id WHERE g.id IN ` + in
	case omadata.LeafTransferRecorded:
		query = `SELECT t.id, t.transferred_at, t.sink_id, t.source_id, t.data_group_ids, d.purpose_id, d.processing_id, d.consent_id, d.legal_basis
			FROM transfers t JOIN decisions d ON d.id = t.decision_id WHERE t.id IN ` + in
	default:
		return nil
	}
	rows, err := q.query(ctx, query, ids...)
	if err != nil {
		return err
	}
	list, err := collect(rows, func(row interface{ Scan(...any) error }) (*omadata.Usage, error) {
		var u omadata.Usage
		err := row.Scan(&u.RecordID, Time{&u.Time}, &u.SinkID, &u.SourceID, jsonScan{&u.DataGroupIDs}, &u.PurposeID, &u.ProcessingID,
			&u.ConsentID, &u.LegalBasis)
		return &u, err
	})
	if err != nil {
		return err
	}
	for _, u := range list {
		if u.ConsentID != "" {
			u.LegalBasis = "" // the ground is the consent
		}
		into[u.RecordID] = u
	}
	return nil
}

// FindLogEvents implements omadata.UsageService: a service sees the events
// it is a party to (as sink or source); admins any service's.
func (s *Store) FindLogEvents(ctx context.Context, f omadata.LogEventFilter) ([]*omadata.LogEvent, string, error) {
	c := omadata.CallerFromContext(ctx)
	switch {
	case c.IsAdmin():
		// An admin asking for a service that does not exist learns so,
		// as from FindServiceByID, rather than getting an empty list.
		if _, err := findServiceByID(ctx, s.db.reader(), f.ServiceID); err != nil {
			return nil, "", err
		}
	case c.Kind == omadata.CallerService && c.ServiceID == f.ServiceID:
	default:
		return nil, "", omadata.NotFound("Service")
	}
	limit := pageLimit(f.Limit)
	w := &where{}
	w.add("p.service_id = ?", f.ServiceID)
	if f.RecordID != "" {
		w.add("l.record_id = ?", f.RecordID)
	}
	if f.Before > 0 {
		w.add("l.seq < ?", f.Before)
	}
	events, seqs, err := s.logEvents(ctx, `FROM log_parties p JOIN log_leaves l ON l.seq = p.leaf_seq`, w, limit)
	if err != nil {
		return nil, "", err
	}
	return events, nextSeq(seqs, limit), nil
}

// logEvents reads a page of leaves, newest first, with their place in the
// tree and their proofs in the tree of the latest checkpoint.
func (s *Store) logEvents(ctx context.Context, from string, w *where, limit int) ([]*omadata.LogEvent, []int64, error) {
	r := s.db.reader()
	rows, err := r.query(ctx, `SELECT l.seq, l.data, l.created_at, i.idx, i.leaf_hash `+from+` LEFT JOIN log_index i ON i.leaf_seq = l.seq `+
		w.String()+` ORDER BY l.seq DESC LIMIT `+strconv.Itoa(limit+1), w.args...)
	if err != nil {
		return nil, nil, err
	}
	type row struct {
		seq  int64
		data string
		at   time.Time
		idx  *int64
		hash *string
	}
	list, err := collect(rows, func(sc interface{ Scan(...any) error }) (row, error) {
		var x row
		return x, sc.Scan(&x.seq, &x.data, Time{&x.at}, &x.idx, &x.hash)
	})
	if err != nil {
		return nil, nil, err
	}
	var size int64
	if cp, err := latestCheckpoint(ctx, r); err == nil {
		size = cp.Size
	} else if omadata.ErrorCode(err) != omadata.ENOTFOUND {
		return nil, nil, err
	}
	events := make([]*omadata.LogEvent, 0, len(list))
	seqs := make([]int64, 0, len(list))
	for _, x := range list {
		hash := ""
		if x.hash != nil {
			hash = *x.hash
		}
		e, err := logEntry(x.idx, x.data, hash, x.at)
		if err != nil {
			return nil, nil, err
		}
		ev := &omadata.LogEvent{LogEntry: *e}
		if x.idx != nil && *x.idx < size {
			// The page's leaves share the checkpoint and know their hashes.
			if ev.Proof, err = proveInclusion(&hashStore{ctx: ctx, q: r}, *x.idx, size, hash); err != nil {
				return nil, nil, err
			}
		}
		events = append(events, ev)
		seqs = append(seqs, x.seq)
	}
	if len(events) > limit {
		events = events[:limit]
	}
	return events, seqs, nil
}

// nextSeq is the cursor after a page read with one row more than limit.
func nextSeq(seqs []int64, limit int) string {
	if len(seqs) <= limit {
		return ""
	}
	return strconv.FormatInt(seqs[limit-1], 10)
}
