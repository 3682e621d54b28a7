// SPDX-License-Identifier: Apache-2.0

package omadata

import (
	"context"
	"slices"
	"time"
)

// Service roles.
const (
	RoleSource = "source" // holds data and releases it under a grant
	RoleSink   = "sink"   // receives data for a declared processing
)

// Service statuses. A service starts pending; an operator admin admits it
// (approved) and may suspend it and admit it again.
const (
	ServicePending   = "pending"
	ServiceApproved  = "approved"
	ServiceSuspended = "suspended"
)

// Service is something an organisation runs that is a source, a sink, or both.
type Service struct {
	ID             string           `json:"id"`
	OrganisationID string           `json:"organisation_id"`
	Name           Text             `json:"name"`
	Description    Text             `json:"description"`
	Roles          []string         `json:"roles"`
	Endpoints      ServiceEndpoints `json:"endpoints"`
	Status         string           `json:"status"`
	// Operator names the peer operator a service is registered at when
	// this operator mirrors it from the peer's catalogue; nil for its own.
	Operator  *OperatorRef `json:"operator,omitempty"`
	CreatedAt time.Time    `json:"created_at"`
	UpdatedAt time.Time    `json:"updated_at"`
}

// ServiceEndpoints are where the operator and other services reach a service.
type ServiceEndpoints struct {
	API     string `json:"api,omitempty"`     // base URL of the service's data API (sources)
	Webhook string `json:"webhook,omitempty"` // where events are delivered
}

// HasRole reports whether the service has role.
func (s *Service) HasRole(role string) bool { return slices.Contains(s.Roles, role) }

// Validate checks the service's own fields.
func (s *Service) Validate() error {
	if !ValidID(PrefixOrganisation, s.OrganisationID) {
		return Invalidf("organisation_id", "Not an organisation ID.")
	} else if err := s.Name.Validate("name", 200, "fi", "sv", "en"); err != nil {
		return err
	} else if err := s.Description.Validate("description", 4000); err != nil {
		return err
	} else if err := validRoles(s.Roles); err != nil {
		return err
	} else if err := validURL("endpoints.api", s.Endpoints.API, false); err != nil {
		return err
	}
	return validURL("endpoints.webhook", s.Endpoints.Webhook, false)
}

func validRoles(roles []string) error {
	if len(roles) == 0 {
		return Invalidf("roles", "Give at least one of source, sink.")
	}
	for i, r := range roles {
		if r != RoleSource && r != RoleSink {
			return Invalidf("roles", "Unknown role %q; use source or sink.", Truncate(r, 20))
		} else if slices.Contains(roles[:i], r) {
			return Invalidf("roles", "Role %q given twice.", Truncate(r, 20))
		}
	}
	return nil
}

// ServiceFilter selects services.
type ServiceFilter struct {
	OrganisationID *string
	Status         *string
	Role           *string
	After          string
	Limit          int
}

// ServiceUpdate holds the fields a PATCH may change.
type ServiceUpdate struct {
	Name        *Text             `json:"name"`
	Description *Text             `json:"description"`
	Roles       *[]string         `json:"roles"`
	Endpoints   *ServiceEndpoints `json:"endpoints"`
}

// Fields returns the JSON names of the fields u sets.
func (u ServiceUpdate) Fields() []string {
	var out []string
	for _, f := range []struct {
		name string
		set  bool
	}{{"name", u.Name != nil}, {"description", u.Description != nil}, {"roles", u.Roles != nil}, {"endpoints", u.Endpoints != nil}} {
		if f.set {
			out = append(out, f.name)
		}
	}
	return out
}

// serviceFieldsByKind are the fields of a service each kind of caller may
// change. What the operator reviewed when it admitted the service (its
// name, which residents see on every consent, and its roles, which decide
// what it may publish and release) only an operator admin changes; the
// organisation admin and the service itself keep its description and
// endpoints current. The organisation and the status are not in a
// ServiceUpdate at all: they change only by a new registration and by
// SetServiceStatus.
var serviceFieldsByKind = map[CallerKind][]string{
	CallerAdmin:        {"name", "description", "roles", "endpoints"},
	CallerOrganisation: {"description", "endpoints"},
	CallerService:      {"description", "endpoints"},
}

// ServiceFieldsFor returns the fields of a service that c may change.
func ServiceFieldsFor(c Caller) []string { return serviceFieldsByKind[c.Kind] }

// Permitted returns EFORBIDDEN, naming the field, if u sets a field that c
// may not change. It is the one rule for every surface that updates a
// service: the API's PATCH and the console.
func (u ServiceUpdate) Permitted(c Caller) error {
	allowed := ServiceFieldsFor(c)
	for _, f := range u.Fields() {
		if !slices.Contains(allowed, f) {
			return Forbiddenf(f, "Only an operator admin may change a service's %s; ask the operator.", f)
		}
	}
	return nil
}

// Apply copies the set fields of u onto s.
func (u ServiceUpdate) Apply(s *Service) {
	setIf(&s.Name, u.Name)
	setIf(&s.Description, u.Description)
	setIf(&s.Roles, u.Roles)
	setIf(&s.Endpoints, u.Endpoints)
}

// ServiceRegistry manages services. Admins see all; a service sees itself.
type ServiceRegistry interface {
	// FindServiceByID returns ENOTFOUND if missing or not visible.
	FindServiceByID(ctx context.Context, id string) (*Service, error)
	FindServices(ctx context.Context, f ServiceFilter) ([]*Service, string, error)
	// CreateService registers a pending service (admins only).
	CreateService(ctx context.Context, s *Service) error
	// UpdateService returns ENOTFOUND or EINVALID; dropping a role still in
	// use (data groups, processings) is ECONFLICT.
	UpdateService(ctx context.Context, id string, u ServiceUpdate) (*Service, error)
	// SetServiceStatus admits (approved) or suspends a service (admins only);
	// a change to the current status is ECONFLICT.
	SetServiceStatus(ctx context.Context, id, status string) (*Service, error)
}
