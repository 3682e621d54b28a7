// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/omadata/omadata"
)

// NetworkLogRecord returns to a peer operator the leaf of this operator's
// log that commits to record, with its inclusion proof in the latest
// checkpoint and that checkpoint (docs/network.md §5.5). The caller is
// party to a leaf when the leaf references a leaf of the caller's log
// (its peer origin is the caller's log origin): the two sides of one
// release. Any other record, and any other caller, is ENOTFOUND. A leaf
// that waits for its first checkpoint has no proof yet.
func (s *Store) NetworkLogRecord(ctx context.Context, record string) (*omadata.LogEvent, *omadata.Checkpoint, error) {
	// Who may read which leaf is omadata.AuthorizePeerRecord's rule: a
	// caller with no resolved log reads none.
	c := omadata.CallerFromContext(ctx)
	q := s.db.reader()
	var raw string
	err := q.queryRow(ctx, `SELECT metadata FROM peers WHERE operator_id = ?`, c.OperatorID).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, omadata.AuthorizePeerRecord(c, "", "")
	} else if err != nil {
		return nil, nil, err
	}
	var md omadata.OperatorMetadata
	if err := json.Unmarshal([]byte(raw), &md); err != nil {
		return nil, nil, fmt.Errorf("peer metadata: %w", err)
	}
	rows, err := q.query(ctx, `SELECT l.data, l.created_at, i.idx, i.leaf_hash FROM log_leaves l
		LEFT JOIN log_index i ON i.leaf_seq = l.seq WHERE l.record_id = ? ORDER BY l.seq`, record)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var ev *omadata.LogEvent
	for rows.Next() && ev == nil {
		var data string
		var at time.Time
		var idx sql.NullInt64
		var hash sql.NullString
		if err := rows.Scan(&data, Time{&at}, &idx, &hash); err != nil {
			return nil, nil, err
		}
		var index *int64
		if idx.Valid {
			index = &idx.Int64
		}
		e, err := logEntry(index, data, hash.String, at)
		if err != nil {
			return nil, nil, err
		}
		var leafOrigin string
		if e.Leaf.Peer != nil {
			leafOrigin = e.Leaf.Peer.Origin
		}
		if omadata.AuthorizePeerRecord(c, md.LogOrigin, leafOrigin) == nil {
			ev = &omadata.LogEvent{LogEntry: *e}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	} else if ev == nil {
		return nil, nil, omadata.AuthorizePeerRecord(c, md.LogOrigin, "")
	}
	cp, err := latestCheckpoint(ctx, q)
	if omadata.ErrorCode(err) == omadata.ENOTFOUND {
		return ev, nil, nil
	} else if err != nil {
		return nil, nil, err
	}
	if ev.Index != nil && *ev.Index < cp.Size {
		r := &hashStore{ctx: ctx, q: q}
		if ev.Proof, err = proveInclusion(r, *ev.Index, cp.Size, ev.LeafHash); err != nil {
			return nil, nil, fmt.Errorf("prove inclusion: %w", err)
		}
	}
	return ev, cp, nil
}

// FindPeerByLogOrigin returns the ID of the peer operator whose log has
// origin, as its resolved metadata says: the operator a log leaf's peer
// reference names. ENOTFOUND for an origin of no known peer. Peers'
// metadata is public (their entity configurations), so any caller may ask.
func (s *Store) FindPeerByLogOrigin(ctx context.Context, origin string) (string, error) {
	rows, err := s.db.reader().query(ctx, `SELECT operator_id, metadata FROM peers ORDER BY operator_id`)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	for rows.Next() {
		var id, raw string
		if err := rows.Scan(&id, &raw); err != nil {
			return "", err
		}
		var md omadata.OperatorMetadata
		if json.Unmarshal([]byte(raw), &md) == nil && md.LogOrigin == origin && origin != "" {
			return id, nil
		}
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	return "", omadata.NotFound("peer")
}
