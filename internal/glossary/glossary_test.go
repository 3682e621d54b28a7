// SPDX-License-Identifier: Apache-2.0

package glossary

import "testing"

func TestLoad(t *testing.T) {
	g, err := Load(Path())
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, c := range g.Terms {
		if seen[c.Concept] {
			t.Errorf("concept %q twice", c.Concept)
		}
		seen[c.Concept] = true
		for i, term := range c.Terms {
			if term == "" {
				t.Errorf("%s: no %s term", c.Concept, Languages[i])
			}
			// A term must not be its own forbidden variant.
			if v := g.Violations(Languages[i], term); len(v) > 0 {
				t.Errorf("%s: the %s term %q is forbidden: %v", c.Concept, Languages[i], term, v)
			}
		}
	}
	for _, want := range []string{"special categories of personal data", "withdraw consent", "refuse consent", "privacy notice", "rectification", "product"} {
		if !seen[want] {
			t.Errorf("no concept %q", want)
		}
	}
	if got := g.Term("controller", "sv"); got != "personuppgiftsansvarig" {
		t.Errorf("controller in sv = %q", got)
	}
}

func TestViolations(t *testing.T) {
	g, err := Load(Path())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		lang, text string
		bad        bool
	}{
		{"fi", "Peru suostumus", true},
		{"fi", "Voit perua suostumuksen.", true},
		{"fi", "Käsittely perustuu suostumukseen.", false}, // "peru" inside a word
		{"fi", "Peruuta suostumus", false},
		{"fi", "kielletty", true},
		{"fi", "arkaluonteinen tieto", true},
		{"fi", "erityiset henkilötietoryhmät", false},
		{"fi", "Tietojen korjaaminen", true},
		{"fi", "oikaisu", true},
		{"fi", "oikaisuvaatimus", false},
		{"sv", "Dataskyddsmeddelanden på tre språk", true},
		{"sv", "känsliga uppgifter", true},
		{"sv", "Espoon kaupunki / City of Espoo", true},
		{"sv", "Esbo stad", false},
		{"en", "sensitive data", true},
		{"en", "Omadata omadata admin", true},
		{"en", "omadata log verify", false},
	} {
		got := g.Violations(c.lang, c.text)
		if (len(got) > 0) != c.bad {
			t.Errorf("Violations(%s, %q) = %v, want bad=%v", c.lang, c.text, got, c.bad)
		}
	}
}

func TestRawKeys(t *testing.T) {
	messages := map[string][3]string{"status.open": {"avoin", "öppen", "open"}, "f.when": {"Aika", "Tid", "When"}}
	got := RawKeys("Tila: status.open. Kirjoita tietosuoja@hel.fi tai f.when", messages)
	if len(got) != 2 || got[0] != "status.open" || got[1] != "f.when" {
		t.Fatalf("got %q", got)
	}
}
