// SPDX-License-Identifier: Apache-2.0

package admin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

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

// TestBrowser drives real headless Chromium: an operator admin signs in
// to the console, starts an incompatible version of a processing by
// keyboard, previews and publishes it; a resident with a consent on it then
// signs in to the portal and finds it under consents needing renewal.
// axe-core runs on every console page in every language, signed out, as
// the admin, with a form error, and as the auditor.
func TestBrowser(t *testing.T) {
	ctx, axe := newBrowser(t)
	e := newEnv(t, time.Time{})
	proc := e.recommendations(t)
	e.giveConsent(t, proc)

	// Signed out: the console's front page.
	for _, lang := range []string{"fi", "sv", "en"} {
		run(t, ctx, chromedp.Navigate(e.url+"/admin/"+lang+"/"))
		checkLang(t, ctx, lang)
		checkAxe(t, ctx, axe, lang+" signed out")
	}

	// Sign in through the provider's page, which offers the demo staff.
	run(t, ctx, chromedp.Navigate(e.url+"/admin/en/"), chromedp.Click(chromedp.CSS(`main a.button`)))
	waitLocation(t, ctx, "/demo-idp/authorize")
	checkAxe(t, ctx, axe, "demo provider, staff")
	run(t, ctx, chromedp.Click(chromedp.CSS(`button[data-person=olli]`)))
	waitLocation(t, ctx, "/admin/en/")
	if s := text(t, ctx, ".who span"); s != "Signed in as Olli Ylläpitäjä (operator admin)" {
		t.Fatalf("header says %q", s)
	}

	t.Run("keyboard", func(t *testing.T) { checkKeyboard(t, ctx, e.url+"/admin/en/processings/"+proc) })

	// A new version without a choice: the error by the field.
	for _, lang := range []string{"fi", "sv", "en"} {
		run(t, ctx, chromedp.Navigate(e.url+"/admin/"+lang+"/processings/"+proc), chromedp.Click(chromedp.CSS(`#new-version`)))
		waitLocation(t, ctx, "/versions")
		run(t, ctx, chromedp.WaitVisible(chromedp.CSS(`#compatible-error`)))
		checkLang(t, ctx, lang)
		checkAxe(t, ctx, axe, lang+" form error")
	}

	// By keyboard: choose "not compatible" and start the version.
	run(t, ctx, chromedp.Navigate(e.url+"/admin/en/processings/"+proc),
		chromedp.Focus(chromedp.CSS(`#compatible-no`)), chromedp.KeyEvent(" "),
		chromedp.Focus(chromedp.CSS(`#new-version`)), chromedp.KeyEvent("\r"))
	waitLocation(t, ctx, "done=version-created")
	// Edit the English notice, preview it, publish.
	run(t, ctx, chromedp.SetValue(chromedp.CSS(`#title-en`), "Book recommendations, version 2"),
		chromedp.Click(chromedp.CSS(`#notice-en button[type=submit]`)))
	waitLocation(t, ctx, "done=notice-saved")
	draft := e.processing(t, proc).Latest()
	for _, lang := range []string{"fi", "sv", "en"} {
		for _, nl := range []string{"fi", "sv", "en"} {
			run(t, ctx, chromedp.Navigate(e.url+"/admin/"+lang+"/processings/"+proc+"/versions/"+strconv.Itoa(draft.Version)+"/preview/"+nl))
			if got := eval[string](t, ctx, `document.querySelector(".notice-text").lang`); got != nl {
				t.Fatalf("preview in %s has lang %q", nl, got)
			}
			checkAxe(t, ctx, axe, lang+" preview "+nl)
		}
		run(t, ctx, chromedp.Navigate(e.url+"/admin/"+lang+"/processings/"+proc))
		checkAxe(t, ctx, axe, lang+" draft")
	}
	run(t, ctx, chromedp.Navigate(e.url+"/admin/en/processings/"+proc), chromedp.Click(chromedp.CSS(`#publish`)))
	waitLocation(t, ctx, "done=published")
	if got := e.processing(t, proc).Latest(); got.Status != "published" || got.Compatible {
		t.Fatalf("after publish the latest version is %s, compatible %v", got.Status, got.Compatible)
	}

	// Every console page in every language, as the operator admin.
	pages := []string{"/", "/services", "/processings", "/processings/" + proc, "/deliveries", "/requests", "/log"}
	for _, lang := range []string{"fi", "sv", "en"} {
		for _, path := range pages {
			run(t, ctx, chromedp.Navigate(e.url+"/admin/"+lang+path))
			checkLang(t, ctx, lang)
			checkAxe(t, ctx, axe, lang+path)
		}
	}

	// The resident is asked to renew.
	run(t, ctx, chromedp.Navigate(e.url+"/en/login?next=/en/consents"))
	waitLocation(t, ctx, "/demo-idp/authorize")
	run(t, ctx, chromedp.Click(chromedp.CSS(`button[data-person=matti]`)))
	waitLocation(t, ctx, "/en/consents")
	renew := eval[string](t, ctx, `(() => { const h = [...document.querySelectorAll("h2")].find(h => h.textContent === "Consents to renew"); if (!h) return ""; let n = h.nextElementSibling; while (n && n.tagName !== "UL") n = n.nextElementSibling; return n ? n.textContent : ""; })()`)
	if !strings.Contains(renew, "Book recommendations from your loans") {
		t.Fatalf("consents needing renewal: %q", renew)
	}

	// The auditor: every page, no forms but logout.
	run(t, ctx, chromedp.Navigate(e.url+"/admin/en/"), chromedp.Click(chromedp.CSS(`header form button`)))
	waitLocation(t, ctx, "done=logged-out")
	run(t, ctx, chromedp.Navigate(e.url+"/admin/en/login"))
	waitLocation(t, ctx, "/demo-idp/authorize")
	run(t, ctx, chromedp.Click(chromedp.CSS(`button[data-person=tiina]`)))
	waitLocation(t, ctx, "/admin/en/")
	for _, lang := range []string{"fi", "sv", "en"} {
		for _, path := range pages {
			run(t, ctx, chromedp.Navigate(e.url+"/admin/"+lang+path))
			if n := eval[int](t, ctx, `document.querySelectorAll("main form").length`); n != 0 {
				t.Errorf("auditor sees %d forms on %s%s", n, lang, path)
			}
			checkAxe(t, ctx, axe, lang+path+" auditor")
		}
	}
}

func checkLang(t *testing.T, ctx context.Context, want string) {
	t.Helper()
	if got := eval[string](t, ctx, `document.documentElement.lang`); got != want {
		t.Errorf("%s: <html lang=%q>, want %q", location(t, ctx), got, want)
	}
}

// checkKeyboard tabs through a page (as the portal's test does; a radio
// group is one Tab stop): the skip link comes first and moves
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
		.filter(e => !e.disabled && (e.getClientRects().length > 0 || e.className === "skip"))
		.filter(e => e.type !== "radio" || document.querySelector("input[type=radio][name='" + e.name + "']") === e).map(e => e.outerHTML.slice(0, 80))`)
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
