// SPDX-License-Identifier: Apache-2.0

package web_test

import (
	"strings"
	"testing"

	"github.com/omadata/omadata"
)

// orgBody is a valid organisation body with some fields replaced.
func orgBody(set map[string]any) map[string]any {
	b := map[string]any{
		"kind":               "company",
		"name":               map[string]string{"fi": "Uusi Oy"},
		"business_id":        businessID("7654321"),
		"email":              "info@example.fi",
		"privacy_policy_url": "https://example.fi/privacy",
		"dpo":                map[string]string{"name": "DPO", "email": "dpo@example.fi"},
	}
	for k, v := range set {
		b[k] = v
	}
	return b
}

// processingBody is a valid processing draft body for service A.
func (e *env) processingBody(set map[string]any) map[string]any {
	b := map[string]any{
		"code":                "new-processing",
		"title":               text("New processing"),
		"description":         text("New processing description"),
		"purpose_id":          e.purpose,
		"data_group_ids":      []string{e.dgA},
		"legal_basis":         "A6-1-a",
		"retention":           "P1Y",
		"recipients":          []map[string]string{{"name": "Test City", "role": "controller"}},
		"automated_decisions": false,
	}
	for k, v := range set {
		b[k] = v
	}
	return b
}

// TestInvalidInputChangesNothing sends bad input to write routes and checks
// the status, the error code, the field named, and that not one row of the
// database changed.
func TestInvalidInputChangesNothing(t *testing.T) {
	e := newEnv(t, nil)
	json := "application/json"
	tests := []struct {
		name        string
		method      string
		path        string
		token       string
		contentType string // "" sends application/json
		body        any
		status      int
		code        string
		field       string
		message     string // if set, the message expected
	}{
		{name: "bad business ID", method: "POST", path: "/api/v1/organisations", token: e.admin,
			body: orgBody(map[string]any{"business_id": "0201256-5"}), status: 400, code: "invalid", field: "business_id"},
		{name: "business ID taken", method: "POST", path: "/api/v1/organisations", token: e.admin,
			body: orgBody(map[string]any{"business_id": businessID("0201256")}), status: 409, code: "conflict", field: "business_id"},
		{name: "unknown language in a new text", method: "POST", path: "/api/v1/organisations", token: e.admin,
			body: orgBody(map[string]any{"name": map[string]string{"fi": "Oy", "de": "GmbH"}}), status: 400, code: "invalid", field: "name.de"},
		{name: "unknown language in a patched text", method: "PATCH", path: "/api/v1/data-groups/" + e.dgA, token: e.tokA,
			body: `{"name":{"de":"x"}}`, status: 400, code: "invalid", field: "name.de"},
		{name: "special-category group without Art 9 condition", method: "POST", path: "/api/v1/processings", token: e.tokA,
			body: e.processingBody(map[string]any{"data_group_ids": []string{e.dgSpecial}}), status: 400, code: "invalid", field: "art9_condition"},
		{name: "special-category group patched into a draft", method: "PATCH", path: "/api/v1/processings/" + e.procDraft + "/versions/1", token: e.tokA,
			body: map[string]any{"data_group_ids": []string{e.dgA, e.dgSpecial}}, status: 400, code: "invalid", field: "art9_condition"},
		{name: "edit a published version", method: "PATCH", path: "/api/v1/processings/" + e.procA + "/versions/1", token: e.tokA,
			body: map[string]any{"retention": "P2Y"}, status: 409, code: "conflict", field: "status"},
		{name: "notice on a published version", method: "PUT", path: "/api/v1/processings/" + e.procA + "/versions/1/notices/fi", token: e.tokA,
			body: `{"title":"t","body":"b"}`, status: 409, code: "conflict", field: "status"},
		{name: "unknown field", method: "POST", path: "/api/v1/organisations", token: e.admin,
			body: orgBody(map[string]any{"foo": 1}), status: 400, code: "invalid", field: "foo", message: `Unknown field "foo".`},
		{name: "server-assigned ID", method: "POST", path: "/api/v1/organisations", token: e.admin,
			body: orgBody(map[string]any{"id": "org_00000000000000000000000000"}), status: 400, code: "invalid", field: "id"},
		{name: "server-assigned time", method: "POST", path: "/api/v1/purposes", token: e.admin,
			body: `{"created_at":"2020-01-01T00:00:00Z"}`, status: 400, code: "invalid", field: "created_at"},
		{name: "status of a new service", method: "POST", path: "/api/v1/services", token: e.admin,
			body:   map[string]any{"organisation_id": e.org, "name": text("x"), "roles": []string{"sink"}, "status": "approved"},
			status: 400, code: "invalid", field: "status"},
		{name: "unknown field in a patch", method: "PATCH", path: "/api/v1/services/" + e.svcA, token: e.tokA,
			body: `{"status":"approved"}`, status: 400, code: "invalid", field: "status"},
		{name: "body over the limit", method: "POST", path: "/api/v1/organisations", token: e.admin,
			body: `{"name":{"fi":"` + strings.Repeat("x", testMaxBody) + `"}}`, status: 413, code: "too_large", field: "body"},
		{name: "wrong type: object", method: "POST", path: "/api/v1/organisations", token: e.admin,
			body: orgBody(map[string]any{"name": 5}), status: 400, code: "invalid", field: "name", message: "Must be an object."},
		{name: "wrong type: boolean", method: "PATCH", path: "/api/v1/data-groups/" + e.dgA, token: e.tokA,
			body: `{"special_category":"yes"}`, status: 400, code: "invalid", field: "special_category"},
		{name: "wrong type: array", method: "PATCH", path: "/api/v1/services/" + e.svcA, token: e.tokA,
			body: `{"roles":"sink"}`, status: 400, code: "invalid", field: "roles"},
		{name: "wrong type: top level", method: "POST", path: "/api/v1/purposes", token: e.admin,
			body: `["a"]`, status: 400, code: "invalid", field: "body"},
		{name: "wrong content type", method: "POST", path: "/api/v1/organisations", token: e.admin,
			contentType: "text/plain", body: orgBody(nil), status: 415, code: "unsupported", field: "Content-Type"},
		{name: "form content type", method: "PATCH", path: "/api/v1/data-groups/" + e.dgA, token: e.tokA,
			contentType: "application/x-www-form-urlencoded", body: `retention=P1Y`, status: 415, code: "unsupported", field: "Content-Type"},
		{name: "not JSON", method: "POST", path: "/api/v1/ai-systems", token: e.admin,
			body: `{"name":`, status: 400, code: "invalid", field: "body"},
		{name: "bad JSON syntax", method: "POST", path: "/api/v1/ai-systems", token: e.admin,
			body: `{"name" {}}`, status: 400, code: "invalid", field: "body"},
		{name: "empty body", method: "POST", path: "/api/v1/admin-tokens", token: e.admin,
			body: ``, status: 400, code: "invalid", field: "body"},
		{name: "trailing data", method: "POST", path: "/api/v1/admin-tokens", token: e.admin,
			body: `{"name":"a"} {"name":"b"}`, status: 400, code: "invalid", field: "body"},
		{name: "version zero", method: "PATCH", path: "/api/v1/processings/" + e.procDraft + "/versions/0", token: e.tokA,
			body: `{}`, status: 400, code: "invalid", field: "version"},
		{name: "version not a number", method: "POST", path: "/api/v1/processings/" + e.procDraft + "/versions/v1/publish", token: e.tokA,
			status: 400, code: "invalid", field: "version"},
		{name: "notice in an unknown language", method: "PUT", path: "/api/v1/processings/" + e.procDraft + "/versions/1/notices/de", token: e.tokA,
			body: `{"title":"t","body":"b"}`, status: 400, code: "invalid", field: "language"},
		{name: "new version without compatibility", method: "POST", path: "/api/v1/processings/" + e.procA + "/versions", token: e.tokA,
			body: `{}`, status: 400, code: "invalid", field: "compatible_with_previous"},
		{name: "credential with a bad expiry", method: "POST", path: "/api/v1/services/" + e.svcA + "/credentials", token: e.tokA,
			body: `{"name":"x","scopes":["catalogue:read"],"expires_at":"tomorrow"}`, status: 400, code: "invalid", field: "expires_at"},
		{name: "credential with an unknown scope", method: "POST", path: "/api/v1/services/" + e.svcA + "/credentials", token: e.admin,
			body: `{"name":"x","scopes":["everything"]}`, status: 400, code: "invalid", field: "scopes"},
		{name: "data group with an unknown category", method: "POST", path: "/api/v1/data-groups", token: e.tokA,
			body:   map[string]any{"code": "x", "name": text("x"), "description": text("x"), "personal_data_categories": []string{"pd:Nope"}, "retention": "P1Y"},
			status: 400, code: "invalid", field: "personal_data_categories"},
		{name: "purpose with a bad legal basis", method: "PATCH", path: "/api/v1/purposes/" + e.purpose, token: e.admin,
			body: `{"legal_bases":["A6-1-z"]}`, status: 400, code: "invalid", field: "legal_bases"},
		{name: "invalid UTF-8 in a text", method: "POST", path: "/api/v1/admin-tokens", token: e.admin,
			body: "{\"name\":\"ops \xff laptop\"}", status: 400, code: "invalid", field: "name"},
		{name: "lone surrogate in a nested text", method: "PATCH", path: "/api/v1/data-groups/" + e.dgA, token: e.tokA,
			body: `{"name":{"fi":"Lainat \ud800"}}`, status: 400, code: "invalid", field: "name.fi"},
		{name: "NUL in an admin-token name", method: "POST", path: "/api/v1/admin-tokens", token: e.admin,
			body: `{"name":"ops\u0000laptop"}`, status: 400, code: "invalid", field: "name"},
		{name: "key given twice", method: "PATCH", path: "/api/v1/services/" + e.svcA, token: e.admin,
			body: `{"name":{"fi":"a","sv":"b","en":"c"},"name":{"fi":"d","sv":"e","en":"f"}}`, status: 400, code: "invalid", field: "name",
			message: `The key "name" is given twice; give it once.`},
		{name: "PATCH with null", method: "PATCH", path: "/api/v1/organisations/" + e.org, token: e.admin,
			body: `null`, status: 400, code: "invalid", field: "body"},
		{name: "body to a route that takes none", method: "POST", path: "/api/v1/services/" + e.svcPen + "/approve", token: e.admin,
			body: `{}`, status: 400, code: "invalid", field: "body"},
		{name: "identity code in a credential name", method: "POST", path: "/api/v1/services/" + e.svcA + "/credentials", token: e.admin,
			body: `{"name":"Matti 150385a9013","scopes":["catalogue:read"]}`, status: 400, code: "invalid", field: "name", message: omadata.IdentityCodeInText},
		{name: "identity code without separator in a service name", method: "PATCH", path: "/api/v1/services/" + e.svcA, token: e.admin,
			body: `{"name":{"fi":"Palvelu 1503859013","sv":"Tjänst","en":"Service"}}`, status: 400, code: "invalid", field: "name.fi", message: omadata.IdentityCodeInText},
		{name: "fullwidth identity code in an AI system", method: "PATCH", path: "/api/v1/ai-systems/" + e.ai, token: e.admin,
			body: `{"purpose":{"fi":"１５０３８５‐９０１３","sv":"x","en":"x"}}`, status: 400, code: "invalid", field: "purpose.fi", message: omadata.IdentityCodeInText},
		{name: "log of an unknown service", method: "GET", path: "/api/v1/services/svc_0000000000000000000000000a/log", token: e.admin,
			status: 404, code: "not_found"},
		{name: "log of a malformed service ID", method: "GET", path: "/api/v1/services/nope/log", token: e.admin,
			status: 404, code: "not_found"},
		{name: "bad limit", method: "GET", path: "/api/v1/organisations?limit=500", token: e.admin,
			status: 400, code: "invalid", field: "limit"},
		{name: "bad cursor", method: "GET", path: "/api/v1/public/ai-systems?cursor=!!", status: 400, code: "invalid", field: "cursor"},
		{name: "cursor of another list", method: "GET", path: "/api/v1/services?cursor=b3JnXzAx", token: e.admin,
			status: 400, code: "invalid", field: "cursor"},
		{name: "bad filter", method: "GET", path: "/api/v1/services?status=gone", token: e.admin,
			status: 400, code: "invalid", field: "status"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.dump(t)
			var r response
			if tt.contentType != "" {
				s, _ := tt.body.(string)
				if s == "" {
					s = `{"kind":"company"}`
				}
				r = e.call(t, tt.method, tt.path, tt.token, tt.contentType, strings.NewReader(s))
			} else {
				r = e.do(t, tt.method, tt.path, tt.token, tt.body)
			}
			if r.status != tt.status {
				t.Errorf("got status %d, want %d; body %s", r.status, tt.status, r.body)
			}
			got := r.err(t)
			if got.Code != tt.code {
				t.Errorf("got code %q, want %q", got.Code, tt.code)
			}
			if got.Field != tt.field {
				t.Errorf("got field %q, want %q (message %q)", got.Field, tt.field, got.Message)
			}
			if got.Message == "" || tt.message != "" && got.Message != tt.message {
				t.Errorf("got message %q, want %q", got.Message, tt.message)
			}
			if ct := r.header.Get("Content-Type"); ct != json {
				t.Errorf("got Content-Type %q, want %q", ct, json)
			}
			if after := e.dump(t); after != before {
				t.Errorf("the database changed:\n%s", firstDiff(before, after))
			}
		})
	}
}

// firstDiff shows the first line where two dumps differ.
func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return "before: " + x + "\nafter:  " + y
		}
	}
	return ""
}
