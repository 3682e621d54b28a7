// SPDX-License-Identifier: Apache-2.0

package portal_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/omadata/omadata/internal/web/webui/browsertest"
)

// TestBrowserMyData: in real headless Chromium, with the demo's library
// and early childhood education as separate HTTP servers (the latter
// down), a resident lists the data groups the sources hold about them
// and, by keyboard only with JavaScript off at 320 CSS pixels, shows all
// their data, in Finnish, Swedish and English: the library's loans as a
// table, the source that is down named in the error summary, which takes
// the focus. Every state passes axe-core at 320 and 1280 pixels without
// sideways scrolling; the views are then in "who used my data", whose
// proof of one checks out.
func TestBrowserMyData(t *testing.T) {
	ctx, axe := browsertest.New(t)
	e, recs := newSourcesEnv(t)
	library := recs["helmet"]
	recs["helsinki-ece"].Close() // down
	browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/en/"), chromedp.Click(chromedp.CSS(`header a.button`)))
	browsertest.WaitLocation(t, ctx, "/demo-idp/authorize")
	browsertest.Run(t, ctx, chromedp.Click(chromedp.CSS(`button[data-person=aino]`)))
	browsertest.WaitLocation(t, ctx, "/en/consents")
	down := map[string]string{
		"fi": "Tietolähde Helsingin varhaiskasvatus ei vastannut. Yritä myöhemmin uudelleen.",
		"sv": "Datakällan Småbarnspedagogiken i Helsingfors svarade inte. Försök igen senare.",
		"en": "Helsinki early childhood education did not answer; try again later.",
	}
	for _, lang := range []string{"fi", "sv", "en"} {
		list := e.url + "/" + lang + "/my-data"
		browsertest.CheckReflow(t, ctx, axe, list, lang+" my data")
		browsertest.CheckKeyboardWidths(t, ctx, list)
		// Keyboard only, as a phone without JavaScript: Tab to "Show all"
		// and press Enter.
		browsertest.Run(t, ctx, chromedp.EmulateViewport(320, 640, chromedp.EmulatePortrait, chromedp.EmulateMobile))
		scripts(t, ctx, false)
		browsertest.Run(t, ctx, chromedp.Navigate(list))
		if n := browsertest.Eval[int](t, ctx, `document.scripts.length`); n != 0 {
			t.Fatalf("%s: %d scripts on my data", lang, n)
		}
		for i := 0; i < 60 && !strings.Contains(browsertest.Eval[string](t, ctx, `document.activeElement.getAttribute("href") || ""`), "show=all"); i++ {
			browsertest.Run(t, ctx, chromedp.KeyEvent("\t"))
		}
		browsertest.Run(t, ctx, chromedp.KeyEvent("\r"))
		browsertest.WaitLocation(t, ctx, "show=all")
		if s := browsertest.Text(t, ctx, "#error-summary"); !strings.Contains(s, down[lang]) {
			t.Errorf("%s: the error summary says %q", lang, s)
		}
		if s := browsertest.Text(t, ctx, ".held table caption"); s == "" {
			t.Errorf("%s: no table of the library's loans", lang)
		}
		// The summary takes the focus, so a screen reader reads it first.
		var focus string
		for deadline := time.Now().Add(3 * time.Second); focus != "error-summary" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			focus = browsertest.Eval[string](t, ctx, `document.activeElement ? document.activeElement.id : ""`)
		}
		if focus != "error-summary" {
			t.Errorf("%s: focus is on #%s, want the error summary", lang, focus)
		}
		scripts(t, ctx, true) // for axe-core
		browsertest.CheckReflowHere(t, ctx, axe, lang+" my data shown")
	}
	if len(library.Requests()) < 3 || library.Contains(ainoCode) {
		t.Errorf("the library was asked %d times, or Aino's identity code reached it", len(library.Requests()))
	}
	e.integrate(t)
	usage := e.url + "/en/usage"
	browsertest.CheckReflow(t, ctx, axe, usage, "usage with own views")
	browsertest.Run(t, ctx, chromedp.Navigate(usage))
	if s := browsertest.Text(t, ctx, "#usage .card h2"); s != "Transfer: You" {
		t.Errorf("the newest use is %q, want the resident's own view", s)
	}
	browsertest.Run(t, ctx, chromedp.Click(chromedp.CSS(`#usage a[href*="/usage/proof"]`)))
	browsertest.WaitLocation(t, ctx, "/en/usage/proof?index=")
	if s := browsertest.Text(t, ctx, "#proof-result"); !strings.HasPrefix(s, "The proof checks out") {
		t.Errorf("the own view's proof: %q", s)
	}
}

// scripts switches the tab's JavaScript on or off, from the next page on.
func scripts(t *testing.T, ctx context.Context, on bool) {
	t.Helper()
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: !on}); err != nil {
		t.Fatalf("switch JavaScript (on: %v): %v", on, err)
	}
}
