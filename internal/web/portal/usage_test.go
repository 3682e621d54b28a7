// SPDX-License-Identifier: Apache-2.0

package portal_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

var proofLinkRE = regexp.MustCompile(`href="(/[a-z]{2}/usage/proof\?index=[0-9]+)"`)

// give gives the signed-in client's consent to the recommendations
// processing through the notice form.
func (c *client) give(lang, proc string) page {
	c.t.Helper()
	n := c.get("/" + lang + "/processings/" + proc)
	p := c.post("/"+lang+"/processings/"+proc+"/give", url.Values{"csrf": {n.csrf(c.t)}, "version": {hiddenValue(c.t, n, "version")}, "notice_sha256": {hiddenValue(c.t, n, "notice_sha256")}})
	if p.status != 200 {
		c.t.Fatalf("give: %d", p.status)
	}
	return p
}

// integrate puts the appended leaves into the tree and signs a checkpoint,
// as serve's checkpointer does every half second.
func (e *env) integrate(t *testing.T) {
	t.Helper()
	if _, err := e.store.IntegrateLog(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestUsage shows a permit on "Who used my data", first waiting for its
// checkpoint, then with a proof the page checks.
func TestUsage(t *testing.T) {
	e := newEnv(t, time.Time{})
	c := e.client(t)
	c.login("en", "matti")
	if p := c.get("/en/usage"); p.status != 200 || !strings.Contains(p.body, "Your data has not been used") {
		t.Fatalf("empty usage: %d", p.status)
	}
	c.give("en", e.recommendations(t))
	matti := e.resident(t, mattiCode)
	if d := e.decide(t, matti.ID); d != "permit" {
		t.Fatalf("decision: %s", d)
	}
	p := c.get("/en/usage")
	if !strings.Contains(p.body, "<h2>Decision (permitted): ") {
		t.Fatalf("no permit on the page: %s", between(p.body, "<main", "</main>"))
	}
	if !strings.Contains(p.body, "waiting for the next signed checkpoint") || proofLinkRE.MatchString(p.body) {
		t.Fatalf("an entry before its checkpoint should wait: %s", between(p.body, "<main", "</main>"))
	}
	if !strings.Contains(p.body, "your consent</a>") {
		t.Fatalf("the ground is not the consent: %s", between(p.body, "<main", "</main>"))
	}
	e.integrate(t)
	for lang, want := range map[string]string{"en": "The proof checks out", "fi": "Todiste on kunnossa", "sv": "Beviset stämmer"} {
		p := c.get("/" + lang + "/usage")
		m := proofLinkRE.FindStringSubmatch(p.body)
		if p.status != 200 || m == nil {
			t.Fatalf("%s: no proof link (%d): %s", lang, p.status, between(p.body, "<main", "</main>"))
		}
		if !strings.Contains(p.body, `<html lang="`+lang+`">`) {
			t.Fatalf("%s: wrong lang attribute", lang)
		}
		pr := c.get(m[1])
		if pr.status != 200 || !strings.Contains(pr.body, want) {
			t.Fatalf("%s: proof page %d: %s", lang, pr.status, between(pr.body, "<main", "</main>"))
		}
		for _, s := range []string{`"kind":"decision.permit"`, "/api/v1/public/log/proofs/inclusion?index=", "/api/v1/public/log/checkpoint", "— "} {
			if !strings.Contains(htmlUnescape(pr.body), s) {
				t.Fatalf("%s: proof page lacks %q", lang, s)
			}
		}
	}
	for _, bad := range []string{"x", "-1", "999999"} {
		if p := c.get("/en/usage/proof?index=" + bad); p.status != 404 {
			t.Fatalf("index %s: got %d, want 404", bad, p.status)
		}
	}
	if p := c.get("/en/usage?before=x"); p.status != 404 {
		t.Fatalf("bad cursor: got %d", p.status)
	}
	// Signed out, the page asks for a login.
	if p := e.client(t).get("/en/usage"); !strings.Contains(p.url, "/demo-idp/authorize") {
		t.Fatalf("signed out: landed on %s", p.url)
	}
}
