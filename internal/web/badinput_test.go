// SPDX-License-Identifier: Apache-2.0

package web_test

import (
	"context"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store/storetest"
)

// identityVariants are a valid personal identity code, 150385-9013, in
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
// client error (4xx), never a success or a 5xx, repeat no identity code in
// its answer, and leave every table as it was.
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
	other, _ := e.residentSession(t, storetest.ChildCode) // an on_behalf_of to send
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
		t.Fatalf("found %d operations, want at least 50", len(ops))
	}
	// "Nothing changed" is checked on SQLite's data_version, seen from a
	// connection of the test's own: it moves only when the server commits.
	// Only then is the whole database dumped and compared, which keeps the
	// ~3,000 requests cheap enough for -race.
	conn, err := e.raw.Conn(context.Background())
	must(t, "connection", err)
	t.Cleanup(func() { conn.Close() })
	dataVersion := func(t *testing.T) int64 {
		t.Helper()
		var v int64
		if err := conn.QueryRowContext(context.Background(), `PRAGMA data_version`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	// The check must be able to fail: a commit by the server's store moves it.
	v := dataVersion(t)
	_, err = e.store.CreateAdminToken(adminCtx(), "probe")
	must(t, "admin token", err)
	if dataVersion(t) == v {
		t.Fatal("data_version did not change after a write: the test could not tell a refused call that changed something")
	}
	snapshot := e.dump(t)
	var bodies, cases int
	statuses := map[int]int{}
	for _, op := range ops {
		t.Run(op.method+" "+op.pattern, func(t *testing.T) {
			tok := token(op.auth)
			good := e.path(t, op.pattern)
			base := exampleBody(t, doc, op.body, e)
			send := func(name, path string, body []byte, contentType string) response {
				t.Helper()
				cases++
				version := dataVersion(t)
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
				if omadata.ContainsIdentityCode(string(r.body)) {
					t.Errorf("%s: the answer repeats an identity code: %s", name, truncate(string(r.body)))
				}
				if dataVersion(t) != version {
					if after := e.dump(t); after != snapshot {
						t.Errorf("%s: the database changed:\n%s", name, firstDiff(snapshot, after))
						snapshot = after
					}
				}
				return r
			}
			var baseJSON []byte
			if op.body != nil {
				baseJSON = mustMarshal(t, base)
			}
			// A query parameter the operation does not take is refused,
			// naming it: on_behalf_of in a POST's query would otherwise
			// act on the caller.
			takes := map[string]bool{}
			for _, p := range op.params {
				if p["in"] == "query" {
					takes[p["name"].(string)] = true
				}
			}
			for _, name := range []string{"nonexistent", "on_behalf_of", "Limit"} {
				if takes[name] {
					continue
				}
				r := send("an unknown query parameter "+name, withQuery(good, name, other), baseJSON, "application/json")
				if r.status != 400 || r.err(t).Field != name {
					t.Errorf("query %s: got status %d %s, want 400 naming %s", name, r.status, truncate(string(r.body)), name)
				}
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
				r := send(name, good, body, "application/json")
				// (POST /api/v1/grants checks its DPoP header before its body.)
				if key, ok := strings.CutPrefix(name, anotherCase); ok && (r.status != 400 || r.err(t).Field != key && r.err(t).Field != "DPoP") {
					t.Errorf("%s: got status %d %s, want 400 naming %s", name, r.status, truncate(string(r.body)), key)
				}
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
