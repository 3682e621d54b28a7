// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
)

func testServiceLifecycle(t *testing.T, s *store.Store) {
	org := CreateOrganisation(t, s, omadata.OrgCity)
	sv := CreateService(t, s, org.ID, false, omadata.RoleSource, omadata.RoleSink)
	if sv.Status != omadata.ServicePending {
		t.Fatalf("got status %q, want pending", sv.Status)
	}
	sv = must[*omadata.Service](t)(s.SetServiceStatus(Admin(), sv.ID, omadata.ServiceApproved))
	_, err := s.SetServiceStatus(Admin(), sv.ID, omadata.ServiceApproved)
	wantField(t, err, omadata.ECONFLICT, "status")
	sv = must[*omadata.Service](t)(s.SetServiceStatus(Admin(), sv.ID, omadata.ServiceSuspended))
	if sv.Status != omadata.ServiceSuspended {
		t.Fatalf("got %q, want suspended", sv.Status)
	}
	_, err = s.SetServiceStatus(Admin(), sv.ID, omadata.ServicePending)
	wantField(t, err, omadata.EINVALID, "status")
	_, err = s.SetServiceStatus(As(sv.ID), sv.ID, omadata.ServiceApproved)
	wantCode(t, err, omadata.EFORBIDDEN)

	bad := NewService(org.ID, "broker")
	wantField(t, s.CreateService(Admin(), bad), omadata.EINVALID, "roles")
	bad = NewService("org_00000000000000000000000000", omadata.RoleSink)
	wantField(t, s.CreateService(Admin(), bad), omadata.EINVALID, "organisation_id")
	bad = NewService(org.ID, omadata.RoleSink)
	bad.Endpoints.Webhook = "ftp://example.fi"
	wantField(t, s.CreateService(Admin(), bad), omadata.EINVALID, "endpoints.webhook")
}

func testServiceVisibility(t *testing.T, s *store.Store) {
	org := CreateOrganisation(t, s, omadata.OrgCity)
	a := CreateService(t, s, org.ID, true, omadata.RoleSource)
	b := CreateService(t, s, org.ID, false, omadata.RoleSink)
	if _, err := s.FindServiceByID(As(a.ID), a.ID); err != nil {
		t.Fatalf("a service must see itself: %v", err)
	}
	_, err := s.FindServiceByID(As(a.ID), b.ID)
	wantCode(t, err, omadata.ENOTFOUND)
	list, _, err := s.FindServices(As(a.ID), omadata.ServiceFilter{})
	ok(t, err)
	if len(list) != 1 || list[0].ID != a.ID {
		t.Fatalf("got %d services, want only itself", len(list))
	}
	list, _, err = s.FindServices(Public(), omadata.ServiceFilter{})
	ok(t, err)
	if len(list) != 1 || list[0].ID != a.ID {
		t.Fatalf("the public got %d services, want only the approved one", len(list))
	}
	_, err = s.FindServiceByID(Public(), b.ID)
	wantCode(t, err, omadata.ENOTFOUND)
	desc := Text("Renamed")
	_, err = s.UpdateService(As(a.ID), b.ID, omadata.ServiceUpdate{Description: &desc})
	wantCode(t, err, omadata.ENOTFOUND)
	got := must[*omadata.Service](t)(s.UpdateService(As(a.ID), a.ID, omadata.ServiceUpdate{Description: &desc}))
	if got.Description["en"] != "Renamed" {
		t.Fatalf("got description %v, want Renamed", got.Description)
	}
	role := omadata.RoleSink
	list, _, err = s.FindServices(Admin(), omadata.ServiceFilter{Role: &role})
	ok(t, err)
	if len(list) != 1 || list[0].ID != b.ID {
		t.Fatalf("role filter got %d services, want the sink", len(list))
	}
}

func testServiceRoleInUse(t *testing.T, s *store.Store) {
	n := CreateNetwork(t, s)
	roles := []string{omadata.RoleSink}
	_, err := s.UpdateService(Admin(), n.Source.ID, omadata.ServiceUpdate{Roles: &roles})
	wantField(t, err, omadata.ECONFLICT, "roles")
	roles = []string{omadata.RoleSource}
	_, err = s.UpdateService(Admin(), n.Sink.ID, omadata.ServiceUpdate{Roles: &roles})
	wantField(t, err, omadata.ECONFLICT, "roles")
}

// testServiceUpdateRules: what the operator reviewed on admission (name,
// roles) only an operator admin changes; a service and its organisation
// admin keep the description and endpoints current. A refused update
// changes nothing, and a sink that tried to make itself a source is still
// refused as one in decisions.
func testServiceUpdateRules(t *testing.T, s *store.Store) {
	n := CreateNetwork(t, s)
	name := omadata.Text{"fi": "Helsingin kaupunki", "sv": "Helsingfors stad", "en": "City of Helsinki"}
	roles := []string{omadata.RoleSink, omadata.RoleSource}
	desc := Text("Updated description")
	endpoints := omadata.ServiceEndpoints{Webhook: "https://sink.example.fi/hooks"}
	company := AsOrganisation(n.Company.ID)
	for _, tt := range []struct {
		name   string
		ctx    context.Context
		update omadata.ServiceUpdate
		field  string
	}{
		{"service sets its roles", As(n.Sink.ID), omadata.ServiceUpdate{Roles: &roles}, "roles"},
		{"service renames itself", As(n.Sink.ID), omadata.ServiceUpdate{Name: &name}, "name"},
		{"service sets roles beside its description", As(n.Sink.ID), omadata.ServiceUpdate{Description: &desc, Roles: &roles}, "roles"},
		{"organisation admin sets roles", company, omadata.ServiceUpdate{Roles: &roles}, "roles"},
		{"organisation admin renames", company, omadata.ServiceUpdate{Name: &name}, "name"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := must[*omadata.Service](t)(s.FindServiceByID(Admin(), n.Sink.ID))
			_, err := s.UpdateService(tt.ctx, n.Sink.ID, tt.update)
			wantField(t, err, omadata.EFORBIDDEN, tt.field)
			after := must[*omadata.Service](t)(s.FindServiceByID(Admin(), n.Sink.ID))
			if !reflect.DeepEqual(before, after) {
				t.Fatalf("a refused update changed the service: %+v, was %+v", after, before)
			}
		})
	}
	// The sink is still no source: a decision it asks for as one is refused.
	r := CreateResident(t, s, ChildBornOn(time.Date(1980, 5, 5, 0, 0, 0, 0, time.UTC)))
	psn := must[string](t)(s.Pseudonym(Admin(), n.Sink.ID, r.ID))
	d := must[*omadata.Decision](t)(s.Decide(As(n.Sink.ID), &omadata.DecisionInput{SourceID: n.Sink.ID, Pseudonym: psn,
		DataGroupIDs: []string{n.Loans.ID}, PurposeID: n.Recommendations.ID}))
	if d.Decision != "deny" || d.Reason != omadata.DenyServiceInactive {
		t.Fatalf("the sink asking as a source got %s %q, want deny %q", d.Decision, d.Reason, omadata.DenyServiceInactive)
	}

	t.Run("own harmless fields", func(t *testing.T) {
		got := must[*omadata.Service](t)(s.UpdateService(As(n.Sink.ID), n.Sink.ID, omadata.ServiceUpdate{Description: &desc, Endpoints: &endpoints}))
		if got.Description["en"] != "Updated description" || got.Endpoints != endpoints || len(got.Roles) != 1 {
			t.Fatalf("got %+v, want the new description and endpoints, roles unchanged", got)
		}
		got = must[*omadata.Service](t)(s.UpdateService(company, n.Sink.ID, omadata.ServiceUpdate{Description: &desc}))
		if got.Description["en"] != "Updated description" {
			t.Fatalf("organisation admin: got %+v", got)
		}
	})
	t.Run("operator admin", func(t *testing.T) {
		got := must[*omadata.Service](t)(s.UpdateService(Admin(), n.Sink.ID, omadata.ServiceUpdate{Name: &name, Roles: &roles}))
		if got.Name["en"] != "City of Helsinki" || !got.HasRole(omadata.RoleSource) || got.Status != omadata.ServiceApproved {
			t.Fatalf("got %+v, want the new name and roles, still approved", got)
		}
		rows := queryStrings(t, s, `SELECT details FROM admin_changes WHERE action = 'service.updated' AND target_id = ? ORDER BY created_at DESC, id DESC`, n.Sink.ID)
		if len(rows) == 0 || !strings.Contains(rows[0], `"roles_before":["sink"]`) {
			t.Fatalf("got audit details %v, want roles_before", rows)
		}
	})
}
