// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"time"

	"github.com/omadata/omadata"
)

var _ omadata.ConsentService = (*Store)(nil)

// liveStatuses are the statuses in which a consent still counts: a resident
// has at most one consent in them per processing.
var liveStatuses = []string{omadata.ConsentRequested, omadata.ConsentGiven, omadata.ConsentSuspended}

const liveIn = `('requested', 'given', 'suspended')`

// consentRow is a consent as stored, with what the write paths need
// whatever the caller may see.
type consentRow struct {
	omadata.Consent
	residentID  string // the subject
	lastHash    string
	purposeCode string
}

// consentSelect reads consents with their version number, purpose code
// and, for a service caller, its pseudonym of the resident. The one
// argument it takes comes before those of the WHERE clause.
const consentSelect = consentColumns + `COALESCE(ps.pseudonym, '')
	FROM consents c
	JOIN processing_versions v ON v.id = c.version_id
	JOIN purposes pu ON pu.id = v.purpose_id
	LEFT JOIN pseudonyms ps ON ps.service_id = ? AND ps.resident_id = c.resident_id `

// ownConsentSelect is consentSelect for a resident's own consents, which
// show no pseudonym; it takes no argument of its own.
const ownConsentSelect = consentColumns + `''
	FROM consents c
	JOIN processing_versions v ON v.id = c.version_id
	JOIN purposes pu ON pu.id = v.purpose_id `

const consentColumns = `SELECT c.id, c.resident_id, c.processing_id, c.version_id, v.version, c.sink_id, c.source_ids, c.status,
	c.valid_from, c.valid_until, c.message, c.last_hash, c.created_at, c.updated_at, pu.code, `

func scanConsent(row interface{ Scan(...any) error }) (*consentRow, error) {
	var c consentRow
	err := row.Scan(&c.ID, &c.residentID, &c.ProcessingID, &c.VersionID, &c.Version, &c.SinkID, jsonScan{&c.SourceIDs}, &c.Status,
		NullTime{&c.ValidFrom}, NullTime{&c.ValidUntil}, jsonScan{&c.Message}, &c.lastHash, Time{&c.CreatedAt}, Time{&c.UpdatedAt},
		&c.purposeCode, &c.Pseudonym)
	if c.SourceIDs == nil {
		c.SourceIDs = []string{}
	}
	c.ResidentID = c.residentID
	return &c, err
}

// consentVisibility limits a query on consents c to what the caller may
// see at the time at: admins all; residents their own and those of the
// people they actively represent (for a mandate, on the purposes it
// covers); a service with the consents scope the consents on its own
// processings, and as a source those whose version includes its data
// groups and that are not limited to other sources. Nobody else sees any.
func consentVisibility(ctx context.Context, q querier, w *where, at time.Time) error {
	c := omadata.CallerFromContext(ctx)
	switch {
	case c.IsAdmin():
	case c.Kind == omadata.CallerResident:
		return ownOrRepresented(ctx, q, w, "c.resident_id", c.ResidentID, at, func(a *omadata.Authority) (string, []any) {
			return scopeCondition(allowedScope(a, omadata.RepConsent), "pu.code")
		})
	case c.Kind == omadata.CallerService && c.HasScope(omadata.ScopeConsents):
		// Service IDs hold only [a-z0-9_], so the quoted ID cannot match
		// anything but itself in the JSON list.
		w.add(`(c.sink_id = ? OR (EXISTS (SELECT 1 FROM processing_version_data_groups vg JOIN data_groups g ON g.id = vg.data_group_id
			WHERE vg.version_id = c.version_id AND g.service_id = ?) AND (c.source_ids = '[]' OR c.source_ids LIKE ?)))`,
			c.ServiceID, c.ServiceID, `%"`+c.ServiceID+`"%`)
	default:
		w.add("1 = 0")
	}
	return nil
}

// findConsent returns a consent visible to the caller at the time at.
func findConsent(ctx context.Context, q querier, id string, at time.Time) (*consentRow, error) {
	if !omadata.ValidID(omadata.PrefixConsent, id) {
		return nil, omadata.NotFound("Consent")
	}
	// A resident sees their own consents whatever else they may see: look
	// among those first, which spares reading their representations.
	if caller := omadata.CallerFromContext(ctx); caller.Kind == omadata.CallerResident {
		c, err := scanConsent(q.queryRow(ctx, ownConsentSelect+`WHERE c.id = ? AND c.resident_id = ?`, id, caller.ResidentID))
		if !errors.Is(err, sql.ErrNoRows) {
			return c, err
		}
	}
	w := where{}
	w.add("c.id = ?", id)
	if err := consentVisibility(ctx, q, &w, at); err != nil {
		return nil, err
	}
	c, err := scanConsent(q.queryRow(ctx, consentSelect+w.String(), append([]any{omadata.CallerFromContext(ctx).ServiceID}, w.args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, omadata.NotFound("Consent")
	}
	return c, err
}

// FindConsentByID returns a consent with its records and their receipts.
func (s *Store) FindConsentByID(ctx context.Context, id string) (*omadata.Consent, error) {
	r := s.db.reader()
	c, err := findConsent(ctx, r, id, s.db.Now())
	if err != nil {
		return nil, err
	}
	if c.Records, err = consentRecords(ctx, r, c.ID); err != nil {
		return nil, err
	} else if err := setRenewal(ctx, r, []*consentRow{c}); err != nil {
		return nil, err
	}
	return present(ctx, c), nil
}

// FindConsents returns a page of the consents visible to the caller,
// without their records.
func (s *Store) FindConsents(ctx context.Context, f omadata.ConsentFilter) ([]*omadata.Consent, string, error) {
	c := omadata.CallerFromContext(ctx)
	var w where
	if f.ResidentID != nil {
		if c.Kind == omadata.CallerService {
			return nil, "", omadata.Invalidf("resident_id", "Services select residents by pseudonym, never by resident ID.")
		}
		w.add("c.resident_id = ?", *f.ResidentID)
	}
	if f.ProcessingID != nil {
		w.add("c.processing_id = ?", *f.ProcessingID)
	}
	if f.Status != nil {
		if !validConsentStatus(*f.Status) {
			return nil, "", omadata.Invalidf("status", "Unknown consent status %q.", truncateString(*f.Status, 20))
		}
		w.add("c.status = ?", *f.Status)
	}
	if f.After != "" {
		w.add("c.id > ?", f.After)
	}
	r := s.db.reader()
	if err := consentVisibility(ctx, r, &w, s.db.Now()); err != nil {
		return nil, "", err
	}
	limit := pageLimit(f.Limit)
	args := append(append([]any{c.ServiceID}, w.args...), limit+1)
	rows, err := r.query(ctx, consentSelect+w.String()+` ORDER BY c.id LIMIT ?`, args...)
	if err != nil {
		return nil, "", err
	}
	list, err := collect(rows, scanConsent)
	if err != nil {
		return nil, "", err
	}
	list, next := page(list, limit, func(c *consentRow) string { return c.ID })
	if err := setRenewal(ctx, r, list); err != nil {
		return nil, "", err
	}
	out := make([]*omadata.Consent, len(list))
	for i, c := range list {
		out[i] = present(ctx, c)
	}
	return out, next, nil
}

func validConsentStatus(s string) bool {
	switch s {
	case omadata.ConsentRequested, omadata.ConsentGiven, omadata.ConsentRefused, omadata.ConsentSuspended,
		omadata.ConsentWithdrawn, omadata.ConsentRevoked, omadata.ConsentExpired:
		return true
	}
	return false
}

// present returns the consent as the caller may see it. A service sees its
// own pseudonym of the resident instead of the resident ID, no resident or
// admin IDs in the records, and receipts only as the consent's sink
// (receipts name the sink's pseudonym).
func present(ctx context.Context, c *consentRow) *omadata.Consent {
	caller := omadata.CallerFromContext(ctx)
	out := c.Consent
	if caller.Kind != omadata.CallerService {
		out.Pseudonym = ""
		return &out
	}
	out.ResidentID = ""
	out.Records = nil
	for _, r := range c.Records {
		cp := *r
		if cp.ActorKind != string(omadata.CallerService) {
			cp.ActorID = ""
		}
		if caller.ServiceID != c.SinkID {
			cp.Receipt = ""
		}
		out.Records = append(out.Records, &cp)
	}
	return &out
}

const consentRecordColumns = `id, consent_id, seq, status, prev_hash, hash, actor_kind, actor_id, actor_role, notice_sha256, notice_language,
	collection_method, valid_from, valid_until, reason, receipt, created_at`

func scanConsentRecord(row interface{ Scan(...any) error }) (*omadata.ConsentRecord, error) {
	var r omadata.ConsentRecord
	err := row.Scan(&r.ID, &r.ConsentID, &r.Seq, &r.Status, &r.PrevHash, &r.Hash, &r.ActorKind, &r.ActorID, &r.ActorRole,
		&r.NoticeSHA256, &r.NoticeLanguage, &r.CollectionMethod, NullTime{&r.ValidFrom}, NullTime{&r.ValidUntil}, &r.Reason,
		&r.Receipt, Time{&r.CreatedAt})
	return &r, err
}

// consentRecords returns a consent's records in order.
func consentRecords(ctx context.Context, q querier, consentID string) ([]*omadata.ConsentRecord, error) {
	rows, err := q.query(ctx, `SELECT `+consentRecordColumns+` FROM consent_records WHERE consent_id = ? ORDER BY seq`, consentID)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanConsentRecord)
}

// setRenewal sets RenewalRequired on the given and suspended consents of
// cs, from the versions of their processings: one query.
func setRenewal(ctx context.Context, q querier, cs []*consentRow) error {
	var ids []any
	for _, c := range cs {
		if (c.Status == omadata.ConsentGiven || c.Status == omadata.ConsentSuspended) && !slices.Contains(ids, any(c.ProcessingID)) {
			ids = append(ids, c.ProcessingID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	rows, err := q.query(ctx, `SELECT processing_id, version, status, compatible FROM processing_versions
		WHERE processing_id IN (`+placeholders(len(ids))+`) AND status <> 'draft'`, ids...)
	if err != nil {
		return err
	}
	type pv struct {
		processing string
		v          omadata.ProcessingVersion
	}
	vs, err := collect(rows, func(row interface{ Scan(...any) error }) (pv, error) {
		var x pv
		return x, row.Scan(&x.processing, &x.v.Version, &x.v.Status, &x.v.Compatible)
	})
	if err != nil {
		return err
	}
	byProcessing := map[string][]*omadata.ProcessingVersion{}
	for i := range vs {
		byProcessing[vs[i].processing] = append(byProcessing[vs[i].processing], &vs[i].v)
	}
	for _, c := range cs {
		if c.Status == omadata.ConsentGiven || c.Status == omadata.ConsentSuspended {
			c.RenewalRequired = renewalRequired(byProcessing[c.ProcessingID], c.Version)
		}
	}
	return nil
}

// renewalRequired reports whether a consent on version from no longer
// holds: the processing has no published version (retired), or one that is
// not compatible with from.
func renewalRequired(versions []*omadata.ProcessingVersion, from int) bool {
	for _, v := range versions {
		if v.Status == omadata.VersionPublished {
			return !omadata.CompatibleSince(versions, from, v.Version)
		}
	}
	return true
}
