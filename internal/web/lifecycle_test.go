// SPDX-License-Identifier: Apache-2.0

package web_test

import (
	"strings"
	"testing"

	"github.com/omadata/omadata"
)

// TestLifecycle drives the catalogue through the API the way an operator
// and a sink would: register, admit, issue a credential, declare data
// groups and a processing, publish it, version it, retire it.
func TestLifecycle(t *testing.T) {
	e := newEnv(t, nil)
	id := func(r response) string {
		t.Helper()
		var v struct {
			ID string `json:"id"`
		}
		r.decode(t, &v)
		if v.ID == "" {
			t.Fatalf("no id in %s", r.body)
		}
		return v.ID
	}

	// The operator registers an organisation and its service, and admits it.
	r := e.do(t, "POST", "/api/v1/organisations", e.admin, orgBody(nil))
	wantStatus(t, r, 201)
	org := id(r)
	r = e.do(t, "PATCH", "/api/v1/organisations/"+org, e.admin, `{"website":"https://uusi.example.fi"}`)
	wantStatus(t, r, 200)
	r = e.do(t, "POST", "/api/v1/services", e.admin, map[string]any{"organisation_id": org, "name": text("Museum"),
		"description": text("Museum"), "roles": []string{"source", "sink"}})
	wantStatus(t, r, 201)
	var svc omadata.Service
	r.decode(t, &svc)
	if svc.Status != omadata.ServicePending {
		t.Errorf("got status %q, want a new service pending", svc.Status)
	}
	wantStatus(t, e.do(t, "POST", "/api/v1/services/"+svc.ID+"/approve", e.admin, nil), 200)
	r = e.do(t, "POST", "/api/v1/services/"+svc.ID+"/approve", e.admin, nil)
	wantStatus(t, r, 409)

	// The operator gives the service a credential; the service takes over.
	r = e.do(t, "POST", "/api/v1/services/"+svc.ID+"/credentials", e.admin,
		`{"name":"museum backend","scopes":["catalogue:read","catalogue:write"],"expires_at":"2099-01-01T00:00:00Z"}`)
	wantStatus(t, r, 201)
	var cred omadata.Credential
	r.decode(t, &cred)
	if cred.Token == "" || cred.ExpiresAt == nil {
		t.Fatalf("got %s, want a token and an expiry", r.body)
	}
	tok := cred.Token
	if got := r.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("got Cache-Control %q on a token, want no-store", got)
	}
	wantStatus(t, e.do(t, "PATCH", "/api/v1/services/"+svc.ID, tok, map[string]any{"description": text("Art museum")}), 200)

	r = e.do(t, "POST", "/api/v1/data-groups", tok, map[string]any{"code": "visits", "name": text("Visits"),
		"description": text("Museum visits"), "personal_data_categories": []string{"pd:ServiceConsumptionBehavior"}, "retention": "P2Y"})
	wantStatus(t, r, 201)
	var dg omadata.DataGroup
	r.decode(t, &dg)
	if dg.ServiceID != svc.ID {
		t.Errorf("got service_id %q, want the caller's own %q", dg.ServiceID, svc.ID)
	}
	r = e.do(t, "POST", "/api/v1/processings", tok, e.processingBody(map[string]any{"code": "visit-stats", "data_group_ids": []string{dg.ID}}))
	wantStatus(t, r, 201)
	var proc omadata.Processing
	r.decode(t, &proc)
	if proc.ServiceID != svc.ID || len(proc.Versions) != 1 || proc.Versions[0].Status != omadata.VersionDraft {
		t.Fatalf("got %s, want a draft version 1 of the caller's service", r.body)
	}
	base := "/api/v1/processings/" + proc.ID
	wantStatus(t, e.do(t, "PATCH", base+"/versions/1", tok, `{"retention":"P6M"}`), 200)
	// What GDPR Articles 13 and 14 require: a refused edit names its field;
	// an accepted one shows in the public catalogue's JSON.
	r = e.do(t, "PATCH", base+"/versions/1", tok, map[string]any{"third_country_transfers": []map[string]string{{"country": "SE", "safeguard": "adequacy"}}})
	wantStatus(t, r, 400)
	if !strings.Contains(string(r.body), `"field":"third_country_transfers.country"`) {
		t.Errorf("got %s, want the field named", r.body)
	}
	wantStatus(t, e.do(t, "PATCH", base+"/versions/1", tok, map[string]any{"provision_requirement": "voluntary", "provision_consequence": text("No statistics"),
		"third_country_transfers": []map[string]string{{"country": "US", "safeguard": "standard_clauses"}}}), 200)
	for _, lang := range omadata.Languages {
		wantStatus(t, e.do(t, "PUT", base+"/versions/1/notices/"+lang, tok, map[string]string{"title": "Visits " + lang, "body": "We count visits."}), 200)
	}
	r = e.do(t, "POST", base+"/versions/1/publish", tok, nil)
	wantStatus(t, r, 200)
	r = e.do(t, "GET", "/api/v1/public/catalogue/"+proc.ID, "", nil)
	wantStatus(t, r, 200)
	var entry omadata.CatalogueEntry
	r.decode(t, &entry)
	if entry.ProvisionRequirement != "voluntary" || len(entry.Transfers) != 1 || entry.Controller.DPO.Email == "" || len(entry.Rights) == 0 ||
		entry.SupervisoryAuthority.URL == "" || len(entry.DataGroups[0].PersonalDataCategories) != 1 {
		t.Errorf("got %s, want every item of GDPR Art 13 and 14", r.body)
	}

	r = e.do(t, "POST", base+"/versions", tok, `{"compatible_with_previous":true}`)
	wantStatus(t, r, 201)
	var v2 omadata.ProcessingVersion
	r.decode(t, &v2)
	if v2.Version != 2 || v2.Status != omadata.VersionDraft || !v2.Compatible {
		t.Errorf("got %s, want a compatible draft version 2", r.body)
	}
	wantStatus(t, e.do(t, "POST", base+"/versions/2/publish", tok, nil), 200)
	r = e.do(t, "GET", base, tok, nil)
	wantStatus(t, r, 200)
	r.decode(t, &proc)
	if cur := proc.Current(); cur == nil || cur.Version != 2 {
		t.Errorf("got %s, want version 2 current", r.body)
	}
	wantStatus(t, e.do(t, "POST", base+"/retire", tok, nil), 200)

	// The operator keeps the taxonomy and the AI register.
	r = e.do(t, "POST", "/api/v1/purposes", e.admin, map[string]any{"code": "museum-stats", "name": text("Statistics"),
		"description": text("Statistics"), "dpv_purposes": []string{"dpv:ServiceOptimisation"}, "legal_bases": []string{"A6-1-a"}})
	wantStatus(t, r, 201)
	pur := id(r)
	wantStatus(t, e.do(t, "PATCH", "/api/v1/purposes/"+pur, e.admin, `{"kantara_category":"2 - Improve Performance"}`), 200)
	wantStatus(t, e.do(t, "GET", "/api/v1/public/catalogue?purpose_id="+pur, "", nil), 200)
	r = e.do(t, "POST", "/api/v1/ai-systems", e.admin, map[string]any{"organisation_id": org, "name": text("Guide"),
		"description": text("Guide"), "purpose": text("Guiding"), "human_oversight": text("Staff"), "legal_basis": "A6-1-e",
		"risk_level": "minimal", "status": "planned", "contact": map[string]string{"name": "AI", "email": "ai@example.fi"},
		"processing_ids": []string{}, "data_group_ids": []string{dg.ID}})
	wantStatus(t, r, 201)
	ai := id(r)
	wantStatus(t, e.do(t, "PATCH", "/api/v1/ai-systems/"+ai, e.admin, `{"status":"in_use"}`), 200)
	r = e.do(t, "GET", "/api/v1/public/ai-systems?organisation_id="+org, "", nil)
	wantStatus(t, r, 200)
	var list struct{ Items []omadata.AISystem }
	r.decode(t, &list)
	if len(list.Items) != 1 || list.Items[0].Status != "in_use" {
		t.Errorf("got %s, want the one AI system in use", r.body)
	}
}
