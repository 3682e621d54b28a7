// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/omadata/omadata"
)

// EmptyMembers is emptyMembers, for the receipt tests outside the package.
var EmptyMembers = emptyMembers

// AddConsentHistory gives a resident n earlier give-and-withdraw cycles on
// the processing of consent tmpl: n withdrawn consents like tmpl, each a
// second older than the one after it and all older than tmpl, as n cycles
// through the API leave them (the decision reads no consent records).
func AddConsentHistory(ctx context.Context, s *Store, tmpl string, n int) error {
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var resident, processing, version, sink, sources, hash string
	var created time.Time
	if err := tx.queryRow(ctx, `SELECT resident_id, processing_id, version_id, sink_id, source_ids, last_hash, created_at FROM consents WHERE id = ?`, tmpl).
		Scan(&resident, &processing, &version, &sink, &sources, &hash, Time{&created}); err != nil {
		return err
	}
	rows := make([]any, 0, 10*n)
	for i := range n {
		at := created.Add(-time.Duration(n-i) * time.Second)
		rows = append(rows, omadata.NewID(omadata.PrefixConsent), resident, processing, version, sink, sources, omadata.ConsentWithdrawn, hash, at, at)
	}
	if err := insertRows(ctx, tx, `INSERT INTO consents (id, resident_id, processing_id, version_id, sink_id, source_ids, status, last_hash, created_at, updated_at) VALUES `, 10, rows); err != nil {
		return err
	}
	return tx.Commit()
}

// AppendTestLeaf appends one leaf of kind and record kind through the
// store's own append, as another version of omadata might write it.
func AppendTestLeaf(ctx context.Context, s *Store, kind, recordKind, recordID string) error {
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	digest := fmt.Sprintf("%064d", 0)
	if err := s.appendLog(ctx, tx, logAppend{kind: kind, recordKind: recordKind, recordID: recordID, recordSHA256: digest}); err != nil {
		return err
	}
	return tx.Commit()
}

// AppendTestLeaves appends n synthetic leaves (admin changes with no record
// behind them) in large transactions, for benchmarks of the tree.
func AppendTestLeaves(ctx context.Context, s *Store, n int) error {
	return AppendMoreTestLeaves(ctx, s, 0, n)
}

// AppendMoreTestLeaves is AppendTestLeaves numbering the leaves from first
// on, after first leaves appended before.
func AppendMoreTestLeaves(ctx context.Context, s *Store, first, n int) error {
	const perTx = 10000
	n += first
	for done := first; done < n; {
		tx, err := s.db.begin(ctx)
		if err != nil {
			return err
		}
		var rows, changes []any
		for i := 0; i < perTx && done < n; i++ {
			id := fmt.Sprintf("chg_bench%017d", done)
			target := fmt.Sprintf("svc_bench%017d", done)
			digest := adminChangeDigest(id, "admin", "bench", "service", target, "{}", tx.now)
			leaf := &omadata.LogLeaf{Version: 1, Kind: "admin.bench", Time: omadata.LogTime(tx.now),
				Record: id, RecordKind: omadata.RecordAdminChange, RecordSHA256: digest}
			rows = append(rows, "admin.bench", omadata.RecordAdminChange, id, string(leaf.Bytes()), tx.now)
			changes = append(changes, id, "admin", "bench", "service", target, "{}", tx.now)
			done++
		}
		if err := insertRows(ctx, tx, `INSERT INTO log_leaves (kind, record_kind, record_id, data, created_at) VALUES `, 5, rows); err != nil {
			tx.Rollback()
			return err
		}
		if err := insertRows(ctx, tx, `INSERT INTO admin_changes (id, actor_id, action, target_kind, target_id, details, created_at) VALUES `, 7, changes); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

// MigrateThrough applies the migrations up to and including name, as a
// database last migrated by an older version would have them.
func MigrateThrough(ctx context.Context, db *DB, name string) error {
	if err := db.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		return err
	}
	paths, err := fs.Glob(migrations, "migrations/"+db.d.name()+"/*.sql")
	if err != nil {
		return err
	}
	slices.Sort(paths)
	for _, p := range paths {
		if path.Base(p) > name {
			break
		}
		if _, err := db.migrateFile(ctx, p); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
	}
	return nil
}

// FindLeafIndex finds the index of the leaf whose hash is leafHash.
func FindLeafIndex(ctx context.Context, db *DB, leafHash tlog.Hash) (int64, error) {
	return findLeafIndex(ctx, db.reader(), leafHash)
}

// LeafKey is the part and key by which log_leaf_keys finds the leaf at
// idx whose hash is leafHash.
func LeafKey(idx int64, leafHash tlog.Hash) (part, hashKey int64) {
	k := newLeafKey(idx, leafHash)
	return k.part, k.hashKey
}

// LiveAhead reports what a resident's give done ahead reads about a live
// consent of theirs on the processing (in the statement that reads their
// pseudonyms). A wrong answer would not change any call's result, only
// send it the slow way, or into the unique index.
func LiveAhead(ctx context.Context, s *Store, residentID, sinkID, processingID string) (bool, error) {
	c := &consentRow{Consent: omadata.Consent{SinkID: sinkID, SourceIDs: []string{}}, residentID: residentID}
	_, _, live, err := s.namesAhead(ctx, s.db.reader(), c, &consentParts{}, processingID)
	return live, err
}

// SetIntegrateRace makes f run in every integration between its reads and
// its write, until the test ends.
func SetIntegrateRace(t testing.TB, f func()) {
	integrateRace = f
	t.Cleanup(func() { integrateRace = nil })
}

// SetWALCheckpoint restarts db's WAL checkpointer with another restart
// size (pages) and period. With restartPages 0 it stops it and gives the
// writer back SQLite's own checkpoint at 1,000 pages, as before the
// checkpointer: benchmarks compare the two.
func SetWALCheckpoint(db *DB, restartPages int64, every time.Duration) error {
	g := db.group
	if db.wal != nil {
		db.wal.stopOnly()
		db.wal = nil
	}
	auto := 0
	if restartPages == 0 {
		auto = 1000
	}
	g.mu.Lock()
	g.finish(nil)
	_, err := g.conn.ExecContext(context.Background(), fmt.Sprintf("PRAGMA wal_autocheckpoint = %d", auto))
	g.mu.Unlock()
	if err != nil || restartPages == 0 {
		return err
	}
	db.wal = newWALCheckpointer(db.walConn, g, restartPages, every)
	return nil
}

// WALCheckpoints returns how many checkpoints db's WAL checkpointer ran
// beside the writer and how many holding it.
func WALCheckpoints(db *DB) (passive, restart int64) {
	if db.wal == nil {
		return 0, 0
	}
	return db.wal.passives.Load(), db.wal.restarts.Load()
}

// TimeIntegrations makes every integration that signs report its leaves,
// how long it held the writer and how long it took, until the test ends.
func TimeIntegrations(t testing.TB, f func(leaves int, held, total time.Duration)) {
	integrateTimed = f
	t.Cleanup(func() { integrateTimed = nil })
}

// WriteAheadLeaf writes a bare leaf of record and its party row through
// writeAhead, as a permit does (every statement checks itself, so on
// PostgreSQL the COMMIT goes in the same round trip); with fail, a last
// statement names a leaf that does not exist, which the database refuses.
func WriteAheadLeaf(ctx context.Context, s *Store, record string, fail bool) error {
	now := s.db.now()
	party := `INSERT INTO log_parties (service_id, leaf_seq) VALUES (?, (SELECT seq FROM log_leaves WHERE record_id = ?))`
	stmts := []writeStmt{
		{query: `INSERT INTO log_leaves (kind, record_kind, record_id, data, created_at) VALUES (?, ?, ?, ?, ?)`,
			args: []any{"test", "test", record, `{}`, now}, rows: 1, checked: true},
		{query: party, args: []any{"svc_test", record}, rows: 1, checked: true},
	}
	if fail {
		stmts = append(stmts, writeStmt{query: party, args: []any{"svc_test", record + "_missing"}, rows: 1, checked: true})
	}
	intent := s.db.expectWrite()
	defer intent.cancel()
	return s.db.writeAhead(ctx, now, intent, stmts)
}
