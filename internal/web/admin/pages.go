// SPDX-License-Identifier: Apache-2.0

package admin

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

// navPage is an entry of the console's page registry and navigation.
type navPage struct {
	Name      string // template; the title is the message "page.<Name>"
	Path      string // after the language
	Oversight bool   // only for those who see the whole operator
}

var navPages = []navPage{
	{"home", "/", false},
	{"organisations", "/organisations", true},
	{"services", "/services", false},
	{"datagroups", "/data-groups", false},
	{"processings", "/processings", false},
	{"deliveries", "/deliveries", false},
	{"requests", "/requests", true},
	{"log", "/log", false},
	{"witness", "/witness", true},
	{"staff", "/staff", true},
}

// views are the templates besides the navigation pages.
var views = []string{"service", "processing", "preview", "request", "timeliness", "error", "organisation", "datagroup"}

type navItem struct {
	Href, Label string
	Current     bool
}

func nav(q *req) []navItem {
	if q.V == nil {
		return nil
	}
	var out []navItem
	for _, np := range navPages {
		if np.Oversight && !q.V.Oversees() {
			continue
		}
		cur := q.Path == np.Path || np.Path != "/" && strings.HasPrefix(q.Path, np.Path+"/")
		out = append(out, navItem{Prefix + "/" + q.Lang + np.Path, msg(q.Lang, "page."+np.Name), cur})
	}
	return out
}

// Routes returns the console's routes under /admin/{lang}.
func (a *Admin) Routes() []Route {
	type rt struct {
		method, path string
		access       int
		f            pageFunc
	}
	pages := []rt{
		{"GET", "/{$}", public, a.home},
		{"GET", "/login", public, a.login},
		{"POST", "/logout", staff, a.logout},
		{"GET", "/organisations", oversight, a.organisations},
		{"POST", "/organisations", operatorOnly, a.createOrganisation},
		{"GET", "/organisations/{id}", oversight, a.organisation},
		{"POST", "/organisations/{id}", operatorOnly, a.updateOrganisation},
		{"GET", "/services", staff, a.services},
		{"POST", "/services", operatorOnly, a.createService},
		{"GET", "/services/{id}", staff, a.service},
		{"POST", "/services/{id}", writer, a.updateService},
		{"POST", "/services/{id}/status", operatorOnly, a.setServiceStatus},
		{"POST", "/services/{id}/credentials", writer, a.createCredential},
		{"POST", "/services/{id}/credentials/{cid}/revoke", writer, a.revokeCredential},
		{"POST", "/services/{id}/representation-kinds", operatorOnly, a.setRecorderKinds},
		{"GET", "/data-groups", staff, a.dataGroups},
		{"POST", "/data-groups", writer, a.createDataGroup},
		{"GET", "/data-groups/{id}", staff, a.dataGroup},
		{"POST", "/data-groups/{id}", writer, a.updateDataGroup},
		{"GET", "/processings", staff, a.processings},
		{"GET", "/processings/{id}", staff, a.processing},
		{"POST", "/processings/{id}/versions", writer, a.createVersion},
		{"POST", "/processings/{id}/versions/{v}/notices/{nl}", writer, a.putNotice},
		{"POST", "/processings/{id}/versions/{v}/transparency", writer, a.saveTransparency},
		{"GET", "/processings/{id}/versions/{v}/preview/{nl}", staff, a.preview},
		{"POST", "/processings/{id}/versions/{v}/publish", writer, a.publish},
		{"POST", "/processings/{id}/versions/{v}/approve", approvers, a.approve},
		{"GET", "/deliveries", staff, a.deliveries},
		{"POST", "/deliveries/{id}/redeliver", writer, a.redeliver},
		{"GET", "/requests", oversight, a.requests},
		{"GET", "/requests/timeliness", oversight, a.timeliness},
		{"GET", "/requests/{id}", oversight, a.request},
		{"POST", "/requests/{id}/resolve", operatorOnly, a.resolveRequest},
		{"POST", "/requests/{id}/extend", operatorOnly, a.extendRequest},
		{"GET", "/log", staff, a.logPage},
		{"GET", "/witness", oversight, a.witnessPage},
		{"POST", "/witness/forks/{id}/resolve", operatorOnly, a.resolveFork},
		{"GET", "/staff", oversight, a.staff},
		{"POST", "/staff", operatorOnly, a.addStaff},
		{"POST", "/staff/{id}/remove", operatorOnly, a.removeStaff},
	}
	var out []Route
	for _, lang := range omadata.Languages {
		for _, pg := range pages {
			out = append(out, Route{pg.method + " " + Prefix + "/" + lang + pg.path, a.handle(lang, pg.access, pg.f)})
		}
		out = append(out, Route{Prefix + "/" + lang + "/", a.notFound(lang)}) // any other path under the language
	}
	return append(out,
		Route{"GET " + Prefix + "/{$}", http.RedirectHandler(Prefix+"/fi/", http.StatusSeeOther)},
		Route{Prefix + "/", a.notFound(omadata.Languages[0])}, // a path without a language, in the one /admin/ goes to
		Route{"GET " + CallbackPath, http.HandlerFunc(a.callback)},
		Route{"GET " + Prefix + "/static/{file}", http.HandlerFunc(serveStatic)},
	)
}

// stylesheet is the console's own additions to the portal's stylesheet.
var stylesheet = func() string {
	b, err := staticFS.ReadFile("static/admin.css")
	if err != nil {
		panic(err)
	}
	sum := sha256.Sum256(b)
	return Prefix + "/static/admin." + hex.EncodeToString(sum[:6]) + ".css"
}()

func serveStatic(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != stylesheet {
		http.NotFound(w, r)
		return
	}
	b, _ := staticFS.ReadFile("static/admin.css")
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(b)
}

func funcs(lang string) template.FuncMap {
	return template.FuncMap{
		"t":          func(key string) string { return msg(lang, key) },
		"tf":         func(key string, args ...any) string { return msgf(lang, key, args...) },
		"text":       func(t omadata.Text) string { return t.In(lang) },
		"date":       func(t time.Time) string { return webui.FormatDate(lang, t) },
		"datetime":   func(t time.Time) string { return webui.FormatDateTime(lang, t) },
		"number":     func(n int64) string { return webui.FormatNumber(lang, n) },
		"status":     func(s string) string { return msg(lang, "status."+s) },
		"role":       func(s string) string { return msg(lang, "role."+s) },
		"langname":   func(l string) string { return languageNames[l] },
		"adminstyle": func() string { return stylesheet },
		"deref":      func(t *time.Time) time.Time { return *t },
		"join":       func(s []string) string { return strings.Join(s, ", ") },
		"svcroles":   func() []string { return []string{omadata.RoleSource, omadata.RoleSink} },
		"int64":      func(n int) int64 { return int64(n) },
		"growth":     func(now, before int64) int64 { return now - before },
		"repkinds": func(kinds []string) string {
			names := make([]string, len(kinds))
			for i, k := range kinds {
				names[i] = msg(lang, "repkind."+k)
			}
			return strings.Join(names, ", ")
		},
		"field":     func(f *form, name, label, hint string) fieldView { return newField(f, name, label, hint, "text") },
		"area":      func(f *form, name, label, hint string) fieldView { return newField(f, name, label, hint, "textarea") },
		"email":     func(f *form, name, label, hint string) fieldView { return newField(f, name, label, hint, "email") },
		"datefield": func(f *form, name, label, hint string) fieldView { return newField(f, name, label, hint, "date") },
		// The GDPR Art 13 and 14 form of a draft (transparency.go).
		"list":       func(s ...string) []string { return s },
		"langs":      func() []string { return omadata.Languages },
		"provisions": func() []string { return omadata.ProvisionRequirements },
	}
}

// fieldView is one labelled input of a form, with its hint and error; the
// "field" template renders it.
type fieldView struct {
	Name, Label, Hint, Err, Value, Type, Lang string
}

// Described is the input's aria-describedby: its error and hint.
func (f fieldView) Described() string {
	var ids []string
	if f.Err != "" {
		ids = append(ids, f.Name+"-error")
	}
	if f.Hint != "" {
		ids = append(ids, f.Name+"-hint")
	}
	return strings.Join(ids, " ")
}

func newField(f *form, name, label, hint, typ string) fieldView {
	v := fieldView{Name: name, Label: label, Hint: hint, Err: f.Err(name), Value: f.Get(name), Type: typ}
	for _, l := range omadata.Languages {
		if strings.HasSuffix(name, "-"+l) {
			v.Lang = l
		}
	}
	return v
}

// parseViews parses, per language, the layout with each page and view.
func parseViews() (map[string]*template.Template, error) {
	names := append([]string(nil), views...)
	for _, np := range navPages {
		names = append(names, np.Name)
	}
	v, err := webui.ParseViews(templateFS, names, funcs)
	if err != nil {
		return nil, fmt.Errorf("admin: %w", err)
	}
	return v, nil
}
