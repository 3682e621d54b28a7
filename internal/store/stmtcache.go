// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps prepared statements by query text. SQLite spends much of
// a short query preparing it, and database/sql prepares anew on every call
// with each of our SQLite drivers (internal/sqlite); pgx caches prepared
// statements by itself, so PostgreSQL does not use this. The cache is bounded: queries built with a variable
// number of placeholders make new texts, and past the bound they are simply
// not cached.
type stmtCache struct {
	mu      sync.Mutex
	m       map[string]*sql.Stmt
	prepare func(ctx context.Context, query string) (*sql.Stmt, error)
}

const maxCachedStmts = 512

func newStmtCache(prepare func(ctx context.Context, query string) (*sql.Stmt, error)) *stmtCache {
	return &stmtCache{m: map[string]*sql.Stmt{}, prepare: prepare}
}

// get returns the prepared statement of query, preparing it on first use,
// or nil when c is nil, full, or the query does not prepare (the caller
// then runs it unprepared and gets the error there).
func (c *stmtCache) get(ctx context.Context, query string) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[query]; ok {
		return st
	} else if len(c.m) >= maxCachedStmts {
		return nil
	}
	st, err := c.prepare(context.WithoutCancel(ctx), query)
	if err != nil {
		return nil
	}
	c.m[query] = st
	return st
}

func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.m {
		st.Close()
		delete(c.m, q)
	}
}
