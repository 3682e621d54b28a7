// SPDX-License-Identifier: Apache-2.0

package portal_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/omadata/omadata/internal/web/webui/browsertest"
)

// TestBrowserGDPR checks every processing's public page and the
// operator's own notice in every language at 320 and 1280 CSS pixels (no
// sideways scrolling, axe-core at both widths) and by keyboard.
func TestBrowserGDPR(t *testing.T) {
	ctx, axe := browsertest.New(t)
	e := newEnv(t, time.Time{})
	paths := []string{"/privacy"}
	for _, code := range []string{"ece-placement-on-move", "reading-recommendations", "wellbeing-indicators"} {
		paths = append(paths, "/catalogue/"+e.processingByCode(t, code))
	}
	for _, lang := range []string{"fi", "sv", "en"} {
		for _, path := range paths {
			browsertest.Run(t, ctx, chromedp.Navigate(e.url+"/"+lang+path))
			browsertest.CheckLang(t, ctx, lang)
			browsertest.CheckReflow(t, ctx, axe, e.url+"/"+lang+path, lang+path)
		}
	}
	t.Run("keyboard", func(t *testing.T) {
		for _, lang := range []string{"fi", "sv", "en"} {
			for _, path := range paths {
				browsertest.CheckKeyboardWidths(t, ctx, e.url+"/"+lang+path)
			}
		}
	})
}
