// SPDX-License-Identifier: Apache-2.0

package portal_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

var screenshots = flag.String("screenshots", "", "write screenshots of the main pages in every language to this directory")

// TestScreenshots writes full-page PNGs of the main pages in fi, sv and en,
// signed in as the demo guardian with one consent given:
//
//	go test ./internal/web/portal -run TestScreenshots -screenshots=DIR
//
// Without -screenshots it does nothing.
func TestScreenshots(t *testing.T) {
	if *screenshots == "" {
		t.Skip("give -screenshots=DIR to write screenshots")
	}
	if err := os.MkdirAll(*screenshots, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, _ := newBrowser(t)
	e := newEnv(t, time.Time{})
	proc := e.recommendations(t)
	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(*screenshots, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, lang := range []string{"fi", "sv", "en"} {
		for _, p := range []struct{ name, path string }{{"home", "/"}, {"catalogue", "/catalogue"}, {"ai-systems", "/ai-systems"}} {
			run(t, ctx, chromedp.Navigate(e.url+"/"+lang+p.path))
			shot(lang + "-" + p.name)
		}
	}
	run(t, ctx, chromedp.Navigate(e.url+"/en/login?next=/en/consents"))
	waitLocation(t, ctx, "/demo-idp/authorize")
	shot("en-demo-provider")
	run(t, ctx, chromedp.Click(chromedp.CSS(`button[data-person=matti]`)))
	waitLocation(t, ctx, "/en/consents")
	run(t, ctx, chromedp.Navigate(e.url+"/en/processings/"+proc), chromedp.Click(chromedp.CSS(`#give`)))
	waitLocation(t, ctx, "done=given")
	consent := strings.TrimPrefix(strings.SplitN(location(t, ctx), "?", 2)[0], "/en")
	e.decide(t, e.resident(t, mattiCode).ID) // a permit for "who used my data", with its proof
	e.integrate(t)
	run(t, ctx, chromedp.Navigate(e.url+"/en/usage"), chromedp.Click(chromedp.CSS(`#usage a[href*="/usage/proof"]`)))
	waitLocation(t, ctx, "/usage/proof?index=")
	proof := strings.TrimPrefix(location(t, ctx), "/en")
	run(t, ctx, chromedp.Navigate(e.url+"/en/requests"), chromedp.Click(chromedp.CSS(`#request-access`)))
	waitLocation(t, ctx, "done=request-access")
	for _, lang := range []string{"fi", "sv", "en"} {
		for _, p := range []struct{ name, path string }{
			{"home-signed-in", "/"}, {"my-data", "/my-data"}, {"consents", "/consents"},
			{"notice", "/processings/" + proc}, {"consent", consent}, {"acting-for", "/acting-for"},
			{"usage", "/usage"}, {"proof", proof}, {"requests", "/requests"}, {"erasure", "/requests/erasure"},
		} {
			run(t, ctx, chromedp.Navigate(e.url+"/"+lang+p.path))
			shot(lang + "-" + p.name)
		}
	}
	// Acting for a child, and a form error.
	run(t, ctx, chromedp.Navigate(e.url+"/en/acting-for"), chromedp.Click(chromedp.Search(`//button[contains(., "Act for Emma Korhonen")]`)))
	waitLocation(t, ctx, "done=acting")
	shot("en-acting-consents")
	run(t, ctx, chromedp.Navigate(e.url+"/en/processings/"+proc))
	eval[bool](t, ctx, `(() => { const i = document.querySelector("#valid_until"); i.type = "text"; i.value = "31.2.2027"; return true; })()`)
	run(t, ctx, chromedp.Click(chromedp.CSS(`#give`)))
	waitLocation(t, ctx, "/give")
	shot("en-form-error")
	run(t, ctx, chromedp.Navigate(e.url+"/en/requests"), chromedp.Click(chromedp.CSS(`#request-rectification`)),
		chromedp.WaitVisible(chromedp.CSS(`#rect-details-error`)))
	shot("en-request-error")
	t.Logf("screenshots in %s", *screenshots)
}
