// SPDX-License-Identifier: Apache-2.0

package openapitest

import (
	"github.com/omadata/omadata/internal/web/openapi"

	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// parse returns openapi.Document as generic JSON.
func parse(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(openapi.Document, &doc); err != nil {
		t.Fatalf("parse document: %v", err)
	}
	return doc
}

func load(t *testing.T) *Spec {
	t.Helper()
	s, err := Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return s
}

// walk calls f with the JSON pointer and value of every node of v.
func walk(ptr string, v any, f func(ptr string, v any)) {
	f(ptr, v)
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			walk(ptr+"/"+escape(k), c, f)
		}
	case []any:
		for i, c := range x {
			walk(ptr+"/"+strconv.Itoa(i), c, f)
		}
	}
}

// resolve follows a $ref of v, once.
func resolve(doc, v any) map[string]any {
	m, _ := v.(map[string]any)
	if ref, ok := m["$ref"].(string); ok {
		m, _ = lookup(doc, strings.TrimPrefix(ref, "#")).(map[string]any)
	}
	return m
}

func TestDocument(t *testing.T) {
	doc := parse(t)
	if got := doc["openapi"]; got != "3.1.0" {
		t.Errorf("openapi = %v, want 3.1.0", got)
	}
	for _, ptr := range []string{"/info/title", "/info/version", "/components/securitySchemes/adminToken", "/components/securitySchemes/serviceCredential"} {
		if lookup(doc, ptr) == nil {
			t.Errorf("%s missing", ptr)
		}
	}
	for _, name := range []string{"adminToken", "serviceCredential"} {
		scheme, _ := lookup(doc, "/components/securitySchemes/"+name).(map[string]any)
		if scheme["type"] != "http" || scheme["scheme"] != "bearer" {
			t.Errorf("securityScheme %s = %v, want http bearer", name, scheme)
		}
	}
}

func TestRefsResolve(t *testing.T) {
	doc := parse(t)
	n := 0
	walk("", doc, func(ptr string, v any) {
		m, ok := v.(map[string]any)
		if !ok {
			return
		}
		ref, ok := m["$ref"].(string)
		if !ok {
			return
		}
		n++
		if !strings.HasPrefix(ref, "#/") {
			t.Errorf("%s: $ref %q is not local", ptr, ref)
		} else if lookup(doc, ref[1:]) == nil {
			t.Errorf("%s: $ref %q does not resolve", ptr, ref)
		}
	})
	if n == 0 {
		t.Error("no $ref found")
	}
}

// witnessPath is the witness's route, C2SP tlog-witness's protocol: a
// plain text body, taken whatever its Content-Type, and plain text
// answers (docs/witnessing.md §2).
const witnessPath = "/witness/v1/add-checkpoint"

func TestOperations(t *testing.T) {
	doc := parse(t)
	paths := doc["paths"].(map[string]any)
	ids := map[string]string{}
	// Every operation's tags must be declared at the top of the document.
	// Whether the document covers exactly the server's routes is checked
	// against the real route table in internal/web (TestOpenAPICoversEveryRoute).
	var tags []string
	for _, tg := range doc["tags"].([]any) {
		tags = append(tags, tg.(map[string]any)["name"].(string))
	}
	placeholder := regexp.MustCompile(`\{([^}]+)\}`)
	for path, item := range paths {
		item := item.(map[string]any)
		for _, m := range methods {
			op, ok := item[m].(map[string]any)
			if !ok {
				continue
			}
			name := strings.ToUpper(m) + " " + path
			t.Run(name, func(t *testing.T) {
				id, _ := op["operationId"].(string)
				if id == "" {
					t.Error("no operationId")
				} else if other, dup := ids[id]; dup {
					t.Errorf("operationId %s also used by %s", id, other)
				}
				ids[id] = name
				if s, _ := op["summary"].(string); s == "" {
					t.Error("no summary")
				}
				opTags, _ := op["tags"].([]any)
				if len(opTags) == 0 {
					t.Error("no tags")
				}
				for _, tag := range opTags {
					if !slices.Contains(tags, tag.(string)) {
						t.Errorf("unknown tag %v", tag)
					}
				}
				security, ok := op["security"].([]any)
				if !ok {
					t.Fatal("no security")
				}
				public := !strings.HasPrefix(path, "/api/v1/") || strings.HasPrefix(path, "/api/v1/public/")
				if public != (len(security) == 0) {
					t.Errorf("security = %v, want public=%v", security, public)
				}
				responses, _ := op["responses"].(map[string]any)
				if len(responses) == 0 {
					t.Fatal("no responses")
				}
				var statuses []int
				for code, r := range responses {
					status, err := strconv.Atoi(code)
					if err != nil {
						t.Errorf("response %q: not a status", code)
						continue
					}
					statuses = append(statuses, status)
					resp := resolve(doc, r)
					if d, _ := resp["description"].(string); d == "" {
						t.Errorf("response %s: no description", code)
					}
					// The witness answers in tlog-witness's plain text, the
					// health checks in their own shape.
					if status >= 400 && path != "/healthz" && path != "/readyz" && path != witnessPath {
						s := lookup(resp, "/content/application~1json/schema/$ref")
						if s != "#/components/schemas/Error" {
							t.Errorf("response %s: schema %v, want the Error schema", code, s)
						}
					}
				}
				if len(security) > 0 && (!slices.Contains(statuses, 401) || !slices.Contains(statuses, 403)) {
					t.Errorf("statuses %v: an authenticated operation needs 401 and 403", statuses)
				}
				if _, ok := op["requestBody"]; ok && path != witnessPath {
					for _, want := range []int{400, 413, 415} {
						if !slices.Contains(statuses, want) {
							t.Errorf("statuses %v: an operation with a body needs %d", statuses, want)
						}
					}
					if lookup(op, "/requestBody/content/application~1json/schema/$ref") == nil {
						t.Error("request body schema is not a component")
					}
				}
				// Every placeholder has a required path parameter, and
				// paginated lists take limit and cursor.
				params := map[string]map[string]any{}
				for _, list := range []any{item["parameters"], op["parameters"]} {
					ps, _ := list.([]any)
					for _, p := range ps {
						p := resolve(doc, p)
						params[p["in"].(string)+":"+p["name"].(string)] = p
					}
				}
				for _, m := range placeholder.FindAllStringSubmatch(path, -1) {
					p, ok := params["path:"+m[1]]
					if !ok {
						t.Errorf("no path parameter %s", m[1])
					} else if p["required"] != true {
						t.Errorf("path parameter %s not required", m[1])
					}
				}
				if _, ok := params["query:limit"]; ok != (params["query:cursor"] != nil) {
					t.Error("limit and cursor come together")
				}
				for key := range params {
					if name, ok := strings.CutPrefix(key, "path:"); ok && !strings.Contains(path, "{"+name+"}") {
						t.Errorf("path parameter %s is not in the path", name)
					}
				}
			})
		}
	}
}

func TestPaginatedLists(t *testing.T) {
	doc := parse(t)
	for _, path := range []string{"/api/v1/organisations", "/api/v1/services", "/api/v1/data-groups", "/api/v1/processings",
		"/api/v1/ai-systems", "/api/v1/public/organisations", "/api/v1/public/services", "/api/v1/public/data-groups",
		"/api/v1/public/catalogue", "/api/v1/public/ai-systems"} {
		params, _ := lookup(doc, "/paths/"+escape(path)+"/get/parameters").([]any)
		var names []string
		for _, p := range params {
			names = append(names, resolve(doc, p)["name"].(string))
		}
		if !slices.Contains(names, "limit") || !slices.Contains(names, "cursor") {
			t.Errorf("GET %s: parameters %v, want limit and cursor", path, names)
		}
	}
	limit := resolve(doc, map[string]any{"$ref": "#/components/parameters/limit"})
	if got := lookup(limit, "/schema/minimum"); got != 1.0 {
		t.Errorf("limit minimum = %v, want 1", got)
	}
	if got := lookup(limit, "/schema/maximum"); got != 200.0 {
		t.Errorf("limit maximum = %v, want 200", got)
	}
}

func TestSchemas(t *testing.T) {
	s := load(t)
	doc := parse(t)
	components := doc["components"].(map[string]any)["schemas"].(map[string]any)
	if len(s.schemas) != len(components) {
		t.Errorf("compiled %d schemas, want %d", len(s.schemas), len(components))
	}
	for _, name := range []string{"Organisation", "Address", "Contact", "OrganisationUpdate", "Service", "ServiceEndpoints",
		"ServiceUpdate", "Credential", "CredentialCreate", "AdminToken", "AdminTokenCreate", "Purpose", "PurposeUpdate",
		"DataGroup", "DataGroupUpdate", "Processing", "ProcessingVersion", "ProcessingDraft", "ProcessingVersionUpdate",
		"NewVersion", "NoticeInput", "Notice", "Recipient", "AISystem", "AISystemUpdate", "CatalogueEntry", "Text",
		"Whoami", "Error", "Health", "OperatorDescription", "JWKS"} {
		if s.schemas[name] == nil {
			t.Errorf("schema %s missing", name)
		}
	}
	// Every object schema is closed, so that drift shows up as a failure;
	// the keys of a JWK are the one open set.
	walk("/components/schemas", components, func(ptr string, v any) {
		m, ok := v.(map[string]any)
		if !ok || m["type"] != "object" || strings.Contains(ptr, "/JWKS/") {
			return
		}
		if m["additionalProperties"] != false {
			t.Errorf("%s: additionalProperties is not false", ptr)
		}
	})
}

// TestExamples checks every example in the document against its schema.
func TestExamples(t *testing.T) {
	s := load(t)
	doc := parse(t)
	n := 0
	for name, sch := range doc["components"].(map[string]any)["schemas"].(map[string]any) {
		examples, _ := sch.(map[string]any)["examples"].([]any)
		for i, ex := range examples {
			n++
			b, _ := json.Marshal(ex)
			if err := validate(s.schemas[name], b); err != nil {
				t.Errorf("schema %s example %d: %v", name, i, err)
			}
		}
	}
	for path, item := range doc["paths"].(map[string]any) {
		for m, op := range item.(map[string]any) {
			op, ok := op.(map[string]any)
			if !ok || !slices.Contains(methods, m) {
				continue
			}
			method := strings.ToUpper(m)
			if ex := lookup(op, "/requestBody/content/application~1json/example"); ex != nil {
				n++
				b, _ := json.Marshal(ex)
				if err := s.ValidateRequest(method, path, b); err != nil {
					t.Errorf("%s %s request example: %v", method, path, err)
				}
			}
			for code, r := range op["responses"].(map[string]any) {
				status, _ := strconv.Atoi(code)
				if ex := lookup(resolve(doc, r), "/content/application~1json/example"); ex != nil {
					n++
					b, _ := json.Marshal(ex)
					if err := s.ValidateResponse(method, path, status, "application/json", b); err != nil {
						t.Errorf("%s %s %s example: %v", method, path, code, err)
					}
				}
			}
		}
	}
	if n < 20 {
		t.Errorf("checked %d examples, want at least 20", n)
	}
}

const organisation = `{
	"id": "org_01jq8m2k3n4p5q6r7s8t9v0w1x",
	"kind": "city",
	"name": {"fi": "Helsingin kaupunki", "sv": "Helsingfors stad", "en": "City of Helsinki"},
	"business_id": "0201256-6",
	"email": "kirjaamo@hel.fi",
	"address": {"street": "Pohjoisesplanadi 11-13", "postal_code": "00170", "city": "Helsinki", "country": "FI"},
	"privacy_policy_url": "https://www.hel.fi/tietosuoja",
	"dpo": {"name": "Tietosuojavastaava", "email": "tietosuoja@hel.fi"},
	"created_at": "2026-03-02T09:30:00.123456789Z",
	"updated_at": "2026-03-02T09:30:00Z"
}`

// edit returns the organisation above with f applied.
func edit(t *testing.T, f func(o map[string]any)) []byte {
	t.Helper()
	var o map[string]any
	if err := json.Unmarshal([]byte(organisation), &o); err != nil {
		t.Fatal(err)
	}
	f(o)
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestValidateResponse(t *testing.T) {
	s := load(t)
	const get = "/api/v1/organisations/{id}"
	tests := []struct {
		name         string
		method, path string
		status       int
		contentType  string
		body         []byte
		ok           bool
	}{
		{"valid", "GET", get, 200, "application/json", []byte(organisation), true},
		{"valid with charset", "GET", get, 200, "application/json; charset=utf-8", []byte(organisation), true},
		{"lower-case method", "get", get, 200, "application/json", []byte(organisation), true},
		{"public route", "GET", "/api/v1/public/organisations/{id}", 200, "application/json", []byte(organisation), true},
		{"created", "POST", "/api/v1/organisations", 201, "application/json", []byte(organisation), true},
		{"missing required field", "GET", get, 200, "application/json", edit(t, func(o map[string]any) { delete(o, "email") }), false},
		{"missing nested required field", "GET", get, 200, "application/json", edit(t, func(o map[string]any) { delete(o["dpo"].(map[string]any), "email") }), false},
		{"wrong type", "GET", get, 200, "application/json", edit(t, func(o map[string]any) { o["name"] = "Helsinki" }), false},
		{"wrong type in text", "GET", get, 200, "application/json", edit(t, func(o map[string]any) { o["name"].(map[string]any)["fi"] = 1 }), false},
		{"extra field", "GET", get, 200, "application/json", edit(t, func(o map[string]any) { o["secret"] = "x" }), false},
		{"extra nested field", "GET", get, 200, "application/json", edit(t, func(o map[string]any) { o["address"].(map[string]any)["floor"] = "2" }), false},
		{"unknown language", "GET", get, 200, "application/json", edit(t, func(o map[string]any) { o["name"].(map[string]any)["de"] = "Helsinki" }), false},
		{"bad enum", "GET", get, 200, "application/json", edit(t, func(o map[string]any) { o["kind"] = "town" }), false},
		{"bad time", "GET", get, 200, "application/json", edit(t, func(o map[string]any) { o["created_at"] = "yesterday" }), false},
		{"null array", "GET", "/api/v1/organisations", 200, "application/json", []byte(`{"items": null}`), false},
		{"list", "GET", "/api/v1/organisations", 200, "application/json", []byte(`{"items": [` + organisation + `], "next_cursor": "b3JnXzAx"}`), true},
		{"empty list", "GET", "/api/v1/organisations", 200, "application/json", []byte(`{"items": []}`), true},
		{"not JSON", "GET", get, 200, "application/json", []byte(`{"id":`), false},
		{"trailing data", "GET", get, 200, "application/json", []byte(organisation + `{}`), false},
		{"empty body", "GET", get, 200, "application/json", nil, false},
		{"error", "GET", get, 404, "application/json", []byte(`{"error": {"code": "not_found", "message": "Organisation not found.", "request_id": "abc"}}`), true},
		{"error with field", "PATCH", get, 400, "application/json", []byte(`{"error": {"code": "invalid", "message": "Required.", "field": "name.fi"}}`), true},
		{"unknown error code", "GET", get, 404, "application/json", []byte(`{"error": {"code": "gone", "message": "x"}}`), false},
		{"undocumented status", "GET", get, 418, "application/json", []byte(`{"error": {"code": "internal", "message": "x"}}`), false},
		{"undocumented operation", "DELETE", get, 200, "application/json", []byte(organisation), false},
		{"undocumented path", "GET", "/api/v1/organisations/{org}", 200, "application/json", []byte(organisation), false},
		{"undocumented content type", "GET", get, 200, "text/html", []byte(organisation), false},
		{"bad content type", "GET", get, 200, "", []byte(organisation), false},
		{"error as text", "GET", get, 404, "text/plain; charset=utf-8", []byte("404 page not found\n"), false},
		{"metrics", "GET", "/metrics", 200, "text/plain; version=0.0.4; charset=utf-8", []byte("# HELP up\nup 1\n"), true},
		{"health", "GET", "/healthz", 200, "application/json", []byte(`{"status": "ok"}`), true},
		{"unhealthy", "GET", "/healthz", 503, "application/json", []byte(`{"status": "unavailable"}`), true},
		{"not ready", "GET", "/readyz", 503, "application/json", []byte(`{"status": "unavailable", "checks": {"database": "ok", "migrations": "unavailable"}}`), true},
		{"unknown check", "GET", "/readyz", 200, "application/json", []byte(`{"status": "ok", "checks": {"cache": "ok"}}`), false},
		{"openapi", "GET", "/openapi.json", 200, "application/json", openapi.Document, true},
		{"jwks", "GET", "/.well-known/jwks.json", 200, "application/json", []byte(`{"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "kid": "key_1", "alg": "EdDSA", "use": "sig"}]}`), true},
		{"whoami admin", "GET", "/api/v1/whoami", 200, "application/json", []byte(`{"kind": "admin", "token_id": "adm_01jq8m7k8m9n0p1q2r3s4t5v6w", "scopes": ["catalogue:read", "catalogue:write"]}`), true},
		{"whoami service", "GET", "/api/v1/whoami", 200, "application/json", []byte(`{"kind": "service", "token_id": "cred_01jq8m6a7b8c9d0e1f2g3h4j5k", "service_id": "svc_01jq8m3a4b5c6d7e8f9g0h1j2k", "scopes": ["catalogue:read", "future:scope"]}`), true},
		{"operator description", "GET", "/.well-known/mydata/operatordescription", 200, "application/json", []byte(`{
			"operatorId": "op", "serviceProvider": {"businessId": "0201256-6", "name": "Helsinki", "email": "a@hel.fi", "country": "FI"},
			"operatorservicedescriptionVersion": "1", "supportedProfiles": ["consenting"], "cert": {"x5u": "https://op.example/.well-known/jwks.json"},
			"operatorUrls": {"domain": "https://op.example"},
			"createdOnDate": 1767225600, "createdByUserId": "op"}`), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.ValidateResponse(tt.method, tt.path, tt.status, tt.contentType, tt.body)
			if tt.ok && err != nil {
				t.Errorf("got %v, want nil", err)
			} else if !tt.ok && err == nil {
				t.Error("got nil, want an error")
			}
		})
	}
}

func TestValidateRequest(t *testing.T) {
	s := load(t)
	const (
		orgs     = "/api/v1/organisations"
		division = `{"kind": "division", "name": {"fi": "Kasvatuksen ja koulutuksen toimiala"}, "parent_id": "org_01jq8m2k3n4p5q6r7s8t9v0w1x",
			"email": "kasko@hel.fi", "privacy_policy_url": "https://www.hel.fi/tietosuoja", "dpo": {"name": "DPO", "email": "dpo@hel.fi"}}`
	)
	tests := []struct {
		name         string
		method, path string
		body         string
		ok           bool
	}{
		{"division without business ID", "POST", orgs, division, true},
		{"city without business ID", "POST", orgs, strings.Replace(division, `"division"`, `"city"`, 1), false},
		{"division without parent", "POST", orgs, strings.Replace(division, `"parent_id"`, `"website"`, 1), false},
		{"server-assigned field", "POST", orgs, strings.Replace(division, `{`, `{"id": "org_01jq8m2k3n4p5q6r7s8t9v0w1x", `, 1), false},
		{"name without Finnish", "POST", orgs, strings.Replace(division, `"fi"`, `"sv"`, 1), false},
		{"empty update", "PATCH", orgs + "/{id}", `{}`, true},
		{"update", "PATCH", orgs + "/{id}", `{"phone": "+358 9 310 1691"}`, true},
		{"unknown field", "PATCH", orgs + "/{id}", `{"kind": "company"}`, false},
		{"missing body", "PATCH", orgs + "/{id}", ``, false},
		{"body where none is taken", "POST", "/api/v1/services/{id}/approve", `{}`, false},
		{"no body where none is taken", "POST", "/api/v1/services/{id}/approve", ``, true},
		{"new version", "POST", "/api/v1/processings/{id}/versions", `{"compatible_with_previous": false}`, true},
		{"new version without answer", "POST", "/api/v1/processings/{id}/versions", `{}`, false},
		{"credential with unknown scope", "POST", "/api/v1/services/{id}/credentials", `{"name": "ci", "scopes": ["consents:read"]}`, true},
		{"credential without scopes", "POST", "/api/v1/services/{id}/credentials", `{"name": "ci", "scopes": []}`, false},
		{"credential with bad expiry", "POST", "/api/v1/services/{id}/credentials", `{"name": "ci", "scopes": ["catalogue:read"], "expires_at": "tomorrow"}`, false},
		{"notice", "PUT", "/api/v1/processings/{id}/versions/{version}/notices/{language}", `{"title": "T", "body": "B"}`, true},
		{"blank notice", "PUT", "/api/v1/processings/{id}/versions/{version}/notices/{language}", `{"title": " ", "body": "B"}`, false},
		{"admin token", "POST", "/api/v1/admin-tokens", `{"name": "ops"}`, true},
		{"undocumented operation", "DELETE", "/api/v1/admin-tokens", `{}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.ValidateRequest(tt.method, tt.path, []byte(tt.body))
			if tt.ok && err != nil {
				t.Errorf("got %v, want nil", err)
			} else if !tt.ok && err == nil {
				t.Error("got nil, want an error")
			}
		})
	}
}

func TestProcessingDraftLegalBasisNote(t *testing.T) {
	s := load(t)
	draft := func(basis, note string) []byte {
		d := map[string]any{
			"code": "reading-recommendations", "title": map[string]string{"fi": "a", "sv": "b", "en": "c"},
			"description": map[string]string{"fi": "a", "sv": "b", "en": "c"}, "purpose_id": "pur_00000000000000000000000002",
			"data_group_ids": []string{"dg_01jq8m4n5p6q7r8s9t0v1w2x3y"}, "legal_basis": basis, "retention": "P1Y",
		}
		if note != "" {
			d["legal_basis_note"] = note
		}
		b, _ := json.Marshal(d)
		return b
	}
	tests := []struct {
		basis, note string
		ok          bool
	}{
		{"A6-1-a", "", true},
		{"A6-1-b", "", true},
		{"A6-1-e", "", false},
		{"A6-1-e", "Kirjastolaki 1492/2016", true},
		{"A6-1-g", "", false},
	}
	for _, tt := range tests {
		err := s.ValidateRequest("POST", "/api/v1/processings", draft(tt.basis, tt.note))
		if tt.ok != (err == nil) {
			t.Errorf("basis %s, note %q: got %v, want ok=%v", tt.basis, tt.note, err, tt.ok)
		}
	}
}
