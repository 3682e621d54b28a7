// SPDX-License-Identifier: Apache-2.0

package portal_test

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestSuspendResume: a consent given with a chosen last day shows that
// day; the resident suspends and resumes it from its page (the decision
// follows), and once withdrawn it no longer shows a "valid until".
func TestSuspendResume(t *testing.T) {
	now := time.Date(2026, 3, 5, 10, 0, 0, 0, time.UTC)
	e := newEnv(t, now)
	c := e.client(t)
	c.login("en", "aino")
	aino := e.resident(t, ainoCode)
	proc := e.recommendations(t)
	n := c.get("/en/processings/" + proc)
	p := c.post("/en/processings/"+proc+"/give", url.Values{"csrf": {n.csrf(t)}, "version": {hiddenValue(t, n, "version")},
		"notice_sha256": {hiddenValue(t, n, "notice_sha256")}, "valid_until": {"2027-01-31"}})
	if p.status != 200 || !strings.Contains(p.body, `id="done" tabindex="-1" autofocus`) {
		t.Fatalf("give: got %d, want the consent with the focused confirmation", p.status)
	}
	if !strings.Contains(p.body, `<dd id="consent-until">31 January 2027</dd>`) {
		t.Fatalf("the consent does not show the last day chosen: %s", between(p.body, `<dl class="facts">`, `</dl>`))
	}
	if cs := c.get("/en/consents"); !strings.Contains(cs.body, "<td>31 January 2027</td>") {
		t.Fatal("the consents list does not show the last day chosen")
	}
	id := e.consents(t, aino.ID)[0].ID
	if d := e.decide(t, aino.ID); d != "permit" {
		t.Fatalf("decision after giving: %s", d)
	}

	p = c.post("/en/consents/"+id+"/suspend", url.Values{"csrf": {p.csrf(t)}})
	if p.status != 200 || !strings.HasSuffix(p.url, "?done=suspended") || !strings.Contains(p.body, `id="resume"`) || strings.Contains(p.body, `id="suspend"`) {
		t.Fatalf("suspend: got %d at %s, want the consent offering resume", p.status, p.url)
	}
	if got := e.consents(t, aino.ID)[0].Status; got != "suspended" {
		t.Fatalf("status after suspend: %s", got)
	}
	if d := e.decide(t, aino.ID); d != "deny" {
		t.Fatalf("decision while suspended: %s, want deny", d)
	}
	p = c.post("/en/consents/"+id+"/resume", url.Values{"csrf": {p.csrf(t)}})
	if p.status != 200 || !strings.HasSuffix(p.url, "?done=resumed") || !strings.Contains(p.body, `id="suspend"`) {
		t.Fatalf("resume: got %d at %s", p.status, p.url)
	}
	if d := e.decide(t, aino.ID); d != "permit" {
		t.Fatalf("decision after resume: %s, want permit", d)
	}
	// Resuming what is in force is a conflict and changes nothing.
	if r := c.post("/en/consents/"+id+"/resume", url.Values{"csrf": {p.csrf(t)}}); r.status != 409 {
		t.Fatalf("resume of a given consent: got %d, want 409", r.status)
	}

	p = c.post("/en/consents/"+id+"/withdraw", url.Values{"csrf": {p.csrf(t)}})
	if p.status != 200 || strings.Contains(p.body, "Valid until") || strings.Contains(p.body, `id="suspend"`) || strings.Contains(p.body, `id="resume"`) {
		t.Fatalf("a withdrawn consent still shows its window or the buttons: %s", between(p.body, `<dl class="facts">`, `</dl>`))
	}
	if cs := c.get("/en/consents"); strings.Contains(cs.body, "31 January 2027") {
		t.Fatal("the consents list still shows a withdrawn consent's end")
	}
	// Another resident cannot suspend it.
	m := e.client(t)
	m.login("en", "matti")
	mp := m.get("/en/consents")
	if r := m.post("/en/consents/"+id+"/suspend", url.Values{"csrf": {mp.csrf(t)}}); r.status != 404 {
		t.Fatalf("another resident's suspend: got %d, want 404", r.status)
	}
}
