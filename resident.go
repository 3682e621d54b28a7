// SPDX-License-Identifier: Apache-2.0

package omadata

import (
	"context"
	"time"
)

// Resident is a data subject. Residents are keyed by an internal ID; the
// personal identity code is stored only as a keyed hash and sealed, and is
// shown only in the resident's own profile.
type Resident struct {
	ID           string    `json:"id"`
	Name         string    `json:"name,omitempty"`          // display name from login; sealed at rest
	IdentityCode string    `json:"identity_code,omitempty"` // only in the resident's own profile
	BirthDate    string    `json:"birth_date"`              // YYYY-MM-DD, from the identity code
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// Born returns the resident's birth date.
func (r *Resident) Born() time.Time {
	t, _ := time.Parse(time.DateOnly, r.BirthDate)
	return t
}

// ResidentLink is what a service knows of a resident: its pairwise
// pseudonym, never the operator's ID or the identity code.
type ResidentLink struct {
	ServiceID string    `json:"service_id"`
	Pseudonym string    `json:"pseudonym"`
	Created   bool      `json:"created"` // the resident was new to the operator
	LinkedAt  time.Time `json:"linked_at"`
}

// Session is a resident's signed-in session token. The portal creates one
// after login; the token is shown once.
type Session struct {
	ID         string    `json:"id"`
	ResidentID string    `json:"resident_id"`
	ExpiresAt  time.Time `json:"expires_at"`
	Token      string    `json:"token,omitempty"`
}

// ResidentService manages residents, their pseudonyms and sessions.
type ResidentService interface {
	// EnsureResident finds the resident with the identity code or creates
	// one; the login flow calls it. name refreshes the display name.
	EnsureResident(ctx context.Context, identityCode, name string) (*Resident, error)
	// LinkResident lets an approved source link a resident it holds, by
	// identity code, and returns the source's pseudonym of the resident.
	LinkResident(ctx context.Context, identityCode string) (*ResidentLink, error)
	// FindResidentByIdentityCode finds a resident without creating one
	// (admins); ENOTFOUND if none has the code.
	FindResidentByIdentityCode(ctx context.Context, identityCode string) (*Resident, error)
	// FindResidentByID returns a resident visible to the caller: residents
	// see themselves (with identity code) and the people they represent.
	FindResidentByID(ctx context.Context, id string) (*Resident, error)
	// RekeyResident moves a resident to a corrected identity code (admins).
	RekeyResident(ctx context.Context, oldCode, newCode string) (*Resident, error)
	// Pseudonym returns the service's pseudonym of a resident, creating it.
	Pseudonym(ctx context.Context, serviceID, residentID string) (string, error)

	// CreateSession signs a resident in; the token is in the result once.
	CreateSession(ctx context.Context, residentID string, ttl time.Duration) (*Session, error)
	// EndSession signs out.
	EndSession(ctx context.Context, id string) error
}
