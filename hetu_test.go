// SPDX-License-Identifier: Apache-2.0

package omadata_test

import (
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
)

// The test vectors of standards.md §7.1.
func TestParseIdentityCode(t *testing.T) {
	valid := []struct {
		code string
		born string
	}{
		{"131052-308T", "1952-10-13"},
		{"010185+123B", "1885-01-01"},
		{"290200A514W", "2000-02-29"},
		{"150705A2334", "2005-07-15"},
		{"311299Y1236", "1999-12-31"},
		{"010124B002P", "2024-01-01"},
		{"280251X899U", "1951-02-28"},
		{"100190-999P", "1990-01-10"},
		{"100190Y999P", "1990-01-10"},
		{"010150W002D", "1950-01-01"}, // W, V and U: the other new 1900s signs
		{"010150V002D", "1950-01-01"},
		{"010150U002D", "1950-01-01"},
		{"010110C0023", "2010-01-01"}, // C, D, E and F: the other new 2000s signs
		{"010110D0023", "2010-01-01"},
		{"010110E0023", "2010-01-01"},
		{"010110F0023", "2010-01-01"},
	}
	for _, c := range valid {
		born, err := omadata.ParseIdentityCode(c.code)
		if err != nil {
			t.Errorf("%s: %v, want valid", c.code, err)
		} else if got := born.Format(time.DateOnly); got != c.born {
			t.Errorf("%s: born %s, want %s", c.code, got, c.born)
		}
	}
	invalid := []string{
		"131052-308U", // wrong check character
		"290201A5145", // 2001-02-29 does not exist
		"311304C4567", // month 13
		"131052Z308T", // Z is not a century sign
		"131052-001W", // 001 is never issued
		"131052-000V", // nor 000
		"010185+123G", // G is never a check character
		"131052-308t", // lower case
		"131052-308",  // too short
		"131052-308TT",
		"000152-308T", // day 0
		"320152-308T", // day 32
		"",
		"１３１０５２-308T",
	}
	for _, code := range invalid {
		_, err := omadata.ParseIdentityCode(code)
		if err == nil {
			t.Errorf("%q: valid, want an error", code)
			continue
		}
		if omadata.ErrorField(err) != "identity_code" {
			t.Errorf("%q: field %q, want identity_code", code, omadata.ErrorField(err))
		}
		if len(code) > 3 && strings.Contains(omadata.ErrorMessage(err), code[:6]) {
			t.Errorf("%q: the message repeats the code: %q", code, omadata.ErrorMessage(err))
		}
	}
}

func FuzzParseIdentityCode(f *testing.F) {
	for _, s := range []string{"131052-308T", "290200A514W", "010185+123G", "", "0000000000000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		born, err := omadata.ParseIdentityCode(s)
		if err != nil {
			return
		}
		if len(s) != 11 || born.Year() < 1800 || born.Year() > 2099 {
			t.Fatalf("accepted %q born %v", s, born)
		}
		// Another check character makes it invalid.
		for _, c := range "0123456789ABCDEFHJKLMNPRSTUVWXY" {
			if byte(c) != s[10] {
				if _, err := omadata.ParseIdentityCode(s[:10] + string(c)); err == nil {
					t.Fatalf("both %q and %q accepted", s, s[:10]+string(c))
				}
			}
		}
	})
}

// TestAge counts age by the day in Finnish time: a child born on 22
// November turns 18 at midnight in Helsinki, 22:00 UTC on the 21st in
// winter (21:00 in summer), not at midnight UTC.
func TestAge(t *testing.T) {
	born := time.Date(2008, 2, 29, 0, 0, 0, 0, time.UTC)
	if got := omadata.AdultOn(born); !got.Equal(time.Date(2026, 2, 28, 22, 0, 0, 0, time.UTC)) {
		t.Errorf("leap-day child turns 18 at %v, want 2026-03-01 00:00 in Helsinki (22:00 UTC on 28 Feb)", got)
	}
	b := time.Date(2008, 11, 22, 0, 0, 0, 0, time.UTC)
	if got := omadata.AdultOn(b); !got.Equal(time.Date(2026, 11, 21, 22, 0, 0, 0, time.UTC)) {
		t.Errorf("turns 18 at %v, want 22:00 UTC on 21 November", got.UTC())
	}
	summer := time.Date(2008, 7, 1, 0, 0, 0, 0, time.UTC)
	if got := omadata.AdultOn(summer); !got.Equal(time.Date(2026, 6, 30, 21, 0, 0, 0, time.UTC)) {
		t.Errorf("a summer birthday turns 18 at %v, want 21:00 UTC the day before", got.UTC())
	}
	for _, c := range []struct {
		at   time.Time
		want int
	}{
		{time.Date(2026, 11, 21, 21, 59, 0, 0, time.UTC), 17},
		{time.Date(2026, 11, 21, 22, 0, 0, 0, time.UTC), 18},
		{time.Date(2026, 11, 21, 23, 59, 0, 0, time.UTC), 18},
		{time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC), 18},
	} {
		if got := omadata.AgeOn(b, c.at); got != c.want {
			t.Errorf("age on %v = %d, want %d", c.at, got, c.want)
		}
	}
}
