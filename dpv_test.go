// SPDX-License-Identifier: Apache-2.0

package omadata

import "testing"

func TestPersonalDataCategoryName(t *testing.T) {
	for _, c := range []struct{ code, lang, want string }{
		{"pd:Address", "fi", "osoite"},
		{"pd:Address", "sv", "adress"},
		{"pd:Address", "en", "address"},
		{PDBase + "HealthRecord", "sv", "journaluppgifter"},
		{"pd:Location", "fi", "sijaintitiedot"},
		{"pd:Horoscope", "fi", "pd:Horoscope"},
		{"dpv:Address", "en", "dpv:Address"},
		{"", "en", ""},
	} {
		if got := PersonalDataCategoryName(c.code, c.lang); got != c.want {
			t.Errorf("PersonalDataCategoryName(%q, %q) = %q, want %q", c.code, c.lang, got, c.want)
		}
	}
	// Every category the catalogue accepts has a name in every language.
	for name, c := range personalDataCategories {
		for _, lang := range Languages {
			if c.name[lang] == "" {
				t.Errorf("pd:%s has no name in %s", name, lang)
			}
		}
	}
}
