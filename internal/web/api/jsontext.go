// SPDX-License-Identifier: Apache-2.0

package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/omadata/omadata"
)

// checkJSON refuses what encoding/json would let through silently, naming
// the field: a string with invalid UTF-8 or a lone UTF-16 surrogate
// escape ("\ud800"), both of which it turns into U+FFFD; a string with a
// control character other than newline and tab (the text rule of
// omadata.CheckText, for every field); a key given twice in one object
// (compared as encoding/json matches names, ignoring case), of which it
// keeps the last; a key that is not exactly the JSON name of a field of
// the struct it decodes into, in t (the type decoded into), which
// encoding/json would match ignoring case ("KIND" for "kind"), so that the
// body means what a strict reader of the OpenAPI document reads; and a
// top-level null. A syntax error is left to the decoder, which reports it.
func checkJSON(data []byte, t reflect.Type) error {
	type frame struct {
		path   string
		object bool
		typ    reflect.Type // what the object or array decodes into; nil if not known
		keys   map[string]bool
		key    string // the object's current key
		valued bool   // whether key was read and its value is next
		index  int    // the array's current element
	}
	var stack []*frame
	// where returns the path of the value being read.
	where := func() string {
		if len(stack) == 0 {
			return ""
		}
		f := stack[len(stack)-1]
		if f.object {
			return join(f.path, f.key)
		}
		return f.path + "[" + strconv.Itoa(f.index) + "]"
	}
	// next returns the type the value being read decodes into.
	next := func() reflect.Type {
		if len(stack) == 0 {
			return jsonTarget(t)
		}
		f := stack[len(stack)-1]
		switch {
		case f.typ == nil:
			return nil
		case f.object && f.typ.Kind() == reflect.Struct:
			return jsonTarget(jsonFields(f.typ)[f.key])
		case f.typ.Kind() == reflect.Map, f.typ.Kind() == reflect.Slice, f.typ.Kind() == reflect.Array:
			return jsonTarget(f.typ.Elem())
		}
		return nil
	}
	// done moves past a value of the innermost object or array.
	done := func() {
		if len(stack) == 0 {
			return
		}
		if f := stack[len(stack)-1]; f.object {
			f.valued = false
		} else {
			f.index++
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	for first := true; ; first = false {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return nil // the end, or a syntax error the decoder will name
		}
		if first && tok == nil {
			return omadata.Invalidf("body", "Send a JSON object, not null.")
		}
		switch tok := tok.(type) {
		case json.Delim:
			switch tok {
			case '{', '[':
				stack = append(stack, &frame{path: where(), object: tok == '{', keys: map[string]bool{}, typ: next()})
			default:
				stack = stack[:len(stack)-1]
				done()
			}
		case string:
			raw := data[start:dec.InputOffset()]
			raw = raw[bytes.IndexByte(raw, '"'):]
			f := (*frame)(nil)
			if len(stack) > 0 {
				f = stack[len(stack)-1]
			}
			if f != nil && f.object && !f.valued {
				if bad := badString(raw, tok); bad != "" {
					return omadata.Invalidf(or(f.path, "body"), "A key %s", bad)
				}
				folded := foldKey(tok)
				if f.keys[folded] {
					key := omadata.Truncate(tok, 64)
					return omadata.Invalidf(or(join(f.path, key), "body"), "The key %q is given twice; give it once.", key)
				}
				f.keys[folded] = true
				if f.typ != nil && f.typ.Kind() == reflect.Struct {
					if _, ok := jsonFields(f.typ)[tok]; !ok {
						key := omadata.Truncate(tok, 64)
						return omadata.Invalidf(or(join(f.path, key), "body"), "Unknown field %q.%s", key, caseHint(f.typ, tok))
					}
				}
				f.key, f.valued = omadata.Truncate(tok, 64), true // a key is named in errors
				continue
			}
			if bad := badString(raw, tok); bad != "" {
				return omadata.Invalidf(or(where(), "body"), "The text %s", bad)
			}
			done()
		default:
			done()
		}
	}
}

// badString says what is wrong with a string, raw its JSON literal and s
// its value, completing "The text …" or "A key …"; "" if nothing is.
func badString(raw []byte, s string) string {
	if !utf8.Valid(raw) {
		return "is not valid UTF-8."
	}
	if loneSurrogate(raw) {
		return "holds a lone UTF-16 surrogate (\\ud800 to \\udfff without its pair); send valid UTF-8."
	}
	for _, r := range s {
		if r < 0x20 && r != '\n' && r != '\t' || r >= 0x7f && r < 0xa0 {
			return "must not contain control characters (other than \\n and \\t)."
		}
	}
	return ""
}

// loneSurrogate reports whether a JSON string literal escapes a UTF-16
// surrogate that is not part of a high-low pair.
func loneSurrogate(raw []byte) bool {
	hex4 := func(i int) (rune, bool) {
		if i+6 > len(raw) || raw[i] != '\\' || raw[i+1] != 'u' {
			return 0, false
		}
		n, err := strconv.ParseUint(string(raw[i+2:i+6]), 16, 16)
		return rune(n), err == nil
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		r, ok := hex4(i)
		if !ok {
			i++ // a two-character escape such as \\ or \"
			continue
		}
		switch {
		case r >= 0xd800 && r < 0xdc00:
			low, ok := hex4(i + 6)
			if !ok || low < 0xdc00 || low > 0xdfff {
				return true
			}
			i += 11
		case r >= 0xdc00 && r <= 0xdfff:
			return true
		default:
			i += 5
		}
	}
	return false
}

// foldKey returns a key in the form encoding/json matches field names in:
// each letter as the smallest member of its case-folding orbit.
func foldKey(s string) string {
	return strings.Map(func(r rune) rune {
		low := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			low = min(low, f)
		}
		return low
	}, s)
}

// join appends a key to a JSON path: "name" and "fi" give "name.fi".
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func or(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// jsonTarget returns the type a JSON value decoding into t is checked
// against: t without pointers, or nil where its keys cannot be known (an
// interface, or a type that decodes itself).
func jsonTarget(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() == reflect.Interface || reflect.PointerTo(t).Implements(unmarshaler) {
		return nil
	}
	return t
}

var unmarshaler = reflect.TypeFor[json.Unmarshaler]()

// fieldCache holds jsonFields by struct type.
var fieldCache sync.Map // reflect.Type → map[string]reflect.Type

// jsonFields returns the JSON names of a struct's fields as encoding/json
// decodes them (exported fields, the tag's name or the field's, those of
// untagged embedded structs promoted, "-" left out), each with its type.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := map[string]reflect.Type{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		var embedded []reflect.Type // after the struct's own fields: the shallower wins
		for f := range t.Fields() {
			tag := f.Tag.Get("json")
			name, _, _ := strings.Cut(tag, ",")
			if tag == "-" {
				continue
			}
			if ft := f.Type; f.Anonymous && name == "" {
				for ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct {
					embedded = append(embedded, ft)
					continue
				}
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if _, ok := m[name]; !ok {
				m[name] = f.Type
			}
		}
		for _, e := range embedded {
			walk(e)
		}
	}
	walk(t)
	fieldCache.Store(t, m)
	return m
}

// caseHint names the field a key matches but for case, completing
// "Unknown field …": encoding/json would have taken it.
func caseHint(t reflect.Type, key string) string {
	for name := range jsonFields(t) {
		if foldKey(name) == foldKey(key) {
			return fmt.Sprintf(" Names match exactly: use %q.", name)
		}
	}
	return ""
}

// CheckJSON refuses, naming the field, what checkJSON refuses of a body
// that decodes into v (a pointer): keys given twice, keys that match a
// field only ignoring case, invalid text and a top-level null. Package
// netapi checks the network protocol's bodies with it, as decode does the
// API's.
func CheckJSON(data []byte, v any) error { return checkJSON(data, reflect.TypeOf(v)) }
