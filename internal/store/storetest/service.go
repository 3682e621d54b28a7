// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"testing"

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
	name := Text("Renamed")
	_, err = s.UpdateService(As(a.ID), b.ID, omadata.ServiceUpdate{Name: &name})
	wantCode(t, err, omadata.ENOTFOUND)
	got := must[*omadata.Service](t)(s.UpdateService(As(a.ID), a.ID, omadata.ServiceUpdate{Name: &name}))
	if got.Name["en"] != "Renamed" {
		t.Fatalf("got name %v, want Renamed", got.Name)
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
