// SPDX-License-Identifier: Apache-2.0

package admin_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store/storetest"
	"github.com/omadata/omadata/internal/web/webui"
)

// TestOverview: the front page draws today's decisions, consents and
// requests from the store's Overview as SVG images with a title and a
// description, and the same numbers in a table, in every language; it
// gives the log's size and the webhook backlog. An organisation admin,
// who does not oversee the operator, gets none of it.
func TestOverview(t *testing.T) {
	e := newEnv(t, time.Time{})
	proc := e.recommendations(t)
	c := e.giveConsent(t, proc)
	matti, err := e.store.FindResidentByIdentityCode(adminCtx(), mattiCode)
	if err != nil {
		t.Fatal(err)
	}
	sink := storetest.As(e.demo.TokenServiceID)
	psn, err := e.store.Pseudonym(adminCtx(), e.demo.TokenServiceID, matti.ID)
	if err != nil {
		t.Fatal(err)
	}
	v := e.processing(t, proc).Current()
	q := &omadata.DecisionInput{SourceID: e.demo.IDs["service/helmet"], Pseudonym: psn, DataGroupIDs: []string{e.demo.IDs["data-group/library-loans"]}, PurposeID: v.PurposeID}
	decide := func(want string) {
		t.Helper()
		if d, err := e.store.Decide(sink, q); err != nil || d.Decision != want {
			t.Fatalf("decision: %+v, %v; want %s", d, err, want)
		}
	}
	decide("permit")
	decide("permit")
	if _, err := e.store.ChangeConsent(storetest.AsResident(matti.ID), c.ID, omadata.ConsentWithdrawn, ""); err != nil {
		t.Fatal(err)
	}
	decide("deny")
	x, err := e.store.FindRequestByID(adminCtx(), e.objection(t)) // due a month from today
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.IntegrateLog(adminCtx()); err != nil {
		t.Fatal(err)
	}

	today := time.Now().In(webui.Zone)
	due := x.DueAt
	o := e.client(t)
	o.login("/admin/en/login", "olli")
	for lang, want := range map[string][]string{
		"fi": {`<desc id="chart-decisions-desc">Pylväskaavio päivittäin ` + webui.FormatDate("fi", today.AddDate(0, 0, -29)) + `–` + webui.FormatDate("fi", today) + `. Yhteensä: Sallittu 2, Evätty 1.</desc>`,
			`<desc id="chart-consents-desc">Pylväskaavio päivittäin ` + webui.FormatDate("fi", today.AddDate(0, 0, -29)) + `–` + webui.FormatDate("fi", today) + `. Yhteensä: Annettu 1, Peruutettu 1.</desc>`,
			`<tr><th scope="row">` + webui.FormatDate("fi", today) + `</th><td>2</td><td>1</td></tr>`,
			`<tr><th scope="row">` + webui.FormatDate("fi", due) + `</th><td>1</td><td>0</td></tr>`,
			`<li><span class="swatch s0"></span>Avoinna: 1</li>`},
		"sv": {`<title id="chart-consents-title">Samtycken</title>`, `Totalt: Givna 1, Återkallade 1.`, `<summary>Beslut som tabell</summary>`},
		"en": {`<svg role="img" aria-labelledby="chart-decisions-title chart-decisions-desc"`, `In all: Permitted 2, Denied 1.`,
			`<tr><th scope="row">` + webui.FormatDate("en", today) + `</th><td>1</td><td>1</td></tr>`, `>today</text>`,
			`<a href="/admin/en/deliveries?status=pending">`},
	} {
		p := o.get("/admin/" + lang + "/")
		if p.status != 200 {
			t.Fatalf("%s overview: %d", lang, p.status)
		}
		for _, w := range want {
			if !strings.Contains(p.body, w) {
				t.Errorf("%s overview lacks %s", lang, w)
			}
		}
		if n := strings.Count(p.body, `<svg role="img"`); n != 3 {
			t.Errorf("%s: %d charts, want 3", lang, n)
		}
		if n := strings.Count(p.body, `<table>`); n != 3 {
			t.Errorf("%s: %d tables, want one under each chart", lang, n)
		}
	}
	// The log's size is the latest checkpoint's; every leaf is new.
	cp, err := e.store.LatestCheckpoint(adminCtx())
	if err != nil {
		t.Fatal(err)
	}
	size := regexp.MustCompile(`([\d,]+) entries, ([\d,]+) more in 30 days`).FindStringSubmatch(o.get("/admin/en/").body)
	if size == nil || size[1] != webui.FormatNumber("en", cp.Size) || size[2] != size[1] {
		t.Fatalf("log size %v, want %d", size, cp.Size)
	}

	a := e.client(t)
	a.login("/admin/en/login", "tiina")
	if p := a.get("/admin/en/"); !strings.Contains(p.body, "In all: Permitted 2, Denied 1.") {
		t.Fatal("the auditor has no overview")
	}
	h := e.client(t)
	h.login("/admin/en/login", "helmi")
	if p := h.get("/admin/en/"); p.status != 200 || strings.Contains(p.body, "<svg") || strings.Contains(p.body, "overview-h") {
		t.Fatalf("organisation admin's front page: %d", p.status)
	}
}
