// SPDX-License-Identifier: Apache-2.0

package portal_test

import (
	"context"
	"flag"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/web/webui/browsertest"
)

var screenshots = flag.String("screenshots", "", "write screenshots of every page in every language, at 320 and 1280 CSS pixels, to this directory")

// TestScreenshots writes full-page PNGs of every page in fi, sv and en, at
// a phone's 320 CSS pixels and a desktop's 1280 (LANG-PAGE-320.png,
// LANG-PAGE-1280.png), signed out, signed in as the demo guardian with one
// consent given, acting for his child, and with form errors:
//
//	go test ./internal/web/portal -run TestScreenshots -screenshots=DIR
//
// Without -screenshots it does nothing; with it, it fails (never skips)
// without Chromium or axe-core.
func TestScreenshots(t *testing.T) {
	if *screenshots == "" {
		t.Skip("give -screenshots=DIR to write screenshots")
	}
	ctx, _ := browsertest.MustNew(t)
	if err := os.MkdirAll(*screenshots, 0o755); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, time.Time{})
	proc := e.recommendations(t)
	shot := func(name string) {
		t.Helper()
		browsertest.Screenshot(t, ctx, *screenshots, name)
	}
	for _, lang := range []string{"fi", "sv", "en"} {
		for _, p := range []struct{ name, path string }{{"home", "/"}, {"catalogue", "/catalogue"}, {"ai-systems", "/ai-systems"}, {"entry", "/catalogue/" + proc}, {"privacy", "/privacy"}, {"not-found", "/no-such-page"}} {
			browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/"+lang+p.path))
			shot(lang + "-" + p.name)
		}
	}
	browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/en/login?next=/en/consents"))
	browsertest.WaitLocation(t, ctx, "/demo-idp/authorize")
	shot("en-demo-provider")
	browsertest.Run(t, ctx, chromedp.Click(chromedp.CSS(`button[data-person=matti]`)))
	browsertest.WaitLocation(t, ctx, "/en/consents")
	browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/en/processings/"+proc), chromedp.Click(chromedp.CSS(`#give`)))
	browsertest.WaitLocation(t, ctx, "done=given")
	consent := strings.TrimPrefix(strings.SplitN(browsertest.Location(t, ctx), "?", 2)[0], "/en")
	e.decide(t, e.resident(t, mattiCode).ID) // a permit for "who used my data", with its proof
	e.integrate(t)
	browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/en/usage"), chromedp.Click(chromedp.CSS(`#usage a[href*="/usage/proof"]`)))
	browsertest.WaitLocation(t, ctx, "/usage/proof?index=")
	proof := strings.TrimPrefix(browsertest.Location(t, ctx), "/en")
	browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/en/requests"), chromedp.Click(chromedp.CSS(`#request-access`)))
	browsertest.WaitLocation(t, ctx, "done=request-access")
	app := e.app(t, omadata.AppScopeRead, omadata.AppScopeWrite) // a connected app, and the consent screen of another request
	authorize := authorizePath(app, func(v url.Values) { v.Set("scope", "me:read me:write") })
	self := omadata.NewContextWithCaller(context.Background(), omadata.Caller{Kind: omadata.CallerResident, ResidentID: e.resident(t, mattiCode).ID, Channel: omadata.ChannelPortal})
	if _, err := e.store.CreateAuthorizationCode(self, &omadata.AuthorizationRequest{AppID: app.ID, RedirectURI: "http://127.0.0.1/callback",
		Scopes: []string{omadata.AppScopeRead}, CodeChallenge: codeChallenge}); err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"fi", "sv", "en"} {
		for _, p := range []struct{ name, path string }{
			{"home-signed-in", "/"}, {"my-data", "/my-data"}, {"consents", "/consents"},
			{"notice", "/processings/" + proc}, {"consent", consent}, {"acting-for", "/acting-for"},
			{"usage", "/usage"}, {"proof", proof}, {"requests", "/requests"}, {"erasure", "/requests/erasure"}, {"not-found-signed-in", "/no-such-page"},
			{"apps", "/apps"}, {"authorize", authorize},
		} {
			browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/"+lang+p.path))
			shot(lang + "-" + p.name)
		}
	}
	// Acting for a child, and a form error.
	browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/en/acting-for"), chromedp.Click(chromedp.Search(`//button[contains(., "Act for Emma Korhonen")]`)))
	browsertest.WaitLocation(t, ctx, "done=acting")
	for _, lang := range []string{"fi", "sv", "en"} {
		for _, p := range []string{"consents", "my-data", "usage", "requests"} {
			browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/"+lang+"/"+p))
			shot(lang + "-acting-" + p)
		}
	}
	browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/en/processings/"+proc))
	browsertest.Eval[bool](t, ctx, `(() => { const i = document.querySelector("#valid_until"); i.type = "text"; i.value = "31.2.2027"; return true; })()`)
	browsertest.Run(t, ctx, chromedp.Click(chromedp.CSS(`#give`)))
	browsertest.WaitLocation(t, ctx, "/give")
	shot("en-form-error")
	browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/en/requests"), chromedp.Click(chromedp.CSS(`#request-rectification`)),
		chromedp.WaitVisible(chromedp.CSS(`#rect-details-error`)))
	shot("en-request-error")
	t.Logf("screenshots in %s", *screenshots)
}
