// SPDX-License-Identifier: Apache-2.0

package portal_test

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/omadata/omadata/internal/web/webui/browsertest"
)

// TestBrowserProofCheck: in real headless Chromium, /static/proofcheck.js
// checks a real proof of an entry in a checkpoint cosigned by two real
// witnesses with Web Crypto (inclusion proof, the log's signature, each
// cosignature, keys from the operator itself: no network) and agrees with
// the server; the same page served with one hash of the proof changed
// (the test server's seam) makes the browser's check fail and say that it
// disagrees with the server. Without JavaScript the page says how to
// check by hand. The page passes axe-core at phone and desktop widths in
// every language.
func TestBrowserProofCheck(t *testing.T) {
	ctx, axe := browsertest.New(t)
	var tamper atomic.Bool
	e := newProviderEnv(t, time.Time{}, nil, nil, withWitnesses(t, -1, tamper.Load, espoo, turku))
	c := e.client(t)
	c.login("en", "matti")
	c.give("en", e.recommendations(t))
	matti := e.resident(t, mattiCode)
	e.decide(t, matti.ID)
	e.decide(t, matti.ID)
	e.integrate(t)
	e.collect(t)

	browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/en/"), chromedp.Click(chromedp.CSS(`header a.button`)))
	browsertest.WaitLocation(t, ctx, "/demo-idp/authorize")
	browsertest.Run(t, ctx, chromedp.Click(chromedp.CSS(`button[data-person=matti]`)))
	browsertest.WaitLocation(t, ctx, "/en/consents")
	proofs := c.usageProofs("en")
	if len(proofs) == 0 {
		t.Fatal("no proof link")
	}
	proof := e.url + proofs[0]

	// result waits for the script's verdict on the page at url.
	result := func(t *testing.T, url string) (res, agrees string) {
		t.Helper()
		browsertest.Run(t, ctx, chromedp.Navigate(url))
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			res = browsertest.Eval[string](t, ctx, `document.getElementById("browser-check").getAttribute("data-result") || ""`)
			if res != "" {
				break
			}
		}
		agrees = browsertest.Eval[string](t, ctx, `document.getElementById("browser-check").getAttribute("data-agrees") || ""`)
		return res, agrees
	}

	t.Run("real proof", func(t *testing.T) {
		res, agrees := result(t, proof)
		if res != "ok" || agrees != "true" {
			t.Fatalf("the browser's check: %q, agrees %q: %s", res, agrees, browsertest.Text(t, ctx, "#browser-check"))
		}
		if s := browsertest.Text(t, ctx, "#browser-witnesses"); !strings.Contains(s, "espoo.example/witness") || !strings.Contains(s, "turku.example/witness") {
			t.Errorf("witnesses the browser checked: %q", s)
		}
		if s := browsertest.Text(t, ctx, "#browser-keys"); !strings.Contains(s, "The keys come from the operator itself") {
			t.Errorf("where the keys come from: %q", s)
		}
		if s := browsertest.Text(t, ctx, "#browser-agreement"); s != "Your browser's result agrees with the server's." {
			t.Errorf("agreement: %q", s)
		}
	})
	t.Run("one hash changed", func(t *testing.T) {
		tamper.Store(true)
		defer tamper.Store(false)
		res, agrees := result(t, proof)
		if res != "failed" || agrees != "false" {
			t.Fatalf("the browser's check of a changed proof: %q, agrees %q", res, agrees)
		}
		if s := browsertest.Text(t, ctx, "#browser-result"); !strings.HasPrefix(s, "Your browser's check failed:") || !strings.Contains(s, "inclusion proof") {
			t.Errorf("the failure: %q", s)
		}
		if s := browsertest.Text(t, ctx, "#browser-agreement"); !strings.Contains(s, "differs from the server's") {
			t.Errorf("agreement: %q", s)
		}
	})
	t.Run("without JavaScript", func(t *testing.T) {
		scripts(t, ctx, false)
		defer scripts(t, ctx, true)
		browsertest.Run(t, ctx, chromedp.Navigate(proof))
		if s := browsertest.Text(t, ctx, "#proof-by-hand"); !strings.Contains(s, "by hand") {
			t.Errorf("no way by hand: %q", s)
		}
		if hidden := browsertest.Eval[bool](t, ctx, `document.getElementById("browser-check").hidden`); !hidden {
			t.Errorf("the browser check shows without JavaScript")
		}
	})
	for _, lang := range []string{"fi", "sv", "en"} {
		browsertest.CheckReflow(t, ctx, axe, strings.Replace(proof, "/en/", "/"+lang+"/", 1), lang+" proof")
	}
}
