// SPDX-License-Identifier: Apache-2.0

package admin_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
)

// TestStaffPage: operator admins add members, change roles and remove
// members; bad input is refused by the field and changes nothing; the
// identity code typed is never shown back; nobody removes themselves and
// the last operator admin stays; a removed member's session ends at once;
// auditors read the list, organisation admins do not see it.
func TestStaffPage(t *testing.T) {
	e := newEnv(t, time.Time{})
	staff := func() map[string]*omadata.Staff {
		list, err := e.store.FindStaff(adminCtx())
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]*omadata.Staff{}
		for _, st := range list {
			out[st.Name] = st
		}
		return out
	}
	before := staff()
	olli, tiina := before["Olli Ylläpitäjä"], before["Tiina Tietosuoja"]

	// Organisation admins: not found. Auditors: the list, no forms.
	helmi := e.client(t)
	helmi.login("/admin/en/login", "helmi")
	if p := helmi.get("/admin/en/staff"); p.status != 404 {
		t.Fatalf("organisation admin: %d", p.status)
	}
	aud := e.client(t)
	audHome := aud.login("/admin/en/login", "tiina")
	if p := aud.get("/admin/en/staff"); p.status != 200 || !strings.Contains(p.body, "Olli Ylläpitäjä") || strings.Contains(p.body, "add-staff") || strings.Contains(p.body, "/remove") {
		t.Fatalf("auditor's staff page: %d %s", p.status, p.body)
	}
	if p := aud.post("/admin/en/staff/"+olli.ID+"/remove", url.Values{"csrf": {audHome.csrf(t)}}); p.status != 403 && p.status != 404 {
		t.Fatalf("auditor removing: %d", p.status)
	}

	c := e.client(t)
	tok := c.login("/admin/en/login", "olli").csrf(t)
	// Everything missing: an error by each field.
	bad := c.post("/admin/en/staff", url.Values{"csrf": {tok}})
	for _, f := range []string{`id="identity_code-error">Fill in this field.`, `id="name-error">Fill in this field.`, `id="role-error">Choose one.`} {
		if bad.status != 400 || !strings.Contains(bad.body, f) {
			t.Fatalf("empty form: %d, want %s in %s", bad.status, f, bad.body)
		}
	}
	// A bad code: refused, and not shown back.
	p := c.post("/admin/fi/staff", url.Values{"csrf": {tok}, "identity_code": {"131052-308X"}, "name": {"Testi"}, "role": {"auditor"}})
	if p.status != 400 || !strings.Contains(p.body, `id="identity_code-error">Tarkista henkilötunnus`) || strings.Contains(p.body, "131052-308X") || !strings.Contains(p.body, `value="Testi"`) {
		t.Fatalf("bad code: %d %s", p.status, p.body)
	}
	p = c.post("/admin/en/staff", url.Values{"csrf": {tok}, "identity_code": {"131052-308T"}, "name": {"Testi"}, "role": {"organisation_admin"}})
	if p.status != 400 || !strings.Contains(p.body, `id="organisation_id-error">Choose the organisation`) || strings.Contains(p.body, "131052-308T") {
		t.Fatalf("organisation admin without organisation: %d %s", p.status, p.body)
	}
	// The only operator admin cannot demote themselves.
	p = c.post("/admin/en/staff", url.Values{"csrf": {tok}, "identity_code": {"120475-931B"}, "name": {"Olli Ylläpitäjä"}, "role": {"auditor"}})
	if p.status != 400 || !strings.Contains(p.body, `id="role-error">The operator must keep at least one operator admin`) {
		t.Fatalf("demoting the last operator admin: %d %s", p.status, p.body)
	}
	if len(staff()) != len(before) || staff()["Olli Ylläpitäjä"].Role != omadata.StaffOperatorAdmin {
		t.Fatal("a refused form changed the staff")
	}

	// A new member, lower-case check character and all.
	p = c.post("/admin/en/staff", url.Values{"csrf": {tok}, "identity_code": {" 131052-308t "}, "name": {"Testi Tarkastaja"}, "role": {"auditor"}, "organisation_id": {"ignored"}})
	added := staff()["Testi Tarkastaja"]
	if added == nil || added.Role != omadata.StaffAuditor || added.OrganisationID != "" || !strings.Contains(p.url, "done=staff-saved") || !strings.Contains(p.body, "Testi Tarkastaja") {
		t.Fatalf("add: %d at %s, %+v", p.status, p.url, added)
	}
	if strings.Contains(p.body, "131052-308") {
		t.Fatal("the staff page shows an identity code")
	}

	// Nobody removes themselves.
	p = c.post("/admin/en/staff/"+olli.ID+"/remove", url.Values{"csrf": {tok}})
	if p.status != 400 || !strings.Contains(p.body, "You cannot remove yourself.") || staff()["Olli Ylläpitäjä"] == nil {
		t.Fatalf("remove self: %d %s", p.status, p.body)
	}
	// Without the CSRF token, nothing happens.
	if p := c.post("/admin/en/staff/"+tiina.ID+"/remove", url.Values{}); p.status != 403 || staff()["Tiina Tietosuoja"] == nil {
		t.Fatalf("remove without CSRF: %d", p.status)
	}
	// Tiina removed: her open session ends at once.
	p = c.post("/admin/en/staff/"+tiina.ID+"/remove", url.Values{"csrf": {tok}})
	if !strings.Contains(p.url, "done=staff-removed") || strings.Contains(p.body, "Tiina Tietosuoja") || staff()["Tiina Tietosuoja"] != nil {
		t.Fatalf("remove: %d at %s", p.status, p.url)
	}
	if p := aud.get("/admin/en/staff"); p.status == 200 && strings.Contains(p.body, "Signed in as Tiina") {
		t.Fatal("a removed member is still signed in")
	}
	if p := c.post("/admin/en/staff/"+tiina.ID+"/remove", url.Values{"csrf": {tok}}); p.status != 404 {
		t.Fatalf("remove twice: %d", p.status)
	}
}
