// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"slices"

	"github.com/omadata/omadata"
)

// SetRepresentationRecorder implements omadata.RepresentationService:
// the designation is replaced as a whole, audited and logged.
func (s *Store) SetRepresentationRecorder(ctx context.Context, serviceID string, kinds []string) (*omadata.RepresentationRecorder, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	set := []string{}
	for _, k := range kinds {
		if k != omadata.RepGuardian && k != omadata.RepMandate {
			return nil, omadata.Invalidf("kinds", "Use guardian or mandate.")
		} else if slices.Contains(set, k) {
			return nil, omadata.Invalidf("kinds", "%s is given twice; give each kind once.", k)
		}
		set = append(set, k)
	}
	slices.Sort(set)
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if sv, err := findServiceByID(ctx, tx, serviceID); err != nil {
		return nil, err
	} else if len(set) > 0 && !slices.Contains(sv.Roles, omadata.RoleSource) {
		return nil, omadata.Invalidf("kinds", "Only a source records representations; this service is not one.")
	}
	if _, err := tx.exec(ctx, `DELETE FROM representation_recorders WHERE service_id = ?`, serviceID); err != nil {
		return nil, err
	}
	for _, k := range set {
		if _, err := tx.exec(ctx, `INSERT INTO representation_recorders (service_id, kind, created_at) VALUES (?, ?, ?)`, serviceID, k, tx.now); err != nil {
			return nil, err
		}
	}
	if err := s.audit(ctx, tx, "service.representation_kinds", "service", serviceID, map[string]any{"kinds": set}); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return &omadata.RepresentationRecorder{ServiceID: serviceID, Kinds: set, UpdatedAt: tx.now}, nil
}

// FindRepresentationRecorder implements omadata.RepresentationService:
// admins read any service's designation, an organisation admin that of a
// service they look after; the service is found through the caller's
// visibility, so another organisation's is not found.
func (s *Store) FindRepresentationRecorder(ctx context.Context, serviceID string) (*omadata.RepresentationRecorder, error) {
	if c := omadata.CallerFromContext(ctx); !c.IsAdmin() && c.Kind != omadata.CallerOrganisation {
		return nil, omadata.Errorf(omadata.EFORBIDDEN, "Only the operator's or the service's organisation's admins may see this.")
	}
	r := s.db.reader()
	if _, err := findServiceByID(ctx, r, serviceID); err != nil {
		return nil, err
	}
	rows, err := r.query(ctx, `SELECT kind, created_at FROM representation_recorders WHERE service_id = ? ORDER BY kind`, serviceID)
	if err != nil {
		return nil, err
	}
	out := &omadata.RepresentationRecorder{ServiceID: serviceID, Kinds: []string{}}
	list, err := collect(rows, func(row interface{ Scan(...any) error }) (string, error) {
		var k string
		return k, row.Scan(&k, Time{&out.UpdatedAt})
	})
	if err != nil {
		return nil, err
	}
	out.Kinds = append(out.Kinds, list...)
	return out, nil
}
