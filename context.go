// SPDX-License-Identifier: Apache-2.0

package omadata

import "context"

// CallerKind says how a caller authenticated.
type CallerKind string

// Caller kinds.
const (
	CallerAnonymous CallerKind = ""         // no credentials: public catalogue only
	CallerAdmin     CallerKind = "admin"    // an operator admin token
	CallerService   CallerKind = "service"  // a service credential
	CallerResident  CallerKind = "resident" // a resident's session
	// CallerOrganisation is an organisation admin signed in to the admin
	// console: the catalogue of their own organisation's services, nothing
	// of any other. The HTTP API never makes one.
	CallerOrganisation CallerKind = "organisation"
)

// Caller is who is making a call, as established from verified credentials.
// It is never taken from a header or a body field.
type Caller struct {
	Kind         CallerKind
	TokenID      string   // the admin token or credential ID
	ServiceID    string   // for CallerService: the service the credential belongs to
	Organisation string   // for CallerService: the service's organisation; for CallerOrganisation: theirs
	Scopes       []string // for CallerService: what the credential may do; for an app (ChannelApp): its token's me:read, me:write
	ResidentID   string   // for CallerResident: who signed in
	// OperatorID is, for CallerOperator, the peer operator whose signed
	// network call this is (its entity identifier).
	OperatorID string
	// AppID and ConnectionID are set for a resident's own app (Channel
	// ChannelApp): the app and the resident's connection of it, whose
	// scopes (me:read, me:write) are in Scopes.
	AppID, ConnectionID string
	// Channel is the surface the caller authenticated through, set by
	// that surface and never from a request: ChannelAPI for a bearer
	// token on the HTTP API, ChannelPortal for the portal's session
	// cookie, ChannelApp for a resident's own app. The store records it
	// as a resident's collection method (an app's act is an API one).
	Channel string
	// DataProtectionOfficer marks a CallerAdmin as the operator's data
	// protection officer (the console's auditor), set by the console from
	// the staff role. They read what an operator admin reads; the one
	// change the console lets them make is an approval of a processing
	// version on a basis other than consent, which the store records as
	// theirs ("auditor:staff:stf_…"), not an operator admin's.
	DataProtectionOfficer bool
}

// Channels a caller authenticates through.
const (
	ChannelAPI    = "api"
	ChannelPortal = "portal"
	ChannelApp    = "app" // a resident's own app with a DPoP-bound access token (docs/apps.md)
)

// IsAdmin reports whether the caller is an operator admin.
func (c Caller) IsAdmin() bool { return c.Kind == CallerAdmin }

// HasScope reports whether a service caller's credential, or an app's
// token, carries scope. Admins hold every scope.
func (c Caller) HasScope(scope string) bool {
	if c.IsAdmin() {
		return true
	}
	for _, s := range c.Scopes {
		if s == scope {
			return true
		}
	}
	return false
}

type contextKey int

const (
	callerKey contextKey = iota
	requestIDKey
)

// NewContextWithCaller returns a copy of ctx carrying the caller.
func NewContextWithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey, c)
}

// CallerFromContext returns the caller in ctx; the anonymous caller if none.
func CallerFromContext(ctx context.Context) Caller {
	c, _ := ctx.Value(callerKey).(Caller)
	return c
}

// NewContextWithRequestID returns a copy of ctx carrying a request ID.
func NewContextWithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

// RequestIDFromContext returns the request ID in ctx, or "".
func RequestIDFromContext(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}
