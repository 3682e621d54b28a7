// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/omadata/omadata"
)

const aiSystemColumns = `id, organisation_id, name, description, purpose, legal_basis, human_oversight, risk_level, status, contact, created_at, updated_at`

func scanAISystem(row interface{ Scan(...any) error }) (*omadata.AISystem, error) {
	var a omadata.AISystem
	err := row.Scan(&a.ID, &a.OrganisationID, jsonScan{&a.Name}, jsonScan{&a.Description}, jsonScan{&a.Purpose}, &a.LegalBasis,
		jsonScan{&a.HumanOversight}, &a.RiskLevel, &a.Status, jsonScan{&a.Contact}, Time{&a.CreatedAt}, Time{&a.UpdatedAt})
	a.ProcessingIDs, a.DataGroupIDs = []string{}, []string{}
	return &a, err
}

// FindAISystemByID returns a register entry; the register is public.
func (s *Store) FindAISystemByID(ctx context.Context, id string) (*omadata.AISystem, error) {
	return findAISystemByID(ctx, s.db.reader(), id)
}

func findAISystemByID(ctx context.Context, q querier, id string) (*omadata.AISystem, error) {
	a, err := scanAISystem(q.queryRow(ctx, `SELECT `+aiSystemColumns+` FROM ai_systems WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, omadata.NotFound("AI system")
	} else if err != nil {
		return nil, err
	}
	return a, loadAILinks(ctx, q, []*omadata.AISystem{a})
}

// FindAISystems returns a page of the register.
func (s *Store) FindAISystems(ctx context.Context, f omadata.AISystemFilter) ([]*omadata.AISystem, string, error) {
	var w where
	if f.OrganisationID != nil {
		w.add("organisation_id = ?", *f.OrganisationID)
	}
	if f.After != "" {
		w.add("id > ?", f.After)
	}
	limit := pageLimit(f.Limit)
	r := s.db.reader()
	rows, err := r.query(ctx, `SELECT `+aiSystemColumns+` FROM ai_systems `+w.String()+` ORDER BY id LIMIT ?`, append(w.args, limit+1)...)
	if err != nil {
		return nil, "", err
	}
	out, err := collect(rows, scanAISystem)
	if err != nil {
		return nil, "", err
	}
	out, next := page(out, limit, func(a *omadata.AISystem) string { return a.ID })
	return out, next, loadAILinks(ctx, r, out)
}

func loadAILinks(ctx context.Context, q querier, as []*omadata.AISystem) error {
	if len(as) == 0 {
		return nil
	}
	byID := map[string]*omadata.AISystem{}
	ids := make([]any, len(as))
	for i, a := range as {
		byID[a.ID], ids[i] = a, a.ID
	}
	in := placeholders(len(ids))
	for _, l := range []struct {
		table, col string
		dst        func(*omadata.AISystem) *[]string
	}{
		{"ai_system_processings", "processing_id", func(a *omadata.AISystem) *[]string { return &a.ProcessingIDs }},
		{"ai_system_data_groups", "data_group_id", func(a *omadata.AISystem) *[]string { return &a.DataGroupIDs }},
	} {
		rows, err := q.query(ctx, `SELECT ai_system_id, `+l.col+` FROM `+l.table+` WHERE ai_system_id IN (`+in+`) ORDER BY ai_system_id, position`, ids...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var aid, id string
			if err := rows.Scan(&aid, &id); err != nil {
				rows.Close()
				return err
			}
			dst := l.dst(byID[aid])
			*dst = append(*dst, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// CreateAISystem adds a register entry (admins only).
func (s *Store) CreateAISystem(ctx context.Context, a *omadata.AISystem) error {
	if err := requireAdmin(ctx); err != nil {
		return err
	} else if err := a.Validate(); err != nil {
		return err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	a.ID = omadata.NewID(omadata.PrefixAISystem)
	a.CreatedAt, a.UpdatedAt = tx.now, tx.now
	if err := checkAIReferences(ctx, tx, a); err != nil {
		return err
	}
	if _, err := tx.exec(ctx, `INSERT INTO ai_systems (`+aiSystemColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, a.OrganisationID, jsonValue{a.Name}, jsonValue{a.Description}, jsonValue{a.Purpose}, a.LegalBasis,
		jsonValue{a.HumanOversight}, a.RiskLevel, a.Status, jsonValue{a.Contact}, a.CreatedAt, a.UpdatedAt); err != nil {
		return err
	} else if err := writeAILinks(ctx, tx, a); err != nil {
		return err
	}
	if err := s.audit(ctx, tx, "ai_system.created", "ai_system", a.ID, map[string]any{"name": a.Name}); err != nil {
		return err
	}
	return tx.Commit()
}

// UpdateAISystem changes a register entry (admins only).
func (s *Store) UpdateAISystem(ctx context.Context, id string, u omadata.AISystemUpdate) (*omadata.AISystem, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	a, err := findAISystemByID(ctx, tx, id)
	if err != nil {
		return nil, err
	} else if err := requireField(u); err != nil {
		return nil, err
	}
	was := snapshot(a)
	u.Apply(a)
	if err := a.Validate(); err != nil {
		return nil, err
	} else if unchanged(was, a) {
		return a, nil
	} else if err := checkAIReferences(ctx, tx, a); err != nil {
		return nil, err
	}
	a.UpdatedAt = tx.now
	if _, err := tx.exec(ctx, `UPDATE ai_systems SET name = ?, description = ?, purpose = ?, legal_basis = ?, human_oversight = ?, risk_level = ?,
		status = ?, contact = ?, updated_at = ? WHERE id = ?`,
		jsonValue{a.Name}, jsonValue{a.Description}, jsonValue{a.Purpose}, a.LegalBasis, jsonValue{a.HumanOversight}, a.RiskLevel,
		a.Status, jsonValue{a.Contact}, a.UpdatedAt, a.ID); err != nil {
		return nil, err
	} else if err := writeAILinks(ctx, tx, a); err != nil {
		return nil, err
	}
	if err := s.audit(ctx, tx, "ai_system.updated", "ai_system", a.ID, map[string]any{"update": u}); err != nil {
		return nil, err
	}
	return a, tx.Commit()
}

func checkAIReferences(ctx context.Context, tx *Tx, a *omadata.AISystem) error {
	if n, err := count(ctx, tx, `SELECT COUNT(*) FROM organisations WHERE id = ?`, a.OrganisationID); err != nil {
		return err
	} else if n == 0 {
		return omadata.Invalidf("organisation_id", "No such organisation.")
	}
	for _, id := range a.ProcessingIDs {
		if n, err := count(ctx, tx, `SELECT COUNT(*) FROM processings WHERE id = ?`, id); err != nil {
			return err
		} else if n == 0 {
			return omadata.Invalidf("processing_ids", "No such processing: %s.", id)
		}
	}
	for _, id := range a.DataGroupIDs {
		if n, err := count(ctx, tx, `SELECT COUNT(*) FROM data_groups WHERE id = ?`, id); err != nil {
			return err
		} else if n == 0 {
			return omadata.Invalidf("data_group_ids", "No such data group: %s.", id)
		}
	}
	return nil
}

func writeAILinks(ctx context.Context, tx *Tx, a *omadata.AISystem) error {
	if _, err := tx.exec(ctx, `DELETE FROM ai_system_processings WHERE ai_system_id = ?`, a.ID); err != nil {
		return err
	} else if _, err := tx.exec(ctx, `DELETE FROM ai_system_data_groups WHERE ai_system_id = ?`, a.ID); err != nil {
		return err
	}
	for i, id := range a.ProcessingIDs {
		if _, err := tx.exec(ctx, `INSERT INTO ai_system_processings (ai_system_id, processing_id, position) VALUES (?, ?, ?)`, a.ID, id, i); err != nil {
			return err
		}
	}
	for i, id := range a.DataGroupIDs {
		if _, err := tx.exec(ctx, `INSERT INTO ai_system_data_groups (ai_system_id, data_group_id, position) VALUES (?, ?, ?)`, a.ID, id, i); err != nil {
			return err
		}
	}
	if a.ProcessingIDs == nil {
		a.ProcessingIDs = []string{}
	}
	if a.DataGroupIDs == nil {
		a.DataGroupIDs = []string{}
	}
	return nil
}
