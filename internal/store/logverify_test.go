// SPDX-License-Identifier: Apache-2.0

package store_test

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
	"github.com/omadata/omadata/internal/store/storetest"
)

// TestLogVerifyUnknownLeafKind: a leaf of a kind this version does not
// write, appended and checkpointed as a later version would, fails the
// verification naming the leaf, on both engines; it does not pass
// unchecked.
func TestLogVerifyUnknownLeafKind(t *testing.T) {
	engines := []struct {
		name string
		open func(testing.TB) *store.Store
	}{{"sqlite", storetest.OpenSQLite}}
	if os.Getenv("OMADATA_TEST_POSTGRES_DSN") != "" {
		engines = append(engines, struct {
			name string
			open func(testing.TB) *store.Store
		}{"postgres", storetest.OpenPostgres})
	}
	for _, e := range engines {
		for _, tc := range []struct{ name, kind, recordKind string }{
			{"unknown record kind", "contract.signed", "contract"},
			{"unknown consent status", "consent.teleported", omadata.RecordConsent},
			{"unknown request kind", "request.portability.received", omadata.RecordRequest},
			{"kind of another record kind", omadata.LeafGrantIssued, omadata.RecordDecision},
			{"admin kind without an action", "admin.", omadata.RecordAdminChange},
		} {
			t.Run(e.name+"/"+tc.name, func(t *testing.T) {
				s := e.open(t)
				storetest.PopulateLog(t, s)
				ctx := context.Background()
				if err := store.AppendTestLeaf(ctx, s, tc.kind, tc.recordKind, "rec_future"); err != nil {
					t.Fatal(err)
				}
				n := integrateAll(t, s)
				_, err := store.VerifyLog(ctx, s.DB(), store.VerifyLogOptions{VerifierKeys: []string{storetest.LogVerifierKey(t, s)}})
				var p *store.LogProblem
				want := "leaf " + itoa(n-1) + ": its kind \"" + tc.kind + "\""
				if !errors.As(err, &p) || !strings.HasPrefix(p.What, want) {
					t.Fatalf("got %v, want a problem starting %q", err, want)
				}
			})
		}
	}
}

// integrateAll checkpoints every appended leaf and returns the tree size.
func integrateAll(t *testing.T, s *store.Store) int64 {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := s.IntegrateLog(storetest.Admin()); err != nil {
			t.Fatal(err)
		}
		pending, err := s.DB().QueryStrings(context.Background(), `SELECT COUNT(*) FROM log_leaves l WHERE NOT EXISTS (SELECT 1 FROM log_index i WHERE i.leaf_seq = l.seq)`)
		if err != nil {
			t.Fatal(err)
		}
		cp, err := s.LatestCheckpoint(storetest.Public())
		if err == nil && pending[0][0] == "0" {
			return cp.Size
		}
		if time.Now().After(deadline) {
			t.Fatal("leaves still wait for a checkpoint")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
