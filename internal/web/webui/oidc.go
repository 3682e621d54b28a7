// SPDX-License-Identifier: Apache-2.0

package webui

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

// OIDC configures the login with an OpenID provider.
type OIDC struct {
	Issuer        string
	ClientID      string
	ClientSecret  string
	IdentityClaim string // the ID token claim with the personal identity code
	NameClaim     string // the claim with the display name; "name" when empty
	Scopes        []string
	// HTTPClient reaches the provider; nil means http.DefaultClient.
	HTTPClient *http.Client
}

// loginTTL is how long someone may take at the provider.
const loginTTL = 10 * time.Minute

// ErrLogin is a login that failed for a reason the person can retry.
var ErrLogin = errors.New("login failed")

// RelyingParty is an OpenID Connect client: the authorization code flow
// with PKCE (S256), state and nonce kept in a signed cookie. Discovery
// runs on the first login, not at start-up, so the operator starts while
// its provider is down, and the demo provider can live on the operator's
// own server.
type RelyingParty struct {
	cfg      OIDC
	redirect string
	cookies  *Cookies
	cookie   string // the name of the login cookie

	mu       sync.Mutex
	provider *oidc.Provider
}

// NewRelyingParty returns a client whose redirect URI is redirect, keeping
// its login state in the cookie named cookie.
func NewRelyingParty(cfg OIDC, redirect string, cookies *Cookies, cookie string) *RelyingParty {
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = []string{oidc.ScopeOpenID, "profile"}
	}
	if cfg.NameClaim == "" {
		cfg.NameClaim = "name"
	}
	return &RelyingParty{cfg: cfg, redirect: redirect, cookies: cookies, cookie: cookie}
}

func (rp *RelyingParty) context(ctx context.Context) context.Context {
	if rp.cfg.HTTPClient != nil {
		return oidc.ClientContext(ctx, rp.cfg.HTTPClient)
	}
	return ctx
}

// config returns the OAuth 2.0 configuration and the ID token verifier,
// discovering the provider on first use. A failed discovery is retried on
// the next login.
func (rp *RelyingParty) config(ctx context.Context) (*oauth2.Config, *oidc.IDTokenVerifier, error) {
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

// Begin sends the person to the provider. State, nonce and the PKCE
// verifier travel in the signed login cookie, with the language and the
// page to return to (which the caller has made local).
func (rp *RelyingParty) Begin(w http.ResponseWriter, r *http.Request, lang, next string) error {
	oc, _, err := rp.config(r.Context())
	if err != nil {
		return err
	}
	state, nonce, verifier := rand.Text(), rand.Text(), oauth2.GenerateVerifier()
	rp.cookies.Set(w, rp.cookie, rp.cookies.Sign(rp.cookie, strings.Join([]string{state, nonce, verifier, lang, next}, "|")), loginTTL)
	url := oc.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("ui_locales", lang))
	http.Redirect(w, r, url, http.StatusSeeOther)
	return nil
}

// Login is a finished login: who signed in, in which language, and where
// they go next.
type Login struct {
	Lang         string // from the login cookie; "fi" until it is read
	Next         string
	IdentityCode string // a valid personal identity code
	Name         string
}

// Finish completes a login at the redirect URI: it checks the state
// against the login cookie (which it deletes), redeems the code with the
// PKCE verifier, verifies the ID token (issuer, audience, expiry,
// signature with the provider's keys, nonce), and only then reads the
// identity code and name from the token's claims. On failure it returns
// the HTTP status to answer with; the Login then still holds the language.
func (rp *RelyingParty) Finish(w http.ResponseWriter, r *http.Request) (*Login, int, error) {
	l := &Login{Lang: "fi"}
	c, err := r.Cookie(rp.cookie)
	if err != nil {
		return l, http.StatusBadRequest, fmt.Errorf("%w: no login cookie", ErrLogin)
	}
	rp.cookies.Set(w, rp.cookie, "", -1)
	v, ok := rp.cookies.Verify(rp.cookie, c.Value)
	parts := strings.Split(v, "|")
	if !ok || len(parts) != 5 {
		return l, http.StatusBadRequest, fmt.Errorf("%w: bad login cookie", ErrLogin)
	}
	state, nonce, verifier := parts[0], parts[1], parts[2]
	if omadata.ValidLanguage(parts[3]) {
		l.Lang = parts[3]
	}
	l.Next = parts[4]
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		return l, http.StatusBadRequest, fmt.Errorf("%w: the provider answered %.40q", ErrLogin, e)
	} else if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(state)) != 1 {
		return l, http.StatusBadRequest, fmt.Errorf("%w: state mismatch", ErrLogin)
	}
	oc, verify, err := rp.config(r.Context())
	if err != nil {
		return l, http.StatusBadGateway, err
	}
	tok, err := oc.Exchange(rp.context(r.Context()), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		return l, http.StatusBadGateway, fmt.Errorf("redeem the code: %w", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := verify.Verify(rp.context(r.Context()), raw)
	if err != nil {
		return l, http.StatusBadRequest, fmt.Errorf("verify the ID token: %w", err)
	} else if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
		return l, http.StatusBadRequest, fmt.Errorf("%w: nonce mismatch", ErrLogin)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return l, http.StatusBadRequest, fmt.Errorf("read the ID token's claims: %w", err)
	}
	l.IdentityCode, _ = claims[rp.cfg.IdentityClaim].(string)
	l.Name, _ = claims[rp.cfg.NameClaim].(string)
	if _, err := omadata.ParseIdentityCode(l.IdentityCode); err != nil {
		return l, http.StatusForbidden, fmt.Errorf("%w: claim %s holds no valid identity code", ErrLogin, rp.cfg.IdentityClaim)
	}
	return l, 0, nil
}
