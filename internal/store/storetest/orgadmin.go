// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
)

// AsOrganisation returns a context carrying an organisation admin of org,
// as the admin console makes one for a signed-in organisation admin.
func AsOrganisation(org string) context.Context {
	return omadata.NewContextWithCaller(context.Background(), omadata.Caller{
		Kind: omadata.CallerOrganisation, TokenID: "staff:stf_test", Organisation: org,
	})
}

// testOrganisationAdmin: an organisation admin sees and changes their own
// organisation's catalogue, and nothing of another's is even found.
func testOrganisationAdmin(t *testing.T, s *store.Store) {
	n := CreateNetwork(t, s)
	city, company := AsOrganisation(n.City.ID), AsOrganisation(n.Company.ID)
	code := omadata.ErrorCode

	// Services: their own and their divisions' only.
	div := NewOrganisation(omadata.OrgDivision)
	div.BusinessID, div.ParentID = "", n.City.ID
	ok(t, s.CreateOrganisation(Admin(), div))
	divSvc := CreateService(t, s, div.ID, true, omadata.RoleSource)
	svcs, _, err := s.FindServices(city, omadata.ServiceFilter{})
	ok(t, err)
	if len(svcs) != 2 || svcs[0].ID != n.Source.ID && svcs[1].ID != n.Source.ID || svcs[0].ID != divSvc.ID && svcs[1].ID != divSvc.ID {
		t.Fatalf("city admin sees %d services, want its source and its division's", len(svcs))
	}
	if svcs, _, err := s.FindServices(AsOrganisation(div.ID), omadata.ServiceFilter{}); err != nil || len(svcs) != 1 || svcs[0].ID != divSvc.ID {
		t.Fatalf("division admin sees %d services (%v), want only its own", len(svcs), err)
	}
	if _, err := s.FindServiceByID(city, n.Sink.ID); code(err) != omadata.ENOTFOUND {
		t.Fatalf("city admin finding the company's sink: %v, want not found", err)
	}
	if _, err := s.SetServiceStatus(city, n.Source.ID, omadata.ServiceSuspended); code(err) != omadata.EFORBIDDEN {
		t.Fatalf("organisation admin suspending: %v, want forbidden (the operator admits and suspends)", err)
	}
	if err := s.CreateService(city, NewService(n.City.ID, omadata.RoleSource)); code(err) != omadata.EFORBIDDEN {
		t.Fatalf("organisation admin creating a service: %v, want forbidden", err)
	}
	if err := s.CreateOrganisation(city, NewOrganisation(omadata.OrgCity)); code(err) != omadata.EFORBIDDEN {
		t.Fatalf("organisation admin creating an organisation: %v, want forbidden", err)
	}

	// Credentials: any scope for their own services; others' not found.
	cred := &omadata.Credential{ServiceID: n.Source.ID, Name: "release", Scopes: []string{omadata.ScopeTransfers, omadata.ScopeCatalogueWrite}}
	ok(t, s.CreateCredential(city, cred))
	if cred.Token == "" {
		t.Fatal("the new credential's token is not returned")
	}
	caller, err := s.Authenticate(context.Background(), cred.Token)
	ok(t, err)
	if caller.Kind != omadata.CallerService || caller.ServiceID != n.Source.ID {
		t.Fatalf("the credential authenticates as %+v", caller)
	}
	if err := s.CreateCredential(city, &omadata.Credential{ServiceID: n.Sink.ID, Name: "x", Scopes: []string{omadata.ScopeDecisions}}); code(err) != omadata.ENOTFOUND {
		t.Fatalf("credential for another organisation's service: %v, want not found", err)
	}
	if _, err := s.FindCredentials(city, n.Sink.ID); code(err) != omadata.ENOTFOUND {
		t.Fatalf("listing another organisation's credentials: %v, want not found", err)
	}
	list, err := s.FindCredentials(city, n.Source.ID)
	ok(t, err)
	if len(list) != 1 || list[0].ID != cred.ID {
		t.Fatalf("city admin lists %d credentials, want the one it made", len(list))
	}
	if _, err := s.RevokeCredential(company, n.Source.ID, cred.ID); code(err) != omadata.ENOTFOUND {
		t.Fatalf("company admin revoking the city's credential: %v, want not found", err)
	}
	_, err = s.RevokeCredential(city, n.Source.ID, cred.ID)
	ok(t, err)
	if _, err := s.Authenticate(context.Background(), cred.Token); code(err) != omadata.EUNAUTHORIZED {
		t.Fatalf("revoked credential: %v", err)
	}
	actors := queryStrings(t, s, `SELECT actor_id FROM admin_changes WHERE target_id = ? ORDER BY id`, cred.ID)
	if len(actors) != 2 || actors[0] != "organisation:staff:stf_test" || actors[1] != actors[0] {
		t.Fatalf("audit actors %v, want the organisation admin twice", actors)
	}

	// Data groups and processings: their own services'.
	if _, err := s.FindDataGroupByID(company, n.Loans.ID); code(err) != omadata.ENOTFOUND {
		t.Fatalf("company admin finding the city's data group: %v, want not found", err)
	}
	g := NewDataGroup(n.Source.ID, "library-reservations", false)
	ok(t, s.CreateDataGroup(city, g))
	if err := s.CreateDataGroup(company, NewDataGroup(n.Source.ID, "x-group", false)); code(err) != omadata.EINVALID || omadata.ErrorField(err) != "service_id" {
		t.Fatalf("company admin adding a data group to the city's source: %v, want invalid service_id", err)
	}
	// The city controls the loans the company's processing uses: its admin
	// sees the processing (to approve it where approval is needed) but
	// does not change it.
	if _, err := s.FindProcessingByID(city, n.Processing.ID); err != nil {
		t.Fatalf("city admin finding the company's processing over the city's data: %v", err)
	}
	if _, err := s.CreateVersion(city, n.Processing.ID, true); code(err) != omadata.EFORBIDDEN {
		t.Fatalf("city admin versioning the company's processing: %v, want forbidden", err)
	}
	other := CreateOrganisation(t, s, omadata.OrgCompany)
	if _, err := s.FindProcessingByID(AsOrganisation(other.ID), n.Processing.ID); code(err) != omadata.ENOTFOUND {
		t.Fatalf("an unrelated organisation's admin finding the processing: %v, want not found", err)
	}
	v, err := s.CreateVersion(company, n.Processing.ID, true)
	ok(t, err)
	if v.Version != 2 {
		t.Fatalf("company admin made version %d, want 2", v.Version)
	}

	// Deliveries: their services' only; requests and decisions: none.
	t0 := time.Now()
	sinkDel := InsertDelivery(t, s, n.Sink.ID, omadata.EventConsentGiven, t0)
	srcDel := InsertDelivery(t, s, n.Source.ID, omadata.EventReleaseRecorded, t0)
	dl, _, err := s.FindDeliveries(city, omadata.DeliveryFilter{})
	ok(t, err)
	if len(dl) != 1 || dl[0].ID != srcDel {
		t.Fatalf("city admin sees %v, want only %s", deliveryIDs(dl), srcDel)
	}
	if _, err := s.Redeliver(city, sinkDel); code(err) != omadata.ENOTFOUND {
		t.Fatalf("city admin redelivering the company's delivery: %v, want not found", err)
	}
	if _, err := s.Redeliver(city, srcDel); code(err) != omadata.ECONFLICT {
		t.Fatalf("city admin redelivering its pending delivery: %v, want conflict", err)
	}
	if _, _, err := s.FindRequests(city, omadata.RequestFilter{}); code(err) != omadata.EFORBIDDEN {
		t.Fatalf("organisation admin listing requests: %v, want forbidden", err)
	}
	if _, err := s.FindStaff(city); code(err) != omadata.EFORBIDDEN {
		t.Fatalf("organisation admin listing staff: %v, want forbidden", err)
	}
}

func queryStrings(t *testing.T, s *store.Store, query string, args ...any) []string {
	t.Helper()
	rows, err := s.DB().QueryStrings(context.Background(), query, args...)
	ok(t, err)
	var out []string
	for _, r := range rows {
		out = append(out, r[0])
	}
	return out
}
