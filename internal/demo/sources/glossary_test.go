// SPDX-License-Identifier: Apache-2.0

package sources

import (
	"testing"

	"github.com/omadata/omadata/internal/glossary"
)

// TestGlossary holds every label of the demo sources' data to
// docs/glossary.md, and wants it in fi, sv and en.
func TestGlossary(t *testing.T) {
	g, err := glossary.Load(glossary.Path())
	if err != nil {
		t.Fatal(err)
	}
	all := map[string][3]string{}
	for src, groups := range data {
		for code, people := range groups {
			for person, a := range people {
				var labels []map[string]string
				for _, it := range a.Items {
					labels = append(labels, it.Label)
				}
				if a.Table != nil {
					for _, c := range a.Table.Columns {
						labels = append(labels, c.Label)
					}
				}
				for i, l := range labels {
					key := src + "/" + code + "/" + person + "/" + string(rune('a'+i))
					all[key] = [3]string{l["fi"], l["sv"], l["en"]}
					if l["fi"] == "" || l["sv"] == "" || l["en"] == "" {
						t.Errorf("%s: label %v lacks a language", key, l)
					}
				}
			}
		}
	}
	if len(all) < 30 {
		t.Fatalf("found only %d labels", len(all))
	}
	for _, p := range g.CheckCatalogue(all) {
		t.Error(p)
	}
}
