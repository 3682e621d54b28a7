// SPDX-License-Identifier: Apache-2.0

package web_test

// The cases of TestBadInput, generated from the OpenAPI document.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
)

// badOps lists the document's operations.
func badOps(t *testing.T, doc map[string]any, auths map[string]string) []badOp {
	t.Helper()
	var ops []badOp
	paths, _ := doc["paths"].(map[string]any)
	for pattern, item := range paths {
		item, _ := item.(map[string]any)
		for _, method := range []string{"get", "post", "put", "patch", "delete"} {
			op, ok := item[method].(map[string]any)
			if !ok {
				continue
			}
			if pattern == witnessPath {
				continue // C2SP tlog-witness, plain text: TestWitnessBadInput
			}
			o := badOp{method: strings.ToUpper(method), pattern: pattern, op: op}
			var ok2 bool
			if o.auth, ok2 = auths[o.method+" "+pattern]; !ok2 {
				t.Errorf("%s %s is in the document but not served", o.method, pattern)
				continue
			}
			for _, list := range []any{item["parameters"], op["parameters"]} {
				list, _ := list.([]any)
				for _, p := range list {
					o.params = append(o.params, deref(doc, p))
				}
			}
			if rb := deref(doc, op["requestBody"]); rb != nil {
				content, _ := rb["content"].(map[string]any)
				o.body, _ = content["application/json"].(map[string]any)
				if o.body == nil {
					t.Fatalf("%s %s: a request body that is not JSON", o.method, pattern)
				}
			}
			ops = append(ops, o) // every operation: each refuses a query parameter it does not take
		}
	}
	slices.SortFunc(ops, func(a, b badOp) int { return strings.Compare(a.pattern+a.method, b.pattern+b.method) })
	return ops
}

// deref resolves a local $ref, once per level.
func deref(doc map[string]any, v any) map[string]any {
	m, _ := v.(map[string]any)
	for i := 0; m != nil && i < 10; i++ {
		ref, ok := m["$ref"].(string)
		if !ok {
			break
		}
		var cur any = doc
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			c, _ := cur.(map[string]any)
			cur = c[strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")]
		}
		m, _ = cur.(map[string]any)
	}
	return m
}

// exampleBody returns the operation's example body with its IDs replaced
// by seeded ones, so that bad input, not a missing record, is what a
// request is refused for.
func exampleBody(t *testing.T, doc map[string]any, media map[string]any, e *env) any {
	t.Helper()
	if media == nil {
		return nil
	}
	ex, ok := media["example"]
	if !ok {
		ex = map[string]any{}
	}
	ids := map[string]string{
		omadata.PrefixOrganisation: e.org, omadata.PrefixService: e.svcA, omadata.PrefixPurpose: e.purpose,
		omadata.PrefixDataGroup: e.dgA, omadata.PrefixProcessing: e.procA, omadata.PrefixAISystem: e.ai,
	}
	var fix func(v any) any
	fix = func(v any) any {
		switch x := v.(type) {
		case string:
			if prefix, _, ok := strings.Cut(x, "_"); ok && ids[prefix] != "" && len(x) == len(e.org)-len("org")+len(prefix) {
				return ids[prefix]
			}
		case []any:
			y := make([]any, len(x))
			for i, c := range x {
				y[i] = fix(c)
			}
			return y
		case map[string]any:
			y := map[string]any{}
			for k, c := range x {
				y[k] = fix(c)
			}
			return y
		}
		return v
	}
	return fix(ex)
}

// badBodies returns the bad bodies of an operation, by name.
func badBodies(t *testing.T, doc map[string]any, media map[string]any, base any) map[string][]byte {
	t.Helper()
	out := map[string][]byte{
		"null":               []byte(`null`),
		"empty":              []byte(``),
		"an array":           []byte(`[]`),
		"a string":           []byte(`"x"`),
		"trailing data":      append(mustMarshal(t, base), " {}"...),
		"bad syntax":         []byte(`{"a":`),
		"invalid UTF-8 key":  []byte("{\"\xff\":1}"),
		"an unknown field":   nil,
		"oversized":          []byte(`{"x":"` + strings.Repeat("x", testMaxBody) + `"}`),
		"control in a key":   []byte(`{"a\u0000":1}`),
		"lone surrogate key": []byte(`{"\ud800":1}`),
	}
	obj, isObj := base.(map[string]any)
	if !isObj {
		t.Fatalf("example body %T, want an object", base)
	}
	with := func(k string, v any) []byte {
		m := map[string]any{}
		for k2, v2 := range obj {
			m[k2] = v2
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return mustMarshal(t, m)
	}
	out["an unknown field"] = with("no_such_field", 1)
	schema := deref(doc, media["schema"])
	props, _ := schema["properties"].(map[string]any)
	required, _ := schema["required"].([]any)
	for _, r := range required {
		k, _ := r.(string)
		out["missing "+k] = with(k, nil)
	}
	for k, p := range props {
		for _, v := range wrongTypes(deref(doc, p)) {
			out[fmt.Sprintf("%s as %s", k, mustMarshal(t, v))] = with(k, v)
		}
	}
	// Keys given twice: the first key again at the end, as is and in
	// another case.
	b := mustMarshal(t, obj)
	if len(obj) > 0 {
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		k := keys[0]
		v := mustMarshal(t, obj[k])
		out["key "+k+" twice"] = append(b[:len(b)-1:len(b)-1], fmt.Sprintf(`,%q:%s}`, k, v)...)
		out["key "+k+" twice, upper case"] = append(b[:len(b)-1:len(b)-1], fmt.Sprintf(`,%q:%s}`, strings.ToUpper(k), v)...)
		// Keys match exactly: the first key only in another case is an
		// unknown field (TestBadInput checks it is named).
		recased := with(k, nil)
		out[anotherCase+strings.ToUpper(k)] = append(recased[:len(recased)-1:len(recased)-1], fmt.Sprintf(`%s%q:%s}`, map[bool]string{true: ",", false: ""}[len(obj) > 1], strings.ToUpper(k), v)...)
	}
	// Every string of the example, and every string property the example
	// leaves out, holding bad text. The bad text goes in as a placeholder
	// replaced in the encoded body, to send bytes json.Marshal would not.
	const mark = "BADTEXTMARK"
	texts := map[string]string{
		"invalid UTF-8":  "a\xffb",
		"lone surrogate": `a\ud800b`,
		"low surrogate":  `\udc00`,
		"NUL":            `a\u0000b`,
		"escape":         `a\u001bb`,
		"C1 control":     `a\u0085b`,
	}
	leaves := stringLeaves(obj, "")
	for k, p := range props {
		if _, ok := obj[k]; !ok && deref(doc, p)["type"] == "string" {
			leaves = append(leaves, leaf{path: k, set: func(v string) any { return with2(obj, k, v) }})
		}
	}
	for i, l := range leaves {
		for name, bad := range texts {
			enc := mustMarshal(t, l.set(mark))
			out[l.path+": "+name] = []byte(strings.Replace(string(enc), mark, bad, 1))
		}
		// Two identity-code variants per string, all of them over the
		// strings of a body, each inside an ordinary text.
		for j := range 2 {
			v := identityVariants[(2*i+j)%len(identityVariants)]
			out[l.path+": identity code "+strconv.Quote(v)] = mustMarshal(t, l.set("Asiakas "+v))
		}
	}
	return out
}

// anotherCase begins the name of a bad body whose key, named after it, is
// a field's name in another case.
const anotherCase = "a key in another case: "

// leaf is a string in a JSON value, and a way to replace it.
type leaf struct {
	path string
	set  func(string) any // a copy of the whole value with the string replaced
}

// stringLeaves finds the strings in v.
func stringLeaves(v any, path string) []leaf {
	var out []leaf
	switch x := v.(type) {
	case string:
		out = append(out, leaf{path: path, set: func(s string) any { return s }})
	case []any:
		for i, c := range x {
			for _, l := range stringLeaves(c, fmt.Sprintf("%s[%d]", path, i)) {
				out = append(out, leaf{path: l.path, set: func(s string) any {
					y := slices.Clone(x)
					y[i] = l.set(s)
					return y
				}})
			}
		}
	case map[string]any:
		for k, c := range x {
			p := k
			if path != "" {
				p = path + "." + k
			}
			for _, l := range stringLeaves(c, p) {
				out = append(out, leaf{path: l.path, set: func(s string) any { return with2(x, k, l.set(s)) }})
			}
		}
	}
	return out
}

// with2 returns a copy of m with k set to v.
func with2(m map[string]any, k string, v any) map[string]any {
	y := make(map[string]any, len(m)+1)
	for k2, v2 := range m {
		y[k2] = v2
	}
	y[k] = v
	return y
}

// wrongTypes returns values of types a schema does not allow.
func wrongTypes(schema map[string]any) []any {
	switch schema["type"] {
	case "string":
		return []any{12345, []any{"x"}}
	case "integer", "number":
		return []any{"1", 1.5, true}
	case "boolean":
		return []any{"true", 1}
	case "array":
		return []any{"x", map[string]any{"a": 1}}
	case "object":
		return []any{"x", []any{}}
	}
	return []any{map[string]any{"x": []any{1}}}
}

// badPathValues are values a path parameter must refuse.
func badPathValues(doc map[string]any, p map[string]any) []string {
	bad := []string{"not-an-id", "%FF", "%C3", "150385-9013", "1503859013", "%00", "-1", strings.Repeat("x", 3000)}
	if deref(doc, p["schema"])["type"] != "integer" {
		bad = append(bad, "0")
	}
	return bad
}

// badQueryValues are values a query parameter must refuse.
func badQueryValues(doc map[string]any, p map[string]any) []string {
	schema := deref(doc, p["schema"])
	switch {
	case schema["type"] == "integer":
		return []string{"abc", "-1", "1.5", "99999999999999999999999", "%FF", "%00"}
	case schema["enum"] != nil:
		return []string{"nope", "%FF", "%00", "150385-9013"}
	}
	return []string{"%FF", "%00", "%C3", "!!", "150385-9013", "1503859013"}
}

// replaceParam puts v for the parameter name into path, which fills
// pattern.
func replaceParam(pattern, path, name, v string) string {
	ps, segs := strings.Split(pattern, "/"), strings.Split(path, "/")
	for i, s := range ps {
		if s == "{"+name+"}" {
			segs[i] = v
		}
	}
	return strings.Join(segs, "/")
}

// withQuery sets the query parameter name of path to v, sent as is.
func withQuery(path, name, v string) string {
	path, query, _ := strings.Cut(path, "?")
	var keep []string
	for _, kv := range strings.Split(query, "&") {
		if k, _, _ := strings.Cut(kv, "="); kv != "" && k != name {
			keep = append(keep, kv)
		}
	}
	return path + "?" + strings.Join(append(keep, name+"="+v), "&")
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// trickle sends a request whose body arrives a byte at a time, slower than
// the server reads, and returns the status of the answer.
func trickle(addr, method, path, token string, body []byte) (int, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	head := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: %d\r\n", method, path, len(body))
	if token != "" {
		head += "Authorization: Bearer " + token + "\r\n"
	}
	if _, err := c.Write([]byte(head + "\r\n")); err != nil {
		return 0, err
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	for i := 0; i < len(body)-1 && i < 5; i++ {
		time.Sleep(100 * time.Millisecond)
		if _, err := c.Write(body[i : i+1]); err != nil {
			break // the server gave up on us: read its answer
		}
	}
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, err
	}
	res.Body.Close()
	return res.StatusCode, nil
}
