// SPDX-License-Identifier: Apache-2.0

package omadata

import (
	"time"
	_ "time/tzdata" // Europe/Helsinki on hosts without a zone database
)

// hetuCheckChars maps the remainder of DDMMYYZZZ modulo 31 to the check
// character; G, I, O, Q and Z are never used.
const hetuCheckChars = "0123456789ABCDEFHJKLMNPRSTUVWXY"

// ParseIdentityCode checks a Finnish personal identity code (henkilötunnus)
// of the form DDMMYYCZZZQ — birth date, century sign, individual number,
// check character — and returns the birth date. Every century sign is
// accepted, including those of the 2023 reform (-YXWVU for the 1900s,
// ABCDEF for the 2000s); individual numbers 000 and 001 are never issued;
// 900–999 are temporary codes. Upper case only.
//
// The error never repeats the code: it is personal data and must not reach
// a log or a response.
func ParseIdentityCode(s string) (time.Time, error) {
	if len(s) != 11 {
		return time.Time{}, Invalidf("identity_code", "A personal identity code has 11 characters.")
	}
	var code [11]byte
	copy(code[:], s)
	birth, wrong := identityCodeBirth(&code)
	if wrong != "" {
		return time.Time{}, Invalidf("identity_code", "%s", wrong)
	}
	return birth, nil
}

// identityCodeBirth checks the characters of a personal identity code,
// DDMMYYCZZZQ, and returns its birth date, or else the sentence that says
// what is wrong, which never repeats the code. It allocates nothing, so
// ContainsIdentityCode may try it at every place in a text.
func identityCodeBirth(code *[11]byte) (time.Time, string) {
	for _, i := range []int{0, 1, 2, 3, 4, 5, 7, 8, 9} {
		if !isDigit(code[i]) {
			return time.Time{}, "Not a personal identity code: expected DDMMYYCZZZQ."
		}
	}
	var century int
	switch code[6] {
	case '+':
		century = 1800
	case '-', 'Y', 'X', 'W', 'V', 'U':
		century = 1900
	case 'A', 'B', 'C', 'D', 'E', 'F':
		century = 2000
	default:
		return time.Time{}, "Unknown century sign."
	}
	num := func(a, b int) int {
		n := 0
		for i := a; i < b; i++ {
			n = n*10 + int(code[i]-'0')
		}
		return n
	}
	day, month, year := num(0, 2), num(2, 4), century+num(4, 6)
	birth := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	if month < 1 || month > 12 || day < 1 || birth.Day() != day || birth.Month() != time.Month(month) {
		return time.Time{}, "The birth date in the personal identity code does not exist."
	}
	if num(7, 10) < 2 {
		return time.Time{}, "Individual numbers 000 and 001 are never issued."
	}
	if hetuCheckChars[(num(0, 6)*1000+num(7, 10))%31] != code[10] {
		return time.Time{}, "The check character of the personal identity code is wrong."
	}
	return birth, ""
}

// Zone is Finnish time (Europe/Helsinki), by which a person's age and
// every guardianship's end are counted: a child turns 18 at midnight in
// Finland, 22:00 or 21:00 UTC the day before. The zone database is
// embedded (time/tzdata), so a host without one counts the same.
var Zone = func() *time.Location {
	l, err := time.LoadLocation("Europe/Helsinki")
	if err != nil {
		panic(err) // cannot happen: embedded by time/tzdata
	}
	return l
}()

// AgeOn returns the age in whole years at the instant at, by the day in
// Finnish time, of someone born on the date birth.
func AgeOn(birth, at time.Time) int {
	at = at.In(Zone)
	age := at.Year() - birth.Year()
	if at.Month() < birth.Month() || at.Month() == birth.Month() && at.Day() < birth.Day() {
		age--
	}
	return age
}

// AdultOn returns the first instant at which someone born on the date
// birth is 18: midnight in Finnish time at the start of the 18th birthday.
// A leap-day birthday turns 18 on 1 March in a common year.
func AdultOn(birth time.Time) time.Time {
	return time.Date(birth.Year()+18, birth.Month(), birth.Day(), 0, 0, 0, 0, Zone)
}
