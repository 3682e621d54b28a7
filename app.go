// SPDX-License-Identifier: Apache-2.0

package omadata

import (
	"context"
	"net"
	"net/url"
	"slices"
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
	if err != nil || u.Scheme != "http" || u.Port() == "" || u.User != nil || u.Fragment != "" {
		return false
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		return false
	}
	bare := *u
	bare.Host = u.Hostname()
	if ip := net.ParseIP(bare.Host); ip.To4() == nil {
		bare.Host = "[" + bare.Host + "]"
	}
	return slices.Contains(a.RedirectURIs, bare.String())
}
