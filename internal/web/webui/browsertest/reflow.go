// SPDX-License-Identifier: Apache-2.0

package browsertest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// Widths are the viewport widths every page is checked at: 320 CSS
// pixels, the narrowest WCAG 1.4.10 (Reflow) asks for, as a phone held
// upright, and a desktop's 1280, the window New opens.
var Widths = []int64{320, 1280}

// overflowJS lists what makes the page wider than its viewport: the
// outermost elements reaching past its right edge that do not sit in a
// scrolling region of their own, and every table wider than its parent
// that does not scroll in a labelled, focusable region.
const overflowJS = `(() => {
	const root = document.documentElement, width = root.clientWidth, out = [];
	const name = e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (typeof e.className === "string" && e.className ? "." + e.className.trim().split(/\s+/).join(".") : "");
	const scrolls = e => { for (let p = e.parentElement; p; p = p.parentElement) { const o = getComputedStyle(p).overflowX; if (o === "auto" || o === "scroll" || o === "hidden") return true; } return false; };
	for (const e of document.body.querySelectorAll("*")) {
		if (e.getBoundingClientRect().right <= width + 0.5 || scrolls(e)) continue;
		if (e.parentElement && e.parentElement !== document.body && e.parentElement.getBoundingClientRect().right > width + 0.5 && !scrolls(e.parentElement)) continue;
		out.push(name(e) + " " + JSON.stringify((e.textContent || "").trim().slice(0, 40)) + " to " + Math.round(e.getBoundingClientRect().right) + "px");
	}
	for (const t of document.querySelectorAll("table")) {
		const r = t.closest("[role=region]");
		if (t.scrollWidth <= t.parentElement.clientWidth) continue;
		if (!r || r.tabIndex !== 0 || !(r.getAttribute("aria-label") || r.getAttribute("aria-labelledby")) || !["auto", "scroll"].includes(getComputedStyle(r).overflowX)) {
			out.push(name(t) + " is wider than its place and does not scroll in a labelled, focusable region");
		}
	}
	if (root.scrollWidth - root.clientWidth > 0 && out.length === 0) {
		// Positioned boxes escape a scrolling region whose box does not contain them.
		const far = [...document.body.querySelectorAll("*")].filter(e => e.getBoundingClientRect().right > width + 0.5 && getComputedStyle(e).position !== "static");
		out.push("the document, by " + (root.scrollWidth - root.clientWidth) + "px" + (far.length ? ", through " + far.slice(0, 3).map(name).join(", ") : ""));
	}
	return out;
})()`

// scriptsJS counts the page's scripts other than /static/proofcheck.js and
// JSON data.
const scriptsJS = `[...document.scripts].filter(s => s.type !== "application/json" && s.getAttribute("src") !== "/static/proofcheck.js").length`

// CheckReflow opens url at each of Widths, the narrow one as a mobile
// browser with JavaScript switched off, and checks that the document is
// no wider than the viewport (scrollWidth - clientWidth <= 0), so that
// the page never scrolls sideways; that a table too wide for the page
// scrolls inside its own labelled, focusable region (role=region,
// aria-label, tabindex=0); and that axe-core finds no violation (axe
// itself needs JavaScript, so it runs once the overflow is measured). It
// leaves the tab at 1280 pixels with JavaScript on.
func CheckReflow(t testing.TB, ctx context.Context, axe, url, what string) {
	t.Helper()
	defer desktop(t, ctx)
	for _, w := range Widths {
		view(t, ctx, w)
		Run(t, ctx, chromedp.Navigate(url))
		checkWidth(t, ctx, what, w)
		script(t, ctx, true)
		CheckAxe(t, ctx, axe, fmt.Sprintf("%s at %d px", what, w))
	}
}

// CheckReflowHere checks the page already open, such as the answer to a
// form, at 320 CSS pixels as CheckReflow does (without reloading it, so
// nothing is sent twice), and leaves the tab at 1280 pixels.
func CheckReflowHere(t testing.TB, ctx context.Context, axe, what string) {
	t.Helper()
	defer desktop(t, ctx)
	phoneView(t, ctx, Widths[0])
	checkWidth(t, ctx, what, Widths[0])
	CheckAxe(t, ctx, axe, fmt.Sprintf("%s at %d px", what, Widths[0]))
}

// view sets the tab to w CSS pixels: under 1000 a phone with JavaScript
// off (from the next page on), else the desktop with JavaScript on.
func view(t testing.TB, ctx context.Context, w int64) {
	t.Helper()
	if w < 1000 {
		phoneView(t, ctx, w)
		script(t, ctx, false)
	} else {
		desktop(t, ctx)
	}
}

// phoneView sets the tab to a mobile browser w CSS pixels wide.
func phoneView(t testing.TB, ctx context.Context, w int64) {
	t.Helper()
	Run(t, ctx, chromedp.EmulateViewport(w, 640, chromedp.EmulatePortrait, chromedp.EmulateMobile))
}

func desktop(t testing.TB, ctx context.Context) {
	t.Helper()
	Run(t, ctx, chromedp.EmulateViewport(1280, 900))
	script(t, ctx, true)
}

// script switches the page's JavaScript on or off, from the next page on.
func script(t testing.TB, ctx context.Context, on bool) {
	t.Helper()
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: !on}); err != nil {
		t.Fatalf("switch JavaScript (on: %v): %v", on, err)
	}
}

func checkWidth(t testing.TB, ctx context.Context, what string, w int64) {
	t.Helper()
	if got := Eval[int64](t, ctx, `document.documentElement.clientWidth`); got != w {
		t.Fatalf("%s: the viewport is %d pixels wide, want %d", what, got, w)
	}
	// No inline script (the CSP allows none) and no script from elsewhere:
	// the pages work without JavaScript. The one exception is the proof
	// page's check in the browser (docs/witnessing.md §5), a static file
	// of the portal's own with its data in a JSON element, which adds to
	// the page and replaces nothing.
	if n := Eval[int](t, ctx, scriptsJS); n != 0 {
		t.Errorf("%s: %d script elements; the pages work without JavaScript and carry none but /static/proofcheck.js", what, n)
	}
	if over := Eval[[]string](t, ctx, overflowJS); len(over) > 0 {
		t.Errorf("%s at %d px scrolls sideways: %s", what, w, strings.Join(over, "; "))
	}
	// Nor is text squeezed into a column a few letters wide, which a
	// grid that keeps two columns on a phone does (one letter a line).
	if narrow := Eval[[]string](t, ctx, squeezedJS); len(narrow) > 0 {
		t.Errorf("%s at %d px squeezes text into a narrow column: %s", what, w, strings.Join(narrow, "; "))
	}
}

// CheckMenu checks the main menu of the page at url. At 1280 pixels its
// links show in a row and its button does not. At 320, as a phone with
// JavaScript off, it is one closed button ("Menu") that Enter opens, the
// next Tab reaching the first link; and the keyboard walk of
// CheckKeyboard holds there too.
func CheckMenu(t testing.TB, ctx context.Context, url string) {
	t.Helper()
	defer desktop(t, ctx)
	const state = `(() => { const s = document.querySelector("nav.main summary"), a = document.querySelector("nav.main a");
		return [s.checkVisibility(), a.checkVisibility()]; })()`
	desktop(t, ctx)
	Run(t, ctx, chromedp.Navigate(url))
	if got := Eval[[]bool](t, ctx, state); !(!got[0] && got[1]) {
		t.Fatalf("%s at 1280 px: menu button shown %v, links shown %v; want the links only", url, got[0], got[1])
	}
	phoneView(t, ctx, Widths[0])
	script(t, ctx, false)
	Run(t, ctx, chromedp.Navigate(url))
	if got := Eval[[]bool](t, ctx, state); !(got[0] && !got[1]) {
		t.Fatalf("%s at %d px: menu button shown %v, links shown %v; want the closed button", url, Widths[0], got[0], got[1])
	}
	Run(t, ctx, chromedp.Focus(chromedp.CSS(`nav.main summary`)), chromedp.KeyEvent("\r"))
	if got := Eval[[]bool](t, ctx, state); !got[1] {
		t.Fatalf("%s at %d px: Enter on the menu button did not show the links", url, Widths[0])
	}
	Run(t, ctx, chromedp.KeyEvent("\t"))
	if got, want := Eval[string](t, ctx, `document.activeElement.outerHTML`), Eval[string](t, ctx, `document.querySelector("nav.main a").outerHTML`); got != want {
		t.Fatalf("%s at %d px: Tab after opening the menu went to %.80s, want %.80s", url, Widths[0], got, want)
	}
	CheckKeyboard(t, ctx, url)
}

// Screenshot writes full-page PNGs of the open page to dir, one for each
// of Widths: name-320.png as a phone (mobile emulation) and
// name-1280.png as a desktop. It leaves the tab at 1280 pixels.
func Screenshot(t testing.TB, ctx context.Context, dir, name string) {
	t.Helper()
	defer desktop(t, ctx)
	for _, w := range Widths {
		if w < 1000 {
			phoneView(t, ctx, w)
		} else {
			desktop(t, ctx)
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot of %s at %d px: %v", name, w, err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%d.png", name, w)), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// CheckKeyboardWidths runs CheckKeyboard's walk on the page at url at
// each of Widths, the narrow one as a phone with JavaScript off (the
// menu closed, its button a Tab stop), and leaves the tab at 1280 pixels.
func CheckKeyboardWidths(t testing.TB, ctx context.Context, url string) {
	t.Helper()
	defer desktop(t, ctx)
	for _, w := range Widths {
		view(t, ctx, w)
		CheckKeyboard(t, ctx, url)
	}
}

// squeezedJS lists text blocks (paragraphs, list items, cells, dl
// values) with more than 12 characters of text that are laid out under
// 4em wide: one word a line at best, one letter a line at worst.
const squeezedJS = `[...document.querySelectorAll("p, li, dd, td, th, h1, h2, h3, h4, label, legend, caption")]
	.filter(e => e.checkVisibility() && e.textContent.trim().length > 12 && e.closest(".visually-hidden, .table-wrap") === null)
	.filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.width < 4 * parseFloat(getComputedStyle(e).fontSize); })
	.slice(0, 5)
	.map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + " " + Math.round(e.getBoundingClientRect().width) + "px: " + e.textContent.trim().slice(0, 30))`
