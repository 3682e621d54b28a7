// SPDX-License-Identifier: Apache-2.0

package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/omadata/omadata/internal/web/webui/browsertest"
)

// testBrowser walks the cross-city consent in two portals with headless
// Chromium: Sanna, a Helsinki resident, consents in Helsinki's portal to
// the processing of Espoo's sink, which the page shows with the sink's
// operator; Espoo's portal shows its own resident nothing of hers (Espoo
// knows her only by the pseudonym Helsinki gave it); and Helsinki's "who
// used my data" shows Aino the use by Espoo's sink that the demo network
// made, naming the City of Espoo.
func testBrowser(t *testing.T, n *demoNet, processingID string) {
	ctx, axe := browsertest.New(t)
	hki, esp := n.Operators[0], n.Operators[1]
	signIn := func(base, person, lang string) {
		t.Helper()
		browsertest.Run(t, ctx, chromedp.Navigate(base+"/"+lang+"/"), chromedp.Click(chromedp.CSS(`header a.button`)))
		browsertest.WaitLocation(t, ctx, "/demo-idp/authorize")
		browsertest.Run(t, ctx, chromedp.Click(chromedp.CSS(`button[data-person=`+person+`]`)))
		browsertest.WaitLocation(t, ctx, "/"+lang+"/consents")
	}
	logOut := func() {
		t.Helper()
		browsertest.Run(t, ctx, chromedp.Click(chromedp.CSS(`form[action$="/logout"] button`)))
		browsertest.WaitLocation(t, ctx, "done=logged-out")
	}

	// Helsinki's portal: the processing of Espoo's sink, named with its
	// operator; Sanna gives her consent.
	signIn(hki.URL, "sanna", "en")
	browsertest.Run(t, ctx, chromedp.Navigate(hki.URL+"/en/processings/"+processingID))
	page := browsertest.Text(t, ctx, "main")
	if !strings.Contains(page, sportsCardTitle) || !strings.Contains(page, "City of Espoo") {
		t.Errorf("Helsinki's page of Espoo's processing lacks its title or the City of Espoo:\n%.1500s", page)
	}
	browsertest.CheckAxe(t, ctx, axe, "Helsinki: Espoo's processing")
	browsertest.Run(t, ctx, chromedp.Click(chromedp.CSS(`#give`)))
	browsertest.WaitLocation(t, ctx, "done=given")
	if s := browsertest.Text(t, ctx, "#consent-status"); s != "given" {
		t.Errorf("status after giving: %q", s)
	}
	browsertest.Run(t, ctx, chromedp.Navigate(hki.URL+"/en/consents"))
	if s := browsertest.Text(t, ctx, "main"); !strings.Contains(s, sportsCardTitle) {
		t.Errorf("Sanna's consents at Helsinki lack Espoo's processing:\n%.1500s", s)
	}
	logOut()

	// Helsinki's "who used my data": Aino's data, used by Espoo's sink
	// under the grant Helsinki issued (the demo network's release).
	signIn(hki.URL, "aino", "en")
	deadline := time.Now().Add(45 * time.Second)
	for {
		browsertest.Run(t, ctx, chromedp.Navigate(hki.URL+"/en/usage"))
		s := browsertest.Text(t, ctx, "main")
		if strings.Contains(s, "Espoo sports services") && strings.Contains(s, "City of Espoo") {
			break
		} else if time.Now().After(deadline) {
			t.Errorf("Aino's usage at Helsinki does not show Espoo's use:\n%.2000s", s)
			break
		}
		time.Sleep(time.Second)
	}
	browsertest.CheckAxe(t, ctx, axe, "Helsinki: who used my data")
	logOut()

	// Espoo's portal: Espoo's own resident is offered Espoo's
	// processing, and sees nothing of Helsinki's residents' consents.
	signIn(esp.URL, "eero", "en")
	if s := browsertest.Text(t, ctx, "main"); !strings.Contains(s, "You have made no decisions yet.") || !strings.Contains(s, sportsCardTitle) {
		t.Errorf("Eero's consents at Espoo: want no decisions, and Espoo's processing offered:\n%.1500s", s)
	}
	browsertest.Run(t, ctx, chromedp.Navigate(esp.URL+"/en/catalogue"))
	if s := browsertest.Text(t, ctx, "main"); !strings.Contains(s, sportsCardTitle) {
		t.Errorf("Espoo's catalogue lacks its own processing:\n%.1500s", s)
	}
}
