// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"testing"

	"github.com/omadata/omadata"
)

// testNetworkLogRecord: a peer is served only the leaves that reference
// its own log; a leaf of this operator alone, an unknown record, an
// operator that is no peer and a caller that is no operator all get
// not_found. A peer is found by its log origin.
func testNetworkLogRecord(t *testing.T, open OpenFunc) {
	hki := OpenOperator(t, open, "https://helsinki.test", "Helsinki")
	esp := OpenOperator(t, open, "https://espoo.test", "Espoo")
	CreateNetwork(t, hki.Store)
	CreateNetwork(t, esp.Store)
	Mirror(t, esp, hki)
	if _, err := hki.IntegrateLog(Admin()); err != nil {
		t.Fatal(err)
	}
	local, err := hki.LogEntryAt(Admin(), 0)
	ok(t, err)
	if local.Leaf.Peer != nil {
		t.Fatalf("leaf 0 references a peer: %+v", local.Leaf)
	}
	if id, err := hki.FindPeerByLogOrigin(Public(), esp.Peer.LogOrigin); err != nil || id != esp.Peer.OperatorID {
		t.Errorf("FindPeerByLogOrigin: got %q, %v; want %s", id, err, esp.Peer.OperatorID)
	}
	for _, origin := range []string{hki.Peer.LogOrigin, "turku.test/log", ""} {
		if _, err := hki.FindPeerByLogOrigin(Public(), origin); omadata.ErrorCode(err) != omadata.ENOTFOUND {
			t.Errorf("FindPeerByLogOrigin(%q): got %v, want not_found", origin, err)
		}
	}
	for _, tc := range []struct {
		name   string
		caller omadata.Caller
		record string
	}{
		{"LocalLeaf", omadata.Caller{Kind: omadata.CallerOperator, OperatorID: esp.Peer.OperatorID}, local.Leaf.Record},
		{"UnknownRecord", omadata.Caller{Kind: omadata.CallerOperator, OperatorID: esp.Peer.OperatorID}, "gr_unknown"},
		{"NotAPeer", omadata.Caller{Kind: omadata.CallerOperator, OperatorID: "https://turku.test"}, local.Leaf.Record},
		{"Admin", omadata.Caller{Kind: omadata.CallerAdmin}, local.Leaf.Record},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := hki.NetworkLogRecord(omadata.NewContextWithCaller(Admin(), tc.caller), tc.record)
			if code := omadata.ErrorCode(err); code != omadata.ENOTFOUND {
				t.Errorf("got %v, want not_found", err)
			}
		})
	}
}
