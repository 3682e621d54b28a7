// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/omadata/omadata/internal/sqlite"
)

// timeFormat is how the store keeps times in SQLite text columns.
const timeFormat = "2006-01-02T15:04:05.000000Z"

func sqliteTime(t time.Time) string { return t.UTC().Format(timeFormat) }

// sqliteWriter loads rows over one connection with multi-row INSERTs, a
// transaction per chunk. The load is not meant to survive a crash: it runs
// without a journal, without syncs and without foreign key checks (the
// rows are consistent by construction), and leaves the file in WAL mode
// as the store expects.
type sqliteWriter struct {
	db *sql.DB
}

func openSQLiteWriter(ctx context.Context, url string) (*sqliteWriter, error) {
	path := strings.TrimPrefix(url, "sqlite:")
	db, err := sqlite.Open("file:"+path, "busy_timeout(10000)", "journal_mode(OFF)", "synchronous(OFF)",
		"foreign_keys(0)", "cache_size(-262144)", "locking_mode(EXCLUSIVE)", "temp_store(MEMORY)")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return &sqliteWriter{db: db}, nil
}

// insertRows is the most rows one INSERT statement carries.
const insertRows = 500

// insertSQL returns "INSERT INTO table (cols) VALUES (?, …), …" for n rows.
func insertSQL(table string, cols []string, n int) string {
	row := "(" + strings.Repeat("?, ", len(cols)-1) + "?)"
	var b strings.Builder
	b.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	return b.String()
}

// insertAll inserts n rows, appending row i's values to args with row.
func insertAll(ctx context.Context, tx *sql.Tx, table string, cols []string, n int, row func(i int, args []any) []any) error {
	var full *sql.Stmt
	args := make([]any, 0, insertRows*len(cols))
	for i := 0; i < n; i += insertRows {
		m := min(insertRows, n-i)
		args = args[:0]
		for j := i; j < i+m; j++ {
			args = row(j, args)
		}
		if m < insertRows {
			if _, err := tx.ExecContext(ctx, insertSQL(table, cols, m), args...); err != nil {
				return err
			}
			continue
		}
		if full == nil {
			var err error
			if full, err = tx.PrepareContext(ctx, insertSQL(table, cols, insertRows)); err != nil {
				return err
			}
			defer full.Close()
		}
		if _, err := full.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}

// Columns of the bulk-loaded tables.
var (
	residentCols  = []string{"id", "identity_hash", "identity_sealed", "birth_date", "created_at", "updated_at"}
	pseudonymCols = []string{"service_id", "resident_id", "pseudonym", "created_at"}
	consentCols   = []string{"id", "resident_id", "processing_id", "version_id", "sink_id", "source_ids", "status", "valid_from", "valid_until",
		"last_hash", "message", "created_at", "updated_at"}
	recordCols = []string{"id", "consent_id", "seq", "status", "prev_hash", "hash", "actor_kind", "actor_id", "actor_role", "subject_id",
		"notice_sha256", "notice_language", "collection_method", "valid_from", "valid_until", "reason", "receipt", "created_at"}
)

func (w *sqliteWriter) write(ctx context.Context, c *chunk) error {
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := insertAll(ctx, tx, "residents", residentCols, len(c.residents), func(i int, a []any) []any {
		r := &c.residents[i]
		t := sqliteTime(r.created)
		return append(a, r.id, r.hash, r.sealed, r.birth, t, t)
	}); err != nil {
		return err
	}
	if err := insertAll(ctx, tx, "pseudonyms", pseudonymCols, len(c.pseudonyms), func(i int, a []any) []any {
		p := &c.pseudonyms[i]
		return append(a, p.service, p.resident, p.pseudonym, sqliteTime(p.created))
	}); err != nil {
		return err
	}
	if len(c.consents) == 0 {
		return tx.Commit()
	}
	if err := insertAll(ctx, tx, "consents", consentCols, len(c.consents), func(i int, a []any) []any {
		cn := &c.consents[i]
		return append(a, cn.id, cn.resident, c.processingID, c.versionID, c.sinkID, "[]", cn.status, sqliteTime(cn.from), sqliteTime(cn.until),
			cn.lastHash, "{}", sqliteTime(cn.created), sqliteTime(cn.updated))
	}); err != nil {
		return err
	}
	if err := insertAll(ctx, tx, "consent_records", recordCols, len(c.records), func(i int, a []any) []any {
		r := c.records[i]
		return append(a, r.ID, r.ConsentID, r.Seq, r.Status, r.PrevHash, r.Hash, r.ActorKind, r.ActorID, r.ActorRole, r.subject,
			r.NoticeSHA256, r.NoticeLanguage, r.CollectionMethod, sqliteTime(*r.ValidFrom), sqliteTime(*r.ValidUntil), r.Reason, r.Receipt,
			sqliteTime(r.CreatedAt))
	}); err != nil {
		return err
	}
	return tx.Commit()
}

// finish puts the file back in WAL mode, which the store relies on.
func (w *sqliteWriter) finish(ctx context.Context) error {
	_, err := w.db.ExecContext(ctx, `PRAGMA journal_mode = WAL`)
	return err
}

func (w *sqliteWriter) close() error { return w.db.Close() }
