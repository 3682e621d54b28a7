// SPDX-License-Identifier: Apache-2.0

package admin_test

import (
	"flag"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/omadata/omadata/internal/web/webui/browsertest"
)

var screenshots = flag.String("screenshots", "", "write screenshots of every console page in every language, at 320 and 1280 CSS pixels, to this directory")

// TestScreenshots writes full-page PNGs of every console page in fi, sv
// and en, at a phone's 320 CSS pixels and a desktop's 1280
// (admin-LANG-PAGE-320.png, admin-LANG-PAGE-1280.png), as the operator
// admin, plus an organisation admin's services and a form error:
//
//	go test ./internal/web/admin -run TestScreenshots -screenshots=DIR
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
	objection := e.objection(t)
	svc := e.demo.TokenServiceID
	shot := func(name string) {
		t.Helper()
		browsertest.Screenshot(t, ctx, *screenshots, "admin-"+name)
	}
	signIn := func(person string) {
		t.Helper()
		browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/admin/en/login"))
		browsertest.WaitLocation(t, ctx, "/demo-idp/authorize")
		browsertest.Run(t, ctx, chromedp.Click(chromedp.CSS(`button[data-person=`+person+`]`)))
		browsertest.WaitLocation(t, ctx, "/admin/en/")
	}
	for _, lang := range []string{"fi", "sv", "en"} {
		browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/admin/"+lang+"/"))
		shot(lang + "-signed-out")
	}
	signIn("olli")
	for _, lang := range []string{"fi", "sv", "en"} {
		for _, p := range []struct{ name, path string }{
			{"home", "/"}, {"organisations", "/organisations"}, {"services", "/services"}, {"service", "/services/" + svc}, {"service-source", "/services/" + e.demo.IDs["service/helsinki-residents"]},
			{"data-groups", "/data-groups"}, {"processings", "/processings"}, {"processing", "/processings/" + proc},
			{"deliveries", "/deliveries"}, {"deliveries-delivered", "/deliveries?status=delivered"}, {"requests", "/requests"}, {"request", "/requests/" + objection},
			{"log", "/log"}, {"staff", "/staff"}, {"preview", "/processings/" + proc + "/versions/1/preview/" + lang}, {"not-found", "/no-such-page"},
		} {
			browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/admin/"+lang+p.path))
			shot(lang + "-" + p.name)
		}
	}
	browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/admin/en/data-groups"), chromedp.SetValue(chromedp.CSS(`#code`), "Lainat!"),
		chromedp.Click(chromedp.CSS(`#create-data-group`)), chromedp.WaitVisible(chromedp.CSS(`#code-error`)))
	shot("en-form-error")
	browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/admin/en/"), chromedp.Click(chromedp.CSS(`header form button`)))
	browsertest.WaitLocation(t, ctx, "done=logged-out")
	signIn("helmi")
	browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/admin/en/services"))
	shot("en-organisation-admin-services")
	t.Logf("screenshots in %s", *screenshots)
}
