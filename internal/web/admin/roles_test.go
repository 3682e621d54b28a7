// SPDX-License-Identifier: Apache-2.0

package admin_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store/storetest"
)

// TestOrganisationAdmin: Helmi, an admin of the City of Helsinki, sees and
// changes her city's (and its divisions') services, credentials and data
// groups; another organisation's are not there, nor the operator's pages;
// admitting and suspending stay the operator's.
func TestOrganisationAdmin(t *testing.T) {
	e := newEnv(t, time.Time{})
	helmet, company := e.demo.IDs["service/helmet"], e.demo.IDs["service/kirjasuositus"]
	if helmet == "" || company == "" {
		t.Fatalf("demo IDs: %v", e.demo.IDs)
	}
	c := e.client(t)
	home := c.login("/admin/en/login", "helmi")
	if home.status != 200 || !strings.Contains(home.body, "Signed in as Helmi Hallinto (organisation admin)") {
		t.Fatalf("organisation admin login: %d %.300s", home.status, home.body)
	}
	if strings.Contains(home.body, `href="/admin/en/requests"`) || strings.Contains(home.body, `href="/admin/en/organisations"`) {
		t.Fatal("an organisation admin is offered the operator's pages")
	}
	for _, path := range []string{"/requests", "/organisations", "/services/" + company} {
		if p := c.get("/admin/en" + path); p.status != 404 {
			t.Fatalf("%s: %d, want 404", path, p.status)
		}
	}
	svcs := c.get("/admin/en/services")
	if !strings.Contains(svcs.body, "/admin/en/services/"+helmet) || strings.Contains(svcs.body, company) || strings.Contains(svcs.body, "/status") {
		t.Fatalf("the services page shows another organisation's service, or admit/suspend buttons: %s", svcs.body)
	}
	tok := home.csrf(t)
	if p := c.post("/admin/en/services/"+helmet+"/status", url.Values{"csrf": {tok}, "status": {"suspended"}}); p.status != 403 {
		t.Fatalf("organisation admin suspending: %d", p.status)
	}
	if s, err := e.store.FindServiceByID(adminCtx(), helmet); err != nil || s.Status != omadata.ServiceApproved {
		t.Fatalf("the refused suspension changed the service: %v %v", s, err)
	}

	// A credential: bad input is refused by the field, in the page's
	// language, and changes nothing; then one is made, its token shown this
	// once, and revoked.
	creds := func() int {
		list, err := e.store.FindCredentials(adminCtx(), helmet)
		if err != nil {
			t.Fatal(err)
		}
		return len(list)
	}
	before := creds()
	bad := c.post("/admin/fi/services/"+helmet+"/credentials", url.Values{"csrf": {tok}, "name": {" "}, "expires_at": {"2020-01-01"}})
	for _, want := range []string{`id="name-error">Täytä tämä kenttä.`, `id="scopes-error">Valitse vähintään yksi oikeus.`, `id="expires_at-error">Päivän on oltava tulevaisuudessa.`, `aria-describedby="name-error name-hint"`} {
		if bad.status != 400 || !strings.Contains(bad.body, want) {
			t.Fatalf("bad credential: %d, want %q in %s", bad.status, want, bad.body)
		}
	}
	if creds() != before {
		t.Fatal("a refused credential form made a credential")
	}
	if p := c.post("/admin/en/services/"+company+"/credentials", url.Values{"csrf": {tok}, "name": {"x"}, "scopes": {"decisions"}}); p.status != 404 {
		t.Fatalf("credential for another organisation's service: %d", p.status)
	}
	made := c.post("/admin/en/services/"+helmet+"/credentials", url.Values{"csrf": {tok}, "name": {"production"}, "scopes": {"transfers", "requests"}})
	token := regexpFind(made.body, `value="(oma_svc_[A-Za-z0-9_-]+)"`)
	if made.status != 201 || token == "" {
		t.Fatalf("create credential: %d %.500s", made.status, made.body)
	}
	caller, err := e.store.Authenticate(context.Background(), token)
	if err != nil || caller.ServiceID != helmet || !caller.HasScope(omadata.ScopeTransfers) || caller.HasScope(omadata.ScopeDecisions) {
		t.Fatalf("the shown token authenticates as %+v, %v", caller, err)
	}
	again := c.get("/admin/en/services/" + helmet)
	if strings.Contains(again.body, token) {
		t.Fatal("the token is shown again")
	}
	cred := regexpFind(again.body, `/credentials/(cred_[0-9a-z]+)/revoke`)
	if p := c.post("/admin/en/services/"+helmet+"/credentials/"+cred+"/revoke", url.Values{"csrf": {tok}}); !strings.Contains(p.url, "done=credential-revoked") || !strings.Contains(p.body, "revoked") {
		t.Fatalf("revoke: %d at %s", p.status, p.url)
	}
	if _, err := e.store.Authenticate(context.Background(), token); omadata.ErrorCode(err) != omadata.EUNAUTHORIZED {
		t.Fatalf("revoked token: %v", err)
	}

	// A data group: errors by the fields in Swedish, nothing made; then made.
	groups := func() int {
		list, _, err := e.store.FindDataGroups(adminCtx(), omadata.DataGroupFilter{ServiceID: &helmet})
		if err != nil {
			t.Fatal(err)
		}
		return len(list)
	}
	nGroups := groups()
	form := url.Values{"csrf": {tok}, "service_id": {helmet}, "code": {"Lainat!"}, "name-fi": {"Varaukset"}, "name-sv": {"Reservationer"}, "name-en": {"Reservations"},
		"description-fi": {"Kirjavaraukset."}, "description-sv": {"Bokreservationer."}, "description-en": {"Book reservations."},
		"personal_data_categories": {"pd:Name"}, "retention": {"P5Y"}}
	bad = c.post("/admin/sv/data-groups", form)
	if bad.status != 400 || !strings.Contains(bad.body, `id="code-error">Använd små bokstäver`) || !strings.Contains(bad.body, `value="Lainat!"`) {
		t.Fatalf("bad code: %d %s", bad.status, bad.body)
	}
	form.Set("code", "library-reservations")
	form.Set("personal_data_categories", "pd:Name, pd:HealthRecord")
	if bad = c.post("/admin/sv/data-groups", form); bad.status != 400 || !strings.Contains(bad.body, `id="special_category-error">`) {
		t.Fatalf("special category not ticked: %d %s", bad.status, bad.body)
	}
	if groups() != nGroups {
		t.Fatal("a refused data-group form made a data group")
	}
	form.Set("personal_data_categories", "pd:Name, pd:Identifying")
	if p := c.post("/admin/en/data-groups", form); !strings.Contains(p.url, "done=data-group-created") || !strings.Contains(p.body, "library-reservations") {
		t.Fatalf("data group: %d at %s", p.status, p.url)
	}
	if groups() != nGroups+1 {
		t.Fatal("the data group was not made")
	}
	form.Set("service_id", company)
	if p := c.post("/admin/en/data-groups", form); p.status != 400 || !strings.Contains(p.body, `id="service_id-error"`) {
		t.Fatalf("data group for another organisation's service: %d", p.status)
	}
}

// TestOperatorPages: organisations, an objection resolved, deliveries by
// status and the list of checkpoints.
func TestOperatorPages(t *testing.T) {
	e := newEnv(t, time.Time{})
	c := e.client(t)
	home := c.login("/admin/fi/login", "olli")
	tok := home.csrf(t)

	orgs := func() int {
		list, _, err := e.store.FindOrganisations(adminCtx(), omadata.OrganisationFilter{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		return len(list)
	}
	n := orgs()
	form := url.Values{"csrf": {tok}, "kind": {"company"}, "name-fi": {"Testi Oy"}, "business_id": {"1234567-8"}, "email": {"info@example.fi"},
		"privacy_policy_url": {"https://example.fi/tietosuoja"}, "dpo-name": {"Tea Tietosuoja"}, "dpo-email": {"dpo@example.fi"}}
	bad := c.post("/admin/fi/organisations", form)
	if bad.status != 400 || !strings.Contains(bad.body, `id="business_id-error">Y-tunnus ei kelpaa`) || !strings.Contains(bad.body, `value="Testi Oy"`) {
		t.Fatalf("bad business ID: %d %s", bad.status, bad.body)
	}
	if orgs() != n {
		t.Fatal("a refused organisation form made an organisation")
	}
	form.Set("business_id", storetest.BusinessID())
	if p := c.post("/admin/fi/organisations", form); !strings.Contains(p.url, "done=organisation-created") || !strings.Contains(p.body, "Testi Oy") {
		t.Fatalf("organisation: %d at %s", p.status, p.url)
	}
	if orgs() != n+1 {
		t.Fatal("the organisation was not made")
	}

	// An objection to a public-task processing: resolved in the console.
	x := &omadata.Request{ID: e.objection(t)}
	list := c.get("/admin/en/requests")
	if !strings.Contains(list.body, "/admin/en/requests/"+x.ID) {
		t.Fatal("the request is not linked from the list")
	}
	pg := c.get("/admin/en/requests/" + x.ID)
	if pg.status != 200 || !strings.Contains(pg.body, "En halua, että") || !strings.Contains(pg.body, `value="upheld"`) || strings.Contains(pg.body, `value="completed"`) {
		t.Fatalf("request page: %d %s", pg.status, pg.body)
	}
	if p := c.post("/admin/en/requests/"+x.ID+"/resolve", url.Values{"csrf": {tok}, "note": {"Considered."}}); p.status != 400 || !strings.Contains(p.body, `id="status-error">Choose one.`) {
		t.Fatalf("no status chosen: %d", p.status)
	}
	if p := c.post("/admin/en/requests/"+x.ID+"/resolve", url.Values{"csrf": {tok}, "status": {"completed"}}); p.status != 400 || !strings.Contains(p.body, `id="status-error">The request cannot move`) {
		t.Fatalf("a move not allowed: %d %s", p.status, p.body)
	}
	if got, _ := e.store.FindRequestByID(adminCtx(), x.ID); got.Status != omadata.RequestPending {
		t.Fatalf("refused forms moved the request to %s", got.Status)
	}
	if p := c.post("/admin/en/requests/"+x.ID+"/resolve", url.Values{"csrf": {tok}, "status": {"rejected"}, "note": {"The law requires it."}}); !strings.Contains(p.url, "done=request-rejected") || !strings.Contains(p.body, "The law requires it.") {
		t.Fatalf("reject: %d at %s", p.status, p.url)
	}
	if got, _ := e.store.FindRequestByID(adminCtx(), x.ID); got.Status != omadata.RequestRejected {
		t.Fatalf("request is %s, want rejected", got.Status)
	}

	// The auditor sees the request but cannot resolve it.
	a := e.client(t)
	a.login("/admin/en/login", "tiina")
	if p := a.get("/admin/en/requests/" + x.ID); p.status != 200 || strings.Contains(p.body, "/resolve") {
		t.Fatalf("auditor's request page: %d", p.status)
	}

	// Deliveries by status; checkpoints listed newest first.
	for _, st := range []string{"dead", "pending", "delivered"} {
		if p := c.get("/admin/en/deliveries?status=" + st); p.status != 200 || !strings.Contains(p.body, `status=`+st+`" aria-current="page"`) {
			t.Fatalf("deliveries %s: %d", st, p.status)
		}
	}
	if p := c.get("/admin/en/deliveries?status=nonsense"); p.status != 404 {
		t.Fatalf("unknown status: %d", p.status)
	}
	for range 2 {
		if _, err := e.store.IntegrateLog(adminCtx()); err != nil {
			t.Fatal(err)
		}
		e.store.CreateOrganisation(adminCtx(), storetest.NewOrganisation(omadata.OrgCompany))
	}
	cps, _, err := e.store.FindCheckpoints(context.Background(), omadata.CheckpointFilter{})
	if err != nil || len(cps) < 2 {
		t.Fatalf("%d checkpoints, %v", len(cps), err)
	}
	lg := c.get("/admin/en/log")
	// html/template writes a base64 "+" as "&#43;".
	esc := strings.NewReplacer("+", "&#43;").Replace
	i, j := strings.Index(lg.body, esc(cps[0].RootHash)), strings.Index(lg.body, esc(cps[1].RootHash))
	if lg.status != 200 || i < 0 || j < 0 || cps[0].RootHash == cps[1].RootHash {
		t.Fatalf("log page: %d, checkpoints listed: %v %v", lg.status, i >= 0, j >= 0)
	}
	if p := c.get("/admin/en/log?after=x"); p.status != 404 {
		t.Fatalf("bad cursor: %d", p.status)
	}
}
