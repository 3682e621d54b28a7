// SPDX-License-Identifier: Apache-2.0

package store

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/omadata/omadata"
)

// WithLog gives the store the transparency log's checkpoint signer and
// origin (the first line of every checkpoint, also the signer's key name).
func WithLog(signer note.Signer) Option {
	return func(s *Store) { s.logSigner = signer }
}

var _ omadata.LogService = (*Store)(nil)

// logAppend is what a change tells the log about itself.
type logAppend struct {
	kind         string
	recordKind   string
	recordID     string
	recordSHA256 string
	processingID string
	sinkID       string
	sourceIDs    []string
	residentID   string // "" when the change concerns no resident
	// residentKey, if set, is the resident's sealed log key as read with
	// the change's facts ("" when they have none yet): it is not read again.
	residentKey *string
	// peer references the same release's leaf in a peer operator's log
	// (docs/network.md §5.3, §5.4).
	peer *omadata.LeafPeer
}

// appendLog appends the change's leaf in the change's own transaction:
// the leaf, the services it concerns, and (on the erasable side) which
// resident it is about. The integrator gives it its place in the tree.
func (s *Store) appendLog(ctx context.Context, tx *Tx, a logAppend) error {
	stmts, err := s.logStatements(ctx, tx, a, tx.now)
	if err != nil {
		return err
	}
	return tx.run(ctx, stmts)
}

// logStatements returns the writes that append a's leaf at now, with the
// resident's log key read on q: on a transaction, or on the read pool by
// a write prepared before it takes the writer. A key made here is
// inserted with the leaf; if another write made one meanwhile, the
// insert conflicts and the write is done again.
func (s *Store) logStatements(ctx context.Context, q querier, a logAppend, now time.Time) ([]writeStmt, error) {
	leaf := &omadata.LogLeaf{
		Version: 1, Kind: a.kind, Time: omadata.LogTime(now),
		ProcessingID: a.processingID, SinkID: a.sinkID, SourceIDs: a.sourceIDs,
		Record: a.recordID, RecordKind: a.recordKind, RecordSHA256: a.recordSHA256, Peer: a.peer,
	}
	out := make([]writeStmt, 0, 6) // key, leaf, two parties, subject
	if a.residentID != "" {
		key, insert, err := s.residentLogKey(ctx, q, a.residentID, a.residentKey, now)
		if err != nil {
			return nil, err
		} else if insert != nil {
			out = append(out, *insert)
		}
		leaf.Subject = omadata.SubjectCommitment(key, a.recordID)
	}
	out = append(out, writeStmt{query: `INSERT INTO log_leaves (kind, record_kind, record_id, data, created_at) VALUES (?, ?, ?, ?, ?)`,
		args: []any{a.kind, a.recordKind, a.recordID, string(leaf.Bytes()), now}, rows: 1, checked: true})
	// The leaf's sequence number is not known before the insert: the
	// rows below find it by its record, which is unique to it. A leaf not
	// found is a NULL leaf_seq, which the database refuses, so these
	// statements check themselves and may commit in the round trip that
	// sends them (writeAhead).
	parties := append([]string{}, a.sourceIDs...)
	if a.sinkID != "" {
		parties = append(parties, a.sinkID)
	}
	var args []any
	for i, id := range parties {
		if id != "" && !slices.Contains(parties[:i], id) {
			args = append(args, id, a.recordID)
		}
	}
	if len(args) > 0 {
		out = append(out, writeStmt{query: partiesInsert(len(args) / 2), args: args, rows: int64(len(args) / 2), checked: true})
	}
	if a.residentID != "" {
		out = append(out, writeStmt{query: `INSERT INTO log_subjects (resident_id, leaf_seq) VALUES (?, (SELECT seq FROM log_leaves WHERE record_id = ?))`,
			args: []any{a.residentID, a.recordID}, rows: 1, checked: true})
	}
	return out, nil
}

// partiesInserts are the texts of partiesInsert for the usual numbers of
// parties: a sink and a source, or one of them.
var partiesInserts = [...]string{1: buildPartiesInsert(1), 2: buildPartiesInsert(2), 3: buildPartiesInsert(3)}

// partiesInsert inserts n parties of one leaf, in one statement: n pairs
// of arguments, each a service and the leaf's record.
func partiesInsert(n int) string {
	if n < len(partiesInserts) {
		return partiesInserts[n]
	}
	return buildPartiesInsert(n)
}

func buildPartiesInsert(n int) string {
	const row = `(?, (SELECT seq FROM log_leaves WHERE record_id = ?))`
	return `INSERT INTO log_parties (service_id, leaf_seq) VALUES ` + strings.Repeat(row+`, `, n-1) + row
}

// residentLogKey returns the resident's commitment key, read on q, and
// when they have none yet a new one with the write that stores it. It is
// sealed like the resident's other personal data; erasing the resident
// deletes it.
func (s *Store) residentLogKey(ctx context.Context, q querier, residentID string, sealed *string, now time.Time) ([]byte, *writeStmt, error) {
	if s.keyring == nil {
		return nil, nil, errors.New("store: no keyring configured")
	}
	if sealed != nil {
		if *sealed != "" {
			key, err := openResidentLogKey(s.keyring, residentID, *sealed)
			return key, nil, err
		}
	} else if key, err := findResidentLogKey(ctx, q, s.keyring, residentID); err != nil || key != nil {
		return key, nil, err
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, nil, err
	}
	b, err := s.keyring.Seal(key, residentLogKeyAD(residentID))
	if err != nil {
		return nil, nil, err
	}
	return key, &writeStmt{query: `INSERT INTO resident_log_keys (resident_id, key_sealed, created_at) VALUES (?, ?, ?)`,
		args: []any{residentID, base64.StdEncoding.EncodeToString(b), now}, rows: 1, checked: true,
		conflict: errLogKeyRace}, nil
}

// errLogKeyRace is the conflict of a write that made a resident's first
// log key while another write made one too: redone, it reads that key.
var errLogKeyRace = omadata.Conflictf("resident", "The resident changed meanwhile; try again.")

// findResidentLogKey opens the resident's stored log key; nil when they
// have none (never had, or erased).
func findResidentLogKey(ctx context.Context, q querier, kr omadata.Keyring, residentID string) ([]byte, error) {
	var sealed string
	err := q.queryRow(ctx, `SELECT key_sealed FROM resident_log_keys WHERE resident_id = ?`, residentID).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	return openResidentLogKey(kr, residentID, sealed)
}

// openResidentLogKey opens a resident's sealed log key as stored.
func openResidentLogKey(kr omadata.Keyring, residentID, sealed string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil {
		return nil, fmt.Errorf("resident log key: %w", err)
	}
	return kr.Open(b, residentLogKeyAD(residentID))
}

// residentLogKeyAD binds a sealed log key to its resident.
func residentLogKeyAD(residentID string) []byte { return []byte("log:" + residentID) }

// recordDigest is the SHA-256 (hex) of a record's immutable content: its
// columns as a JSON object with sorted keys, times in RFC 3339 UTC. The
// verifier recomputes it from the stored row.
func recordDigest(fields map[string]any) string {
	sum := sha256.Sum256(recordJSON(fields))
	return hex.EncodeToString(sum[:])
}

// recordJSON is what recordDigest hashes.
func recordJSON(fields map[string]any) []byte {
	for k, v := range fields {
		switch t := v.(type) {
		case time.Time:
			fields[k] = omadata.LogTime(t)
		case *time.Time:
			if t == nil {
				fields[k] = nil
			} else {
				fields[k] = omadata.LogTime(*t)
			}
		}
	}
	b, err := json.Marshal(fields)
	if err != nil {
		panic("store: record digest: " + err.Error()) // strings, numbers, bools and string lists only
	}
	return b
}

// logLockKey is the advisory lock that keeps one integrator at a time on
// PostgreSQL; on SQLite one process integrates, and the checkpoint's
// compare-and-swap refuses a second integration of the same leaves.
const logLockKey = 7283492

// integrateBatch is the most leaves one integration takes, and
// integrateWrite the most it writes in one transaction. The second bounds
// how long the integration holds SQLite's one writer, which every other
// write waits for (BenchmarkIntegrateHold): each transaction adds a
// checkpoint of its own.
const (
	integrateBatch = 20000
	integrateWrite = 256
)

// integrateRace, if set, runs between an integration's reads and its
// write: tests make another integration win the race there.
var integrateRace func()

// integrateTimed, if set, hears of every integration that signed: how many
// leaves, how long it held the writer (SQLite: from queueing for it until
// its commit, which a group commit shares with other calls; PostgreSQL:
// its whole transaction until the commit) and how long it took in all.
// Benchmarks read it.
var integrateTimed func(leaves int, held, total time.Duration)

// IntegrateLog gives the leaves appended since the last checkpoint their
// place in the tree, stores the tree's new hashes and signs a checkpoint:
// up to integrateBatch leaves, in transactions of up to integrateWrite
// leaves that each sign a checkpoint. It returns the last checkpoint.
// With no new leaves it does nothing and returns nil, except that the
// very first call signs the empty tree.
func (s *Store) IntegrateLog(ctx context.Context) (*omadata.Checkpoint, error) {
	var last *omadata.Checkpoint
	for done := 0; done < integrateBatch; {
		cp, n, err := s.integrate(ctx, min(integrateWrite, integrateBatch-done))
		if err != nil {
			return nil, err
		} else if cp == nil {
			break
		}
		last, done = cp, done+n
		if n < integrateWrite {
			break
		}
	}
	return last, nil
}

// integrate integrates up to limit leaves in one transaction and returns
// the checkpoint it signed and how many leaves it integrated.
//
// It reads the new leaves and the hashes it needs, computes the tree and
// signs the checkpoint before it writes, from committed rows: on SQLite
// on the read pool, beside the writer, so that decisions do not wait for
// any of it. Only the inserts and the checkpoint row take the writer, in
// a transaction that first checks that the last checkpoint is still the
// one the integration started from; if another integration came first,
// it writes nothing and returns nil. On PostgreSQL, which has no one
// writer, it all runs in one transaction holding the advisory lock.
func (s *Store) integrate(ctx context.Context, limit int) (*omadata.Checkpoint, int, error) {
	if s.logSigner == nil {
		return nil, 0, errors.New("store: no checkpoint signer configured")
	}
	start := time.Now()
	var tx *Tx // PostgreSQL: the transaction holding the lock
	var q querier = s.db.reader()
	now := s.db.now()
	horizon := int64(1) // SQLite: every committed leaf (txid 0) is final
	if s.db.d.name() == "postgres" {
		var err error
		if tx, err = s.db.begin(ctx); err != nil {
			return nil, 0, err
		}
		defer tx.Rollback()
		q, now = tx, tx.now
		var locked bool
		if err := tx.queryRow(ctx, `SELECT pg_try_advisory_xact_lock(?)`, logLockKey).Scan(&locked); err != nil {
			return nil, 0, err
		} else if !locked {
			return nil, 0, nil // another instance is integrating
		}
		if err := tx.queryRow(ctx, `SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint`).Scan(&horizon); err != nil {
			return nil, 0, err
		}
	}
	cpSeq, size, lastTxid, lastSeq := int64(-1), int64(0), int64(-1), int64(0)
	err := q.queryRow(ctx, `SELECT seq, size, last_txid, last_seq FROM log_checkpoints ORDER BY seq DESC LIMIT 1`).Scan(&cpSeq, &size, &lastTxid, &lastSeq)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, 0, err
	}
	var rows *sql.Rows
	if s.db.d.name() == "postgres" {
		rows, err = q.query(ctx, `SELECT seq, txid, data FROM log_leaves WHERE (txid > ? OR (txid = ? AND seq > ?)) AND txid < ? ORDER BY txid, seq LIMIT ?`,
			lastTxid, lastTxid, lastSeq, horizon, limit)
	} else { // one writer: sequence order is commit order, and seq is the table's key
		rows, err = q.query(ctx, `SELECT seq, txid, data FROM log_leaves WHERE seq > ? ORDER BY seq LIMIT ?`, lastSeq, limit)
	}
	if err != nil {
		return nil, 0, err
	}
	type pending struct {
		seq, txid int64
		data      string
	}
	leaves, err := collect(rows, func(r interface{ Scan(...any) error }) (pending, error) {
		var p pending
		return p, r.Scan(&p.seq, &p.txid, &p.data)
	})
	if err != nil {
		return nil, 0, err
	}
	if len(leaves) == 0 && cpSeq >= 0 {
		return nil, 0, nil
	}

	hs := &hashStore{ctx: ctx, q: q, overlay: map[int64]tlog.Hash{}}
	var hashRows, indexRows []any
	keys := make([]leafKey, 0, len(leaves))
	for i, l := range leaves {
		n := size + int64(i)
		hashes, err := tlog.StoredHashes(n, []byte(l.data), hs)
		if err != nil {
			return nil, 0, fmt.Errorf("integrate leaf %d: %w", n, err)
		}
		base := tlog.StoredHashIndex(0, n)
		for j, h := range hashes {
			hs.overlay[base+int64(j)] = h
			hashRows = append(hashRows, base+int64(j), h[:])
		}
		leafHash := tlog.RecordHash([]byte(l.data))
		indexRows = append(indexRows, n, l.seq, leafHash.String())
		keys = append(keys, newLeafKey(n, leafHash))
		lastTxid, lastSeq = l.txid, l.seq
	}
	// In key order, so that consecutive inserts land on the same pages.
	slices.SortFunc(keys, func(a, b leafKey) int { return cmp.Or(cmp.Compare(a.part, b.part), cmp.Compare(a.hashKey, b.hashKey)) })
	keyRows := make([]any, 0, 3*len(keys))
	for _, k := range keys {
		keyRows = append(keyRows, k.part, k.hashKey, k.idx)
	}
	newSize := size + int64(len(leaves))
	root, err := treeHash(newSize, hs)
	if err != nil {
		return nil, 0, err
	}
	cp, err := s.signCheckpoint(newSize, root, now)
	if err != nil {
		return nil, 0, err
	}
	if lastTxid < 0 {
		lastTxid = 0
	}

	if integrateRace != nil {
		integrateRace()
	}
	held := start
	if tx == nil {
		held = time.Now()
		if tx, err = s.db.beginAt(ctx, now); err != nil {
			return nil, 0, err
		}
		defer tx.Rollback()
	}
	// The compare-and-swap: the tree grows only from the checkpoint it was
	// computed on.
	var last int64
	if err := tx.queryRow(ctx, `SELECT COALESCE(MAX(seq), -1) FROM log_checkpoints`).Scan(&last); err != nil {
		return nil, 0, err
	} else if last != cpSeq {
		return nil, 0, nil
	}
	if err := insertRows(ctx, tx, `INSERT INTO log_hashes (id, hash) VALUES `, 2, hashRows); err != nil {
		return nil, 0, err
	}
	if err := insertRows(ctx, tx, `INSERT INTO log_index (idx, leaf_seq, leaf_hash) VALUES `, 3, indexRows); err != nil {
		return nil, 0, err
	}
	if err := insertRows(ctx, tx, `INSERT INTO log_leaf_keys (part, hash_key, idx) VALUES `, 3, keyRows); err != nil {
		return nil, 0, err
	}
	if _, err := tx.exec(ctx, `INSERT INTO log_checkpoints (seq, size, root_hash, note, last_txid, last_seq, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		cpSeq+1, newSize, cp.RootHash, cp.Note, lastTxid, lastSeq, now); err != nil {
		return nil, 0, err
	}
	wrote := time.Since(held)
	if err := tx.Commit(); err != nil {
		return nil, 0, err
	}
	if integrateTimed != nil {
		integrateTimed(len(leaves), wrote, time.Since(start))
	}
	return cp, len(leaves), nil
}

// leafKeyPartBits splits log_leaf_keys into parts of 2^20 leaves
// (migration 011): a part's index, some 22 MB, stays in the writer's
// 64 MiB page cache while integration inserts into it, and a lookup by
// hash seeks once per part, ten times at 1e7 leaves.
const leafKeyPartBits = 20

// leafKey is a leaf's row in log_leaf_keys, which finds a leaf by its hash.
type leafKey struct{ part, hashKey, idx int64 }

func newLeafKey(idx int64, leafHash tlog.Hash) leafKey {
	return leafKey{idx >> leafKeyPartBits, leafHashKey(leafHash), idx}
}

// leafHashKey is the hash's first 60 bits: the first ten characters of
// its base64, which migration 011 decodes for leaves integrated before
// it, and non-negative in a signed 64-bit column.
func leafHashKey(h tlog.Hash) int64 { return int64(binary.BigEndian.Uint64(h[:8]) >> 4) }

// insertRows inserts rows of width columns in multi-row statements.
func insertRows(ctx context.Context, tx *Tx, prefix string, width int, args []any) error {
	const perStatement = 300
	row := "(" + strings.Repeat("?, ", width-1) + "?)"
	for len(args) > 0 {
		n := min(len(args)/width, perStatement)
		q := prefix + strings.Repeat(row+", ", n-1) + row
		if _, err := tx.exec(ctx, q, args[:n*width]...); err != nil {
			return err
		}
		args = args[n*width:]
	}
	return nil
}

// treeHash is the RFC 6962 root of the first n leaves; the empty tree's is
// SHA-256 of nothing.
func treeHash(n int64, r tlog.HashReader) (tlog.Hash, error) {
	if n == 0 {
		return sha256.Sum256(nil), nil
	}
	return tlog.TreeHash(n, r)
}

// signCheckpoint signs a C2SP tlog-checkpoint note of the tree.
func (s *Store) signCheckpoint(size int64, root tlog.Hash, at time.Time) (*omadata.Checkpoint, error) {
	origin := s.logSigner.Name()
	text := origin + "\n" + strconv.FormatInt(size, 10) + "\n" + root.String() + "\n"
	signed, err := note.Sign(&note.Note{Text: text}, s.logSigner)
	if err != nil {
		return nil, fmt.Errorf("sign checkpoint: %w", err)
	}
	return &omadata.Checkpoint{Origin: origin, Size: size, RootHash: root.String(), Note: string(signed), CreatedAt: at}, nil
}

// hashStore reads stored tree hashes from the database, and in an
// integration also those computed but not yet written.
type hashStore struct {
	ctx     context.Context
	q       querier
	overlay map[int64]tlog.Hash
}

// ReadHashes implements tlog.HashReader.
func (h *hashStore) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	var missing []any
	at := map[int64][]int{}
	for i, x := range indexes {
		if v, ok := h.overlay[x]; ok {
			out[i] = v
			continue
		}
		if at[x] == nil {
			missing = append(missing, x)
		}
		at[x] = append(at[x], i)
	}
	if len(missing) == 0 {
		return out, nil
	}
	rows, err := h.q.query(h.ctx, `SELECT id, hash FROM log_hashes WHERE id IN (`+placeholders(len(missing))+`)`, missing...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	found := 0
	for rows.Next() {
		var id int64
		var b []byte
		if err := rows.Scan(&id, &b); err != nil {
			return nil, err
		}
		if len(b) != tlog.HashSize {
			return nil, fmt.Errorf("log hash %d has %d bytes", id, len(b))
		}
		var v tlog.Hash
		copy(v[:], b)
		for _, i := range at[id] {
			out[i] = v
		}
		if h.overlay != nil {
			h.overlay[id] = v // an integration reads the tree's right edge again and again
		}
		found++
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if found != len(missing) {
		return nil, fmt.Errorf("log: %d of %d stored hashes missing", len(missing)-found, len(missing))
	}
	return out, nil
}

// latest reads the newest checkpoint.
func latestCheckpoint(ctx context.Context, q querier) (*omadata.Checkpoint, error) {
	var cp omadata.Checkpoint
	err := q.queryRow(ctx, `SELECT size, root_hash, note, created_at FROM log_checkpoints ORDER BY seq DESC LIMIT 1`).
		Scan(&cp.Size, &cp.RootHash, &cp.Note, Time{&cp.CreatedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, omadata.NotFound("checkpoint")
	} else if err != nil {
		return nil, err
	}
	cp.Origin, _, _ = strings.Cut(cp.Note, "\n")
	return &cp, nil
}

// LatestCheckpoint implements omadata.LogService.
func (s *Store) LatestCheckpoint(ctx context.Context) (*omadata.Checkpoint, error) {
	return latestCheckpoint(ctx, s.db.reader())
}

// LogEntryAt implements omadata.LogService.
func (s *Store) LogEntryAt(ctx context.Context, index int64) (*omadata.LogEntry, error) {
	if index < 0 {
		return nil, omadata.Invalidf("index", "The index must be 0 or more.")
	}
	var data, hash string
	var at time.Time
	err := s.db.reader().queryRow(ctx, `SELECT l.data, l.created_at, i.leaf_hash FROM log_index i JOIN log_leaves l ON l.seq = i.leaf_seq WHERE i.idx = ?`, index).
		Scan(&data, Time{&at}, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, omadata.NotFound("leaf")
	} else if err != nil {
		return nil, err
	}
	return logEntry(&index, data, hash, at)
}

func logEntry(index *int64, data, hash string, at time.Time) (*omadata.LogEntry, error) {
	leaf, err := omadata.ParseLogLeaf([]byte(data))
	if err != nil {
		return nil, fmt.Errorf("stored leaf: %w", err)
	}
	return &omadata.LogEntry{Index: index, Leaf: leaf, LeafData: base64.StdEncoding.EncodeToString([]byte(data)), LeafHash: hash, AppendedAt: at}, nil
}

// proofSize resolves the tree size a proof is asked for: 0 is the latest
// checkpoint's; more than that is not yet signed.
func (s *Store) proofSize(ctx context.Context, field string, size int64) (int64, error) {
	cp, err := s.LatestCheckpoint(ctx)
	if err != nil {
		return 0, err
	}
	switch {
	case size < 0:
		return 0, omadata.Invalidf(field, "The tree size must be 0 (the latest checkpoint) or more.")
	case size == 0:
		return cp.Size, nil
	case size > cp.Size:
		return 0, omadata.Invalidf(field, "The tree size %d is larger than the latest checkpoint's (%d).", size, cp.Size)
	}
	return size, nil
}

// ProveInclusion implements omadata.LogService.
func (s *Store) ProveInclusion(ctx context.Context, index, size int64) (*omadata.InclusionProof, error) {
	size, err := s.proofSize(ctx, "size", size)
	if err != nil {
		return nil, err
	}
	if index < 0 || index >= size {
		return nil, omadata.Invalidf("index", "The index must be from 0 to %d for a tree of %d leaves.", size-1, size)
	}
	r := &hashStore{ctx: ctx, q: s.db.reader()}
	leaf, err := r.ReadHashes([]int64{tlog.StoredHashIndex(0, index)})
	if err != nil {
		return nil, err
	}
	return proveInclusion(r, index, size, leaf[0].String())
}

// proveInclusion proves the leaf at index, whose hash is leafHash, in the
// tree of size, which the caller has checked.
func proveInclusion(r *hashStore, index, size int64, leafHash string) (*omadata.InclusionProof, error) {
	proof, err := tlog.ProveRecord(size, index, r)
	if err != nil {
		return nil, err
	}
	return &omadata.InclusionProof{Index: index, Size: size, LeafHash: leafHash, Hashes: hashStrings(proof)}, nil
}

// ProveInclusionByHash implements omadata.LogService.
func (s *Store) ProveInclusionByHash(ctx context.Context, leafHash string, size int64) (*omadata.InclusionProof, error) {
	h, err := tlog.ParseHash(leafHash)
	if err != nil {
		return nil, omadata.Invalidf("leaf_hash", "The leaf hash must be a SHA-256 hash in standard base64.")
	}
	index, err := findLeafIndex(ctx, s.db.reader(), h)
	if err != nil {
		return nil, err
	}
	return s.ProveInclusion(ctx, index, size)
}

// findLeafIndex returns the index of the leaf whose hash is h: the first
// one, should two leaves ever have the same bytes.
func findLeafIndex(ctx context.Context, q querier, h tlog.Hash) (int64, error) {
	var last int64
	if err := q.queryRow(ctx, `SELECT COALESCE(MAX(part), -1) FROM log_leaf_keys`).Scan(&last); err != nil {
		return 0, err
	} else if last < 0 {
		return 0, omadata.NotFound("leaf")
	}
	args := make([]any, 0, last+3)
	for p := range last + 1 {
		args = append(args, p)
	}
	args = append(args, leafHashKey(h), h.String())
	var index int64
	err := q.queryRow(ctx, `SELECT k.idx FROM log_leaf_keys k JOIN log_index i ON i.idx = k.idx
		WHERE k.part IN (`+placeholders(int(last)+1)+`) AND k.hash_key = ? AND i.leaf_hash = ? ORDER BY k.idx LIMIT 1`, args...).Scan(&index)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, omadata.NotFound("leaf")
	}
	return index, err
}

// ProveConsistency implements omadata.LogService.
func (s *Store) ProveConsistency(ctx context.Context, old, new int64) (*omadata.ConsistencyProof, error) {
	new, err := s.proofSize(ctx, "new", new)
	if err != nil {
		return nil, err
	}
	if old < 1 || old > new {
		return nil, omadata.Invalidf("old", "The old tree size must be from 1 to %d.", new)
	}
	proof, err := tlog.ProveTree(new, old, &hashStore{ctx: ctx, q: s.db.reader()})
	if err != nil {
		return nil, err
	}
	return &omadata.ConsistencyProof{Old: old, New: new, Hashes: hashStrings(proof)}, nil
}

func hashStrings(hs []tlog.Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.String()
	}
	return out
}

// LogOriginInUse returns the origin of the log's first checkpoint, or ""
// before there is one. A log keeps its origin for life: an operator whose
// address changes keeps signing under the origin it started with.
func (s *Store) LogOriginInUse(ctx context.Context) (string, error) {
	return firstOrigin(ctx, s.db.reader())
}

func firstOrigin(ctx context.Context, q querier) (string, error) {
	var text string
	err := q.queryRow(ctx, `SELECT note FROM log_checkpoints WHERE seq = 0`).Scan(&text)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	} else if err != nil {
		return "", err
	}
	origin, _, _ := strings.Cut(text, "\n")
	return origin, nil
}
