// SPDX-License-Identifier: Apache-2.0

package admin

import (
	"slices"
	"testing"

	"github.com/omadata/omadata"
)

// TestRequestNext: the console offers exactly the moves the store accepts
// by hand, so no offered choice ends in a conflict.
func TestRequestNext(t *testing.T) {
	for _, c := range []struct {
		kind, status string
		want         []string
	}{
		{omadata.RequestObjection, omadata.RequestPending, []string{"upheld", "rejected", "lifted"}},
		{omadata.RequestObjection, omadata.RequestUpheld, []string{"lifted"}},
		{omadata.RequestRectification, omadata.RequestReceived, []string{"in_progress", "completed", "rejected"}},
		{omadata.RequestAccess, omadata.RequestReceived, []string{"in_progress", "rejected"}},
		{omadata.RequestErasure, omadata.RequestReceived, []string{"rejected"}},
		{omadata.RequestErasure, omadata.RequestInProgress, nil},
		{omadata.RequestAccess, omadata.RequestCompleted, nil},
	} {
		if got := requestNext(&omadata.Request{Kind: c.kind, Status: c.status}); !slices.Equal(got, c.want) {
			t.Errorf("%s %s: offered %v, want %v", c.kind, c.status, got, c.want)
		}
	}
}
