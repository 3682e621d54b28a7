// SPDX-License-Identifier: Apache-2.0

package portal

import (
	"bytes"
	"context"
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/web/ratelimit"
	"github.com/omadata/omadata/internal/web/webui"
)

// req is what a page handler gets besides the request: its language and
// the signed-in viewer, if any.
type req struct {
	Lang string
	Path string // the path after the language, for the language switcher
	V    *viewer
}

// pageFunc is a page action. It writes the page or returns an error that
// the adapter renders as an error page in the request's language.
type pageFunc func(w http.ResponseWriter, r *http.Request, q *req) error

// Access levels of a route.
const (
	public   = iota // anyone
	resident        // a signed-in resident; others are sent to login
)

// crossOrigin refuses unsafe cross-origin requests by the browser's
// Sec-Fetch-Site and Origin headers; the form token is a second check.
var crossOrigin = http.NewCrossOriginProtection()

// handle wraps a page action: security headers, the viewer, the login
// requirement, and for unsafe methods the cross-origin check and the CSRF
// form token.
func (p *Portal) handle(lang string, access int, f pageFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		webui.SetPageHeaders(w)
		v, ctx, err := p.loadViewer(w, r)
		if err != nil {
			p.fail(w, r, lang, err)
			return
		}
		r = r.WithContext(context.WithValue(ctx, viewerKey{}, v)) // error pages show who is signed in
		q := &req{Lang: lang, Path: strings.TrimPrefix(r.URL.Path, "/"+lang), V: v}
		if access == resident && v == nil {
			if r.Method != http.MethodGet {
				p.renderError(w, r, lang, http.StatusUnauthorized, "error.login-needed")
				return
			}
			http.Redirect(w, r, "/"+lang+"/login?"+url.Values{"next": {r.URL.RequestURI()}}.Encode(), http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost {
			if err := crossOrigin.Check(r); err != nil {
				p.renderError(w, r, lang, http.StatusForbidden, "error.csrf")
				return
			}
			if status, key := webui.ParseForm(r); status != 0 {
				p.renderError(w, r, lang, status, key)
				return
			}
			if v == nil || subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(v.CSRF)) != 1 {
				p.renderError(w, r, lang, http.StatusForbidden, "error.csrf")
				return
			}
		} else {
			p.rememberLanguage(w, r, lang)
		}
		if v != nil && v.Lapsed != "" {
			// The person chosen is no longer represented: the choice is
			// cleared, and the request is refused rather than run for the
			// viewer. Signing out and choosing anew still work.
			p.ck.Set(w, actingCookie, "", -1)
			if !(r.Method == http.MethodPost && (q.Path == "/logout" || q.Path == "/acting-for")) {
				p.renderError(w, r, lang, http.StatusForbidden, "error.acting-ended")
				return
			}
			v.Lapsed = ""
		}
		if err := f(w, r, q); err != nil {
			p.fail(w, r, lang, err)
		}
	})
}

// rememberLanguage keeps the language of the pages a resident reads, for
// the next visit to "/".
func (p *Portal) rememberLanguage(w http.ResponseWriter, r *http.Request, lang string) {
	if c, err := r.Cookie(langCookie); err != nil || c.Value != lang {
		p.ck.Set(w, langCookie, lang, 365*24*time.Hour)
	}
}

// fail renders an error as a page: not found for ENOTFOUND (the same for a
// record the resident may not see), forbidden, conflict, else a 500 whose
// cause goes to the log only.
func (p *Portal) fail(w http.ResponseWriter, r *http.Request, lang string, err error) {
	status, key := webui.ErrorPage(err)
	if ra := ratelimit.RetryAfterSeconds(err); ra != "" {
		w.Header().Set("Retry-After", ra)
	}
	if status == http.StatusInternalServerError {
		p.log.ErrorContext(r.Context(), "portal page failed", "path", r.URL.Path, "request_id", omadata.RequestIDFromContext(r.Context()), "error", err.Error())
	}
	p.renderError(w, r, lang, status, key)
}

func (p *Portal) renderError(w http.ResponseWriter, r *http.Request, lang string, status int, key string) {
	v, _ := r.Context().Value(viewerKey{}).(*viewer)
	p.render(w, r, &req{Lang: lang, Path: "/", V: v}, status, "error", msg(lang, "error.title"), map[string]string{"Message": msg(lang, key)})
}

// viewerKey carries the signed-in viewer in a page request's context,
// for its error page's header and acting-for banner.
type viewerKey struct{}

// notFound answers, for any method, a path that no page has, as a page in
// lang with the signed-in header, not the API's JSON. It changes nothing,
// so it needs no form token.
func (p *Portal) notFound(lang string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		webui.SetPageHeaders(w)
		v, ctx, err := p.loadViewer(w, r)
		if err != nil {
			p.fail(w, r, lang, err)
			return
		}
		p.renderError(w, r.WithContext(context.WithValue(ctx, viewerKey{}, v)), lang, http.StatusNotFound, "error.not-found")
	})
}

// NotFound answers a path outside the portal's languages, such as
// /consents, that a browser asks for: the not-found page of notFound in
// the language "/" would send the resident to (frontLanguage), with the
// signed-in header. The server mounts it for unknown paths (web.Options).
func (p *Portal) NotFound() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Accept-Language, Cookie")
		p.notFound(p.frontLanguage(r)).ServeHTTP(w, r)
	})
}

// page is what the layout gets.
type page struct {
	Lang      string
	Path      string
	Title     string
	Nav       []navItem
	Languages []langLink
	V         *viewer
	Done      string // the message of a finished action, from ?done=
	Data      any
	Errors    map[string]string // per form field, in the page's language
}

type langLink struct{ Lang, Name, Href string }

// render executes a page into a buffer, then writes it, so a template
// error is a clean 500 rather than half a page.
func (p *Portal) render(w http.ResponseWriter, r *http.Request, q *req, status int, name, title string, data any) {
	p.renderForm(w, r, q, status, name, title, data, nil)
}

func (p *Portal) renderForm(w http.ResponseWriter, r *http.Request, q *req, status int, name, title string, data any, errs map[string]string) {
	pg := &page{Lang: q.Lang, Path: q.Path, Title: title, Nav: p.nav(q), V: q.V, Data: data, Errors: errs}
	for _, l := range omadata.Languages {
		pg.Languages = append(pg.Languages, langLink{l, languageNames[l], "/" + l + q.Path})
	}
	if d := r.URL.Query().Get("done"); d != "" {
		if _, ok := messages["done."+d]; ok {
			pg.Done = msg(q.Lang, "done."+d)
		}
	}
	var b bytes.Buffer
	if err := p.views[q.Lang+"/"+name].ExecuteTemplate(&b, "layout", pg); err != nil {
		p.log.ErrorContext(r.Context(), "portal template failed", "page", name, "error", err.Error())
		http.Error(w, "Internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}
