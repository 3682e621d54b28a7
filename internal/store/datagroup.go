// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/omadata/omadata"
)

const dataGroupColumns = `id, service_id, code, name, description, special_category, personal_data_categories, retention, created_at, updated_at, legal_basis`

func scanDataGroup(row interface{ Scan(...any) error }) (*omadata.DataGroup, error) {
	var g omadata.DataGroup
	err := row.Scan(&g.ID, &g.ServiceID, &g.Code, jsonScan{&g.Name}, jsonScan{&g.Description}, &g.SpecialCategory,
		jsonScan{&g.PersonalDataCategories}, &g.Retention, Time{&g.CreatedAt}, Time{&g.UpdatedAt}, &g.LegalBasis)
	return &g, err
}

// dataGroupVisibility: admins see all, a service its own, an organisation
// admin their services', the public the data groups of approved sources.
func dataGroupVisibility(ctx context.Context, w *where) {
	c := omadata.CallerFromContext(ctx)
	switch c.Kind {
	case omadata.CallerAdmin:
	case omadata.CallerService:
		w.add("g.service_id = ?", c.ServiceID)
	case omadata.CallerOrganisation:
		w.add("g.service_id IN ("+organisationServices+")", c.Organisation, c.Organisation)
	default:
		w.add("g.service_id IN (SELECT id FROM services WHERE status = 'approved')")
	}
}

// FindDataGroupByID returns a data group visible to the caller.
func (s *Store) FindDataGroupByID(ctx context.Context, id string) (*omadata.DataGroup, error) {
	return findDataGroupByID(ctx, s.db.reader(), id)
}

func findDataGroupByID(ctx context.Context, q querier, id string) (*omadata.DataGroup, error) {
	var w where
	w.add("g.id = ?", id)
	dataGroupVisibility(ctx, &w)
	g, err := scanDataGroup(q.queryRow(ctx, `SELECT `+prefixed("g", dataGroupColumns)+` FROM data_groups g `+w.String(), w.args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, omadata.NotFound("Data group")
	}
	return g, err
}

// FindDataGroups returns a page of data groups visible to the caller.
func (s *Store) FindDataGroups(ctx context.Context, f omadata.DataGroupFilter) ([]*omadata.DataGroup, string, error) {
	var w where
	dataGroupVisibility(ctx, &w)
	if f.ServiceID != nil {
		w.add("g.service_id = ?", *f.ServiceID)
	}
	if f.After != "" {
		w.add("g.id > ?", f.After)
	}
	limit := pageLimit(f.Limit)
	rows, err := s.db.reader().query(ctx, `SELECT `+prefixed("g", dataGroupColumns)+` FROM data_groups g `+w.String()+` ORDER BY g.id LIMIT ?`, append(w.args, limit+1)...)
	if err != nil {
		return nil, "", err
	}
	out, err := collect(rows, scanDataGroup)
	if err != nil {
		return nil, "", err
	}
	out, next := page(out, limit, func(g *omadata.DataGroup) string { return g.ID })
	return out, next, nil
}

// CreateDataGroup adds a data group to a source visible to the caller.
func (s *Store) CreateDataGroup(ctx context.Context, g *omadata.DataGroup) error {
	if err := requireWrite(ctx); err != nil {
		return err
	} else if err := g.Validate(); err != nil {
		return err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	sv, err := findServiceByID(ctx, tx, g.ServiceID)
	if omadata.ErrorCode(err) == omadata.ENOTFOUND {
		return omadata.Invalidf("service_id", "No such service.")
	} else if err != nil {
		return err
	} else if !sv.HasRole(omadata.RoleSource) {
		return omadata.Invalidf("service_id", "The service is not a source.")
	} else if err := refuseMirrored(sv); err != nil {
		return err
	}
	if n, err := count(ctx, tx, `SELECT COUNT(*) FROM data_groups WHERE service_id = ? AND code = ?`, g.ServiceID, g.Code); err != nil {
		return err
	} else if n > 0 {
		return omadata.Conflictf("code", "The service already has a data group %q.", g.Code)
	}
	g.ID = omadata.NewID(omadata.PrefixDataGroup)
	g.CreatedAt, g.UpdatedAt = tx.now, tx.now
	if _, err := tx.exec(ctx, `INSERT INTO data_groups (id, service_id, code, name, description, special_category, personal_data_categories, retention, created_at, updated_at,
		legal_basis) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		g.ID, g.ServiceID, g.Code, jsonValue{g.Name}, jsonValue{g.Description}, g.SpecialCategory, jsonValue{g.PersonalDataCategories},
		g.Retention, g.CreatedAt, g.UpdatedAt, g.LegalBasis); err != nil {
		return err
	}
	if err := s.audit(ctx, tx, "data_group.created", "data_group", g.ID, map[string]any{"service_id": g.ServiceID, "code": g.Code}); err != nil {
		return err
	}
	return tx.Commit()
}

// UpdateDataGroup changes a data group visible to the caller.
func (s *Store) UpdateDataGroup(ctx context.Context, id string, u omadata.DataGroupUpdate) (*omadata.DataGroup, error) {
	if err := requireWrite(ctx); err != nil {
		return nil, err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	g, err := findDataGroupByID(ctx, tx, id)
	if err != nil {
		return nil, err
	} else if err := requireField(u); err != nil {
		return nil, err
	}
	// A data group mirrored from a peer's catalogue is the peer's to change
	// (docs/network.md §5.1).
	if sv, err := findServiceByID(ctx, tx, g.ServiceID); err != nil {
		return nil, err
	} else if err := refuseMirrored(sv); err != nil {
		return nil, err
	}
	wasSpecial := g.SpecialCategory
	was := snapshot(g)
	u.Apply(g)
	if err := g.Validate(); err != nil {
		return nil, err
	} else if unchanged(was, g) {
		return g, nil
	}
	if wasSpecial != g.SpecialCategory {
		// Published versions were checked against the old flag (Art 9).
		if n, err := count(ctx, tx, `SELECT COUNT(*) FROM processing_version_data_groups l JOIN processing_versions v ON v.id = l.version_id
			WHERE l.data_group_id = ? AND v.status <> 'draft'`, g.ID); err != nil {
			return nil, err
		} else if n > 0 {
			return nil, omadata.Conflictf("special_category", "Published processings use this data group; publish new versions instead of changing its category.")
		}
	}
	g.UpdatedAt = tx.now
	if _, err := tx.exec(ctx, `UPDATE data_groups SET name = ?, description = ?, special_category = ?, personal_data_categories = ?, retention = ?, legal_basis = ?,
		updated_at = ? WHERE id = ?`,
		jsonValue{g.Name}, jsonValue{g.Description}, g.SpecialCategory, jsonValue{g.PersonalDataCategories}, g.Retention, g.LegalBasis, g.UpdatedAt, g.ID); err != nil {
		return nil, err
	}
	if err := s.audit(ctx, tx, "data_group.updated", "data_group", g.ID, map[string]any{"update": u}); err != nil {
		return nil, err
	}
	return g, s.commitCatalogue(tx)
}
