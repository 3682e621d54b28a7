// SPDX-License-Identifier: Apache-2.0

package omadata

import (
	"context"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Scopes a resident's own app may hold on the resident's behalf: an OAuth
// 2.0 access token for the /api/v1/me routes. Append only.
const (
	AppScopeRead  = "me:read"  // read what the portal shows: consents, usage, requests, mandates
	AppScopeWrite = "me:write" // change it: give, withdraw, suspend consents; make requests
)

// AppScopes lists every scope an app may ask for.
var AppScopes = []string{AppScopeRead, AppScopeWrite}

// App is a resident's own app registered with the operator: an OAuth 2.0
// public client (RFC 6749 §2.1) that gets tokens for /api/v1/me through
// the authorization code flow with PKCE, bound to its key with DPoP
// (RFC 9449). The operator admin registers it; residents connect it in the
// portal and disconnect it on the portal's "connected apps" page.
type App struct {
	ID           string    `json:"id"` // the client_id, "app_…"
	Name         Text      `json:"name"`
	Description  Text      `json:"description"`
	Publisher    string    `json:"publisher"`     // who makes the app, shown on the consent screen
	RedirectURIs []string  `json:"redirect_uris"` // exact matches; a loopback one matches any port (RFC 8252 §7.3)
	Scopes       []string  `json:"scopes"`        // the most it may ask for
	Status       string    `json:"status"`        // AppActive or AppSuspended
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// App statuses.
const (
	AppActive    = "active"
	AppSuspended = "suspended" // no new connections, its tokens stop working
)

// AppConnection is a resident's connection of an app: the scopes the
// resident agreed to, from when, and when the app last used it. Ending it
// revokes every token the app holds for the resident.
type AppConnection struct {
	ID         string     `json:"id"`
	AppID      string     `json:"app_id"`
	App        *App       `json:"app,omitempty"`
	ResidentID string     `json:"resident_id"`
	Scopes     []string   `json:"scopes"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	EndedAt    *time.Time `json:"ended_at,omitempty"`
}

// AppService keeps the registered apps and the residents' connections.
// Registering and changing apps is the operator admin's; connections are
// the signed-in resident's own (and the admin's to read). The token
// endpoint's work (codes, access and refresh tokens) lives with it in the
// store; see docs/apps.md.
type AppService interface {
	CreateApp(ctx context.Context, a *App) error
	FindApp(ctx context.Context, id string) (*App, error)
	FindApps(ctx context.Context) ([]*App, error)
	// FindAppConnections lists the caller's (a resident's) connections
	// that have not ended, newest first, each with its App.
	FindAppConnections(ctx context.Context) ([]*AppConnection, error)
	// EndAppConnection ends the caller's connection and revokes its tokens;
	// ENOTFOUND for someone else's.
	EndAppConnection(ctx context.Context, id string) error
	// CreateAuthorizationCode records that the caller (a signed-in
	// resident, acting for themselves) agreed on the consent screen to
	// connect the app with the request's scopes, and returns a one-time
	// authorization code (RFC 6749 §4.1.2) for the token endpoint.
	CreateAuthorizationCode(ctx context.Context, r *AuthorizationRequest) (code string, err error)
	// UpdateApp changes an app (operator admins only); suspending it stops
	// its tokens at once. ENOTFOUND, EINVALID naming the field.
	UpdateApp(ctx context.Context, id string, u AppUpdate) (*App, error)
}

// AppTokenService is the token endpoint's work (RFC 6749 §4.1.3, §6;
// RFC 7009) and the API's check of an app's access token. Its callers are
// the apps themselves, public clients with no credential of their own: the
// caller in the context is not consulted. Refusals are EINVALID naming the
// parameter at fault ("code", "refresh_token", "client_id", "scope",
// "DPoP"); the token endpoint answers them as OAuth errors.
type AppTokenService interface {
	// ExchangeToken redeems an authorization code or a refresh token for
	// a new access token and refresh token bound to r.JKT.
	ExchangeToken(ctx context.Context, r *TokenRequest) (*AppToken, error)
	// RevokeAppToken revokes an access token, or ends the connection of a
	// refresh token; an unknown token or another app's is no error.
	RevokeAppToken(ctx context.Context, clientID, token string) error
	// AuthenticateApp turns an access token into its resident caller
	// (Channel ChannelApp, the connection's scopes) and the thumbprint of
	// the key it is bound to; EUNAUTHORIZED for an unknown, expired or
	// revoked token, an ended connection or a suspended app.
	AuthenticateApp(ctx context.Context, token string) (Caller, string, error)
}

// Token lifetimes and sizes (docs/apps.md).
const (
	AppCodeTTL         = 60 * time.Second    // an authorization code
	AppAccessTokenTTL  = 10 * time.Minute    // an access token
	AppRefreshTokenTTL = 30 * 24 * time.Hour // a refresh token, since it was issued (each use rotates it)
	// AppAccessTokenPrefix starts every app access token, so that the API
	// can tell one sent as a Bearer token and ask for DPoP instead.
	AppAccessTokenPrefix = "oma_app_"
)

// Grant types of the token endpoint.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
)

// TokenRequest is a token endpoint request (RFC 6749 §4.1.3, §6) whose
// DPoP proof the server has verified.
type TokenRequest struct {
	GrantType    string
	ClientID     string
	Code         string // authorization_code
	RedirectURI  string // authorization_code: as in the authorization request
	CodeVerifier string // authorization_code: PKCE (RFC 7636 §4.5)
	RefreshToken string // refresh_token
	Scopes       []string
	JKT          string // the thumbprint of the proof's key (RFC 7638)
}

// AppToken is the token endpoint's answer (RFC 6749 §5.1, RFC 9449 §5).
type AppToken struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"` // "DPoP"
	ExpiresIn    int    `json:"expires_in"` // seconds
	Scope        string `json:"scope"`      // space-separated
	RefreshToken string `json:"refresh_token"`
}

// AppUpdate is a change to an app; nil fields stay as they are.
type AppUpdate struct {
	Name         *Text     `json:"name"`
	Description  *Text     `json:"description"`
	Publisher    *string   `json:"publisher"`
	RedirectURIs *[]string `json:"redirect_uris"`
	Scopes       *[]string `json:"scopes"`
	Status       *string   `json:"status"`
}

// Apply copies the set fields of u onto a.
func (u AppUpdate) Apply(a *App) {
	setIf(&a.Name, u.Name)
	setIf(&a.Description, u.Description)
	setIf(&a.Publisher, u.Publisher)
	setIf(&a.RedirectURIs, u.RedirectURIs)
	setIf(&a.Scopes, u.Scopes)
	setIf(&a.Status, u.Status)
}

// Validate checks an app as the operator admin registers or changes it.
func (a *App) Validate() error {
	if err := a.Name.Validate("name", 100, "fi", "sv", "en"); err != nil {
		return err
	} else if err := a.Description.Validate("description", 1000); err != nil {
		return err
	} else if err := RequiredText("publisher", a.Publisher, 200); err != nil {
		return err
	}
	if len(a.RedirectURIs) == 0 || len(a.RedirectURIs) > 10 {
		return Invalidf("redirect_uris", "Give 1 to 10 redirect URIs.")
	}
	for i, u := range a.RedirectURIs {
		if msg := checkRedirectURI(u); msg != "" {
			return Invalidf("redirect_uris["+strconv.Itoa(i)+"]", "%s", msg)
		}
		if slices.Contains(a.RedirectURIs[:i], u) {
			return Invalidf("redirect_uris["+strconv.Itoa(i)+"]", "Listed twice.")
		}
	}
	if len(a.Scopes) == 0 {
		return Invalidf("scopes", "Give the scopes the app may ask for: %s.", strings.Join(AppScopes, ", "))
	}
	for i, sc := range a.Scopes {
		if !slices.Contains(AppScopes, sc) {
			return Invalidf("scopes["+strconv.Itoa(i)+"]", "Unknown scope; use %s.", strings.Join(AppScopes, " or "))
		} else if slices.Contains(a.Scopes[:i], sc) {
			return Invalidf("scopes["+strconv.Itoa(i)+"]", "Listed twice.")
		}
	}
	if a.Status != AppActive && a.Status != AppSuspended {
		return Invalidf("status", "Use %s or %s.", AppActive, AppSuspended)
	}
	return nil
}

// checkRedirectURI is the rule for a registered redirect URI, as a
// message ("" when it holds): printable ASCII in its canonical form (a
// lower-case scheme and host, a port from 1 to 65535 without leading
// zeros, no dot-segments), and then https with a DNS name or IP literal;
// or http on the loopback IP literal 127.0.0.1 or [::1], not "localhost"
// (RFC 8252 §7.3, §8.3); or a private-use scheme with a dot, such as a
// reverse domain name, and a path without a host
// ("com.example.app:/callback", RFC 8252 §7.1). Never a fragment (RFC 6749
// §3.1.2) or user info.
func checkRedirectURI(s string) string {
	for _, c := range s {
		if c <= ' ' || c > '~' {
			return "Use printable ASCII without spaces (an international domain name in its xn-- form)."
		}
	}
	u, err := url.Parse(s)
	switch {
	case len(s) > 500:
		return "At most 500 characters."
	case err != nil || !u.IsAbs():
		return "Not an absolute URI."
	case !strings.HasPrefix(s, u.Scheme+":"):
		return "Write the scheme in lower case."
	case u.Fragment != "" || strings.Contains(s, "#"):
		return "A redirect URI has no fragment."
	case u.User != nil:
		return "A redirect URI has no user information."
	case u.Host != "" && (u.Host != strings.ToLower(u.Host) || !validHost(u.Hostname())):
		return "The host must be a lower-case DNS name or an IP literal."
	case u.Port() != "" && !validPort(u.Port()) || strings.HasSuffix(u.Host, ":"):
		return "A port is a number from 1 to 65535 without leading zeros."
	case hasDotSegment(u.EscapedPath()):
		return `A redirect URI's path has no "." or ".." segments.`
	}
	switch u.Scheme {
	case "https":
		if u.Host == "" {
			return "An https redirect URI needs a host."
		}
		return ""
	case "http":
		if h := u.Hostname(); h != "127.0.0.1" && h != "::1" {
			return "Plain http only on a loopback IP literal (127.0.0.1 or [::1]), not localhost; use https otherwise."
		}
		return ""
	}
	switch {
	case !strings.Contains(u.Scheme, "."):
		return "Use https, http on a loopback IP literal, or a private-use scheme with a dot (com.example.app:/callback)."
	case u.Host != "" || strings.HasPrefix(s, u.Scheme+"://"):
		return "A private-use redirect URI has a path and no host: com.example.app:/callback."
	case u.Opaque != "" || !strings.HasPrefix(u.Path, "/"):
		return "A private-use redirect URI has a path starting with /: com.example.app:/callback."
	}
	return ""
}

// validHost reports whether h is a DNS name of letters, digits, hyphens
// and dots, or an IP address (without brackets).
func validHost(h string) bool {
	if net.ParseIP(h) != nil {
		return true
	}
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// validPort reports whether p is a port number from 1 to 65535 written
// without leading zeros.
func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535 && strconv.Itoa(n) == p
}

// hasDotSegment reports whether a URI path has a "." or ".." segment
// (RFC 3986 §3.3), which would match another path after normalisation.
func hasDotSegment(path string) bool {
	for _, seg := range strings.Split(path, "/") {
		if seg == "." || seg == ".." || strings.EqualFold(seg, "%2e") || strings.EqualFold(seg, "%2e%2e") || strings.EqualFold(seg, ".%2e") || strings.EqualFold(seg, "%2e.") {
			return true
		}
	}
	return false
}

// SortScopes returns the app scopes among scopes, once each, in the order
// of AppScopes; unknown ones are left out.
func SortScopes(scopes []string) []string {
	out := []string{}
	for _, sc := range AppScopes {
		if slices.Contains(scopes, sc) {
			out = append(out, sc)
		}
	}
	return out
}

// ParseScope splits an OAuth scope parameter (RFC 6749 §3.3): scope
// tokens separated by spaces (U+0020 only; a tab or another space
// character stays in the token, which is then no known scope).
func ParseScope(s string) []string {
	var out []string
	for _, t := range strings.Split(s, " ") {
		if t != "" {
			out = append(out, t)
		}
	}
	return out
}

// AuthorizationRequest is what an app asked for at the authorization
// endpoint, after the portal has checked it against the App and the
// resident has agreed.
type AuthorizationRequest struct {
	AppID         string
	RedirectURI   string   // as the app sent it; the token request must repeat it
	Scopes        []string // a subset of the App's
	CodeChallenge string   // PKCE S256 (RFC 7636 §4.2); the only method
	DPoPJKT       string   // dpop_jkt (RFC 9449 §10), if the app sent one
}

// RedirectURIAllowed reports whether uri is one of the app's redirect URIs:
// an exact match (RFC 6749 §3.1.2, RFC 9700 §4.1.3), except that a
// registered loopback URI ("http://127.0.0.1/cb", "http://[::1]/cb")
// matches the same URI on any port, as native apps pick their port when
// they start (RFC 8252 §7.3).
func (a *App) RedirectURIAllowed(uri string) bool {
	if slices.Contains(a.RedirectURIs, uri) {
		return true
	}
	u, err := url.Parse(uri)
	if err != nil || !strings.HasPrefix(uri, "http://") || !validPort(u.Port()) || u.User != nil || strings.Contains(uri, "#") {
		return false
	}
	if h := u.Hostname(); h != "127.0.0.1" && h != "::1" {
		return false
	}
	bare := *u
	bare.Host = u.Hostname()
	if bare.Host == "::1" {
		bare.Host = "[::1]"
	}
	return slices.Contains(a.RedirectURIs, bare.String())
}
