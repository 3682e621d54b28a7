// SPDX-License-Identifier: Apache-2.0

package portal

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // Europe/Helsinki on hosts without a zone database

	"github.com/omadata/omadata"
)

// zone is where residents read times: the portal shows Finnish time.
var zone = func() *time.Location {
	l, err := time.LoadLocation("Europe/Helsinki")
	if err != nil {
		panic(err) // embedded by time/tzdata
	}
	return l
}()

// msg returns the text of key in lang. A missing key is a bug that
// TestMessages catches; the key itself shows rather than nothing.
func msg(lang, key string) string {
	m, ok := messages[key]
	if !ok {
		return key
	}
	switch lang {
	case "sv":
		return m[1]
	case "en":
		return m[2]
	}
	return m[0]
}

// msgf formats the text of key with args.
func msgf(lang, key string, args ...any) string { return fmt.Sprintf(msg(lang, key), args...) }

var monthsEN = [...]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}

// formatDate writes a date as each language writes it: 22.11.2026 in
// Finnish, 22.11.2026 in Finland-Swedish, 22 November 2026 in English.
func formatDate(lang string, t time.Time) string {
	t = t.In(zone)
	if lang == "en" {
		return fmt.Sprintf("%d %s %d", t.Day(), monthsEN[t.Month()-1], t.Year())
	}
	return fmt.Sprintf("%d.%d.%d", t.Day(), int(t.Month()), t.Year())
}

// formatDateTime adds the time of day: "klo 14.05" in Finnish, "kl. 14.05"
// in Swedish, "at 14:05" in English.
func formatDateTime(lang string, t time.Time) string {
	t = t.In(zone)
	switch lang {
	case "sv":
		return fmt.Sprintf("%s kl. %02d.%02d", formatDate(lang, t), t.Hour(), t.Minute())
	case "en":
		return fmt.Sprintf("%s at %02d:%02d", formatDate(lang, t), t.Hour(), t.Minute())
	}
	return fmt.Sprintf("%s klo %02d.%02d", formatDate(lang, t), t.Hour(), t.Minute())
}

// formatNumber groups thousands as each language does: a (no-break) space
// in Finnish and Swedish, a comma in English.
func formatNumber(lang string, n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	sep := "\u00a0"
	if lang == "en" {
		sep = ","
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(c)
	}
	if neg {
		return "−" + b.String()
	}
	return b.String()
}

// parseDate reads a date from a form: the ISO form a date input sends, or
// the language's own form typed by hand.
func parseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if t, err := time.ParseInLocation(time.DateOnly, s, zone); err == nil {
		return t, true
	}
	if t, err := time.ParseInLocation("2.1.2006", s, zone); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// languageNames are the names of the languages in themselves, for the
// language switcher.
var languageNames = map[string]string{"fi": "Suomeksi", "sv": "På svenska", "en": "In English"}

// legalBasisKey returns the message key of a legal basis code.
func legalBasisKey(code string) string { return "basis." + code }

// text returns a multilingual text in lang.
func text(lang string, t omadata.Text) string { return t.In(lang) }
