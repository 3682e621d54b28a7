// SPDX-License-Identifier: Apache-2.0

package omadata

import (
	"testing"
	"time"
)

// TestRequestDue: a period of months ends on the same day of the month,
// or on the month's last day when it has no such day.
func TestRequestDue(t *testing.T) {
	for _, c := range []struct {
		from   string
		months int
		want   string
	}{
		{"2027-01-31T10:00:00Z", 1, "2027-02-28T10:00:00Z"},
		{"2028-01-31T10:00:00Z", 1, "2028-02-29T10:00:00Z"},
		{"2027-01-31T10:00:00Z", 3, "2027-04-30T09:00:00Z"}, // 12:00 in Helsinki, summer time by then
		{"2027-03-31T23:59:59Z", 1, "2027-04-30T23:59:59Z"},
		{"2027-11-30T00:00:00Z", 3, "2028-02-29T00:00:00Z"},
		{"2027-12-15T08:00:00Z", 1, "2028-01-15T08:00:00Z"},
		{"2027-08-31T12:00:00Z", 1, "2027-09-30T12:00:00Z"},
		// Finnish days: 00:30 on 31 January in Helsinki (EET, UTC+2) is
		// due at 00:30 on 28 February; extended by two months, at 00:30
		// on 30 April (EEST, UTC+3).
		{"2027-01-30T22:30:00Z", 1, "2027-02-27T22:30:00Z"},
		{"2027-01-30T22:30:00Z", 3, "2027-04-29T21:30:00Z"},
		{"2027-01-31T00:30:00+02:00", 1, "2027-02-28T00:30:00+02:00"},
	} {
		from, _ := time.Parse(time.RFC3339, c.from)
		want, _ := time.Parse(time.RFC3339, c.want)
		if got := RequestDue(from, c.months); !got.Equal(want) {
			t.Errorf("RequestDue(%s, %d) = %s, want %s", c.from, c.months, got, want)
		}
	}
}
