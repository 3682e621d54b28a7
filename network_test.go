// SPDX-License-Identifier: Apache-2.0

package omadata_test

import (
	"testing"

	"github.com/omadata/omadata"
)

// TestNetworkReason: a peer method's error names its docs/network.md §6
// reason, also for a question of a batch, whose field carries the
// question's index.
func TestNetworkReason(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{omadata.Forbiddenf("sink_id", "x"), omadata.ReasonNotYourSink},
		{omadata.WithFieldPrefix(omadata.Forbiddenf("source_id", "x"), "questions[2]"), omadata.ReasonNotOurSource},
		{&omadata.Error{Code: omadata.ENOTFOUND, Field: "pseudonym"}, omadata.ReasonUnknownResident},
		{omadata.WithFieldPrefix(&omadata.Error{Code: omadata.ENOTFOUND, Field: "pseudonym"}, "questions[0]"), omadata.ReasonUnknownResident},
		{omadata.NotFound("grant"), omadata.ENOTFOUND},
		{omadata.Invalidf("questions[1].purpose_id", "x"), omadata.EINVALID},
	} {
		if got := omadata.NetworkReason(tc.err); got != tc.want {
			t.Errorf("%v (field %q): got %q, want %q", tc.err, omadata.ErrorField(tc.err), got, tc.want)
		}
	}
}
