// SPDX-License-Identifier: Apache-2.0

package web_test

import (
	"testing"

	"github.com/omadata/omadata"
)

// missing IDs of each kind: well-formed, never issued.
const (
	missingService    = "svc_00000000000000000000000000"
	missingDataGroup  = "dg_00000000000000000000000000"
	missingProcessing = "proc_00000000000000000000000000"
	missingCredential = "cred_00000000000000000000000000"
)

// TestServiceSeesOnlyItsOwn checks that service A reaches its own records
// and that B's answer exactly as missing ones do, changing nothing.
func TestServiceSeesOnlyItsOwn(t *testing.T) {
	e := newEnv(t, nil)

	t.Run("own records", func(t *testing.T) {
		for _, path := range []string{
			"/api/v1/services/" + e.svcA,
			"/api/v1/data-groups/" + e.dgA,
			"/api/v1/processings/" + e.procA,
			"/api/v1/services/" + e.svcA + "/credentials",
		} {
			wantStatus(t, e.do(t, "GET", path, e.tokA, nil), 200)
		}
		r := e.do(t, "PATCH", "/api/v1/data-groups/"+e.dgA, e.tokA, `{"retention":"P3Y"}`)
		wantStatus(t, r, 200)
		var g omadata.DataGroup
		r.decode(t, &g)
		if g.Retention != "P3Y" {
			t.Errorf("got retention %q, want P3Y", g.Retention)
		}
	})

	t.Run("lists", func(t *testing.T) {
		for _, path := range []string{"/api/v1/services", "/api/v1/data-groups", "/api/v1/processings"} {
			r := e.do(t, "GET", path, e.tokA, nil)
			wantStatus(t, r, 200)
			var list struct {
				Items []struct {
					ID        string `json:"id"`
					ServiceID string `json:"service_id"`
				}
			}
			r.decode(t, &list)
			if len(list.Items) == 0 {
				t.Errorf("%s: got no items, want A's own", path)
			}
			for _, it := range list.Items {
				if it.ID != e.svcA && it.ServiceID != e.svcA {
					t.Errorf("%s: got %s of another service", path, it.ID)
				}
			}
		}
		// Asking for B's explicitly gives an empty list, not B's records.
		r := e.do(t, "GET", "/api/v1/data-groups?service_id="+e.svcB, e.tokA, nil)
		wantStatus(t, r, 200)
		if got := string(r.body); got != `{"items":[]}`+"\n" {
			t.Errorf("got %s, want an empty list", got)
		}
	})

	tests := []struct {
		name          string
		method        string
		path, missing string
		body          any
	}{
		{"get service", "GET", "/api/v1/services/" + e.svcB, "/api/v1/services/" + missingService, nil},
		{"patch service", "PATCH", "/api/v1/services/" + e.svcB, "/api/v1/services/" + missingService, `{"name":{"fi":"x","sv":"x","en":"x"}}`},
		{"list credentials", "GET", "/api/v1/services/" + e.svcB + "/credentials", "/api/v1/services/" + missingService + "/credentials", nil},
		{"create credential", "POST", "/api/v1/services/" + e.svcB + "/credentials", "/api/v1/services/" + missingService + "/credentials", `{"name":"x","scopes":["catalogue:read"]}`},
		{"revoke credential", "POST", "/api/v1/services/" + e.svcB + "/credentials/" + e.credB + "/revoke", "/api/v1/services/" + missingService + "/credentials/" + missingCredential + "/revoke", nil},
		{"revoke B's credential under A", "POST", "/api/v1/services/" + e.svcA + "/credentials/" + e.credB + "/revoke", "/api/v1/services/" + e.svcA + "/credentials/" + missingCredential + "/revoke", nil},
		{"get data group", "GET", "/api/v1/data-groups/" + e.dgB, "/api/v1/data-groups/" + missingDataGroup, nil},
		{"patch data group", "PATCH", "/api/v1/data-groups/" + e.dgB, "/api/v1/data-groups/" + missingDataGroup, `{"retention":"P1Y"}`},
		{"get processing", "GET", "/api/v1/processings/" + e.procB, "/api/v1/processings/" + missingProcessing, nil},
		{"new version", "POST", "/api/v1/processings/" + e.procB + "/versions", "/api/v1/processings/" + missingProcessing + "/versions", `{"compatible_with_previous":true}`},
		{"patch version", "PATCH", "/api/v1/processings/" + e.procB + "/versions/1", "/api/v1/processings/" + missingProcessing + "/versions/1", `{"retention":"P1Y"}`},
		{"put notice", "PUT", "/api/v1/processings/" + e.procB + "/versions/1/notices/fi", "/api/v1/processings/" + missingProcessing + "/versions/1/notices/fi", `{"title":"t","body":"b"}`},
		{"publish", "POST", "/api/v1/processings/" + e.procB + "/versions/1/publish", "/api/v1/processings/" + missingProcessing + "/versions/1/publish", nil},
		{"retire", "POST", "/api/v1/processings/" + e.procB + "/retire", "/api/v1/processings/" + missingProcessing + "/retire", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.dump(t)
			other := e.do(t, tt.method, tt.path, e.tokA, tt.body)
			missing := e.do(t, tt.method, tt.missing, e.tokA, tt.body)
			wantStatus(t, other, 404)
			wantStatus(t, missing, 404)
			got, want := other.err(t), missing.err(t)
			got.RequestID, want.RequestID = "", ""
			if got != want {
				t.Errorf("another service's record: got %+v, want the missing record's %+v", got, want)
			}
			if after := e.dump(t); after != before {
				t.Errorf("the database changed:\n%s", firstDiff(before, after))
			}
		})
	}

	t.Run("create for another service", func(t *testing.T) {
		dg := func(svc string) map[string]any {
			return map[string]any{"service_id": svc, "code": "stolen", "name": text("x"), "description": text("x"),
				"personal_data_categories": []string{"pd:Name"}, "retention": "P1Y"}
		}
		proc := func(svc string) map[string]any { return e.processingBody(map[string]any{"service_id": svc}) }
		for _, c := range []struct {
			path           string
			other, missing any
		}{
			{"/api/v1/data-groups", dg(e.svcB), dg(missingService)},
			{"/api/v1/processings", proc(e.svcB), proc(missingService)},
		} {
			before := e.dump(t)
			other, missing := e.do(t, "POST", c.path, e.tokA, c.other), e.do(t, "POST", c.path, e.tokA, c.missing)
			if other.status != missing.status || other.status < 400 {
				t.Errorf("POST %s for B: got status %d, want the missing service's %d", c.path, other.status, missing.status)
			}
			got, want := other.err(t), missing.err(t)
			got.RequestID, want.RequestID = "", ""
			if got != want {
				t.Errorf("POST %s for B: got %+v, want the missing service's %+v", c.path, got, want)
			}
			if after := e.dump(t); after != before {
				t.Errorf("the database changed:\n%s", firstDiff(before, after))
			}
		}
	})
}

// TestPublicSeesOnlyPublic checks the anonymous views: approved services,
// their data groups, published processings.
func TestPublicSeesOnlyPublic(t *testing.T) {
	e := newEnv(t, nil)
	ids := func(path string) map[string]bool {
		t.Helper()
		r := e.do(t, "GET", path, "", nil)
		wantStatus(t, r, 200)
		var list struct {
			Items []struct {
				ID           string `json:"id"`
				ProcessingID string `json:"processing_id"`
			}
		}
		r.decode(t, &list)
		got := map[string]bool{}
		for _, it := range list.Items {
			got[it.ID+it.ProcessingID] = true
		}
		return got
	}
	services := ids("/api/v1/public/services")
	if !services[e.svcA] || !services[e.svcB] || services[e.svcPen] {
		t.Errorf("public services: got %v, want A and B without the pending one", services)
	}
	catalogue := ids("/api/v1/public/catalogue")
	if !catalogue[e.procA] || !catalogue[e.procB] || catalogue[e.procDraft] {
		t.Errorf("public catalogue: got %v, want the published processings only", catalogue)
	}
	wantStatus(t, e.do(t, "GET", "/api/v1/public/catalogue/"+e.procDraft, "", nil), 404)
	// An admin token on a public route changes nothing: still only public records.
	r := e.do(t, "GET", "/api/v1/public/catalogue/"+e.procDraft, e.admin, nil)
	wantStatus(t, r, 404)
}

// TestServiceCannotPromoteItself: a service's own token may not change the
// roles or the name the operator admitted it with; the answer names the
// field and nothing changes.
func TestServiceCannotPromoteItself(t *testing.T) {
	e := newEnv(t, nil)
	for _, tt := range []struct{ body, field string }{
		{`{"roles":["sink","source"]}`, "roles"},
		{`{"name":{"fi":"Helsingin kaupunki","sv":"Helsingfors stad","en":"City of Helsinki"}}`, "name"},
	} {
		before := e.dump(t)
		r := e.do(t, "PATCH", "/api/v1/services/"+e.svcA, e.tokA, tt.body)
		wantStatus(t, r, 403)
		if got := r.err(t); got.Field != tt.field {
			t.Errorf("got field %q, want %q", got.Field, tt.field)
		}
		if after := e.dump(t); after != before {
			t.Errorf("a refused PATCH changed the database: %s", firstDiff(before, after))
		}
	}
	wantStatus(t, e.do(t, "PATCH", "/api/v1/services/"+e.svcA, e.admin, `{"name":{"fi":"Kirjasto","sv":"Bibliotek","en":"Library"}}`), 200)
}
