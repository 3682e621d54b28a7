// SPDX-License-Identifier: Apache-2.0

package omadata

import (
	"context"
	"strings"
	"time"
)

// KeyPurposeWitness is the purpose of the Ed25519 key with which the
// operator, as a witness, cosigns other logs' checkpoints
// (docs/witnessing.md §1).
const KeyPurposeWitness = "witness"

// EventLogForkDetected is the webhook event a fork raises
// (docs/witnessing.md §4).
const EventLogForkDetected = "log.fork_detected"

// PrefixWitnessFork is the ID prefix of fork evidence.
const PrefixWitnessFork = "wfk"

// Where a witnessed log's keys come from.
const (
	WitnessLogPeer  = "peer"  // an active member of the network, from its trust chain
	WitnessLogAdmin = "admin" // added by an admin, by origin and key
)

// How a fork was seen.
const (
	ForkSeenAddCheckpoint = "add_checkpoint" // a log asked this witness to cosign it
	ForkSeenPeerRecord    = "peer_record"    // read while checking a peer's record
)

// WitnessName is the witness name of the operator whose public URL is
// issuer: its log origin with "/log" replaced by "/witness".
func WitnessName(issuer string) string {
	return strings.TrimSuffix(LogOrigin(issuer), "/log") + "/witness"
}

// WitnessedLog is a log this operator witnesses and the latest
// checkpoint of it that it cosigned.
type WitnessedLog struct {
	Origin       string   `json:"origin"`
	VerifierKeys []string `json:"verifier_keys"` // signed-note verifier keys trusted for Origin
	Source       string   `json:"source"`        // WitnessLogPeer or WitnessLogAdmin
	OperatorID   string   `json:"operator_id,omitempty"`
	Label        string   `json:"label,omitempty"`
	Active       bool     `json:"active"` // false: removed, or no longer a member; answers 404
	// Forked freezes the origin until an admin resolves its fork.
	Forked bool `json:"forked"`
	// The latest checkpoint cosigned: size 0 and no note when none yet.
	Size       int64      `json:"size"`
	RootHash   string     `json:"root_hash,omitempty"` // standard base64
	Checkpoint string     `json:"checkpoint,omitempty"`
	CosignedAt *time.Time `json:"cosigned_at,omitempty"`
	UpdatedAt  time.Time  `json:"updated_at"`
	// Reason says why an admin adds or removes the log: audited with the
	// change (PutWitnessedLog), not kept with the log.
	Reason string `json:"reason,omitempty"`
}

// WitnessAdvance moves a witnessed log's state from (OldSize, OldRoot) to
// the new checkpoint, if it still holds (OldSize, OldRoot).
type WitnessAdvance struct {
	Origin     string
	OldSize    int64
	OldRoot    string // standard base64; "" when OldSize is 0
	Size       int64
	RootHash   string
	Checkpoint string // the signed note, verbatim
}

// WitnessConflict is the error AdvanceWitness returns when the state moved
// on: Size is the latest size the witness holds now (tlog-witness's 409).
type WitnessConflict struct {
	Size int64
}

func (e *WitnessConflict) Error() string {
	return "witness: the latest cosigned checkpoint has another size or root"
}

// WitnessFork is evidence of a fork: two signed checkpoints of one origin
// that cannot both be true (docs/witnessing.md §4).
type WitnessFork struct {
	ID          string     `json:"id"`
	Origin      string     `json:"origin"`
	Seen        string     `json:"seen"`        // ForkSeen*
	Known       string     `json:"known"`       // the checkpoint cosigned before, verbatim
	Conflicting string     `json:"conflicting"` // the other one, verbatim
	Proof       []string   `json:"proof,omitempty"`
	DetectedAt  time.Time  `json:"detected_at"`
	ResolvedAt  *time.Time `json:"resolved_at,omitempty"`
	ResolvedBy  string     `json:"resolved_by,omitempty"`
	Resolution  string     `json:"resolution,omitempty"` // "old" or "new": the checkpoint kept
	Reason      string     `json:"reason,omitempty"`
}

// Cosignature is a witness's cosignature on one of this operator's own
// checkpoints.
type Cosignature struct {
	Size       int64     `json:"size"`    // of the checkpoint cosigned
	Witness    string    `json:"witness"` // the witness's name
	KeyHash    uint32    `json:"key_hash"`
	Time       time.Time `json:"time"` // the cosignature's timestamp
	Line       string    `json:"line"` // the note signature line, verbatim, with its "\n"
	ReceivedAt time.Time `json:"received_at"`
}

// WitnessProgress is what the collector knows of one witness of its log.
type WitnessProgress struct {
	Witness    string     `json:"witness"` // name
	Size       int64      `json:"size"`    // the last size it cosigned
	CosignedAt *time.Time `json:"cosigned_at,omitempty"`
	LastError  string     `json:"last_error,omitempty"`
	TriedAt    *time.Time `json:"tried_at,omitempty"`
}

// WitnessService keeps the witness's state and evidence and the
// cosignatures collected for the operator's own log.
type WitnessService interface {
	// WitnessedLog returns a log by origin; ENOTFOUND if never added.
	WitnessedLog(ctx context.Context, origin string) (*WitnessedLog, error)
	// FindWitnessedLogs lists every log, active or not.
	FindWitnessedLogs(ctx context.Context) ([]*WitnessedLog, error)
	// PutWitnessedLog adds a log or replaces its keys, label and activity,
	// keeping its state, but for a log an admin removed and adds again,
	// which starts afresh; the caller is the operator's admin. A log added
	// by an admin is audited (it is put active, and never over a peer's
	// origin, ECONFLICT); peers' logs are synchronised by the network
	// worker, which runs as the operator's admin. ECONFLICT on source for
	// an active log of the other source, on origin for an active peer's
	// log put for another operator.
	PutWitnessedLog(ctx context.Context, l *WitnessedLog) error
	// RemoveWitnessedLog stops witnessing a log an admin added, keeping
	// its state: admin caller, a reason, audited; ENOTFOUND if never
	// added; ECONFLICT on origin for a network member's log.
	RemoveWitnessedLog(ctx context.Context, origin, reason string) error
	// AdvanceWitness compare-and-swaps the state, in one transaction:
	// *WitnessConflict when it no longer holds a.OldSize and a.OldRoot;
	// EFORBIDDEN when the origin is frozen by a fork; ENOTFOUND when the
	// origin is unknown or inactive.
	AdvanceWitness(ctx context.Context, a WitnessAdvance) error
	// RecordWitnessFork stores the evidence, freezes the origin and
	// enqueues EventLogForkDetected, in one transaction.
	RecordWitnessFork(ctx context.Context, f *WitnessFork) error
	// FindWitnessForks lists the evidence, newest first.
	FindWitnessForks(ctx context.Context) ([]*WitnessFork, error)
	// ResolveWitnessFork unfreezes the fork's origin keeping the old or
	// the new checkpoint as the latest cosigned; audited. EINVALID on keep
	// for "new" unless the conflicting checkpoint is larger than the one
	// held: the state never moves back.
	ResolveWitnessFork(ctx context.Context, id, keep, reason string) error

	// AddCosignatures stores verified cosignatures of the own log's
	// checkpoint of size; a witness's second line for one size replaces
	// nothing (the first is kept).
	AddCosignatures(ctx context.Context, size int64, cs []*Cosignature) error
	// FindCosignatures returns the cosignatures of the checkpoint of size.
	FindCosignatures(ctx context.Context, size int64) ([]*Cosignature, error)
	// CheckpointAt returns the own log's checkpoint of size; ENOTFOUND if none.
	CheckpointAt(ctx context.Context, size int64) (*Checkpoint, error)
	// WitnessProgress and SetWitnessProgress keep the collector's view of
	// each witness.
	WitnessProgress(ctx context.Context) ([]*WitnessProgress, error)
	SetWitnessProgress(ctx context.Context, p *WitnessProgress) error
	// CosignedSizes returns the sizes of the own checkpoints that have at
	// least one cosignature, largest first, at most limit.
	CosignedSizes(ctx context.Context, limit int) ([]int64, error)
}

// WitnessRef names a witness of the operator's log.
type WitnessRef struct {
	Name        string `json:"name"`         // the witness's key name
	VerifierKey string `json:"verifier_key"` // cosignature/v1 verifier key
	URL         string `json:"url,omitempty"`
	Label       Text   `json:"label"` // what residents read: the peer's name, the anchor, an outside witness's label
	OperatorID  string `json:"operator_id,omitempty"`
}

// WitnessedCheckpoint is the newest checkpoint of the operator's own log
// that meets its witness policy (docs/witnessing.md §5).
type WitnessedCheckpoint struct {
	Checkpoint
	// Note here is the signed note followed by the cosignature lines.
	Cosigners []WitnessRef `json:"cosigners"` // whose cosignature verified, in policy order
	Quorum    int          `json:"quorum"`    // k: how many the policy needs
	Witnesses int          `json:"witnesses"` // n: how many it names
}

// WitnessedLogService answers which checkpoint of the operator's own log
// counts as witnessed.
type WitnessedLogService interface {
	// WitnessedCheckpoint returns the newest checkpoint that meets the
	// policy; ENOTFOUND when none does yet.
	WitnessedCheckpoint(ctx context.Context) (*WitnessedCheckpoint, error)
	// WitnessPolicy returns the policy file (docs/witnessing.md §5).
	WitnessPolicy(ctx context.Context) ([]byte, error)
	// Witnesses lists the witnesses the collector asks.
	Witnesses(ctx context.Context) ([]WitnessRef, error)
}
