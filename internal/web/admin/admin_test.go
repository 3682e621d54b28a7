// SPDX-License-Identifier: Apache-2.0

package admin_test

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
)

// TestConsole drives the console over HTTP like a browser without
// JavaScript: staff login and roles, CSRF, bad input, a new version and
// its publication.
func TestConsole(t *testing.T) {
	e := newEnv(t, time.Time{})
	proc := e.recommendations(t)

	// A resident is not on the staff.
	res := e.client(t).login("/admin/en/login", "olli")
	if res.status != 200 || !strings.HasSuffix(res.url, "/admin/en/") || !strings.Contains(res.body, "Signed in as Olli Ylläpitäjä (operator admin)") {
		t.Fatalf("operator admin login: %d at %s", res.status, res.url)
	}
	// The staff chooser offers no residents, so a resident cannot even try;
	// the portal's chooser offers no staff.
	if p := e.client(t).get("/en/login"); strings.Contains(p.body, "olli") || !strings.Contains(p.body, "matti") {
		t.Fatal("the portal's chooser offers staff, or no residents")
	}
	if p := e.client(t).get("/admin/en/login"); strings.Contains(p.body, `value="matti"`) {
		t.Fatal("the console's chooser offers residents")
	}
	if p := e.client(t).get("/admin/en/services"); !strings.Contains(p.url, idpPath) {
		t.Fatalf("signed out, /services went to %s", p.url)
	}

	c := e.client(t)
	c.login("/admin/en/login", "olli")
	pg := c.get("/admin/en/processings/" + proc)
	if pg.status != 200 || !strings.Contains(pg.body, `id="new-version"`) {
		t.Fatalf("processing page: %d", pg.status)
	}
	before := len(e.processing(t, proc).Versions)

	// Without the CSRF token, with a forged one, and cross-origin: refused.
	for _, f := range []url.Values{{"compatible": {"no"}}, {"compatible": {"no"}, "csrf": {"forged"}}} {
		if p := c.post("/admin/en/processings/"+proc+"/versions", f); p.status != 403 || !strings.Contains(p.body, "Nothing was changed") {
			t.Fatalf("POST without a valid token: %d", p.status)
		}
	}
	// No choice made: the error by the field, in the page's language.
	for lang, want := range map[string]string{"fi": "Valitse, pysyvätkö", "sv": "Välj om samtyckena", "en": "Choose whether consents"} {
		p := c.get("/admin/" + lang + "/processings/" + proc)
		bad := c.post("/admin/"+lang+"/processings/"+proc+"/versions", url.Values{"csrf": {p.csrf(t)}, "compatible": {"maybe"}})
		if bad.status != 400 || !strings.Contains(bad.body, `<p class="field-error" id="compatible-error">`+want) || !strings.Contains(bad.body, `aria-describedby="compatible-error"`) {
			t.Fatalf("%s: bad choice: %d %s", lang, bad.status, bad.body)
		}
	}
	if n := len(e.processing(t, proc).Versions); n != before {
		t.Fatalf("refused forms changed the versions: %d, want %d", n, before)
	}

	// A new, incompatible version; a notice with an empty title is refused
	// by the field; then saved; preview; publish.
	tok := pg.csrf(t)
	p := c.post("/admin/en/processings/"+proc+"/versions", url.Values{"csrf": {tok}, "compatible": {"no"}})
	if p.status != 200 || !strings.Contains(p.url, "done=version-created") || !strings.Contains(p.body, "residents are asked to renew") {
		t.Fatalf("create version: %d at %s", p.status, p.url)
	}
	v := before + 1
	vs := "/admin/en/processings/" + proc + "/versions/" + itoa(v)
	bad := c.post(vs+"/notices/sv", url.Values{"csrf": {tok}, "title": {" "}, "body": {"Ny text."}})
	if bad.status != 400 || !strings.Contains(bad.body, `id="title-sv-error">Fill in this field.`) || !strings.Contains(bad.body, "Ny text.") {
		t.Fatalf("empty title: %d", bad.status)
	}
	// An identity code in any form is refused by the field, in the page's
	// language, and nothing is saved.
	svNotice := func() string {
		for _, n := range e.processing(t, proc).Latest().Notices {
			if n.Language == "sv" {
				return n.Title + "\n" + n.Body
			}
		}
		return ""
	}
	notices := svNotice()
	for lang, want := range map[string]string{"fi": "Poista henkilötunnus", "sv": "Ta bort personbeteckningen", "en": "Remove the personal identity code"} {
		vl := "/admin/" + lang + "/processings/" + proc + "/versions/" + itoa(v)
		for _, code := range []string{"150385a9013", "1503859013", "１５０３８５‐９０１３", "1 5 0 3 8 5 – 9 0 1 3"} {
			bad := c.post(vl+"/notices/sv", url.Values{"csrf": {tok}, "title": {"Boktips v2"}, "body": {"Kontakt: " + code}})
			if bad.status != 400 || !strings.Contains(bad.body, `id="body-sv-error">`+want) {
				t.Fatalf("%s %q: got %d", lang, code, bad.status)
			}
		}
	}
	if got := svNotice(); got != notices {
		t.Fatalf("refused notices changed the notices: %s, want %s", got, notices)
	}
	// Line breaks as browsers send them are kept as "\n".
	if p := c.post(vs+"/notices/sv", url.Values{"csrf": {tok}, "title": {"Boktips v2"}, "body": {"Ny text.\r\nAndra raden."}}); p.status != 200 || !strings.Contains(p.url, "done=notice-saved") {
		t.Fatalf("save notice: %d at %s", p.status, p.url)
	}
	if got := svNotice(); got != "Boktips v2\nNy text.\nAndra raden." {
		t.Fatalf("saved the notice %q", got)
	}
	if p := c.get(vs + "/preview/sv"); p.status != 200 || !strings.Contains(p.body, `lang="sv"`) || !strings.Contains(p.body, "Boktips v2") {
		t.Fatalf("preview: %d", p.status)
	}
	if p := c.post(vs+"/publish", url.Values{"csrf": {tok}}); p.status != 200 || !strings.Contains(p.url, "done=published") {
		t.Fatalf("publish: %d at %s %.300s", p.status, p.url, p.body)
	}
	if got := e.processing(t, proc).Latest(); got.Version != v || got.Status != omadata.VersionPublished || got.Compatible {
		t.Fatalf("latest after publish: %+v", got)
	}

	// Every page answers in every language.
	for _, lang := range []string{"fi", "sv", "en"} {
		for _, path := range []string{"/", "/organisations", "/services", "/services/" + e.demo.TokenServiceID, "/data-groups", "/processings", "/processings/" + proc, "/deliveries", "/requests", "/log"} {
			if p := c.get("/admin/" + lang + path); p.status != 200 || !strings.Contains(p.body, `<html lang="`+lang+`">`) {
				t.Fatalf("%s%s: %d", lang, path, p.status)
			}
		}
	}

	// Logout ends the session in the store.
	home := c.get("/admin/en/")
	if p := c.post("/admin/en/logout", url.Values{"csrf": {home.csrf(t)}}); !strings.Contains(p.url, "done=logged-out") {
		t.Fatalf("logout: %s", p.url)
	}
	if p := c.get("/admin/en/services"); !strings.Contains(p.url, idpPath) {
		t.Fatalf("after logout /services is at %s", p.url)
	}
}

// TestAuditor: the data protection officer sees every page but no form,
// and every change is refused, changing nothing.
func TestAuditor(t *testing.T) {
	e := newEnv(t, time.Time{})
	proc := e.recommendations(t)
	c := e.client(t)
	if p := c.login("/admin/fi/login", "tiina"); p.status != 200 || !strings.Contains(p.body, "tarkastaja") {
		t.Fatalf("auditor login: %d", p.status)
	}
	for _, path := range []string{"/services", "/services/" + e.demo.IDs["service/helsinki-residents"], "/processings/" + proc, "/deliveries"} {
		p := c.get("/admin/fi" + path)
		if p.status != 200 || strings.Count(p.body, `method="post"`) != 1 { // only logout
			t.Fatalf("%s: %d with %d forms", path, p.status, strings.Count(p.body, `method="post"`))
		}
	}
	tok := c.get("/admin/fi/").csrf(t)
	svc := e.demo.TokenServiceID
	before := len(e.processing(t, proc).Versions)
	for _, f := range []struct {
		path string
		form url.Values
	}{
		{"/processings/" + proc + "/versions", url.Values{"compatible": {"no"}}},
		{"/services/" + svc + "/status", url.Values{"status": {"suspended"}}},
	} {
		f.form.Set("csrf", tok)
		if p := c.post("/admin/fi"+f.path, f.form); p.status != 403 || !strings.Contains(p.body, "Tarkastajana et voi") {
			t.Fatalf("auditor POST %s: %d", f.path, p.status)
		}
	}
	if n := len(e.processing(t, proc).Versions); n != before {
		t.Fatal("an auditor's POST changed the processing")
	}
	if s, err := e.store.FindServiceByID(adminCtx(), svc); err != nil || s.Status != omadata.ServiceApproved {
		t.Fatalf("an auditor's POST changed the service: %v %v", s, err)
	}
}

const idpPath = "/demo-idp/authorize"

func itoa(n int) string { return strconv.Itoa(n) }

// regexpFind returns the first group of pattern's first match in s, or "".
func regexpFind(s, pattern string) string {
	m := regexp.MustCompile(pattern).FindStringSubmatch(s)
	if m == nil {
		return ""
	}
	return m[1]
}
