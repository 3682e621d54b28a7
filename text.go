// SPDX-License-Identifier: Apache-2.0

package omadata

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// Languages the operator serves, in display order: the two national
// languages and English.
var Languages = []string{"fi", "sv", "en"}

// ValidLanguage reports whether lang is one of Languages.
func ValidLanguage(lang string) bool { return slices.Contains(Languages, lang) }

// Text is a text in several languages, keyed by ISO 639-1 code.
type Text map[string]string

// In returns the text in lang, falling back to Finnish, Swedish, then English.
func (t Text) In(lang string) string {
	if s := t[lang]; s != "" {
		return s
	}
	for _, l := range Languages {
		if s := t[l]; s != "" {
			return s
		}
	}
	return ""
}

// Validate checks that every key is a known language, that every value is
// within max runes, and that the languages in required are present.
// field names the text in errors ("name" gives "name.sv").
func (t Text) Validate(field string, max int, required ...string) error {
	keys := make([]string, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !ValidLanguage(k) {
			return Invalidf(field+"."+Truncate(k, 10), "Unknown language %q; use one of %s.", Truncate(k, 10), strings.Join(Languages, ", "))
		}
		if err := CheckText(field+"."+k, t[k], max); err != nil {
			return err
		}
	}
	for _, l := range required {
		if strings.TrimSpace(t[l]) == "" {
			return Invalidf(field+"."+l, "Required in %s.", LanguageName(l))
		}
	}
	return nil
}

// LanguageName returns the English name of a language code.
func LanguageName(lang string) string {
	switch lang {
	case "fi":
		return "Finnish"
	case "sv":
		return "Swedish"
	case "en":
		return "English"
	}
	return lang
}

// CheckText is the one rule for text that is stored: valid UTF-8, no
// control characters but newline and tab, at most max runes, and no
// personal identity code in any form ContainsIdentityCode finds. Free text
// reaches records, receipts, the catalogue and other people's screens, so
// it must never carry one. Every store write of text runs it; field names
// the text in the error.
func CheckText(field, s string, max int) error {
	if !utf8.ValidString(s) {
		return Invalidf(field, "Must be valid UTF-8.")
	}
	if n := utf8.RuneCountInString(s); n > max {
		return Invalidf(field, "At most %d characters, got %d.", max, n)
	}
	for _, r := range s {
		if r < 0x20 && r != '\n' && r != '\t' || r >= 0x7f && r < 0xa0 {
			return Invalidf(field, "Must not contain control characters (other than line breaks and tabs).")
		}
	}
	if ContainsIdentityCode(s) {
		return Invalidf(field, IdentityCodeInText)
	}
	return nil
}

// IdentityCodeInText is the message of CheckText's error for a text that
// holds an identity code; the portal and the console show it in the
// reader's language.
const IdentityCodeInText = "Remove the personal identity code: this text is stored and shown to others, and must never hold one. " +
	"If it is not an identity code (a phone number, say), write it another way, such as +358 40 123 4567."

// RequiredText is CheckText plus a non-blank check.
func RequiredText(field, s string, max int) error {
	if strings.TrimSpace(s) == "" {
		return Invalidf(field, "Required.")
	}
	return CheckText(field, s, max)
}
