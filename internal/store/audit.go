// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"encoding/json"

	"github.com/omadata/omadata"
)

// PrefixAdminChange is the ID prefix of admin change records.
const prefixAdminChange = "chg"

// audit records a change to the catalogue, credentials or keys by an admin
// or a service, in the change's transaction, and appends its leaf to the
// transparency log. details says what changed; it must hold no secret.
func (s *Store) audit(ctx context.Context, tx *Tx, action, targetKind, targetID string, details map[string]any) error {
	_, err := s.auditID(ctx, tx, action, targetKind, targetID, details)
	return err
}

// changeActor names the caller in admin changes: its kind and token ID,
// and for the operator's data protection officer their role instead of
// the kind, so that their approvals are not an operator admin's.
func changeActor(ctx context.Context) string {
	c := omadata.CallerFromContext(ctx)
	actor := string(c.Kind)
	if c.Kind == omadata.CallerAdmin && c.DataProtectionOfficer {
		actor = omadata.StaffAuditor
	}
	if c.TokenID != "" {
		actor += ":" + c.TokenID
	}
	return actor
}

// auditID is audit, returning the ID of the admin change it recorded.
func (s *Store) auditID(ctx context.Context, tx *Tx, action, targetKind, targetID string, details map[string]any) (string, error) {
	c := omadata.CallerFromContext(ctx)
	actor := changeActor(ctx)
	if details == nil {
		details = map[string]any{}
	}
	b, err := json.Marshal(details)
	if err != nil {
		return "", err
	}
	id := omadata.NewID(prefixAdminChange)
	if _, err := tx.exec(ctx, `INSERT INTO admin_changes (id, actor_id, action, target_kind, target_id, details, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		id, actor, action, targetKind, targetID, string(b), tx.now); err != nil {
		return "", err
	}
	a := logAppend{
		kind: "admin." + action, recordKind: omadata.RecordAdminChange, recordID: id,
		recordSHA256: adminChangeDigest(id, actor, action, targetKind, targetID, string(b), tx.now),
	}
	if c.Kind == omadata.CallerService {
		a.sinkID = c.ServiceID // the service's own view shows its own changes
	}
	return id, s.appendLog(ctx, tx, a)
}
