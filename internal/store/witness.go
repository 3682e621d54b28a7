// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/omadata/omadata"
)

// The witness's state (docs/witnessing.md §2, §4): the logs this operator
// witnesses, each with the latest checkpoint it cosigned, and the evidence
// of forks. The cosignatures of the operator's own log are in
// witness_cosign.go.

var _ omadata.WitnessService = (*Store)(nil)

const witnessLogColumns = `origin, verifier_keys, source, operator_id, label, active, forked, size, root_hash, checkpoint, cosigned_at, updated_at`

func scanWitnessedLog(r interface{ Scan(...any) error }) (*omadata.WitnessedLog, error) {
	var l omadata.WitnessedLog
	err := r.Scan(&l.Origin, jsonScan{&l.VerifierKeys}, &l.Source, &l.OperatorID, &l.Label, &l.Active, &l.Forked,
		&l.Size, &l.RootHash, &l.Checkpoint, NullTime{&l.CosignedAt}, Time{&l.UpdatedAt})
	return &l, err
}

func findWitnessedLog(ctx context.Context, q querier, origin string) (*omadata.WitnessedLog, error) {
	l, err := scanWitnessedLog(q.queryRow(ctx, `SELECT `+witnessLogColumns+` FROM witness_logs WHERE origin = ?`, origin))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, omadata.NotFound("witnessed log")
	}
	return l, err
}

// WitnessedLog implements omadata.WitnessService. The witness reads it for
// every request it answers, so it needs no caller: what it returns is what
// the witness would publish anyway (the logs it witnesses and the
// checkpoints it cosigned).
func (s *Store) WitnessedLog(ctx context.Context, origin string) (*omadata.WitnessedLog, error) {
	return findWitnessedLog(ctx, s.db.reader(), origin)
}

// FindWitnessedLogs implements omadata.WitnessService, by origin.
func (s *Store) FindWitnessedLogs(ctx context.Context) ([]*omadata.WitnessedLog, error) {
	rows, err := s.db.reader().query(ctx, `SELECT `+witnessLogColumns+` FROM witness_logs ORDER BY origin`)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanWitnessedLog)
}

// PutWitnessedLog implements omadata.WitnessService, for an admin caller.
// A log of source WitnessLogAdmin needs a reason, is put active (an admin
// removes it with RemoveWitnessedLog) and is audited (witness.log_added);
// a peer's log is the network worker's (which runs as the operator's
// admin), written from the peer's trust chain without audit. A log keeps
// its source: an origin witnessed as a peer's is not taken over by an
// admin, even while the peer is suspended (its sync would then fail every
// round), nor an admin's by a peer while it is active; nor is an active
// peer's log by another peer (ECONFLICT on origin). A log keeps its state,
// but for one an admin removed and adds again: that starts afresh, as the
// way to follow a log that started over (docs/witnessing.md §4), audited
// with the state it forgets.
func (s *Store) PutWitnessedLog(ctx context.Context, l *omadata.WitnessedLog) error {
	if err := validWitnessedLog(l); err != nil {
		return err
	}
	// A peer's log is put by the network worker, which runs as the
	// operator's admin: no one else starts or stops witnessing a log.
	if err := requireAdmin(ctx); err != nil {
		return err
	} else if l.Source == omadata.WitnessLogAdmin && !l.Active {
		return omadata.Invalidf("active", "An admin's log is removed with RemoveWitnessedLog, not put inactive.")
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	old, err := findWitnessedLog(ctx, tx, l.Origin)
	if err != nil && omadata.ErrorCode(err) != omadata.ENOTFOUND {
		return err
	}
	if old != nil && old.Source != l.Source && old.Active {
		return omadata.Conflictf("source", "The origin is already witnessed as a log of source %q.", old.Source)
	}
	// A member's log is bound to its operator ID (network.md §2.4 step 7):
	// another member's chain never takes over its keys and state.
	if old != nil && old.Source == omadata.WitnessLogPeer && l.Source == omadata.WitnessLogPeer && old.Active && old.OperatorID != l.OperatorID {
		return omadata.Conflictf("origin", "The origin %s is witnessed as the log of another member.", l.Origin)
	}
	if old != nil && old.Source == omadata.WitnessLogPeer && l.Source == omadata.WitnessLogAdmin {
		return omadata.Conflictf("origin", "The origin %s is a network member's log (%s), witnessed again if the member is readmitted: an admin cannot add it.", l.Origin, old.OperatorID)
	}
	if old == nil && !l.Active {
		return omadata.NotFound("witnessed log")
	}
	// A log does not witness itself: its own cosignature would count
	// toward its own policy (docs/witnessing.md §1).
	if own, err := firstOrigin(ctx, tx); err != nil {
		return err
	} else if own != "" && own == l.Origin {
		return omadata.Conflictf("origin", "The origin %s is this operator's own log: a log is not its own witness.", l.Origin)
	}
	if _, err := tx.exec(ctx, `INSERT INTO witness_logs (origin, verifier_keys, source, operator_id, label, active, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (origin) DO UPDATE SET verifier_keys = excluded.verifier_keys, source = excluded.source, operator_id = excluded.operator_id,
			label = excluded.label, active = excluded.active, updated_at = excluded.updated_at`,
		l.Origin, jsonValue{l.VerifierKeys}, l.Source, l.OperatorID, l.Label, l.Active, tx.now); err != nil {
		return err
	}
	// Added again after an admin removed it: the witness forgets the
	// checkpoint it cosigned (not the forks, which stay until resolved).
	reset := old != nil && old.Source == omadata.WitnessLogAdmin && !old.Active && l.Source == omadata.WitnessLogAdmin && l.Active && old.Checkpoint != ""
	if reset {
		if _, err := tx.exec(ctx, `UPDATE witness_logs SET size = 0, root_hash = '', checkpoint = '', cosigned_at = NULL WHERE origin = ?`, l.Origin); err != nil {
			return err
		}
	}
	if l.Source == omadata.WitnessLogAdmin {
		details := map[string]any{"verifier_keys": l.VerifierKeys, "label": l.Label, "reason": l.Reason}
		if reset {
			details["reset"] = map[string]any{"size": old.Size, "root_hash": old.RootHash, "checkpoint": old.Checkpoint}
		}
		if err := s.audit(ctx, tx, "witness.log_added", "witnessed_log", l.Origin, details); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// RemoveWitnessedLog implements omadata.WitnessService: an admin stops
// witnessing a log an admin added, keeping its state and evidence; the
// witness answers its requests 404 (docs/witnessing.md §2). A network
// member's log is the network's: ECONFLICT on origin. Audited
// (witness.log_removed, with the reason).
func (s *Store) RemoveWitnessedLog(ctx context.Context, origin, reason string) error {
	if err := requireAdmin(ctx); err != nil {
		return err
	} else if err := validOrigin("origin", origin); err != nil {
		return err
	} else if strings.TrimSpace(reason) == "" {
		return omadata.Invalidf("reason", "Say why the log is no longer witnessed.")
	} else if err := omadata.CheckText("reason", reason, 500); err != nil {
		return err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	l, err := findWitnessedLog(ctx, tx, origin)
	if err != nil {
		return err
	} else if l.Source != omadata.WitnessLogAdmin {
		return omadata.Conflictf("origin", "The origin %s is a network member's log: it is witnessed as long as the member is one.", origin)
	}
	if _, err := tx.exec(ctx, `UPDATE witness_logs SET active = ?, updated_at = ? WHERE origin = ?`, false, tx.now, origin); err != nil {
		return err
	}
	if err := s.audit(ctx, tx, "witness.log_removed", "witnessed_log", origin, map[string]any{"reason": reason}); err != nil {
		return err
	}
	return tx.Commit()
}

func validWitnessedLog(l *omadata.WitnessedLog) error {
	if l == nil {
		return omadata.Invalidf("origin", "No log given.")
	} else if err := validOrigin("origin", l.Origin); err != nil {
		return err
	}
	switch l.Source {
	case omadata.WitnessLogAdmin:
		if strings.TrimSpace(l.Reason) == "" {
			return omadata.Invalidf("reason", "Say why the log is added or removed.")
		} else if err := omadata.CheckText("reason", l.Reason, 500); err != nil {
			return err
		} else if l.OperatorID != "" {
			return omadata.Invalidf("operator_id", "Only a network member's log has an operator ID.")
		}
	case omadata.WitnessLogPeer:
		if l.OperatorID == "" {
			return omadata.Invalidf("operator_id", "A network member's log needs the member's operator ID.")
		} else if err := omadata.CheckText("operator_id", l.OperatorID, 500); err != nil {
			return err
		}
	default:
		return omadata.Invalidf("source", "The source is %q or %q.", omadata.WitnessLogAdmin, omadata.WitnessLogPeer)
	}
	if err := omadata.CheckText("label", l.Label, 200); err != nil {
		return err
	} else if strings.ContainsAny(l.Label, "\n\t") {
		return omadata.Invalidf("label", "The label is one line.")
	}
	if len(l.VerifierKeys) == 0 {
		return omadata.Invalidf("verifier_keys", "Give the log's verifier key.")
	} else if len(l.VerifierKeys) > 16 {
		return omadata.Invalidf("verifier_keys", "At most 16 keys.")
	}
	for _, k := range l.VerifierKeys {
		// note.NewVerifier takes signed-note Ed25519 keys (algorithm 1),
		// the keys of tlog-checkpoint logs.
		v, err := note.NewVerifier(k)
		if err != nil {
			return omadata.Invalidf("verifier_keys", "Not a signed-note Ed25519 verifier key: %.80q.", k)
		} else if v.Name() != l.Origin {
			return omadata.Invalidf("verifier_keys", "The key's name %q is not the origin %q.", v.Name(), l.Origin)
		}
	}
	return nil
}

// validOrigin checks a checkpoint origin: a non-empty line of printable
// characters without spaces (tlog-checkpoint; signed-note key names may
// hold no space or "+").
func validOrigin(field, origin string) error {
	if origin == "" {
		return omadata.Invalidf(field, "Give the log's origin.")
	} else if len(origin) > 500 {
		return omadata.Invalidf(field, "At most 500 bytes.")
	}
	for _, r := range origin {
		if r <= ' ' || r == 0x7f || r == '+' {
			return omadata.Invalidf(field, "The origin has no spaces, line breaks, control characters or \"+\".")
		}
	}
	return nil
}

// AdvanceWitness implements omadata.WitnessService: one conditional
// UPDATE, so that of two instances moving one origin from one state only
// the first moves it (on PostgreSQL the second waits for the first's row
// lock and then finds the condition false).
func (s *Store) AdvanceWitness(ctx context.Context, a omadata.WitnessAdvance) error {
	if err := validAdvance(&a); err != nil {
		return err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.exec(ctx, `UPDATE witness_logs SET size = ?, root_hash = ?, checkpoint = ?, cosigned_at = ?, updated_at = ?
		WHERE origin = ? AND size = ? AND root_hash = ? AND NOT forked AND active`,
		a.Size, a.RootHash, a.Checkpoint, tx.now, tx.now, a.Origin, a.OldSize, a.OldRoot)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 1 {
		return tx.Commit()
	}
	l, err := findWitnessedLog(ctx, tx, a.Origin)
	switch {
	case err != nil:
		return err
	case !l.Active:
		return omadata.NotFound("witnessed log")
	case l.Forked:
		return omadata.Errorf(omadata.EFORBIDDEN, "The log is frozen by a fork until an admin resolves it.")
	}
	return &omadata.WitnessConflict{Size: l.Size}
}

func validAdvance(a *omadata.WitnessAdvance) error {
	if err := validOrigin("origin", a.Origin); err != nil {
		return err
	}
	switch {
	case a.OldSize < 0:
		return omadata.Invalidf("old_size", "The old size is 0 or more.")
	case a.Size < a.OldSize:
		return omadata.Invalidf("size", "The size is not less than the old size.")
	case a.OldRoot != "" && !validHash(a.OldRoot):
		return omadata.Invalidf("old_root", "Not a base64 SHA-256 hash.")
	}
	if len(a.Checkpoint) > 64<<10 {
		return omadata.Invalidf("checkpoint", "At most 64 KiB.")
	}
	cp, err := parseCheckpoint(a.Checkpoint)
	if err != nil {
		return omadata.Invalidf("checkpoint", "Not a signed checkpoint: %s.", err)
	} else if cp.origin != a.Origin || cp.size != a.Size || cp.root != a.RootHash {
		return omadata.Invalidf("checkpoint", "The checkpoint's origin, size and root hash are not those given.")
	}
	return nil
}

func validHash(s string) bool {
	b, err := base64.StdEncoding.DecodeString(s)
	return err == nil && len(b) == 32
}

// checkpointHead is what the store reads of a signed checkpoint.
type checkpointHead struct {
	origin string
	size   int64
	root   string
}

// parseCheckpoint reads the origin, size and root hash of a signed
// checkpoint (tlog-checkpoint §Note text: the first three lines of the
// note text). It checks no signature: the witness did that before
// storing it.
func parseCheckpoint(signed string) (*checkpointHead, error) {
	text, sigs, ok := strings.Cut(signed, "\n\n")
	if !ok || sigs == "" {
		return nil, errors.New("no signature lines")
	}
	lines := strings.Split(text, "\n")
	if len(lines) < 3 {
		return nil, errors.New("fewer than three lines")
	}
	if validOrigin("", lines[0]) != nil {
		return nil, errors.New("bad origin line")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return nil, errors.New("bad size line")
	}
	if !validHash(lines[2]) {
		return nil, errors.New("bad root hash line")
	}
	return &checkpointHead{origin: lines[0], size: size, root: lines[2]}, nil
}
