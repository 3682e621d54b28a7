// SPDX-License-Identifier: Apache-2.0

package archive

import (
	"testing"

	"github.com/omadata/omadata"
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

// TestTableCSV: a header of column keys, rows in column order, quoting
// by RFC 4180, CRLF, and a formula defused.
func TestTableCSV(t *testing.T) {
	b, err := tableCSV(&omadata.OwnDataTable{
		Columns: []omadata.OwnDataColumn{{Key: "title"}, {Key: "due"}},
		Rows:    []map[string]string{{"due": "2026-12-02", "title": "Sinuhe, egyptiläinen"}, {"title": "@SUM(A1)", "due": "-1"}, {}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "title,due\r\n\"Sinuhe, egyptiläinen\",2026-12-02\r\n'@SUM(A1),'-1\r\n,\r\n"
	if string(b) != want {
		t.Fatalf("got %q, want %q", b, want)
	}
}
