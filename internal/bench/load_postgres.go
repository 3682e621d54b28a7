// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// freshSchema creates an empty schema in the database at dsn and returns a
// URL whose search_path selects it, and a function that drops it.
func freshSchema(ctx context.Context, dsn string) (string, func() error, error) {
	var b [6]byte
	rand.Read(b[:])
	schema := "bench_" + hex.EncodeToString(b[:])
	u, err := url.Parse(dsn)
	if err != nil {
		return "", nil, fmt.Errorf("database URL: %w", err)
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return "", nil, err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		return "", nil, fmt.Errorf("create schema: %w", err)
	}
	drop := func() error {
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			return err
		}
		defer db.Close()
		_, err = db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		return err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), drop, nil
}

// bulkTables are the tables the load writes.
var bulkTables = []string{"residents", "pseudonyms", "consents", "consent_records"}

// postgresWriter loads rows with COPY over one connection, a transaction
// per chunk, without waiting for WAL flushes. Checking a foreign key row
// by row locks the referenced row each time, which dominates a load, so
// the foreign keys of the loaded tables are dropped first and added back
// at the end, when PostgreSQL validates each with one join; finish then
// checks that the schema's constraints are exactly those of the migration.
type postgresWriter struct {
	db     *sql.DB
	conn   *sql.Conn
	fks    [][3]string // table, name, definition
	before []string    // every constraint of the schema before the load
	logf   func(string, ...any)
}

func openPostgresWriter(ctx context.Context, dsn string, logf func(string, ...any)) (*postgresWriter, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, err
	}
	w := &postgresWriter{db: db, logf: logf}
	if w.conn, err = db.Conn(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := w.prepare(ctx); err != nil {
		w.close()
		return nil, err
	}
	return w, nil
}

func (w *postgresWriter) prepare(ctx context.Context) error {
	for _, q := range []string{`SET synchronous_commit = off`, `SET maintenance_work_mem = '512MB'`} {
		if _, err := w.conn.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	var err error
	if w.before, err = w.constraints(ctx); err != nil {
		return err
	}
	rows, err := w.conn.QueryContext(ctx, `SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
		WHERE contype = 'f' AND connamespace = current_schema()::regnamespace ORDER BY 1, 2`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var fk [3]string
		if err := rows.Scan(&fk[0], &fk[1], &fk[2]); err != nil {
			rows.Close()
			return err
		}
		if slices.Contains(bulkTables, fk[0]) {
			w.fks = append(w.fks, fk)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, fk := range w.fks {
		if _, err := w.conn.ExecContext(ctx, `ALTER TABLE `+fk[0]+` DROP CONSTRAINT `+fk[1]); err != nil {
			return err
		}
	}
	return nil
}

// constraints lists every constraint and index of the schema.
func (w *postgresWriter) constraints(ctx context.Context) ([]string, error) {
	rows, err := w.conn.QueryContext(ctx, `SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
		WHERE connamespace = current_schema()::regnamespace
		UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY 1`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func (w *postgresWriter) write(ctx context.Context, c *chunk) error {
	return w.conn.Raw(func(dc any) error {
		conn := dc.(*stdlib.Conn).Conn()
		tx, err := conn.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx)
		copyRows := func(table string, cols []string, n int, row func(i int) []any) error {
			if n == 0 {
				return nil
			}
			_, err := tx.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromSlice(n, func(i int) ([]any, error) { return row(i), nil }))
			return err
		}
		if err := copyRows("residents", residentCols, len(c.residents), func(i int) []any {
			r := &c.residents[i]
			return []any{r.id, r.hash, r.sealed, r.birth, r.created, r.created}
		}); err != nil {
			return err
		}
		if err := copyRows("pseudonyms", pseudonymCols, len(c.pseudonyms), func(i int) []any {
			p := &c.pseudonyms[i]
			return []any{p.service, p.resident, p.pseudonym, p.created}
		}); err != nil {
			return err
		}
		if err := copyRows("consents", consentCols, len(c.consents), func(i int) []any {
			cn := &c.consents[i]
			return []any{cn.id, cn.resident, c.processingID, c.versionID, c.sinkID, "[]", cn.status, cn.from, cn.until, cn.lastHash, "{}", cn.created, cn.updated}
		}); err != nil {
			return err
		}
		if err := copyRows("consent_records", recordCols, len(c.records), func(i int) []any {
			r := c.records[i]
			return []any{r.ID, r.ConsentID, int32(r.Seq), r.Status, r.PrevHash, r.Hash, r.ActorKind, r.ActorID, r.ActorRole, r.subject,
				r.NoticeSHA256, r.NoticeLanguage, r.CollectionMethod, *r.ValidFrom, *r.ValidUntil, r.Reason, r.Receipt, r.CreatedAt}
		}); err != nil {
			return err
		}
		return tx.Commit(ctx)
	})
}

// finish adds the foreign keys back, each validated by PostgreSQL, checks
// that the schema is as migrated, and vacuums and analyses the loaded
// tables, as autovacuum would have done by the time a real operator had
// this many consents.
func (w *postgresWriter) finish(ctx context.Context) error {
	start := time.Now()
	for _, fk := range w.fks {
		if _, err := w.conn.ExecContext(ctx, `ALTER TABLE `+fk[0]+` ADD CONSTRAINT `+fk[1]+` `+fk[2]); err != nil {
			return fmt.Errorf("restore %s.%s: %w", fk[0], fk[1], err)
		}
	}
	w.logf("postgres: %d foreign keys added back and validated in %v", len(w.fks), time.Since(start).Round(time.Second))
	after, err := w.constraints(ctx)
	if err != nil {
		return err
	} else if !slices.Equal(w.before, after) {
		return fmt.Errorf("the schema's constraints changed during the load:\nbefore %s\nafter  %s",
			strings.Join(w.before, "\n       "), strings.Join(after, "\n       "))
	}
	start = time.Now()
	if _, err := w.conn.ExecContext(ctx, `VACUUM (ANALYZE) `+strings.Join(bulkTables, ", ")); err != nil {
		return err
	}
	w.logf("postgres: loaded tables vacuumed and analysed in %v", time.Since(start).Round(time.Second))
	return nil
}

func (w *postgresWriter) close() error {
	if w.conn != nil {
		w.conn.Close()
	}
	return w.db.Close()
}
