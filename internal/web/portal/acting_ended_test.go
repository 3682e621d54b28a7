// SPDX-License-Identifier: Apache-2.0

package portal_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store/storetest"
)

// dump returns every row of every table in a stable order, read on a
// second connection, so that a test can show that a refused form changed
// nothing for anyone.
func (e *env) dump(t *testing.T) string {
	t.Helper()
	return storetest.Dump(t, e.store)
}

// actingCookie returns the client's acting-for cookie, or nil.
func (c *client) actingCookie() *http.Cookie {
	u, _ := url.Parse(c.e.url + "/")
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == "omadata_acting" {
			return &http.Cookie{Name: ck.Name, Value: ck.Value, Path: "/"}
		}
	}
	return nil
}

// restore puts a saved cookie back, as an old tab that still has it.
func (c *client) restore(ck *http.Cookie) {
	u, _ := url.Parse(c.e.url + "/")
	c.http.Jar.SetCookies(u, []*http.Cookie{ck})
}

// refusedForLapsed checks that the page is the refusal in lang, without
// the acting-for banner, and that the acting-for cookie was cleared.
func refusedForLapsed(t *testing.T, c *client, p page, lang, what string) {
	t.Helper()
	want := map[string]string{
		"en": "You no longer act for this person",
		"fi": "Et enää asioi tämän henkilön puolesta",
		"sv": "Du företräder inte längre denna person",
	}[lang]
	if p.status != 403 || !strings.Contains(p.body, want) || !strings.Contains(p.body, `<html lang="`+lang+`">`) {
		t.Errorf("%s: got %d, want 403 saying %q in %s: %.400s", what, p.status, want, lang, between(p.body, "<main", "</main>"))
	}
	if strings.Contains(p.body, "You are acting for") || strings.Contains(p.body, "Asioit henkilön") {
		t.Errorf("%s: the refusal still shows the acting-for banner", what)
	}
	if c.actingCookie() != nil {
		t.Errorf("%s: the acting-for cookie was not cleared", what)
	}
}

// TestActingForEnded: the guardianship ends after Matti chose to act for
// Emma and opened the forms. Every form sent from the old pages (erasure,
// refusal of consent, requests) is refused with a page saying he no longer
// acts for her, nothing changes for anyone (the database's rows compared),
// and the choice is cleared. A page read is refused the same way once,
// then the pages are visibly about Matti.
func TestActingForEnded(t *testing.T) {
	e := newEnv(t, time.Time{})
	c := e.client(t)
	c.login("en", "matti")
	emma := e.resident(t, "100514A9037")
	matti := e.resident(t, mattiCode)
	p := c.get("/en/acting-for")
	p = c.post("/en/acting-for", url.Values{"csrf": {p.csrf(t)}, "principal": {emma.ID}})
	if !strings.Contains(p.body, "You are acting for Emma Korhonen.") {
		t.Fatalf("no acting banner on %s", p.url)
	}
	saved := c.actingCookie()
	if saved == nil {
		t.Fatal("no acting-for cookie")
	}
	er := c.get("/en/requests/erasure")
	if !strings.Contains(er.body, "Emma Korhonen") || !strings.Contains(er.body, `id="erase"`) {
		t.Fatalf("the erasure page does not offer to erase Emma: %d", er.status)
	}
	proc := e.recommendations(t)
	n := c.get("/en/processings/" + proc)
	token := er.csrf(t)

	admin := omadata.NewContextWithCaller(context.Background(), omadata.Caller{Kind: omadata.CallerAdmin})
	reps, err := e.store.FindRepresentations(admin, emma.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reps {
		if r.RepresentativeID == matti.ID && r.EndedAt == nil {
			if _, err := e.store.EndRepresentation(admin, r.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	before := e.dump(t)

	forms := []struct {
		what, lang, path string
		form             url.Values
	}{
		{"erasure", "en", "/en/requests/erasure", url.Values{"confirm": {"yes"}}},
		{"refusal", "fi", "/fi/processings/" + proc + "/refuse", url.Values{"version": {hiddenValue(t, n, "version")}, "notice_sha256": {hiddenValue(t, n, "notice_sha256")}}},
		{"consent", "en", "/en/processings/" + proc + "/give", url.Values{"version": {hiddenValue(t, n, "version")}, "notice_sha256": {hiddenValue(t, n, "notice_sha256")}}},
		{"access request", "sv", "/sv/requests", url.Values{"form": {"access"}}},
		{"restriction", "en", "/en/requests", url.Values{"form": {"block"}, "kind": {"restriction"}, "processing_id": {e.nonConsent(t)}, "details": {"Stop it."}}},
	}
	for _, f := range forms {
		c.restore(saved)
		f.form.Set("csrf", token)
		refusedForLapsed(t, c, c.post(f.path, f.form), f.lang, f.what)
		if after := e.dump(t); after != before {
			t.Fatalf("%s: a refused form changed the database", f.what)
		}
	}
	for _, id := range []string{matti.ID, emma.ID} {
		if got := e.requests(t, id); len(got) != 0 {
			t.Errorf("%s has %d requests, want 0", id, len(got))
		}
	}

	// A page read with the old choice: refused once, then about Matti.
	c.restore(saved)
	refusedForLapsed(t, c, c.get("/en/consents"), "en", "consents page")
	if p := c.get("/en/consents"); p.status != 200 || strings.Contains(p.body, "You are acting for") || !strings.Contains(p.body, "Signed in as Matti") {
		t.Fatalf("after the refusal: got %d, want Matti's own consents page", p.status)
	}
	// Signing out still works with the old choice.
	c.restore(saved)
	p = c.get("/en/my-data")
	c.restore(saved)
	if p := c.post("/en/logout", url.Values{"csrf": {token}}); p.status != 200 || strings.Contains(p.body, "Signed in as") {
		t.Fatalf("logout with a lapsed choice: got %d", p.status)
	}
}

// TestActingForMandateExpired: Matti holds Sanna's mandate for every
// purpose until a moment that passes while he has her pages open. His
// refusal of consent and his request are refused, nothing changes, and
// the choice is cleared.
func TestActingForMandateExpired(t *testing.T) {
	now := time.Date(2026, 3, 5, 10, 0, 0, 0, time.UTC)
	e := newEnv(t, now)
	admin := omadata.NewContextWithCaller(context.Background(), omadata.Caller{Kind: omadata.CallerAdmin})
	until := now.Add(time.Hour)
	if _, err := e.store.CreateRepresentation(admin, &omadata.RepresentationInput{Kind: omadata.RepMandate,
		RepresentativeIdentityCode: mattiCode, PrincipalIdentityCode: sannaCode,
		RepresentationScope: omadata.RepresentationScope{AllPurposes: true}, Basis: "Mandate code 123", ValidUntil: &until}); err != nil {
		t.Fatal(err)
	}
	c := e.client(t)
	c.login("en", "matti")
	sanna := e.resident(t, sannaCode)
	p := c.get("/en/acting-for")
	p = c.post("/en/acting-for", url.Values{"csrf": {p.csrf(t)}, "principal": {sanna.ID}})
	if !strings.Contains(p.body, "You are acting for Sanna Mäkinen.") {
		t.Fatalf("no acting banner on %s", p.url)
	}
	saved := c.actingCookie()
	proc := e.recommendations(t)
	n := c.get("/en/processings/" + proc)
	token := n.csrf(t)

	e.setNow(until)
	before := e.dump(t)
	refusedForLapsed(t, c, c.post("/en/processings/"+proc+"/refuse", url.Values{"csrf": {token},
		"version": {hiddenValue(t, n, "version")}, "notice_sha256": {hiddenValue(t, n, "notice_sha256")}}), "en", "refusal")
	c.restore(saved)
	refusedForLapsed(t, c, c.post("/en/requests", url.Values{"csrf": {token}, "form": {"access"}}), "en", "access request")
	c.restore(saved)
	refusedForLapsed(t, c, c.post("/en/requests/erasure", url.Values{"csrf": {token}, "confirm": {"yes"}}), "en", "erasure")
	if after := e.dump(t); after != before {
		t.Fatal("a refused form changed the database")
	}
	if got := e.consents(t, e.resident(t, mattiCode).ID); len(got) != 0 {
		t.Fatalf("Matti got %d consents, want 0", len(got))
	}
}

// TestActingForWardTurns18: Emma, born 10 May 2014, turns 18 at midnight
// in Helsinki, 21:00 UTC on 9 May 2032 (summer time). A minute before,
// Matti acts for her; at 21:00 UTC his next form is refused and she is no
// longer among whom he may act for.
func TestActingForWardTurns18(t *testing.T) {
	e := newEnv(t, time.Date(2032, 5, 9, 20, 59, 0, 0, time.UTC))
	c := e.client(t)
	c.login("en", "matti")
	emma := e.resident(t, "100514A9037")
	p := c.get("/en/acting-for")
	p = c.post("/en/acting-for", url.Values{"csrf": {p.csrf(t)}, "principal": {emma.ID}})
	if !strings.Contains(p.body, "You are acting for Emma Korhonen.") {
		t.Fatalf("no acting banner at 20:59 UTC on %s", p.url)
	}
	token := p.csrf(t)
	e.setNow(time.Date(2032, 5, 9, 21, 0, 0, 0, time.UTC))
	before := e.dump(t)
	refusedForLapsed(t, c, c.post("/en/requests", url.Values{"csrf": {token}, "form": {"access"}}), "en", "access request")
	if after := e.dump(t); after != before {
		t.Fatal("a refused form changed the database")
	}
	if p := c.get("/en/acting-for"); strings.Contains(p.body, "Act for Emma Korhonen") || !strings.Contains(p.body, "Act for Leo Korhonen") {
		t.Fatal("Emma, 18 in Finland, is still offered to act for (or Leo is not)")
	}
}
