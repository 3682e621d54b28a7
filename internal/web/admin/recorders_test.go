// SPDX-License-Identifier: Apache-2.0

package admin_test

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
)

// TestRecorderDesignation: a source's page shows which kinds of
// representation the operator designated it to record; an operator admin
// changes them with a form; the store's refusal shows by the field in the
// page's language and changes nothing; a non-source shows nothing; auditors
// and the service's organisation admin see the designation without a form,
// and their POSTs are refused with nothing changed.
func TestRecorderDesignation(t *testing.T) {
	e := newEnv(t, time.Time{})
	registry, sink := e.demo.IDs["service/helsinki-residents"], e.demo.TokenServiceID
	if registry == "" {
		t.Fatalf("demo IDs: %v", e.demo.IDs)
	}
	kinds := func() []string {
		t.Helper()
		rec, err := e.store.FindRepresentationRecorder(adminCtx(), registry)
		if err != nil {
			t.Fatal(err)
		}
		return rec.Kinds
	}
	if got := kinds(); !slices.Equal(got, []string{omadata.RepGuardian}) {
		t.Fatalf("the demo designates %v, want [guardian]", got)
	}
	const (
		form     = `action="/admin/%s/services/%s/representation-kinds"`
		guardian = `id="kind-guardian" name="kinds" value="guardian" checked aria-describedby="kinds-hint">`
		mandate  = `id="kind-mandate" name="kinds" value="mandate" aria-describedby="kinds-hint">`
	)

	c := e.client(t)
	tok := c.login("/admin/en/login", "olli").csrf(t)
	for lang, want := range map[string]string{"fi": "Saa kirjata: huoltajuudet.", "sv": "Får registrera: vårdnad.", "en": "May record: guardianships."} {
		p := c.get("/admin/" + lang + "/services/" + registry)
		for _, s := range []string{want, fmt.Sprintf(form, lang, registry), guardian, mandate} {
			if p.status != 200 || !strings.Contains(p.body, s) {
				t.Fatalf("%s: the registry's page: %d, want %q in %s", lang, p.status, s, p.body)
			}
		}
	}
	// A sink records nothing, and its page says nothing about it.
	if p := c.get("/admin/en/services/" + sink); p.status != 200 || strings.Contains(p.body, "representation-kinds") || strings.Contains(p.body, "May record") {
		t.Fatalf("a sink's page shows the designation: %d", p.status)
	}

	// The store refuses a kind it does not know, and a sink: the error by
	// the field in the page's language, nothing changed.
	for lang, want := range map[string]string{
		"fi": "Vain lähteen voi nimetä", "sv": "Bara en källa kan utses", "en": "Only a source can be designated",
	} {
		bad := c.post("/admin/"+lang+"/services/"+registry+"/representation-kinds", url.Values{"csrf": {tok}, "kinds": {"guardian", "friend"}})
		for _, s := range []string{`<p class="field-error" id="kinds-error">` + want, `value="guardian" checked aria-describedby="kinds-error kinds-hint" aria-invalid="true"`} {
			if bad.status != 400 || !strings.Contains(bad.body, s) {
				t.Fatalf("%s: unknown kind: %d, want %q in %s", lang, bad.status, s, bad.body)
			}
		}
	}
	bad := c.post("/admin/en/services/"+sink+"/representation-kinds", url.Values{"csrf": {tok}, "kinds": {"guardian"}})
	if bad.status != 400 || !strings.Contains(bad.body, `id="kinds-error">Only a source can be designated`) {
		t.Fatalf("a sink designated: %d %s", bad.status, bad.body)
	}
	if got := kinds(); !slices.Equal(got, []string{omadata.RepGuardian}) {
		t.Fatalf("refused forms changed the designation to %v", got)
	}
	if rec, err := e.store.FindRepresentationRecorder(adminCtx(), sink); err != nil || len(rec.Kinds) != 0 {
		t.Fatalf("the sink's designation: %v %v", rec, err)
	}
	// Without the form token: refused.
	if p := c.post("/admin/en/services/"+registry+"/representation-kinds", url.Values{"kinds": {"mandate"}}); p.status != 403 {
		t.Fatalf("without a token: %d", p.status)
	}

	// Both kinds; then none, which ends the designation.
	p := c.post("/admin/fi/services/"+registry+"/representation-kinds", url.Values{"csrf": {tok}, "kinds": {"guardian", "mandate"}})
	if !strings.Contains(p.url, "done=representation-kinds-saved") || !strings.Contains(p.body, "Saa kirjata: huoltajuudet, valtuutukset.") {
		t.Fatalf("designate both: %d at %s", p.status, p.url)
	}
	if got := kinds(); !slices.Equal(got, []string{omadata.RepGuardian, omadata.RepMandate}) {
		t.Fatalf("designation %v, want [guardian mandate]", got)
	}
	p = c.post("/admin/sv/services/"+registry+"/representation-kinds", url.Values{"csrf": {tok}})
	if !strings.Contains(p.url, "done=representation-kinds-saved") || !strings.Contains(p.body, "Får inte registrera vårdnad eller fullmakter.") {
		t.Fatalf("designate none: %d at %s", p.status, p.url)
	}
	if got := kinds(); len(got) != 0 {
		t.Fatalf("designation %v, want none", got)
	}
	if _, err := e.store.SetRepresentationRecorder(adminCtx(), registry, []string{omadata.RepGuardian}); err != nil {
		t.Fatal(err)
	}

	// The auditor and the city's organisation admin: the designation, no
	// form; their POSTs are refused before the store is asked.
	for _, who := range []struct{ person, refusal string }{
		{"tiina", "As an auditor you cannot change this; you only approve processings."},
		{"helmi", "You may not do this."},
	} {
		r := e.client(t)
		rtok := r.login("/admin/en/login", who.person).csrf(t)
		p := r.get("/admin/en/services/" + registry)
		if p.status != 200 || !strings.Contains(p.body, "May record: guardianships.") || strings.Contains(p.body, "representation-kinds") || strings.Contains(p.body, `name="kinds"`) {
			t.Fatalf("%s: the registry's page: %d %s", who.person, p.status, p.body)
		}
		if p := r.post("/admin/en/services/"+registry+"/representation-kinds", url.Values{"csrf": {rtok}, "kinds": {"guardian", "mandate"}}); p.status != 403 || !strings.Contains(p.body, who.refusal) {
			t.Fatalf("%s: POST: %d", who.person, p.status)
		}
		if got := kinds(); !slices.Equal(got, []string{omadata.RepGuardian}) {
			t.Fatalf("%s's refused POST changed the designation to %v", who.person, got)
		}
	}
}
