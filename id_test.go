// SPDX-License-Identifier: Apache-2.0

package omadata_test

import (
	"testing"
	"time"

	"github.com/omadata/omadata"
)

// TestFirstIDAt: an ID made at a time sorts at or after FirstIDAt of that
// time, and before FirstIDAt of any later millisecond.
func TestFirstIDAt(t *testing.T) {
	for range 100 {
		before := time.Now()
		id := omadata.NewID(omadata.PrefixDecision)
		after := time.Now()
		lo := omadata.FirstIDAt(omadata.PrefixDecision, before.Truncate(time.Millisecond))
		hi := omadata.FirstIDAt(omadata.PrefixDecision, after.Truncate(time.Millisecond).Add(time.Millisecond))
		if !(lo <= id && id < hi) || !omadata.ValidID(omadata.PrefixDecision, lo) {
			t.Fatalf("%s not in [%s, %s)", id, lo, hi)
		}
	}
	if a, b := omadata.FirstIDAt("dec", time.UnixMilli(1000)), omadata.FirstIDAt("dec", time.UnixMilli(1001)); a >= b {
		t.Fatalf("%s sorts after %s", a, b)
	}
}
