// SPDX-License-Identifier: Apache-2.0

package admin

import (
	"bytes"
	"context"
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/web/portal"
	"github.com/omadata/omadata/internal/web/ratelimit"
	"github.com/omadata/omadata/internal/web/webui"
)

// req is what a page action gets: the language, the path after it, and
// the signed-in staff member, if any.
type req struct {
	Lang string
	Path string
	V    *viewer
}

type pageFunc func(w http.ResponseWriter, r *http.Request, q *req) error

// Access levels of a route.
const (
	public       = iota // anyone: the front page and login
	staff               // any signed-in staff member: reading
	oversight           // operator admins and auditors: reading the whole operator
	writer              // operator and organisation admins: changes (never an auditor)
	operatorOnly        // an operator admin: the operator's own changes
	approvers           // writers and the auditor (the operator's data protection officer): approvals, the auditor's one change
)

var crossOrigin = http.NewCrossOriginProtection()

// handle wraps a page action: security headers, the viewer, the access
// level, and for POSTs the cross-origin check and the CSRF form token.
func (a *Admin) handle(lang string, access int, f pageFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		webui.SetPageHeaders(w)
		v, ctx, err := a.loadViewer(w, r)
		if err != nil {
			a.fail(w, r, lang, err)
			return
		}
		r = r.WithContext(context.WithValue(ctx, viewerKey{}, v)) // error pages show who is signed in
		q := &req{Lang: lang, Path: strings.TrimPrefix(r.URL.Path, Prefix+"/"+lang), V: v}
		if access != public && v == nil {
			if r.Method != http.MethodGet {
				a.renderError(w, r, lang, http.StatusUnauthorized, "error.login-needed")
				return
			}
			http.Redirect(w, r, Prefix+"/"+lang+"/login?"+url.Values{"next": {r.URL.RequestURI()}}.Encode(), http.StatusSeeOther)
			return
		}
		// An organisation admin does not see the whole operator: to them
		// those pages are not there.
		if v != nil && access == oversight && !v.Oversees() {
			a.renderError(w, r, lang, http.StatusNotFound, "error.not-found")
			return
		}
		if r.Method == http.MethodPost {
			if err := crossOrigin.Check(r); err != nil {
				a.renderError(w, r, lang, http.StatusForbidden, "error.csrf")
				return
			}
			if status, key := webui.ParseForm(r); status != 0 {
				a.renderError(w, r, lang, status, key)
				return
			}
			if v == nil || subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(v.CSRF)) != 1 {
				a.renderError(w, r, lang, http.StatusForbidden, "error.csrf")
				return
			}
			if (access == writer || access == operatorOnly) && !v.CanWrite() || access == approvers && !v.MayApprove() {
				a.renderError(w, r, lang, http.StatusForbidden, "error.read-only")
				return
			}
			if access == operatorOnly && !v.Operator() {
				a.renderError(w, r, lang, http.StatusForbidden, "error.forbidden")
				return
			}
		}
		if err := f(w, r, q); err != nil {
			a.fail(w, r, lang, err)
		}
	})
}

// fail renders an error as a page; the cause of a 500 goes to the log only.
func (a *Admin) fail(w http.ResponseWriter, r *http.Request, lang string, err error) {
	status, key := webui.ErrorPage(err)
	if ra := ratelimit.RetryAfterSeconds(err); ra != "" {
		w.Header().Set("Retry-After", ra)
	}
	if status == http.StatusInternalServerError {
		a.log.ErrorContext(r.Context(), "admin page failed", "path", r.URL.Path, "request_id", omadata.RequestIDFromContext(r.Context()), "error", err.Error())
	}
	a.renderError(w, r, lang, status, key)
}

func (a *Admin) renderError(w http.ResponseWriter, r *http.Request, lang string, status int, key string) {
	v, _ := r.Context().Value(viewerKey{}).(*viewer)
	a.render(w, r, &req{Lang: lang, Path: "/", V: v}, status, "error", msg(lang, "error.title"), map[string]string{"Message": msg(lang, key)}, nil)
}

// viewerKey carries the signed-in viewer in a page request's context,
// for its error page's header and acting-for banner.
type viewerKey struct{}

// notFound answers, for any method, a path that no page has, as a page in
// lang with the signed-in header, not the API's JSON. It changes nothing,
// so it needs no form token.
func (a *Admin) notFound(lang string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		webui.SetPageHeaders(w)
		v, ctx, err := a.loadViewer(w, r)
		if err != nil {
			a.fail(w, r, lang, err)
			return
		}
		a.renderError(w, r.WithContext(context.WithValue(ctx, viewerKey{}, v)), lang, http.StatusNotFound, "error.not-found")
	})
}

// page is what the layout gets.
type page struct {
	Lang       string
	Path       string
	Title      string
	Nav        []navItem
	Languages  []langLink
	V          *viewer
	Done       string
	Data       any
	Errors     map[string]string // per form field, in the page's language
	Stylesheet string
}

type langLink struct{ Lang, Name, Href string }

var languageNames = map[string]string{"fi": "Suomeksi", "sv": "På svenska", "en": "In English"}

// render executes a page into a buffer first: a template error is a clean
// 500.
func (a *Admin) render(w http.ResponseWriter, r *http.Request, q *req, status int, name, title string, data any, errs map[string]string) {
	pg := &page{Lang: q.Lang, Path: q.Path, Title: title, Nav: nav(q), V: q.V, Data: data, Errors: errs, Stylesheet: portal.StylesheetURL()}
	for _, l := range omadata.Languages {
		pg.Languages = append(pg.Languages, langLink{l, languageNames[l], Prefix + "/" + l + q.Path})
	}
	if d := r.URL.Query().Get("done"); d != "" {
		if _, ok := messages["done."+d]; ok {
			pg.Done = msg(q.Lang, "done."+d)
		}
	}
	var b bytes.Buffer
	if err := a.views[q.Lang+"/"+name].ExecuteTemplate(&b, "layout", pg); err != nil {
		a.log.ErrorContext(r.Context(), "admin template failed", "page", name, "error", err.Error())
		http.Error(w, "Internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}
