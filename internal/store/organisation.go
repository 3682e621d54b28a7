// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/omadata/omadata"
)

const organisationColumns = `id, kind, name, COALESCE(business_id, ''), COALESCE(parent_id, ''), email, phone, address, website, privacy_policy_url, dpo, created_at, updated_at`

func scanOrganisation(row interface{ Scan(...any) error }) (*omadata.Organisation, error) {
	var o omadata.Organisation
	err := row.Scan(&o.ID, &o.Kind, jsonScan{&o.Name}, &o.BusinessID, &o.ParentID, &o.Email, &o.Phone,
		jsonScan{&o.Address}, &o.Website, &o.PrivacyPolicyURL, jsonScan{&o.DPO}, Time{&o.CreatedAt}, Time{&o.UpdatedAt})
	return &o, err
}

// FindOrganisationByID returns an organisation. Organisations are public
// controller information, visible to every caller.
func (s *Store) FindOrganisationByID(ctx context.Context, id string) (*omadata.Organisation, error) {
	return findOrganisationByID(ctx, s.db.reader(), id)
}

func findOrganisationByID(ctx context.Context, q querier, id string) (*omadata.Organisation, error) {
	o, err := scanOrganisation(q.queryRow(ctx, `SELECT `+organisationColumns+` FROM organisations WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, omadata.NotFound("Organisation")
	}
	return o, err
}

// FindOrganisations returns a page of organisations ordered by ID.
func (s *Store) FindOrganisations(ctx context.Context, f omadata.OrganisationFilter) ([]*omadata.Organisation, string, error) {
	var w where
	if f.Kind != nil {
		w.add("kind = ?", *f.Kind)
	}
	if f.After != "" {
		w.add("id > ?", f.After)
	}
	limit := pageLimit(f.Limit)
	rows, err := s.db.reader().query(ctx, `SELECT `+organisationColumns+` FROM organisations `+w.String()+` ORDER BY id LIMIT ?`, append(w.args, limit+1)...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var out []*omadata.Organisation
	for rows.Next() {
		o, err := scanOrganisation(rows)
		if err != nil {
			return nil, "", err
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	out, next := page(out, limit, func(o *omadata.Organisation) string { return o.ID })
	return out, next, nil
}

// CreateOrganisation registers an organisation (admins only).
func (s *Store) CreateOrganisation(ctx context.Context, o *omadata.Organisation) error {
	if err := requireAdmin(ctx); err != nil {
		return err
	} else if err := o.Validate(); err != nil {
		return err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if o.ParentID != "" {
		parent, err := findOrganisationByID(ctx, tx, o.ParentID)
		if omadata.ErrorCode(err) == omadata.ENOTFOUND {
			return omadata.Invalidf("parent_id", "No such organisation.")
		} else if err != nil {
			return err
		} else if o.Kind == omadata.OrgDivision && o.BusinessID == "" {
			o.BusinessID = parent.BusinessID
		}
	}
	if o.Kind != omadata.OrgDivision {
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM organisations WHERE business_id = ? AND kind <> 'division' AND operator_id IS NULL`, o.BusinessID).Scan(&n); err != nil {
			return err
		} else if n > 0 {
			return omadata.Conflictf("business_id", "An organisation with business ID %s is already registered.", o.BusinessID)
		}
	}
	o.ID = omadata.NewID(omadata.PrefixOrganisation)
	o.CreatedAt, o.UpdatedAt = tx.now, tx.now
	if _, err := tx.exec(ctx, `INSERT INTO organisations (id, kind, name, business_id, parent_id, email, phone, address, website, privacy_policy_url, dpo, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		o.ID, o.Kind, jsonValue{o.Name}, nullString(o.BusinessID), nullString(o.ParentID), o.Email, o.Phone, jsonValue{o.Address},
		o.Website, o.PrivacyPolicyURL, jsonValue{o.DPO}, o.CreatedAt, o.UpdatedAt); err != nil {
		return err
	}
	if err := s.audit(ctx, tx, "organisation.created", "organisation", o.ID, map[string]any{"name": o.Name, "kind": o.Kind}); err != nil {
		return err
	}
	return tx.Commit()
}

// UpdateOrganisation changes an organisation (admins only).
func (s *Store) UpdateOrganisation(ctx context.Context, id string, u omadata.OrganisationUpdate) (*omadata.Organisation, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	o, err := findOrganisationByID(ctx, tx, id)
	if err != nil {
		return nil, err
	} else if err := requireField(u); err != nil {
		return nil, err
	}
	var op sql.NullString
	if err := tx.queryRow(ctx, `SELECT operator_id FROM organisations WHERE id = ?`, id).Scan(&op); err != nil {
		return nil, err
	} else if op.Valid {
		return nil, omadata.Forbiddenf("id", "The organisation is registered at operator %s; it changes it there.", op.String)
	}
	was := snapshot(o)
	u.Apply(o)
	if err := o.Validate(); err != nil {
		return nil, err
	} else if unchanged(was, o) {
		return o, nil
	}
	o.UpdatedAt = tx.now
	if _, err := tx.exec(ctx, `UPDATE organisations SET name = ?, email = ?, phone = ?, address = ?, website = ?, privacy_policy_url = ?, dpo = ?, updated_at = ? WHERE id = ?`,
		jsonValue{o.Name}, o.Email, o.Phone, jsonValue{o.Address}, o.Website, o.PrivacyPolicyURL, jsonValue{o.DPO}, o.UpdatedAt, o.ID); err != nil {
		return nil, err
	}
	if err := s.audit(ctx, tx, "organisation.updated", "organisation", o.ID, map[string]any{"update": u}); err != nil {
		return nil, err
	}
	return o, s.commitCatalogue(tx)
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}
