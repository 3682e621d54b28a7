// SPDX-License-Identifier: Apache-2.0

package portal_test

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestFormTooLarge: a portal form over the body limit is answered 413 with
// a page that says so in the page's language, not that its check token was
// out of date, and gives no consent.
func TestFormTooLarge(t *testing.T) {
	e := newEnv(t, time.Time{})
	c := e.client(t)
	c.login("en", "aino")
	aino := e.resident(t, ainoCode)
	proc := e.recommendations(t)
	for lang, want := range map[string]string{
		"fi": "Lomake oli liian suuri",
		"sv": "Formuläret var för stort",
		"en": "The form was too large",
	} {
		n := c.get("/" + lang + "/processings/" + proc)
		p := c.post("/"+lang+"/processings/"+proc+"/give", url.Values{"csrf": {n.csrf(t)},
			"version": {hiddenValue(t, n, "version")}, "notice_sha256": {hiddenValue(t, n, "notice_sha256")},
			"padding": {strings.Repeat("x", 1<<20)}})
		if p.status != 413 || !strings.Contains(p.body, want) || !strings.Contains(p.body, `<html lang="`+lang+`">`) {
			t.Errorf("%s: got %d %.300s, want 413 saying %q", lang, p.status, p.body, want)
		}
	}
	if n := len(e.consents(t, aino.ID)); n != 0 {
		t.Fatalf("got %d consents after refused forms, want 0", n)
	}
}
