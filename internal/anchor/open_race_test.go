// SPDX-License-Identifier: Apache-2.0

package anchor_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/omadata/omadata/internal/anchor"
)

// TestOpenConcurrently: processes that open a fresh anchor database at
// the same time (serve starting, an admin command) all get it, schema
// and all (network.md §2.7).
func TestOpenConcurrently(t *testing.T) {
	ctx := context.Background()
	for round := 0; round < 5; round++ {
		path := filepath.Join(t.TempDir(), "anchor.db")
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for i := 0; i < 8; i++ {
			wg.Go(func() {
				db, err := anchor.Open(ctx, "sqlite:"+path)
				if err != nil {
					errs <- err
					return
				}
				defer db.Close()
				if _, err := db.LoadSettings(ctx); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("round %d: %v", round, err)
		}
	}
}

// TestOpenMissingDirectory: a path whose directory does not exist (an
// admin command run from another directory than serve) is refused naming
// the path, not with SQLite's "unable to open database file".
func TestOpenMissingDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no-such-dir", "anchor.db")
	_, err := anchor.Open(context.Background(), "sqlite:"+path)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("Open(%s) = %v, want refused naming the path", path, err)
	}
}
