// SPDX-License-Identifier: Apache-2.0

package admin

import (
	"fmt"
	"time"
	_ "time/tzdata"
)

var zone = func() *time.Location {
	l, err := time.LoadLocation("Europe/Helsinki")
	if err != nil {
		panic(err)
	}
	return l
}()

// msg returns the text of key in lang; a missing key shows as itself, and
// TestMessages catches it.
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

func msgf(lang, key string, args ...any) string { return fmt.Sprintf(msg(lang, key), args...) }

var monthsEN = [...]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}

// formatDate writes a date as the portal does, in Finnish time.
func formatDate(lang string, t time.Time) string {
	t = t.In(zone)
	if lang == "en" {
		return fmt.Sprintf("%d %s %d", t.Day(), monthsEN[t.Month()-1], t.Year())
	}
	return fmt.Sprintf("%d.%d.%d", t.Day(), int(t.Month()), t.Year())
}

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
