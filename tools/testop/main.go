// SPDX-License-Identifier: Apache-2.0

// Command testop is an OpenID provider for omadata's tests, run as a
// process of its own: zitadel/oidc's op package (an OpenID-certified
// provider library) over the in-memory storage of its example server, with
// users, clients and a few knobs for misbehaviour read from one JSON file.
// It keeps a login session in a cookie, so a second login skips the
// password until the session ends at end_session_endpoint (RP-initiated
// logout).
//
//	testop -config op.json
//
// It listens on 127.0.0.1 only and prints its address (host:port) on
// standard output once it answers. A "{addr}" in the issuer, the redirect
// URIs or the post-logout redirect URIs stands for that address. See
// internal/oidctest, which builds and runs it.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/omadata/omadata/tools/testop/config"
)

func main() {
	path := flag.String("config", "", "the JSON configuration file")
	flag.Parse()
	if err := run(*path); err != nil {
		fmt.Fprintln(os.Stderr, "testop:", err)
		os.Exit(1)
	}
}

func run(path string) error {
	buf, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var cfg config.Config
	dec := json.NewDecoder(strings.NewReader(string(buf)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	if host, _, err := net.SplitHostPort(cfg.Listen); err != nil || host != "127.0.0.1" {
		return fmt.Errorf("listen: %q is not on 127.0.0.1", cfg.Listen)
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	expand(&cfg, addr)
	h, err := newHandler(cfg)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv := &http.Server{Handler: h}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	fmt.Println(addr)
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// expand replaces "{addr}" with the listening address.
func expand(cfg *config.Config, addr string) {
	r := strings.NewReplacer("{addr}", addr)
	cfg.Issuer = r.Replace(cfg.Issuer)
	for i := range cfg.Clients {
		c := &cfg.Clients[i]
		for j := range c.RedirectURIs {
			c.RedirectURIs[j] = r.Replace(c.RedirectURIs[j])
		}
		for j := range c.PostLogoutRedirectURIs {
			c.PostLogoutRedirectURIs[j] = r.Replace(c.PostLogoutRedirectURIs[j])
		}
	}
}

// handler is the provider, its login page and its session cookie.
type handler struct {
	cfg      config.Config
	st       *storage
	op       http.Handler
	callback func(context.Context, string) string
	issuer   func(http.Handler) http.Handler
	prefix   string // the issuer's path, without a trailing "/"
	tokens   string // the token endpoint's path
	ends     string // the end session endpoint's path
}

func newHandler(cfg config.Config) (*handler, error) {
	st := newStorage(cfg)
	pr, err := newProvider(cfg.Issuer, sha256.Sum256([]byte(cfg.Issuer)), st)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(cfg.Issuer)
	if err != nil {
		return nil, err
	}
	return &handler{
		cfg: cfg, st: st, op: pr, prefix: strings.TrimSuffix(u.Path, "/"),
		callback: opCallback(pr), issuer: issuerInterceptor(pr),
		tokens: pr.TokenEndpoint().Relative(), ends: pr.EndSessionEndpoint().Relative(),
	}, nil
}

const sessionCookie = "testop_session"

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	slog.Debug("testop", "method", r.Method, "path", r.URL.Path)
	// The provider's endpoints are under the issuer's path; the login
	// page is at the root, where the example's clients send people.
	if h.prefix != "" && strings.HasPrefix(r.URL.Path, h.prefix+"/") {
		r2 := r.Clone(r.Context())
		r2.URL.Path, r2.URL.RawPath = strings.TrimPrefix(r.URL.Path, h.prefix), ""
		r = r2
	}
	switch {
	case r.URL.Path == loginPath && r.Method == http.MethodGet:
		h.issuer(http.HandlerFunc(h.loginPage)).ServeHTTP(w, r)
	case r.URL.Path == loginPath && r.Method == http.MethodPost:
		h.issuer(http.HandlerFunc(h.loginPost)).ServeHTTP(w, r)
	case r.URL.Path == loggedOutPath:
		fmt.Fprintln(w, "signed out")
	case r.URL.Path == h.ends:
		// RP-initiated logout ends this provider's own session too.
		if c, err := r.Cookie(sessionCookie); err == nil {
			h.st.endSession(c.Value)
		}
		http.SetCookie(w, &http.Cookie{Name: sessionCookie, Path: "/", MaxAge: -1})
		h.op.ServeHTTP(w, r)
	case r.URL.Path == h.tokens && h.misbehaves():
		h.rewriteToken(w, r)
	default:
		h.op.ServeHTTP(w, r)
	}
}

var loginForm = template.Must(template.New("login").Parse(`<!doctype html>
<title>testop login</title>
{{if .Error}}<p class="error">{{.Error}}</p>{{end}}
<form method="post" action="/login/username">
<input type="hidden" name="id" value="{{.ID}}">
<label>Username <input name="username"></label>
<label>Password <input type="password" name="password"></label>
<button>Log in</button>
</form>
`))

// loginPage completes the authorization request at once for someone with
// a live session, and asks for the password otherwise.
func (h *handler) loginPage(w http.ResponseWriter, r *http.Request) {
	id := r.FormValue("authRequestID")
	if c, err := r.Cookie(sessionCookie); err == nil {
		if u, ok := h.st.sessionUser(c.Value); ok {
			if err := h.st.CheckUsernamePassword(u.Username, u.Password, id); err == nil {
				http.Redirect(w, r, h.callback(r.Context(), id), http.StatusFound)
				return
			}
		}
	}
	h.renderLogin(w, id, "")
}

func (h *handler) renderLogin(w http.ResponseWriter, id, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := loginForm.Execute(w, struct{ ID, Error string }{id, msg}); err != nil {
		slog.Error("render login", "error", err)
	}
}

func (h *handler) loginPost(w http.ResponseWriter, r *http.Request) {
	id, name := r.FormValue("id"), r.FormValue("username")
	if err := h.st.CheckUsernamePassword(name, r.FormValue("password"), id); err != nil {
		h.renderLogin(w, id, "Wrong username or password.")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: h.st.startSession(name), Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, h.callback(r.Context(), id), http.StatusFound)
}
