// SPDX-License-Identifier: Apache-2.0

package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/omadata/omadata/internal/web"
)

var paramRE = regexp.MustCompile(`\{[a-z_]+\}`)

// path fills a route pattern's parameters with IDs of seeded records. A
// parameter it does not know fails the test, so a new route cannot slip
// past the checks that walk Server.Routes.
func (e *env) path(t *testing.T, pattern string) string {
	t.Helper()
	ids := map[string]string{
		"organisations": e.org,
		"services":      e.svcA,
		"purposes":      e.purpose,
		"data-groups":   e.dgA,
		"processings":   e.procDraft,
		"ai-systems":    e.ai,
		"admin-tokens":  e.adminID,
		// Refused before any lookup, so IDs of the right shape will do.
		"consents":        "cns_0000000000000000000000000a",
		"representations": "rep_0000000000000000000000000a",
		"deliveries":      "evt_0000000000000000000000000a",
		"grants":          "grt_0000000000000000000000000a",
		"requests":        "req_0000000000000000000000000a",
		"request-tasks":   "rqt_0000000000000000000000000a",
		"apps":            e.app,
	}
	if strings.HasPrefix(pattern, "/api/v1/me/apps/") {
		ids["apps"] = "apc_0000000000000000000000000a" // a resident's connection
	}
	ids["forks"] = "wfk_0000000000000000000000000a"
	size := "1"
	if cp, err := e.store.LatestCheckpoint(adminCtx()); err == nil {
		size = strconv.FormatInt(cp.Size, 10)
	}
	path := fillPattern(t, pattern, ids, map[string]string{"{credential_id}": e.credA, "{processing_id}": e.procA, "{size}": size})
	if q := patternQuery(pattern); len(q) > 0 {
		path += "?" + q.Encode()
	}
	return path
}

// anyRouteParams are parameter values that serve every route.
var anyRouteParams = map[string]string{"{version}": "1", "{seq}": "1", "{language}": "fi", "{index}": "0"}

// fillPattern fills a route pattern's parameters: each {id} with ids'
// entry for the segment before it, the others from params, else from
// anyRouteParams. A parameter it does not know fails the test, so a new
// route cannot slip past the checks that walk Server.Routes.
func fillPattern(t *testing.T, pattern string, ids, params map[string]string) string {
	t.Helper()
	segs := strings.Split(pattern, "/")
	for i, s := range segs {
		if s == "{id}" {
			id, ok := ids[segs[i-1]]
			if !ok {
				t.Fatalf("%s: no test ID for {id} after %q", pattern, segs[i-1])
			}
			segs[i] = id
		} else if v, ok := params[s]; ok {
			segs[i] = v
		} else if v, ok := anyRouteParams[s]; ok {
			segs[i] = v
		} else if paramRE.MatchString(s) {
			t.Fatalf("%s: no test value for %s", pattern, s)
		}
	}
	return strings.Join(segs, "/")
}

// patternQuery is the query a route needs to answer 200.
func patternQuery(pattern string) url.Values {
	switch pattern {
	case "/api/v1/public/log/proofs/inclusion":
		return url.Values{"index": {"0"}}
	case "/api/v1/public/log/proofs/consistency":
		return url.Values{"old": {"1"}}
	}

	return url.Values{}
}

// TestRouteAuth walks every registered route: without a token each
// non-public route answers 401, a service is refused every admin route, a
// credential without catalogue:read cannot read and one without
// catalogue:write cannot write, and public routes ignore credentials. None
// of these refusals may change the database.
func TestRouteAuth(t *testing.T) {
	e := newEnv(t, nil)
	routes := e.srv.Routes()
	if len(routes) < 40 {
		t.Fatalf("got %d routes, want at least 40", len(routes))
	}
	before := e.dump(t)
	refused := func(t *testing.T, r response, status int, code string) {
		t.Helper()
		if r.status != status {
			t.Fatalf("got status %d, want %d; body %s", r.status, status, r.body)
		}
		if got := r.err(t).Code; got != code {
			t.Errorf("got code %q, want %q", got, code)
		}
	}
	for _, rt := range routes {
		path := e.path(t, rt.Pattern)
		t.Run(rt.Method+" "+rt.Pattern, func(t *testing.T) {
			switch rt.Auth {
			case web.AuthPublic:
				// A bad token is ignored, not refused.
				r := e.call(t, rt.Method, path, "not-a-token", "", nil)
				if rt.Pattern == web.WitnessPath {
					// tlog-witness: an empty body is a bad request.
					if r.status != http.StatusBadRequest {
						t.Errorf("with a bad token: got status %d, want 400; body %s", r.status, r.body)
					}
					return
				}
				if r.status != http.StatusOK {
					t.Errorf("with a bad token: got status %d, want 200; body %s", r.status, r.body)
				}
				return
			}
			// An auth level is "<kinds>[:<scope>]", kinds from admin, service, resident.
			kinds, scope, _ := strings.Cut(rt.Auth, ":")
			allowed := strings.Split(kinds, ",")
			for _, k := range allowed {
				if k != "admin" && k != "service" && k != "resident" {
					t.Fatalf("unknown auth %q", rt.Auth)
				}
			}

			t.Run("no token", func(t *testing.T) {
				r := e.do(t, rt.Method, path, "", `{}`)
				refused(t, r, 401, "unauthorized")
				if got := r.header.Get("WWW-Authenticate"); got != "Bearer" {
					t.Errorf("got WWW-Authenticate %q, want %q", got, "Bearer")
				}
			})
			t.Run("unknown token", func(t *testing.T) {
				refused(t, e.do(t, rt.Method, path, "oma_adm_nope", `{}`), 401, "unauthorized")
			})
			t.Run("other scheme", func(t *testing.T) {
				r := e.call(t, rt.Method, path, "", "application/json", strings.NewReader(`{}`), "Authorization", "Basic "+e.admin)
				refused(t, r, 401, "unauthorized")
			})
			t.Run("token in the query", func(t *testing.T) {
				r := e.do(t, rt.Method, path+"?access_token="+e.admin+"&token="+e.admin, "", `{}`)
				refused(t, r, 401, "unauthorized")
			})

			if !slices.Contains(allowed, "admin") {
				t.Run("admin token", func(t *testing.T) {
					refused(t, e.do(t, rt.Method, path, e.admin, `{}`), 403, "forbidden")
				})
			}
			write := rt.Method != http.MethodGet
			switch {
			case !slices.Contains(allowed, "service"):
				t.Run("service credential", func(t *testing.T) {
					r := e.do(t, rt.Method, path, e.tokA, `{}`)
					if r.status != 403 {
						t.Fatalf("got status %d, want 403; body %s", r.status, r.body)
					}
				})
			case scope != "":
				t.Run("without "+scope, func(t *testing.T) {
					refused(t, e.do(t, rt.Method, path, e.tokA, `{}`), 403, "forbidden")
				})
			case write:
				t.Run("without catalogue:write", func(t *testing.T) {
					refused(t, e.do(t, rt.Method, path, e.tokARead, `{}`), 403, "forbidden")
				})
			default:
				t.Run("without catalogue:read", func(t *testing.T) {
					refused(t, e.do(t, rt.Method, path, e.tokAWrite, nil), 403, "forbidden")
				})
			}
		})
	}
	if after := e.dump(t); after != before {
		t.Errorf("refused calls changed the database:\n%s", firstDiff(before, after))
	}
}

// TestRouteTable pins the route table: every route is under /api/v1, an
// operations path or .well-known; public API routes are GETs under
// /api/v1/public; nothing else is public.
func TestRouteTable(t *testing.T) {
	e := newEnv(t, nil)
	seen := map[string]bool{}
	for _, rt := range e.srv.Routes() {
		key := rt.Method + " " + rt.Pattern
		if seen[key] {
			t.Errorf("%s registered twice", key)
		}
		seen[key] = true
		public := rt.Auth == web.AuthPublic
		switch {
		case strings.HasPrefix(rt.Pattern, "/api/v1/public/"):
			if !public || rt.Method != "GET" {
				t.Errorf("%s: got auth %q, want a public GET", key, rt.Auth)
			}
		case strings.HasPrefix(rt.Pattern, "/api/v1/"):
			if public {
				t.Errorf("%s: got a public route outside /api/v1/public", key)
			}
		case rt.Pattern == web.WitnessPath:
			if !public || rt.Method != "POST" {
				t.Errorf("%s: got auth %q, want a public POST", key, rt.Auth)
			}
		case rt.Pattern == "/healthz", rt.Pattern == "/livez", rt.Pattern == "/readyz", rt.Pattern == "/metrics", rt.Pattern == "/openapi.json",
			strings.HasPrefix(rt.Pattern, "/.well-known/"):
			if !public || rt.Method != "GET" {
				t.Errorf("%s: got auth %q, want a public GET", key, rt.Auth)
			}
		default:
			t.Errorf("%s: unexpected route", key)
		}
	}
	for _, want := range []string{"GET /api/v1/whoami", "POST /api/v1/processings/{id}/versions/{version}/publish", "GET /.well-known/jwks.json"} {
		if !seen[want] {
			t.Errorf("route %s not registered", want)
		}
	}
}
