// SPDX-License-Identifier: Apache-2.0

package admin

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/omadata/omadata"
)

const loginTTL = 10 * time.Minute

// relyingParty is the console's OpenID Connect client; discovery runs on
// the first login, as in the portal.
type relyingParty struct {
	cfg      OIDC
	redirect string

	mu       sync.Mutex
	provider *oidc.Provider
}

func newRelyingParty(cfg OIDC, redirect string) *relyingParty {
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = []string{oidc.ScopeOpenID, "profile"}
	}
	return &relyingParty{cfg: cfg, redirect: redirect}
}

func (rp *relyingParty) context(ctx context.Context) context.Context {
	if rp.cfg.HTTPClient != nil {
		return oidc.ClientContext(ctx, rp.cfg.HTTPClient)
	}
	return ctx
}

func (rp *relyingParty) config(ctx context.Context) (*oauth2.Config, *oidc.IDTokenVerifier, error) {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	if rp.provider == nil {
		pr, err := oidc.NewProvider(rp.context(context.WithoutCancel(ctx)), rp.cfg.Issuer)
		if err != nil {
			return nil, nil, fmt.Errorf("discover the OpenID provider: %w", err)
		}
		rp.provider = pr
	}
	oc := &oauth2.Config{
		ClientID: rp.cfg.ClientID, ClientSecret: rp.cfg.ClientSecret,
		Endpoint: rp.provider.Endpoint(), RedirectURL: rp.redirect, Scopes: rp.cfg.Scopes,
	}
	return oc, rp.provider.Verifier(&oidc.Config{ClientID: rp.cfg.ClientID}), nil
}

// login sends the staff member to the provider with state, nonce and a
// PKCE verifier in a signed cookie.
func (a *Admin) login(w http.ResponseWriter, r *http.Request, q *req) error {
	oc, _, err := a.rp.config(r.Context())
	if err != nil {
		return err
	}
	next := localPath(r.URL.Query().Get("next"), q.Lang)
	state, nonce, verifier := rand.Text(), rand.Text(), oauth2.GenerateVerifier()
	a.setCookie(w, loginCookie, a.sign(loginCookie, strings.Join([]string{state, nonce, verifier, q.Lang, next}, "|")), loginTTL)
	http.Redirect(w, r, oc.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("ui_locales", q.Lang)), http.StatusSeeOther)
	return nil
}

// localPath returns next when it is a console path in lang, else the
// console's front page.
func localPath(next, lang string) string {
	if strings.HasPrefix(next, Prefix+"/"+lang+"/") && !strings.HasPrefix(next, "//") && !strings.ContainsAny(next, "\\\r\n") {
		return next
	}
	return Prefix + "/" + lang + "/"
}

var errLogin = errors.New("staff login failed")

// callback finishes a login: state, code with PKCE, the ID token verified
// (signature, issuer, audience, expiry, nonce); only then the identity
// code is read and looked up in the staff table. Someone not on the staff,
// or in a role the console does not serve yet, is refused.
func (a *Admin) callback(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	lang := "fi"
	fail := func(status int, key string, err error) {
		a.log.WarnContext(r.Context(), "admin login failed", "error", err.Error())
		a.renderError(w, r, lang, status, key)
	}
	c, err := r.Cookie(loginCookie)
	if err != nil {
		fail(http.StatusBadRequest, "error.login", fmt.Errorf("%w: no login cookie", errLogin))
		return
	}
	a.setCookie(w, loginCookie, "", -1)
	v, ok := a.verify(loginCookie, c.Value)
	parts := strings.Split(v, "|")
	if !ok || len(parts) != 5 {
		fail(http.StatusBadRequest, "error.login", fmt.Errorf("%w: bad login cookie", errLogin))
		return
	}
	state, nonce, verifier, next := parts[0], parts[1], parts[2], parts[4]
	if omadata.ValidLanguage(parts[3]) {
		lang = parts[3]
	}
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		fail(http.StatusBadRequest, "error.login", fmt.Errorf("%w: the provider answered %.40q", errLogin, e))
		return
	} else if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(state)) != 1 {
		fail(http.StatusBadRequest, "error.login", fmt.Errorf("%w: state mismatch", errLogin))
		return
	}
	oc, verify, err := a.rp.config(r.Context())
	if err != nil {
		fail(http.StatusBadGateway, "error.login", err)
		return
	}
	tok, err := oc.Exchange(a.rp.context(r.Context()), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		fail(http.StatusBadGateway, "error.login", fmt.Errorf("redeem the code: %w", err))
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := verify.Verify(a.rp.context(r.Context()), raw)
	if err != nil {
		fail(http.StatusBadRequest, "error.login", fmt.Errorf("verify the ID token: %w", err))
		return
	} else if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
		fail(http.StatusBadRequest, "error.login", fmt.Errorf("%w: nonce mismatch", errLogin))
		return
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		fail(http.StatusBadRequest, "error.login", fmt.Errorf("read the ID token's claims: %w", err))
		return
	}
	code, _ := claims[a.rp.cfg.IdentityClaim].(string)
	if _, err := omadata.ParseIdentityCode(code); err != nil {
		fail(http.StatusForbidden, "error.login", fmt.Errorf("%w: claim %s holds no valid identity code", errLogin, a.rp.cfg.IdentityClaim))
		return
	}
	op := operator(r.Context())
	st, err := a.o.Staff.FindStaffByIdentityCode(op, code)
	if omadata.ErrorCode(err) == omadata.ENOTFOUND {
		fail(http.StatusForbidden, "error.not-staff", fmt.Errorf("%w: not on the staff", errLogin))
		return
	} else if err != nil {
		fail(http.StatusInternalServerError, "error.internal", err)
		return
	} else if st.Role != omadata.StaffOperatorAdmin && st.Role != omadata.StaffAuditor {
		fail(http.StatusForbidden, "error.role", fmt.Errorf("%w: role %s", errLogin, st.Role))
		return
	}
	se, err := a.o.Staff.CreateStaffSession(op, st.ID, SessionTTL)
	if err != nil {
		fail(http.StatusInternalServerError, "error.internal", fmt.Errorf("create staff session: %w", err))
		return
	}
	a.log.InfoContext(r.Context(), "staff signed in", "staff_id", st.ID, "role", st.Role)
	a.setCookie(w, sessionCookie, se.Token, SessionTTL)
	http.Redirect(w, r, localPath(next, lang), http.StatusSeeOther)
}

// logout ends the session in the store.
func (a *Admin) logout(w http.ResponseWriter, r *http.Request, q *req) error {
	if err := a.o.Staff.EndStaffSession(operator(r.Context()), q.V.SessionID); err != nil && omadata.ErrorCode(err) != omadata.ENOTFOUND {
		return err
	}
	a.setCookie(w, sessionCookie, "", -1)
	http.Redirect(w, r, Prefix+"/"+q.Lang+"/?done=logged-out", http.StatusSeeOther)
	return nil
}
