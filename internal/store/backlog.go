// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/omadata/omadata"
)

var _ omadata.BacklogService = (*Store)(nil)

// Backlog implements omadata.BacklogService, with a few indexed reads:
// the latest checkpoint by its key, the leaves after it by their
// integration order, the outbox by its (status, next_attempt_at) index.
func (s *Store) Backlog(ctx context.Context) (*omadata.Backlog, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	q := s.db.reader()
	var b omadata.Backlog
	lastTxid, lastSeq := int64(-1), int64(0)
	err := q.queryRow(ctx, `SELECT size, created_at, last_txid, last_seq FROM log_checkpoints ORDER BY seq DESC LIMIT 1`).
		Scan(&b.CheckpointSize, Time{&b.CheckpointAt}, &lastTxid, &lastSeq)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	// The order IntegrateLog takes leaves in: by sequence on SQLite (one
	// writer, txid always 0), by (txid, seq) on PostgreSQL.
	leaves := `SELECT COUNT(*) FROM log_leaves WHERE seq > ?`
	args := []any{lastSeq}
	if s.db.d.name() == "postgres" {
		leaves, args = `SELECT COUNT(*) FROM log_leaves WHERE (txid, seq) > (?, ?)`, []any{lastTxid, lastSeq}
	}
	if err := q.queryRow(ctx, leaves, args...).Scan(&b.UnintegratedLeaves); err != nil {
		return nil, err
	}
	var oldest *time.Time
	err = q.queryRow(ctx, `SELECT
		COUNT(*),
		COALESCE(SUM(CASE WHEN next_attempt_at <= ? THEN 1 ELSE 0 END), 0),
		MIN(next_attempt_at)
		FROM outbox WHERE status = 'pending'`, s.db.now()).Scan(&b.WebhookPending, &b.WebhookDue, NullTime{&oldest})
	if err != nil {
		return nil, err
	}
	if oldest != nil {
		b.WebhookOldestDue = *oldest
	}
	if err := q.queryRow(ctx, `SELECT COUNT(*) FROM outbox WHERE status = 'dead'`).Scan(&b.WebhookDead); err != nil {
		return nil, err
	}
	if b.StalePermits, err = s.stalePermits(ctx, q); err != nil {
		return nil, err
	}
	return &b, nil
}

// stalePermits counts the permits on a consent decided more than
// omadata.StalePermitMargin after its withdrawal or revocation (both
// final), among those of the last omadata.StalePermitWindow: the records
// by their time-ordered IDs, each resident's decisions after it by
// decisions_resident. Permits after a withdrawal are rare (only those
// decided while it committed), so the margin is applied here.
func (s *Store) stalePermits(ctx context.Context, q querier) (int64, error) {
	since := omadata.FirstIDAt(omadata.PrefixConsentRecord, time.Now().Add(-omadata.StalePermitWindow))
	rows, err := q.query(ctx, `SELECT w.created_at, d.decided_at
		FROM consent_records w
		JOIN consents c ON c.id = w.consent_id
		JOIN decisions d ON d.resident_id = c.resident_id AND d.decided_at > w.created_at
			AND d.consent_id = w.consent_id AND d.permit = ?
		WHERE w.id >= ? AND w.status IN ('`+omadata.ConsentWithdrawn+`', '`+omadata.ConsentRevoked+`')`, true, since)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var n int64
	for rows.Next() {
		var withdrawn, decided time.Time
		if err := rows.Scan(Time{&withdrawn}, Time{&decided}); err != nil {
			return 0, err
		}
		if decided.Sub(withdrawn) > omadata.StalePermitMargin {
			n++
		}
	}
	return n, rows.Err()
}
