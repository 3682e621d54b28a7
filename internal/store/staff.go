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

const staffTokenPrefix = "oma_stf_"

const staffColumns = `id, name, role, organisation_id, created_at, updated_at`

func scanStaff(row interface{ Scan(...any) error }) (*omadata.Staff, error) {
	var st omadata.Staff
	var org sql.NullString
	if err := row.Scan(&st.ID, &st.Name, &st.Role, &org, Time{&st.CreatedAt}, Time{&st.UpdatedAt}); err != nil {
		return nil, err
	}
	st.OrganisationID = org.String
	return &st, nil
}

// EnsureStaff creates or updates the staff member with the identity code.
// Changes are audited, so the log shows who was given which role.
func (s *Store) EnsureStaff(ctx context.Context, identityCode, name, role, organisationID string) (*omadata.Staff, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	} else if err := s.requireKeyring(); err != nil {
		return nil, err
	} else if _, err := omadata.ParseIdentityCode(identityCode); err != nil {
		return nil, err
	} else if err := omadata.RequiredText("name", name, 400); err != nil {
		return nil, err
	} else if !slices.Contains(omadata.StaffRoles, role) {
		return nil, omadata.Invalidf("role", "Unknown role %q.", role)
	} else if (role == omadata.StaffOrganisationAdmin) != (organisationID != "") {
		return nil, omadata.Invalidf("organisation_id", "An organisation admin, and only they, belong to an organisation.")
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if organisationID != "" {
		if _, err := findOrganisationByID(ctx, tx, organisationID); omadata.ErrorCode(err) == omadata.ENOTFOUND {
			return nil, omadata.Invalidf("organisation_id", "No such organisation.")
		} else if err != nil {
			return nil, err
		}
	}
	hash := s.keyring.BlindIndex(identityCode)
	st, err := scanStaff(tx.queryRow(ctx, `SELECT `+staffColumns+` FROM staff WHERE identity_hash = ?`, hash))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		st = &omadata.Staff{ID: omadata.NewID("stf"), Name: name, Role: role, OrganisationID: organisationID, CreatedAt: tx.now, UpdatedAt: tx.now}
		if _, err := tx.exec(ctx, `INSERT INTO staff (id, identity_hash, name, role, organisation_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			st.ID, hash, name, role, nullString(organisationID), tx.now, tx.now); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	case st.Name == name && st.Role == role && st.OrganisationID == organisationID:
		return st, nil // nothing changes: no audit record
	default:
		if st.Role == omadata.StaffOperatorAdmin && role != omadata.StaffOperatorAdmin {
			if err := keepOperatorAdmin(ctx, tx, st.ID, "role"); err != nil {
				return nil, err
			}
		}
		st.Name, st.Role, st.OrganisationID, st.UpdatedAt = name, role, organisationID, tx.now
		if _, err := tx.exec(ctx, `UPDATE staff SET name = ?, role = ?, organisation_id = ?, updated_at = ? WHERE id = ?`,
			name, role, nullString(organisationID), tx.now, st.ID); err != nil {
			return nil, err
		}
	}
	if err := s.audit(ctx, tx, "staff.ensured", "staff", st.ID, map[string]any{"role": role, "organisation_id": organisationID}); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return st, nil
}

// RemoveStaff takes a member off the staff: their console sessions end at
// once and they can no longer sign in. The last operator admin cannot be
// removed (ECONFLICT): add another one first.
func (s *Store) RemoveStaff(ctx context.Context, id string) (*omadata.Staff, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	st, err := scanStaff(tx.queryRow(ctx, `SELECT `+staffColumns+` FROM staff WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, omadata.NotFound("Staff")
	} else if err != nil {
		return nil, err
	}
	if st.Role == omadata.StaffOperatorAdmin {
		if err := keepOperatorAdmin(ctx, tx, st.ID, "id"); err != nil {
			return nil, err
		}
	}
	if _, err := tx.exec(ctx, `DELETE FROM staff_sessions WHERE staff_id = ?`, id); err != nil {
		return nil, err
	}
	if _, err := tx.exec(ctx, `DELETE FROM staff WHERE id = ?`, id); err != nil {
		return nil, err
	}
	if err := s.audit(ctx, tx, "staff.removed", "staff", st.ID, map[string]any{"role": st.Role, "organisation_id": st.OrganisationID}); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return st, nil
}

// keepOperatorAdmin is ECONFLICT on field unless an operator admin other
// than id remains. On PostgreSQL it locks the operator admins' rows, so
// that two concurrent removals cannot each count the other.
func keepOperatorAdmin(ctx context.Context, tx *Tx, id, field string) error {
	rows, err := tx.query(ctx, `SELECT id FROM staff WHERE role = 'operator_admin'`+tx.d.forUpdate())
	if err != nil {
		return err
	}
	ids, err := collect(rows, func(row interface{ Scan(...any) error }) (string, error) {
		var s string
		return s, row.Scan(&s)
	})
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(ids, func(s string) bool { return s != id }) {
		return omadata.Conflictf(field, "The operator must keep at least one operator admin: make another one first.")
	}
	return nil
}

// FindStaffByIdentityCode finds a staff member by the blind index of the
// identity code.
func (s *Store) FindStaffByIdentityCode(ctx context.Context, identityCode string) (*omadata.Staff, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	} else if err := s.requireKeyring(); err != nil {
		return nil, err
	} else if _, err := omadata.ParseIdentityCode(identityCode); err != nil {
		return nil, err
	}
	st, err := scanStaff(s.db.reader().queryRow(ctx, `SELECT `+staffColumns+` FROM staff WHERE identity_hash = ?`, s.keyring.BlindIndex(identityCode)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, omadata.NotFound("Staff")
	}
	return st, err
}

// FindStaff lists the staff by name.
func (s *Store) FindStaff(ctx context.Context) ([]*omadata.Staff, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	rows, err := s.db.reader().query(ctx, `SELECT `+staffColumns+` FROM staff ORDER BY name, id`)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanStaff)
}

// CreateStaffSession signs a staff member in (the console's login only).
func (s *Store) CreateStaffSession(ctx context.Context, staffID string, ttl time.Duration) (*omadata.StaffSession, error) {
	id, token, expires, err := s.createSession(ctx, staffSessions, staffID, ttl)
	if err != nil {
		return nil, err
	}
	return &omadata.StaffSession{ID: id, StaffID: staffID, ExpiresAt: expires, Token: token}, nil
}

// AuthenticateStaff turns a staff session token into the staff member,
// with their role as it is now.
func (s *Store) AuthenticateStaff(ctx context.Context, token string) (*omadata.Staff, *omadata.StaffSession, error) {
	id, staffID, expires, err := s.liveSession(ctx, staffSessions, token)
	if err != nil {
		return nil, nil, err
	}
	st, err := scanStaff(s.db.reader().queryRow(ctx, `SELECT `+staffColumns+` FROM staff WHERE id = ?`, staffID))
	if err != nil {
		return nil, nil, err
	}
	return st, &omadata.StaffSession{ID: id, StaffID: staffID, ExpiresAt: expires}, nil
}

// EndStaffSession signs a staff session out; its token stops working at
// once.
func (s *Store) EndStaffSession(ctx context.Context, id string) error {
	if err := requireAdmin(ctx); err != nil {
		return err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.exec(ctx, `UPDATE staff_sessions SET ended_at = ? WHERE id = ? AND ended_at IS NULL`, tx.now, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return omadata.NotFound("Session")
	}
	return tx.Commit()
}

var _ omadata.StaffService = (*Store)(nil)
