// SPDX-License-Identifier: Apache-2.0

package archive

import (
	"testing"
)

// TestSafe: a path segment from a source's service ID or data group code
// never leaves its folder or adds one.
func TestSafe(t *testing.T) {
	for in, want := range map[string]string{
		"svc_06h4vk2nq4c1": "svc_06h4vk2nq4c1", "library-loans": "library-loans", "a.b": "a.b",
		"..": "_", ".": "_", "": "_", "../etc": ".._etc", "a/b": "a_b", `a\b`: "a_b", "ä": "__",
	} {
		if got := safe(in); got != want {
			t.Errorf("safe(%q) = %q, want %q", in, got, want)
		}
	}
}
