// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/omadata/omadata"
)

// recipient is one service an event goes to, with the data it may see
// (its own pseudonym of the resident, never another party's): a map, or
// a struct whose fields are in the order of their JSON names.
type recipient struct {
	serviceID string
	data      any
}

// outboxRow is one event to one service, its payload already built.
type outboxRow struct {
	id, serviceID, eventType, payload string
}

// enqueue writes the event to the outbox in the caller's transaction, one
// row per recipient, as a structured CloudEvent; the deliverer sends it
// later. A change and its notifications commit together or not at all.
func (s *Store) enqueue(ctx context.Context, tx *Tx, eventType, subject string, to []recipient) error {
	// A peer's service has no webhook here: its own operator tells it.
	local := to[:0:0]
	for _, r := range to {
		if m, err := s.isMirrored(ctx, tx, r.serviceID); err != nil {
			return err
		} else if !m {
			local = append(local, r)
		}
	}
	rows, err := s.outboxRows(eventType, subject, local, tx.now)
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
	ce := cloudEvent{DataContentType: "application/json", Source: s.issuer, SpecVersion: "1.0", Subject: subject,
		Time: now.Format(time.RFC3339Nano), Type: s.prefix + "." + eventType}
	for _, r := range to {
		ce.ID, ce.Data = omadata.NewID("evt"), r.data
		payload, err := json.Marshal(&ce)
		if err != nil {
			return nil, err
		}
		rows = append(rows, outboxRow{id: ce.ID, serviceID: r.serviceID, eventType: eventType, payload: string(payload)})
	}
	return rows, nil
}

// cloudEvent is an outbox payload, a structured CloudEvent, with its
// members in the order of their names (as when it was a map).
type cloudEvent struct {
	Data            any    `json:"data"`
	DataContentType string `json:"datacontenttype"`
	ID              string `json:"id"`
	Source          string `json:"source"`
	SpecVersion     string `json:"specversion"`
	Subject         string `json:"subject"`
	Time            string `json:"time"`
	Type            string `json:"type"`
}

// insertOutbox writes built events in tx, due at once.
func insertOutbox(ctx context.Context, tx *Tx, rows []outboxRow) error {
	if len(rows) == 0 {
		return nil
	}
	return tx.run(ctx, []writeStmt{outboxInsert(rows, tx.now)})
}

// outboxInsert is the one statement that writes built events, due at now.
func outboxInsert(rows []outboxRow, now time.Time) writeStmt {
	const row = "(?, ?, ?, ?, 'pending', 0, ?, 0, '', ?)"
	args := make([]any, 0, 6*len(rows))
	for _, r := range rows {
		args = append(args, r.id, r.serviceID, r.eventType, r.payload, now, now)
	}
	return writeStmt{query: `INSERT INTO outbox (id, service_id, type, payload, status, attempts, next_attempt_at, last_status, last_error, created_at)
	VALUES ` + strings.Repeat(row+", ", len(rows)-1) + row, args: args, rows: int64(len(rows))}
}
