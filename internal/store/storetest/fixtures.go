// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
)

var businessIDSeq atomic.Int64

// BusinessID returns a fresh valid Finnish business ID on every call.
func BusinessID() string {
	for {
		n := 1000000 + businessIDSeq.Add(1)*7919%8000000
		s := fmt.Sprintf("%07d", n)
		weights := []int{7, 9, 10, 5, 8, 4, 2}
		sum := 0
		for i, w := range weights {
			sum += int(s[i]-'0') * w
		}
		switch r := sum % 11; r {
		case 0:
			return s + "-0"
		case 1:
			continue
		default:
			return fmt.Sprintf("%s-%d", s, 11-r)
		}
	}
}

// Text returns a Text with a value in every language.
func Text(s string) omadata.Text {
	return omadata.Text{"fi": s + " (fi)", "sv": s + " (sv)", "en": s}
}

// NewOrganisation builds a valid organisation of kind.
func NewOrganisation(kind string) *omadata.Organisation {
	return &omadata.Organisation{
		Kind: kind, Name: omadata.Text{"fi": "Testikaupunki", "sv": "Teststad", "en": "Test City"}, BusinessID: BusinessID(),
		Email: "kirjaamo@example.fi", PrivacyPolicyURL: "https://example.fi/tietosuoja",
		Address: omadata.Address{Street: "Pohjoisesplanadi 11-13", PostalCode: "00170", City: "Helsinki", Country: "FI"},
		DPO:     omadata.Contact{Name: "Tietosuojavastaava", Email: "tietosuoja@example.fi"},
	}
}

// CreateOrganisation stores a new organisation of kind.
func CreateOrganisation(t testing.TB, s *store.Store, kind string) *omadata.Organisation {
	t.Helper()
	o := NewOrganisation(kind)
	if err := s.CreateOrganisation(Admin(), o); err != nil {
		t.Fatal(err)
	}
	return o
}

// NewService builds a valid service of an organisation with roles.
func NewService(orgID string, roles ...string) *omadata.Service {
	return &omadata.Service{
		OrganisationID: orgID, Name: Text("Test service"), Description: Text("A service under test."), Roles: roles,
		Endpoints: omadata.ServiceEndpoints{API: "https://api.example.fi/v1", Webhook: "https://api.example.fi/hooks"},
	}
}

// CreateService stores a service with roles; approve admits it.
func CreateService(t testing.TB, s *store.Store, orgID string, approve bool, roles ...string) *omadata.Service {
	t.Helper()
	sv := NewService(orgID, roles...)
	if err := s.CreateService(Admin(), sv); err != nil {
		t.Fatal(err)
	}
	if approve {
		var err error
		if sv, err = s.SetServiceStatus(Admin(), sv.ID, omadata.ServiceApproved); err != nil {
			t.Fatal(err)
		}
	}
	return sv
}

// NewDataGroup builds a data group of a source.
func NewDataGroup(serviceID, code string, special bool) *omadata.DataGroup {
	g := &omadata.DataGroup{
		ServiceID: serviceID, Code: code, Name: Text("Library loans"), Description: Text("Books you have borrowed."),
		PersonalDataCategories: []string{"pd:ServiceConsumptionBehavior"}, Retention: "P2Y",
	}
	if special {
		g.SpecialCategory = true
		g.PersonalDataCategories = []string{"pd:PhysicalHealth"}
	}
	return g
}

// CreateDataGroup stores a data group as an admin.
func CreateDataGroup(t testing.TB, s *store.Store, serviceID, code string, special bool) *omadata.DataGroup {
	t.Helper()
	g := NewDataGroup(serviceID, code, special)
	if err := s.CreateDataGroup(Admin(), g); err != nil {
		t.Fatal(err)
	}
	return g
}

// Purpose returns the seeded purpose with code.
func Purpose(t testing.TB, s *store.Store, code string) *omadata.Purpose {
	t.Helper()
	ps, err := s.FindPurposes(Admin())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.Code == code {
			return p
		}
	}
	t.Fatalf("no purpose %q", code)
	return nil
}

// NewDraft builds a consent-based processing draft for a sink.
func NewDraft(sinkID, code, purposeID string, groups ...string) *omadata.ProcessingDraft {
	return &omadata.ProcessingDraft{
		ServiceID: sinkID, Code: code, Title: Text("Book recommendations"), Description: Text("We recommend books."),
		PurposeID: purposeID, DataGroupIDs: groups, LegalBasis: omadata.BasisConsent, Retention: "P1Y",
		Recipients: []omadata.Recipient{{Name: "Kirjasuositus Oy", Role: omadata.RecipientController}},
	}
}

// PutNotices sets a notice in every language of a draft version.
func PutNotices(t testing.TB, s *store.Store, processingID string, version int) {
	t.Helper()
	for _, l := range omadata.Languages {
		n := &omadata.Notice{Language: l, Title: "Notice " + l, Body: "What we do with your data, in " + l + "."}
		if _, err := s.PutNotice(Admin(), processingID, version, n); err != nil {
			t.Fatal(err)
		}
	}
}

// Network is a small catalogue: a city source with two data groups (one
// special-category), a company sink and a published processing.
type Network struct {
	City, Company   *omadata.Organisation
	Source, Sink    *omadata.Service
	Loans, Health   *omadata.DataGroup
	Processing      *omadata.Processing
	Recommendations *omadata.Purpose
}

// CreateNetwork builds a Network in s.
func CreateNetwork(t testing.TB, s *store.Store) *Network {
	t.Helper()
	n := &Network{}
	n.City = CreateOrganisation(t, s, omadata.OrgCity)
	n.Company = CreateOrganisation(t, s, omadata.OrgCompany)
	n.Source = CreateService(t, s, n.City.ID, true, omadata.RoleSource)
	n.Sink = CreateService(t, s, n.Company.ID, true, omadata.RoleSink)
	n.Loans = CreateDataGroup(t, s, n.Source.ID, "library-loans", false)
	n.Health = CreateDataGroup(t, s, n.Source.ID, "wellbeing", true)
	n.Recommendations = Purpose(t, s, "recommendations")
	p, err := s.CreateProcessing(Admin(), NewDraft(n.Sink.ID, "recommendations", n.Recommendations.ID, n.Loans.ID))
	if err != nil {
		t.Fatal(err)
	}
	PutNotices(t, s, p.ID, 1)
	if _, err := s.PublishVersion(Admin(), p.ID, 1); err != nil {
		t.Fatal(err)
	}
	if n.Processing, err = s.FindProcessingByID(Admin(), p.ID); err != nil {
		t.Fatal(err)
	}
	return n
}
