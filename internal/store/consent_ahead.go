// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/omadata/omadata"
)

// On SQLite every statement of a write runs while the call holds the one
// write connection, so the common consent changes do their reads and their
// computing first: they read on the read pool, pick the record's time,
// build the record, its hash, signed receipt and events in memory, and
// only then take the writer, re-check in the transaction what may have
// changed meanwhile and write a few rows. When a re-check fails, or a case
// needs more than that (an earlier live consent, a representative's
// authority, a resumption), the call is done again the plain way, all of
// it inside the transaction, which gives the answer the change deserves.

// errStale says that the work done before the transaction no longer holds,
// or that the call needs the plain way.
var errStale = errors.New("store: redo the change inside the transaction")

// decideAhead gives or refuses a resident's own consent when they have no
// live consent on the processing.
func (s *Store) decideAhead(ctx context.Context, in *omadata.ConsentInput, status string, a actor, subject, reason string) (*omadata.Consent, error) {
	if s.signer == nil {
		return nil, errStale
	}
	intent := s.db.expectWrite()
	defer intent.cancel()
	r := s.db.reader()
	// Answers that rest on the catalogue (not found, retired, another
	// version, no such notice) come from the plain way, never from an
	// entry of the cache.
	t, err := s.consentCatalogue.target(ctx, r, in.ProcessingID)
	if err != nil {
		return nil, errStale
	}
	notice, err := t.check(in)
	if err != nil {
		s.consentCatalogue.dropTarget(in.ProcessingID)
		return nil, errStale
	}
	c := &consentRow{
		Consent: omadata.Consent{ID: omadata.NewID(omadata.PrefixConsent), ResidentID: subject, ProcessingID: t.p.ID, VersionID: t.cur.ID,
			Version: t.cur.Version, SinkID: t.p.ServiceID, SourceIDs: in.SourceIDs, Status: status},
		residentID: subject, purposeCode: t.parts.purpose.Code,
	}
	if c.SourceIDs == nil {
		c.SourceIDs = []string{}
	}
	if t.parts.sink.Operator != nil {
		return nil, errStale // a peer's processing: its consent event is written in the transaction
	}
	names, created, live, err := s.namesAhead(ctx, r, c, t.parts, t.p.ID)
	if err != nil {
		return nil, err
	} else if live {
		return nil, errStale
	}
	// The time is picked after the reads, so that it is later than any
	// change they saw.
	now := s.db.Now().UTC().Truncate(time.Microsecond)
	c.CreatedAt, c.UpdatedAt = now, now
	if c.ValidFrom, c.ValidUntil, err = consentWindow(in, status, now); err != nil {
		return nil, err
	}
	w, err := s.prepareRecord(c, t.parts, change{status: status, event: statusEvent("", status), actor: a,
		method: in.CollectionMethod, notice: notice, reason: reason}, 1, omadata.Notice{}, names, now)
	if err != nil {
		return nil, err
	}
	if w.log, err = s.consentLog(ctx, r, c, t.parts, w.rec); err != nil {
		return nil, err
	}

	// The consent is inserted only if the version is still the current
	// one of a processing whose sink is approved; the unique index
	// consents_one_live refuses a live consent made meanwhile.
	stmts := pseudonymStmts(c.residentID, created, names, now)
	stmts = append(stmts, writeStmt{query: `INSERT INTO consents (id, resident_id, processing_id, version_id, sink_id, source_ids, status,
		valid_from, valid_until, last_hash, message, created_at, updated_at)
		SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '{}', ?, ? WHERE EXISTS (SELECT 1 FROM processing_versions v JOIN processings p ON p.id = v.processing_id
		JOIN services s ON s.id = p.service_id WHERE v.id = ? AND v.status = 'published' AND s.status = 'approved')`,
		args: []any{c.ID, c.residentID, c.ProcessingID, c.VersionID, c.SinkID, jsonValue{c.SourceIDs}, w.rec.Status, c.ValidFrom, c.ValidUntil,
			w.rec.Hash, now, now, c.VersionID},
		rows: 1, conflict: errStale})
	if err := s.db.writeAhead(ctx, now, intent, append(stmts, w.statements(headInserted)...)); err != nil {
		if errors.Is(err, errStale) {
			s.consentCatalogue.dropTarget(in.ProcessingID)
		}
		return nil, staleOnConflict(err)
	}
	w.written()
	return present(ctx, c), nil
}

// changeAhead withdraws, suspends or revokes a consent for its resident,
// an admin or its sink.
func (s *Store) changeAhead(ctx context.Context, id, status, reason string) (*omadata.Consent, error) {
	if s.signer == nil || status == omadata.ConsentGiven {
		return nil, errStale
	}
	intent := s.db.expectWrite()
	defer intent.cancel()
	r := s.db.reader()
	at := s.db.Now()
	c, err := findConsent(ctx, r, id, at)
	if err != nil {
		return nil, err
	}
	a, method, err := changer(ctx, r, c, status, reason, at)
	if err != nil {
		return nil, err
	} else if a.role == omadata.ActorGuardian || a.role == omadata.ActorMandate {
		return nil, errStale // a representative's authority is checked in the transaction
	}
	switch {
	case !omadata.ConsentTransitionAllowed(c.Status, status):
		return nil, omadata.Conflictf("status", "A %s consent cannot become %s; a new decision is a new consent.", c.Status, status)
	case windowPassed(c, at):
		return nil, omadata.Conflictf("status", "The consent's validity window has ended.")
	}
	parts, err := s.consentCatalogue.versionParts(ctx, r, c.VersionID)
	if err != nil {
		return nil, err
	} else if parts.sink.Operator != nil {
		return nil, errStale // a peer's processing: its consent event is written in the transaction
	}
	if c.Records, err = consentRecords(ctx, r, c.ID); err != nil {
		return nil, err
	}
	n := len(c.Records)
	if n == 0 || c.Records[n-1].Hash != c.lastHash {
		return nil, errStale // changed between the two reads
	}
	var rests omadata.Notice
	for i := n - 1; i >= 0 && rests.SHA256 == ""; i-- {
		rests = omadata.Notice{SHA256: c.Records[i].NoticeSHA256, Language: c.Records[i].NoticeLanguage}
	}
	if rests.SHA256 == "" {
		return nil, errStale
	}
	names, created, _, err := s.namesAhead(ctx, r, c, parts, "")
	if err != nil {
		return nil, err
	}
	now := s.db.Now().UTC().Truncate(time.Microsecond)
	if windowPassed(c, now) {
		return nil, errStale // the window ended while reading
	}
	w, err := s.prepareRecord(c, parts, change{status: status, event: statusEvent(c.Status, status), actor: a, method: method, reason: reason},
		c.Records[n-1].Seq+1, rests, names, now)
	if err != nil {
		return nil, err
	}
	if w.log, err = s.consentLog(ctx, r, c, parts, w.rec); err != nil {
		return nil, err
	}

	// A withdrawal, suspension or revocation moves the status alone.
	stmts := pseudonymStmts(c.residentID, created, names, now)
	if err := s.db.writeAhead(ctx, now, intent, append(stmts, w.statements(headStatus)...)); err != nil {
		return nil, staleOnConflict(err)
	}
	w.written()
	if err := setRenewal(ctx, r, []*consentRow{c}); err != nil {
		return nil, err
	}
	return present(ctx, c), nil
}

// namesAhead returns the pseudonyms of c's resident for every recipient of
// a change of c, read with one query; those not made yet are drawn here
// and returned in created, for insertPseudonyms. With liveOn, a
// processing's ID, the same query also tells whether the resident has a
// live consent on it.
func (s *Store) namesAhead(ctx context.Context, q querier, c *consentRow, parts *consentParts, liveOn string) (names map[string]string, created []string, live bool, err error) {
	services := recipientsOf(c, parts)
	// One lookup per service rather than an IN list, for which SQLite
	// would build a temporary table.
	arms := make([]string, len(services))
	args := make([]any, 0, 2*len(services)+2)
	for i, id := range services {
		arms[i] = `SELECT service_id, pseudonym FROM pseudonyms WHERE service_id = ? AND resident_id = ?`
		args = append(args, id, c.residentID)
	}
	query := strings.Join(arms, " UNION ALL ")
	if liveOn != "" {
		// A row without a service (no service ID is empty) is a live
		// consent. On SQLite the partial index of live consents holds at
		// most the one, and its condition spares SQLite the temporary
		// table it builds for a list of statuses.
		live := `SELECT 1 FROM consents WHERE resident_id = ? AND processing_id = ? AND status IN ` + liveIn
		if s.db.d.name() == "sqlite" {
			live = `SELECT 1 FROM consents INDEXED BY consents_one_live WHERE resident_id = ? AND processing_id = ?
				AND (status = 'requested' OR status = 'given' OR status = 'suspended')`
		}
		query += ` UNION ALL SELECT '', '' WHERE EXISTS (` + live + `)`
		args = append(args, c.residentID, liveOn)
	}
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, nil, false, err
	}
	defer rows.Close()
	names = make(map[string]string, len(services))
	for rows.Next() {
		var id, p string
		if err := rows.Scan(&id, &p); err != nil {
			return nil, nil, false, err
		}
		if id == "" {
			live = true
		} else {
			names[id] = p
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, false, err
	}
	for _, id := range services {
		if names[id] == "" {
			names[id] = omadata.NewID("psn")
			created = append(created, id)
		}
	}
	return names, created, live, nil
}

// pseudonymStmts makes the pseudonyms drawn by namesAhead; if another
// call made one meanwhile, the drawn one is not the resident's: errStale.
func pseudonymStmts(residentID string, created []string, names map[string]string, now time.Time) []writeStmt {
	var out []writeStmt
	for _, id := range created {
		out = append(out, writeStmt{query: `INSERT INTO pseudonyms (service_id, resident_id, pseudonym, created_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (service_id, resident_id) DO NOTHING`, args: []any{id, residentID, names[id], now}, rows: 1, conflict: errStale})
	}
	return out
}

// staleOnConflict turns a conflict met while writing work done ahead into
// errStale: the plain way then finds what changed and answers for it.
func staleOnConflict(err error) error {
	if omadata.ErrorCode(err) == omadata.ECONFLICT {
		return errStale
	}
	return err
}
