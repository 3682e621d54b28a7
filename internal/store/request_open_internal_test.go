// SPDX-License-Identifier: Apache-2.0

package store

import (
	"strings"
	"testing"

	"github.com/omadata/omadata"
)

// TestOpenStatuses: the SQL list of open statuses is omadata.RequestOpen's.
func TestOpenStatuses(t *testing.T) {
	for _, st := range []string{omadata.RequestReceived, omadata.RequestInProgress, omadata.RequestCompleted, omadata.RequestRejected,
		omadata.RequestPending, omadata.RequestUpheld, omadata.RequestLifted} {
		if in := strings.Contains(openStatuses, "'"+st+"'"); in != omadata.RequestOpen(st) {
			t.Errorf("%s: in openStatuses %v, RequestOpen %v", st, in, omadata.RequestOpen(st))
		}
	}
}
