// SPDX-License-Identifier: Apache-2.0

package web_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store/storetest"
)

// identityVariants are a personal identity code (storetest.AdultCode2) in
// forms the text rule folds: each string field is sent with them.
var identityVariants = []string{
	"150385a9013",                   // a lower-case century sign
	"1503859013",                    // no separator
	"１５０３８５\u2011９０１３",              // fullwidth digits, a non-breaking hyphen
	"150\u200b385\u00ad-90\u200d13", // zero-width space, soft hyphen, zero-width joiner
	"1 5 0 3 8 5 \u2212 9 0 1 3",    // digits spaced apart around a minus sign
	"150385-9013",                   // the exact form
}

// badOp is one operation of the served OpenAPI document.
type badOp struct {
	method, pattern string
	auth            string
	op              map[string]any
	params          []map[string]any // path and query parameters
	body            map[string]any   // the JSON request body, nil if none
}

// TestBadInput walks every operation of the served /openapi.json that takes
// a body or parameters and sends it bad input: wrong types, missing and
// unknown fields, invalid UTF-8, lone surrogates, keys given twice,
// control characters and identity codes in every string field, bad path
// and query parameters, a null, empty, oversized or unwanted body, and a
// body trickled slower than the server's read timeout. Each must answer a
// client error (4xx), never a success or a 5xx, and leave every table as
// it was.
func TestBadInput(t *testing.T) {
	e := newEnv(t, nil)
	doc := e.servedDocument(t)
	all := &omadata.Credential{ServiceID: e.svcA, Name: "every scope", Scopes: omadata.CredentialScopes}
	must(t, "credential", e.store.CreateCredential(adminCtx(), all))
	svcTok := all.Token
	// Routes on an admin token act on a spare one, not the test's own.
	spare, err := e.store.CreateAdminToken(adminCtx(), "spare")
	must(t, "admin token", err)
	e.adminID = spare.ID
	_, resTok := e.residentSession(t, storetest.AdultCode)
	auths := map[string]string{}
	for _, rt := range e.srv.Routes() {
		auths[rt.Method+" "+rt.Pattern] = rt.Auth
	}
	token := func(auth string) string {
		kinds, _, _ := strings.Cut(auth, ":")
		switch k := strings.Split(kinds, ","); {
		case auth == "public":
			return ""
		case slices.Contains(k, "admin"):
			return e.admin
		case slices.Contains(k, "service"):
			return svcTok
		}
		return resTok
	}
	ops := badOps(t, doc, auths)
	if len(ops) < 50 {
		t.Fatalf("found %d operations with a body or parameters, want at least 50", len(ops))
	}
	var bodies, cases int
	statuses := map[int]int{}
	for _, op := range ops {
		t.Run(op.method+" "+op.pattern, func(t *testing.T) {
			tok := token(op.auth)
			good := e.path(t, op.pattern)
			base := exampleBody(t, doc, op.body, e)
			send := func(name, path string, body []byte, contentType string) {
				t.Helper()
				cases++
				before := e.dump(t)
				var r response
				if body == nil {
					r = e.call(t, op.method, path, tok, "", nil)
				} else {
					r = e.call(t, op.method, path, tok, contentType, strings.NewReader(string(body)))
				}
				statuses[r.status]++
				if r.status < 400 || r.status >= 500 {
					t.Errorf("%s: got status %d, want a client error; body %s", name, r.status, truncate(string(r.body)))
				} else if r.status != 404 && r.status != 405 && r.err(t).Code == "" {
					t.Errorf("%s: status %d has no error code", name, r.status)
				}
				if after := e.dump(t); after != before {
					t.Errorf("%s: the database changed:\n%s", name, firstDiff(before, after))
				}
			}
			var baseJSON []byte
			if op.body != nil {
				baseJSON = mustMarshal(t, base)
			}
			for _, p := range op.params {
				name, _ := p["name"].(string)
				switch p["in"] {
				case "path":
					for _, v := range badPathValues(doc, p) {
						send("path "+name+"="+v, replaceParam(op.pattern, good, name, v), baseJSON, "application/json")
					}
				case "query":
					for _, v := range badQueryValues(doc, p) {
						send("query "+name+"="+v, withQuery(good, name, v), baseJSON, "application/json")
					}
				}
			}
			if op.body == nil {
				if op.method != "GET" {
					send("an unwanted body", good, []byte(`{}`), "application/json")
					send("an unwanted text body", good, []byte(`x`), "text/plain")
				}
				return
			}
			bodies++
			for name, body := range badBodies(t, doc, op.body, base) {
				send(name, good, body, "application/json")
			}
		})
	}
	t.Logf("%d operations, %d with a body, %d bad requests; answers by status: %v", len(ops), bodies, cases, statuses)
	if bodies < 30 {
		t.Errorf("%d operations with a body, want at least 30", bodies)
	}

	t.Run("slow bodies", func(t *testing.T) {
		// A server with a short read timeout; bodies trickle slower. Not
		// checked against the document: the answer to a body that never
		// arrived in full is the server's, not an operation's.
		ts := httptest.NewUnstartedServer(e.srv)
		ts.Config.ReadTimeout = 300 * time.Millisecond
		ts.Start()
		defer ts.Close()
		before := e.dump(t)
		var wg sync.WaitGroup
		for _, op := range ops {
			if op.body == nil {
				continue
			}
			path := e.path(t, op.pattern)
			body := mustMarshal(t, exampleBody(t, doc, op.body, e))
			wg.Add(1)
			go func() {
				defer wg.Done()
				status, err := trickle(ts.Listener.Addr().String(), op.method, path, token(op.auth), body)
				if err != nil {
					t.Errorf("%s %s: %v", op.method, op.pattern, err)
				} else if status < 400 || status >= 500 {
					t.Errorf("%s %s: a trickled body got status %d, want a client error", op.method, op.pattern, status)
				}
			}()
		}
		wg.Wait()
		if after := e.dump(t); after != before {
			t.Errorf("the database changed:\n%s", firstDiff(before, after))
		}
	})
}

// servedDocument fetches /openapi.json as the server serves it.
func (e *env) servedDocument(t *testing.T) map[string]any {
	t.Helper()
	r := e.call(t, "GET", "/openapi.json", "", "", nil)
	wantStatus(t, r, 200)
	var doc map[string]any
	r.decode(t, &doc)
	return doc
}

// badOps lists the document's operations that take a body or parameters.
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
			if len(o.params) > 0 || o.body != nil {
				ops = append(ops, o)
			}
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
