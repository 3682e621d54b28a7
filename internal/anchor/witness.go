// SPDX-License-Identifier: Apache-2.0

package anchor

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"database/sql"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/witness"
)

// The anchor is a witness of every active member's log
// (docs/witnessing.md §1, §2): Anchor implements witness.State on its own
// tables, anchor_witness_logs and anchor_witness_forks, with the
// compare-and-swap of the operators' witness_logs.
var _ witness.State = (*Anchor)(nil)

// WitnessPrefix is the tlog-witness submission prefix under the anchor's
// ID (docs/witnessing.md §2).
const WitnessPrefix = "/witness/v1"

// WitnessKeyPath is the anchor's witness key file beside its federation
// key file (docs/witnessing.md §1).
func WitnessKeyPath(keyPath string) string { return keyPath + ".witness" }

// LoadWitnessKey reads the anchor's Ed25519 witness key, a PKCS #8 PEM
// file, creating it when it does not exist. Like the federation key file
// it must be the owner's alone (0600).
func LoadWitnessKey(path string) (ed25519.PrivateKey, error) {
	b, err := secretFile(path, "anchor witness key file", func() ([]byte, error) {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		der, err := x509.MarshalPKCS8PrivateKey(priv)
		if err != nil {
			return nil, err
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
	})
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("anchor witness key file %s: not a PEM private key", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("anchor witness key file %s: %w", path, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("anchor witness key file %s: not an Ed25519 key", path)
	}
	return priv, nil
}

// WitnessName is the anchor's witness name: its entity ID's host and path
// followed by /witness (docs/witnessing.md §1).
func (a *Anchor) WitnessName() string { return omadata.WitnessName(a.ID) }

// witnessMetadata is the anchor's metadata.omadata_witness (network.md
// §2.1, §2.7).
type witnessMetadata struct {
	WitnessEndpoint    string `json:"witness_endpoint"`
	WitnessVerifierKey string `json:"witness_verifier_key"`
}

// MetadataWitness is the entity type of the anchor's witness metadata.
const MetadataWitness = "omadata_witness"

// syncWitnessLog records the member's log as one the anchor witnesses:
// its origin and log verifier key from the configuration just fetched and
// verified (admission, refresh). The state is kept. An origin already
// witnessed for another member is not taken over, nor is a key whose
// name is not the origin.
func syncWitnessLog(ctx context.Context, t *tx, now, entityID string, md *omadata.OperatorMetadata) error {
	if md.LogOrigin == "" || md.LogVerifierKey == "" {
		return nil
	}
	if v, err := note.NewVerifier(md.LogVerifierKey); err != nil || v.Name() != md.LogOrigin {
		return omadata.Invalidf("log_verifier_key", "The log verifier key of %s is not a signed-note verifier key named by its log origin.", entityID)
	}
	var owner, key string
	err := t.queryRow(ctx, `SELECT entity_id, verifier_key FROM anchor_witness_logs WHERE origin = ?`, md.LogOrigin).Scan(&owner, &key)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		_, err = t.exec(ctx, `INSERT INTO anchor_witness_logs (origin, entity_id, verifier_key, updated_at) VALUES (?, ?, ?, ?)`,
			md.LogOrigin, entityID, md.LogVerifierKey, now)
		return err
	case err != nil:
		return err
	case owner != entityID:
		return omadata.Conflictf("log_origin", "The log origin %s is witnessed for another member.", md.LogOrigin)
	case key == md.LogVerifierKey:
		return nil
	}
	_, err = t.exec(ctx, `UPDATE anchor_witness_logs SET verifier_key = ?, updated_at = ? WHERE origin = ?`, md.LogVerifierKey, now, md.LogOrigin)
	return err
}

const witnessLogColumns = `w.origin, w.entity_id, w.verifier_key, w.size, w.root_hash, w.checkpoint, w.forked, w.cosigned_at, w.updated_at, m.status`

func scanWitnessLog(r interface{ Scan(...any) error }) (*omadata.WitnessedLog, error) {
	var l omadata.WitnessedLog
	var key, cosigned, updated, status string
	var forked int
	if err := r.Scan(&l.Origin, &l.OperatorID, &key, &l.Size, &l.RootHash, &l.Checkpoint, &forked, &cosigned, &updated, &status); err != nil {
		return nil, err
	}
	l.VerifierKeys = []string{key}
	l.Source = omadata.WitnessLogPeer
	l.Active = status == omadata.MemberActive
	l.Forked = forked != 0
	if cosigned != "" {
		t := parseTime(cosigned)
		l.CosignedAt = &t
	}
	l.UpdatedAt = parseTime(updated)
	return &l, nil
}

// WitnessedLog returns the member's log of origin (witness.State): active
// while the member is; ENOTFOUND when no member's log has that origin.
func (a *Anchor) WitnessedLog(ctx context.Context, origin string) (*omadata.WitnessedLog, error) {
	l, err := scanWitnessLog(a.DB.queryRow(ctx, `SELECT `+witnessLogColumns+` FROM anchor_witness_logs w JOIN anchor_members m ON m.entity_id = w.entity_id WHERE w.origin = ?`, origin))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, omadata.NotFound("log")
	}
	return l, err
}

// WitnessedLogs lists every member's log the anchor ever witnessed.
func (a *Anchor) WitnessedLogs(ctx context.Context) ([]*omadata.WitnessedLog, error) {
	rows, err := a.DB.query(ctx, `SELECT `+witnessLogColumns+` FROM anchor_witness_logs w JOIN anchor_members m ON m.entity_id = w.entity_id ORDER BY w.origin`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*omadata.WitnessedLog
	for rows.Next() {
		l, err := scanWitnessLog(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// AdvanceWitness moves the state of a member's log from (OldSize,
// OldRoot) to the new checkpoint in one transaction, only if it still
// holds (OldSize, OldRoot) (witness.State, docs/witnessing.md §2):
// *omadata.WitnessConflict with the size it holds otherwise, EFORBIDDEN
// when a fork froze the origin, ENOTFOUND when the origin is no active
// member's log.
func (a *Anchor) AdvanceWitness(ctx context.Context, adv omadata.WitnessAdvance) error {
	t, err := a.DB.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	now := formatTime(a.now())
	// The conditional UPDATE is the compare-and-swap: on PostgreSQL a
	// concurrent transaction that changed the row first makes it match
	// nothing (READ COMMITTED re-checks the WHERE on the new row).
	res, err := t.exec(ctx, `UPDATE anchor_witness_logs SET size = ?, root_hash = ?, checkpoint = ?, cosigned_at = ?, updated_at = ?
		WHERE origin = ? AND size = ? AND root_hash = ? AND forked = 0
		AND entity_id IN (SELECT entity_id FROM anchor_members WHERE status = 'active')`,
		adv.Size, adv.RootHash, adv.Checkpoint, now, now, adv.Origin, adv.OldSize, adv.OldRoot)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 1 {
		return t.Commit()
	}
	var size int64
	var forked int
	var status string
	err = t.queryRow(ctx, `SELECT w.size, w.forked, m.status FROM anchor_witness_logs w JOIN anchor_members m ON m.entity_id = w.entity_id WHERE w.origin = ?`, adv.Origin).Scan(&size, &forked, &status)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return omadata.NotFound("log")
	case err != nil:
		return err
	case status != omadata.MemberActive:
		return omadata.NotFound("log")
	case forked != 0:
		return omadata.Forbiddenf("origin", "Forked: frozen until an admin resolves it.")
	}
	return &omadata.WitnessConflict{Size: size}
}

// RecordWitnessFork keeps the evidence of a fork and freezes its origin,
// in one transaction (witness.State, docs/witnessing.md §4). The anchor
// has no webhooks: its report is the ERROR line the witness logs and
// `omadata network anchor forks`.
func (a *Anchor) RecordWitnessFork(ctx context.Context, f *omadata.WitnessFork) error {
	if f.ID == "" {
		f.ID = omadata.NewID(omadata.PrefixWitnessFork)
	}
	if f.DetectedAt.IsZero() {
		f.DetectedAt = a.now().UTC()
	}
	if f.Seen == "" {
		f.Seen = omadata.ForkSeenAddCheckpoint
	}
	proof, err := json.Marshal(append([]string{}, f.Proof...))
	if err != nil {
		return err
	}
	t, err := a.DB.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	res, err := t.exec(ctx, `UPDATE anchor_witness_logs SET forked = 1, updated_at = ? WHERE origin = ?`, formatTime(a.now()), f.Origin)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return omadata.NotFound("log")
	}
	if _, err := t.exec(ctx, `INSERT INTO anchor_witness_forks (id, origin, seen, known, conflicting, proof, detected_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		f.ID, f.Origin, f.Seen, f.Known, f.Conflicting, string(proof), formatTime(f.DetectedAt)); err != nil {
		return fmt.Errorf("record the fork: %w", err)
	}
	return t.Commit()
}

const forkColumns = `id, origin, seen, known, conflicting, proof, detected_at, resolved_at, resolved_by, resolution, reason`

func scanFork(r interface{ Scan(...any) error }) (*omadata.WitnessFork, error) {
	var f omadata.WitnessFork
	var proof, detected, resolved string
	if err := r.Scan(&f.ID, &f.Origin, &f.Seen, &f.Known, &f.Conflicting, &proof, &detected, &resolved, &f.ResolvedBy, &f.Resolution, &f.Reason); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(proof), &f.Proof); err != nil {
		return nil, fmt.Errorf("fork %s proof: %w", f.ID, err)
	}
	f.DetectedAt = parseTime(detected)
	if resolved != "" {
		t := parseTime(resolved)
		f.ResolvedAt = &t
	}
	return &f, nil
}

// WitnessForks lists the fork evidence, newest first.
func (a *Anchor) WitnessForks(ctx context.Context) ([]*omadata.WitnessFork, error) {
	rows, err := a.DB.query(ctx, `SELECT `+forkColumns+` FROM anchor_witness_forks ORDER BY detected_at DESC, id DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*omadata.WitnessFork
	for rows.Next() {
		f, err := scanFork(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// ResolveWitnessFork unfreezes the fork's origin keeping the old (the
// checkpoint cosigned before) or the new (the conflicting one) checkpoint
// as the latest cosigned (docs/witnessing.md §4), audited in anchor_audit
// with reason and actor. The evidence stays. The origin stays frozen
// while another fork of it is unresolved. Keeping the new one is refused
// (EINVALID on keep) unless it is larger than the checkpoint held.
func (a *Anchor) ResolveWitnessFork(ctx context.Context, id, keep, reason, actor string) (*omadata.WitnessFork, error) {
	switch {
	case keep != "old" && keep != "new":
		return nil, omadata.Invalidf("keep", "Keep old or new.")
	case strings.TrimSpace(reason) == "":
		return nil, omadata.Invalidf("reason", "Resolving a fork needs a reason.")
	case strings.TrimSpace(actor) == "":
		return nil, omadata.Invalidf("by", "Resolving a fork names who did it.")
	}
	t, err := a.DB.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer t.Rollback()
	f, err := scanFork(t.queryRow(ctx, `SELECT `+forkColumns+` FROM anchor_witness_forks WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, omadata.NotFound("fork")
	} else if err != nil {
		return nil, err
	} else if f.ResolvedAt != nil {
		return nil, omadata.Conflictf("id", "The fork %s was resolved on %s.", id, f.ResolvedAt.Format("2006-01-02 15:04"))
	}
	now := formatTime(a.now())
	if keep == "new" {
		cp, err := witness.ParseCheckpoint(noteText(f.Conflicting))
		if err != nil {
			return nil, fmt.Errorf("the conflicting checkpoint of fork %s: %w", id, err)
		}
		// The state never moves back, nor to another root of the size
		// held: the witness would cosign two roots of one size.
		var held int64
		if err := t.queryRow(ctx, `SELECT size FROM anchor_witness_logs WHERE origin = ?`, f.Origin).Scan(&held); err != nil {
			return nil, err
		} else if cp.Size <= held {
			return nil, omadata.Invalidf("keep", "Keep new only for a conflicting checkpoint larger than the one held (size %d, held %d).", cp.Size, held)
		}
		if _, err := t.exec(ctx, `UPDATE anchor_witness_logs SET size = ?, root_hash = ?, checkpoint = ?, updated_at = ? WHERE origin = ?`,
			cp.Size, cp.Root.String(), f.Conflicting, now, f.Origin); err != nil {
			return nil, err
		}
	}
	if _, err := t.exec(ctx, `UPDATE anchor_witness_forks SET resolved_at = ?, resolved_by = ?, resolution = ?, reason = ? WHERE id = ?`,
		now, actor, keep, reason, id); err != nil {
		return nil, err
	}
	if _, err := t.exec(ctx, `UPDATE anchor_witness_logs SET forked = 0, updated_at = ? WHERE origin = ?
		AND NOT EXISTS (SELECT 1 FROM anchor_witness_forks WHERE origin = ? AND resolved_at = '')`, now, f.Origin, f.Origin); err != nil {
		return nil, err
	}
	var entity string
	if err := t.queryRow(ctx, `SELECT entity_id FROM anchor_witness_logs WHERE origin = ?`, f.Origin).Scan(&entity); err != nil {
		return nil, err
	}
	if err := audit(ctx, t, now, actor, "resolve_fork", entity, reason, id+" keep "+keep+" origin "+f.Origin); err != nil {
		return nil, err
	}
	if err := t.Commit(); err != nil {
		return nil, err
	}
	at := parseTime(now)
	f.ResolvedAt, f.ResolvedBy, f.Resolution, f.Reason = &at, actor, keep, reason
	return f, nil
}

// noteText is the text of a signed note: up to and with the newline
// before the blank line that starts its signatures (signed-note §Format).
func noteText(signed string) string {
	if i := strings.Index(signed, "\n\n"); i >= 0 {
		return signed[:i+1]
	}
	return signed
}

// syncWitnessLog is syncWitnessLog in a transaction of its own (refresh).
func (a *Anchor) syncWitnessLog(ctx context.Context, entityID string, md *omadata.OperatorMetadata) error {
	t, err := a.DB.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	if err := syncWitnessLog(ctx, t, formatTime(a.now()), entityID, md); err != nil {
		return err
	}
	return t.Commit()
}
