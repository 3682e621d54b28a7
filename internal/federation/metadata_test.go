// SPDX-License-Identifier: Apache-2.0

package federation_test

import (
	"testing"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/federation"
)

// TestCheckMetadataBindsNames: the log origin, the log key's name and the
// witness key's name are those of the entity ID (docs/witnessing.md §1,
// network.md §2.4 step 7), so that a member claims no other member's log
// or witness; the error names the field.
func TestCheckMetadataBindsNames(t *testing.T) {
	const id = "https://helsinki.example"
	good := func() *omadata.OperatorMetadata {
		return &omadata.OperatorMetadata{
			OperatorID: id, Name: omadata.Text{"fi": "Helsinki"}, BaseURL: id, NetworkEndpoint: id + "/network/v1",
			LogEndpoint: id + "/api/v1/public/log", LogOrigin: "helsinki.example/log", LogVerifierKey: testLogKey(t, "helsinki.example/log"),
			WitnessEndpoint: id + "/witness/v1", WitnessVerifierKey: testWitnessKey(t, "helsinki.example/witness"),
		}
	}
	if err := federation.CheckMetadata(id, good()); err != nil {
		t.Fatalf("names of the entity ID: %v", err)
	}
	noLog := good()
	noLog.LogOrigin, noLog.LogVerifierKey = "", ""
	if err := federation.CheckMetadata(id, noLog); err != nil {
		t.Errorf("no log offered: %v", err)
	}
	cases := []struct {
		name, field string
		change      func(md *omadata.OperatorMetadata)
	}{
		{"LogOriginOfAnother", "log_origin", func(md *omadata.OperatorMetadata) {
			md.LogOrigin, md.LogVerifierKey = "espoo.example/log", testLogKey(t, "espoo.example/log")
		}},
		{"LogOriginOtherPath", "log_origin", func(md *omadata.OperatorMetadata) {
			md.LogOrigin, md.LogVerifierKey = "helsinki.example/other/log", testLogKey(t, "helsinki.example/other/log")
		}},
		{"LogKeyOfAnotherName", "log_verifier_key", func(md *omadata.OperatorMetadata) { md.LogVerifierKey = testLogKey(t, "espoo.example/log") }},
		{"LogKeyWithoutOrigin", "log_verifier_key", func(md *omadata.OperatorMetadata) { md.LogOrigin = "" }},
		{"LogKeyNotSignedNote", "log_verifier_key", func(md *omadata.OperatorMetadata) { md.LogVerifierKey = "helsinki.example/log+00000000+AAAA" }},
		{"LogKeyCosignature", "log_verifier_key", func(md *omadata.OperatorMetadata) { md.LogVerifierKey = testWitnessKey(t, "helsinki.example/log") }},
		{"WitnessKeyOfAnother", "witness_verifier_key", func(md *omadata.OperatorMetadata) {
			md.WitnessVerifierKey = testWitnessKey(t, "espoo.example/witness")
		}},
		{"WitnessKeyOfTheAnchor", "witness_verifier_key", func(md *omadata.OperatorMetadata) {
			md.WitnessVerifierKey = testWitnessKey(t, "anchor.example/witness")
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			md := good()
			c.change(md)
			if err := federation.CheckMetadata(id, md); omadata.ErrorCode(err) != omadata.EINVALID || omadata.ErrorField(err) != c.field {
				t.Errorf("CheckMetadata = %v (field %q), want invalid on %s", err, omadata.ErrorField(err), c.field)
			}
		})
	}
}
