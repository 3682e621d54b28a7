// SPDX-License-Identifier: Apache-2.0

package portal

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/web/webui"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// navPage is an entry of the page registry: a page in the navigation. Add
// a page here (with its message key "page.<name>") and it shows in every
// language's navigation; later surfaces such as "Who used my data" and "My
// requests" plug in the same way.
type navPage struct {
	Name  string // template name; the title is the message "page.<Name>"
	Path  string // after the language
	Login bool   // only for signed-in residents
}

var navPages = []navPage{
	{"home", "/", false},
	{"mydata", "/my-data", true},
	{"consents", "/consents", true},
	{"usage", "/usage", true},
	{"requests", "/requests", true},
	{"apps", "/apps", true},
	{"acting", "/acting-for", true},
	{"catalogue", "/catalogue", false},
	{"aisystems", "/ai-systems", false},
}

// views lists every template besides the navigation pages; parseViews
// fails on a template file that is in neither list.
var views = []string{"notice", "consent", "proof", "erasure", "error", "entry", "privacy", "authorize"}

type navItem struct {
	Href, Label string
	Current     bool
}

func (p *Portal) nav(q *req) []navItem {
	var out []navItem
	for _, np := range navPages {
		if np.Login && q.V == nil || np.Name == "apps" && p.o.Apps == nil {
			continue
		}
		cur := q.Path == np.Path || np.Path != "/" && strings.HasPrefix(q.Path, np.Path+"/")
		if np.Name == "consents" && strings.HasPrefix(q.Path, "/processings/") {
			cur = true
		}
		out = append(out, navItem{"/" + q.Lang + np.Path, msg(q.Lang, "page."+np.Name), cur})
	}
	return out
}

// Routes returns the portal's routes, each language's under its prefix.
func (p *Portal) Routes() []Route {
	type rt struct {
		method, path string
		access       int
		f            pageFunc
	}
	pages := []rt{
		{"GET", "/{$}", public, p.home},
		{"GET", "/catalogue", public, p.catalogue},
		{"GET", "/catalogue/{id}", public, p.entry},
		{"GET", "/privacy", public, p.privacy},
		{"GET", "/ai-systems", public, p.aiSystems},
		{"GET", "/login", public, p.login},
		{"POST", "/logout", resident, p.logout},
		{"GET", "/my-data", resident, p.myData},
		{"GET", "/my-data/{id}/csv", resident, p.ownDataCSV},
		{"GET", "/consents", resident, p.consents},
		{"GET", "/consents/{id}", resident, p.consent},
		{"POST", "/consents/{id}/withdraw", resident, p.withdraw},
		{"GET", "/consents/{id}/receipts/{seq}", resident, p.receipt},
		{"GET", "/processings/{id}", resident, p.notice},
		{"POST", "/processings/{id}/give", resident, p.give},
		{"POST", "/processings/{id}/refuse", resident, p.refuse},
		{"GET", "/usage", resident, p.usage},
		{"GET", "/usage/proof", resident, p.proof},
		{"GET", "/requests", resident, p.requests},
		{"POST", "/requests", resident, p.createRequest},
		{"GET", "/requests/erasure", resident, p.erasure},
		{"POST", "/requests/erasure", resident, p.erase},
		{"POST", "/requests/{id}/export", resident, p.export},
		{"POST", "/requests/{id}/lift", resident, p.lift},
		{"GET", "/acting-for", resident, p.acting},
		{"POST", "/acting-for", resident, p.actFor},
		{"POST", "/acting-for/mandates", resident, p.grantMandate},
		{"POST", "/acting-for/mandates/{id}/end", resident, p.endMandate},
		{"POST", "/consents/{id}/suspend", resident, p.suspend},
		{"POST", "/consents/{id}/resume", resident, p.resume},
	}
	if p.o.Archives != nil {
		pages = append(pages, rt{"GET", "/my-data/archive", resident, p.archive})
	}
	if p.o.Apps != nil {
		pages = append(pages,
			rt{"GET", "/apps", resident, p.apps},
			rt{"POST", "/apps/{id}/disconnect", resident, p.disconnectApp},
			rt{"GET", AuthorizePath, public, p.authorize},
			rt{"POST", AuthorizePath, resident, p.decideAuthorization},
		)
	}
	var out []Route
	for _, lang := range omadata.Languages {
		for _, pg := range pages {
			out = append(out, Route{pg.method + " /" + lang + pg.path, p.handle(lang, pg.access, pg.f)})
		}
		out = append(out, Route{"/" + lang + "/", p.notFound(lang)}) // any other path under the language
	}
	out = append(out,
		Route{"GET /{$}", http.HandlerFunc(p.root)},
		Route{"GET " + CallbackPath, http.HandlerFunc(p.callback)},
		Route{"GET /static/{file}", http.HandlerFunc(serveStatic)},
	)
	if p.o.Apps != nil {
		out = append(out, Route{"GET " + AuthorizePath, http.HandlerFunc(p.authorizeLanguage)})
	}
	return out
}

// root sends "/" to the resident's language (frontLanguage).
func (p *Portal) root(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Vary", "Accept-Language, Cookie")
	http.Redirect(w, r, "/"+p.frontLanguage(r)+"/", http.StatusSeeOther)
}

// frontLanguage is the language of a page with none in its path: the
// remembered one, else the first the browser prefers, else Finnish.
func (p *Portal) frontLanguage(r *http.Request) string {
	if c, err := r.Cookie(langCookie); err == nil && omadata.ValidLanguage(c.Value) {
		return c.Value
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		base, _, _ := strings.Cut(strings.ToLower(tag), "-")
		if omadata.ValidLanguage(base) {
			return base
		}
	}
	return "fi"
}

// stylesheet is the embedded stylesheet's URL, with a checksum in it so
// that it can be cached for ever.
var stylesheet = func() string {
	b, err := staticFS.ReadFile("static/portal.css")
	if err != nil {
		panic(err)
	}
	sum := sha256.Sum256(b)
	return "/static/portal." + hex.EncodeToString(sum[:6]) + ".css"
}()

// proofScript is the proof page's check in the browser
// (docs/witnessing.md §5): plain JavaScript, no build step.
const proofScript = "/static/proofcheck.js"

func serveStatic(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == proofScript {
		b, _ := staticFS.ReadFile("static/proofcheck.js")
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Write(b)
		return
	}
	if r.URL.Path != stylesheet {
		http.NotFound(w, r)
		return
	}
	b, _ := staticFS.ReadFile("static/portal.css")
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(b)
}

// funcs are the template functions of one language.
func funcs(lang string) template.FuncMap {
	return template.FuncMap{
		"t":          func(key string) string { return msg(lang, key) },
		"tf":         func(key string, args ...any) string { return msgf(lang, key, args...) },
		"text":       func(t omadata.Text) string { return text(lang, t) },
		"date":       func(t time.Time) string { return webui.FormatDate(lang, t) },
		"datetime":   func(t time.Time) string { return webui.FormatDateTime(lang, t) },
		"num":        func(n int) string { return webui.FormatNumber(lang, int64(n)) },
		"num64":      func(n int64) string { return webui.FormatNumber(lang, n) },
		"basis":      func(code string) string { return msg(lang, legalBasisKey(code)) },
		"status":     func(s string) string { return msg(lang, "status."+s) },
		"period":     func(s string) string { return formatPeriod(lang, s) },
		"stylesheet": func() string { return stylesheet },
		"deref":      func(t *time.Time) time.Time { return *t },
		"join":       func(s []string) string { return strings.Join(s, ", ") },
		"until":      chosenEnd,
		"list":       func(v ...any) []any { return v },
		"tablerow":   tableRow,
		"isodate":    func(s string) string { return isoDate(lang, s) },
		"ground":     func(s string) string { return ground(lang, s) },
	}
}

// parseViews parses, per language, the layout with each page and view.
func parseViews() (map[string]*template.Template, error) {
	names := append([]string(nil), views...)
	for _, np := range navPages {
		names = append(names, np.Name)
	}
	v, err := webui.ParseViews(templateFS, names, funcs)
	if err != nil {
		return nil, fmt.Errorf("portal: %w", err)
	}
	return v, nil
}

// formatPeriod writes an ISO 8601 period such as P1Y6M in words.
func formatPeriod(lang, s string) string {
	rest, ok := strings.CutPrefix(s, "P")
	if !ok {
		return s
	}
	var parts []string
	for _, unit := range []struct{ c, key string }{{"Y", "years"}, {"M", "months"}, {"W", "weeks"}, {"D", "days"}} {
		i := strings.Index(rest, unit.c)
		if i < 0 {
			continue
		}
		var n int
		if _, err := fmt.Sscan(rest[:i], &n); err != nil {
			return s
		}
		rest = rest[i+1:]
		key := "period." + unit.key
		if n == 1 {
			key += ".one"
		}
		parts = append(parts, msgf(lang, key, n))
	}
	if rest != "" || len(parts) == 0 {
		return s
	}
	return strings.Join(parts, " ")
}
