// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/omadata/omadata"
)

// actor is who made a change, and in which role.
type actor struct {
	kind, id, role string
}

var systemActor = actor{kind: omadata.ActorSystem, role: omadata.ActorSystem}

// change is one status change to record on a consent.
type change struct {
	status string
	event  string // the event type, omadata.EventConsent*
	actor  actor
	method string
	notice *omadata.Notice // give, refuse and request: the notice shown
	reason string
}

// consentParts is what a consent's records, receipts and events refer to:
// its processing version with data groups and notices, the purpose, and the
// sink with its organisation. Loaded once per version and transaction.
type consentParts struct {
	version *omadata.ProcessingVersion
	groups  []*omadata.DataGroup
	purpose *omadata.Purpose
	sink    *omadata.Service
	org     *omadata.Organisation
}

// sources returns the services holding data groups of the version, in the
// order of the data groups, limited to only when only is not empty.
func (p *consentParts) sources(only []string) []string {
	var out []string
	for _, g := range p.groups {
		if !slices.Contains(out, g.ServiceID) && (len(only) == 0 || slices.Contains(only, g.ServiceID)) {
			out = append(out, g.ServiceID)
		}
	}
	return out
}

// loadConsentParts loads the parts of a processing version.
func loadConsentParts(ctx context.Context, tx querier, versionID string) (*consentParts, error) {
	admin := omadata.NewContextWithCaller(ctx, omadata.Caller{Kind: omadata.CallerAdmin})
	v, err := scanVersion(tx.queryRow(ctx, `SELECT `+versionColumns+` FROM processing_versions v WHERE v.id = ?`, versionID))
	if err != nil {
		return nil, err
	}
	v.DataGroupIDs, v.Notices = []string{}, []*omadata.Notice{}
	if err := loadVersionParts(ctx, tx, map[string]*omadata.ProcessingVersion{v.ID: v}); err != nil {
		return nil, err
	}
	p := &consentParts{version: v}
	if len(v.DataGroupIDs) > 0 {
		ids := make([]any, len(v.DataGroupIDs))
		for i, id := range v.DataGroupIDs {
			ids[i] = id
		}
		rows, err := tx.query(ctx, `SELECT `+prefixed("g", dataGroupColumns)+` FROM data_groups g WHERE g.id IN (`+placeholders(len(ids))+`)`, ids...)
		if err != nil {
			return nil, err
		}
		groups, err := collect(rows, scanDataGroup)
		if err != nil {
			return nil, err
		}
		for _, id := range v.DataGroupIDs { // in the version's order
			if i := slices.IndexFunc(groups, func(g *omadata.DataGroup) bool { return g.ID == id }); i >= 0 {
				p.groups = append(p.groups, groups[i])
			}
		}
	}
	if p.purpose, err = findPurposeByID(ctx, tx, v.PurposeID); err != nil {
		return nil, err
	}
	var sinkID string
	if err := tx.queryRow(ctx, `SELECT service_id FROM processings WHERE id = ?`, v.ProcessingID).Scan(&sinkID); err != nil {
		return nil, err
	}
	if p.sink, err = findServiceByID(admin, tx, sinkID); err != nil {
		return nil, err
	}
	if p.org, err = findOrganisationByID(ctx, tx, p.sink.OrganisationID); err != nil {
		return nil, err
	}
	return p, nil
}

// partsCache loads consent parts once per version within a transaction.
type partsCache map[string]*consentParts

func (pc partsCache) get(ctx context.Context, q querier, versionID string) (*consentParts, error) {
	if p := pc[versionID]; p != nil {
		return p, nil
	}
	p, err := loadConsentParts(ctx, q, versionID)
	if err != nil {
		return nil, err
	}
	pc[versionID] = p
	return p, nil
}

// record appends ch to the consent's chain inside tx: the record with its
// hash and signed receipt, the consent's new status, window, version and
// last hash, and the events to the sink and the sources. c must hold the
// consent's state after the change (window, version, sources) except its
// status; parts are those of c's version.
func (s *Store) record(ctx context.Context, tx *Tx, c *consentRow, parts *consentParts, ch change) (*omadata.ConsentRecord, error) {
	if s.signer == nil {
		return nil, errors.New("store: no signer configured for consent receipts")
	}
	var last int
	if err := tx.queryRow(ctx, `SELECT COALESCE(MAX(seq), 0) FROM consent_records WHERE consent_id = ?`, c.ID).Scan(&last); err != nil {
		return nil, err
	}
	// The receipt names the notice the consent rests on, also on records
	// (withdrawal, expiry) that show none themselves.
	var rests omadata.Notice
	if ch.notice == nil {
		err := tx.queryRow(ctx, `SELECT notice_sha256, notice_language FROM consent_records WHERE consent_id = ? AND notice_sha256 <> '' ORDER BY seq DESC LIMIT 1`, c.ID).
			Scan(&rests.SHA256, &rests.Language)
		if err != nil {
			return nil, err
		}
	}
	names, err := pseudonymsOf(ctx, tx, c.residentID, recipientsOf(c, parts))
	if err != nil {
		return nil, err
	}
	for _, id := range recipientsOf(c, parts) {
		if names[id] == "" {
			if names[id], err = pseudonym(ctx, tx, id, c.residentID); err != nil {
				return nil, err
			}
		}
	}
	w, err := s.prepareRecord(c, parts, ch, last+1, rests, names, tx.now)
	if err != nil {
		return nil, err
	}
	if w.log, err = s.consentLog(ctx, tx, c, parts, w.rec); err != nil {
		return nil, err
	}
	if parts.sink.Operator != nil {
		// A peer's sink hears through its operator (docs/network.md §5.2).
		ev, err := networkConsentEvent(ctx, tx, c, parts, w.rec, rests)
		if err != nil {
			return nil, err
		}
		w.log = append(w.log, ev)
	}
	if err := tx.run(ctx, w.statements(headAll)); err != nil {
		return nil, err
	}
	w.written()
	return w.rec, nil
}

// pendingRecord is one status change computed in memory: the record with
// its hash and signed receipt, and its events. Writing it is a few inserts
// and one guarded update.
type pendingRecord struct {
	c      *consentRow
	rec    *omadata.ConsentRecord
	events []outboxRow
	log    []writeStmt // the record's transparency log leaf (consentLog)
}

// prepareRecord computes the record of ch on c as its seq-th, at the time
// now, without the database. rests is the notice the consent rests on, for
// a change that shows none; names are the pseudonyms of the resident of
// every service in recipientsOf(c, parts).
func (s *Store) prepareRecord(c *consentRow, parts *consentParts, ch change, seq int, rests omadata.Notice, names map[string]string, now time.Time) (*pendingRecord, error) {
	rec := &omadata.ConsentRecord{
		ID: omadata.NewID(omadata.PrefixConsentRecord), ConsentID: c.ID, Seq: seq, Status: ch.status, PrevHash: c.lastHash,
		ActorKind: ch.actor.kind, ActorID: ch.actor.id, ActorRole: ch.actor.role, CollectionMethod: ch.method,
		ValidFrom: c.ValidFrom, ValidUntil: c.ValidUntil, Reason: ch.reason, CreatedAt: now,
	}
	if ch.notice != nil {
		rec.NoticeSHA256, rec.NoticeLanguage = ch.notice.SHA256, ch.notice.Language
		rests = omadata.Notice{SHA256: rec.NoticeSHA256, Language: rec.NoticeLanguage}
	}
	rec.Hash = omadata.ConsentRecordHash(c.residentID, rec)
	var err error
	if rec.Receipt, err = s.sign(dpvRecord(s.issuer, c, parts, rec, names[c.SinkID], rests)); err != nil {
		return nil, err
	}
	var to []recipient
	for _, id := range recipientsOf(c, parts) {
		if id == c.SinkID && parts.sink.Operator != nil || s.mirroredCached(id) {
			continue // a peer's service: its operator tells it
		}
		to = append(to, recipient{serviceID: id, data: &consentEvent{
			ConsentID: c.ID, ProcessingID: c.ProcessingID, Pseudonym: names[id], RecordHash: rec.Hash, Status: rec.Status, Version: c.Version,
		}})
	}
	events, err := s.outboxRows(ch.event, c.ID, to, now)
	if err != nil {
		return nil, err
	}
	return &pendingRecord{c: c, rec: rec, events: events}, nil
}

// headWrite is how a record's statements change its consent's row.
type headWrite int

const (
	headInserted headWrite = iota // a new consent: the caller inserts it at its head
	headStatus                    // the status moves; version, sources and window stay
	headAll                       // the status, version, sources and window are c's
)

// consentEvent is the data of a consent event to one service, with its
// members in the order of their names (as when it was a map).
type consentEvent struct {
	ConsentID    string `json:"consent_id"`
	ProcessingID string `json:"processing_id"`
	Pseudonym    string `json:"pseudonym"`
	RecordHash   string `json:"record_hash"`
	Status       string `json:"status"`
	Version      int    `json:"version"`
}

// statements returns the writes of the record: the record itself, the
// consent's head moved to it, guarded by its last hash (whoever commits
// second finds it moved and changes nothing: ECONFLICT), and the events.
// head says how the consent's row changes.
func (w *pendingRecord) statements(head headWrite) []writeStmt {
	c, rec := w.c, w.rec
	moved := omadata.Conflictf("status", "The consent changed meanwhile; read it again.")
	out := []writeStmt{{query: `INSERT INTO consent_records (id, consent_id, seq, status, prev_hash, hash, actor_kind, actor_id, actor_role, subject_id,
		notice_sha256, notice_language, collection_method, valid_from, valid_until, reason, receipt, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		args: []any{rec.ID, rec.ConsentID, rec.Seq, rec.Status, rec.PrevHash, rec.Hash, rec.ActorKind, rec.ActorID, rec.ActorRole, c.residentID,
			rec.NoticeSHA256, rec.NoticeLanguage, rec.CollectionMethod, rec.ValidFrom, rec.ValidUntil, rec.Reason, rec.Receipt, rec.CreatedAt},
		rows: 1, conflict: moved, // (consent_id, seq): a concurrent change took this seq
	}}
	switch head {
	case headAll:
		out = append(out, writeStmt{query: `UPDATE consents SET status = ?, last_hash = ?, version_id = ?, source_ids = ?, valid_from = ?, valid_until = ?, updated_at = ?
		WHERE id = ? AND last_hash = ?`,
			args: []any{rec.Status, rec.Hash, c.VersionID, jsonValue{c.SourceIDs}, c.ValidFrom, c.ValidUntil, rec.CreatedAt, c.ID, c.lastHash},
			rows: 1, conflict: moved})
	case headStatus:
		out = append(out, writeStmt{query: `UPDATE consents SET status = ?, last_hash = ?, updated_at = ? WHERE id = ? AND last_hash = ?`,
			args: []any{rec.Status, rec.Hash, rec.CreatedAt, c.ID, c.lastHash}, rows: 1, conflict: moved})
	}
	if len(w.events) > 0 {
		out = append(out, outboxInsert(w.events, rec.CreatedAt))
	}
	return append(out, w.log...)
}

// consentLog returns the writes of the log leaf of a consent record, its
// resident's log key read on q.
func (s *Store) consentLog(ctx context.Context, q querier, c *consentRow, parts *consentParts, rec *omadata.ConsentRecord) ([]writeStmt, error) {
	return s.logStatements(ctx, q, logAppend{
		kind: "consent." + rec.Status, recordKind: omadata.RecordConsent, recordID: rec.ID, recordSHA256: rec.Hash,
		processingID: c.ProcessingID, sinkID: c.SinkID, sourceIDs: parts.sources(c.SourceIDs), residentID: c.residentID,
	}, rec.CreatedAt)
}

// written moves c to the record in memory, once it is committed.
func (w *pendingRecord) written() {
	c, rec := w.c, w.rec
	c.Status, c.lastHash, c.UpdatedAt = rec.Status, rec.Hash, rec.CreatedAt
	c.Records = append(c.Records, rec)
}

// recipientsOf returns the services told about a change of c: the sink
// and every source covered by the consent, each once (a service that is
// both sink and source hears once).
func recipientsOf(c *consentRow, parts *consentParts) []string {
	out := []string{c.SinkID}
	for _, id := range parts.sources(c.SourceIDs) {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// pseudonymsOf returns the existing pseudonyms of a resident for the
// given services, by service ID, with one query; missing ones are absent.
func pseudonymsOf(ctx context.Context, q querier, residentID string, services []string) (map[string]string, error) {
	args := make([]any, 0, len(services)+1)
	for _, id := range services {
		args = append(args, id)
	}
	args = append(args, residentID)
	rows, err := q.query(ctx, `SELECT service_id, pseudonym FROM pseudonyms WHERE service_id IN (`+placeholders(len(services))+`) AND resident_id = ?`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[string]string, len(services))
	for rows.Next() {
		var id, p string
		if err := rows.Scan(&id, &p); err != nil {
			return nil, err
		}
		out[id] = p
	}
	return out, rows.Err()
}

// statusEvent returns the event type of a move to status.
func statusEvent(from, to string) string {
	switch to {
	case omadata.ConsentRequested:
		return omadata.EventConsentRequested
	case omadata.ConsentGiven:
		if from == omadata.ConsentSuspended {
			return omadata.EventConsentResumed
		}
		return omadata.EventConsentGiven
	case omadata.ConsentRefused:
		return omadata.EventConsentRefused
	case omadata.ConsentSuspended:
		return omadata.EventConsentSuspended
	case omadata.ConsentWithdrawn:
		return omadata.EventConsentWithdrawn
	case omadata.ConsentRevoked:
		return omadata.EventConsentRevoked
	}
	return omadata.EventConsentExpired
}

// expireRow records the expiry of a live consent whose window has passed.
func (s *Store) expireRow(ctx context.Context, tx *Tx, c *consentRow, pc partsCache) error {
	parts, err := pc.get(ctx, tx, c.VersionID)
	if err != nil {
		return err
	}
	_, err = s.record(ctx, tx, c, parts, change{status: omadata.ConsentExpired, event: omadata.EventConsentExpired,
		actor: systemActor, method: omadata.CollectedSystem, reason: "validity window ended"})
	return err
}

// windowPassed reports whether a live consent's window has ended at now.
func windowPassed(c *consentRow, now time.Time) bool {
	return slices.Contains(liveStatuses, c.Status) && c.ValidUntil != nil && !c.ValidUntil.After(now)
}
