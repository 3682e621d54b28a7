// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"time"

	"github.com/omadata/omadata"
)

var _ omadata.ResidentService = (*Store)(nil)

const residentTokenPrefix = "oma_res_"

func (s *Store) requireKeyring() error {
	if s.keyring == nil {
		return errors.New("store: no keyring configured for personal data")
	}
	return nil
}

// residentRow is a resident as stored: the identity code sealed.
type residentRow struct {
	omadata.Resident
	identitySealed, nameSealed string
}

const residentColumns = `id, identity_sealed, name_sealed, birth_date, created_at, updated_at`

func scanResidentRow(row interface{ Scan(...any) error }) (*residentRow, error) {
	var r residentRow
	err := row.Scan(&r.ID, &r.identitySealed, &r.nameSealed, &r.BirthDate, Time{&r.CreatedAt}, Time{&r.UpdatedAt})
	return &r, err
}

// unseal opens the identity code and name of a resident for their own view.
func (s *Store) unseal(r *residentRow) (*omadata.Resident, error) {
	out := r.Resident
	if r.identitySealed == "" {
		return &out, nil // a resident of a peer operator: no identity code here (docs/store.md)
	}
	code, err := s.openString(r.identitySealed, "identity:"+r.ID)
	if err != nil {
		return nil, err
	}
	out.IdentityCode = code
	if r.nameSealed != "" {
		if out.Name, err = s.openString(r.nameSealed, "name:"+r.ID); err != nil {
			return nil, err
		}
	}
	return &out, nil
}

func (s *Store) sealString(v, ad string) (string, error) {
	b, err := s.keyring.Seal([]byte(v), []byte(ad))
	return base64.StdEncoding.EncodeToString(b), err
}

func (s *Store) openString(v, ad string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return "", err
	}
	p, err := s.keyring.Open(b, []byte(ad))
	return string(p), err
}

// findOrCreateResident looks a resident up by the blind index of the code
// and creates one if none exists, inside tx.
func (s *Store) findOrCreateResident(ctx context.Context, tx *Tx, code, name string) (*residentRow, bool, error) {
	born, err := omadata.ParseIdentityCode(code)
	if err != nil {
		return nil, false, err
	}
	hash := s.keyring.BlindIndex(code)
	r, err := scanResidentRow(tx.queryRow(ctx, `SELECT `+residentColumns+` FROM residents WHERE identity_hash = ?`, hash))
	if err == nil {
		return r, false, nil
	} else if !errors.Is(err, sql.ErrNoRows) {
		return nil, false, err
	}
	r = &residentRow{Resident: omadata.Resident{ID: omadata.NewID("res"), BirthDate: born.Format(time.DateOnly), CreatedAt: tx.now, UpdatedAt: tx.now}}
	if r.identitySealed, err = s.sealString(code, "identity:"+r.ID); err != nil {
		return nil, false, err
	}
	if name != "" {
		if r.nameSealed, err = s.sealString(name, "name:"+r.ID); err != nil {
			return nil, false, err
		}
	}
	if _, err := tx.exec(ctx, `INSERT INTO residents (id, identity_hash, identity_sealed, name_sealed, birth_date, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		r.ID, hash, r.identitySealed, r.nameSealed, r.BirthDate, r.CreatedAt, r.UpdatedAt); err != nil {
		return nil, false, err
	}
	return r, true, nil
}

// EnsureResident finds or creates the resident with the identity code. The
// login flow calls it with the verified code; only the operator itself (an
// admin context) may.
func (s *Store) EnsureResident(ctx context.Context, identityCode, name string) (*omadata.Resident, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	} else if err := s.requireKeyring(); err != nil {
		return nil, err
	} else if len(name) > 400 {
		return nil, omadata.Invalidf("name", "At most 400 bytes.")
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	r, created, err := s.findOrCreateResident(ctx, tx, identityCode, name)
	if err != nil {
		return nil, err
	}
	if !created && name != "" {
		if r.nameSealed, err = s.sealString(name, "name:"+r.ID); err != nil {
			return nil, err
		}
		r.UpdatedAt = tx.now
		if _, err := tx.exec(ctx, `UPDATE residents SET name_sealed = ?, updated_at = ? WHERE id = ?`, r.nameSealed, r.UpdatedAt, r.ID); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return s.unseal(r)
}

// LinkResident lets an approved source link a resident it holds.
func (s *Store) LinkResident(ctx context.Context, identityCode string) (*omadata.ResidentLink, error) {
	c := omadata.CallerFromContext(ctx)
	if c.Kind != omadata.CallerService || !c.HasScope(omadata.ScopeResidentsLink) {
		return nil, omadata.Errorf(omadata.EFORBIDDEN, "Only a source with the residents:link scope may link residents.")
	} else if err := s.requireKeyring(); err != nil {
		return nil, err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	sv, err := findServiceByID(ctx, tx, c.ServiceID)
	if err != nil {
		return nil, err
	} else if sv.Status != omadata.ServiceApproved || !sv.HasRole(omadata.RoleSource) {
		return nil, omadata.Errorf(omadata.EFORBIDDEN, "Only an approved source may link residents.")
	}
	r, created, err := s.findOrCreateResident(ctx, tx, identityCode, "")
	if err != nil {
		return nil, err
	}
	p, err := pseudonym(ctx, tx, sv.ID, r.ID)
	if err != nil {
		return nil, err
	}
	return &omadata.ResidentLink{ServiceID: sv.ID, Pseudonym: p, Created: created, LinkedAt: tx.now}, tx.Commit()
}

// pseudonym returns the service's pseudonym of a resident, creating a
// random one on first use, inside tx.
func pseudonym(ctx context.Context, tx *Tx, serviceID, residentID string) (string, error) {
	var p string
	err := tx.queryRow(ctx, `SELECT pseudonym FROM pseudonyms WHERE service_id = ? AND resident_id = ?`, serviceID, residentID).Scan(&p)
	if err == nil {
		return p, nil
	} else if !errors.Is(err, sql.ErrNoRows) {
		return "", err
	}
	// Two transactions may create the same pair at once: the second waits
	// for the first, inserts nothing, and reads the winner's pseudonym.
	if _, err := tx.exec(ctx, `INSERT INTO pseudonyms (service_id, resident_id, pseudonym, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (service_id, resident_id) DO NOTHING`, serviceID, residentID, omadata.NewID("psn"), tx.now); err != nil {
		return "", err
	}
	err = tx.queryRow(ctx, `SELECT pseudonym FROM pseudonyms WHERE service_id = ? AND resident_id = ?`, serviceID, residentID).Scan(&p)
	return p, err
}

// residentByPseudonym resolves a service's pseudonym, and nothing else: a
// pseudonym of another service is ENOTFOUND.
func residentByPseudonym(ctx context.Context, q querier, serviceID, p string) (string, error) {
	var id string
	err := q.queryRow(ctx, `SELECT resident_id FROM pseudonyms WHERE service_id = ? AND pseudonym = ?`, serviceID, p).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", omadata.NotFound("Resident")
	}
	return id, err
}

// Pseudonym returns the service's pseudonym of a resident (operator only).
func (s *Store) Pseudonym(ctx context.Context, serviceID, residentID string) (string, error) {
	if err := requireAdmin(ctx); err != nil {
		return "", err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	if n, err := count(ctx, tx, `SELECT COUNT(*) FROM residents WHERE id = ? AND erased_at IS NULL`, residentID); err != nil {
		return "", err
	} else if n == 0 {
		return "", omadata.NotFound("Resident") // unknown, or erased
	}
	p, err := pseudonym(ctx, tx, serviceID, residentID)
	if err != nil {
		return "", err
	}
	return p, tx.Commit()
}

// FindResidentByIdentityCode finds a resident by identity code without
// creating one (admins only); the profile comes without the code.
func (s *Store) FindResidentByIdentityCode(ctx context.Context, identityCode string) (*omadata.Resident, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	} else if err := s.requireKeyring(); err != nil {
		return nil, err
	} else if _, err := omadata.ParseIdentityCode(identityCode); err != nil {
		return nil, err
	}
	row, err := scanResidentRow(s.db.reader().queryRow(ctx, `SELECT `+residentColumns+` FROM residents WHERE identity_hash = ?`, s.keyring.BlindIndex(identityCode)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, omadata.NotFound("Resident")
	} else if err != nil {
		return nil, err
	}
	res, err := s.unseal(row)
	if err != nil {
		return nil, err
	}
	res.IdentityCode = ""
	return res, nil
}

// FindResidentByID returns a resident: to themselves with the identity
// code; to their representatives and admins without it.
func (s *Store) FindResidentByID(ctx context.Context, id string) (*omadata.Resident, error) {
	if err := s.requireKeyring(); err != nil {
		return nil, err
	}
	c := omadata.CallerFromContext(ctx)
	r := s.db.reader()
	switch c.Kind {
	case omadata.CallerAdmin:
	case omadata.CallerResident:
		if c.ResidentID != id {
			if a, err := authorityOver(ctx, r, c.ResidentID, id, s.db.Now()); omadata.ErrorCode(err) == omadata.ENOTFOUND || err == nil && !a.Allows(omadata.RepKnow, "") {
				return nil, omadata.NotFound("Resident")
			} else if err != nil {
				return nil, err
			}
		}
	default:
		return nil, omadata.NotFound("Resident")
	}
	row, err := scanResidentRow(r.queryRow(ctx, `SELECT `+residentColumns+` FROM residents WHERE id = ? AND erased_at IS NULL`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, omadata.NotFound("Resident")
	} else if err != nil {
		return nil, err
	}
	res, err := s.unseal(row)
	if err != nil {
		return nil, err
	}
	if c.Kind != omadata.CallerResident || c.ResidentID != id {
		res.IdentityCode = "" // shown only in the resident's own profile
	}
	return res, nil
}

// RekeyResident moves a resident to a corrected identity code, keeping the
// old code's blind index in the history (admins).
func (s *Store) RekeyResident(ctx context.Context, oldCode, newCode string) (*omadata.Resident, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	} else if err := s.requireKeyring(); err != nil {
		return nil, err
	}
	if _, err := omadata.ParseIdentityCode(oldCode); err != nil {
		return nil, omadata.Invalidf("old_identity_code", "%s", omadata.ErrorMessage(err))
	}
	born, err := omadata.ParseIdentityCode(newCode)
	if err != nil {
		return nil, omadata.Invalidf("new_identity_code", "%s", omadata.ErrorMessage(err))
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	oldHash, newHash := s.keyring.BlindIndex(oldCode), s.keyring.BlindIndex(newCode)
	r, err := scanResidentRow(tx.queryRow(ctx, `SELECT `+residentColumns+` FROM residents WHERE identity_hash = ?`, oldHash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, omadata.NotFound("Resident")
	} else if err != nil {
		return nil, err
	}
	if n, err := count(ctx, tx, `SELECT COUNT(*) FROM residents WHERE identity_hash = ?`, newHash); err != nil {
		return nil, err
	} else if n > 0 {
		return nil, omadata.Conflictf("new_identity_code", "Another resident has this identity code.")
	}
	if r.identitySealed, err = s.sealString(newCode, "identity:"+r.ID); err != nil {
		return nil, err
	}
	r.BirthDate, r.UpdatedAt = born.Format(time.DateOnly), tx.now
	if _, err := tx.exec(ctx, `INSERT INTO resident_identity_history (resident_id, identity_hash, replaced_at) VALUES (?, ?, ?)`, r.ID, oldHash, tx.now); err != nil {
		return nil, err
	} else if _, err := tx.exec(ctx, `UPDATE residents SET identity_hash = ?, identity_sealed = ?, birth_date = ?, updated_at = ? WHERE id = ?`,
		newHash, r.identitySealed, r.BirthDate, r.UpdatedAt, r.ID); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	res, err := s.unseal(r)
	if err != nil {
		return nil, err
	}
	res.IdentityCode = ""
	return res, nil
}

// CreateSession signs a resident in (the operator's login flow only).
func (s *Store) CreateSession(ctx context.Context, residentID string, ttl time.Duration) (*omadata.Session, error) {
	id, token, expires, err := s.createSession(ctx, residentSessions, residentID, ttl)
	if err != nil {
		return nil, err
	}
	return &omadata.Session{ID: id, ResidentID: residentID, ExpiresAt: expires, Token: token}, nil
}

// EndSession signs a session out; its token stops working at once.
func (s *Store) EndSession(ctx context.Context, id string) error {
	c := omadata.CallerFromContext(ctx)
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var owner string
	err = tx.queryRow(ctx, `SELECT resident_id FROM sessions WHERE id = ? AND ended_at IS NULL`, id).Scan(&owner)
	if errors.Is(err, sql.ErrNoRows) || err == nil && !c.IsAdmin() && c.ResidentID != owner {
		return omadata.NotFound("Session")
	} else if err != nil {
		return err
	}
	if _, err := tx.exec(ctx, `UPDATE sessions SET ended_at = ? WHERE id = ?`, tx.now, id); err != nil {
		return err
	}
	return tx.Commit()
}

// authenticateSession turns a resident session token into a caller.
func (s *Store) authenticateSession(ctx context.Context, token string) (omadata.Caller, error) {
	id, resident, _, err := s.liveSession(ctx, residentSessions, token)
	if err != nil {
		return omadata.Caller{}, err
	}
	return omadata.Caller{Kind: omadata.CallerResident, TokenID: id, ResidentID: resident}, nil
}
