// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"

	"github.com/omadata/omadata"
)

const purposeColumns = `id, code, name, description, dpv_purposes, kantara_category, legal_bases, created_at, updated_at`

func scanPurpose(row interface{ Scan(...any) error }) (*omadata.Purpose, error) {
	var p omadata.Purpose
	err := row.Scan(&p.ID, &p.Code, jsonScan{&p.Name}, jsonScan{&p.Description}, jsonScan{&p.DPVPurposes}, &p.KantaraCategory,
		jsonScan{&p.LegalBases}, Time{&p.CreatedAt}, Time{&p.UpdatedAt})
	return &p, err
}

// FindPurposeByID returns a purpose; the taxonomy is public.
func (s *Store) FindPurposeByID(ctx context.Context, id string) (*omadata.Purpose, error) {
	return findPurposeByID(ctx, s.db.reader(), id)
}

func findPurposeByID(ctx context.Context, q querier, id string) (*omadata.Purpose, error) {
	p, err := scanPurpose(q.queryRow(ctx, `SELECT `+purposeColumns+` FROM purposes WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, omadata.NotFound("Purpose")
	}
	return p, err
}

// FindPurposes returns the whole taxonomy, ordered by ID.
func (s *Store) FindPurposes(ctx context.Context) ([]*omadata.Purpose, error) {
	rows, err := s.db.reader().query(ctx, `SELECT `+purposeColumns+` FROM purposes ORDER BY id`)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanPurpose)
}

// CreatePurpose adds a purpose (admins only).
func (s *Store) CreatePurpose(ctx context.Context, p *omadata.Purpose) error {
	if err := requireAdmin(ctx); err != nil {
		return err
	} else if err := p.Validate(); err != nil {
		return err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if n, err := count(ctx, tx, `SELECT COUNT(*) FROM purposes WHERE code = ?`, p.Code); err != nil {
		return err
	} else if n > 0 {
		return omadata.Conflictf("code", "A purpose %q exists already.", p.Code)
	}
	p.ID = omadata.NewID(omadata.PrefixPurpose)
	p.CreatedAt, p.UpdatedAt = tx.now, tx.now
	if _, err := tx.exec(ctx, `INSERT INTO purposes (id, code, name, description, dpv_purposes, kantara_category, legal_bases, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.Code, jsonValue{p.Name}, jsonValue{p.Description}, jsonValue{p.DPVPurposes}, p.KantaraCategory, jsonValue{p.LegalBases},
		p.CreatedAt, p.UpdatedAt); err != nil {
		return err
	}
	if err := s.audit(ctx, tx, "purpose.created", "purpose", p.ID, map[string]any{"code": p.Code}); err != nil {
		return err
	}
	return tx.Commit()
}

// UpdatePurpose changes a purpose (admins only). Narrowing its legal bases
// below what published processings use is ECONFLICT.
func (s *Store) UpdatePurpose(ctx context.Context, id string, u omadata.PurposeUpdate) (*omadata.Purpose, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	p, err := findPurposeByID(ctx, tx, id)
	if err != nil {
		return nil, err
	} else if err := requireField(u); err != nil {
		return nil, err
	}
	was := snapshot(p)
	u.Apply(p)
	if err := p.Validate(); err != nil {
		return nil, err
	} else if unchanged(was, p) {
		return p, nil
	}
	rows, err := tx.query(ctx, `SELECT DISTINCT legal_basis FROM processing_versions WHERE purpose_id = ? AND status = 'published'`, p.ID)
	if err != nil {
		return nil, err
	}
	used, err := collect(rows, func(r interface{ Scan(...any) error }) (string, error) {
		var b string
		return b, r.Scan(&b)
	})
	if err != nil {
		return nil, err
	}
	for _, b := range used {
		if !slices.Contains(p.LegalBases, b) {
			return nil, omadata.Conflictf("legal_bases", "Published processings rely on %s for this purpose.", b)
		}
	}
	p.UpdatedAt = tx.now
	if _, err := tx.exec(ctx, `UPDATE purposes SET name = ?, description = ?, dpv_purposes = ?, kantara_category = ?, legal_bases = ?, updated_at = ? WHERE id = ?`,
		jsonValue{p.Name}, jsonValue{p.Description}, jsonValue{p.DPVPurposes}, p.KantaraCategory, jsonValue{p.LegalBases}, p.UpdatedAt, p.ID); err != nil {
		return nil, err
	}
	if err := s.audit(ctx, tx, "purpose.updated", "purpose", p.ID, map[string]any{"update": u}); err != nil {
		return nil, err
	}
	return p, s.commitCatalogue(tx)
}
