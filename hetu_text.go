// SPDX-License-Identifier: Apache-2.0

package omadata

import (
	"time"
	"unicode"
)

// ContainsIdentityCode reports whether s holds a personal identity code,
// in any of the forms a person may type or paste one: with any century
// sign or none (DDMMYYZZZQ is caught when its check character is right and
// its date exists in some century), in either case, with Unicode digits
// (fullwidth, Arabic-Indic, mathematical…), with any dash for the
// separator, and with spaces, dashes, format characters (zero-width
// spaces and joiners, soft hyphens) and combining marks anywhere between
// its characters. It is the rule behind CheckText.
//
// Folding spaces and dashes away means a run of ten digits can read as a
// code without a century sign: about one national phone number in a few
// hundred does. Those are refused too; written in international form
// (+358 …) they pass, as a code never starts with a country code.
func ContainsIdentityCode(s string) bool {
	b := foldIdentityText(s)
	for i := 0; i+10 <= len(b); i++ {
		if b[i] < '0' || b[i] > '3' { // a day starts with 0 to 3
			continue
		}
		if i+11 <= len(b) && isCenturySign(b[i+6]) && codeValid(b[i:i+6], b[i+6], b[i+7:i+11]) {
			return true
		}
		// No century sign: the separator was left out, or was a dash,
		// which folding removed. The check character does not depend on
		// the century, so a valid date in any century is enough.
		for _, c := range []byte{'-', '+', 'A'} {
			if codeValid(b[i:i+6], c, b[i+6:i+10]) {
				return true
			}
		}
	}
	return false
}

// codeValid checks date DDMMYY, century sign c and NNNQ the way
// ParseIdentityCode does, without allocating.
func codeValid(date []byte, c byte, rest []byte) bool {
	for _, d := range date {
		if d < '0' || d > '9' {
			return false
		}
	}
	for _, d := range rest[:3] {
		if d < '0' || d > '9' {
			return false
		}
	}
	num := func(b []byte) int {
		n := 0
		for _, d := range b {
			n = n*10 + int(d-'0')
		}
		return n
	}
	var century int
	switch c {
	case '+':
		century = 1800
	case '-', 'Y', 'X', 'W', 'V', 'U':
		century = 1900
	case 'A', 'B', 'C', 'D', 'E', 'F':
		century = 2000
	default:
		return false
	}
	day, month, year := num(date[0:2]), num(date[2:4]), century+num(date[4:6])
	birth := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	if month < 1 || month > 12 || day < 1 || birth.Day() != day {
		return false
	}
	individual := num(rest[:3])
	return individual >= 2 && hetuCheckChars[(num(date)*1000+individual)%31] == rest[3]
}

func isCenturySign(c byte) bool {
	switch c {
	case '+', 'Y', 'X', 'W', 'V', 'U', 'A', 'B', 'C', 'D', 'E', 'F':
		return true
	}
	return false
}

// foldIdentityText maps s to the characters an identity code is made of:
// digits of any script to ASCII digits, letters that stand for Latin ones
// to upper-case ASCII, plus signs to '+'. Spaces, dashes, format
// characters and combining marks are dropped; anything else becomes '.',
// which no code contains.
func foldIdentityText(s string) []byte {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if c := foldIdentityRune(r); c != 0 {
			b = append(b, c)
		}
	}
	return b
}

// foldIdentityRune returns the code character r stands for, 0 when r is
// dropped, or '.' for any other character.
func foldIdentityRune(r rune) byte {
	switch {
	case r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r == '+':
		return byte(r)
	case r >= 'a' && r <= 'z':
		return byte(r - 'a' + 'A')
	case r < 0x80 && r != '-' && !unicode.IsSpace(r):
		return '.'
	case r == '-' || r == 0x2212 || unicode.IsSpace(r) || unicode.In(r, unicode.Pd, unicode.Zs, unicode.Cf, unicode.Mn, unicode.Me):
		return 0
	case r >= 0xFF01 && r <= 0xFF5E: // fullwidth ASCII
		return foldIdentityRune(r - 0xFF01 + '!')
	case unicode.Is(unicode.Nd, r):
		// Decimal digits come in runs of ten, zero to nine, so a digit's
		// value is its distance from the start of its run, modulo ten.
		start := r
		for unicode.Is(unicode.Nd, start-1) {
			start--
		}
		return byte('0' + (r-start)%10)
	}
	if c, ok := identityLookalikes[r]; ok {
		return c
	}
	if r >= 0x1D400 && r <= 0x1D6A3 { // mathematical alphanumeric letters, A–Z a–z repeated
		if i := (r - 0x1D400) % 52; i < 26 {
			return byte('A' + i)
		} else {
			return byte('A' + i - 26)
		}
	}
	// Letters whose case fold is a Latin letter: the Kelvin sign, the
	// long s.
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f >= 'A' && f <= 'Z' {
			return byte(f)
		} else if f >= 'a' && f <= 'z' {
			return byte(f - 'a' + 'A')
		}
	}
	return '.'
}

// identityLookalikes are characters outside the blocks above that read as
// a digit, a plus sign or a Latin capital of a code: super- and subscript
// digits, other minus and plus signs (dropped like dashes), and the Greek
// and Cyrillic capitals and small letters that look like Latin ones.
var identityLookalikes = map[rune]byte{
	'⁰': '0', '¹': '1', '²': '2', '³': '3', '⁴': '4', '⁵': '5', '⁶': '6', '⁷': '7', '⁸': '8', '⁹': '9',
	'₀': '0', '₁': '1', '₂': '2', '₃': '3', '₄': '4', '₅': '5', '₆': '6', '₇': '7', '₈': '8', '₉': '9',
	'⁺': '+', '₊': '+', '﹢': '+', '➕': '+', '˖': '+',
	'⁻': 0, '₋': 0, '˗': 0, '➖': 0, '⁃': 0,
	'Α': 'A', 'Β': 'B', 'Ε': 'E', 'Η': 'H', 'Ι': 'I', 'Κ': 'K', 'Μ': 'M', 'Ν': 'N', 'Ο': 'O', 'Ρ': 'P', 'Τ': 'T', 'Υ': 'Y', 'Χ': 'X', 'Ζ': 'Z',
	'α': 'A', 'β': 'B', 'ε': 'E', 'κ': 'K', 'ν': 'V', 'ο': 'O', 'ρ': 'P', 'τ': 'T', 'υ': 'U', 'χ': 'X',
	'А': 'A', 'В': 'B', 'С': 'C', 'Е': 'E', 'Н': 'H', 'К': 'K', 'М': 'M', 'О': 'O', 'Р': 'P', 'Т': 'T', 'У': 'Y', 'Х': 'X',
	'а': 'A', 'в': 'B', 'с': 'C', 'е': 'E', 'н': 'H', 'к': 'K', 'м': 'M', 'о': 'O', 'р': 'P', 'т': 'T', 'у': 'Y', 'х': 'X',
}
