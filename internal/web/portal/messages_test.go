// SPDX-License-Identifier: Apache-2.0

package portal

import (
	"io/fs"
	"regexp"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/glossary"
	"github.com/omadata/omadata/internal/web/webui"
)

// TestMessages checks that every text exists in all three languages and
// that every key a template names, and every key made from a code, is
// there.
func TestMessages(t *testing.T) {
	for key, m := range messages {
		for i, s := range m {
			if s == "" {
				t.Errorf("%s: missing in %s", key, omadata.Languages[i])
			}
		}
	}
	keyRE := regexp.MustCompile(`\{\{-?\s*(?:t|tf)\s+"([^"]+)"`)
	files, _ := fs.Glob(templateFS, "templates/*.html")
	for _, f := range files {
		b, _ := fs.ReadFile(templateFS, f)
		for _, m := range keyRE.FindAllStringSubmatch(string(b), -1) {
			if _, ok := messages[m[1]]; !ok {
				t.Errorf("%s: no message %q", f, m[1])
			}
		}
	}
	var keys []string
	for _, np := range navPages {
		keys = append(keys, "page."+np.Name)
	}
	for _, s := range []string{"requested", "given", "refused", "suspended", "withdrawn", "revoked", "expired"} {
		keys = append(keys, "status."+s)
	}
	for _, s := range []string{"self", "guardian", "mandate", "sink", "source", "operator", "official", "system"} {
		keys = append(keys, "actor."+s)
	}
	for _, b := range omadata.LegalBases {
		keys = append(keys, legalBasisKey(b.Code))
	}
	for _, b := range omadata.Art9Conditions {
		keys = append(keys, legalBasisKey(b.Code))
	}
	for _, s := range omadata.AIStatuses {
		keys = append(keys, "ai.status."+s)
	}
	for _, s := range omadata.AIRiskLevels {
		keys = append(keys, "ai.risk."+s)
	}
	for _, k := range keys {
		if _, ok := messages[k]; !ok {
			t.Errorf("no message %q", k)
		}
	}
}

func TestFormats(t *testing.T) {
	at := time.Date(2026, 3, 5, 12, 7, 0, 0, time.UTC) // 14.07 in Helsinki
	for _, c := range []struct{ lang, date, datetime, number, period string }{
		{"fi", "5.3.2026", "5.3.2026 klo 14.07", "1\u00a0234\u00a0567", "1 vuosi 6 kuukautta"},
		{"sv", "5.3.2026", "5.3.2026 kl. 14.07", "1\u00a0234\u00a0567", "1 år 6 månader"},
		{"en", "5 March 2026", "5 March 2026 at 14:07", "1,234,567", "1 year 6 months"},
	} {
		if got := webui.FormatDate(c.lang, at); got != c.date {
			t.Errorf("%s date: got %q, want %q", c.lang, got, c.date)
		}
		if got := webui.FormatDateTime(c.lang, at); got != c.datetime {
			t.Errorf("%s datetime: got %q, want %q", c.lang, got, c.datetime)
		}
		if got := webui.FormatNumber(c.lang, 1234567); got != c.number {
			t.Errorf("%s number: got %q, want %q", c.lang, got, c.number)
		}
		if got := formatPeriod(c.lang, "P1Y6M"); got != c.period {
			t.Errorf("%s period: got %q, want %q", c.lang, got, c.period)
		}
	}
	for _, c := range []struct {
		in   string
		ok   bool
		want string
	}{{"2027-01-31", true, "2027-01-31"}, {"31.1.2027", true, "2027-01-31"}, {"31.13.2027", false, ""}, {"tomorrow", false, ""}} {
		d, ok := parseDate(c.in)
		if ok != c.ok || ok && d.Format(time.DateOnly) != c.want {
			t.Errorf("parseDate(%q) = %v, %v", c.in, d, ok)
		}
	}
	for _, c := range []struct{ next, want string }{
		{"/fi/consents", "/fi/consents"}, {"//evil.example/fi/", "/fi/"}, {"https://evil.example/", "/fi/"}, {"/sv/consents", "/fi/"}, {"/fi/\\evil", "/fi/"},
	} {
		if got := localPath(c.next, "fi"); got != c.want {
			t.Errorf("localPath(%q) = %q, want %q", c.next, got, c.want)
		}
	}
}

// TestGlossary holds the portal's texts to docs/glossary.md: no forbidden
// variant in any language, and labels naming a concept say its term.
func TestGlossary(t *testing.T) {
	g, err := glossary.Load(glossary.Path())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range g.CheckCatalogue(messages) {
		t.Error(p)
	}
	for _, p := range g.CheckLabels(messages, map[string]string{
		"f.processing":                 "processing",
		"req.processing":               "processing",
		"f.purpose":                    "purpose",
		"basis.A6-1-e":                 "Art 6(1)(e) public task",
		"basis.A6-1-a":                 "Art 6(1)(a) consent",
		"basis.A6-1-c":                 "Art 6(1)(c) legal obligation",
		"basis.A9-2-a":                 "Art 9(2)(a) explicit consent",
		"req.kind.rectification":       "rectification",
		"req.kind.erasure":             "erasure",
		"req.kind.restriction":         "restriction of processing",
		"mydata.controller":            "controller",
		"notice.heading":               "privacy notice",
		"site.name":                    "product",
		"basis.A6-1-f":                 "Art 6(1)(f) legitimate interests",
		"basis.A9-2-g":                 "Art 9(2)(g) substantial public interest",
		"basis.A9-2-h":                 "Art 9(2)(h) health and social care",
		"basis.A9-2-j":                 "Art 9(2)(j) research and statistics",
		"usage.kind.decision.permit":   "decision",
		"usage.kind.grant.issued":      "grant (the operator's permission to a sink to fetch data once)",
		"usage.kind.transfer.recorded": "transfer (a disclosure recorded by a source)",
		"req.kind.objection":           "objection",
		"app.name":                     "resident's own app (a program the resident lets use the service for them, an OAuth client)",
		"usage.operator":               "operator (the city or company that runs omadata, docs/product.md)",
		"proof.checkpoint":             "checkpoint (the log's signed size and root hash)",
		"proof.link-policy":            "witness (cosigns a log's checkpoints, docs/witnessing.md)",
	}) {
		t.Error(p)
	}
	// The names of the personal-data categories the pages show.
	for _, code := range omadata.PersonalDataCategories() {
		for _, lang := range omadata.Languages {
			for _, p := range g.Violations(lang, omadata.PersonalDataCategoryName(code, lang)) {
				t.Errorf("%s in %s: %s", code, lang, p)
			}
		}
	}
}

// TestEmptyTables fails on a table that shows only its headings when it
// has no rows: each says there is nothing, or why it is never empty.
func TestEmptyTables(t *testing.T) {
	files, _ := fs.Glob(templateFS, "templates/*.html")
	for _, f := range files {
		b, _ := fs.ReadFile(templateFS, f)
		for _, line := range glossary.EmptyTables(string(b)) {
			t.Errorf("%s:%d: a table without {{else}} saying it is empty", f, line)
		}
	}
}
