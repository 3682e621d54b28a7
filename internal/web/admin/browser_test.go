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
// the admin, with a form error, and as the auditor. A source's designation
// to record representations is also checked at a phone's width: shown,
// refused by the field, saved by keyboard, and read by an organisation
// admin.
func TestBrowser(t *testing.T) {
	ctx, axe := browsertest.New(t)
	e := newEnv(t, time.Time{})
	proc := e.recommendations(t)
	e.giveConsent(t, proc)
	objection := e.objection(t)
	fork := e.witnessState(t)
	svc := e.demo.TokenServiceID
	registry := e.demo.IDs["service/helsinki-residents"] // a source designated to record guardianships
	org, loans := e.demo.IDs["organisation/kirjasuositus"], e.demo.IDs["data-group/library-loans"]

	// phone checks the current page at a phone's width: axe-core, and
	// nothing wider than the screen, so the page never scrolls sideways.
	phone := func(what string) {
		t.Helper()
		browsertest.Run(t, ctx, chromedp.EmulateViewport(360, 740, chromedp.EmulatePortrait, chromedp.EmulateMobile))
		if over := browsertest.Eval[int](t, ctx, `document.documentElement.scrollWidth - document.documentElement.clientWidth`); over > 0 {
			t.Errorf("%s: %d pixels wider than a 360-pixel screen", what, over)
		}
		browsertest.CheckAxe(t, ctx, axe, what+" at phone width")
		browsertest.Run(t, ctx, chromedp.EmulateViewport(1280, 900)) // the window's size, as browsertest.New opens it
	}

	// Signed out: the console's front page.
	for _, lang := range []string{"fi", "sv", "en"} {
		for _, path := range []string{"/", "/no-such-page"} {
			browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/admin/"+lang+path))
			browsertest.CheckLang(t, ctx, lang)
			browsertest.CheckReflow(t, ctx, axe, e.url+"/admin/"+lang+path, lang+path+" signed out")
			browsertest.CheckKeyboardWidths(t, ctx, e.url+"/admin/"+lang+path)
		}
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
		for _, path := range []string{"/", "/processings/" + proc, "/organisations", "/organisations/" + org, "/services/" + svc, "/services/" + registry, "/data-groups", "/data-groups/" + loans, "/requests", "/requests/timeliness", "/requests/" + objection, "/staff"} {
			browsertest.CheckKeyboard(t, ctx, e.url+"/admin/en"+path)
		}
	})
	t.Run("menu", func(t *testing.T) {
		for _, lang := range []string{"fi", "sv", "en"} {
			browsertest.CheckMenu(t, ctx, e.url+"/admin/"+lang+"/services")
		}
	})

	// Forms sent empty: the errors by their fields, in every language.
	for _, lang := range []string{"fi", "sv", "en"} {
		for _, f := range []struct{ path, button, err string }{
			{"/organisations", "#create-organisation", "#kind-error"},
			{"/services", "#create-service", "#organisation_id-error"},
			{"/services/" + svc, "#create-credential", "#scopes-error"},
			{"/data-groups", "#create-data-group", "#service_id-error"},
			{"/requests/" + objection, "#resolve", "#status-error"},
			{"/requests/" + objection, "#extend", "#months-error"},
			{"/staff", "#add-staff", "#identity_code-error"},
			{"/witness", "#resolve-" + fork, "#keep-" + fork + "-error"},
		} {
			browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/admin/"+lang+f.path), chromedp.Click(chromedp.CSS(f.button)),
				chromedp.WaitVisible(chromedp.CSS(f.err)))
			browsertest.CheckLang(t, ctx, lang)
			browsertest.CheckAxe(t, ctx, axe, lang+f.path+" form error")
			browsertest.CheckReflowHere(t, ctx, axe, lang+f.path+" form error")
		}
	}
	// A source's designation: the store's refusal of a kind it does not
	// know (as a forged form would send) by the field, in every language,
	// also at a phone's width; then mandates ticked and saved by keyboard.
	for _, lang := range []string{"fi", "sv", "en"} {
		browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/admin/"+lang+"/services/"+registry))
		phone(lang + " designation")
		browsertest.Run(t, ctx, chromedp.SetAttributeValue(chromedp.CSS(`#kind-mandate`), "value", "friend"), chromedp.Click(chromedp.CSS(`#kind-mandate`)),
			chromedp.Click(chromedp.CSS(`#save-kinds`)), chromedp.WaitVisible(chromedp.CSS(`#kinds-error`)))
		browsertest.CheckLang(t, ctx, lang)
		browsertest.CheckAxe(t, ctx, axe, lang+" designation error")
		phone(lang + " designation error")
	}
	browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/admin/en/services/"+registry),
		chromedp.Focus(chromedp.CSS(`#kind-mandate`)), chromedp.KeyEvent(" "),
		chromedp.Focus(chromedp.CSS(`#save-kinds`)), chromedp.KeyEvent("\r"))
	browsertest.WaitLocation(t, ctx, "done=representation-kinds-saved")
	if rec, err := e.store.FindRepresentationRecorder(adminCtx(), registry); err != nil || strings.Join(rec.Kinds, ",") != "guardian,mandate" {
		t.Fatalf("designation after saving by keyboard: %v %v", rec, err)
	}
	phone("en designation saved")

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
		browsertest.CheckReflowHere(t, ctx, axe, lang+" new version error")
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
			browsertest.CheckReflow(t, ctx, axe, e.url+"/admin/"+lang+"/processings/"+proc+"/versions/"+strconv.Itoa(draft.Version)+"/preview/"+nl, lang+" preview "+nl)
		}
		browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/admin/"+lang+"/processings/"+proc))
		browsertest.CheckReflow(t, ctx, axe, e.url+"/admin/"+lang+"/processings/"+proc, lang+" draft")
	}
	browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/admin/en/processings/"+proc), chromedp.Click(chromedp.CSS(`#publish`)))
	browsertest.WaitLocation(t, ctx, "done=published")
	if got := e.processing(t, proc).Latest(); got.Status != "published" || got.Compatible {
		t.Fatalf("after publish the latest version is %s, compatible %v", got.Status, got.Compatible)
	}

	// Every console page in every language, as the operator admin.
	pages := []string{"/", "/organisations", "/organisations/" + org, "/services", "/services/" + svc, "/services/" + registry, "/data-groups", "/data-groups/" + loans, "/processings", "/processings/" + proc,
		"/deliveries", "/deliveries?status=delivered", "/requests", "/requests/" + objection, "/log", "/witness", "/staff", "/no-such-page"}
	for _, lang := range []string{"fi", "sv", "en"} {
		for _, path := range pages {
			browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/admin/"+lang+path))
			browsertest.CheckLang(t, ctx, lang)
			browsertest.CheckReflow(t, ctx, axe, e.url+"/admin/"+lang+path, lang+path)
		}
	}
	t.Run("keyboard on every page", func(t *testing.T) {
		for _, lang := range []string{"fi", "sv", "en"} {
			for _, path := range pages {
				browsertest.CheckKeyboardWidths(t, ctx, e.url+"/admin/"+lang+path)
			}
		}
	})

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
			browsertest.CheckReflow(t, ctx, axe, e.url+"/admin/"+lang+path, lang+path+" auditor")
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
		for _, path := range []string{"/", "/services", "/services/" + helmet, "/services/" + registry, "/data-groups", "/data-groups/" + loans, "/processings", "/deliveries", "/log", "/staff"} {
			browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/admin/"+lang+path))
			browsertest.CheckLang(t, ctx, lang)
			browsertest.CheckReflow(t, ctx, axe, e.url+"/admin/"+lang+path, lang+path+" organisation admin")
		}
	}
	// The designation she may read, not change, at a phone's width.
	browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/admin/fi/services/"+registry))
	if n := browsertest.Eval[int](t, ctx, `document.querySelectorAll("main form").length`); n != 2 { // the service's description and endpoints, and credentials
		t.Errorf("organisation admin sees %d forms on the registry's page, want the service's and the credential form only", n)
	}
	phone("fi designation, organisation admin")
}
