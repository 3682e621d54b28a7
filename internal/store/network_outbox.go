// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/omadata/omadata"
)

var _ omadata.NetworkOutbox = (*Store)(nil)

// Backoff of network messages: 30 s after the first failure, doubling to
// at most an hour; delivery is retried until acknowledged or refused for
// good (docs/network.md §5.2, §6).
const (
	networkBackoffFirst = 30 * time.Second
	networkBackoffMax   = time.Hour
)

// networkBackoff is the wait after the attempts-th failure.
func networkBackoff(attempts int) time.Duration {
	d := networkBackoffFirst
	for i := 1; i < attempts && d < networkBackoffMax; i++ {
		d *= 2
	}
	return min(d, networkBackoffMax)
}

// ClaimNetworkMessages implements omadata.NetworkOutbox: the oldest due
// undelivered messages, each hidden from other claims until lease passes.
// The events of one consent reach its operator in order (docs/network.md
// §5.2): a message is claimed only when no older message to the same
// operator about the same consent ID is undelivered (due, leased or
// waiting for its retry).
func (s *Store) ClaimNetworkMessages(ctx context.Context, limit int, lease time.Duration) ([]*omadata.NetworkMessage, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	} else if limit <= 0 || lease <= 0 {
		return nil, omadata.Invalidf("limit", "Claim at least one message for a positive lease.")
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	consent := func(alias string) string { return s.db.d.jsonText(alias+".body", "consent_id") }
	rows, err := tx.query(ctx, `SELECT o.id, o.operator_id, o.kind, o.body, o.attempts FROM network_outbox o
		WHERE o.delivered_at IS NULL AND o.next_attempt_at <= ? AND NOT EXISTS (SELECT 1 FROM network_outbox e
			WHERE e.delivered_at IS NULL AND e.operator_id = o.operator_id AND e.kind = o.kind AND `+consent("e")+` = `+consent("o")+`
			AND (e.created_at < o.created_at OR (e.created_at = o.created_at AND e.id < o.id)))
		ORDER BY o.next_attempt_at, o.id LIMIT ?`+s.db.d.skipLocked(), tx.now, limit)
	if err != nil {
		return nil, err
	}
	out, err := collect(rows, func(r interface{ Scan(...any) error }) (*omadata.NetworkMessage, error) {
		var m omadata.NetworkMessage
		var body string
		err := r.Scan(&m.ID, &m.OperatorID, &m.Kind, &body, &m.Attempts)
		m.Body = []byte(body)
		return &m, err
	})
	if err != nil {
		return nil, err
	}
	until := tx.now.Add(lease).Truncate(time.Microsecond)
	for _, m := range out {
		if _, err := tx.exec(ctx, `UPDATE network_outbox SET next_attempt_at = ? WHERE id = ?`, until, m.ID); err != nil {
			return nil, err
		}
		m.LockedUntil = until
	}
	return out, tx.Commit()
}

// NetworkMessageDelivered implements omadata.NetworkOutbox.
func (s *Store) NetworkMessageDelivered(ctx context.Context, id string) error {
	if err := requireAdmin(ctx); err != nil {
		return err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.exec(ctx, `UPDATE network_outbox SET delivered_at = ?, attempts = attempts + 1, last_error = '' WHERE id = ? AND delivered_at IS NULL`, tx.now, id)
	if err != nil {
		return err
	} else if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return omadata.NotFound("Network message")
	}
	return tx.Commit()
}

// NetworkMessageFailed implements omadata.NetworkOutbox: the next attempt
// waits networkBackoff of the failures so far.
func (s *Store) NetworkMessageFailed(ctx context.Context, id, reason string) error {
	if err := requireAdmin(ctx); err != nil {
		return err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var attempts int
	if err := tx.queryRow(ctx, `SELECT attempts FROM network_outbox WHERE id = ? AND delivered_at IS NULL`, id).Scan(&attempts); errors.Is(err, sql.ErrNoRows) {
		return omadata.NotFound("Network message")
	} else if err != nil {
		return err
	}
	attempts++
	if _, err := tx.exec(ctx, `UPDATE network_outbox SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?`,
		attempts, tx.now.Add(networkBackoff(attempts)), omadata.Truncate(reason, 500), id); err != nil {
		return err
	}
	return tx.Commit()
}

// NetworkMessageRefused implements omadata.NetworkOutbox: the message is
// done (delivered_at is set, so no claim hands it out again) with the
// refusal as its last error, which tells it from an acknowledged one.
func (s *Store) NetworkMessageRefused(ctx context.Context, id, reason string) error {
	if err := requireAdmin(ctx); err != nil {
		return err
	} else if reason == "" {
		return omadata.Invalidf("reason", "Say why the peer refused the message.")
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.exec(ctx, `UPDATE network_outbox SET delivered_at = ?, attempts = attempts + 1, last_error = ? WHERE id = ? AND delivered_at IS NULL`,
		tx.now, omadata.Truncate(reason, 500), id)
	if err != nil {
		return err
	} else if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return omadata.NotFound("Network message")
	}
	return tx.Commit()
}

// ReleaseNetworkMessage implements omadata.NetworkOutbox: a message still
// claimed under lease is due again now, its attempts unchanged.
func (s *Store) ReleaseNetworkMessage(ctx context.Context, id string, lease time.Time) error {
	if err := requireAdmin(ctx); err != nil {
		return err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.exec(ctx, `UPDATE network_outbox SET next_attempt_at = ? WHERE id = ? AND delivered_at IS NULL AND next_attempt_at = ?`,
		tx.now, id, lease.UTC().Truncate(time.Microsecond))
	if err != nil {
		return err
	} else if err := underLease(ctx, tx, res, "network_outbox", id, omadata.NotFound("Message"),
		omadata.Conflictf("lease", "The claim on this message ran out or was released; another worker may have it.")); err != nil {
		return err
	}
	return tx.Commit()
}
