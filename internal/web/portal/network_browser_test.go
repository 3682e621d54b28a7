// SPDX-License-Identifier: Apache-2.0

package portal_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/omadata/omadata/internal/web/portal"
	"github.com/omadata/omadata/internal/web/webui/browsertest"
)

// TestBrowserNetwork: in real headless Chromium, the pages that show a
// processing of a sink registered at a peer operator (catalogue, its
// public page, the processings asking for consent, its notice with the
// peer's hash, the consent given by keyboard, and "who used my data" with
// the peer's leaf checked in its log) pass axe-core at 320 and 1280 CSS
// pixels without sideways scrolling, in Finnish, Swedish and English, and
// keyboard use at both widths.
func TestBrowserNetwork(t *testing.T) {
	ctx, axe := browsertest.New(t)
	peerLog := &storeLog{}
	e := newProviderEnv(t, time.Time{}, nil, nil, func(_ *env, o *portal.Options) { o.PeerLogs = peerLog })
	pr := newPeer(t, e, time.Now().UTC().Truncate(time.Second))
	*peerLog = storeLog{s: pr.esp.Store, origin: pr.esp.Peer.LogOrigin, vkey: logVerifierKey(t, pr.esp)}

	public := []string{"/catalogue", "/catalogue/" + pr.processing}
	for _, lang := range []string{"fi", "sv", "en"} {
		for _, path := range public {
			browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/"+lang+path))
			browsertest.CheckLang(t, ctx, lang)
			browsertest.CheckReflow(t, ctx, axe, e.url+"/"+lang+path, lang+path)
		}
	}

	browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/en/"), chromedp.Click(chromedp.CSS(`header a.button`)))
	browsertest.WaitLocation(t, ctx, "/demo-idp/authorize")
	browsertest.Run(t, ctx, chromedp.Click(chromedp.CSS(`button[data-person=matti]`)))
	browsertest.WaitLocation(t, ctx, "/en/consents")
	signedIn := []string{"/consents", "/processings/" + pr.processing}
	for _, lang := range []string{"fi", "sv", "en"} {
		for _, path := range signedIn {
			browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/"+lang+path))
			browsertest.CheckLang(t, ctx, lang)
			browsertest.CheckReflow(t, ctx, axe, e.url+"/"+lang+path, lang+path)
		}
	}
	browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/en/processings/"+pr.processing))
	if s := browsertest.Text(t, ctx, "main .operator"); s != "Registered at operator City of Espoo" {
		t.Fatalf("the notice says %q", s)
	}
	browsertest.Run(t, ctx, chromedp.Focus(chromedp.CSS(`#give`)), chromedp.KeyEvent("\r"))
	browsertest.WaitLocation(t, ctx, "done=given")
	if s := browsertest.Text(t, ctx, "#consent-status"); s != "given" {
		t.Fatalf("status after give: %q", s)
	}
	consent := strings.TrimPrefix(strings.SplitN(browsertest.Location(t, ctx), "?", 2)[0], "/en")
	pr.release(t, e)
	for _, lang := range []string{"fi", "sv", "en"} {
		for _, path := range []string{consent, "/usage"} {
			browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/"+lang+path))
			browsertest.CheckLang(t, ctx, lang)
			browsertest.CheckReflow(t, ctx, axe, e.url+"/"+lang+path, lang+path)
		}
	}
	browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/en/usage"))
	if s := browsertest.Text(t, ctx, "#usage .peer-check"); s != "Checked in City of Espoo's log too." {
		t.Fatalf("usage says %q", s)
	}
	t.Run("keyboard", func(t *testing.T) {
		for _, path := range append(append(public, signedIn...), consent, "/usage") {
			browsertest.CheckKeyboardWidths(t, ctx, e.url+"/fi"+path)
		}
	})
}
