// SPDX-License-Identifier: Apache-2.0

package omadata

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// KeyPurposeLog is the purpose of the Ed25519 key that signs the
// transparency log's checkpoints.
const KeyPurposeLog = "log"

// Kinds of transparency log leaves. Consent leaves are "consent." and the
// record's status; request leaves are "request." and the request's kind
// and status; admin leaves are "admin." and the change's action.
const (
	LeafDecisionPermit   = "decision.permit"
	LeafGrantIssued      = "grant.issued"
	LeafTransferRecorded = "transfer.recorded"
)

// Record kinds a leaf commits to: the table of the record, by name.
const (
	RecordConsent     = "consent_record"
	RecordDecision    = "decision"
	RecordGrant       = "grant"
	RecordTransfer    = "transfer"
	RecordRequest     = "request_record"
	RecordAdminChange = "admin_change"
)

// LogLeaf is the content of one transparency log leaf. It carries no
// personal data: the resident appears only as a commitment, a keyed hash
// under a key of their own that erasure destroys. Its encoding (Bytes) is
// RFC 8785 canonical JSON: members in code-point order, no insignificant
// whitespace, and only strings and small integers as values.
type LogLeaf struct {
	Kind string `json:"kind"`
	// Peer references the leaf of the same release in a peer operator's
	// log (docs/network.md); absent for a release within one operator.
	Peer         *LeafPeer `json:"peer,omitempty"`
	ProcessingID string    `json:"processing_id,omitempty"`
	Record       string    `json:"record"`        // ID of the record committed to
	RecordKind   string    `json:"record_kind"`   // its table (Record* constants)
	RecordSHA256 string    `json:"record_sha256"` // digest of the record's immutable content
	SinkID       string    `json:"sink_id,omitempty"`
	SourceIDs    []string  `json:"source_ids,omitempty"`
	Subject      string    `json:"subject,omitempty"` // commitment to the resident
	Time         string    `json:"time"`              // RFC 3339, UTC
	Version      int       `json:"v"`
}

// Bytes returns the leaf's canonical encoding, the bytes the log hashes.
func (l *LogLeaf) Bytes() []byte { return l.AppendBytes(make([]byte, 0, 320)) }

// AppendBytes appends the leaf's canonical encoding to b: what
// encoding/json makes of the struct without HTML escaping, members in the
// struct's order (which is code-point order), built without reflection.
func (l *LogLeaf) AppendBytes(b []byte) []byte {
	b = append(b, `{"kind":`...)
	b = AppendJSONString(b, l.Kind, false)
	if l.Peer != nil {
		b = append(b, `,"peer":{"origin":`...)
		b = AppendJSONString(b, l.Peer.Origin, false)
		b = append(b, `,"record":`...)
		b = AppendJSONString(b, l.Peer.Record, false)
		b = append(b, '}')
	}
	if l.ProcessingID != "" {
		b = append(b, `,"processing_id":`...)
		b = AppendJSONString(b, l.ProcessingID, false)
	}
	b = append(b, `,"record":`...)
	b = AppendJSONString(b, l.Record, false)
	b = append(b, `,"record_kind":`...)
	b = AppendJSONString(b, l.RecordKind, false)
	b = append(b, `,"record_sha256":`...)
	b = AppendJSONString(b, l.RecordSHA256, false)
	if l.SinkID != "" {
		b = append(b, `,"sink_id":`...)
		b = AppendJSONString(b, l.SinkID, false)
	}
	if len(l.SourceIDs) > 0 {
		b = append(b, `,"source_ids":[`...)
		for i, id := range l.SourceIDs {
			if i > 0 {
				b = append(b, ',')
			}
			b = AppendJSONString(b, id, false)
		}
		b = append(b, ']')
	}
	if l.Subject != "" {
		b = append(b, `,"subject":`...)
		b = AppendJSONString(b, l.Subject, false)
	}
	b = append(b, `,"time":`...)
	b = AppendJSONString(b, l.Time, false)
	b = append(b, `,"v":`...)
	b = strconv.AppendInt(b, int64(l.Version), 10)
	return append(b, '}')
}

// AppendJSONString appends s as a JSON string exactly as encoding/json
// encodes it: control characters, quote and backslash escaped, invalid
// UTF-8 as U+FFFD, U+2028 and U+2029 escaped, and with escapeHTML also
// <, > and &. The log's leaves and record digests are built with it.
func AppendJSONString(b []byte, s string, escapeHTML bool) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && (!escapeHTML || c != '<' && c != '>' && c != '&') {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// ParseLogLeaf decodes leaf bytes.
func ParseLogLeaf(data []byte) (*LogLeaf, error) {
	var l LogLeaf
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return nil, Invalidf("leaf", "The leaf is not a log leaf: %v", err)
	}
	if len(l.SourceIDs) == 0 {
		l.SourceIDs = nil // [] and no member encode alike: omitted
	}
	return &l, nil
}

// LogOrigin is the log's origin (the first line of its checkpoints and
// the name of its key) for the operator whose public URL is issuer:
// "omadata.example/log" for "https://omadata.example".
func LogOrigin(issuer string) string {
	o := issuer
	for _, p := range []string{"https://", "http://"} {
		o = strings.TrimPrefix(o, p)
	}
	o = strings.TrimSuffix(o, "/")
	o = strings.Map(func(r rune) rune {
		if r <= ' ' || r == '+' || r == 0x7f {
			return -1
		}
		return r
	}, o)
	if o == "" {
		o = "omadata"
	}
	return o + "/log"
}

// LogTime formats a leaf's time.
func LogTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// SubjectCommitment is the commitment to a resident in the leaf that
// commits to record: HMAC-SHA256 under the resident's own log key, so that
// leaves of one resident cannot be linked to each other or to them
// without it.
func SubjectCommitment(residentKey []byte, record string) string {
	m := hmac.New(sha256.New, residentKey)
	m.Write([]byte("omadata log subject v1\n"))
	m.Write([]byte(record))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// LogEntry is a leaf as the log serves it: its index in the tree (absent
// while it waits for the next checkpoint), the leaf itself, and its bytes
// as hashed (base64).
type LogEntry struct {
	Index      *int64    `json:"index"`
	Leaf       *LogLeaf  `json:"leaf"`
	LeafData   string    `json:"leaf_data"` // base64 of the exact leaf bytes
	LeafHash   string    `json:"leaf_hash,omitempty"`
	AppendedAt time.Time `json:"appended_at"`
}

// Checkpoint is a signed tree head in the C2SP tlog-checkpoint format.
type Checkpoint struct {
	Origin    string    `json:"origin"`
	Size      int64     `json:"size"`
	RootHash  string    `json:"root_hash"` // standard base64
	Note      string    `json:"note"`      // the signed note, verbatim
	CreatedAt time.Time `json:"created_at"`
}

// CheckpointFilter pages through the checkpoints, newest first: After is
// the cursor a previous page returned.
type CheckpointFilter struct {
	After string
	Limit int
}

// InclusionProof proves that the leaf at Index is in the tree of Size.
type InclusionProof struct {
	Index    int64    `json:"index"`
	Size     int64    `json:"size"`
	LeafHash string   `json:"leaf_hash"`
	Hashes   []string `json:"hashes"` // standard base64, leaf to root
}

// ConsistencyProof proves that the tree of Old is a prefix of the tree of New.
type ConsistencyProof struct {
	Old    int64    `json:"old"`
	New    int64    `json:"new"`
	Hashes []string `json:"hashes"`
}

// LogService serves the transparency log.
type LogService interface {
	// LatestCheckpoint returns the newest signed checkpoint.
	LatestCheckpoint(ctx context.Context) (*Checkpoint, error)
	// FindCheckpoints lists the signed checkpoints, newest first.
	FindCheckpoints(ctx context.Context, f CheckpointFilter) ([]*Checkpoint, string, error)
	// LogEntryAt returns the leaf at index.
	LogEntryAt(ctx context.Context, index int64) (*LogEntry, error)
	// ProveInclusion proves the leaf at index in the tree of size; size 0
	// means the latest checkpoint's.
	ProveInclusion(ctx context.Context, index, size int64) (*InclusionProof, error)
	// ProveInclusionByHash finds the leaf by its hash (base64) first.
	ProveInclusionByHash(ctx context.Context, leafHash string, size int64) (*InclusionProof, error)
	// ProveConsistency proves the tree of old a prefix of the tree of new.
	ProveConsistency(ctx context.Context, old, new int64) (*ConsistencyProof, error)
	// IntegrateLog puts leaves appended since the last checkpoint into the
	// tree and signs a new checkpoint; nil when there was nothing to do.
	IntegrateLog(ctx context.Context) (*Checkpoint, error)
}

// LogEvent is a log entry with its inclusion proof in the tree of the
// latest checkpoint; Proof is absent while the leaf waits for the next one.
type LogEvent struct {
	LogEntry
	Proof *InclusionProof `json:"proof,omitempty"`
}

// Usage is one use of a resident's data as the log records it: a
// permitting decision, a grant or a transfer, with who, what, why and on
// what ground, and the log entry that proves it.
type Usage struct {
	Kind         string    `json:"kind"` // decision.permit, grant.issued, transfer.recorded
	Time         time.Time `json:"time"`
	RecordID     string    `json:"record_id"`
	SinkID       string    `json:"sink_id"`
	SourceID     string    `json:"source_id"`
	DataGroupIDs []string  `json:"data_group_ids"`
	PurposeID    string    `json:"purpose_id"`
	ProcessingID string    `json:"processing_id"`
	ConsentID    string    `json:"consent_id,omitempty"`  // the ground: a consent,
	LegalBasis   string    `json:"legal_basis,omitempty"` // or a non-consent legal basis
	// OwnView marks the resident's own view of their data at a source
	// (OwnAccessPurposeID): the operator fetched it for them to see or take.
	OwnView bool `json:"own_view,omitempty"`
	// SinkOperator names the peer operator the sink is registered at,
	// for a use by another operator's sink; nil for a local sink.
	SinkOperator *OperatorRef `json:"sink_operator,omitempty"`
	Log          LogEvent     `json:"log"`
}

// UsageFilter selects a resident's usage, newest first.
type UsageFilter struct {
	ResidentID string // the caller or someone they represent
	// HandedOver keeps only the transfers of data to others: no
	// decisions or grants, and none of the resident's own views.
	HandedOver bool
	Before     int64 // the cursor: leaves appended before this one; 0 from the newest
	Limit      int
}

// LogEventFilter selects a service's own log events, newest first.
type LogEventFilter struct {
	ServiceID string // the caller's service; admins any
	// RecordID keeps the leaves that commit to this record (a decision, a
	// grant, a transfer); "" keeps all.
	RecordID string
	Before   int64
	Limit    int
}

// UsageService answers "who used my data" for residents and services.
type UsageService interface {
	// FindUsage returns every permitting decision, grant and transfer that
	// concerned the resident, newest first, each with its proof, and the
	// cursor of the next page ("" at the end).
	FindUsage(ctx context.Context, f UsageFilter) ([]*Usage, string, error)
	// FindLogEvents returns the log events the service is a party to.
	// ENOTFOUND if the service does not exist or is not visible to the
	// caller (a service sees only its own).
	FindLogEvents(ctx context.Context, f LogEventFilter) ([]*LogEvent, string, error)
}
