// SPDX-License-Identifier: Apache-2.0

package portal_test

import (
	"context"
	"html"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
)

// gdprArticleItems are the items of GDPR Art 13(1)-(2) and 14(1)-(2)
// every processing's public page and notice, and the operator's own
// notice, carry, each marked with its data-gdpr attribute.
var gdprArticleItems = []string{
	"13-1-a", "13-1-b", "13-1-c", "13-1-d", "13-1-e", "13-1-f",
	"13-2-a", "13-2-b", "13-2-c", "13-2-d", "13-2-e", "13-2-f",
	"14-1-a", "14-1-b", "14-1-c", "14-1-d", "14-1-e", "14-1-f",
	"14-2-a", "14-2-b", "14-2-c", "14-2-d", "14-2-e", "14-2-f", "14-2-g",
}

var (
	gdprItemRE = regexp.MustCompile(`(?s)<dd data-gdpr="([0-9a-z -]+)">(.*?)</dd>`)
	tagRE      = regexp.MustCompile(`<[^>]+>`)
)

// gdprItemsOn returns the text of each item on a page, by item.
func gdprItemsOn(body string) map[string]string {
	out := map[string]string{}
	for _, m := range gdprItemRE.FindAllStringSubmatch(body, -1) {
		text := strings.TrimSpace(html.UnescapeString(tagRE.ReplaceAllString(m[2], " ")))
		for _, id := range strings.Fields(m[1]) {
			out[id] += text
		}
	}
	return out
}

// checkGDPRItems fails unless the page carries every item with text, and
// each of want (item → text) within its item.
func checkGDPRItems(t *testing.T, where string, p page, want map[string][]string) {
	t.Helper()
	if p.status != 200 {
		t.Fatalf("%s: got %d", where, p.status)
	}
	items := gdprItemsOn(p.body)
	for _, id := range gdprArticleItems {
		if items[id] == "" {
			t.Errorf("%s: no text for GDPR item %s", where, id)
		}
	}
	for id, subs := range want {
		for _, s := range subs {
			if !strings.Contains(items[id], s) {
				t.Errorf("%s: item %s lacks %q: %q", where, id, s, items[id])
			}
		}
	}
}

// TestGDPRItems reads every processing's public page and notice, and the
// operator's own notice, in fi, sv and en, and finds each item of Art 13
// and 14 from the catalogue's fields.
func TestGDPRItems(t *testing.T) {
	e := newEnv(t, time.Time{})
	entries, _, err := e.store.FindCatalogue(omadata.NewContextWithCaller(context.Background(), omadata.Caller{}), omadata.CatalogueFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < 3 {
		t.Fatalf("got %d demo processings, want several", len(entries))
	}
	public := e.client(t)
	signedIn := e.client(t)
	signedIn.login("en", "aino")
	authority := map[string]string{"fi": "Tietosuojavaltuutetun toimisto", "sv": "Dataombudsmannens byrå", "en": "Office of the Data Protection Ombudsman"}
	addressIn := map[string]string{"fi": "osoite", "sv": "adress", "en": "address"}
	sawAI, sawStatute, sawAddress := false, false, false
	for _, en := range entries {
		for _, lang := range omadata.Languages {
			want := map[string][]string{
				"13-1-a": {en.Controller.Name.In(lang), en.Controller.Email},
				"13-1-b": {en.Controller.DPO.Email},
				"13-1-c": {en.Purpose.Name.In(lang)},
				"13-2-d": {authority[lang], "https://tietosuoja.fi"},
				"14-1-d": {en.DataGroups[0].Name.In(lang), omadata.PersonalDataCategoryName(en.DataGroups[0].PersonalDataCategories[0], lang)},
				"14-2-f": {en.DataGroups[0].Source.Organisation.Name.In(lang)},
			}
			if en.LegalBasisNote != "" {
				want["13-1-c"] = append(want["13-1-c"], html.UnescapeString(en.LegalBasisNote))
				sawStatute = true
			}
			if en.LegalBasis == omadata.BasisLegitimateInterest {
				want["13-1-d"] = []string{en.LegitimateInterest.In(lang)}
			}
			// The demo fills in every field: no page falls back to the
			// text that follows from the basis.
			if en.ProvisionRequirement == "" || en.ProvisionConsequence.In(lang) == "" {
				t.Errorf("%s: demo processing states no provision requirement in %s", en.ProcessingID, lang)
			}
			want["13-2-e"] = []string{en.ProvisionConsequence.In(lang)}
			if en.AutomatedDecisions {
				want["13-2-f"] = []string{en.AutomatedDecisionLogic.In(lang)}
			}
			for _, a := range en.AISystems {
				want["13-2-f"] = append(want["13-2-f"], a.Name.In(lang))
				sawAI = true
			}
			for _, tr := range en.Transfers {
				want["13-1-f"] = append(want["13-1-f"], tr.Country)
			}
			// Residents read the categories' names, not DPV codes.
			for _, g := range en.DataGroups {
				for _, code := range g.PersonalDataCategories {
					if code == "pd:Address" {
						want["14-1-d"] = append(want["14-1-d"], addressIn[lang])
						sawAddress = true
					}
				}
			}
			for where, p := range map[string]page{
				lang + " public page of " + en.ProcessingID: public.get("/" + lang + "/catalogue/" + en.ProcessingID),
				lang + " notice of " + en.ProcessingID:      signedIn.get("/" + lang + "/processings/" + en.ProcessingID),
			} {
				checkGDPRItems(t, where, p, want)
				if items := gdprItemsOn(p.body); strings.Contains(items["14-1-d"], "pd:") {
					t.Errorf("%s: categories shown as codes: %q", where, items["14-1-d"])
				}
			}
		}
	}
	if !sawAI || !sawStatute || !sawAddress {
		t.Errorf("the demo shows no linked AI system (%v), statute (%v) or pd:Address (%v)", sawAI, sawStatute, sawAddress)
	}
	for _, lang := range omadata.Languages {
		checkGDPRItems(t, lang+" operator notice", public.get("/"+lang+"/privacy"), map[string][]string{
			"13-1-a": {"Test City", "0201256-6", "mydata@example.fi"},
			"13-1-b": {"dpo@example.fi"},
			"13-2-d": {authority[lang]},
		})
	}
	cat := public.get("/en/catalogue")
	if !strings.Contains(cat.body, `href="/en/catalogue/`+entries[0].ProcessingID+`"`) || !strings.Contains(cat.body, `href="/en/privacy"`) {
		t.Error("the catalogue links neither each processing's page nor the operator's notice")
	}
}

// processingByCode returns the ID of the published demo processing with
// code.
func (e *env) processingByCode(t *testing.T, code string) string {
	t.Helper()
	list, _, err := e.store.FindProcessings(omadata.NewContextWithCaller(context.Background(), omadata.Caller{Kind: omadata.CallerAdmin}), omadata.ProcessingFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range list {
		if p.Code == code {
			return p.ID
		}
	}
	t.Fatalf("no processing %s", code)
	return ""
}
