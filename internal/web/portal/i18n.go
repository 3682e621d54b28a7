// SPDX-License-Identifier: Apache-2.0

package portal

import (
	"fmt"
	"strings"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/web/webui"
)

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

// parseDate reads a date from a form: the ISO form a date input sends, or
// the language's own form typed by hand.
func parseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if t, err := time.ParseInLocation(time.DateOnly, s, webui.Zone); err == nil {
		return t, true
	}
	if t, err := time.ParseInLocation("2.1.2006", s, webui.Zone); err == nil {
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

// ground writes why a source holds a data group: a legal basis code in
// words, any other text as it is.
func ground(lang, s string) string {
	if _, ok := messages[legalBasisKey(s)]; ok {
		return msg(lang, legalBasisKey(s))
	}
	return s
}

// isoDate writes a date a source gives ("2026-11-02") as the language
// does; anything else as it is.
func isoDate(lang, s string) string {
	t, err := time.ParseInLocation(time.DateOnly, s, webui.Zone)
	if err != nil {
		return s
	}
	return webui.FormatDate(lang, t)
}
