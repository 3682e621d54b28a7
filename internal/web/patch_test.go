// SPDX-License-Identifier: Apache-2.0

package web_test

import (
	"testing"
)

// TestPatchEmptyAndNoOp: a PATCH that sets no field, after nulls are
// dropped, is a 400 on body; a PATCH that changes nothing answers 200 with
// the record and writes nothing, so a service cannot pad the
// transparency log with updates that change nothing.
func TestPatchEmptyAndNoOp(t *testing.T) {
	e := newEnv(t, nil)
	path := "/api/v1/services/" + e.svcA
	before := e.dump(t)
	for _, body := range []string{`{}`, `{"name":null}`, `{"description":null,"endpoints":null}`} {
		r := e.do(t, "PATCH", path, e.tokA, body)
		wantStatus(t, r, 400)
		if f := r.err(t).Field; f != "body" {
			t.Errorf("%s: got field %q, want body", body, f)
		}
	}
	var sv struct {
		Description map[string]string `json:"description"`
		UpdatedAt   string            `json:"updated_at"`
	}
	got := e.do(t, "GET", path, e.tokA, nil)
	wantStatus(t, got, 200)
	got.decode(t, &sv)
	r := e.do(t, "PATCH", path, e.tokA, map[string]any{"description": sv.Description})
	wantStatus(t, r, 200)
	if string(r.body) != string(got.body) {
		t.Errorf("a no-op PATCH answered %s, want the record as it is: %s", r.body, got.body)
	}
	if after := e.dump(t); after != before {
		t.Errorf("an empty or no-op PATCH changed the database:\n%s", firstDiff(before, after))
	}
}
