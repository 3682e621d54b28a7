// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/omadata/omadata"
)

var _ omadata.RepresentationService = (*Store)(nil)

const representationColumns = `r.id, r.kind, r.representative_id, r.principal_id, r.scope, r.basis, r.valid_from, r.valid_until, r.ended_at, r.created_at`

func scanRepresentation(row interface{ Scan(...any) error }) (*omadata.Representation, error) {
	var r omadata.Representation
	err := row.Scan(&r.ID, &r.Kind, &r.RepresentativeID, &r.PrincipalID, jsonScan{&r.Scope}, &r.Basis, Time{&r.ValidFrom},
		NullTime{&r.ValidUntil}, NullTime{&r.EndedAt}, Time{&r.CreatedAt})
	return &r, err
}

// activeRepresentation returns a representation by which representative may
// act for principal at t, covering purposeCode when it is not empty, or
// ENOTFOUND. A guardian's authority ends at the principal's 18th birthday,
// computed here at the time of the act: no job has to run first.
func activeRepresentation(ctx context.Context, q querier, representative, principal, purposeCode string, at time.Time) (*omadata.Representation, error) {
	rows, err := q.query(ctx, `SELECT `+representationColumns+`, p.birth_date FROM representations r JOIN residents p ON p.id = r.principal_id
		WHERE r.representative_id = ? AND r.principal_id = ? AND r.ended_at IS NULL`, representative, principal)
	if err != nil {
		return nil, err
	}
	type repBirth struct {
		rep  *omadata.Representation
		born string
	}
	reps, err := collect(rows, func(row interface{ Scan(...any) error }) (repBirth, error) {
		var r omadata.Representation
		var born string
		err := row.Scan(&r.ID, &r.Kind, &r.RepresentativeID, &r.PrincipalID, jsonScan{&r.Scope}, &r.Basis, Time{&r.ValidFrom},
			NullTime{&r.ValidUntil}, NullTime{&r.EndedAt}, Time{&r.CreatedAt}, &born)
		return repBirth{&r, born}, err
	})
	if err != nil {
		return nil, err
	}
	for _, rb := range reps {
		born, _ := time.Parse(time.DateOnly, rb.born)
		if rb.rep.ActiveAt(at, born) && (purposeCode == "" || rb.rep.Covers(purposeCode)) {
			return rb.rep, nil
		}
	}
	return nil, omadata.NotFound("Representation")
}

// CreateRepresentation records a guardianship or a mandate.
func (s *Store) CreateRepresentation(ctx context.Context, in *omadata.RepresentationInput) (*omadata.Representation, error) {
	c := omadata.CallerFromContext(ctx)
	if !c.IsAdmin() && !(c.Kind == omadata.CallerService && c.HasScope(omadata.ScopeResidentsLink)) {
		return nil, omadata.Errorf(omadata.EFORBIDDEN, "Only an operator admin or a source with residents:link may record representation.")
	} else if err := s.requireKeyring(); err != nil {
		return nil, err
	}
	if in.Kind != omadata.RepGuardian && in.Kind != omadata.RepMandate {
		return nil, omadata.Invalidf("kind", "Use guardian or mandate.")
	}
	repBorn, err := omadata.ParseIdentityCode(in.RepresentativeIdentityCode)
	if err != nil {
		return nil, omadata.Invalidf("representative_identity_code", "%s", omadata.ErrorMessage(err))
	}
	prinBorn, err := omadata.ParseIdentityCode(in.PrincipalIdentityCode)
	if err != nil {
		return nil, omadata.Invalidf("principal_identity_code", "%s", omadata.ErrorMessage(err))
	} else if in.RepresentativeIdentityCode == in.PrincipalIdentityCode {
		return nil, omadata.Invalidf("principal_identity_code", "A person does not represent themselves.")
	} else if strings.TrimSpace(in.Basis) == "" {
		return nil, omadata.Invalidf("basis", "Say what the representation rests on (population register, mandate code, court order), in at most 200 characters.")
	} else if err := omadata.CheckText("basis", in.Basis, 200); err != nil {
		return nil, err
	} else if len(in.Scope) > 50 {
		return nil, omadata.Invalidf("scope", "At most 50 purposes.")
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	now := tx.now
	from := now
	if in.ValidFrom != nil {
		from = in.ValidFrom.UTC()
	}
	if in.ValidUntil != nil && !in.ValidUntil.After(from) {
		return nil, omadata.Invalidf("valid_until", "Must be after valid_from.")
	}
	switch in.Kind {
	case omadata.RepGuardian:
		if !from.Before(omadata.AdultOn(prinBorn)) {
			return nil, omadata.Invalidf("principal_identity_code", "A guardian acts only for a child under 18.")
		} else if len(in.Scope) > 0 {
			return nil, omadata.Invalidf("scope", "A guardianship covers every purpose; give no scope.")
		}
	case omadata.RepMandate:
		if omadata.AgeOn(prinBorn, from) < 18 {
			return nil, omadata.Invalidf("principal_identity_code", "A mandate is between adults; a child is represented by a guardian.")
		}
		for _, code := range in.Scope {
			if n, err := count(ctx, tx, `SELECT COUNT(*) FROM purposes WHERE code = ?`, code); err != nil {
				return nil, err
			} else if n == 0 {
				return nil, omadata.Invalidf("scope", "Unknown purpose %q.", truncateString(code, 64))
			}
		}
	}
	if omadata.AgeOn(repBorn, from) < 18 {
		return nil, omadata.Invalidf("representative_identity_code", "A representative must be an adult.")
	}
	rep, _, err := s.findOrCreateResident(ctx, tx, in.RepresentativeIdentityCode, "")
	if err != nil {
		return nil, err
	}
	prin, _, err := s.findOrCreateResident(ctx, tx, in.PrincipalIdentityCode, "")
	if err != nil {
		return nil, err
	}
	scope := in.Scope
	if scope == nil {
		scope = []string{}
	}
	r := &omadata.Representation{ID: omadata.NewID("rep"), Kind: in.Kind, RepresentativeID: rep.ID, PrincipalID: prin.ID,
		Scope: scope, Basis: in.Basis, ValidFrom: from, ValidUntil: in.ValidUntil, CreatedAt: now}
	if _, err := tx.exec(ctx, `INSERT INTO representations (id, kind, representative_id, principal_id, scope, basis, valid_from, valid_until, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.ID, r.Kind, r.RepresentativeID, r.PrincipalID, jsonValue{r.Scope}, r.Basis, r.ValidFrom, r.ValidUntil, r.CreatedAt); err != nil {
		return nil, err
	}
	return r, tx.Commit()
}

// EndRepresentation ends a representation now (admins, its principal or
// its holder).
func (s *Store) EndRepresentation(ctx context.Context, id string) (*omadata.Representation, error) {
	c := omadata.CallerFromContext(ctx)
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	r, err := scanRepresentation(tx.queryRow(ctx, `SELECT `+representationColumns+` FROM representations r WHERE r.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, omadata.NotFound("Representation")
	} else if err != nil {
		return nil, err
	}
	switch {
	case c.IsAdmin():
	case c.Kind == omadata.CallerResident && (c.ResidentID == r.PrincipalID || c.ResidentID == r.RepresentativeID):
	default:
		return nil, omadata.NotFound("Representation")
	}
	if r.EndedAt != nil {
		return nil, omadata.Conflictf("ended_at", "The representation has already ended.")
	}
	now := tx.now
	r.EndedAt = &now
	if _, err := tx.exec(ctx, `UPDATE representations SET ended_at = ? WHERE id = ?`, now, id); err != nil {
		return nil, err
	}
	return r, tx.Commit()
}

// FindRepresentations lists what a resident holds or is principal of.
func (s *Store) FindRepresentations(ctx context.Context, residentID string) ([]*omadata.Representation, error) {
	c := omadata.CallerFromContext(ctx)
	if !c.IsAdmin() && !(c.Kind == omadata.CallerResident && c.ResidentID == residentID) {
		return nil, omadata.NotFound("Resident")
	}
	rows, err := s.db.reader().query(ctx, `SELECT `+representationColumns+` FROM representations r
		WHERE r.representative_id = ? OR r.principal_id = ? ORDER BY r.id`, residentID, residentID)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanRepresentation)
}

func truncateString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
