// SPDX-License-Identifier: Apache-2.0

package admin_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
)

// lastChange returns who made the latest audited change of action on
// target, or "".
func (e *env) lastChange(t *testing.T, action, target string) string {
	t.Helper()
	rows, err := e.store.DB().QueryStrings(t.Context(), `SELECT actor_id FROM admin_changes WHERE action = ? AND target_id = ? ORDER BY id DESC LIMIT 1`, action, target)
	if err != nil {
		t.Fatal(err)
	} else if len(rows) == 0 {
		return ""
	}
	return rows[0][0]
}

// TestEditOrganisation: an operator admin edits an organisation through
// the store's UpdateOrganisation: a bad field is refused by the field in
// each language with nothing changed; a good form saves and is audited.
func TestEditOrganisation(t *testing.T) {
	e := newEnv(t, time.Time{})
	c := e.client(t)
	tok := c.login("/admin/fi/login", "olli").csrf(t)
	id := e.demo.IDs["organisation/kirjasuositus"]
	before, err := e.store.FindOrganisationByID(adminCtx(), id)
	if err != nil {
		t.Fatal(err)
	}
	pg := c.get("/admin/en/organisations/" + id)
	if pg.status != 200 || !strings.Contains(pg.body, `value="`+before.Email+`"`) || !strings.Contains(pg.body, `id="save-organisation"`) {
		t.Fatalf("organisation page: %d", pg.status)
	}
	if !strings.Contains(c.get("/admin/en/organisations").body, `href="/admin/en/organisations/`+id+`"`) {
		t.Fatal("the organisation is not linked from the list")
	}
	form := url.Values{"csrf": {tok}, "name-fi": {"Kirjasuositus Oy"}, "name-en": {"Book Tips Ltd"}, "email": {"ei-osoite"},
		"privacy_policy_url": {"http://example.fi/tietosuoja"}, "address-country": {"fi"}, "dpo-name": {"Tea Tietosuoja"}, "dpo-email": {"dpo@example.fi"}}
	for lang, want := range map[string]string{"fi": "Anna sähköpostiosoite", "sv": "Ange en e-postadress", "en": "Give an email address"} {
		p := c.post("/admin/"+lang+"/organisations/"+id, form)
		if p.status != 400 || !strings.Contains(p.body, `id="email-error">`+want) || !strings.Contains(p.body, `value="Book Tips Ltd"`) {
			t.Fatalf("%s: bad email: %d %s", lang, p.status, p.body)
		}
	}
	form.Set("email", "info@kirjasuositus.example")
	// The store finds the next bad field, one at a time.
	if p := c.post("/admin/en/organisations/"+id, form); p.status != 400 || !strings.Contains(p.body, `id="address-country-error">Give a two-letter country code`) {
		t.Fatalf("bad country: %d %s", p.status, p.body)
	}
	form.Set("address-country", "FI")
	if p := c.post("/admin/en/organisations/"+id, form); p.status != 400 || !strings.Contains(p.body, `id="privacy_policy_url-error">`) {
		t.Fatalf("http URL: %d %s", p.status, p.body)
	}
	if after, _ := e.store.FindOrganisationByID(adminCtx(), id); !after.UpdatedAt.Equal(before.UpdatedAt) || e.lastChange(t, "organisation.updated", id) != "" {
		t.Fatal("a refused form changed the organisation")
	}
	form.Set("privacy_policy_url", "https://kirjasuositus.example/tietosuoja")
	p := c.post("/admin/en/organisations/"+id, form)
	if !strings.Contains(p.url, "done=organisation-saved") || !strings.Contains(p.body, "The organisation was saved.") {
		t.Fatalf("save: %d at %s", p.status, p.url)
	}
	after, _ := e.store.FindOrganisationByID(adminCtx(), id)
	if after.Name["en"] != "Book Tips Ltd" || after.Email != "info@kirjasuositus.example" || after.Address.Country != "FI" || after.BusinessID != before.BusinessID {
		t.Fatalf("saved %+v", after)
	}
	if actor := e.lastChange(t, "organisation.updated", id); !strings.HasPrefix(actor, "admin:staff:") {
		t.Fatalf("audited as %q", actor)
	}
	// The auditor reads the organisation without a form.
	a := e.client(t)
	a.login("/admin/en/login", "tiina")
	if p := a.get("/admin/en/organisations/" + id); p.status != 200 || strings.Contains(p.body, "<form method=\"post\" action=\"/admin/en/organisations/") {
		t.Fatalf("auditor: %d", p.status)
	}
}

// TestEditService: an operator admin adds a service and changes any field
// of one; an organisation admin changes only the description and the
// endpoints (omadata.ServiceUpdate.Permitted): the form offers nothing
// else, and a name sent anyway is refused with nothing changed.
func TestEditService(t *testing.T) {
	e := newEnv(t, time.Time{})
	c := e.client(t)
	tok := c.login("/admin/fi/login", "olli").csrf(t)

	// A new service: every missing field at once, in Swedish.
	form := url.Values{"csrf": {tok}, "roles": {""}, "name-fi": {"Uusi palvelu"}}
	p := c.post("/admin/sv/services", form)
	if p.status != 400 || !strings.Contains(p.body, `id="organisation_id-error">Välj ett alternativ.`) || !strings.Contains(p.body, `id="roles-error">Välj minst en roll.`) ||
		!strings.Contains(p.body, `id="name-sv-error">Fyll i detta fält.`) || !strings.Contains(p.body, `value="Uusi palvelu"`) {
		t.Fatalf("empty service form: %d %s", p.status, p.body)
	}
	org := e.demo.IDs["organisation/kirjasuositus"]
	form = url.Values{"csrf": {tok}, "organisation_id": {org}, "name-fi": {"Lukupiiri"}, "name-sv": {"Läsecirkel"}, "name-en": {"Reading circle"},
		"roles": {"", "sink"}, "endpoints-webhook": {"ftp://example.fi/hooks"}}
	if p := c.post("/admin/en/services", form); p.status != 400 || !strings.Contains(p.body, `id="endpoints-webhook-error">`) {
		t.Fatalf("bad webhook: %d %s", p.status, p.body)
	}
	form.Set("endpoints-webhook", "https://lukupiiri.example/hooks")
	p = c.post("/admin/en/services", form)
	if !strings.Contains(p.url, "done=service-created") || !strings.Contains(p.body, "Reading circle") {
		t.Fatalf("new service: %d at %s", p.status, p.url)
	}
	id := regexpFind(p.url, `(svc_[0-9a-z]{26})`)
	sv, err := e.store.FindServiceByID(adminCtx(), id)
	if err != nil || sv.Status != omadata.ServicePending || sv.OrganisationID != org || sv.Endpoints.Webhook != "https://lukupiiri.example/hooks" {
		t.Fatalf("made %+v, %v", sv, err)
	}

	// The operator admin renames it and gives it the source role too.
	edit := url.Values{"csrf": {tok}, "name-fi": {"Lukupiiri"}, "name-sv": {"Läsecirkel"}, "name-en": {"Reading club"}, "roles": {"", "source", "sink"},
		"description-en": {"Book talk."}, "endpoints-api": {""}, "endpoints-webhook": {"https://lukupiiri.example/hooks"}}
	if p := c.post("/admin/en/services/"+id, edit); !strings.Contains(p.url, "done=service-saved") {
		t.Fatalf("operator's edit: %d at %s", p.status, p.url)
	}
	if sv, _ = e.store.FindServiceByID(adminCtx(), id); sv.Name["en"] != "Reading club" || len(sv.Roles) != 2 || sv.Description["en"] != "Book talk." {
		t.Fatalf("saved %+v", sv)
	}
	// A role still in use cannot go: the company's sink has processings.
	company := e.demo.IDs["service/kirjasuositus"]
	drop := url.Values{"csrf": {tok}, "roles": {"", "source"}}
	if p := c.post("/admin/fi/services/"+company, drop); p.status != 400 || !strings.Contains(p.body, `id="roles-error">Roolia ei voi poistaa`) {
		t.Fatalf("role in use: %d %s", p.status, p.body)
	}

	// Helmi looks after Helsinki's library: description and endpoints only.
	h := e.client(t)
	htok := h.login("/admin/fi/login", "helmi").csrf(t)
	helmet := e.demo.IDs["service/helmet"]
	before, _ := e.store.FindServiceByID(adminCtx(), helmet)
	pg := h.get("/admin/fi/services/" + helmet)
	if pg.status != 200 || !strings.Contains(pg.body, `id="save-service"`) || !strings.Contains(pg.body, `id="description-fi"`) ||
		strings.Contains(pg.body, `id="name-fi"`) || strings.Contains(pg.body, `id="role-source"`) || !strings.Contains(pg.body, "muuttaa vain operaattorin pääkäyttäjä") {
		t.Fatalf("Helmi's service page: %d", pg.status)
	}
	forged := url.Values{"csrf": {htok}, "name-fi": {"Kirjasto"}, "name-sv": {"Bibliotek"}, "name-en": {"Library"}, "description-fi": {"Uusi kuvaus."}}
	if p := h.post("/admin/fi/services/"+helmet, forged); p.status != 403 {
		t.Fatalf("a name from an organisation admin: %d", p.status)
	}
	if got, _ := e.store.FindServiceByID(adminCtx(), helmet); !got.UpdatedAt.Equal(before.UpdatedAt) {
		t.Fatal("a refused edit changed the service")
	}
	if p := h.post("/admin/fi/services/"+helmet, url.Values{"csrf": {htok}, "description-fi": {"Uusi kuvaus."}, "endpoints-api": {"https://helmet.example/api"}, "endpoints-webhook": {""}}); !strings.Contains(p.url, "done=service-saved") {
		t.Fatalf("Helmi's edit: %d at %s", p.status, p.url)
	}
	got, _ := e.store.FindServiceByID(adminCtx(), helmet)
	if got.Description["fi"] != "Uusi kuvaus." || got.Endpoints.API != "https://helmet.example/api" || got.Name["fi"] != before.Name["fi"] {
		t.Fatalf("saved %+v", got)
	}
	if actor := e.lastChange(t, "service.updated", helmet); !strings.HasPrefix(actor, "organisation:staff:") {
		t.Fatalf("audited as %q", actor)
	}
	// Another organisation's service is not there for her.
	if p := h.post("/admin/fi/services/"+company, url.Values{"csrf": {htok}, "description-fi": {"x"}}); p.status != 404 {
		t.Fatalf("another organisation's service: %d", p.status)
	}
}

// TestEditDataGroup: a data group is edited through UpdateDataGroup: bad
// fields by the field, a change of category under published processings
// refused, then saved and audited.
func TestEditDataGroup(t *testing.T) {
	e := newEnv(t, time.Time{})
	h := e.client(t)
	tok := h.login("/admin/sv/login", "helmi").csrf(t)
	id := e.demo.IDs["data-group/library-loans"]
	before, err := e.store.FindDataGroupByID(adminCtx(), id)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(h.get("/admin/sv/data-groups").body, `href="/admin/sv/data-groups/`+id+`"`) {
		t.Fatal("the data group is not linked from the list")
	}
	pg := h.get("/admin/sv/data-groups/" + id)
	if pg.status != 200 || !strings.Contains(pg.body, `id="save-data-group"`) || !strings.Contains(pg.body, `value="P1Y"`) {
		t.Fatalf("data group page: %d", pg.status)
	}
	form := url.Values{"csrf": {tok}, "retention": {"ett år"}, "personal_data_categories": {"pd:Nonsense"}}
	for _, l := range omadata.Languages {
		form.Set("name-"+l, before.Name[l])
		form.Set("description-"+l, before.Description[l])
	}
	if p := h.post("/admin/sv/data-groups/"+id, form); p.status != 400 || !strings.Contains(p.body, `id="retention-error">Ange en ISO 8601-period`) {
		t.Fatalf("bad retention: %d %s", p.status, p.body)
	}
	form.Set("retention", "P2Y")
	if p := h.post("/admin/sv/data-groups/"+id, form); p.status != 400 || !strings.Contains(p.body, `id="personal_data_categories-error">`) {
		t.Fatalf("bad category: %d %s", p.status, p.body)
	}
	form.Set("personal_data_categories", strings.Join(before.PersonalDataCategories, ", "))
	form.Set("special_category", "yes")
	if p := h.post("/admin/en/data-groups/"+id, form); p.status != 400 || !strings.Contains(p.body, `id="special_category-error">Published processings use this data group`) {
		t.Fatalf("special category under published processings: %d %s", p.status, p.body)
	}
	if got, _ := e.store.FindDataGroupByID(adminCtx(), id); !got.UpdatedAt.Equal(before.UpdatedAt) {
		t.Fatal("a refused form changed the data group")
	}
	form.Del("special_category")
	form.Set("name-en", "Library loans and reservations")
	if p := h.post("/admin/en/data-groups/"+id, form); !strings.Contains(p.url, "done=data-group-saved") || !strings.Contains(p.body, "Library loans and reservations") {
		t.Fatalf("save: %d at %s", p.status, p.url)
	}
	got, _ := e.store.FindDataGroupByID(adminCtx(), id)
	if got.Retention != "P2Y" || got.Name["en"] != "Library loans and reservations" || got.Code != before.Code {
		t.Fatalf("saved %+v", got)
	}
	if actor := e.lastChange(t, "data_group.updated", id); !strings.HasPrefix(actor, "organisation:staff:") {
		t.Fatalf("audited as %q", actor)
	}
}
