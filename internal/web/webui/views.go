// SPDX-License-Identifier: Apache-2.0

package webui

import (
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"

	"github.com/omadata/omadata"
)

// ParseViews parses, per language, templates/layout.html of fsys with each
// named page (templates/{name}.html), under that language's funcs; the
// result is keyed "{lang}/{name}". A template file that no name names is
// an error, so that a page cannot be left behind unserved.
func ParseViews(fsys fs.FS, names []string, funcs func(lang string) template.FuncMap) (map[string]*template.Template, error) {
	files, err := fs.Glob(fsys, "templates/*.html")
	if err != nil {
		return nil, err
	}
	known := map[string]bool{"layout": true}
	for _, n := range names {
		known[n] = true
	}
	for _, f := range files {
		if n := strings.TrimSuffix(strings.TrimPrefix(f, "templates/"), ".html"); !known[n] {
			return nil, fmt.Errorf("template %s belongs to no page", f)
		}
	}
	out := map[string]*template.Template{}
	for _, lang := range omadata.Languages {
		base, err := template.New("layout").Funcs(funcs(lang)).ParseFS(fsys, "templates/layout.html")
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			t, err := template.Must(base.Clone()).ParseFS(fsys, "templates/"+n+".html")
			if err != nil {
				return nil, fmt.Errorf("template %s: %w", n, err)
			}
			out[lang+"/"+n] = t
		}
	}
	return out, nil
}

// SetPageHeaders sets the security headers of every portal and console
// page: never cached, no script, no framing, no third-party anything.
func SetPageHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
}

// ErrorPage is the status and the message key ("error.…") of the page that
// shows err: not found for ENOTFOUND (also for what the viewer may not
// see), forbidden, login needed, conflict for ECONFLICT and EINVALID that
// no form field took, else 500, whose cause the caller logs.
func ErrorPage(err error) (status int, key string) {
	switch omadata.ErrorCode(err) {
	case omadata.ENOTFOUND:
		return http.StatusNotFound, "error.not-found"
	case omadata.EFORBIDDEN:
		return http.StatusForbidden, "error.forbidden"
	case omadata.EUNAUTHORIZED:
		return http.StatusUnauthorized, "error.login-needed"
	case omadata.ECONFLICT, omadata.EINVALID:
		return http.StatusConflict, "error.conflict"
	}
	return http.StatusInternalServerError, "error.internal"
}
