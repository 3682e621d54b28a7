// SPDX-License-Identifier: Apache-2.0

package omadata

// ValidBusinessID reports whether s is a Finnish business ID (Y-tunnus) in its
// canonical form "NNNNNNN-C", with a correct check digit: the seven digits
// weighted 7, 9, 10, 5, 8, 4, 2, summed, modulo 11; remainder 0 gives check
// digit 0, remainder 1 is never issued, otherwise 11 minus the remainder.
func ValidBusinessID(s string) bool {
	if len(s) != 9 || s[7] != '-' {
		return false
	}
	weights := [7]int{7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		c := s[i]
		if c < '0' || c > '9' {
			return false
		}
		sum += int(c-'0') * w
	}
	c := s[8]
	if c < '0' || c > '9' {
		return false
	}
	switch r := sum % 11; r {
	case 0:
		return c == '0'
	case 1:
		return false
	default:
		return int(c-'0') == 11-r
	}
}
