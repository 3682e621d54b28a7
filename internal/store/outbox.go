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

// enqueue writes the event to the outbox in the caller's transaction, one
// row per recipient, as a structured CloudEvent; the deliverer sends it
// later. A change and its notifications commit together or not at all.
func (s *Store) enqueue(ctx context.Context, tx *Tx, eventType, subject string, to []recipient) error {
	for _, r := range to {
		id := omadata.NewID("evt")
		ce := map[string]any{
			"specversion":     "1.0",
			"id":              id,
			"source":          s.issuer,
			"type":            s.prefix + "." + eventType,
			"subject":         subject,
			"time":            tx.now.Format(time.RFC3339Nano),
			"datacontenttype": "application/json",
			"data":            r.data,
		}
		payload, err := json.Marshal(ce)
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `INSERT INTO outbox (id, service_id, type, payload, status, attempts, next_attempt_at, last_status, last_error, created_at)
			VALUES (?, ?, ?, ?, 'pending', 0, ?, 0, '', ?)`, id, r.serviceID, eventType, string(payload), tx.now, tx.now); err != nil {
			return err
		}
	}
	return nil
}
