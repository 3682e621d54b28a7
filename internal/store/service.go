// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"

	"github.com/omadata/omadata"
)

const serviceColumns = `id, organisation_id, name, description, roles, endpoints, status, created_at, updated_at, operator_id`

// scanService reads a service; a mirrored one's Operator has its ID only
// until serviceOperators names it.
func scanService(row interface{ Scan(...any) error }) (*omadata.Service, error) {
	var s omadata.Service
	var op sql.NullString
	err := row.Scan(&s.ID, &s.OrganisationID, jsonScan{&s.Name}, jsonScan{&s.Description}, jsonScan{&s.Roles},
		jsonScan{&s.Endpoints}, &s.Status, Time{&s.CreatedAt}, Time{&s.UpdatedAt}, &op)
	if op.Valid {
		s.Operator = &omadata.OperatorRef{ID: op.String}
	}
	return &s, err
}

// serviceOperators names the peer operators of mirrored services.
func serviceOperators(ctx context.Context, q querier, svcs ...*omadata.Service) error {
	for _, sv := range svcs {
		if sv.Operator == nil {
			continue
		}
		if err := q.queryRow(ctx, `SELECT name FROM peers WHERE operator_id = ?`, sv.Operator.ID).Scan(jsonScan{&sv.Operator.Name}); err != nil {
			return err
		}
	}
	return nil
}

// refuseMirrored refuses a change of a service this operator mirrors from
// a peer: the peer's catalogue is its only source (docs/network.md §5.1).
func refuseMirrored(sv *omadata.Service) error {
	if sv.Operator != nil {
		return omadata.Forbiddenf("service_id", "The service is registered at operator %s; change it there.", sv.Operator.ID)
	}
	return nil
}

// serviceVisibility limits a query on services (aliased col) to what the
// caller may see: admins all, a service itself, an organisation admin their
// organisation's and its divisions', the public approved ones.
func serviceVisibility(ctx context.Context, w *where, col string) {
	c := omadata.CallerFromContext(ctx)
	switch c.Kind {
	case omadata.CallerAdmin:
	case omadata.CallerService:
		w.add(col+".id = ?", c.ServiceID)
	case omadata.CallerOrganisation:
		w.add(col+".id IN ("+organisationServices+")", c.Organisation, c.Organisation)
	default:
		w.add(col + ".status = 'approved'")
	}
}

// FindServiceByID returns a service visible to the caller.
func (s *Store) FindServiceByID(ctx context.Context, id string) (*omadata.Service, error) {
	return findServiceByID(ctx, s.db.reader(), id)
}

func findServiceByID(ctx context.Context, q querier, id string) (*omadata.Service, error) {
	w := where{}
	w.add("s.id = ?", id)
	serviceVisibility(ctx, &w, "s")
	sv, err := scanService(q.queryRow(ctx, `SELECT `+prefixed("s", serviceColumns)+` FROM services s `+w.String(), w.args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, omadata.NotFound("Service")
	} else if err != nil {
		return nil, err
	}
	return sv, serviceOperators(ctx, q, sv)
}

// FindServices returns a page of services visible to the caller.
func (s *Store) FindServices(ctx context.Context, f omadata.ServiceFilter) ([]*omadata.Service, string, error) {
	var w where
	serviceVisibility(ctx, &w, "s")
	if f.OrganisationID != nil {
		w.add("s.organisation_id = ?", *f.OrganisationID)
	}
	if f.Status != nil {
		w.add("s.status = ?", *f.Status)
	}
	if f.Role != nil {
		w.add("s.roles LIKE ?", `%"`+*f.Role+`"%`)
	}
	if f.After != "" {
		w.add("s.id > ?", f.After)
	}
	limit := pageLimit(f.Limit)
	rows, err := s.db.reader().query(ctx, `SELECT `+prefixed("s", serviceColumns)+` FROM services s `+w.String()+` ORDER BY s.id LIMIT ?`, append(w.args, limit+1)...)
	if err != nil {
		return nil, "", err
	}
	out, err := collect(rows, scanService)
	if err != nil {
		return nil, "", err
	}
	out, next := page(out, limit, func(s *omadata.Service) string { return s.ID })
	return out, next, serviceOperators(ctx, s.db.reader(), out...)
}

// CreateService registers a pending service (admins only).
func (s *Store) CreateService(ctx context.Context, sv *omadata.Service) error {
	if err := requireAdmin(ctx); err != nil {
		return err
	} else if err := sv.Validate(); err != nil {
		return err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := findOrganisationByID(ctx, tx, sv.OrganisationID); omadata.ErrorCode(err) == omadata.ENOTFOUND {
		return omadata.Invalidf("organisation_id", "No such organisation.")
	} else if err != nil {
		return err
	}
	sv.ID = omadata.NewID(omadata.PrefixService)
	sv.Status = omadata.ServicePending
	sv.Description = textOrEmpty(sv.Description)
	sv.CreatedAt, sv.UpdatedAt = tx.now, tx.now
	if _, err := tx.exec(ctx, `INSERT INTO services (id, organisation_id, name, description, roles, endpoints, status, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		sv.ID, sv.OrganisationID, jsonValue{sv.Name}, jsonValue{sv.Description}, jsonValue{sv.Roles}, jsonValue{sv.Endpoints},
		sv.Status, sv.CreatedAt, sv.UpdatedAt); err != nil {
		return err
	}
	if err := s.audit(ctx, tx, "service.created", "service", sv.ID, map[string]any{"name": sv.Name, "roles": sv.Roles, "status": sv.Status}); err != nil {
		return err
	}
	return tx.Commit()
}

// UpdateService changes the fields of a service that the caller's kind may
// change (omadata.ServiceUpdate.Permitted): EFORBIDDEN naming the first
// other field, after the service is found, so a service that is not the
// caller's stays ENOTFOUND.
func (s *Store) UpdateService(ctx context.Context, id string, u omadata.ServiceUpdate) (*omadata.Service, error) {
	if err := requireWrite(ctx); err != nil {
		return nil, err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	sv, err := findServiceByID(ctx, tx, id)
	if err != nil {
		return nil, err
	} else if err := refuseMirrored(sv); err != nil {
		return nil, err
	} else if err := u.Permitted(omadata.CallerFromContext(ctx)); err != nil {
		return nil, err
	} else if err := requireField(u); err != nil {
		return nil, err
	}
	before, was := sv.Roles, snapshot(sv)
	u.Apply(sv)
	sv.Description = textOrEmpty(sv.Description)
	if err := sv.Validate(); err != nil {
		return nil, err
	} else if unchanged(was, sv) {
		return sv, nil
	}
	if !slices.Contains(sv.Roles, omadata.RoleSource) {
		if n, err := count(ctx, tx, `SELECT COUNT(*) FROM data_groups WHERE service_id = ?`, sv.ID); err != nil {
			return nil, err
		} else if n > 0 {
			return nil, omadata.Conflictf("roles", "The service holds data groups, so it must keep the source role.")
		}
	}
	if !slices.Contains(sv.Roles, omadata.RoleSink) {
		if n, err := count(ctx, tx, `SELECT COUNT(*) FROM processings WHERE service_id = ?`, sv.ID); err != nil {
			return nil, err
		} else if n > 0 {
			return nil, omadata.Conflictf("roles", "The service has processings, so it must keep the sink role.")
		}
	}
	sv.UpdatedAt = tx.now
	if _, err := tx.exec(ctx, `UPDATE services SET name = ?, description = ?, roles = ?, endpoints = ?, updated_at = ? WHERE id = ?`,
		jsonValue{sv.Name}, jsonValue{sv.Description}, jsonValue{sv.Roles}, jsonValue{sv.Endpoints}, sv.UpdatedAt, sv.ID); err != nil {
		return nil, err
	}
	details := map[string]any{"update": u}
	if u.Roles != nil {
		// An operator admin's change of roles is itself the admission of
		// the service in its new roles: the record says what it was.
		details["roles_before"] = before
	}
	if err := s.audit(ctx, tx, "service.updated", "service", sv.ID, details); err != nil {
		return nil, err
	}
	return sv, s.commitCatalogue(tx)
}

// SetServiceStatus admits or suspends a service (admins only).
func (s *Store) SetServiceStatus(ctx context.Context, id, status string) (*omadata.Service, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	} else if status != omadata.ServiceApproved && status != omadata.ServiceSuspended {
		return nil, omadata.Invalidf("status", "Use approved or suspended.")
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	sv, err := findServiceByID(ctx, tx, id)
	if err != nil {
		return nil, err
	} else if err := refuseMirrored(sv); err != nil {
		return nil, err
	} else if sv.Status == status {
		return nil, omadata.Conflictf("status", "The service is already %s.", status)
	}
	sv.Status, sv.UpdatedAt = status, tx.now
	if _, err := tx.exec(ctx, `UPDATE services SET status = ?, updated_at = ? WHERE id = ?`, sv.Status, sv.UpdatedAt, sv.ID); err != nil {
		return nil, err
	}
	if err := s.audit(ctx, tx, "service.status", "service", sv.ID, map[string]any{"status": status}); err != nil {
		return nil, err
	}
	return sv, s.commitCatalogue(tx)
}

func textOrEmpty(t omadata.Text) omadata.Text {
	if t == nil {
		return omadata.Text{}
	}
	return t
}
