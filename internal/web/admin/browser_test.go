// SPDX-License-Identifier: Apache-2.0

package admin_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/omadata/omadata/internal/web/webui/browsertest"
)

// TestBrowser drives real headless Chromium: an operator admin signs in
// to the console, starts an incompatible version of a processing by
// keyboard, previews and publishes it; a resident with a consent on it then
// signs in to the portal and finds it under consents needing renewal.
// axe-core runs on every console page in every language, signed out, as
// the admin, with a form error, and as the auditor.
func TestBrowser(t *testing.T) {
	ctx, axe := browsertest.New(t)
	e := newEnv(t, time.Time{})
	proc := e.recommendations(t)
	e.giveConsent(t, proc)
	objection := e.objection(t)
	svc := e.demo.TokenServiceID

	// Signed out: the console's front page.
	for _, lang := range []string{"fi", "sv", "en"} {
		browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/admin/"+lang+"/"))
		browsertest.CheckLang(t, ctx, lang)
		browsertest.CheckAxe(t, ctx, axe, lang+" signed out")
	}

	// Sign in through the provider's page, which offers the demo staff.
	browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/admin/en/"), chromedp.Click(chromedp.CSS(`main a.button`)))
	browsertest.WaitLocation(t, ctx, "/demo-idp/authorize")
	browsertest.CheckAxe(t, ctx, axe, "demo provider, staff")
	browsertest.Run(t, ctx, chromedp.Click(chromedp.CSS(`button[data-person=olli]`)))
	browsertest.WaitLocation(t, ctx, "/admin/en/")
	if s := browsertest.Text(t, ctx, ".who span"); s != "Signed in as Olli Ylläpitäjä (operator admin)" {
		t.Fatalf("header says %q", s)
	}

	t.Run("keyboard", func(t *testing.T) {
		for _, path := range []string{"/processings/" + proc, "/organisations", "/services/" + svc, "/data-groups", "/requests/" + objection, "/staff"} {
			browsertest.CheckKeyboard(t, ctx, e.url+"/admin/en"+path)
		}
	})

	// Forms sent empty: the errors by their fields, in every language.
	for _, lang := range []string{"fi", "sv", "en"} {
		for _, f := range []struct{ path, button, err string }{
			{"/organisations", "#create-organisation", "#kind-error"},
			{"/services/" + svc, "#create-credential", "#scopes-error"},
			{"/data-groups", "#create-data-group", "#service_id-error"},
			{"/requests/" + objection, "#resolve", "#status-error"},
			{"/staff", "#add-staff", "#identity_code-error"},
		} {
			browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/admin/"+lang+f.path), chromedp.Click(chromedp.CSS(f.button)),
				chromedp.WaitVisible(chromedp.CSS(f.err)))
			browsertest.CheckLang(t, ctx, lang)
			browsertest.CheckAxe(t, ctx, axe, lang+f.path+" form error")
		}
	}
	// A credential made: its token shown once.
	browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/admin/en/services/"+svc), chromedp.SetValue(chromedp.CSS(`#name`), "staging"),
		chromedp.Click(chromedp.CSS(`#scope-4`)), chromedp.Click(chromedp.CSS(`#create-credential`)), chromedp.WaitVisible(chromedp.CSS(`#token`)))
	if tok := browsertest.Eval[string](t, ctx, `document.querySelector("#token").value`); !strings.HasPrefix(tok, "oma_svc_") {
		t.Fatalf("token shown: %q", tok)
	}
	browsertest.CheckAxe(t, ctx, axe, "credential created")

	// A new version without a choice: the error by the field.
	for _, lang := range []string{"fi", "sv", "en"} {
		browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/admin/"+lang+"/processings/"+proc), chromedp.Click(chromedp.CSS(`#new-version`)))
		browsertest.WaitLocation(t, ctx, "/versions")
		browsertest.Run(t, ctx, chromedp.WaitVisible(chromedp.CSS(`#compatible-error`)))
		browsertest.CheckLang(t, ctx, lang)
		browsertest.CheckAxe(t, ctx, axe, lang+" form error")
	}

	// By keyboard: choose "not compatible" and start the version.
	browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/admin/en/processings/"+proc),
		chromedp.Focus(chromedp.CSS(`#compatible-no`)), chromedp.KeyEvent(" "),
		chromedp.Focus(chromedp.CSS(`#new-version`)), chromedp.KeyEvent("\r"))
	browsertest.WaitLocation(t, ctx, "done=version-created")
	// Edit the English notice, preview it, publish.
	browsertest.Run(t, ctx, chromedp.SetValue(chromedp.CSS(`#title-en`), "Book recommendations, version 2"),
		chromedp.Click(chromedp.CSS(`#notice-en button[type=submit]`)))
	browsertest.WaitLocation(t, ctx, "done=notice-saved")
	draft := e.processing(t, proc).Latest()
	for _, lang := range []string{"fi", "sv", "en"} {
		for _, nl := range []string{"fi", "sv", "en"} {
			browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/admin/"+lang+"/processings/"+proc+"/versions/"+strconv.Itoa(draft.Version)+"/preview/"+nl))
			if got := browsertest.Eval[string](t, ctx, `document.querySelector(".notice-text").lang`); got != nl {
				t.Fatalf("preview in %s has lang %q", nl, got)
			}
			browsertest.CheckAxe(t, ctx, axe, lang+" preview "+nl)
		}
		browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/admin/"+lang+"/processings/"+proc))
		browsertest.CheckAxe(t, ctx, axe, lang+" draft")
	}
	browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/admin/en/processings/"+proc), chromedp.Click(chromedp.CSS(`#publish`)))
	browsertest.WaitLocation(t, ctx, "done=published")
	if got := e.processing(t, proc).Latest(); got.Status != "published" || got.Compatible {
		t.Fatalf("after publish the latest version is %s, compatible %v", got.Status, got.Compatible)
	}

	// Every console page in every language, as the operator admin.
	pages := []string{"/", "/organisations", "/services", "/services/" + svc, "/data-groups", "/processings", "/processings/" + proc,
		"/deliveries", "/deliveries?status=delivered", "/requests", "/requests/" + objection, "/log", "/staff"}
	for _, lang := range []string{"fi", "sv", "en"} {
		for _, path := range pages {
			browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/admin/"+lang+path))
			browsertest.CheckLang(t, ctx, lang)
			browsertest.CheckAxe(t, ctx, axe, lang+path)
		}
	}

	// The resident is asked to renew.
	browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/en/login?next=/en/consents"))
	browsertest.WaitLocation(t, ctx, "/demo-idp/authorize")
	browsertest.Run(t, ctx, chromedp.Click(chromedp.CSS(`button[data-person=matti]`)))
	browsertest.WaitLocation(t, ctx, "/en/consents")
	renew := browsertest.Eval[string](t, ctx, `(() => { const h = [...document.querySelectorAll("h2")].find(h => h.textContent === "Consents to renew"); if (!h) return ""; let n = h.nextElementSibling; while (n && n.tagName !== "UL") n = n.nextElementSibling; return n ? n.textContent : ""; })()`)
	if !strings.Contains(renew, "Book recommendations from your loans") {
		t.Fatalf("consents needing renewal: %q", renew)
	}

	// The auditor: every page, no forms but logout.
	browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/admin/en/"), chromedp.Click(chromedp.CSS(`header form button`)))
	browsertest.WaitLocation(t, ctx, "done=logged-out")
	browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/admin/en/login"))
	browsertest.WaitLocation(t, ctx, "/demo-idp/authorize")
	browsertest.Run(t, ctx, chromedp.Click(chromedp.CSS(`button[data-person=tiina]`)))
	browsertest.WaitLocation(t, ctx, "/admin/en/")
	for _, lang := range []string{"fi", "sv", "en"} {
		for _, path := range pages {
			browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/admin/"+lang+path))
			if n := browsertest.Eval[int](t, ctx, `document.querySelectorAll("main form").length`); n != 0 {
				t.Errorf("auditor sees %d forms on %s%s", n, lang, path)
			}
			browsertest.CheckAxe(t, ctx, axe, lang+path+" auditor")
		}
	}

	// The organisation admin: their pages, with forms, in every language.
	browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/admin/en/"), chromedp.Click(chromedp.CSS(`header form button`)))
	browsertest.WaitLocation(t, ctx, "done=logged-out")
	browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/admin/en/login"))
	browsertest.WaitLocation(t, ctx, "/demo-idp/authorize")
	browsertest.Run(t, ctx, chromedp.Click(chromedp.CSS(`button[data-person=helmi]`)))
	browsertest.WaitLocation(t, ctx, "/admin/en/")
	helmet := e.demo.IDs["service/helmet"]
	for _, lang := range []string{"fi", "sv", "en"} {
		for _, path := range []string{"/", "/services", "/services/" + helmet, "/data-groups", "/processings", "/deliveries", "/log"} {
			browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/admin/"+lang+path))
			browsertest.CheckLang(t, ctx, lang)
			browsertest.CheckAxe(t, ctx, axe, lang+path+" organisation admin")
		}
	}
}
