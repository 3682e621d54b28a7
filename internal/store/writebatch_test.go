// SPDX-License-Identifier: Apache-2.0

package store_test

import (
	"testing"

	"github.com/omadata/omadata/internal/store"
	"github.com/omadata/omadata/internal/store/storetest"
)

// TestWriteAheadAllOrNothing: a write whose COMMIT travels with its
// statements (PostgreSQL) leaves nothing when one of them fails, and the
// connection serves the next write; on both engines.
func TestWriteAheadAllOrNothing(t *testing.T) {
	for name, open := range map[string]func(testing.TB) *store.Store{"sqlite": storetest.OpenSQLite, "postgres": storetest.OpenPostgres} {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			ctx := storetest.Admin()
			count := func(record string) string {
				t.Helper()
				rows, err := s.DB().QueryStrings(ctx, `SELECT (SELECT COUNT(*) FROM log_leaves WHERE record_id = ?)
					+ (SELECT COUNT(*) FROM log_parties p JOIN log_leaves l ON l.seq = p.leaf_seq WHERE l.record_id = ?)`, record, record)
				if err != nil {
					t.Fatal(err)
				}
				return rows[0][0]
			}
			for i := range 3 { // more than the write pool's connections
				if err := store.WriteAheadLeaf(ctx, s, "rec_failed", true); err == nil {
					t.Fatalf("write %d: a statement refused, yet no error", i)
				}
			}
			if n := count("rec_failed"); n != "0" {
				t.Fatalf("a failed write left %s rows", n)
			}
			if err := store.WriteAheadLeaf(ctx, s, "rec_ok", false); err != nil {
				t.Fatal(err)
			}
			if n := count("rec_ok"); n != "2" {
				t.Fatalf("a write left %s rows, want its leaf and party", n)
			}
		})
	}
}
