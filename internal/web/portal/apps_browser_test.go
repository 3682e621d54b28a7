// SPDX-License-Identifier: Apache-2.0

package portal_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/web/webui/browsertest"
)

// TestBrowserApps drives Chromium through connecting a resident's own
// app: the consent screen's login, the screen in every language at 320
// and 1280 CSS pixels with axe-core and by keyboard, Deny and Allow by
// keyboard reaching the app's loopback redirect URI (the page's CSP lets
// the form's redirect go there), and the connected apps page with its
// Disconnect, whose confirmation takes the focus.
func TestBrowserApps(t *testing.T) {
	ctx, axe := browsertest.New(t)
	e := newEnv(t, time.Time{})
	a := e.app(t, omadata.AppScopeRead, omadata.AppScopeWrite)
	got := make(chan url.Values, 4)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/callback" {
			http.NotFound(w, r) // such as the browser's /favicon.ico
			return
		}
		got <- r.URL.Query()
		io.WriteString(w, `<!DOCTYPE html><html lang="en"><title>App</title><p id="app">Back in the app.</p></html>`)
	}))
	defer app.Close()
	path := func(lang string) string {
		return e.url + "/" + lang + authorizePath(a, func(v url.Values) { v.Set("redirect_uri", app.URL+"/callback"); v.Set("scope", "me:read me:write") })
	}
	atApp := func(what string) url.Values {
		t.Helper()
		select {
		case q := <-got:
			browsertest.WaitLocation(t, ctx, "/callback?")
			return q
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: the app got nothing; the browser is at %s", what, browsertest.Location(t, ctx))
			return nil
		}
	}

	// Signed out, the consent screen sends the resident to sign in first.
	browsertest.Run(t, ctx, chromedp.Navigate(path("en")))
	browsertest.WaitLocation(t, ctx, "/demo-idp/authorize")
	browsertest.Run(t, ctx, chromedp.Click(chromedp.CSS(`button[data-person=matti]`)))
	browsertest.WaitLocation(t, ctx, "/en/oauth/authorize?")

	for _, lang := range []string{"fi", "sv", "en"} {
		browsertest.Run(t, ctx, chromedp.Navigate(path(lang)))
		browsertest.CheckLang(t, ctx, lang)
		browsertest.CheckReflow(t, ctx, axe, path(lang), lang+" consent screen")
	}
	t.Run("keyboard on the consent screen", func(t *testing.T) {
		for _, lang := range []string{"fi", "sv", "en"} {
			browsertest.CheckKeyboardWidths(t, ctx, path(lang))
		}
	})

	browsertest.Run(t, ctx, chromedp.Navigate(path("en")), chromedp.Focus(chromedp.CSS(`#deny`)), chromedp.KeyEvent("\r"))
	if q := atApp("deny"); q.Get("error") != "access_denied" || q.Get("state") != "state-1" || q.Get("iss") != e.url {
		t.Fatalf("deny: the app got %v", q)
	}
	browsertest.Run(t, ctx, chromedp.Navigate(path("en")), chromedp.Focus(chromedp.CSS(`#allow`)), chromedp.KeyEvent("\r"))
	if q := atApp("allow"); q.Get("code") == "" || q.Get("state") != "state-1" || q.Get("iss") != e.url {
		t.Fatalf("allow: the app got %v", q)
	}

	for _, lang := range []string{"fi", "sv", "en"} {
		browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/"+lang+"/apps"))
		browsertest.CheckLang(t, ctx, lang)
		browsertest.CheckReflow(t, ctx, axe, e.url+"/"+lang+"/apps", lang+" connected apps")
	}
	t.Run("keyboard on connected apps", func(t *testing.T) {
		for _, lang := range []string{"fi", "sv", "en"} {
			browsertest.CheckKeyboardWidths(t, ctx, e.url+"/"+lang+"/apps")
		}
	})
	browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/en/apps"), chromedp.Focus(chromedp.CSS(`#apps button.danger`)), chromedp.KeyEvent("\r"))
	browsertest.WaitLocation(t, ctx, "done=app-disconnected")
	var focus string
	for deadline := time.Now().Add(3 * time.Second); focus != "done" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		focus = browsertest.Eval[string](t, ctx, `document.activeElement ? document.activeElement.id : ""`)
	}
	if focus != "done" {
		t.Errorf("after disconnect the focus is on #%s, want the confirmation", focus)
	}
	browsertest.CheckReflowHere(t, ctx, axe, "en disconnected")
	if n := len(e.connections(t, e.resident(t, mattiCode).ID)); n != 0 {
		t.Errorf("%d connections after disconnect", n)
	}
}
