// SPDX-License-Identifier: Apache-2.0

package portal_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
)

const sannaCode = "021290-905C"

// activeMandates lists the mandates a resident gave that have not ended.
func (e *env) activeMandates(t *testing.T, principalID string) []*omadata.Representation {
	t.Helper()
	all, err := e.store.FindRepresentations(omadata.NewContextWithCaller(context.Background(), omadata.Caller{Kind: omadata.CallerAdmin}), principalID)
	if err != nil {
		t.Fatal(err)
	}
	var out []*omadata.Representation
	for _, r := range all {
		if r.PrincipalID == principalID && r.EndedAt == nil {
			out = append(out, r)
		}
	}
	return out
}

// TestGiveMandate: a resident gives a mandate in the portal. A form with
// every field wrong is refused in one round, each error linked from the
// summary at the top, and nothing is stored; then the mandate is given,
// listed with its scope in words and the last day chosen, its holder may
// act under it, and the resident ends it.
func TestGiveMandate(t *testing.T) {
	now := time.Date(2026, 3, 5, 10, 0, 0, 0, time.UTC)
	e := newEnv(t, now)
	c := e.client(t)
	c.login("en", "sanna")
	sanna := e.resident(t, sannaCode)
	before := len(e.activeMandates(t, sanna.ID))
	p := c.get("/en/acting-for")
	bad := url.Values{"csrf": {p.csrf(t)}, "representative": {"150385-9014"}, "reach": {"some"}, "valid_until": {"31.2.2026"}}
	p = c.post("/en/acting-for/mandates", bad)
	if p.status != 400 {
		t.Fatalf("bad mandate form: got %d, want 400", p.status)
	}
	summary := between(p.body, `<div class="error-summary"`, `</div>`)
	for _, want := range []string{`href="#representative">Check the identity code`, `href="#scope">Choose at least one purpose.`, `href="#valid_until">Give the date as dd.mm.yyyy.`} {
		if !strings.Contains(summary, want) {
			t.Errorf("the error summary lacks %q:\n%s", want, summary)
		}
	}
	for _, id := range []string{`id="representative"`, `id="scope"`, `id="valid_until"`} {
		if !strings.Contains(p.body, id) {
			t.Errorf("the summary links to %s, which is not on the page", id)
		}
	}
	if !strings.Contains(p.body, `value="150385-9014"`) || !strings.Contains(p.body, `aria-invalid="true"`) {
		t.Error("the form does not keep what was typed or mark the fields")
	}
	if got := len(e.activeMandates(t, sanna.ID)); got != before {
		t.Fatalf("a refused form stored a mandate: %d, want %d", got, before)
	}

	for name, bc := range map[string]struct {
		form  url.Values
		field string
		want  string
	}{
		"self":            {url.Values{"representative": {sannaCode}, "reach": {"all"}}, "representative", "You cannot give yourself a mandate."},
		"child":           {url.Values{"representative": {"100514A9037"}, "reach": {"all"}}, "representative", "The person you authorise must be an adult."},
		"no reach":        {url.Values{"representative": {ainoCode}}, "reach", "Choose whether the mandate covers every purpose"},
		"unknown purpose": {url.Values{"representative": {ainoCode}, "reach": {"some"}, "scope": {"astrology"}}, "scope", "Choose at least one purpose."},
		"past start":      {url.Values{"representative": {ainoCode}, "reach": {"all"}, "valid_from": {"2026-03-04"}}, "valid_from", "The first day cannot be in the past."},
		"end before start": {url.Values{"representative": {ainoCode}, "reach": {"all"}, "valid_from": {"2026-04-10"}, "valid_until": {"2026-04-01"}},
			"valid_until", "The last day must be today or later"},
	} {
		bc.form.Set("csrf", p.csrf(t))
		r := c.post("/en/acting-for/mandates", bc.form)
		if r.status != 400 || !strings.Contains(r.body, `<p class="field-error" id="`+bc.field+`-error">`+bc.want) {
			t.Errorf("%s: got %d, want 400 with %q by %s: %s", name, r.status, bc.want, bc.field, between(r.body, `<div class="error-summary"`, `</div>`))
		}
	}
	if got := len(e.activeMandates(t, sanna.ID)); got != before {
		t.Fatalf("refused forms stored a mandate: %d, want %d", got, before)
	}

	good := url.Values{"csrf": {p.csrf(t)}, "representative": {ainoCode}, "reach": {"some"}, "scope": {"research"}, "valid_until": {"2026-06-30"}}
	p = c.post("/en/acting-for/mandates", good)
	if p.status != 200 || !strings.HasSuffix(p.url, "/en/acting-for?done=mandate-given") || !strings.Contains(p.body, `id="done" tabindex="-1" autofocus`) {
		t.Fatalf("give: got %d at %s, want the acting-for page with the focused confirmation", p.status, p.url)
	}
	granted := between(p.body, `id="granted"`, `id="give-mandate"`)
	if !strings.Contains(granted, "Aino Virtanen") || !strings.Contains(granted, "Mandate: Research use") || !strings.Contains(granted, "Valid until 30 June 2026.") {
		t.Fatalf("the mandate given is not listed by name, scope in words and the last day chosen:\n%s", granted)
	}
	ms := e.activeMandates(t, sanna.ID)
	if len(ms) != before+1 {
		t.Fatalf("got %d mandates, want %d", len(ms), before+1)
	}
	var m *omadata.Representation
	for _, x := range ms {
		if x.AllPurposes || len(x.Purposes) == 1 && x.Purposes[0] == "research" {
			m = x
		}
	}
	if m == nil || m.ValidUntil == nil || !m.ValidUntil.Equal(time.Date(2026, 6, 30, 21, 0, 0, 0, time.UTC)) {
		t.Fatalf("got %+v, want a research mandate through 30 June 2026 (Finnish time)", m)
	}

	// The holder sees it among whom she may act for, in words.
	a := e.client(t)
	a.login("en", "aino")
	if ap := a.get("/en/acting-for"); !strings.Contains(ap.body, "Mandate: Statutory service provision; Mandate: Research use") ||
		strings.Count(ap.body, "Act for Sanna Mäkinen") != 1 {
		t.Error("the holder's acting-for page does not show Sanna once with both mandates' purposes")
	}

	p = c.post("/en/acting-for/mandates/"+m.ID+"/end", url.Values{"csrf": {p.csrf(t)}})
	if p.status != 200 || !strings.HasSuffix(p.url, "done=mandate-ended") || strings.Contains(between(p.body, `id="granted"`, `id="give-mandate"`), "Research use") {
		t.Fatalf("end: got %d at %s, want the mandate gone", p.status, p.url)
	}
	if got := len(e.activeMandates(t, sanna.ID)); got != before {
		t.Fatalf("after ending: %d mandates, want %d", got, before)
	}
	// Another resident's mandate is not found.
	demo := e.activeMandates(t, sanna.ID)
	m2 := e.client(t)
	m2.login("en", "matti")
	mp := m2.get("/en/acting-for")
	if r := m2.post("/en/acting-for/mandates/"+demo[0].ID+"/end", url.Values{"csrf": {mp.csrf(t)}}); r.status != 404 {
		t.Fatalf("ending another resident's mandate: got %d, want 404", r.status)
	}
}
