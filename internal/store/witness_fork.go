// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/omadata/omadata"
)

// Fork evidence (docs/witnessing.md §4): two signed checkpoints of one
// origin that cannot both be true. The database refuses to change or
// delete a row's evidence (migration 025's triggers); only its resolution
// is ever written, once.

const witnessForkColumns = `id, origin, seen, known, conflicting, proof, detected_at, resolved_at, resolved_by, resolution, reason`

func scanWitnessFork(r interface{ Scan(...any) error }) (*omadata.WitnessFork, error) {
	var f omadata.WitnessFork
	err := r.Scan(&f.ID, &f.Origin, &f.Seen, &f.Known, &f.Conflicting, jsonScan{&f.Proof}, Time{&f.DetectedAt}, NullTime{&f.ResolvedAt},
		&f.ResolvedBy, &f.Resolution, &f.Reason)
	return &f, err
}

// RecordWitnessFork implements omadata.WitnessService. It keeps f.ID if
// the caller gave one (the witness names the fork in its logs before it
// records it), else sets a new wfk_ ID, and sets f.DetectedAt; and sends omadata.EventLogForkDetected to
// every approved local service with a webhook. The origin stays frozen
// until every fork of it is resolved. ENOTFOUND if the origin is not a
// log this witness knows.
func (s *Store) RecordWitnessFork(ctx context.Context, f *omadata.WitnessFork) error {
	if err := validWitnessFork(f); err != nil {
		return err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.exec(ctx, `UPDATE witness_logs SET forked = ?, updated_at = ? WHERE origin = ?`, true, tx.now, f.Origin)
	if err != nil {
		return err
	} else if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return omadata.NotFound("witnessed log")
	}
	id := f.ID
	if id == "" {
		id = omadata.NewID(omadata.PrefixWitnessFork)
	}
	proof := f.Proof
	if proof == nil {
		proof = []string{}
	}
	if _, err := tx.exec(ctx, `INSERT INTO witness_forks (id, origin, seen, known, conflicting, proof, detected_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		id, f.Origin, f.Seen, f.Known, f.Conflicting, jsonValue{proof}, tx.now); err != nil {
		return err
	}
	rows, err := tx.query(ctx, `SELECT id FROM services WHERE status = 'approved' AND COALESCE(`+s.db.d.jsonText("endpoints", "webhook")+`, '') <> '' ORDER BY id`)
	if err != nil {
		return err
	}
	ids, err := collect(rows, func(r interface{ Scan(...any) error }) (string, error) {
		var id string
		return id, r.Scan(&id)
	})
	if err != nil {
		return err
	}
	data := map[string]any{"fork_id": id, "origin": f.Origin, "seen": f.Seen, "known": f.Known, "conflicting": f.Conflicting}
	to := make([]recipient, len(ids))
	for i, sid := range ids {
		to[i] = recipient{serviceID: sid, data: data}
	}
	if err := s.enqueue(ctx, tx, omadata.EventLogForkDetected, id, to); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	f.ID, f.DetectedAt, f.Proof = id, tx.now, proof
	f.ResolvedAt, f.ResolvedBy, f.Resolution, f.Reason = nil, "", "", ""
	return nil
}

func validWitnessFork(f *omadata.WitnessFork) error {
	if f == nil {
		return omadata.Invalidf("origin", "No fork given.")
	} else if f.ID != "" && !omadata.ValidID(omadata.PrefixWitnessFork, f.ID) {
		return omadata.Invalidf("id", "Not a fork ID (wfk_…).")
	} else if err := validOrigin("origin", f.Origin); err != nil {
		return err
	} else if f.Seen != omadata.ForkSeenAddCheckpoint && f.Seen != omadata.ForkSeenPeerRecord {
		return omadata.Invalidf("seen", "Seen is %q or %q.", omadata.ForkSeenAddCheckpoint, omadata.ForkSeenPeerRecord)
	}
	for _, c := range []struct{ field, text string }{{"known", f.Known}, {"conflicting", f.Conflicting}} {
		if len(c.text) > 64<<10 {
			return omadata.Invalidf(c.field, "At most 64 KiB.")
		}
		cp, err := parseCheckpoint(c.text)
		if err != nil {
			return omadata.Invalidf(c.field, "Not a signed checkpoint: %s.", err)
		} else if cp.origin != f.Origin {
			return omadata.Invalidf(c.field, "The checkpoint's origin is not %q.", f.Origin)
		}
	}
	if f.Known == f.Conflicting {
		return omadata.Invalidf("conflicting", "The two checkpoints are the same.")
	} else if len(f.Proof) > 63 {
		return omadata.Invalidf("proof", "At most 63 hashes.")
	}
	for _, h := range f.Proof {
		if !validHash(h) {
			return omadata.Invalidf("proof", "Not a base64 SHA-256 hash: %.60q.", h)
		}
	}
	return nil
}

// FindWitnessForks implements omadata.WitnessService, newest first.
func (s *Store) FindWitnessForks(ctx context.Context) ([]*omadata.WitnessFork, error) {
	rows, err := s.db.reader().query(ctx, `SELECT `+witnessForkColumns+` FROM witness_forks ORDER BY detected_at DESC, id DESC`)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanWitnessFork)
}

// ResolveWitnessFork implements omadata.WitnessService, for an admin:
// "old" keeps the latest checkpoint the witness cosigned, "new" makes the
// conflicting checkpoint the latest, and the origin is unfrozen unless
// another fork of it is unresolved. The evidence stays; its resolution is
// audited (witness.fork_resolved).
// ENOTFOUND for an unknown fork, ECONFLICT for one resolved already,
// EINVALID on keep for "new" when the conflicting checkpoint is not
// larger than the one held (the state never moves back).
func (s *Store) ResolveWitnessFork(ctx context.Context, id, keep, reason string) error {
	if err := requireAdmin(ctx); err != nil {
		return err
	}
	if !omadata.ValidID(omadata.PrefixWitnessFork, id) {
		return omadata.NotFound("fork")
	} else if keep != "old" && keep != "new" {
		return omadata.Invalidf("keep", "Keep is \"old\" or \"new\".")
	} else if len(reason) == 0 {
		return omadata.Invalidf("reason", "Say why the fork is resolved this way.")
	} else if err := omadata.CheckText("reason", reason, 500); err != nil {
		return err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	f, err := scanWitnessFork(tx.queryRow(ctx, `SELECT `+witnessForkColumns+` FROM witness_forks WHERE id = ?`+s.db.d.forUpdate(), id))
	if errors.Is(err, sql.ErrNoRows) {
		return omadata.NotFound("fork")
	} else if err != nil {
		return err
	} else if f.ResolvedAt != nil {
		return omadata.Conflictf("id", "The fork was resolved already.")
	}
	cp, err := parseCheckpoint(f.Conflicting)
	if err != nil {
		return err // checked when recorded
	}
	res, err := tx.exec(ctx, `UPDATE witness_forks SET resolved_at = ?, resolved_by = ?, resolution = ?, reason = ? WHERE id = ? AND resolved_at IS NULL`,
		tx.now, changeActor(ctx), keep, reason, id)
	if err != nil {
		return err
	} else if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n != 1 {
		return omadata.Conflictf("id", "The fork was resolved already.")
	}
	// Lock the origin's row before counting its open forks: a fork
	// recorded meanwhile (which locks the row first) is then counted, and
	// does not end up unfrozen by this resolution.
	var held int64
	if err := tx.queryRow(ctx, `SELECT size FROM witness_logs WHERE origin = ?`+s.db.d.forUpdate(), f.Origin).Scan(&held); err != nil {
		return err
	}
	// The state never moves back, nor to another root of the size held:
	// the witness would cosign two roots of one size. A log that started
	// over is followed by removing it and adding it again (PutWitnessedLog).
	if keep == "new" && cp.size <= held {
		return omadata.Invalidf("keep", "Keep new only for a conflicting checkpoint larger than the one held (size %d, held %d); to follow a log that started over, remove it and add it again.", cp.size, held)
	}
	var open int
	if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM witness_forks WHERE origin = ? AND resolved_at IS NULL`, f.Origin).Scan(&open); err != nil {
		return err
	}
	// Keeping the old checkpoint leaves the state as it is: the latest
	// checkpoint cosigned, the known one or one the witness cosigned after
	// it (consistent with it) before the fork froze the origin. Keeping the
	// new one makes it the state, though the witness never cosigned it.
	if keep == "old" {
		_, err = tx.exec(ctx, `UPDATE witness_logs SET forked = ?, updated_at = ? WHERE origin = ?`, open > 0, tx.now, f.Origin)
	} else {
		_, err = tx.exec(ctx, `UPDATE witness_logs SET size = ?, root_hash = ?, checkpoint = ?, forked = ?, cosigned_at = NULL, updated_at = ? WHERE origin = ?`,
			cp.size, cp.root, f.Conflicting, open > 0, tx.now, f.Origin)
	}
	if err != nil {
		return err
	}
	if err := s.audit(ctx, tx, "witness.fork_resolved", "witness_fork", id, map[string]any{"origin": f.Origin, "keep": keep, "reason": reason}); err != nil {
		return err
	}
	return tx.Commit()
}
