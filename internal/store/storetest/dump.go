// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/omadata/omadata/internal/store"
)

// Dump is every row of every table of an SQLite store but those named in
// except, as text: a table's rows sorted, tables in name order. Tests
// compare two dumps to show that a refused call changed nothing.
func Dump(t testing.TB, s *store.Store, except ...string) string {
	t.Helper()
	db := s.DB()
	tables, err := db.QueryStrings(t.Context(), `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) == 0 {
		t.Fatal("dump: no tables")
	}
	var b strings.Builder
	for _, r := range tables {
		if slices.Contains(except, r[0]) {
			continue
		}
		all, err := db.QueryStrings(t.Context(), `SELECT * FROM "`+r[0]+`"`)
		if err != nil {
			t.Fatal(err)
		}
		lines := make([]string, len(all))
		for i, row := range all {
			lines[i] = strings.Join(row, "\t")
		}
		slices.Sort(lines)
		fmt.Fprintf(&b, "== %s\n%s\n", r[0], strings.Join(lines, "\n"))
	}
	return b.String()
}
