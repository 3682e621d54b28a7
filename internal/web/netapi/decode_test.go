// SPDX-License-Identifier: Apache-2.0

package netapi

import (
	"testing"

	"github.com/omadata/omadata"
)

// TestDecodeBodyStrict: a body's member given twice, or matched only
// ignoring case, is refused naming it (docs/network.md §5), not decoded
// as its last value.
func TestDecodeBodyStrict(t *testing.T) {
	for _, tc := range []struct{ body, field string }{
		{`{"sub":"https://a.test","sub":"https://b.test","status":"removed"}`, "sub"},
		{`{"SUB":"https://a.test","status":"removed"}`, "SUB"},
		{`{"sub":"https://a.test","status":"removed","extra":1}`, "extra"},
	} {
		var ev struct {
			Sub    string `json:"sub"`
			Status string `json:"status"`
		}
		err := decodeBody([]byte(tc.body), &ev)
		if omadata.ErrorCode(err) != omadata.EINVALID || omadata.ErrorField(err) != tc.field {
			t.Errorf("%s: got %v (field %q), want invalid naming %q", tc.body, err, omadata.ErrorField(err), tc.field)
		}
	}
	var ev struct {
		Sub    string `json:"sub"`
		Status string `json:"status"`
	}
	if err := decodeBody([]byte(`{"sub":"https://a.test","status":"removed"}`), &ev); err != nil || ev.Sub != "https://a.test" {
		t.Fatalf("got %+v, %v", ev, err)
	}
}
