// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/omadata/omadata"
)

var (
	_ omadata.WebhookService = (*Store)(nil)
	_ omadata.DeliveryQueue  = (*Store)(nil)
)

// webhookSecretPrefix marks a Standard Webhooks HMAC secret.
const webhookSecretPrefix = "whsec_"

// maxLastError bounds the error text kept on a delivery.
const maxLastError = 500

const deliveryColumns = `id, service_id, type, payload, status, attempts, next_attempt_at, last_status, last_error, delivered_at, created_at, locked_until`

func scanDelivery(row interface{ Scan(...any) error }) (*omadata.Delivery, error) {
	var d omadata.Delivery
	var payload string
	err := row.Scan(&d.ID, &d.ServiceID, &d.Type, &payload, &d.Status, &d.Attempts, Time{&d.NextAttemptAt}, &d.LastStatus,
		&d.LastError, NullTime{&d.DeliveredAt}, Time{&d.CreatedAt}, NullTime{&d.LockedUntil})
	d.Payload = []byte(payload)
	return &d, err
}

// FindDeliveries lists the deliveries the caller may see, oldest first.
func (s *Store) FindDeliveries(ctx context.Context, f omadata.DeliveryFilter) ([]*omadata.Delivery, string, error) {
	var w where
	c := omadata.CallerFromContext(ctx)
	switch {
	case c.IsAdmin():
	case c.Kind == omadata.CallerService && c.HasScope(omadata.ScopeWebhooks):
		w.add("service_id = ?", c.ServiceID)
	case c.Kind == omadata.CallerOrganisation:
		w.add("service_id IN ("+organisationServices+")", c.Organisation, c.Organisation)
	default:
		return nil, "", omadata.Errorf(omadata.EFORBIDDEN, "Only an operator admin, an organisation admin or a service with the webhooks scope may list deliveries.")
	}
	if f.ServiceID != nil {
		w.add("service_id = ?", *f.ServiceID)
	}
	if f.Status != nil {
		if !slices.Contains([]string{omadata.DeliveryPending, omadata.DeliveryDelivered, omadata.DeliveryDead}, *f.Status) {
			return nil, "", omadata.Invalidf("status", "Use one of pending, delivered, dead.")
		}
		w.add("status = ?", *f.Status)
	}
	if f.After != "" {
		w.add("id > ?", f.After)
	}
	limit := pageLimit(f.Limit)
	rows, err := s.db.reader().query(ctx, `SELECT `+deliveryColumns+` FROM outbox `+w.String()+` ORDER BY id LIMIT ?`, append(w.args, limit+1)...)
	if err != nil {
		return nil, "", err
	}
	out, err := collect(rows, scanDelivery)
	if err != nil {
		return nil, "", err
	}
	out, next := page(out, limit, func(d *omadata.Delivery) string { return d.ID })
	return out, next, nil
}

// Redeliver puts a dead or delivered row back in the queue, due now: an
// operator admin any, an organisation admin their services'.
func (s *Store) Redeliver(ctx context.Context, id string) (*omadata.Delivery, error) {
	var w where
	w.add("id = ?", id)
	switch c := omadata.CallerFromContext(ctx); {
	case c.IsAdmin():
	case c.Kind == omadata.CallerOrganisation:
		w.add("service_id IN ("+organisationServices+")", c.Organisation, c.Organisation)
	default:
		return nil, omadata.Errorf(omadata.EFORBIDDEN, "Only an operator admin or an organisation admin may redeliver.")
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	d, err := scanDelivery(tx.queryRow(ctx, `SELECT `+deliveryColumns+` FROM outbox `+w.String(), w.args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, omadata.NotFound("Delivery")
	} else if err != nil {
		return nil, err
	} else if d.Status == omadata.DeliveryPending {
		return nil, omadata.Conflictf("status", "The delivery is still pending; it will be tried again.")
	}
	if _, err := tx.exec(ctx, `UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ?, locked_until = NULL, delivered_at = NULL
		WHERE id = ?`, tx.now, id); err != nil {
		return nil, err
	}
	d.Status, d.Attempts, d.NextAttemptAt, d.LockedUntil, d.DeliveredAt = omadata.DeliveryPending, 0, tx.now, nil, nil
	if err := s.audit(ctx, tx, "delivery.redelivered", "delivery", d.ID, map[string]any{"service_id": d.ServiceID}); err != nil {
		return nil, err
	}
	return d, tx.Commit()
}

// RotateWebhookSecret makes a new 256-bit secret for a service, stores it
// sealed and bound to the service, and returns it once.
func (s *Store) RotateWebhookSecret(ctx context.Context, serviceID string) (*omadata.WebhookSecret, error) {
	c := omadata.CallerFromContext(ctx)
	if !c.IsAdmin() && !(c.Kind == omadata.CallerService && c.HasScope(omadata.ScopeWebhooks)) {
		return nil, omadata.Errorf(omadata.EFORBIDDEN, "Only an operator admin or a service with the webhooks scope may rotate a webhook secret.")
	} else if err := s.requireKeyring(); err != nil {
		return nil, err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if sv, err := findServiceByID(ctx, tx, serviceID); err != nil {
		return nil, err // a service sees only itself: others are not found
	} else if err := refuseMirrored(sv); err != nil {
		return nil, err
	}
	var b [32]byte
	rand.Read(b[:])
	secret := webhookSecretPrefix + base64.StdEncoding.EncodeToString(b[:])
	sealed, err := s.sealString(secret, webhookSecretAD(serviceID))
	if err != nil {
		return nil, err
	}
	if _, err := tx.exec(ctx, `INSERT INTO webhook_secrets (service_id, secret_sealed, created_at) VALUES (?, ?, ?)
		ON CONFLICT (service_id) DO UPDATE SET secret_sealed = excluded.secret_sealed, created_at = excluded.created_at`,
		serviceID, sealed, tx.now); err != nil {
		return nil, err
	}
	if err := s.audit(ctx, tx, "webhook_secret.rotated", "service", serviceID, nil); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return &omadata.WebhookSecret{ServiceID: serviceID, Secret: secret, CreatedAt: tx.now}, nil
}

// webhookSecretAD binds a sealed secret to its service, so that a secret
// copied to another service's row does not open.
func webhookSecretAD(serviceID string) string { return "webhook:" + serviceID }

// ClaimDeliveries leases up to limit due pending rows in one statement. On
// PostgreSQL the rows are locked with SKIP LOCKED, so that concurrent
// claimers in other processes take disjoint rows.
func (s *Store) ClaimDeliveries(ctx context.Context, limit int, lease time.Duration) ([]*omadata.Delivery, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	} else if limit < 1 || limit > MaxLimit {
		return nil, omadata.Invalidf("limit", "Claim from 1 to %d deliveries.", MaxLimit)
	} else if lease < time.Second {
		return nil, omadata.Invalidf("lease", "Lease for at least a second.")
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	until := tx.now.Add(lease).Truncate(time.Microsecond)
	rows, err := tx.query(ctx, `UPDATE outbox SET locked_until = ?
		WHERE id IN (SELECT id FROM outbox
			WHERE status = 'pending' AND next_attempt_at <= ? AND (locked_until IS NULL OR locked_until <= ?)
			ORDER BY next_attempt_at, id LIMIT ?`+tx.d.skipLocked()+`)
		RETURNING `+deliveryColumns, until, tx.now, tx.now, limit)
	if err != nil {
		return nil, err
	}
	out, err := collect(rows, scanDelivery)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	// RETURNING has no order; send the oldest first.
	slices.SortFunc(out, func(a, b *omadata.Delivery) int {
		if c := a.NextAttemptAt.Compare(b.NextAttemptAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// WebhookTarget returns a service's webhook URL and unsealed secret. A
// service that cannot take deliveries now is ECONFLICT; the deliverer
// records that as a failed attempt, so events wait, on the retry schedule,
// for the service to set its URL or secret or to be approved again.
func (s *Store) WebhookTarget(ctx context.Context, serviceID string) (string, []byte, error) {
	if err := requireAdmin(ctx); err != nil {
		return "", nil, err
	} else if err := s.requireKeyring(); err != nil {
		return "", nil, err
	}
	r := s.db.reader()
	sv, err := findServiceByID(ctx, r, serviceID)
	if err != nil {
		return "", nil, err
	} else if sv.Status != omadata.ServiceApproved {
		return "", nil, omadata.Conflictf("status", "The service is %s; its events wait until it is approved.", sv.Status)
	} else if sv.Endpoints.Webhook == "" {
		return "", nil, omadata.Conflictf("endpoints.webhook", "The service has no webhook URL; set endpoints.webhook.")
	}
	var sealed string
	err = r.queryRow(ctx, `SELECT secret_sealed FROM webhook_secrets WHERE service_id = ?`, serviceID).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, omadata.Conflictf("webhook_secret", "The service has no webhook secret; make one with POST /api/v1/services/%s/webhook-secret.", serviceID)
	} else if err != nil {
		return "", nil, err
	}
	// A secret that does not open (the operator's secret key changed, or
	// the row was tampered with) cannot sign: the service needs a new one.
	// Saying so as a conflict makes its events wait instead of looping.
	secret, err := s.openString(sealed, webhookSecretAD(serviceID))
	if err != nil {
		return "", nil, omadata.Conflictf("webhook_secret", "The service's webhook secret cannot be opened; make a new one.")
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, webhookSecretPrefix))
	if err != nil {
		return "", nil, omadata.Conflictf("webhook_secret", "The service's webhook secret cannot be opened; make a new one.")
	}
	return sv.Endpoints.Webhook, key, nil
}

// CompleteDelivery records an attempt's outcome while the claim's lease
// still holds, and frees the row.
func (s *Store) CompleteDelivery(ctx context.Context, id string, res omadata.DeliveryResult) error {
	if err := requireAdmin(ctx); err != nil {
		return err
	}
	switch res.Status {
	case omadata.DeliveryDelivered, omadata.DeliveryPending, omadata.DeliveryDead:
	default:
		return omadata.Invalidf("status", "Use one of pending, delivered, dead.")
	}
	if res.HTTPStatus < 0 || res.HTTPStatus > 999 {
		return omadata.Invalidf("http_status", "Not an HTTP status.")
	}
	lastError := res.Error
	if len(lastError) > maxLastError {
		lastError = strings.ToValidUTF8(lastError[:maxLastError], "")
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var deliveredAt *time.Time
	next := tx.now
	switch res.Status {
	case omadata.DeliveryDelivered:
		deliveredAt, lastError = &tx.now, ""
	case omadata.DeliveryPending:
		next = tx.now.Add(max(res.RetryIn, 0)).Truncate(time.Microsecond)
	}
	result, err := tx.exec(ctx, `UPDATE outbox SET status = ?, attempts = attempts + 1, next_attempt_at = ?, locked_until = NULL,
		last_status = ?, last_error = ?, delivered_at = ?
		WHERE id = ? AND status = 'pending' AND locked_until = ?`,
		res.Status, next, res.HTTPStatus, lastError, deliveredAt, id, res.Lease.UTC().Truncate(time.Microsecond))
	if err != nil {
		return err
	}
	if err := underLease(ctx, tx, result, "outbox", id, omadata.NotFound("Delivery"), errDeliveryLeaseLost); err != nil {
		return err
	}
	return tx.Commit()
}

// ReleaseDelivery implements omadata.DeliveryQueue: it ends the lease of a
// claim that is still ours and counts no attempt.
func (s *Store) ReleaseDelivery(ctx context.Context, id string, lease time.Time) error {
	if err := requireAdmin(ctx); err != nil {
		return err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	result, err := tx.exec(ctx, `UPDATE outbox SET locked_until = NULL WHERE id = ? AND status = 'pending' AND locked_until = ?`,
		id, lease.UTC().Truncate(time.Microsecond))
	if err != nil {
		return err
	}
	if err := underLease(ctx, tx, result, "outbox", id, omadata.NotFound("Delivery"), errDeliveryLeaseLost); err != nil {
		return err
	}
	return tx.Commit()
}

var errDeliveryLeaseLost = omadata.Conflictf("lease", "The lease on this delivery ran out; another deliverer has it.")

// underLease checks an update of a row of table made under a claim's
// lease (its WHERE names the lease): nil when it changed the row, else
// notFound when there is no row id, or lost when another claim has it.
func underLease(ctx context.Context, tx *Tx, res sql.Result, table, id string, notFound, lost error) error {
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n > 0 {
		return nil
	}
	if found, err := count(ctx, tx, `SELECT COUNT(*) FROM `+table+` WHERE id = ?`, id); err != nil {
		return err
	} else if found == 0 {
		return notFound
	}
	return lost
}
