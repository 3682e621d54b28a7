// SPDX-License-Identifier: Apache-2.0

package admin_test

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestFormTooLarge: a console form over the body limit is answered 413
// with a page that says so in the page's language, not as an expired
// form, and changes nothing.
func TestFormTooLarge(t *testing.T) {
	e := newEnv(t, time.Time{})
	proc := e.recommendations(t)
	c := e.client(t)
	c.login("/admin/en/login", "olli")
	before := len(e.processing(t, proc).Versions)
	for lang, want := range map[string]string{
		"fi": "Lomake oli liian suuri",
		"sv": "Formuläret var för stort",
		"en": "The form was too large",
	} {
		tok := c.get("/admin/" + lang + "/processings/" + proc).csrf(t)
		p := c.post("/admin/"+lang+"/processings/"+proc+"/versions", url.Values{
			"csrf": {tok}, "compatible": {"no"}, "padding": {strings.Repeat("x", 1<<20)}})
		if p.status != 413 || !strings.Contains(p.body, want) || !strings.Contains(p.body, `<html lang="`+lang+`">`) {
			t.Errorf("%s: got %d %.300s, want 413 saying %q", lang, p.status, p.body, want)
		}
		if strings.Contains(p.body, "expired") || strings.Contains(p.body, "vanheni") {
			t.Errorf("%s: the page says the form expired", lang)
		}
	}
	if n := len(e.processing(t, proc).Versions); n != before {
		t.Fatalf("a refused form changed the versions: %d, want %d", n, before)
	}
}
