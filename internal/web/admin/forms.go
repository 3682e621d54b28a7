// SPDX-License-Identifier: Apache-2.0

package admin

import (
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/web/webui"
)

// form is a submitted form as a page shows it again: the values as they
// were typed, and an error by each field that has one, in the page's
// language. Field names are the API's, with "-" for "." (name-fi for the
// API's name.fi), so that the store's EINVALID names the input to mark.
type form struct {
	Values url.Values
	Errors map[string]string
}

func newForm(v url.Values) *form {
	if v == nil {
		v = url.Values{}
	}
	return &form{Values: v, Errors: map[string]string{}}
}

// Get returns a value as typed.
func (f *form) Get(name string) string { return f.Values.Get(name) }

// Has reports whether a checkbox or option was chosen.
func (f *form) Has(name, value string) bool { return slices.Contains(f.Values[name], value) }

// Err returns the field's error, or "".
func (f *form) Err(name string) string { return f.Errors[name] }

// Text returns a trimmed value, with "\n" line breaks, and checks its
// length: err.required when required and empty, err.too-long past max
// characters. The store checks the rest of the text rule.
func (f *form) Text(lang, name string, max int, required bool) string {
	s := webui.FormText(f.Get(name))
	switch {
	case s == "" && required:
		f.Errors[name] = msg(lang, "err.required")
	case utf8.RuneCountInString(s) > max || !utf8.ValidString(s):
		f.Errors[name] = msgf(lang, "err.too-long", max)
	}
	return s
}

// Texts reads name-fi, name-sv and name-en into an omadata.Text, leaving
// out the empty ones.
func (f *form) Texts(lang, name string, max int, required ...string) omadata.Text {
	t := omadata.Text{}
	for _, l := range omadata.Languages {
		field := name + "-" + l
		if s := f.Text(lang, field, max, slices.Contains(required, l)); s != "" {
			t[l] = s
		}
	}
	return t
}

// Valid reports whether no field has an error.
func (f *form) Valid() bool { return len(f.Errors) == 0 }

// storeError puts a store's EINVALID or ECONFLICT on the field it names,
// when the form has that field, and reports whether it did; the caller
// renders the form again with the error by the field. messages maps a
// field to a more precise message key than err.invalid.
func (f *form) storeError(lang string, err error, fields []string, messages map[string]string) bool {
	code := omadata.ErrorCode(err)
	if code != omadata.EINVALID && code != omadata.ECONFLICT {
		return false
	}
	field := strings.ReplaceAll(omadata.ErrorField(err), ".", "-")
	if !slices.Contains(fields, field) {
		return false
	}
	switch key, ok := messages[field]; {
	case omadata.ErrorMessage(err) == omadata.IdentityCodeInText:
		f.Errors[field] = msg(lang, "err.identity-code-in-text")
	case ok:
		f.Errors[field] = msg(lang, key)
	case strings.TrimSpace(f.Get(field)) == "" && len(f.Values[field]) <= 1:
		f.Errors[field] = msg(lang, "err.required")
	default:
		f.Errors[field] = msg(lang, "err.invalid")
	}
	return true
}
