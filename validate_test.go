// SPDX-License-Identifier: Apache-2.0

package omadata_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/omadata/omadata"
)

func TestTextValidate(t *testing.T) {
	cases := []struct {
		name  string
		text  omadata.Text
		field string // "" for valid
	}{
		{"all languages", omadata.Text{"fi": "a", "sv": "b", "en": "c"}, ""},
		{"unknown language", omadata.Text{"fi": "a", "sv": "b", "en": "c", "de": "d"}, "name.de"},
		{"missing Swedish", omadata.Text{"fi": "a", "en": "c"}, "name.sv"},
		{"blank English", omadata.Text{"fi": "a", "sv": "b", "en": "  "}, "name.en"},
		{"too long", omadata.Text{"fi": strings.Repeat("ä", 11), "sv": "b", "en": "c"}, "name.fi"},
		{"invalid UTF-8", omadata.Text{"fi": "\xff", "sv": "b", "en": "c"}, "name.fi"},
		{"newline is fine", omadata.Text{"fi": "a\nb", "sv": "b", "en": "c"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.text.Validate("name", 10, "fi", "sv", "en")
			if got := omadata.ErrorField(err); got != c.field {
				t.Fatalf("got field %q (%v), want %q", got, err, c.field)
			}
		})
	}
	if got := (omadata.Text{"sv": "Hej"}).In("en"); got != "Hej" {
		t.Errorf("In fell back to %q, want the Swedish text", got)
	}
}

func FuzzTextValidate(f *testing.F) {
	f.Add("fi", "Hei")
	f.Add("xx", "\x00")
	f.Fuzz(func(t *testing.T, lang, s string) {
		err := omadata.Text{lang: s}.Validate("t", 50)
		if err != nil && omadata.ErrorCode(err) != omadata.EINVALID {
			t.Fatalf("got code %q", omadata.ErrorCode(err))
		}
		if err == nil && !omadata.ValidLanguage(lang) {
			t.Fatalf("accepted language %q", lang)
		}
	})
}

func TestParsePersonalDataCategory(t *testing.T) {
	cases := []struct {
		in, short     string
		special, okay bool
	}{
		{"pd:Address", "pd:Address", false, true},
		{"https://w3id.org/dpv/pd#HealthRecord", "pd:HealthRecord", true, true},
		{"pd:Horoscope", "", false, false},
		{"Address", "", false, false},
		{"dpv:Address", "", false, false},
	}
	for _, c := range cases {
		short, special, ok := omadata.ParsePersonalDataCategory(c.in)
		if short != c.short || special != c.special || ok != c.okay {
			t.Errorf("ParsePersonalDataCategory(%q) = %q, %v, %v; want %q, %v, %v", c.in, short, special, ok, c.short, c.special, c.okay)
		}
	}
}

func TestCheckProcessingRules(t *testing.T) {
	purpose := &omadata.Purpose{Code: "research", LegalBases: []string{"A6-1-a", "A6-1-e", "A6-1-f"}}
	plain := &omadata.DataGroup{Code: "loans"}
	health := &omadata.DataGroup{Code: "wellbeing", SpecialCategory: true}
	cases := []struct {
		name   string
		basis  string
		art9   string
		groups []*omadata.DataGroup
		kind   string
		field  string
	}{
		{"consent", "A6-1-a", "", []*omadata.DataGroup{plain}, omadata.OrgCompany, ""},
		{"special with condition", "A6-1-a", "A9-2-a", []*omadata.DataGroup{plain, health}, omadata.OrgResearchInstitute, ""},
		{"special without condition", "A6-1-a", "", []*omadata.DataGroup{plain, health}, omadata.OrgResearchInstitute, "art9_condition"},
		{"condition without special", "A6-1-a", "A9-2-j", []*omadata.DataGroup{plain}, omadata.OrgCompany, "art9_condition"},
		{"basis not allowed", "A6-1-c", "", []*omadata.DataGroup{plain}, omadata.OrgCity, "legal_basis"},
		{"city on legitimate interests", "A6-1-f", "", []*omadata.DataGroup{plain}, omadata.OrgCity, "legal_basis"},
		{"company on legitimate interests without stating it", "A6-1-f", "", []*omadata.DataGroup{plain}, omadata.OrgCompany, "legitimate_interest.fi"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := &omadata.ProcessingVersion{LegalBasis: c.basis, Art9Condition: c.art9}
			err := omadata.CheckProcessingRules(v, purpose, c.groups, c.kind)
			if got := omadata.ErrorField(err); got != c.field {
				t.Fatalf("got field %q (%v), want %q", got, err, c.field)
			}
		})
	}
	t.Run("company on legitimate interests, stated", func(t *testing.T) {
		v := &omadata.ProcessingVersion{LegalBasis: "A6-1-f"}
		v.LegitimateInterest = omadata.Text{"fi": "Kokoelman kehittäminen", "sv": "Utveckling av samlingen", "en": "Improving the collection"}
		if err := omadata.CheckProcessingRules(v, purpose, []*omadata.DataGroup{plain}, omadata.OrgCompany); err != nil {
			t.Fatalf("got %v, want nil", err)
		}
	})
}

func TestNoticeHash(t *testing.T) {
	sum := sha256.Sum256([]byte("Otsikko\n\nTeksti"))
	if got, want := omadata.NoticeHash("Otsikko", "Teksti"), hex.EncodeToString(sum[:]); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if omadata.NoticeHash("a", "b") == omadata.NoticeHash("a\n", "b") {
		t.Fatal("different notices hash alike")
	}
}

func TestNewID(t *testing.T) {
	a, b := omadata.NewID("org"), omadata.NewID("org")
	if a == b || !omadata.ValidID("org", a) || omadata.ValidID("svc", a) || omadata.ValidID("org", a+"x") {
		t.Fatalf("got %q and %q", a, b)
	}
}

func TestCompatibleSince(t *testing.T) {
	vs := []*omadata.ProcessingVersion{{Version: 1}, {Version: 2, Compatible: true}, {Version: 3}, {Version: 4, Compatible: true}}
	for _, c := range []struct {
		from, to int
		want     bool
	}{{1, 1, true}, {1, 2, true}, {1, 3, false}, {2, 3, false}, {3, 4, true}, {1, 4, false}, {2, 1, false}, {4, 5, false}} {
		if got := omadata.CompatibleSince(vs, c.from, c.to); got != c.want {
			t.Errorf("CompatibleSince(%d, %d) = %v, want %v", c.from, c.to, got, c.want)
		}
	}
}
