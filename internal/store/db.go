// SPDX-License-Identifier: Apache-2.0

// Package store is the one database/sql implementation of omadata's services,
// on SQLite and PostgreSQL.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver

	"github.com/omadata/omadata/internal/sqlite"
)

// DB is an open omadata database.
type DB struct {
	read  *sql.DB          // reads outside transactions
	write *sql.DB          // every transaction; one connection on SQLite
	group *groupCommitter  // SQLite: the write connection, shared by batches of calls
	wal   *walCheckpointer // SQLite: copies the WAL into the database file beside the writer
	d     dialect

	readStmts *stmtCache // SQLite: prepared statements of the read pool
	url       string     // what Open opened, for Reopen
	walConn   *sql.DB    // SQLite: the WAL checkpointer's connection

	// Now returns the current time; tests replace it to fix the clock.
	Now func() time.Time
}

// Open opens the database named by rawURL: "sqlite:<path>" (or a plain
// path, or "file:<path>") for SQLite, "postgres://…" for PostgreSQL.
// It does not migrate; call Migrate.
func Open(ctx context.Context, rawURL string) (*DB, error) {
	db := &DB{Now: time.Now, url: rawURL}
	switch {
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		pool, err := sql.Open("pgx", rawURL)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		pool.SetMaxOpenConns(20)
		pool.SetMaxIdleConns(20)
		pool.SetConnMaxIdleTime(5 * time.Minute)
		db.read, db.write, db.d = pool, pool, postgresDialect{}
	case strings.HasPrefix(rawURL, "postgres"),
		!strings.HasPrefix(rawURL, "sqlite:") && !strings.HasPrefix(rawURL, "file:") && (strings.Contains(rawURL, "://") || strings.Contains(rawURL, "=")):
		// Never echo the value: a mistyped PostgreSQL URL may hold a password.
		return nil, fmt.Errorf("database URL: want postgres://… or sqlite:<path>")
	default:
		path := strings.TrimPrefix(strings.TrimPrefix(rawURL, "sqlite:"), "file:")
		if path == "" || strings.Contains(path, "?") {
			return nil, fmt.Errorf("database URL: want sqlite:<path>, without query parameters")
		}
		// busy_timeout comes first so that the pragmas after it, which may
		// need a lock, wait instead of failing. WAL lets readers run beside
		// the writer; foreign keys are off by default in SQLite. FULL sync
		// makes every commit durable before it returns, also across a power
		// loss: a consent or a withdrawal is acknowledged only once it is on
		// disk. Group commit (groupcommit.go) shares one fsync between the
		// calls that arrive together. Each call of a batch runs in its own
		// savepoint, whose undo journal is a temporary file unless
		// temp_store is MEMORY: a write system call for every page a call
		// first touches.
		pragmas := []string{"busy_timeout(10000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(FULL)", "temp_store(MEMORY)"}
		// The one writer keeps a larger page cache (64 MiB): the indexes it
		// inserts into at random places (blind indexes, leaf hashes) then
		// stay in memory, where the 2 MiB default spills and re-reads pages.
		// It never checkpoints the WAL itself (wal_autocheckpoint 0): the
		// checkpointer does, beside it (walcheckpoint.go), and the WAL file
		// is cut back to its restart size when it restarts.
		w, err := sqlite.Open("file:"+path, append(pragmas, "cache_size(-65536)", "wal_autocheckpoint(0)",
			fmt.Sprintf("journal_size_limit(%d)", walRestartPages*4096))...)
		if err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		// One writer connection: writers queue in Go instead of failing
		// with SQLITE_BUSY, so no retry loop is needed.
		w.SetMaxOpenConns(1)
		w.SetConnMaxIdleTime(0)
		r, err := sqlite.Open("file:"+path, append(pragmas, "query_only(1)")...)
		if err != nil {
			w.Close()
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		// Keep every read connection open: database/sql keeps two idle by
		// default, and a new SQLite connection parses the schema and loses
		// its prepared statements.
		r.SetMaxOpenConns(4)
		r.SetMaxIdleConns(4)
		db.read, db.write, db.d = r, w, sqliteDialect{}
		if db.walConn, err = sqlite.Open("file:"+path, pragmas...); err != nil {
			db.Close()
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		db.walConn.SetMaxOpenConns(1)
		db.walConn.SetConnMaxIdleTime(0)
	}
	if err := db.write.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	if db.d.name() == "sqlite" {
		g, err := newGroupCommitter(ctx, db.write)
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("connect to database: %w", err)
		}
		db.group = g
		db.wal = newWALCheckpointer(db.walConn, g, walRestartPages, walCheckpointEvery)
		db.readStmts = newStmtCache(func(ctx context.Context, q string) (*sql.Stmt, error) { return db.read.PrepareContext(ctx, q) })
	}
	return db, nil
}

// Reopen opens the same database again, with pools of its own: a second
// instance of the operator on one database, as tests of concurrent
// instances need.
func (db *DB) Reopen(ctx context.Context) (*DB, error) { return Open(ctx, db.url) }

// Close closes both pools.
func (db *DB) Close() error {
	var err error
	db.readStmts.close()
	if db.wal != nil {
		err = db.wal.close()
	} else if db.walConn != nil {
		err = db.walConn.Close()
	}
	if db.group != nil {
		err = errors.Join(err, db.group.close())
	}
	err = errors.Join(err, db.write.Close())
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	return err
}

// Engine returns "sqlite" or "postgres".
func (db *DB) Engine() string { return db.d.name() }

// Ping checks that the database answers; /healthz uses it.
func (db *DB) Ping(ctx context.Context) error { return db.read.PingContext(ctx) }

// Tx is a write transaction with one timestamp for every row it writes: a
// database transaction on PostgreSQL, a savepoint in a group-committed
// batch on SQLite. Either way, Commit returns only once the changes are
// durable, and a failed call changes nothing.
type Tx struct {
	q     conn            // where statements run: tx, or the SQLite write connection
	tx    *sql.Tx         // PostgreSQL
	group *groupCommitter // SQLite
	over  bool            // committed or rolled back
	d     dialect
	now   time.Time
}

// conn is what *sql.Tx and *sql.Conn have in common.
type conn interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// now is the time a transaction starting now writes.
func (db *DB) now() time.Time { return db.Now().UTC().Truncate(time.Microsecond) }

// begin starts a write transaction.
func (db *DB) begin(ctx context.Context) (*Tx, error) {
	return db.beginAt(ctx, db.now())
}

// beginAt starts a write transaction whose rows carry the time now: a
// call that computes its rows (hashes, signed receipts) before taking the
// writer picks their time first.
func (db *DB) beginAt(ctx context.Context, now time.Time) (*Tx, error) {
	if db.group != nil {
		if _, err := db.group.begin(ctx); err != nil {
			return nil, err
		}
		return &Tx{q: db.group.conn, group: db.group, d: db.d, now: now}, nil
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	return &Tx{q: tx, tx: tx, d: db.d, now: now}, nil
}

// writeIntent is a call that will soon begin a write transaction, after
// reading and computing what it writes (SQLite: see groupCommitter.expect).
type writeIntent struct {
	g    *groupCommitter
	over bool
}

// expectWrite announces a write transaction that the caller will begin
// soon. It must call began once it has begun, or cancel (which may always
// be deferred).
func (db *DB) expectWrite() *writeIntent {
	if db.group != nil {
		db.group.expect()
	}
	return &writeIntent{g: db.group}
}

// began ends the announcement: the call holds the writer.
func (w *writeIntent) began() {
	if w.g != nil && !w.over {
		w.over = true
		w.g.arrive()
	}
}

// cancel ends the announcement of a call that will not begin.
func (w *writeIntent) cancel() {
	if w.g != nil && !w.over {
		w.over = true
		w.g.cancel()
	}
}

// Commit makes the changes durable, or returns why they were not.
func (tx *Tx) Commit() error {
	if tx.over {
		return sql.ErrTxDone
	}
	tx.over = true
	if tx.group != nil {
		b := tx.group.release(true)
		<-b.done
		if b.err != nil {
			return tx.d.mapError(b.err)
		}
		return nil
	}
	if err := tx.tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", tx.d.mapError(err))
	}
	return nil
}

// Rollback undoes the changes; after Commit it does nothing, so that it
// can always be deferred.
func (tx *Tx) Rollback() error {
	if tx.over {
		return nil
	}
	tx.over = true
	if tx.group != nil {
		tx.group.release(false)
		return nil
	}
	return tx.tx.Rollback()
}

// stmtContext is the context statements of tx run under. On SQLite a
// cancelled statement inside a transaction may roll back the whole
// transaction, which is the batch of every call committed with this one:
// so a caller's cancellation does not reach SQLite's statements (each is
// short; the call checks ctx between them).
func (tx *Tx) stmtContext(ctx context.Context) context.Context {
	if tx.group != nil {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

func (tx *Tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if tx.group != nil {
		if st := tx.group.stmts.get(ctx, query); st != nil {
			res, err := st.ExecContext(tx.stmtContext(ctx), tx.d.args(args)...)
			return res, tx.d.mapError(err)
		}
	}
	res, err := tx.q.ExecContext(tx.stmtContext(ctx), tx.d.rebind(query), tx.d.args(args)...)
	return res, tx.d.mapError(err)
}

// execScript runs statements as they are, without placeholders: migrations.
func (tx *Tx) execScript(ctx context.Context, script string) error {
	_, err := tx.q.ExecContext(tx.stmtContext(ctx), script)
	return err
}

func (tx *Tx) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if tx.group != nil {
		if st := tx.group.stmts.get(ctx, query); st != nil {
			return st.QueryContext(tx.stmtContext(ctx), tx.d.args(args)...)
		}
	}
	return tx.q.QueryContext(tx.stmtContext(ctx), tx.d.rebind(query), tx.d.args(args)...)
}

func (tx *Tx) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if tx.group != nil {
		if st := tx.group.stmts.get(ctx, query); st != nil {
			return st.QueryRowContext(tx.stmtContext(ctx), tx.d.args(args)...)
		}
	}
	return tx.q.QueryRowContext(tx.stmtContext(ctx), tx.d.rebind(query), tx.d.args(args)...)
}

// querier is what read helpers need: a Tx or the read pool.
type querier interface {
	query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	queryRow(ctx context.Context, query string, args ...any) *sql.Row
}

// reader runs queries on the read pool.
type reader struct {
	db    *sql.DB
	d     dialect
	stmts *stmtCache // nil: prepare every time (PostgreSQL: pgx caches itself)
}

func (db *DB) reader() reader { return reader{db.read, db.d, db.readStmts} }

func (r reader) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := r.stmts.get(ctx, query); st != nil {
		return st.QueryContext(ctx, r.d.args(args)...)
	}
	return r.db.QueryContext(ctx, r.d.rebind(query), r.d.args(args)...)
}

func (r reader) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if st := r.stmts.get(ctx, query); st != nil {
		return st.QueryRowContext(ctx, r.d.args(args)...)
	}
	return r.db.QueryRowContext(ctx, r.d.rebind(query), r.d.args(args)...)
}

// SafeURL returns the database URL without its password, for logs.
func SafeURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.User == nil {
		return rawURL
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Exec runs one statement in its own write transaction. Operations tooling
// and tests use it; services go through their own methods.
func (db *DB) Exec(ctx context.Context, query string, args ...any) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.exec(ctx, query, args...); err != nil {
		return err
	}
	return tx.Commit()
}

// readsBeside reports whether the reads a short write depends on are
// better made on the read pool before the write transaction than inside
// it. On PostgreSQL they are: each statement of a transaction is a round
// trip. On SQLite they are not: the one writer keeps its page cache across
// commits while a reader loses it to every commit, and calls that read
// while holding the writer queue behind each other, so that group commit
// shares more fsyncs.
func (db *DB) readsBeside() bool { return db.group == nil }

// execOne runs one statement as a transaction of its own and returns once
// it is durable: on SQLite in a group-committed batch, on PostgreSQL as one
// round trip in autocommit (synchronous_commit on), instead of three with
// BEGIN and COMMIT.
func (db *DB) execOne(ctx context.Context, query string, args ...any) error {
	if db.group == nil {
		_, err := db.write.ExecContext(ctx, db.d.rebind(query), db.d.args(args)...)
		return db.d.mapError(err)
	}
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.exec(ctx, query, args...); err != nil {
		return err
	}
	return tx.Commit()
}

// QueryStrings runs a read query and returns every row with each column
// as text. Tests use it to look at what is really stored.
func (db *DB) QueryStrings(ctx context.Context, query string, args ...any) ([][]string, error) {
	rows, err := db.reader().query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out [][]string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			switch v := v.(type) {
			case []byte:
				row[i] = string(v)
			case nil:
			default:
				row[i] = fmt.Sprint(v)
			}
		}
		out = append(out, row)
	}
	return out, rows.Err()
}
