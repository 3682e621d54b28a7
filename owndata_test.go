// SPDX-License-Identifier: Apache-2.0

package omadata_test

import (
	"testing"

	"github.com/omadata/omadata"
)

// TestOwnDataTableCSV: a header of column keys or labels, rows in column
// order, quoting by RFC 4180, CRLF, and formulas defused, also behind
// spaces.
func TestOwnDataTableCSV(t *testing.T) {
	table := &omadata.OwnDataTable{
		Columns: []omadata.OwnDataColumn{{Key: "title", Label: omadata.Text{"fi": "Nimeke", "sv": "Titel", "en": "Title"}}, {Key: "due", Label: omadata.Text{"fi": "=Eräpäivä"}}},
		Rows: []map[string]string{{"due": "2026-12-02", "title": "Sinuhe, egyptiläinen"}, {"title": "@SUM(A1)", "due": "-1"}, {}, {"title": "  =1+1", "due": "\t=cmd"},
			{"title": "a=b", "due": " 12"}},
	}
	for lang, want := range map[string]string{
		"":   "title,due\r\n\"Sinuhe, egyptiläinen\",2026-12-02\r\n'@SUM(A1),'-1\r\n,\r\n'  =1+1,'\t=cmd\r\na=b,\" 12\"\r\n",
		"sv": "Titel,'=Eräpäivä\r\n\"Sinuhe, egyptiläinen\",2026-12-02\r\n'@SUM(A1),'-1\r\n,\r\n'  =1+1,'\t=cmd\r\na=b,\" 12\"\r\n",
	} {
		b, err := table.CSV(lang)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != want {
			t.Errorf("CSV(%q) = %q, want %q", lang, b, want)
		}
	}
}
