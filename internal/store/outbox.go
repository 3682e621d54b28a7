// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/omadata/omadata"
)

// recipient is one service an event goes to, with the data it may see
// (its own pseudonym of the resident, never another party's).
type recipient struct {
	serviceID string
	data      map[string]any
}

// outboxRow is one event to one service, its payload already built.
type outboxRow struct {
	id, serviceID, eventType, payload string
}

// enqueue writes the event to the outbox in the caller's transaction, one
// row per recipient, as a structured CloudEvent; the deliverer sends it
// later. A change and its notifications commit together or not at all.
func (s *Store) enqueue(ctx context.Context, tx *Tx, eventType, subject string, to []recipient) error {
	rows, err := s.outboxRows(eventType, subject, to, tx.now)
	if err != nil {
		return err
	}
	return insertOutbox(ctx, tx, rows)
}

// outboxRows builds the CloudEvents of an event at the time now, without
// touching the database: the consent write path builds them before it
// takes the writer.
func (s *Store) outboxRows(eventType, subject string, to []recipient, now time.Time) ([]outboxRow, error) {
	rows := make([]outboxRow, 0, len(to))
	for _, r := range to {
		id := omadata.NewID("evt")
		ce := map[string]any{
			"specversion":     "1.0",
			"id":              id,
			"source":          s.issuer,
			"type":            s.prefix + "." + eventType,
			"subject":         subject,
			"time":            now.Format(time.RFC3339Nano),
			"datacontenttype": "application/json",
			"data":            r.data,
		}
		payload, err := json.Marshal(ce)
		if err != nil {
			return nil, err
		}
		rows = append(rows, outboxRow{id: id, serviceID: r.serviceID, eventType: eventType, payload: string(payload)})
	}
	return rows, nil
}

// outboxInsert writes one built event, due at once: ID, service, type,
// payload, due time and creation time.
const outboxInsert = `INSERT INTO outbox (id, service_id, type, payload, status, attempts, next_attempt_at, last_status, last_error, created_at)
	VALUES (?, ?, ?, ?, 'pending', 0, ?, 0, '', ?)`

// insertOutbox writes built events in tx, due at once.
func insertOutbox(ctx context.Context, tx *Tx, rows []outboxRow) error {
	for _, r := range rows {
		if _, err := tx.exec(ctx, outboxInsert, r.id, r.serviceID, r.eventType, r.payload, tx.now, tx.now); err != nil {
			return err
		}
	}
	return nil
}
