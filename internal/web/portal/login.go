// SPDX-License-Identifier: Apache-2.0

package portal

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/web/ratelimit"
	"github.com/omadata/omadata/internal/web/webui"
)

// CallbackPath is the redirect URI of the portal at the provider, after the
// public URL. It has no language: the login cookie remembers it.
const CallbackPath = "/auth/callback"

// login sends the resident to the provider, to come back to the page
// they asked for.
func (p *Portal) login(w http.ResponseWriter, r *http.Request, q *req) error {
	if err := p.o.Limiter.Address(ratelimit.Login, r); err != nil {
		return err
	}
	return p.rp.Begin(w, r, q.Lang, localPath(r.URL.Query().Get("next"), q.Lang))
}

// localPath returns next when it is a path of this portal in lang, else
// the language's front page: never a redirect elsewhere.
func localPath(next, lang string) string {
	if strings.HasPrefix(next, "/"+lang+"/") && !strings.HasPrefix(next, "//") && !strings.ContainsAny(next, "\\\r\n") {
		return next
	}
	return "/" + lang + "/"
}

// callback finishes a login (webui.RelyingParty.Finish verifies the ID
// token before the identity code and name are read from it). The resident
// is created on first login; the session token goes into the session
// cookie.
func (p *Portal) callback(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer") // the code is in this URL
	// Before the code goes to the provider; the login cookie that names
	// the language is not read yet, so the page is in the one "/" would use.
	if err := p.o.Limiter.Address(ratelimit.Login, r); err != nil {
		p.fail(w, r, p.frontLanguage(r), err)
		return
	}
	l, status, err := p.rp.Finish(w, r)
	fail := func(status int, err error) {
		p.log.WarnContext(r.Context(), "portal login failed", "error", err.Error())
		p.renderError(w, r, l.Lang, status, webui.LoginErrorKey(err))
	}
	if err != nil {
		fail(status, err)
		return
	}
	if err := p.o.Limiter.Account(ratelimit.Login, webui.IdentityKey(l.IdentityCode)); err != nil {
		p.fail(w, r, l.Lang, err)
		return
	}
	// The operator itself signs the resident in, as the API's login flow does.
	op := omadata.NewContextWithCaller(r.Context(), omadata.Caller{Kind: omadata.CallerAdmin, TokenID: "portal"})
	res, err := p.o.Residents.EnsureResident(op, l.IdentityCode, l.Name)
	if err != nil {
		fail(http.StatusInternalServerError, fmt.Errorf("ensure resident: %w", err))
		return
	}
	se, err := p.o.Residents.CreateSession(op, res.ID, SessionTTL)
	if err != nil {
		fail(http.StatusInternalServerError, fmt.Errorf("create session: %w", err))
		return
	}
	p.ck.Set(w, sessionCookie, se.Token, SessionTTL)
	p.ck.Set(w, actingCookie, "", -1)
	http.Redirect(w, r, localPath(l.Next, l.Lang), http.StatusSeeOther)
}

// logout ends the session in the store, so the cookie stops working even
// if a copy of it survives, and then the session at the provider, when it
// offers RP-initiated logout: the browser goes there and comes back to
// the front page in its language (PostLogoutPath, registered at the
// provider). A provider that cannot be reached leaves only its own
// session behind.
func (p *Portal) logout(w http.ResponseWriter, r *http.Request, q *req) error {
	if err := p.o.Residents.EndSession(r.Context(), q.V.Caller.TokenID); err != nil && omadata.ErrorCode(err) != omadata.ENOTFOUND {
		return err
	}
	p.ck.Set(w, sessionCookie, "", -1)
	p.ck.Set(w, actingCookie, "", -1)
	p.rp.EndSession(w, r, p.log, p.o.PublicURL, PostLogoutPath(q.Lang), q.Lang)
	return nil
}

// PostLogoutPath is where the provider sends the browser back after
// logout, after the public URL: the front page in lang, saying the
// resident has signed out. Each language's is registered at the provider.
func PostLogoutPath(lang string) string { return "/" + lang + "/?done=logged-out" }
