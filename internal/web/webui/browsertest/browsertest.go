// SPDX-License-Identifier: Apache-2.0

// Package browsertest drives real headless Chromium for the browser tests
// of the portal and the admin console: starting it with the flags this
// machine's closed network needs, running steps, waiting for pages,
// axe-core's WCAG 2.1 A/AA check, the page language and a keyboard walk.
// Only tests import it.
package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/omadata/omadata/internal/skips"
)

// axePath is axe-core as `npm ci --prefix tools/browser` installs it.
var axePath = func() string {
	_, file, _, _ := runtime.Caller(0) // internal/web/webui/browsertest/browsertest.go
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "..", "tools", "browser", "node_modules", "axe-core", "axe.min.js")
}()

// Require returns Chromium's path and axe-core's source. Without
// them the browser tests skip, or fail when OMADATA_TEST_REQUIRE names
// "chromium", as in CI.
func Require(t testing.TB) (string, string) {
	t.Helper()
	return require(t, false)
}

// MustRequire is Require for what was asked for by name, such as the
// screenshots a -screenshots flag asks for: without Chromium or axe-core
// it fails, never skips.
func MustRequire(t testing.TB) (string, string) {
	t.Helper()
	return require(t, true)
}

func require(t testing.TB, strict bool) (string, string) {
	t.Helper()
	missing := func(what string) {
		t.Helper()
		if strict {
			t.Fatalf("Chromium and axe-core are required but %s", what)
		}
		skips.Skip(t, skips.Browser, what+"; install Chromium (apt-get install chromium) and run npm ci --prefix tools/browser")
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
	} else if _, err := os.Stat(path); err != nil {
		missing("no Chromium at " + path)
	}
	axe, err := os.ReadFile(axePath)
	if err != nil {
		missing("axe-core is not installed at " + axePath)
	}
	return path, string(axe)
}

// New starts headless Chromium with a fresh profile and the flags
// this machine's closed network needs, and returns a tab.
func New(t testing.TB) (context.Context, string) {
	t.Helper()
	path, axe := Require(t)
	return start(t, path, axe)
}

// MustNew is New for what was asked for by name: without Chromium or
// axe-core it fails, never skips (MustRequire).
func MustNew(t testing.TB) (context.Context, string) {
	t.Helper()
	path, axe := MustRequire(t)
	return start(t, path, axe)
}

func start(t testing.TB, path, axe string) (context.Context, string) {
	t.Helper()
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
	ctx, cancelT := context.WithTimeout(ctx, 15*time.Minute) // every page at two widths in three languages
	t.Cleanup(func() { cancelT(); cancelB(); cancelA() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx, axe
}

// Run runs browser steps and fails the test on an error.
func Run(t testing.TB, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", Location(t, ctx), err)
	}
}

// Eval evaluates JavaScript on the page, awaiting a promise it returns.
func Eval[T any](t testing.TB, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %.60q: %v", expr, err)
	}
	return v
}

// WaitLocation waits until the page's path and query contain want: a
// click that submits a form returns before the next page is there.
func WaitLocation(t testing.TB, ctx context.Context, want string) {
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

// CheckAxe runs axe-core on the current page for WCAG 2.1 A and AA and
// fails on any violation.
func CheckAxe(t testing.TB, ctx context.Context, axe, what string) {
	t.Helper()
	if !Eval[bool](t, ctx, `typeof axe !== "undefined"`) {
		Eval[bool](t, ctx, axe+";true")
	}
	out := Eval[string](t, ctx, `axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}})
		.then(r => JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(" "))}))))`)
	var vs []violation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		t.Fatalf("%s: axe result: %v", what, err)
	}
	for _, v := range vs {
		t.Errorf("%s: axe %s (%s): %s at %v", what, v.ID, v.Impact, v.Help, v.Nodes)
	}
}

// Location returns the page's path and query.
func Location(t testing.TB, ctx context.Context) string {
	t.Helper()
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname + location.search`))
	return s
}

func Text(t testing.TB, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func CheckLang(t testing.TB, ctx context.Context, want string) {
	t.Helper()
	if got := Eval[string](t, ctx, `document.documentElement.lang`); got != want {
		t.Errorf("%s: <html lang=%q>, want %q", Location(t, ctx), got, want)
	}
}

// CheckKeyboard tabs through a page (as the portal's test does; a radio
// group is one Tab stop): the skip link comes first and moves focus to
// the main content, focus follows the document order, and every focused
// element shows a focus outline. It loads the page once and asks the page
// once for its focusable elements, so that a walk costs little more than
// its key presses and a look at each focused element.
func CheckKeyboard(t testing.TB, ctx context.Context, url string) {
	t.Helper()
	type focused struct {
		Index   int    `json:"index"` // in the document order, -1 if not there
		HTML    string `json:"html"`
		Class   string `json:"class"`
		Visible bool   `json:"visible"`
		Outline string `json:"outline"`
	}
	const active = `(() => { const a = document.activeElement, r = a.getBoundingClientRect();
		return {index: a.__kbd ?? -1, html: a.outerHTML.slice(0, 80), class: a.className, visible: r.top >= 0 && r.height > 0, outline: getComputedStyle(a).outlineStyle}; })()`
	// The focusable elements in document order (a details' summary is
	// one), each numbered, since two may look alike (a sign-in link in
	// the header and in the text), and how many take a positive tabindex.
	type focusable struct {
		Order    []string `json:"order"`
		Positive int      `json:"positive"`
	}
	Run(t, ctx, chromedp.Navigate(url))
	page := Eval[focusable](t, ctx, `({order: [...document.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex='0']")]
		.filter(e => !e.disabled && (e.checkVisibility() || e.className === "skip"))
		.filter(e => e.type !== "radio" || document.querySelector("input[type=radio][name='" + e.name + "']") === e).map((e, i) => (e.__kbd = i, e.outerHTML.slice(0, 80))),
		positive: [...document.querySelectorAll("[tabindex]")].filter(e => e.tabIndex > 0).length})`)
	if page.Positive != 0 {
		t.Fatalf("%s: %d elements have a positive tabindex", url, page.Positive)
	}
	// A date input takes several Tabs (day, month, year, picker); count
	// each element once.
	var got []string
	last := -2
	for i := 0; len(got) < len(page.Order) && i < 5*len(page.Order); i++ {
		Run(t, ctx, chromedp.KeyEvent("\t"))
		f := Eval[focused](t, ctx, active)
		if i == 0 && (f.Class != "skip" || !f.Visible || f.Outline == "none") {
			t.Fatalf("%s: first Tab: got %+v, want the visible, outlined skip link", url, f)
		}
		if f.Outline == "none" {
			t.Errorf("%s: no visible focus on %s", url, f.HTML)
		}
		if f.Index < 0 || f.Index != last {
			got = append(got, f.HTML)
		}
		last = f.Index
	}
	if fmt.Sprint(got) != fmt.Sprint(page.Order) {
		t.Fatalf("%s: focus order:\n got %q\nwant %q", url, got, page.Order)
	}
	// Back on the skip link, which the first Tab reached: Enter moves
	// focus to the main content.
	Eval[bool](t, ctx, `(() => { document.querySelector("a.skip").focus(); return true; })()`)
	Run(t, ctx, chromedp.KeyEvent("\r"))
	if id := Eval[string](t, ctx, `document.activeElement.id`); id != "main" {
		t.Fatalf("%s: the skip link moved focus to %q, want main", url, id)
	}
}
