// SPDX-License-Identifier: Apache-2.0

package omadata

import (
	"context"
	"time"
)

// Staff roles in the admin console.
const (
	StaffOperatorAdmin     = "operator_admin"     // runs the operator: everything
	StaffOrganisationAdmin = "organisation_admin" // one organisation's services
	StaffAuditor           = "auditor"            // the operator's data protection officer: reads everything, changes nothing but approvals
)

// StaffRoles lists every staff role.
var StaffRoles = []string{StaffOperatorAdmin, StaffOrganisationAdmin, StaffAuditor}

// Staff is a member of the operator's or an organisation's staff who may
// sign in to the admin console. They are found by the blind index of
// their identity code, as the OpenID provider verified it; the code itself
// is never stored.
type Staff struct {
	ID             string    `json:"id"`
	Name           string    `json:"name"`
	Role           string    `json:"role"`
	OrganisationID string    `json:"organisation_id,omitempty"` // for organisation_admin
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// CanWrite reports whether the staff member may change the catalogue and
// the operator. An auditor may not; the one change they make is an
// approval of a processing on a basis other than consent.
func (s *Staff) CanWrite() bool { return s.Role != StaffAuditor }

// StaffSession is a signed-in staff member's session; Token only on
// creation.
type StaffSession struct {
	ID        string    `json:"id"`
	StaffID   string    `json:"staff_id"`
	ExpiresAt time.Time `json:"expires_at"`
	Token     string    `json:"token,omitempty"`
}

// StaffService keeps the staff and their console sessions. Every call but
// AuthenticateStaff is the operator's (an admin caller).
type StaffService interface {
	// EnsureStaff creates the staff member with the identity code, or
	// updates their name, role and organisation.
	EnsureStaff(ctx context.Context, identityCode, name, role, organisationID string) (*Staff, error)
	// FindStaffByIdentityCode is ENOTFOUND for a code of nobody on the staff.
	FindStaffByIdentityCode(ctx context.Context, identityCode string) (*Staff, error)
	FindStaff(ctx context.Context) ([]*Staff, error)
	// RemoveStaff takes a member off the staff and ends their sessions;
	// ECONFLICT for the last operator admin.
	RemoveStaff(ctx context.Context, id string) (*Staff, error)
	CreateStaffSession(ctx context.Context, staffID string, ttl time.Duration) (*StaffSession, error)
	// AuthenticateStaff returns the staff member and the session of a
	// token; EUNAUTHORIZED for an unknown, ended or expired one.
	AuthenticateStaff(ctx context.Context, token string) (*Staff, *StaffSession, error)
	EndStaffSession(ctx context.Context, id string) error
}
