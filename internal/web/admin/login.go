// SPDX-License-Identifier: Apache-2.0

package admin

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/web/ratelimit"
	"github.com/omadata/omadata/internal/web/webui"
)

// login sends the staff member to the provider, to come back to the
// console page they asked for.
func (a *Admin) login(w http.ResponseWriter, r *http.Request, q *req) error {
	if err := a.o.Limiter.Address(ratelimit.Login, r); err != nil {
		return err
	}
	return a.rp.Begin(w, r, q.Lang, localPath(r.URL.Query().Get("next"), q.Lang))
}

// localPath returns next when it is a console path in lang, else the
// console's front page.
func localPath(next, lang string) string {
	if strings.HasPrefix(next, Prefix+"/"+lang+"/") && !strings.HasPrefix(next, "//") && !strings.ContainsAny(next, "\\\r\n") {
		return next
	}
	return Prefix + "/" + lang + "/"
}

// callback finishes a login (webui.RelyingParty.Finish verifies the ID
// token before the identity code is read from it) and looks the identity
// code up in the staff table. Someone not on the staff is refused.
func (a *Admin) callback(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	// Before the code goes to the provider, in the default language: the
	// login cookie that names the page's language is not read yet.
	if err := a.o.Limiter.Address(ratelimit.Login, r); err != nil {
		a.fail(w, r, omadata.Languages[0], err)
		return
	}
	l, status, err := a.rp.Finish(w, r)
	fail := func(status int, key string, err error) {
		a.log.WarnContext(r.Context(), "admin login failed", "error", err.Error())
		a.renderError(w, r, l.Lang, status, key)
	}
	if err != nil {
		fail(status, webui.LoginErrorKey(err), err)
		return
	}
	if err := a.o.Limiter.Account(ratelimit.Login, webui.IdentityKey(l.IdentityCode)); err != nil {
		a.fail(w, r, l.Lang, err)
		return
	}
	op := operator(r.Context())
	st, err := a.o.Staff.FindStaffByIdentityCode(op, l.IdentityCode)
	if omadata.ErrorCode(err) == omadata.ENOTFOUND {
		fail(http.StatusForbidden, "error.not-staff", fmt.Errorf("%w: not on the staff", webui.ErrLogin))
		return
	} else if err != nil {
		fail(http.StatusInternalServerError, "error.internal", err)
		return
	}
	se, err := a.o.Staff.CreateStaffSession(op, st.ID, SessionTTL)
	if err != nil {
		fail(http.StatusInternalServerError, "error.internal", fmt.Errorf("create staff session: %w", err))
		return
	}
	a.log.InfoContext(r.Context(), "staff signed in", "staff_id", st.ID, "role", st.Role)
	a.ck.Set(w, sessionCookie, se.Token, SessionTTL)
	http.Redirect(w, r, localPath(l.Next, l.Lang), http.StatusSeeOther)
}

// logout ends the session in the store, and then the session at the
// provider when it offers RP-initiated logout, coming back to the
// console's front page (PostLogoutPath, registered at the provider).
func (a *Admin) logout(w http.ResponseWriter, r *http.Request, q *req) error {
	if err := a.o.Staff.EndStaffSession(operator(r.Context()), q.V.SessionID); err != nil && omadata.ErrorCode(err) != omadata.ENOTFOUND {
		return err
	}
	a.ck.Set(w, sessionCookie, "", -1)
	a.rp.EndSession(w, r, a.log, a.o.PublicURL, PostLogoutPath(q.Lang), q.Lang)
	return nil
}

// PostLogoutPath is where the provider sends the browser back after
// logout, after the public URL: the console's front page in lang.
func PostLogoutPath(lang string) string { return Prefix + "/" + lang + "/?done=logged-out" }
