// SPDX-License-Identifier: Apache-2.0

package omadata_test

import (
	"errors"
	"fmt"
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
		// Forbidden without a field: no 500 internal (issue 17 review).
		{omadata.AuthorizePeer(omadata.Caller{Kind: omadata.CallerAdmin}, omadata.PeerQuestion{}), omadata.ReasonForbidden},
		{omadata.AuthorizePeerEvent(omadata.Caller{Kind: omadata.CallerOperator, OperatorID: "https://espoo.example"}, false), omadata.ReasonNotMember},
		{fmt.Errorf("receive: %w", omadata.ErrNotMember), omadata.ReasonNotMember},
		{omadata.AuthorizePeerEvent(omadata.Caller{Kind: omadata.CallerResident}, true), omadata.ReasonForbidden},
		{&omadata.Error{Code: omadata.ETOOLARGE}, omadata.ReasonTooLarge},
		{&omadata.Error{Code: omadata.EUNAVAILABLE}, omadata.ReasonUnavailable},
		{errors.New("disk on fire"), omadata.ReasonInternal},
	} {
		if got := omadata.NetworkReason(tc.err); got != tc.want {
			t.Errorf("%v (field %q): got %q, want %q", tc.err, omadata.ErrorField(tc.err), got, tc.want)
		}
	}
}

// TestAuthorizePeerEventAndRecord: the rules of who may send a consent
// event and read a log record, beside AuthorizePeer.
func TestAuthorizePeerEventAndRecord(t *testing.T) {
	espoo := omadata.Caller{Kind: omadata.CallerOperator, OperatorID: "https://espoo.example"}
	if err := omadata.AuthorizePeerEvent(espoo, true); err != nil {
		t.Errorf("resolved peer: %v", err)
	}
	for _, tc := range []struct {
		c           omadata.Caller
		mine, leafs string
		ok          bool
	}{
		{espoo, "espoo.example/log", "espoo.example/log", true},
		{espoo, "espoo.example/log", "turku.example/log", false},
		{espoo, "", "", false},
		{omadata.Caller{Kind: omadata.CallerAdmin}, "espoo.example/log", "espoo.example/log", false},
	} {
		err := omadata.AuthorizePeerRecord(tc.c, tc.mine, tc.leafs)
		if (err == nil) != tc.ok || err != nil && omadata.ErrorCode(err) != omadata.ENOTFOUND {
			t.Errorf("%+v %q %q: got %v, want ok=%v", tc.c, tc.mine, tc.leafs, err, tc.ok)
		}
	}
}
