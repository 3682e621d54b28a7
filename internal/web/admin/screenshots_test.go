// SPDX-License-Identifier: Apache-2.0

package admin_test

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/omadata/omadata/internal/web/webui/browsertest"
)

var phone = flag.Bool("phone", false, "with -screenshots: take them at a phone's width, 360 CSS pixels, as a mobile browser")

var screenshots = flag.String("screenshots", "", "write screenshots of the console's main pages in every language to this directory")

// TestScreenshots writes full-page PNGs of the console's main pages in fi,
// sv and en, as the operator admin, plus an organisation admin's services
// and a form error:
//
//	go test ./internal/web/admin -run TestScreenshots -screenshots=DIR
//
// Without -screenshots it does nothing.
func TestScreenshots(t *testing.T) {
	if *screenshots == "" {
		t.Skip("give -screenshots=DIR to write screenshots")
	}
	if err := os.MkdirAll(*screenshots, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, _ := browsertest.New(t)
	prefix := ""
	if *phone {
		prefix = "phone-"
		browsertest.Run(t, ctx, chromedp.EmulateViewport(360, 740, chromedp.EmulatePortrait, chromedp.EmulateMobile))
	}
	e := newEnv(t, time.Time{})
	proc := e.recommendations(t)
	objection := e.objection(t)
	svc := e.demo.TokenServiceID
	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(*screenshots, prefix+"admin-"+name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	signIn := func(person string) {
		t.Helper()
		browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/admin/en/login"))
		browsertest.WaitLocation(t, ctx, "/demo-idp/authorize")
		browsertest.Run(t, ctx, chromedp.Click(chromedp.CSS(`button[data-person=`+person+`]`)))
		browsertest.WaitLocation(t, ctx, "/admin/en/")
	}
	browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/admin/en/"))
	shot("en-signed-out")
	signIn("olli")
	for _, lang := range []string{"fi", "sv", "en"} {
		for _, p := range []struct{ name, path string }{
			{"home", "/"}, {"organisations", "/organisations"}, {"services", "/services"}, {"service", "/services/" + svc}, {"service-source", "/services/" + e.demo.IDs["service/helsinki-residents"]},
			{"data-groups", "/data-groups"}, {"processings", "/processings"}, {"processing", "/processings/" + proc},
			{"deliveries", "/deliveries"}, {"requests", "/requests"}, {"request", "/requests/" + objection}, {"log", "/log"}, {"staff", "/staff"},
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
