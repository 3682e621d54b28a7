// SPDX-License-Identifier: Apache-2.0

package idp

import (
	"testing"

	"github.com/omadata/omadata/internal/glossary"
)

// TestGlossary holds the sign-in chooser's texts to docs/glossary.md: the
// product is named one way in each language.
func TestGlossary(t *testing.T) {
	g, err := glossary.Load(glossary.Path())
	if err != nil {
		t.Fatal(err)
	}
	texts := map[string][3]string{}
	for i, lang := range glossary.Languages {
		for key, s := range chooserText[lang] {
			m := texts[key]
			m[i] = s
			texts[key] = m
		}
	}
	for _, p := range g.CheckCatalogue(texts) {
		t.Error(p)
	}
}
