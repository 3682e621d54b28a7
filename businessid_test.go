// SPDX-License-Identifier: Apache-2.0

package omadata_test

import (
	"testing"

	"github.com/omadata/omadata"
)

func TestValidBusinessID(t *testing.T) {
	cases := []struct {
		id   string
		want bool
	}{
		{"0201256-6", true},  // City of Helsinki
		{"0101263-6", true},  // City of Espoo
		{"0204819-8", true},  // City of Turku
		{"1572860-0", true},  // remainder 0 gives check digit 0
		{"0201256-5", false}, // wrong check digit
		{"0201256-", false},
		{"201256-6", false}, // old six-digit form: give it zero-padded
		{"02012566", false},
		{"0201256_6", false},
		{"O201256-6", false},
		{"0201256-66", false},
		{"", false},
		{"٠٢٠١٢٥٦-٦", false}, // Arabic-Indic digits are not digits here
	}
	for _, c := range cases {
		if got := omadata.ValidBusinessID(c.id); got != c.want {
			t.Errorf("ValidBusinessID(%q) = %v, want %v", c.id, got, c.want)
		}
	}
	for d := '0'; d <= '9'; d++ {
		// 0000006: sum 6*2 = 12, remainder 1, which is never issued.
		if id := "0000006-" + string(d); omadata.ValidBusinessID(id) {
			t.Errorf("ValidBusinessID(%q) = true, want false: remainder 1 is never issued", id)
		}
	}
}

func FuzzValidBusinessID(f *testing.F) {
	for _, s := range []string{"0201256-6", "0000006-0", "", "-", "1234567-8x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !omadata.ValidBusinessID(s) {
			return
		}
		if len(s) != 9 || s[7] != '-' {
			t.Fatalf("accepted malformed %q", s)
		}
		// Changing the check digit must make it invalid.
		b := []byte(s)
		b[8] = '0' + (b[8]-'0'+1)%10
		if omadata.ValidBusinessID(string(b)) {
			t.Fatalf("both %q and %q accepted", s, b)
		}
	})
}

func TestValidPeriod(t *testing.T) {
	for _, s := range []string{"P1Y", "P6M", "P2W", "P30D", "P1Y6M", "P1Y2M3W4D", "P9999Y"} {
		if !omadata.ValidPeriod(s) {
			t.Errorf("ValidPeriod(%q) = false, want true", s)
		}
	}
	for _, s := range []string{"", "P", "1Y", "PY", "P1", "P1M1Y", "P1Y1Y", "PT5H", "P10000Y", "P-1Y", "p1y", "P1Y ", "P1.5Y", "forever"} {
		if omadata.ValidPeriod(s) {
			t.Errorf("ValidPeriod(%q) = true, want false", s)
		}
	}
}

func FuzzValidPeriod(f *testing.F) {
	for _, s := range []string{"P1Y", "P1Y6M", "PT1H", "P", "P1M1Y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if omadata.ValidPeriod(s) && (s[0] != 'P' || len(s) > 21) {
			t.Fatalf("accepted %q", s)
		}
	})
}
