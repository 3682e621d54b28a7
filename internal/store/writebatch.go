// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/omadata/omadata"
)

// writeStmt is one statement of a write whose rows are known before the
// transaction begins.
type writeStmt struct {
	query string
	args  []any
	rows  int64 // the rows it must change, or -1 for any number
	// conflict, if set, is the error when the statement changes another
	// number of rows or breaks a unique constraint.
	conflict error
	// checked is set when the database itself refuses the statement (an
	// error) unless it changes rows rows, an INSERT … VALUES: nothing is
	// left to check before the COMMIT.
	checked bool
}

// run runs statements one after the other in tx.
func (tx *Tx) run(ctx context.Context, stmts []writeStmt) error {
	for _, st := range stmts {
		res, err := tx.exec(ctx, st.query, st.args...)
		if err != nil {
			if st.conflict != nil && omadata.ErrorCode(err) == omadata.ECONFLICT {
				return st.conflict
			}
			return err
		}
		if st.rows >= 0 {
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n != st.rows {
				return st.conflictOr(fmt.Errorf("store: %d rows changed, want %d", n, st.rows))
			}
		}
	}
	return nil
}

func (st writeStmt) conflictOr(err error) error {
	if st.conflict != nil {
		return st.conflict
	}
	return err
}

// writeAhead runs statements computed before the transaction as one
// write transaction whose time is now, and returns once it is durable. On
// SQLite it is a call in a group-committed batch, begun as intent
// announced. On PostgreSQL the statements go to the server in one round
// trip, after an explicit BEGIN, and when every one checks itself the
// COMMIT with them: a failed statement makes the server skip the rest of
// the batch, COMMIT included, and the transaction is rolled back. Else
// the COMMIT follows in a second round trip, once the rows changed are
// counted. The server groups the WAL flushes of concurrent commits.
func (db *DB) writeAhead(ctx context.Context, now time.Time, intent *writeIntent, stmts []writeStmt) error {
	if db.d.name() != "postgres" {
		// Times become text, and JSON values theirs, before the writer
		// is taken, not while every other call waits for it.
		for _, st := range stmts {
			for j, a := range db.d.args(st.args) {
				if v, ok := a.(jsonValue); ok {
					var err error
					if st.args[j], err = v.Value(); err != nil {
						return err
					}
				}
			}
		}
		tx, err := db.beginAt(ctx, now)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		intent.began()
		if err := tx.run(ctx, stmts); err != nil {
			return err
		}
		return tx.Commit()
	}
	commitWith := !slices.ContainsFunc(stmts, func(st writeStmt) bool { return st.rows >= 0 && !st.checked })
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		b := &pgx.Batch{}
		b.Queue("BEGIN")
		for _, st := range stmts {
			b.Queue(db.d.rebind(st.query), db.d.args(st.args)...)
		}
		if commitWith {
			b.Queue("COMMIT")
		}
		failed := runBatch(ctx, pc.SendBatch(ctx, b), db.d, stmts, commitWith)
		if failed != nil {
			// If the rollback fails too, the connection is closed or still
			// in the transaction, and database/sql drops it (ResetSession).
			// After a COMMIT that failed there is no transaction left: the
			// ROLLBACK only warns.
			pc.Exec(context.WithoutCancel(ctx), "ROLLBACK")
			return failed
		}
		if commitWith {
			return nil
		}
		if _, err := pc.Exec(ctx, "COMMIT"); err != nil {
			return fmt.Errorf("commit: %w", db.d.mapError(err))
		}
		return nil
	})
}

// runBatch reads the results of a batch queued as BEGIN and stmts (and
// COMMIT when commit is set), and returns the first failure.
func runBatch(ctx context.Context, br pgx.BatchResults, d dialect, stmts []writeStmt, commit bool) error {
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	for _, st := range stmts {
		tag, err := br.Exec()
		if err != nil {
			err = d.mapError(err)
			if st.conflict != nil && omadata.ErrorCode(err) == omadata.ECONFLICT {
				return st.conflict
			}
			return err
		} else if st.rows >= 0 && tag.RowsAffected() != st.rows {
			return st.conflictOr(fmt.Errorf("store: %d rows changed, want %d", tag.RowsAffected(), st.rows))
		}
	}
	if commit {
		if _, err := br.Exec(); err != nil {
			return fmt.Errorf("commit: %w", d.mapError(err))
		}
		return nil // committed: the answer may go
	}
	return ctx.Err()
}
