// SPDX-License-Identifier: Apache-2.0

package openapitest

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/omadata/omadata"
)

// identityCodeLike finds what looks like a Finnish personal identity code
// in a string: six digits, an optional century sign, three digits and a
// check character, in any case.
var identityCodeLike = regexp.MustCompile(`(?i)(?:^|[^0-9a-z])([0-9]{6}[-+a-fu-y]?[0-9]{3}[0-9a-y])(?:$|[^0-9a-z])`)

// TestEveryExample walks the whole document and checks every example
// wherever it is (a schema's examples, a property's, a media type's
// example or named examples, a parameter's) against the schema it belongs
// to, and every string in it that looks like an identity code: each must
// be a valid one, written as the API takes it.
func TestEveryExample(t *testing.T) {
	s := load(t)
	doc := parse(t)
	n, codes := 0, 0
	var visit func(ptr string, v any)
	visit = func(ptr string, v any) {
		switch x := v.(type) {
		case []any:
			for i, c := range x {
				visit(ptr+"/"+itoa(i), c)
			}
		case map[string]any:
			for k, c := range x {
				isExample := (k == "example" || k == "examples") && !strings.HasSuffix(ptr, "/properties")
				if !isExample {
					visit(ptr+"/"+escape(k), c)
					continue
				}
				schemaPtr := ptr
				if _, ok := x["schema"]; ok {
					schemaPtr = ptr + "/schema" // a media type or a parameter
				}
				for i, ex := range exampleValues(t, doc, k, c, ptr) {
					n++
					where := ptr + "/" + k + "[" + itoa(i) + "]"
					sch, err := s.loader.compile(schemaPtr)
					if err != nil {
						t.Errorf("%s: compile the schema at %s: %v", where, schemaPtr, err)
						continue
					}
					b, _ := json.Marshal(ex)
					if err := validate(sch, b); err != nil {
						t.Errorf("%s: %v", where, err)
					}
					eachString(ex, func(str string) {
						for _, m := range identityCodeLike.FindAllStringSubmatch(str, -1) {
							codes++
							if _, err := omadata.ParseIdentityCode(m[1]); err != nil || m[1] != str {
								t.Errorf("%s: %q holds %q, which looks like an identity code but is not a valid one on its own: %v", where, str, m[1], err)
							}
						}
					})
				}
			}
		}
	}
	visit("", doc)
	t.Logf("checked %d examples holding %d identity codes", n, codes)
	if n < 60 || codes < 5 {
		t.Errorf("checked %d examples with %d identity codes, want at least 60 and 5", n, codes)
	}
}

// exampleValues returns the example values of an example or examples
// member: one value; a schema's array of values; or a map of Example
// Objects, each with a value (or a $ref to one).
func exampleValues(t *testing.T, doc any, key string, v any, ptr string) []any {
	if key == "example" {
		return []any{v}
	}
	switch x := v.(type) {
	case []any:
		return x
	case map[string]any:
		var out []any
		for name, e := range x {
			obj := resolve(doc, e)
			val, ok := obj["value"]
			if !ok {
				t.Errorf("%s/examples/%s: no value", ptr, name)
				continue
			}
			out = append(out, val)
		}
		return out
	}
	t.Errorf("%s/examples: neither a list nor a map", ptr)
	return nil
}

// eachString calls f with every string in a JSON value, keys included.
func eachString(v any, f func(string)) {
	switch x := v.(type) {
	case string:
		f(x)
	case []any:
		for _, c := range x {
			eachString(c, f)
		}
	case map[string]any:
		for k, c := range x {
			f(k)
			eachString(c, f)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
