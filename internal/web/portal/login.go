// SPDX-License-Identifier: Apache-2.0

package portal

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

// CallbackPath is the redirect URI of the portal at the provider, after the
// public URL. It has no language: the login cookie remembers it.
const CallbackPath = "/auth/callback"

// loginTTL is how long a resident may take at the provider.
const loginTTL = 10 * time.Minute

// relyingParty is the portal's OpenID Connect client. Discovery runs on the
// first login, not at start-up, so the operator starts while its provider
// is down, and the demo provider can live on the operator's own server.
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
	if cfg.NameClaim == "" {
		cfg.NameClaim = "name"
	}
	return &relyingParty{cfg: cfg, redirect: redirect}
}

func (rp *relyingParty) context(ctx context.Context) context.Context {
	if rp.cfg.HTTPClient != nil {
		return oidc.ClientContext(ctx, rp.cfg.HTTPClient)
	}
	return ctx
}

// config returns the OAuth 2.0 configuration and the ID token verifier,
// discovering the provider on first use. A failed discovery is retried on
// the next login.
func (rp *relyingParty) config(ctx context.Context) (*oauth2.Config, *oidc.IDTokenVerifier, error) {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	if rp.provider == nil {
		// The key set outlives this request, so it fetches keys on a
		// context of its own, with the configured client.
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

// login sends the resident to the provider. State, nonce and the PKCE
// verifier travel in a signed cookie, with the language and the page to
// return to.
func (p *Portal) login(w http.ResponseWriter, r *http.Request, q *req) error {
	oc, _, err := p.rp.config(r.Context())
	if err != nil {
		return err
	}
	next := localPath(r.URL.Query().Get("next"), q.Lang)
	state, nonce, verifier := rand.Text(), rand.Text(), oauth2.GenerateVerifier()
	p.setCookie(w, loginCookie, p.sign(loginCookie, strings.Join([]string{state, nonce, verifier, q.Lang, next}, "|")), loginTTL)
	url := oc.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("ui_locales", q.Lang))
	http.Redirect(w, r, url, http.StatusSeeOther)
	return nil
}

// localPath returns next when it is a path of this portal in lang, else
// the language's front page: never a redirect elsewhere.
func localPath(next, lang string) string {
	if strings.HasPrefix(next, "/"+lang+"/") && !strings.HasPrefix(next, "//") && !strings.ContainsAny(next, "\\\r\n") {
		return next
	}
	return "/" + lang + "/"
}

// errLogin is a login that failed for a reason the resident can retry.
var errLogin = errors.New("login failed")

// callback finishes a login: it checks the state against the cookie,
// redeems the code with the PKCE verifier, verifies the ID token (issuer,
// audience, expiry, signature with the provider's keys, nonce), and only
// then takes the identity code and name from the token's claims. The
// resident is created on first login; the session token goes into the
// session cookie.
func (p *Portal) callback(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer") // the code is in this URL
	lang := "fi"
	fail := func(status int, err error) {
		p.log.WarnContext(r.Context(), "portal login failed", "error", err.Error())
		p.renderError(w, r, lang, status, "error.login")
	}
	c, err := r.Cookie(loginCookie)
	if err != nil {
		fail(http.StatusBadRequest, fmt.Errorf("%w: no login cookie", errLogin))
		return
	}
	p.setCookie(w, loginCookie, "", -1)
	v, ok := p.verify(loginCookie, c.Value)
	parts := strings.Split(v, "|")
	if !ok || len(parts) != 5 {
		fail(http.StatusBadRequest, fmt.Errorf("%w: bad login cookie", errLogin))
		return
	}
	state, nonce, verifier, next := parts[0], parts[1], parts[2], parts[4]
	if omadata.ValidLanguage(parts[3]) {
		lang = parts[3]
	}
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		fail(http.StatusBadRequest, fmt.Errorf("%w: the provider answered %.40q", errLogin, e))
		return
	} else if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(state)) != 1 {
		fail(http.StatusBadRequest, fmt.Errorf("%w: state mismatch", errLogin))
		return
	}
	oc, verify, err := p.rp.config(r.Context())
	if err != nil {
		fail(http.StatusBadGateway, err)
		return
	}
	tok, err := oc.Exchange(p.rp.context(r.Context()), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		fail(http.StatusBadGateway, fmt.Errorf("redeem the code: %w", err))
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := verify.Verify(p.rp.context(r.Context()), raw)
	if err != nil {
		fail(http.StatusBadRequest, fmt.Errorf("verify the ID token: %w", err))
		return
	} else if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
		fail(http.StatusBadRequest, fmt.Errorf("%w: nonce mismatch", errLogin))
		return
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		fail(http.StatusBadRequest, fmt.Errorf("read the ID token's claims: %w", err))
		return
	}
	code, _ := claims[p.rp.cfg.IdentityClaim].(string)
	name, _ := claims[p.rp.cfg.NameClaim].(string)
	if _, err := omadata.ParseIdentityCode(code); err != nil {
		fail(http.StatusForbidden, fmt.Errorf("%w: claim %s holds no valid identity code", errLogin, p.rp.cfg.IdentityClaim))
		return
	}
	// The operator itself signs the resident in, as the API's login flow does.
	op := omadata.NewContextWithCaller(r.Context(), omadata.Caller{Kind: omadata.CallerAdmin, TokenID: "portal"})
	res, err := p.o.Residents.EnsureResident(op, code, name)
	if err != nil {
		fail(http.StatusInternalServerError, fmt.Errorf("ensure resident: %w", err))
		return
	}
	se, err := p.o.Residents.CreateSession(op, res.ID, SessionTTL)
	if err != nil {
		fail(http.StatusInternalServerError, fmt.Errorf("create session: %w", err))
		return
	}
	p.setCookie(w, sessionCookie, se.Token, SessionTTL)
	p.setCookie(w, actingCookie, "", -1)
	http.Redirect(w, r, localPath(next, lang), http.StatusSeeOther)
}

// logout ends the session in the store, so the cookie stops working even
// if a copy of it survives.
func (p *Portal) logout(w http.ResponseWriter, r *http.Request, q *req) error {
	if err := p.o.Residents.EndSession(r.Context(), q.V.Caller.TokenID); err != nil && omadata.ErrorCode(err) != omadata.ENOTFOUND {
		return err
	}
	p.setCookie(w, sessionCookie, "", -1)
	p.setCookie(w, actingCookie, "", -1)
	http.Redirect(w, r, "/"+q.Lang+"/?done=logged-out", http.StatusSeeOther)
	return nil
}
