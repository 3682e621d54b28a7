// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"testing"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
)

// testNetworkWitnesses: the network's witnesses of the own log are kept
// whole, in order, with their labels (docs/witnessing.md §3); only the
// operator's admin (the witness log sync) replaces them; a bad list
// changes nothing.
func testNetworkWitnesses(t *testing.T, s *store.Store) {
	ctx := Admin()
	if ws := must[[]omadata.WitnessRef](t)(s.NetworkWitnesses(Public())); len(ws) != 0 || ws == nil {
		t.Fatalf("none kept yet: got %#v, want an empty list", ws)
	}
	espoo := omadata.WitnessRef{Name: "espoo.example/witness", VerifierKey: "espoo.example/witness+01234567+BAAA", URL: "https://espoo.example/witness/v1",
		Label: omadata.Text{"fi": "Espoon kaupunki", "sv": "Esbo stad", "en": "City of Espoo"}, OperatorID: "https://espoo.example"}
	turku := omadata.WitnessRef{Name: "turku.example/witness", VerifierKey: "turku.example/witness+01234567+BAAA", URL: "https://turku.example/witness/v1",
		Label: omadata.Text{"fi": "Turku"}, OperatorID: "https://turku.example"}
	anchor := omadata.WitnessRef{Name: "anchor.example/witness", VerifierKey: "anchor.example/witness+01234567+BAAA", URL: "https://anchor.example/witness/v1",
		Label: omadata.Text{"en": "The network's trust anchor"}}
	ok(t, s.SetNetworkWitnesses(ctx, []omadata.WitnessRef{turku, espoo, anchor}))
	got := must[[]omadata.WitnessRef](t)(s.NetworkWitnesses(Public()))
	if len(got) != 3 || got[0].Name != turku.Name || got[1].Label["sv"] != "Esbo stad" || got[1].OperatorID != espoo.OperatorID ||
		got[1].URL != espoo.URL || got[1].VerifierKey != espoo.VerifierKey || got[2].Name != anchor.Name || got[2].OperatorID != "" {
		t.Fatalf("kept: got %+v", got)
	}
	before := must[[][]string](t)(s.DB().QueryStrings(context.Background(), `SELECT name, position, label FROM network_witnesses ORDER BY position`))
	for _, c := range []struct {
		name  string
		ctx   context.Context
		ws    []omadata.WitnessRef
		code  string
		field string
	}{
		{"not the admin", As("svc_x"), []omadata.WitnessRef{espoo}, omadata.EFORBIDDEN, ""},
		{"public", Public(), nil, omadata.EFORBIDDEN, ""},
		{"named twice", ctx, []omadata.WitnessRef{espoo, espoo}, omadata.EINVALID, "name"},
		{"no name", ctx, []omadata.WitnessRef{{VerifierKey: "x", URL: "https://x.example"}}, omadata.EINVALID, "name"},
		{"no URL", ctx, []omadata.WitnessRef{{Name: "x.example/witness", VerifierKey: "x"}}, omadata.EINVALID, "verifier_key"},
	} {
		err := s.SetNetworkWitnesses(c.ctx, c.ws)
		if omadata.ErrorCode(err) != c.code || omadata.ErrorField(err) != c.field {
			t.Errorf("%s: got %v, want %s on %q", c.name, err, c.code, c.field)
		}
	}
	if after := must[[][]string](t)(s.DB().QueryStrings(context.Background(), `SELECT name, position, label FROM network_witnesses ORDER BY position`)); len(after) != len(before) || after[0][0] != before[0][0] {
		t.Fatalf("refused lists changed what is kept: %v, want %v", after, before)
	}
	// Replaced whole: Turku left, the order is the new one.
	ok(t, s.SetNetworkWitnesses(ctx, []omadata.WitnessRef{espoo, anchor}))
	if got := must[[]omadata.WitnessRef](t)(s.NetworkWitnesses(ctx)); len(got) != 2 || got[0].Name != espoo.Name || got[1].Name != anchor.Name {
		t.Fatalf("replaced: got %+v", got)
	}
	ok(t, s.SetNetworkWitnesses(ctx, nil))
	if n := countRows(t, s, "network_witnesses"); n != "0" {
		t.Fatalf("emptied: %s rows", n)
	}
}
