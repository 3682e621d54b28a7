// SPDX-License-Identifier: Apache-2.0

package omadata

import (
	"context"
	"slices"
	"time"
)

// Credential scopes: what a service credential may do. Append only.
const (
	ScopeCatalogueRead  = "catalogue:read"
	ScopeCatalogueWrite = "catalogue:write"
	ScopeResidentsLink  = "residents:link" // sources: link residents, record guardianships
	ScopeConsents       = "consents"       // sinks: request, read and revoke consents on their processings
	ScopeDecisions      = "decisions"      // ask release decisions
	ScopeGrants         = "grants"         // sinks: obtain grants
	ScopeTransfers      = "transfers"      // sources: check grants, record transfers
	ScopeWebhooks       = "webhooks"       // manage the webhook secret, read deliveries
	ScopeRequests       = "requests"       // read and answer data-subject request tasks
)

// CredentialScopes lists every scope a credential may carry.
var CredentialScopes = []string{ScopeCatalogueRead, ScopeCatalogueWrite, ScopeResidentsLink, ScopeConsents,
	ScopeDecisions, ScopeGrants, ScopeTransfers, ScopeWebhooks, ScopeRequests}

// Credential is a service's API credential. The secret token is shown once,
// on creation; the store keeps only its hash.
type Credential struct {
	ID        string     `json:"id"`
	ServiceID string     `json:"service_id"`
	Name      string     `json:"name"`
	Scopes    []string   `json:"scopes"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	Token     string     `json:"token,omitempty"` // only in the creation response
}

// Validate checks the credential's own fields.
func (c *Credential) Validate() error {
	if err := RequiredText("name", c.Name, 100); err != nil {
		return err
	}
	if len(c.Scopes) == 0 {
		return Invalidf("scopes", "Give at least one scope.")
	}
	for _, s := range c.Scopes {
		if !slices.Contains(CredentialScopes, s) {
			return Invalidf("scopes", "Unknown scope %q.", Truncate(s, 40))
		}
	}
	return nil
}

// AdminToken is an operator admin's API token, created with `omadata token`.
type AdminToken struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	Token     string     `json:"token,omitempty"` // only on creation
}

// CredentialService issues, lists and revokes credentials and admin tokens,
// and turns a presented token into a Caller.
type CredentialService interface {
	// CreateCredential issues a credential for a service; c.Token holds the
	// secret afterwards. ENOTFOUND if the service is not visible.
	CreateCredential(ctx context.Context, c *Credential) error
	FindCredentials(ctx context.Context, serviceID string) ([]*Credential, error)
	// RevokeCredential takes effect on the next call made with it.
	RevokeCredential(ctx context.Context, serviceID, id string) (*Credential, error)

	CreateAdminToken(ctx context.Context, name string) (*AdminToken, error)
	FindAdminTokens(ctx context.Context) ([]*AdminToken, error)
	RevokeAdminToken(ctx context.Context, id string) (*AdminToken, error)

	// Authenticate looks the token up on every call and returns the caller,
	// or EUNAUTHORIZED for an unknown, revoked or expired token, and
	// EFORBIDDEN for a credential of a suspended service.
	Authenticate(ctx context.Context, token string) (Caller, error)
}
