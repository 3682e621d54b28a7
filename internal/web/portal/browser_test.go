// SPDX-License-Identifier: Apache-2.0

package portal_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/omadata/omadata/internal/web/webui/browsertest"
)

// TestBrowser drives real headless Chromium through the portal: login via
// the built-in provider, keyboard-only use, giving a consent, its history
// and receipt download, withdrawal and the decision flipping to deny,
// acting for a child, and axe-core on every page in every language.
func TestBrowser(t *testing.T) {
	ctx, axe := browsertest.New(t)
	e := newEnv(t, time.Time{})
	proc := e.recommendations(t)

	// Public pages, before login.
	public := []string{"/", "/catalogue", "/ai-systems", "/no-such-page/x"}
	for _, lang := range []string{"fi", "sv", "en"} {
		for _, path := range public {
			browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/"+lang+path))
			browsertest.CheckLang(t, ctx, lang)
			browsertest.CheckReflow(t, ctx, axe, e.url+"/"+lang+path, lang+path)
		}
	}
	t.Run("keyboard on public pages", func(t *testing.T) {
		for _, lang := range []string{"fi", "sv", "en"} {
			for _, path := range public {
				browsertest.CheckKeyboardWidths(t, ctx, e.url+"/"+lang+path)
			}
		}
	})

	// Login: the header's button, the provider's page, a person.
	browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/en/"), chromedp.Click(chromedp.CSS(`header a.button`)))
	browsertest.WaitLocation(t, ctx, "/demo-idp/authorize")
	browsertest.CheckAxe(t, ctx, axe, "demo provider")
	browsertest.Run(t, ctx, chromedp.Click(chromedp.CSS(`button[data-person=matti]`)))
	browsertest.WaitLocation(t, ctx, "/en/consents")
	if got := browsertest.Location(t, ctx); got != "/en/consents" {
		t.Fatalf("after login at %s, want /en/consents", got)
	}
	if s := browsertest.Text(t, ctx, ".who span"); s != "Signed in as Matti Korhonen" {
		t.Fatalf("header says %q", s)
	}

	t.Run("keyboard", func(t *testing.T) { browsertest.CheckKeyboard(t, ctx, e.url+"/en/processings/"+proc) })
	t.Run("menu", func(t *testing.T) {
		for _, lang := range []string{"fi", "sv", "en"} {
			browsertest.CheckMenu(t, ctx, e.url+"/"+lang+"/consents")
		}
	})

	// Give by keyboard: focus the button and press Enter.
	matti := e.resident(t, mattiCode)
	browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/en/processings/"+proc), chromedp.Focus(chromedp.CSS(`#give`)), chromedp.KeyEvent("\r"))
	browsertest.WaitLocation(t, ctx, "done=given")
	if s := browsertest.Text(t, ctx, "#consent-status"); s != "given" {
		t.Fatalf("status after give: %q", s)
	}
	if d := e.decide(t, matti.ID); d != "permit" {
		t.Fatalf("decision after give: %s", d)
	}
	consentPath := strings.SplitN(browsertest.Location(t, ctx), "?", 2)[0]
	// Focus goes to the confirmation after a form is sent.
	// focused waits a little for autofocus, which Chromium applies once
	// the page has loaded, after the address has changed.
	focused := func(want string) {
		t.Helper()
		var got string
		for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			if got = browsertest.Eval[string](t, ctx, `document.activeElement ? document.activeElement.id : ""`); got == want || time.Now().After(deadline) {
				break
			}
		}
		if got != want {
			t.Fatalf("focus is on #%s, want #%s", got, want)
		}
	}
	focused("done")

	// Suspend and resume by keyboard; the decision follows.
	browsertest.Run(t, ctx, chromedp.Focus(chromedp.CSS(`#suspend`)), chromedp.KeyEvent("\r"))
	browsertest.WaitLocation(t, ctx, "done=suspended")
	if s := browsertest.Text(t, ctx, "#consent-status"); s != "suspended" {
		t.Fatalf("status after suspend: %q", s)
	}
	focused("done")
	if d := e.decide(t, matti.ID); d != "deny" {
		t.Fatalf("decision while suspended: %s", d)
	}
	browsertest.Run(t, ctx, chromedp.Focus(chromedp.CSS(`#resume`)), chromedp.KeyEvent("\r"))
	browsertest.WaitLocation(t, ctx, "done=resumed")
	if s := browsertest.Text(t, ctx, "#consent-status"); s != "given" {
		t.Fatalf("status after resume: %q", s)
	}
	if d := e.decide(t, matti.ID); d != "permit" {
		t.Fatalf("decision after resume: %s", d)
	}

	// Who used my data: the permit waits for its checkpoint, then its
	// proof checks out.
	browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/en/usage"))
	if s := browsertest.Text(t, ctx, "#usage .card"); !strings.Contains(s, "waiting for the next signed checkpoint") {
		t.Fatalf("usage before the checkpoint: %q", s)
	}
	e.integrate(t)
	browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/en/usage"))
	t.Run("keyboard on usage", func(t *testing.T) { browsertest.CheckKeyboard(t, ctx, e.url+"/en/usage") })
	browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/en/usage"), chromedp.Click(chromedp.CSS(`#usage a[href*="/usage/proof"]`)))
	browsertest.WaitLocation(t, ctx, "/en/usage/proof?index=")
	proofPath := strings.TrimPrefix(browsertest.Location(t, ctx), "/en")
	if s := browsertest.Text(t, ctx, "#proof-result"); !strings.HasPrefix(s, "The proof checks out") {
		t.Fatalf("proof page says %q", s)
	}
	if s := browsertest.Text(t, ctx, "#leaf"); !strings.Contains(s, `"kind":"decision.permit"`) {
		t.Fatalf("proof page shows the leaf %q", s)
	}
	browsertest.Run(t, ctx, chromedp.Navigate(e.url+consentPath))
	if n := countRows(t, ctx); n != 3 {
		t.Fatalf("history has %d rows, want 3 (given, suspended, given)", n)
	}

	// Download the receipt.
	dir := t.TempDir()
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir}); err != nil {
		t.Fatal(err)
	}
	browsertest.Run(t, ctx, chromedp.Click(chromedp.CSS(`#history a[download]`)))
	jws := waitFile(t, dir, ".jws")
	if strings.Count(jws, ".") != 2 {
		t.Fatalf("the receipt is not a compact JWS: %.60q", jws)
	}

	// Withdraw: the page says so, the history grows, the decision denies.
	browsertest.Run(t, ctx, chromedp.Click(chromedp.CSS(`#withdraw`)))
	browsertest.WaitLocation(t, ctx, "done=withdrawn")
	if s := browsertest.Text(t, ctx, "#consent-status"); s != "withdrawn" {
		t.Fatalf("status after withdraw: %q", s)
	}
	if n := countRows(t, ctx); n != 4 {
		t.Fatalf("history has %d rows, want 4", n)
	}
	if d := e.decide(t, matti.ID); d != "deny" {
		t.Fatalf("decision after withdrawal: %s", d)
	}

	// Ask for a copy by keyboard, and download it.
	browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/en/requests"), chromedp.Focus(chromedp.CSS(`#request-access`)), chromedp.KeyEvent("\r"))
	browsertest.WaitLocation(t, ctx, "done=request-access")
	exports := t.TempDir()
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: exports}); err != nil {
		t.Fatal(err)
	}
	browsertest.Run(t, ctx, chromedp.Focus(chromedp.CSS(`#requests button.export`)), chromedp.KeyEvent("\r"))
	var doc struct {
		Resident struct{ ID, Name string }
		Consents []struct {
			ID      string
			Status  string
			Records []struct{ Receipt string }
		}
	}
	files := unzip(t, waitFile(t, exports, ".zip"))
	if err := json.Unmarshal(files["operator/profile.json"], &doc.Resident); err != nil {
		t.Fatalf("the archive's profile is not JSON: %v", err)
	} else if err := json.Unmarshal(files["operator/consents.json"], &doc.Consents); err != nil {
		t.Fatalf("the archive's consents are not JSON: %v", err)
	}
	if doc.Resident.ID != matti.ID || doc.Resident.Name != "Matti Korhonen" || len(doc.Consents) != 1 || doc.Consents[0].Status != "withdrawn" ||
		len(doc.Consents[0].Records) != 4 || doc.Consents[0].Records[0].Receipt == "" {
		t.Fatalf("the export holds %+v", doc)
	}
	// A rectification on its way to a source, its deadline extended: the
	// request shows where the source stands and why it takes longer.
	e.rectifyExtended(t, matti.ID)
	browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/en/requests"), chromedp.WaitVisible(chromedp.CSS(`#requests .task-states`)))
	browsertest.CheckAxe(t, ctx, axe, "requests with a source's answer and an extension")
	t.Run("keyboard on requests", func(t *testing.T) { browsertest.CheckKeyboard(t, ctx, e.url+"/en/requests") })
	t.Run("keyboard on erasure", func(t *testing.T) { browsertest.CheckKeyboard(t, ctx, e.url+"/en/requests/erasure") })

	// A bad date shows its error by the field, in each language.
	for _, lang := range []string{"fi", "sv", "en"} {
		// A date typed by hand, as where the browser has no date picker.
		browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/"+lang+"/processings/"+proc))
		browsertest.Eval[bool](t, ctx, `(() => { const i = document.querySelector("#valid_until"); i.type = "text"; i.value = "1.1.2001"; return true; })()`)
		browsertest.Run(t, ctx, chromedp.Click(chromedp.CSS(`#give`)))
		browsertest.WaitLocation(t, ctx, "/give")
		browsertest.Run(t, ctx, chromedp.WaitVisible(chromedp.CSS(`#valid_until-error`)))
		focused("error-summary")
		browsertest.CheckLang(t, ctx, lang)
		browsertest.CheckAxe(t, ctx, axe, lang+" form error")
		browsertest.CheckReflowHere(t, ctx, axe, lang+" form error")
		// And a correction without words, by its field.
		browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/"+lang+"/requests"), chromedp.Click(chromedp.CSS(`#request-rectification`)),
			chromedp.WaitVisible(chromedp.CSS(`#rect-details-error`)))
		browsertest.CheckLang(t, ctx, lang)
		browsertest.CheckAxe(t, ctx, axe, lang+" request form error")
		browsertest.CheckReflowHere(t, ctx, axe, lang+" request form error")
	}

	// Give a mandate: every error at once, each linked from the summary
	// (following a link moves focus to its field); then the mandate, listed.
	browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/en/acting-for"), chromedp.SetValue(chromedp.CSS(`#representative`), "12345"),
		chromedp.Click(chromedp.CSS(`#give-mandate-button`)))
	browsertest.WaitLocation(t, ctx, "/acting-for/mandates")
	browsertest.Run(t, ctx, chromedp.WaitVisible(chromedp.CSS(`#representative-error`)), chromedp.WaitVisible(chromedp.CSS(`#scope-error`)))
	focused("error-summary")
	browsertest.CheckAxe(t, ctx, axe, "en mandate form error")
	browsertest.Run(t, ctx, chromedp.Click(chromedp.CSS(`.error-summary a[href="#representative"]`)))
	focused("representative")
	browsertest.Run(t, ctx, chromedp.SetValue(chromedp.CSS(`#representative`), ainoCode), chromedp.Click(chromedp.CSS(`#scope input[value=research]`)),
		chromedp.Click(chromedp.CSS(`#give-mandate-button`)))
	browsertest.WaitLocation(t, ctx, "done=mandate-given")
	focused("done")
	if s := browsertest.Text(t, ctx, "#granted + ul .card"); !strings.Contains(s, "Aino Virtanen") || !strings.Contains(s, "Mandate: Research use") {
		t.Fatalf("the mandate given shows as %q", s)
	}

	// Every signed-in page in every language, as himself and acting for a child.
	signedIn := []string{"/", "/my-data", "/consents", "/acting-for", "/processings/" + proc, strings.TrimPrefix(consentPath, "/en"),
		"/usage", proofPath, "/requests", "/requests/erasure", "/no-such-page", "/consents/cns_00000000000000000000000000"}
	for _, lang := range []string{"fi", "sv", "en"} {
		for _, path := range signedIn {
			browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/"+lang+path))
			browsertest.CheckLang(t, ctx, lang)
			browsertest.CheckReflow(t, ctx, axe, e.url+"/"+lang+path, lang+path)
		}
	}
	t.Run("keyboard on every page", func(t *testing.T) {
		for _, lang := range []string{"fi", "sv", "en"} {
			for _, path := range signedIn {
				browsertest.CheckKeyboardWidths(t, ctx, e.url+"/"+lang+path)
			}
		}
	})

	// Act for a child, and back.
	browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/en/acting-for"),
		chromedp.Click(chromedp.Search(`//button[contains(., "Act for Emma Korhonen")]`)))
	browsertest.WaitLocation(t, ctx, "done=acting")
	if s := browsertest.Text(t, ctx, ".acting p"); s != "You are acting for Emma Korhonen." {
		t.Fatalf("banner: %q", s)
	}
	for _, lang := range []string{"fi", "sv", "en"} {
		for _, path := range []string{"/consents", "/my-data", "/usage", "/requests", "/requests/erasure", "/no-such-page"} {
			browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/"+lang+path), chromedp.WaitVisible(chromedp.CSS(`.acting`)))
			browsertest.CheckReflow(t, ctx, axe, e.url+"/"+lang+path, lang+path+" acting")
		}
	}
	browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/en/consents"), chromedp.Click(chromedp.CSS(`.acting button`)))
	browsertest.WaitLocation(t, ctx, "done=self")
	if browsertest.Eval[bool](t, ctx, `document.querySelector(".acting") !== null`) {
		t.Fatal("still acting for the child after switching back")
	}
}

func countRows(t *testing.T, ctx context.Context) int {
	t.Helper()
	return browsertest.Eval[int](t, ctx, `document.querySelectorAll("#history tbody tr").length`)
}

// waitFile waits for the one file with ext that a download writes to dir.
func waitFile(t *testing.T, dir, ext string) string {
	t.Helper()
	for range 100 {
		files, _ := filepath.Glob(filepath.Join(dir, "*"+ext))
		if len(files) == 1 {
			b, err := os.ReadFile(files[0])
			if err == nil && len(b) > 0 {
				return string(b)
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no %s file was downloaded", ext)
	return ""
}
