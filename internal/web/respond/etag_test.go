// SPDX-License-Identifier: Apache-2.0

package respond

import "testing"

// TestNoneMatch: one If-None-Match rule for the API and the network
// catalogue (it was duplicated in netapi, which read only the first
// header value).
func TestNoneMatch(t *testing.T) {
	for _, tc := range []struct {
		values []string
		want   bool
	}{
		{[]string{`"abc"`}, true},
		{[]string{`W/"abc"`}, true},
		{[]string{`"x", "abc"`}, true},
		{[]string{`"x"`, `"abc"`}, true},
		{[]string{`*`}, true},
		{[]string{`"abcd"`}, false},
		{[]string{`abc`}, false},
		{[]string{``}, false},
		{nil, false},
	} {
		if got := NoneMatch(tc.values, `"abc"`); got != tc.want {
			t.Errorf("NoneMatch(%q): got %v, want %v", tc.values, got, tc.want)
		}
	}
}
