// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/omadata/omadata"
)

// The log's side of witnessing (docs/witnessing.md §3): the cosignatures
// collected for the operator's own checkpoints, and what the collector
// knows of each witness. The collector verifies each cosignature before it
// stores it; these methods are the operator's own machinery.

// AddCosignatures implements omadata.WitnessService, in one transaction.
func (s *Store) AddCosignatures(ctx context.Context, size int64, cs []*omadata.Cosignature) error {
	if size < 0 {
		return omadata.Invalidf("size", "The size is 0 or more.")
	}
	for _, c := range cs {
		if err := validCosignature(c); err != nil {
			return err
		}
	}
	if len(cs) == 0 {
		return nil
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, c := range cs {
		if _, err := tx.exec(ctx, `INSERT INTO log_cosignatures (size, witness, key_hash, signed_at, line, received_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (size, witness) DO NOTHING`, size, c.Witness, int64(c.KeyHash), c.Time.UTC(), c.Line, tx.now); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func validCosignature(c *omadata.Cosignature) error {
	switch {
	case c == nil:
		return omadata.Invalidf("witness", "No cosignature given.")
	case validOrigin("witness", c.Witness) != nil:
		return omadata.Invalidf("witness", "Not a witness name.")
	case c.Time.IsZero():
		return omadata.Invalidf("time", "The cosignature's time is missing.")
	case len(c.Line) > 1000 || !strings.HasPrefix(c.Line, "— "+c.Witness+" ") || !strings.HasSuffix(c.Line, "\n") || strings.Count(c.Line, "\n") != 1:
		return omadata.Invalidf("line", "Not one signature line of the witness.")
	}
	return nil
}

// FindCosignatures implements omadata.WitnessService, by witness name.
func (s *Store) FindCosignatures(ctx context.Context, size int64) ([]*omadata.Cosignature, error) {
	rows, err := s.db.reader().query(ctx, `SELECT size, witness, key_hash, signed_at, line, received_at FROM log_cosignatures WHERE size = ? ORDER BY witness`, size)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r interface{ Scan(...any) error }) (*omadata.Cosignature, error) {
		var c omadata.Cosignature
		var keyHash int64
		err := r.Scan(&c.Size, &c.Witness, &keyHash, Time{&c.Time}, &c.Line, Time{&c.ReceivedAt})
		c.KeyHash = uint32(keyHash)
		return &c, err
	})
}

// CosignedSizes implements omadata.WitnessService.
func (s *Store) CosignedSizes(ctx context.Context, limit int) ([]int64, error) {
	if limit <= 0 {
		return nil, omadata.Invalidf("limit", "The limit is 1 or more.")
	}
	rows, err := s.db.reader().query(ctx, `SELECT DISTINCT size FROM log_cosignatures ORDER BY size DESC LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r interface{ Scan(...any) error }) (int64, error) {
		var n int64
		return n, r.Scan(&n)
	})
}

// CheckpointAt implements omadata.WitnessService.
func (s *Store) CheckpointAt(ctx context.Context, size int64) (*omadata.Checkpoint, error) {
	var cp omadata.Checkpoint
	err := s.db.reader().queryRow(ctx, `SELECT size, root_hash, note, created_at FROM log_checkpoints WHERE size = ? ORDER BY seq DESC LIMIT 1`, size).
		Scan(&cp.Size, &cp.RootHash, &cp.Note, Time{&cp.CreatedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, omadata.NotFound("checkpoint")
	} else if err != nil {
		return nil, err
	}
	cp.Origin, _, _ = strings.Cut(cp.Note, "\n")
	return &cp, nil
}

// WitnessProgress implements omadata.WitnessService, by witness name.
func (s *Store) WitnessProgress(ctx context.Context) ([]*omadata.WitnessProgress, error) {
	rows, err := s.db.reader().query(ctx, `SELECT witness, size, cosigned_at, last_error, tried_at FROM log_witness_progress ORDER BY witness`)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r interface{ Scan(...any) error }) (*omadata.WitnessProgress, error) {
		var p omadata.WitnessProgress
		return &p, r.Scan(&p.Witness, &p.Size, NullTime{&p.CosignedAt}, &p.LastError, NullTime{&p.TriedAt})
	})
}

// SetWitnessProgress implements omadata.WitnessService: it replaces what
// is known of p.Witness.
func (s *Store) SetWitnessProgress(ctx context.Context, p *omadata.WitnessProgress) error {
	switch {
	case p == nil || validOrigin("witness", p.Witness) != nil:
		return omadata.Invalidf("witness", "Not a witness name.")
	case p.Size < 0:
		return omadata.Invalidf("size", "The size is 0 or more.")
	case len(p.LastError) > 1000:
		return omadata.Invalidf("last_error", "At most 1000 bytes.")
	}
	return s.db.execOne(ctx, `INSERT INTO log_witness_progress (witness, size, cosigned_at, last_error, tried_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (witness) DO UPDATE SET size = excluded.size, cosigned_at = excluded.cosigned_at, last_error = excluded.last_error, tried_at = excluded.tried_at`,
		p.Witness, p.Size, utcPtr(p.CosignedAt), strings.ToValidUTF8(strings.ReplaceAll(p.LastError, "\x00", ""), "?"), utcPtr(p.TriedAt))
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
