// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/omadata/omadata"
)

var _ omadata.RepresentationService = (*Store)(nil)

const representationColumns = `r.id, r.kind, r.representative_id, r.principal_id, r.all_purposes, r.scope, r.basis, r.valid_from, r.valid_until, r.ended_at, r.created_at`

// basisGranted is the basis of a mandate its principal granted themselves.
const basisGranted = "granted by the principal"

func representationFields(r *omadata.Representation) []any {
	return []any{&r.ID, &r.Kind, &r.RepresentativeID, &r.PrincipalID, &r.AllPurposes, jsonScan{&r.Purposes}, &r.Basis, Time{&r.ValidFrom},
		NullTime{&r.ValidUntil}, NullTime{&r.EndedAt}, Time{&r.CreatedAt}}
}

func scanRepresentation(row interface{ Scan(...any) error }) (*omadata.Representation, error) {
	var r omadata.Representation
	err := row.Scan(representationFields(&r)...)
	if r.Purposes == nil {
		r.Purposes = []string{}
	}
	return &r, err
}

// activeRepresentations returns the representations held by representative
// that are active at t, for principal, or for anyone when principal is "".
// A guardian's authority ends at the principal's 18th birthday, computed
// here at the time of the act: no job has to run first.
func activeRepresentations(ctx context.Context, q querier, representative, principal string, at time.Time) ([]*omadata.Representation, error) {
	w := where{}
	w.add("r.representative_id = ?", representative)
	w.add("r.ended_at IS NULL")
	if principal != "" {
		w.add("r.principal_id = ?", principal)
	}
	rows, err := q.query(ctx, `SELECT `+representationColumns+`, p.birth_date FROM representations r JOIN residents p ON p.id = r.principal_id `+
		w.String()+` ORDER BY r.id`, w.args...)
	if err != nil {
		return nil, err
	}
	reps, err := collect(rows, func(row interface{ Scan(...any) error }) (*omadata.Representation, error) {
		var r omadata.Representation
		var born string
		if err := row.Scan(append(representationFields(&r), &born)...); err != nil {
			return nil, err
		}
		b, _ := time.Parse(time.DateOnly, born)
		if !r.ActiveAt(at, b) {
			return nil, nil
		}
		return &r, nil
	})
	if err != nil {
		return nil, err
	}
	out := reps[:0]
	for _, r := range reps {
		if r != nil {
			out = append(out, r)
		}
	}
	return out, nil
}

// authorityOver resolves, once per call, what representative may do for
// principal at t. ENOTFOUND when no representation between them is active:
// the caller does not represent the principal. What the authority then
// allows is asked of it (omadata.Authority.Allows), never re-derived.
func authorityOver(ctx context.Context, q querier, representative, principal string, at time.Time) (*omadata.Authority, error) {
	reps, err := activeRepresentations(ctx, q, representative, principal, at)
	if err != nil {
		return nil, err
	} else if len(reps) == 0 {
		return nil, omadata.NotFound("Resident")
	}
	return &omadata.Authority{PrincipalID: principal, Reps: reps}, nil
}

// authorities returns what resident may do now for each person they
// represent, by principal.
func authorities(ctx context.Context, q querier, resident string, at time.Time) ([]*omadata.Authority, error) {
	reps, err := activeRepresentations(ctx, q, resident, "", at)
	if err != nil {
		return nil, err
	}
	var out []*omadata.Authority
	byPrincipal := map[string]*omadata.Authority{}
	for _, r := range reps {
		a := byPrincipal[r.PrincipalID]
		if a == nil {
			a = &omadata.Authority{PrincipalID: r.PrincipalID}
			byPrincipal[r.PrincipalID] = a
			out = append(out, a)
		}
		a.Reps = append(a.Reps, r)
	}
	return out, nil
}

// allowedScope is the scope within which an authority allows act: all
// purposes when it allows the act about the whole person, else the
// purposes of its representations for which it allows the act. Lists are
// filtered by it, so the rule stays omadata's Allows.
func allowedScope(a *omadata.Authority, act omadata.RepAct) omadata.RepresentationScope {
	if a.Allows(act, "") {
		return omadata.RepresentationScope{AllPurposes: true}
	}
	var s omadata.RepresentationScope
	for _, p := range a.Scope().Purposes {
		if a.Allows(act, p) {
			s.Purposes = append(s.Purposes, p)
		}
	}
	return s
}

// scopeCondition is the SQL form of RepresentationScope.Covers over a
// purpose-code column: nil args and "1 = 1" for all purposes, "1 = 0" for
// none.
func scopeCondition(s omadata.RepresentationScope, codeColumn string) (string, []any) {
	switch {
	case s.AllPurposes:
		return "1 = 1", nil
	case len(s.Purposes) == 0:
		return "1 = 0", nil
	}
	args := make([]any, len(s.Purposes))
	for i, p := range s.Purposes {
		args[i] = p
	}
	return codeColumn + " IN (" + placeholders(len(args)) + ")", args
}

// ownOrRepresented limits a query to the rows whose resident column col
// is resident or, at the time at, a person resident represents, where the
// condition allows gives for that authority holds ("" for none of theirs).
func ownOrRepresented(ctx context.Context, q querier, w *where, col, resident string, at time.Time, allows func(*omadata.Authority) (string, []any)) error {
	auths, err := authorities(ctx, q, resident, at)
	if err != nil {
		return err
	}
	conds, args := []string{col + " = ?"}, []any{resident}
	for _, a := range auths {
		if cond, cargs := allows(a); cond != "" {
			conds = append(conds, "("+col+" = ? AND "+cond+")")
			args = append(append(args, a.PrincipalID), cargs...)
		}
	}
	w.add("("+strings.Join(conds, " OR ")+")", args...)
	return nil
}

// checkScope checks a representation's scope against its kind: a
// guardianship covers every purpose; a mandate names its purposes or
// covers all, never neither.
func checkScope(ctx context.Context, q querier, kind string, s *omadata.RepresentationScope) error {
	if len(s.Purposes) > 50 {
		return omadata.Invalidf("scope", "At most 50 purposes.")
	}
	for i, code := range s.Purposes {
		if slices.Contains(s.Purposes[:i], code) {
			return omadata.Invalidf("scope", "The purpose %q is given twice; name it once.", truncateString(code, 64))
		}
	}
	switch kind {
	case omadata.RepGuardian:
		if len(s.Purposes) > 0 {
			return omadata.Invalidf("scope", "A guardianship covers every purpose; give no scope.")
		}
		s.AllPurposes = true
	case omadata.RepMandate:
		if s.AllPurposes && len(s.Purposes) > 0 {
			return omadata.Invalidf("scope", "A mandate for all purposes names none; give scope or all_purposes, not both.")
		} else if !s.AllPurposes && len(s.Purposes) == 0 {
			return omadata.Invalidf("scope", "Name the purposes the mandate covers, or set all_purposes for a general mandate.")
		}
		for _, code := range s.Purposes {
			if n, err := count(ctx, q, `SELECT COUNT(*) FROM purposes WHERE code = ?`, code); err != nil {
				return err
			} else if n == 0 {
				return omadata.Invalidf("scope", "Unknown purpose %q.", truncateString(code, 64))
			}
		}
	}
	if s.Purposes == nil {
		s.Purposes = []string{}
	}
	return nil
}

// mayRecord returns EFORBIDDEN unless the caller may record a
// representation of kind between any two people: an admin, or a service
// with residents:link the operator designated for the kind.
func mayRecord(ctx context.Context, q querier, kind string) error {
	c := omadata.CallerFromContext(ctx)
	switch {
	case c.IsAdmin():
		return nil
	case c.Kind == omadata.CallerService && c.HasScope(omadata.ScopeResidentsLink):
		// The designation holds while the service is an approved source.
		n, err := count(ctx, q, `SELECT COUNT(*) FROM representation_recorders r JOIN services s ON s.id = r.service_id
			WHERE r.service_id = ? AND r.kind = ? AND s.status = ? AND s.roles LIKE ?`, c.ServiceID, kind, omadata.ServiceApproved, `%"`+omadata.RoleSource+`"%`)
		if err != nil {
			return err
		} else if n > 0 {
			return nil
		}
		return &omadata.Error{Code: omadata.EFORBIDDEN, Field: "kind",
			Message: "The operator has not designated this service to record representations of this kind."}
	case c.Kind == omadata.CallerResident:
		return omadata.Errorf(omadata.EFORBIDDEN, "A resident grants a mandate of their own at /api/v1/me/representations.")
	}
	return omadata.Errorf(omadata.EFORBIDDEN, "Only an operator admin or a designated source records representations.")
}

// CreateRepresentation records a guardianship or a mandate.
func (s *Store) CreateRepresentation(ctx context.Context, in *omadata.RepresentationInput) (*omadata.Representation, error) {
	if err := s.requireKeyring(); err != nil {
		return nil, err
	} else if in.Kind != omadata.RepGuardian && in.Kind != omadata.RepMandate {
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
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if err := mayRecord(ctx, tx, in.Kind); err != nil {
		return nil, err
	}
	from, err := representationWindow(tx.now, in.ValidFrom, in.ValidUntil)
	if err != nil {
		return nil, err
	}
	prin, _, err := s.findOrCreateResident(ctx, tx, in.PrincipalIdentityCode, "")
	if err != nil {
		return nil, err
	}
	r := &omadata.Representation{Kind: in.Kind, PrincipalID: prin.ID, Basis: in.Basis, ValidFrom: from, ValidUntil: in.ValidUntil,
		RepresentationScope: omadata.RepresentationScope{AllPurposes: in.AllPurposes, Purposes: append([]string(nil), in.Purposes...)}}
	if err := s.recordRepresentation(ctx, tx, r, in.RepresentativeIdentityCode, repBorn, prinBorn); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return r, nil
}

// GrantMandate records a mandate the calling resident gives as principal.
func (s *Store) GrantMandate(ctx context.Context, in *omadata.MandateInput) (*omadata.Representation, error) {
	c := omadata.CallerFromContext(ctx)
	if c.Kind != omadata.CallerResident {
		return nil, omadata.Errorf(omadata.EFORBIDDEN, "Only a resident grants a mandate of their own.")
	} else if err := s.requireKeyring(); err != nil {
		return nil, err
	}
	repBorn, err := omadata.ParseIdentityCode(in.RepresentativeIdentityCode)
	if err != nil {
		return nil, omadata.Invalidf("representative_identity_code", "%s", omadata.ErrorMessage(err))
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var born string
	err = tx.queryRow(ctx, `SELECT birth_date FROM residents WHERE id = ? AND erased_at IS NULL`, c.ResidentID).Scan(&born)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, omadata.NotFound("Resident")
	} else if err != nil {
		return nil, err
	}
	prinBorn, err := time.Parse(time.DateOnly, born)
	if err != nil {
		return nil, err
	}
	from, err := representationWindow(tx.now, in.ValidFrom, in.ValidUntil)
	if err != nil {
		return nil, err
	} else if from.Before(tx.now.Add(-grantSkew)) {
		// A resident's own mandate starts now or later: backdated, it
		// would cover acts its holder did before it was given.
		return nil, omadata.Invalidf("valid_from", "Must not be in the past; leave it out to start now.")
	} else if omadata.AgeOn(prinBorn, from) < 18 {
		return nil, omadata.Errorf(omadata.EFORBIDDEN, "A child is represented by a guardian; only an adult grants a mandate.")
	}
	r := &omadata.Representation{Kind: omadata.RepMandate, PrincipalID: c.ResidentID, Basis: basisGranted, ValidFrom: from, ValidUntil: in.ValidUntil,
		RepresentationScope: omadata.RepresentationScope{AllPurposes: in.AllPurposes, Purposes: append([]string(nil), in.Purposes...)}}
	if err := s.recordRepresentation(ctx, tx, r, in.RepresentativeIdentityCode, repBorn, prinBorn); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return r, nil
}

// grantSkew is how far in the past a resident-granted mandate's
// valid_from may be, for clocks that differ a little.
const grantSkew = 5 * time.Minute

// representationWindow returns when a representation starts (now unless
// given) after checking that it ends after it starts.
func representationWindow(now time.Time, validFrom, validUntil *time.Time) (time.Time, error) {
	from := now
	if validFrom != nil {
		from = validFrom.UTC()
	}
	if validUntil != nil && !validUntil.After(from) {
		return from, omadata.Invalidf("valid_until", "Must be after valid_from.")
	}
	return from, nil
}

// recordRepresentation checks ages and scope and inserts r, whose kind,
// principal, scope, basis and window are set, for the representative
// named by identity code (found or created).
func (s *Store) recordRepresentation(ctx context.Context, tx *Tx, r *omadata.Representation, repCode string, repBorn, prinBorn time.Time) error {
	switch r.Kind {
	case omadata.RepGuardian:
		if !r.ValidFrom.Before(omadata.AdultOn(prinBorn)) {
			return omadata.Invalidf("principal_identity_code", "A guardian acts only for a child under 18.")
		}
	case omadata.RepMandate:
		if omadata.AgeOn(prinBorn, r.ValidFrom) < 18 {
			return omadata.Invalidf("principal_identity_code", "A mandate is between adults; a child is represented by a guardian.")
		}
	}
	if omadata.AgeOn(repBorn, r.ValidFrom) < 18 {
		return omadata.Invalidf("representative_identity_code", "A representative must be an adult.")
	} else if err := checkScope(ctx, tx, r.Kind, &r.RepresentationScope); err != nil {
		return err
	}
	rep, _, err := s.findOrCreateResident(ctx, tx, repCode, "")
	if err != nil {
		return err
	} else if rep.ID == r.PrincipalID {
		return omadata.Invalidf("representative_identity_code", "A person does not represent themselves.")
	}
	r.ID, r.RepresentativeID, r.CreatedAt = omadata.NewID("rep"), rep.ID, tx.now
	_, err = tx.exec(ctx, `INSERT INTO representations (id, kind, representative_id, principal_id, all_purposes, scope, basis, valid_from, valid_until, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.ID, r.Kind, r.RepresentativeID, r.PrincipalID, r.AllPurposes, jsonValue{r.Purposes}, r.Basis,
		r.ValidFrom, r.ValidUntil, r.CreatedAt)
	return err
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
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return r, nil
}

// FindRepresentations lists what a resident holds or is principal of,
// naming both residents (an erased one has no name) and the reader's
// relation to each.
func (s *Store) FindRepresentations(ctx context.Context, residentID string) ([]*omadata.Representation, error) {
	c := omadata.CallerFromContext(ctx)
	if !c.IsAdmin() && !(c.Kind == omadata.CallerResident && c.ResidentID == residentID) {
		return nil, omadata.NotFound("Resident")
	}
	rows, err := s.db.reader().query(ctx, `SELECT `+representationColumns+`, COALESCE(p.name_sealed, ''), COALESCE(h.name_sealed, '')
		FROM representations r LEFT JOIN residents p ON p.id = r.principal_id AND p.erased_at IS NULL
		LEFT JOIN residents h ON h.id = r.representative_id AND h.erased_at IS NULL
		WHERE r.representative_id = ? OR r.principal_id = ? ORDER BY r.id`, residentID, residentID)
	if err != nil {
		return nil, err
	}
	type named struct {
		r                      *omadata.Representation
		principal, representer string
	}
	list, err := collect(rows, func(row interface{ Scan(...any) error }) (*named, error) {
		var n named
		n.r = &omadata.Representation{}
		err := row.Scan(append(representationFields(n.r), &n.principal, &n.representer)...)
		if n.r.Purposes == nil {
			n.r.Purposes = []string{}
		}
		return &n, err
	})
	if err != nil {
		return nil, err
	}
	out := make([]*omadata.Representation, 0, len(list))
	for _, n := range list {
		r := n.r
		// Names are sealed: without the keyring they stay unnamed.
		if s.keyring != nil && n.principal != "" {
			if r.PrincipalName, err = s.openString(n.principal, "name:"+r.PrincipalID); err != nil {
				return nil, fmt.Errorf("open principal name: %w", err)
			}
		}
		if s.keyring != nil && n.representer != "" {
			if r.RepresentativeName, err = s.openString(n.representer, "name:"+r.RepresentativeID); err != nil {
				return nil, fmt.Errorf("open representative name: %w", err)
			}
		}
		r.Relation = omadata.RelationPrincipal
		if r.RepresentativeID == residentID {
			r.Relation = omadata.RelationRepresentative
		}
		out = append(out, r)
	}
	return out, nil
}

func truncateString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
