// SPDX-License-Identifier: Apache-2.0

package omadata

// ValidPeriod reports whether s is an ISO 8601 duration of calendar parts
// only, such as "P5Y", "P6M", "P2W", "P30D" or "P1Y6M": 'P', then at least one
// of years, months, weeks and days in that order, each at most four digits.
// Retention periods use it; omadata forbids endless retention, so there is no
// way to say "forever".
func ValidPeriod(s string) bool {
	if len(s) < 3 || s[0] != 'P' {
		return false
	}
	const order = "YMWD"
	next := 0 // index in order of the next designator allowed
	i := 1
	for i < len(s) {
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == i || j-i > 4 || j == len(s) {
			return false
		}
		k := -1
		for n := next; n < len(order); n++ {
			if order[n] == s[j] {
				k = n
				break
			}
		}
		if k < 0 {
			return false
		}
		next = k + 1
		i = j + 1
	}
	return true
}
