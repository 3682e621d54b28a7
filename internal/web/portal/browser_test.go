// SPDX-License-Identifier: Apache-2.0

package portal_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// axePath is axe-core as `npm ci --prefix tools/browser` installs it.
var axePath = filepath.Join("..", "..", "..", "tools", "browser", "node_modules", "axe-core", "axe.min.js")

// requireBrowser returns Chromium's path and axe-core's source. Without
// them the browser tests skip, or fail when OMADATA_TEST_REQUIRE contains
// "chromium", as in CI.
func requireBrowser(t *testing.T) (string, string) {
	t.Helper()
	missing := func(what string) {
		t.Helper()
		if strings.Contains(os.Getenv("OMADATA_TEST_REQUIRE"), "chromium") {
			t.Fatalf("OMADATA_TEST_REQUIRE=chromium but %s", what)
		}
		t.Skipf("%s; install Chromium (apt-get install chromium) and run npm ci --prefix tools/browser", what)
	}
	path := os.Getenv("OMADATA_CHROMIUM")
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path != "" {
			break
		}
		path, _ = exec.LookPath(name)
	}
	if path == "" {
		missing("no Chromium found (set OMADATA_CHROMIUM to its path)")
	}
	axe, err := os.ReadFile(axePath)
	if err != nil {
		missing("axe-core is not installed at " + axePath)
	}
	return path, string(axe)
}

// newBrowser starts headless Chromium with a fresh profile and the flags
// this machine's closed network needs, and returns a tab.
func newBrowser(t *testing.T) (context.Context, string) {
	t.Helper()
	path, axe := requireBrowser(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelT(); cancelB(); cancelA() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx, axe
}

// run runs browser steps and fails the test on an error.
func run(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", location(t, ctx), err)
	}
}

// eval evaluates JavaScript on the page, awaiting a promise it returns.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %.60q: %v", expr, err)
	}
	return v
}

// waitLocation waits until the page's path and query contain want: a
// click that submits a form returns before the next page is there.
func waitLocation(t *testing.T, ctx context.Context, want string) {
	t.Helper()
	for range 100 {
		if v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.readyState === "complete" ? location.pathname + location.search : ""`)); err == nil && strings.Contains(v, want) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("never reached a location with %q", want)
}

type violation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// checkAxe runs axe-core on the current page for WCAG 2.1 A and AA and
// fails on any violation.
func checkAxe(t *testing.T, ctx context.Context, axe, what string) {
	t.Helper()
	if !eval[bool](t, ctx, `typeof axe !== "undefined"`) {
		eval[bool](t, ctx, axe+";true")
	}
	out := eval[string](t, ctx, `axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}})
		.then(r => JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(" "))}))))`)
	var vs []violation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		t.Fatalf("%s: axe result: %v", what, err)
	}
	for _, v := range vs {
		t.Errorf("%s: axe %s (%s): %s at %v", what, v.ID, v.Impact, v.Help, v.Nodes)
	}
}

// location returns the page's path and query.
func location(t *testing.T, ctx context.Context) string {
	t.Helper()
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname + location.search`))
	return s
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// TestBrowser drives real headless Chromium through the portal: login via
// the built-in provider, keyboard-only use, giving a consent, its history
// and receipt download, withdrawal and the decision flipping to deny,
// acting for a child, and axe-core on every page in every language.
func TestBrowser(t *testing.T) {
	ctx, axe := newBrowser(t)
	e := newEnv(t, time.Time{})
	proc := e.recommendations(t)

	// Public pages, before login.
	for _, lang := range []string{"fi", "sv", "en"} {
		for _, path := range []string{"/", "/catalogue", "/ai-systems"} {
			run(t, ctx, chromedp.Navigate(e.url+"/"+lang+path))
			checkLang(t, ctx, lang)
			checkAxe(t, ctx, axe, lang+path)
		}
	}
	run(t, ctx, chromedp.Navigate(e.url+"/en/no-such-page/x/y"))

	// Login: the header's button, the provider's page, a person.
	run(t, ctx, chromedp.Navigate(e.url+"/en/"), chromedp.Click(chromedp.CSS(`header a.button`)))
	waitLocation(t, ctx, "/demo-idp/authorize")
	checkAxe(t, ctx, axe, "demo provider")
	run(t, ctx, chromedp.Click(chromedp.CSS(`button[data-person=matti]`)))
	waitLocation(t, ctx, "/en/consents")
	if got := location(t, ctx); got != "/en/consents" {
		t.Fatalf("after login at %s, want /en/consents", got)
	}
	if s := text(t, ctx, ".who span"); s != "Signed in as Matti Korhonen" {
		t.Fatalf("header says %q", s)
	}

	t.Run("keyboard", func(t *testing.T) { checkKeyboard(t, ctx, e.url+"/en/processings/"+proc) })

	// Give by keyboard: focus the button and press Enter.
	matti := e.resident(t, mattiCode)
	run(t, ctx, chromedp.Navigate(e.url+"/en/processings/"+proc), chromedp.Focus(chromedp.CSS(`#give`)), chromedp.KeyEvent("\r"))
	waitLocation(t, ctx, "done=given")
	if s := text(t, ctx, "#consent-status"); s != "given" {
		t.Fatalf("status after give: %q", s)
	}
	if d := e.decide(t, matti.ID); d != "permit" {
		t.Fatalf("decision after give: %s", d)
	}
	consentPath := strings.SplitN(location(t, ctx), "?", 2)[0]

	// Who used my data: the permit waits for its checkpoint, then its
	// proof checks out.
	run(t, ctx, chromedp.Navigate(e.url+"/en/usage"))
	if s := text(t, ctx, "#usage .card"); !strings.Contains(s, "waiting for the next signed checkpoint") {
		t.Fatalf("usage before the checkpoint: %q", s)
	}
	e.integrate(t)
	run(t, ctx, chromedp.Navigate(e.url+"/en/usage"))
	t.Run("keyboard on usage", func(t *testing.T) { checkKeyboard(t, ctx, e.url+"/en/usage") })
	run(t, ctx, chromedp.Navigate(e.url+"/en/usage"), chromedp.Click(chromedp.CSS(`#usage a[href*="/usage/proof"]`)))
	waitLocation(t, ctx, "/en/usage/proof?index=")
	proofPath := strings.TrimPrefix(location(t, ctx), "/en")
	if s := text(t, ctx, "#proof-result"); !strings.HasPrefix(s, "The proof checks out") {
		t.Fatalf("proof page says %q", s)
	}
	if s := text(t, ctx, "#leaf"); !strings.Contains(s, `"kind":"decision.permit"`) {
		t.Fatalf("proof page shows the leaf %q", s)
	}
	run(t, ctx, chromedp.Navigate(e.url+consentPath))
	if n := countRows(t, ctx); n != 1 {
		t.Fatalf("history has %d rows, want 1", n)
	}

	// Download the receipt.
	dir := t.TempDir()
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir}); err != nil {
		t.Fatal(err)
	}
	run(t, ctx, chromedp.Click(chromedp.CSS(`#history a[download]`)))
	jws := waitFile(t, dir, ".jws")
	if strings.Count(jws, ".") != 2 {
		t.Fatalf("the receipt is not a compact JWS: %.60q", jws)
	}

	// Withdraw: the page says so, the history grows, the decision denies.
	run(t, ctx, chromedp.Click(chromedp.CSS(`#withdraw`)))
	waitLocation(t, ctx, "done=withdrawn")
	if s := text(t, ctx, "#consent-status"); s != "withdrawn" {
		t.Fatalf("status after withdraw: %q", s)
	}
	if n := countRows(t, ctx); n != 2 {
		t.Fatalf("history has %d rows, want 2", n)
	}
	if d := e.decide(t, matti.ID); d != "deny" {
		t.Fatalf("decision after withdrawal: %s", d)
	}

	// Ask for a copy by keyboard, and download it.
	run(t, ctx, chromedp.Navigate(e.url+"/en/requests"), chromedp.Focus(chromedp.CSS(`#request-access`)), chromedp.KeyEvent("\r"))
	waitLocation(t, ctx, "done=request-access")
	exports := t.TempDir()
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: exports}); err != nil {
		t.Fatal(err)
	}
	run(t, ctx, chromedp.Focus(chromedp.CSS(`#requests button.export`)), chromedp.KeyEvent("\r"))
	var doc struct {
		Resident struct{ ID, Name string }
		Consents []struct {
			ID      string
			Status  string
			Records []struct{ Receipt string }
		}
	}
	if err := json.Unmarshal([]byte(waitFile(t, exports, ".json")), &doc); err != nil {
		t.Fatalf("the export is not JSON: %v", err)
	}
	if doc.Resident.ID != matti.ID || doc.Resident.Name != "Matti Korhonen" || len(doc.Consents) != 1 || doc.Consents[0].Status != "withdrawn" ||
		len(doc.Consents[0].Records) != 2 || doc.Consents[0].Records[0].Receipt == "" {
		t.Fatalf("the export holds %+v", doc)
	}
	t.Run("keyboard on erasure", func(t *testing.T) { checkKeyboard(t, ctx, e.url+"/en/requests/erasure") })

	// A bad date shows its error by the field, in each language.
	for _, lang := range []string{"fi", "sv", "en"} {
		// A date typed by hand, as where the browser has no date picker.
		run(t, ctx, chromedp.Navigate(e.url+"/"+lang+"/processings/"+proc))
		eval[bool](t, ctx, `(() => { const i = document.querySelector("#valid_until"); i.type = "text"; i.value = "1.1.2001"; return true; })()`)
		run(t, ctx, chromedp.Click(chromedp.CSS(`#give`)))
		waitLocation(t, ctx, "/give")
		run(t, ctx, chromedp.WaitVisible(chromedp.CSS(`#valid_until-error`)))
		checkLang(t, ctx, lang)
		checkAxe(t, ctx, axe, lang+" form error")
		// And a correction without words, by its field.
		run(t, ctx, chromedp.Navigate(e.url+"/"+lang+"/requests"), chromedp.Click(chromedp.CSS(`#request-rectification`)),
			chromedp.WaitVisible(chromedp.CSS(`#rect-details-error`)))
		checkLang(t, ctx, lang)
		checkAxe(t, ctx, axe, lang+" request form error")
	}

	// Every signed-in page in every language, as himself and acting for a child.
	signedIn := []string{"/", "/my-data", "/consents", "/acting-for", "/processings/" + proc, strings.TrimPrefix(consentPath, "/en"),
		"/usage", proofPath, "/requests", "/requests/erasure"}
	for _, lang := range []string{"fi", "sv", "en"} {
		for _, path := range signedIn {
			run(t, ctx, chromedp.Navigate(e.url+"/"+lang+path))
			checkLang(t, ctx, lang)
			checkAxe(t, ctx, axe, lang+path)
		}
	}

	// Act for a child, and back.
	run(t, ctx, chromedp.Navigate(e.url+"/en/acting-for"),
		chromedp.Click(chromedp.Search(`//button[contains(., "Act for Emma Korhonen")]`)))
	waitLocation(t, ctx, "done=acting")
	if s := text(t, ctx, ".acting p"); s != "You are acting for Emma Korhonen." {
		t.Fatalf("banner: %q", s)
	}
	for _, lang := range []string{"fi", "sv", "en"} {
		for _, path := range []string{"/consents", "/my-data", "/usage", "/requests", "/requests/erasure"} {
			run(t, ctx, chromedp.Navigate(e.url+"/"+lang+path), chromedp.WaitVisible(chromedp.CSS(`.acting`)))
			checkAxe(t, ctx, axe, lang+path+" acting")
		}
	}
	run(t, ctx, chromedp.Navigate(e.url+"/en/consents"), chromedp.Click(chromedp.CSS(`.acting button`)))
	waitLocation(t, ctx, "done=self")
	if eval[bool](t, ctx, `document.querySelector(".acting") !== null`) {
		t.Fatal("still acting for the child after switching back")
	}
}

func checkLang(t *testing.T, ctx context.Context, want string) {
	t.Helper()
	if got := eval[string](t, ctx, `document.documentElement.lang`); got != want {
		t.Errorf("%s: <html lang=%q>, want %q", location(t, ctx), got, want)
	}
}

func countRows(t *testing.T, ctx context.Context) int {
	t.Helper()
	return eval[int](t, ctx, `document.querySelectorAll("#history tbody tr").length`)
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

// checkKeyboard tabs through a page: the skip link comes first and moves
// focus to the main content, focus follows the document order, and every
// focused element shows a focus outline.
func checkKeyboard(t *testing.T, ctx context.Context, url string) {
	run(t, ctx, chromedp.Navigate(url), chromedp.KeyEvent("\t"))
	type focused struct {
		HTML    string `json:"html"`
		Class   string `json:"class"`
		Visible bool   `json:"visible"`
		Outline string `json:"outline"`
	}
	const active = `(() => { const a = document.activeElement, r = a.getBoundingClientRect();
		return {html: a.outerHTML.slice(0, 80), class: a.className, visible: r.top >= 0 && r.height > 0, outline: getComputedStyle(a).outlineStyle}; })()`
	first := eval[focused](t, ctx, active)
	if first.Class != "skip" || !first.Visible || first.Outline == "none" {
		t.Fatalf("first Tab: got %+v, want the visible, outlined skip link", first)
	}
	run(t, ctx, chromedp.KeyEvent("\r"))
	if id := eval[string](t, ctx, `document.activeElement.id`); id != "main" {
		t.Fatalf("the skip link moved focus to %q, want main", id)
	}
	if n := eval[int](t, ctx, `[...document.querySelectorAll("[tabindex]")].filter(e => e.tabIndex > 0).length`); n != 0 {
		t.Fatalf("%d elements have a positive tabindex", n)
	}
	// From the top again: Tab through everything and compare with the
	// document order of the focusable elements.
	run(t, ctx, chromedp.Navigate(url))
	want := eval[[]string](t, ctx, `[...document.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea")]
		.filter(e => !e.disabled && (e.getClientRects().length > 0 || e.className === "skip")).map(e => e.outerHTML.slice(0, 80))`)
	// A date input takes several Tabs (day, month, year, picker); count
	// each element once.
	var got []string
	for i := 0; len(got) < len(want) && i < 5*len(want); i++ {
		run(t, ctx, chromedp.KeyEvent("\t"))
		f := eval[focused](t, ctx, active)
		if f.Outline == "none" {
			t.Errorf("no visible focus on %s", f.HTML)
		}
		if len(got) == 0 || got[len(got)-1] != f.HTML {
			got = append(got, f.HTML)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("focus order:\n got %q\nwant %q", got, want)
	}
}
