// SPDX-License-Identifier: Apache-2.0

package omadata_test

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/omadata/omadata"
)

// TestCheckTextIdentityCodes lists the forms a person may type or paste
// an identity code in; each is refused, on its own and inside a sentence,
// and the error names the field and says what to do.
func TestCheckTextIdentityCodes(t *testing.T) {
	forms := []string{
		"150385-9013",                // the exact form
		"150385a9013", "150385A9013", // a lower- and an upper-case century sign of the 2000s
		"131052-308t",                   // a lower-case check character
		"1503859013",                    // no separator
		"131052308T",                    // no separator, a letter check character
		"150385 9013",                   // a space
		"150385\u00a09013",              // a no-break space
		"150385\u20109013",              // hyphen
		"150385\u20119013",              // non-breaking hyphen
		"150385\u22129013",              // minus sign
		"150385\u20139013",              // en dash
		"150385\u20149013",              // em dash
		"150385\ufe639013",              // small hyphen-minus
		"150385\uff0d9013",              // fullwidth hyphen-minus
		"１５０３８５-９０１３",                   // fullwidth digits
		"١٥٠٣٨٥-٩٠١٣",                   // Arabic-Indic digits
		"१५०३८५-९०१३",                   // Devanagari digits
		"𝟏𝟓𝟎𝟑𝟖𝟓-𝟗𝟎𝟏𝟑",                   // mathematical bold digits
		"150\u200b385-90\u200d13",       // zero-width space and joiner
		"1503\u00ad85-9013",             // soft hyphen
		"150385\u20609013",              // word joiner
		"1 5 0 3 8 5 - 9 0 1 3",         // digits spaced apart
		"15-03-85-9013",                 // dashes between the parts
		"15 03 85 - 9013",               // the date as DD MM YY
		"150385 A 9013", "150385 a9013", // spaces around the century sign
		"290200Ａ514Ｗ",                     // fullwidth letters
		"290200\u0410514W",                // a Cyrillic capital A for the century sign
		"131052-308\u0422",                // a Cyrillic capital T for the check character
		"131052-308𝐓", "131052-308\u0442", // a mathematical bold T, a Cyrillic small t
		"010185+123B", "010185\uff0b123B", // the 1800s, with an ASCII and a fullwidth plus
		"1\u20e35\u20e30385-9013", // combining keycaps
		"150385-9013\n",
	}
	for _, s := range forms {
		for _, text := range []string{s, "Asiakas " + s + " soitti.", "hetu:" + s + "."} {
			err := omadata.CheckText("details", text, 1000)
			if omadata.ErrorCode(err) != omadata.EINVALID || omadata.ErrorField(err) != "details" {
				t.Errorf("%q: got %v, want invalid naming details", text, err)
			} else if omadata.ErrorMessage(err) != omadata.IdentityCodeInText {
				t.Errorf("%q: got message %q, want the identity-code message", text, omadata.ErrorMessage(err))
			}
		}
	}
}

// TestCheckTextOrdinary lists ordinary texts that must pass: dates,
// phone numbers in international form, archive references, business IDs,
// IBANs, URLs and IDs.
func TestCheckTextOrdinary(t *testing.T) {
	texts := []string{
		"Kirjastokortin lainat viimeisen vuoden ajalta.",
		"Syntynyt 15.03.1985, muuttanut Helsinkiin 1.6.2010.",
		"Päätös 15.3.1985 klo 9.13",
		"2026-03-15T10:00:00Z",
		"Puhelin +358 40 123 4567, vaihde +358 9 310 1691.",
		"+358401234567",
		"HEL 2026-77", "Dnro HEL 2026-012345", "HEL 2019-000123, HEL 2020-004567",
		"Y-tunnus 0201256-6", "0201256-6",
		"IBAN FI21 1234 5600 0007 85",
		"https://www.hel.fi/fi/kasvatus-ja-koulutus/varhaiskasvatus?id=123456",
		"550e8400-e29b-41d4-a716-446655440000",
		"svc_01JD2Q3R4S5T6V7W8X9Y0Z1A2B",
		"Laki 1050/2018, 5 §; HE 96/2018 vp",
		"Postinumero 00100, Pohjoisesplanadi 11-13",
		"Asiakasnumero 123456",
		"HEL 2012-123456", "HEL 2010-001234", "Dnro 2011/12345/2026",
		"Puhelin 040 123 4567", "040-123 4567", "09 310 1691", "050 5551234",
		"1985-03-15 1234", "Tapaaminen 15.03.1985 klo 10",
		"550e8400-e29b-41d4-a716-446655440000",
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"Rivi yksi\nrivi kaksi\tsarkain",
		"Väestötietojärjestelmä (DVV)",
		"€ 1 234,56",
		"",
	}
	for _, s := range texts {
		if err := omadata.CheckText("details", s, 1000); err != nil {
			t.Errorf("%q: %v, want it to pass", s, err)
		}
	}
}

// TestCheckTextRule covers the rest of the one text rule.
func TestCheckTextRule(t *testing.T) {
	tests := []struct {
		name, s string
		max     int
		ok      bool
	}{
		{"invalid UTF-8", "a\xffb", 100, false},
		{"replacement character as such", "a\ufffdb", 100, true},
		{"NUL", "a\x00b", 100, false},
		{"escape", "a\x1bb", 100, false},
		{"carriage return", "a\rb", 100, false},
		{"DEL", "a\x7fb", 100, false},
		{"C1 control", "a\u0085b", 100, false},
		{"newline and tab", "a\nb\tc", 100, true},
		{"at the limit", strings.Repeat("ä", 10), 10, true},
		{"over the limit", strings.Repeat("ä", 11), 10, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := omadata.CheckText("name", tt.s, tt.max)
			if tt.ok && err != nil {
				t.Fatalf("got %v, want nil", err)
			} else if !tt.ok && (omadata.ErrorCode(err) != omadata.EINVALID || omadata.ErrorField(err) != "name") {
				t.Fatalf("got %v, want invalid naming name", err)
			}
		})
	}
	if err := omadata.RequiredText("name", " \n", 10); omadata.ErrorField(err) != "name" {
		t.Errorf("blank: got %v, want invalid naming name", err)
	}
}

// Disguises a fuzzed identity code is written in.
var (
	fuzzZeros     = []rune{'0', '０', '٠', '۰', '०', '০', '๐', '𝟎', '𝟘', '᠐'}
	fuzzDashes    = []string{"-", "", " ", "\u2010", "\u2011", "\u2212", "\u2013", "\u2014", "\ufe63", "\uff0d", "\u00ad", "\u2043", "\u00a0"}
	fuzzGaps      = []string{" ", "-", "\u2013", "\u00a0", "\u202f", " - ", "\n", "\u2212 "}
	fuzzInvisible = []string{"", "", "", "\u200b", "\u200c", "\u200d", "\u00ad", "\u2060", "\ufeff", "\u0301"}
)

// FuzzIdentityCodeInText holds CheckText to its property: a valid identity
// code standing alone in a text, in any disguise ContainsIdentityCode
// folds (other digits, case, fullwidth letters, any dash or none for the
// separator, gaps where people put them, invisible characters anywhere),
// with any text around it, is never accepted.
func FuzzIdentityCodeInText(f *testing.F) {
	f.Add(uint32(150385), uint16(901), uint64(0), "", "")
	f.Add(uint32(290200), uint16(514), uint64(0xdeadbeef), "Asiakas", "soitti")
	f.Add(uint32(131052), uint16(308), uint64(1<<63), "x", "\xff")
	f.Fuzz(func(t *testing.T, date uint32, individual uint16, disguise uint64, prefix, suffix string) {
		day, month, yy := int(date/10000%100), int(date/100%100), int(date%100)
		century := "+-YXWVUABCDEF"[disguise%13]
		disguise /= 13
		n := int(individual)%998 + 2
		code := fmt.Sprintf("%02d%02d%02d%c%03d", day, month, yy, century, n)
		code += string("0123456789ABCDEFHJKLMNPRSTUVWXY"[((day*10000+month*100+yy)*1000+n)%31])
		if _, err := omadata.ParseIdentityCode(code); err != nil {
			return // no such date
		}
		pick := func(k int) int { v := int(disguise % uint64(k)); disguise /= uint64(k); return v }
		zero := fuzzZeros[pick(len(fuzzZeros))]
		lower := pick(2) == 1
		// Where gaps go, before which characters of the eleven: none,
		// around the separator, the date as DD MM YY too, or everywhere.
		var gapsBefore map[int]bool
		switch pick(4) {
		case 1:
			gapsBefore = map[int]bool{6: pick(2) == 0, 7: pick(2) == 0}
		case 2:
			gapsBefore = map[int]bool{2: true, 4: true, 6: pick(2) == 0, 7: pick(2) == 0}
		case 3:
			gapsBefore = map[int]bool{1: true, 2: true, 3: true, 4: true, 5: true, 6: true, 7: true, 8: true, 9: true, 10: true}
		}
		var b strings.Builder
		b.WriteString(prefix + " ")
		for i, c := range code {
			if gapsBefore[i] {
				b.WriteString(fuzzGaps[pick(len(fuzzGaps))])
			}
			if i > 0 {
				b.WriteString(fuzzInvisible[pick(len(fuzzInvisible))])
			}
			switch {
			case i == 6 && c == '-':
				b.WriteString(fuzzDashes[pick(len(fuzzDashes))])
			case c >= '0' && c <= '9':
				b.WriteRune(zero + c - '0')
			case c >= 'A' && c <= 'Z' && lower:
				b.WriteRune(c - 'A' + 'a')
			case c >= 'A' && c <= 'Z' && pick(3) == 0:
				b.WriteRune(c - 'A' + 'Ａ')
			default:
				b.WriteRune(c)
			}
		}
		b.WriteString(" " + suffix)
		s := b.String()
		if err := omadata.CheckText("details", s, 1<<20); err == nil {
			t.Fatalf("%q (holding %s) was accepted", s, code)
		}
		if utf8.ValidString(prefix) && utf8.ValidString(suffix) && !omadata.ContainsIdentityCode(s) {
			t.Fatalf("%q (holding %s): no identity code found", s, code)
		}
	})
}

// FuzzContainsIdentityCode checks that no text panics the check and that
// more text around a text holding a code, set apart by a space, never
// hides it.
func FuzzContainsIdentityCode(f *testing.F) {
	f.Add("150385-9013", "a", "b")
	f.Add("１５０３８５-９０１３", "", "\u200b")
	f.Add("HEL 2026-77", "+358 ", "")
	f.Fuzz(func(t *testing.T, s, prefix, suffix string) {
		if !omadata.ContainsIdentityCode(s) || !utf8.ValidString(prefix) || !utf8.ValidString(s) {
			return
		}
		if !omadata.ContainsIdentityCode(prefix + " " + s + " " + suffix) {
			t.Fatalf("%q holds a code, %q does not", s, prefix+" "+s+" "+suffix)
		}
	})
}
