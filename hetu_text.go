// SPDX-License-Identifier: Apache-2.0

package omadata

import (
	"unicode"
)

// ContainsIdentityCode reports whether s holds a personal identity code,
// in any of the forms a person may type or paste one: with any century
// sign or none (DDMMYYZZZQ is caught when its check character is right and
// its date exists in some century), in either case, with Unicode digits
// (fullwidth, Arabic-Indic, mathematical…), with any dash or space for the
// separator or around the century sign, with the date written DD MM YY,
// with every character spaced apart, and with format characters
// (zero-width spaces and joiners, soft hyphens) and combining marks
// anywhere. It is the rule behind CheckText.
//
// A code stands alone: not inside a longer run of digits, and split only
// where people split one, so that dates, phone numbers in groups and
// references such as HEL 2012-123456 pass. Ten digits in a row read as a
// code without its century sign; a national phone number written so is
// refused when it happens to be one (1 to 3 in 100 mobile numbers),
// and passes in groups (040 123 4567) or in international form.
func ContainsIdentityCode(s string) bool {
	b := foldIdentityText(s)
	for i := range b {
		if b[i] < '0' || b[i] > '3' || i > 0 && isDigit(b[i-1]) {
			continue // a day starts with 0 to 3, and a code with its day
		}
		// Read up to eleven code characters from i, noting before which
		// of them a gap (spaces, dashes) came and where each ended.
		var (
			chars [11]byte
			end   [11]int // index in b after each character
			gaps  uint16  // bit k: a gap before character k
			n     int
		)
		for j := i; j < len(b) && n < 11; j++ {
			switch c := b[j]; {
			case c == ' ':
				gaps |= 1 << n
			case c == '.':
				j = len(b)
			default:
				chars[n], end[n] = c, j+1
				n++
			}
		}
		standsAlone := func(k int) bool { return end[k-1] == len(b) || !isDigit(b[end[k-1]]) }
		if n >= 10 && standsAlone(10) && splitLikeCode(gaps&(1<<10-1), 10) {
			// No century sign: the separator was left out, or was a
			// dash, which folding turned into a gap. The check character
			// does not depend on the century, so a valid date in any
			// century is enough.
			for _, c := range []byte{'-', '+', 'A'} {
				if codeValid(chars[0:6], c, chars[6:10]) {
					return true
				}
			}
		}
		if n == 11 && standsAlone(11) && isCenturySign(chars[6]) && splitLikeCode(gaps&(1<<11-1), 11) &&
			codeValid(chars[0:6], chars[6], chars[7:11]) {
			return true
		}
	}
	return false
}

// splitLikeCode reports whether gaps, before characters of an n-character
// code, split it as people do: not at all, around the separator or century
// sign (before character 6, and 7 when it has one), the date as DD MM YY
// too, or before every character.
func splitLikeCode(gaps uint16, n int) bool {
	const date = 1<<2 | 1<<4
	if gaps == 1<<n-2 { // bits 1 to n-1: every character spaced apart
		return true
	}
	if d := gaps & date; d != 0 && d != date {
		return false
	}
	rest := gaps &^ date
	if n == 10 {
		return rest&^(1<<6) == 0
	}
	return rest&^(1<<6|1<<7) == 0
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// codeValid reports whether date DDMMYY, century sign c and NNNQ make a
// personal identity code, as ParseIdentityCode checks one.
func codeValid(date []byte, c byte, rest []byte) bool {
	var code [11]byte
	copy(code[:6], date)
	code[6] = c
	copy(code[7:], rest)
	_, wrong := identityCodeBirth(&code)
	return wrong == ""
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
// to upper-case ASCII, plus signs to '+'. A run of spaces and dashes
// becomes one gap, ' '; format characters and combining marks, which
// show nothing, are dropped; anything else becomes '.', which no code
// contains.
func foldIdentityText(s string) []byte {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		switch c := foldIdentityRune(r); {
		case c == 0:
		case c == ' ' && len(b) > 0 && b[len(b)-1] == ' ':
		default:
			b = append(b, c)
		}
	}
	return b
}

// foldIdentityRune returns the code character r stands for, ' ' for a
// space or dash, 0 when r is dropped, or '.' for any other character.
func foldIdentityRune(r rune) byte {
	switch {
	case r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r == '+':
		return byte(r)
	case r >= 'a' && r <= 'z':
		return byte(r - 'a' + 'A')
	case r == '-' || r == 0x2212 || unicode.IsSpace(r) || unicode.In(r, unicode.Pd, unicode.Zs):
		return ' '
	case r < 0x80:
		return '.'
	case unicode.In(r, unicode.Cf, unicode.Mn, unicode.Me):
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
		return byte('A' + (r-0x1D400)%26)
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
// digits, other minus and plus signs (gaps, like dashes), and the Greek
// and Cyrillic capitals and small letters that look like Latin ones.
var identityLookalikes = map[rune]byte{
	'⁰': '0', '¹': '1', '²': '2', '³': '3', '⁴': '4', '⁵': '5', '⁶': '6', '⁷': '7', '⁸': '8', '⁹': '9',
	'₀': '0', '₁': '1', '₂': '2', '₃': '3', '₄': '4', '₅': '5', '₆': '6', '₇': '7', '₈': '8', '₉': '9',
	'⁺': '+', '₊': '+', '﹢': '+', '➕': '+', '˖': '+',
	'⁻': ' ', '₋': ' ', '˗': ' ', '➖': ' ', '⁃': ' ',
	'Α': 'A', 'Β': 'B', 'Ε': 'E', 'Η': 'H', 'Ι': 'I', 'Κ': 'K', 'Μ': 'M', 'Ν': 'N', 'Ο': 'O', 'Ρ': 'P', 'Τ': 'T', 'Υ': 'Y', 'Χ': 'X', 'Ζ': 'Z',
	'α': 'A', 'β': 'B', 'ε': 'E', 'κ': 'K', 'ν': 'V', 'ο': 'O', 'ρ': 'P', 'τ': 'T', 'υ': 'U', 'χ': 'X',
	'А': 'A', 'В': 'B', 'С': 'C', 'Е': 'E', 'Н': 'H', 'К': 'K', 'М': 'M', 'О': 'O', 'Р': 'P', 'Т': 'T', 'У': 'Y', 'Х': 'X',
	'а': 'A', 'в': 'B', 'с': 'C', 'е': 'E', 'н': 'H', 'к': 'K', 'м': 'M', 'о': 'O', 'р': 'P', 'т': 'T', 'у': 'Y', 'х': 'X',
}
