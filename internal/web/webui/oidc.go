// SPDX-License-Identifier: Apache-2.0

package webui

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
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
	// ACRValues are the acceptable authentication context classes (a
	// required assurance level), sent as acr_values; when set, a login
	// whose ID token's acr is not one of them is refused.
	ACRValues []string
	// HTTPClient reaches the provider; nil means http.DefaultClient.
	HTTPClient *http.Client
}

// loginTTL is how long someone may take at the provider.
const loginTTL = 10 * time.Minute

// ErrLogin is a login that failed for a reason the person can retry.
var ErrLogin = errors.New("login failed")

// The logins refused for who logged in rather than how; each wraps
// ErrLogin and has a page of its own.
var (
	// ErrNoIdentityCode is an ID token without a valid personal identity
	// code in the identity claim.
	ErrNoIdentityCode = fmt.Errorf("%w: no valid identity code", ErrLogin)
	// ErrAssurance is an ID token whose acr is not one of ACRValues.
	ErrAssurance = fmt.Errorf("%w: assurance level not accepted", ErrLogin)
)

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
	now      func() time.Time

	mu       sync.Mutex
	provider *oidc.Provider
}

// NewRelyingParty returns a client whose redirect URI is redirect, keeping
// its login state in the cookie named cookie; now is the clock its expiry
// is checked by (nil: time.Now).
func NewRelyingParty(cfg OIDC, redirect string, cookies *Cookies, cookie string, now func() time.Time) *RelyingParty {
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = []string{oidc.ScopeOpenID, "profile"}
	}
	if cfg.NameClaim == "" {
		cfg.NameClaim = "name"
	}
	if now == nil {
		now = time.Now
	}
	return &RelyingParty{cfg: cfg, redirect: redirect, cookies: cookies, cookie: cookie, now: now}
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
// verifier travel in the signed login cookie, with the language, the page
// to return to (which the caller has made local) and the cookie's expiry:
// the server checks that, since a browser may keep a cookie past its
// Max-Age and a copied cookie has none.
func (rp *RelyingParty) Begin(w http.ResponseWriter, r *http.Request, lang, next string) error {
	oc, _, err := rp.config(r.Context())
	if err != nil {
		return err
	}
	state, nonce, verifier := rand.Text(), rand.Text(), oauth2.GenerateVerifier()
	exp := strconv.FormatInt(rp.now().Add(loginTTL).Unix(), 10)
	rp.cookies.Set(w, rp.cookie, rp.cookies.Sign(rp.cookie, strings.Join([]string{state, nonce, verifier, lang, next, exp}, "|")), loginTTL)
	opts := []oauth2.AuthCodeOption{oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("ui_locales", lang)}
	if len(rp.cfg.ACRValues) > 0 {
		opts = append(opts, oauth2.SetAuthURLParam("acr_values", strings.Join(rp.cfg.ACRValues, " ")))
	}
	http.Redirect(w, r, oc.AuthCodeURL(state, opts...), http.StatusSeeOther)
	return nil
}

// LogoutURL is where to send the browser to end its session at the
// provider too (OpenID Connect RP-Initiated Logout 1.0), coming back to
// postLogout (registered at the provider) with state; "" when the
// provider's discovery document has no end_session_endpoint. The request
// names the client, not the ID token (id_token_hint): keeping the token
// would keep the identity code it carries.
func (rp *RelyingParty) LogoutURL(ctx context.Context, postLogout, lang, state string) (string, error) {
	if _, _, err := rp.config(ctx); err != nil {
		return "", err
	}
	rp.mu.Lock()
	pr := rp.provider
	rp.mu.Unlock()
	var doc struct {
		EndSession string `json:"end_session_endpoint"`
	}
	if err := pr.Claims(&doc); err != nil {
		return "", fmt.Errorf("read the discovery document: %w", err)
	}
	u, err := url.Parse(doc.EndSession)
	if doc.EndSession == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return "", nil
	}
	q := u.Query()
	q.Set("client_id", rp.cfg.ClientID)
	q.Set("post_logout_redirect_uri", postLogout)
	q.Set("state", state)
	q.Set("ui_locales", lang)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// EndSession sends the browser, once the caller has ended its own
// session, to end the one at the provider when it offers RP-initiated
// logout (LogoutURL), coming back to publicURL+back; to back itself when
// it does not, or cannot be reached (logged to log).
func (rp *RelyingParty) EndSession(w http.ResponseWriter, r *http.Request, log *slog.Logger, publicURL, back, lang string) {
	end, err := rp.LogoutURL(r.Context(), publicURL+back, lang, rand.Text())
	if err != nil {
		log.WarnContext(r.Context(), "no logout at the OpenID provider", "error", err.Error())
	}
	if end == "" {
		end = back
	}
	http.Redirect(w, r, end, http.StatusSeeOther)
}

// LoginErrorKey is the message key of the page for a failed login: one
// for a token without a valid identity code, one for an assurance level
// not accepted, and "error.login" for everything else.
func LoginErrorKey(err error) string {
	switch {
	case errors.Is(err, ErrNoIdentityCode):
		return "error.login-identity-code"
	case errors.Is(err, ErrAssurance):
		return "error.login-assurance"
	}
	return "error.login"
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
// signature with the provider's keys, nonce, azp, acr), and only then
// reads the identity code and name from the token's claims. On failure it returns
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
	if !ok || len(parts) != 6 {
		return l, http.StatusBadRequest, fmt.Errorf("%w: bad login cookie", ErrLogin)
	}
	state, nonce, verifier := parts[0], parts[1], parts[2]
	if omadata.ValidLanguage(parts[3]) {
		l.Lang = parts[3]
	}
	l.Next = parts[4]
	if exp, err := strconv.ParseInt(parts[5], 10, 64); err != nil || !rp.now().Before(time.Unix(exp, 0)) {
		return l, http.StatusBadRequest, fmt.Errorf("%w: login cookie expired", ErrLogin)
	}
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
	// OpenID Connect Core 1.0 §3.1.3.7 items 4 and 5: with several
	// audiences azp must name us, and when present it must be us.
	// go-oidc checks only that aud contains us.
	azp, hasAZP := claims["azp"]
	if (len(idt.Audience) > 1 && !hasAZP) || (hasAZP && azp != rp.cfg.ClientID) {
		return l, http.StatusBadRequest, fmt.Errorf("%w: azp %.60q is not our client ID", ErrLogin, fmt.Sprint(azp))
	}
	if len(rp.cfg.ACRValues) > 0 {
		if acr, _ := claims["acr"].(string); !slices.Contains(rp.cfg.ACRValues, acr) {
			return l, http.StatusForbidden, fmt.Errorf("%w: acr %.80q", ErrAssurance, acr)
		}
	}
	l.IdentityCode, _ = claims[rp.cfg.IdentityClaim].(string)
	l.Name, _ = claims[rp.cfg.NameClaim].(string)
	if _, err := omadata.ParseIdentityCode(l.IdentityCode); err != nil {
		l.IdentityCode = ""
		return l, http.StatusForbidden, fmt.Errorf("%w: claim %s", ErrNoIdentityCode, rp.cfg.IdentityClaim)
	}
	return l, 0, nil
}
