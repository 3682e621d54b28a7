// SPDX-License-Identifier: Apache-2.0

// Package witnesstest holds real, in-memory implementations of the
// services internal/witness works with, for tests: a transparency log
// (omadata.LogService, RFC 6962 trees with golang.org/x/mod/sumdb/tlog,
// checkpoints signed as C2SP signed notes) and a witness state
// (omadata.WitnessService). The store suite holds the database ones to the
// same behaviour.
package witnesstest

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strconv"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/keys"
)

// Log is an in-memory transparency log: leaves appended, then integrated
// into the tree and a signed checkpoint by IntegrateLog.
type Log struct {
	Origin      string
	VerifierKey string
	Key         ed25519.PrivateKey

	signer note.Signer

	mu          sync.Mutex
	pending     []*omadata.LogEntry
	entries     []*omadata.LogEntry
	hashes      []tlog.Hash // stored hashes, numbered as tlog.StoredHashIndex numbers them
	checkpoints []*omadata.Checkpoint
}

var _ omadata.LogService = (*Log)(nil)

// NewLog returns an empty log of origin with a new Ed25519 key.
func NewLog(origin string) (*Log, error) {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	return NewLogWithKey(origin, key)
}

// NewLogWithKey returns an empty log of origin signing with key: two logs
// with one key and different leaves are a fork.
func NewLogWithKey(origin string, key ed25519.PrivateKey) (*Log, error) {
	s, vkey, err := keys.NoteSigner(origin, key)
	if err != nil {
		return nil, err
	}
	return &Log{Origin: origin, VerifierKey: vkey, Key: key, signer: s}, nil
}

// Append appends a leaf; it joins the tree at the next IntegrateLog.
func (l *Log) Append(leaf *omadata.LogLeaf) {
	l.mu.Lock()
	defer l.mu.Unlock()
	data := leaf.Bytes()
	h := tlog.RecordHash(data)
	l.pending = append(l.pending, &omadata.LogEntry{
		Leaf: leaf, LeafData: base64.StdEncoding.EncodeToString(data), LeafHash: h.String(), AppendedAt: time.Now().UTC(),
	})
}

// Grow appends n leaves named by tag and integrates them, returning the
// new checkpoint.
func (l *Log) Grow(ctx context.Context, n int, tag string) (*omadata.Checkpoint, error) {
	for i := range n {
		l.Append(&omadata.LogLeaf{
			Kind: omadata.LeafDecisionPermit, Record: tag + "-" + strconv.Itoa(len(l.entries)+i),
			RecordKind: omadata.RecordDecision, RecordSHA256: tag, Time: omadata.LogTime(time.Unix(0, 0)), Version: 1,
		})
	}
	return l.IntegrateLog(ctx)
}

func (l *Log) readHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(l.hashes)) {
			return nil, fmt.Errorf("hash %d not stored", x)
		}
		out[i] = l.hashes[x]
	}
	return out, nil
}

// IntegrateLog implements omadata.LogService.
func (l *Log) IntegrateLog(ctx context.Context) (*omadata.Checkpoint, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.pending) == 0 {
		return nil, nil
	}
	for _, e := range l.pending {
		data, _ := base64.StdEncoding.DecodeString(e.LeafData)
		idx := int64(len(l.entries))
		hs, err := tlog.StoredHashes(idx, data, tlog.HashReaderFunc(l.readHashes))
		if err != nil {
			return nil, err
		}
		l.hashes = append(l.hashes, hs...)
		e.Index = &idx
		l.entries = append(l.entries, e)
	}
	l.pending = nil
	size := int64(len(l.entries))
	root, err := tlog.TreeHash(size, tlog.HashReaderFunc(l.readHashes))
	if err != nil {
		return nil, err
	}
	signed, err := l.sign(fmt.Sprintf("%s\n%d\n%s\n", l.Origin, size, root))
	if err != nil {
		return nil, err
	}
	cp := &omadata.Checkpoint{Origin: l.Origin, Size: size, RootHash: root.String(), Note: string(signed), CreatedAt: time.Now().UTC()}
	l.checkpoints = append(l.checkpoints, cp)
	c := *cp
	return &c, nil
}

// Sign signs any note text with the log's key: for checkpoints the log
// never made, such as extension lines or a forged fork.
func (l *Log) Sign(text string) ([]byte, error) { return l.sign(text) }

func (l *Log) sign(text string) ([]byte, error) {
	return note.Sign(&note.Note{Text: text}, l.signer)
}

// LatestCheckpoint implements omadata.LogService.
func (l *Log) LatestCheckpoint(ctx context.Context) (*omadata.Checkpoint, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.checkpoints) == 0 {
		return nil, omadata.NotFound("checkpoint")
	}
	c := *l.checkpoints[len(l.checkpoints)-1]
	return &c, nil
}

// CheckpointAt returns the checkpoint of size; ENOTFOUND if none.
func (l *Log) CheckpointAt(size int64) (*omadata.Checkpoint, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, cp := range l.checkpoints {
		if cp.Size == size {
			c := *cp
			return &c, nil
		}
	}
	return nil, omadata.NotFound("checkpoint")
}

// FindCheckpoints implements omadata.LogService: newest first, After is
// the size of the last checkpoint of the page before.
func (l *Log) FindCheckpoints(ctx context.Context, f omadata.CheckpointFilter) ([]*omadata.Checkpoint, string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	var after int64 = -1
	if f.After != "" {
		n, err := strconv.ParseInt(f.After, 10, 64)
		if err != nil {
			return nil, "", omadata.Invalidf("after", "The cursor is not valid.")
		}
		after = n
	}
	var out []*omadata.Checkpoint
	for i := len(l.checkpoints) - 1; i >= 0 && len(out) < limit; i-- {
		if cp := l.checkpoints[i]; after < 0 || cp.Size < after {
			c := *cp
			out = append(out, &c)
		}
	}
	next := ""
	if len(out) == limit && out[len(out)-1].Size > l.checkpoints[0].Size {
		next = strconv.FormatInt(out[len(out)-1].Size, 10)
	}
	return out, next, nil
}

// LogEntryAt implements omadata.LogService.
func (l *Log) LogEntryAt(ctx context.Context, index int64) (*omadata.LogEntry, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if index < 0 || index >= int64(len(l.entries)) {
		return nil, omadata.NotFound("leaf")
	}
	e := *l.entries[index]
	return &e, nil
}

func (l *Log) size(size int64) (int64, error) {
	latest := int64(len(l.entries))
	if len(l.checkpoints) > 0 {
		latest = l.checkpoints[len(l.checkpoints)-1].Size
	}
	if size == 0 {
		size = latest
	}
	if size < 1 || size > latest {
		return 0, omadata.Invalidf("size", "The tree size must be from 1 to %d.", latest)
	}
	return size, nil
}

// ProveInclusion implements omadata.LogService.
func (l *Log) ProveInclusion(ctx context.Context, index, size int64) (*omadata.InclusionProof, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	size, err := l.size(size)
	if err != nil {
		return nil, err
	}
	if index < 0 || index >= size {
		return nil, omadata.Invalidf("index", "The index must be below the size %d.", size)
	}
	p, err := tlog.ProveRecord(size, index, tlog.HashReaderFunc(l.readHashes))
	if err != nil {
		return nil, err
	}
	return &omadata.InclusionProof{Index: index, Size: size, LeafHash: l.entries[index].LeafHash, Hashes: hashStrings(p)}, nil
}

// ProveInclusionByHash implements omadata.LogService.
func (l *Log) ProveInclusionByHash(ctx context.Context, leafHash string, size int64) (*omadata.InclusionProof, error) {
	l.mu.Lock()
	index := int64(-1)
	for i, e := range l.entries {
		if e.LeafHash == leafHash {
			index = int64(i)
			break
		}
	}
	l.mu.Unlock()
	if index < 0 {
		return nil, omadata.NotFound("leaf")
	}
	return l.ProveInclusion(ctx, index, size)
}

// ProveConsistency implements omadata.LogService.
func (l *Log) ProveConsistency(ctx context.Context, old, new int64) (*omadata.ConsistencyProof, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	new, err := l.size(new)
	if err != nil {
		return nil, err
	}
	if old < 1 || old > new {
		return nil, omadata.Invalidf("old", "The old tree size must be from 1 to %d.", new)
	}
	p, err := tlog.ProveTree(new, old, tlog.HashReaderFunc(l.readHashes))
	if err != nil {
		return nil, err
	}
	return &omadata.ConsistencyProof{Old: old, New: new, Hashes: hashStrings(p)}, nil
}

// TreeProof returns the consistency proof from old to new as tlog's type.
func (l *Log) TreeProof(ctx context.Context, old, new int64) (tlog.TreeProof, error) {
	if old == 0 {
		return nil, nil
	}
	p, err := l.ProveConsistency(ctx, old, new)
	if err != nil {
		return nil, err
	}
	var out tlog.TreeProof
	for _, s := range p.Hashes {
		h, err := tlog.ParseHash(s)
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, nil
}

func hashStrings(hs []tlog.Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.String()
	}
	return out
}
