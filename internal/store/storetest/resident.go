// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
)

// Identity codes of test residents (standards.md §7.1 vectors).
const (
	AdultCode  = "131052-308T" // born 1952-10-13
	AdultCode2 = "280251X899U" // born 1951-02-28
	ChildCode  = "150705A2334" // born 2005-07-15
)

// AsResident returns a context carrying a resident signed in to the portal.
func AsResident(residentID string) context.Context {
	return AsResidentVia(residentID, omadata.ChannelPortal)
}

// AsResidentVia returns a context carrying a resident signed in through
// channel (omadata.ChannelAPI or omadata.ChannelPortal).
func AsResidentVia(residentID, channel string) context.Context {
	return omadata.NewContextWithCaller(context.Background(), omadata.Caller{Kind: omadata.CallerResident, TokenID: "ses_test", ResidentID: residentID, Channel: channel})
}

// CreateResident ensures the resident with code.
func CreateResident(t testing.TB, s *store.Store, code string) *omadata.Resident {
	t.Helper()
	r, err := s.EnsureResident(Admin(), code, "Testi Asukas")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// ChildBornOn returns a valid identity code of a child born on day.
func ChildBornOn(day time.Time) string {
	prefix := day.Format("020106")
	sign := "A"
	if day.Year() < 2000 {
		sign = "-"
	}
	var n int
	fmt.Sscanf(prefix+"202", "%d", &n)
	return prefix + sign + "202" + string("0123456789ABCDEFHJKLMNPRSTUVWXY"[n%31])
}

func testResidentSealed(t *testing.T, s *store.Store) {
	r := CreateResident(t, s, AdultCode)
	again := CreateResident(t, s, AdultCode)
	if r.ID != again.ID || r.BirthDate != "1952-10-13" {
		t.Fatalf("got %s and %s born %s, want one resident born 1952-10-13", r.ID, again.ID, r.BirthDate)
	}
	rows, err := s.DB().QueryStrings(context.Background(), `SELECT * FROM residents`)
	ok(t, err)
	for _, row := range rows {
		for _, v := range row {
			if strings.Contains(v, "131052") || strings.Contains(v, "Testi") {
				t.Fatalf("the identity code or name is stored in the clear: %q", row)
			}
		}
	}
	own := must[*omadata.Resident](t)(s.FindResidentByID(AsResident(r.ID), r.ID))
	if own.IdentityCode != AdultCode || own.Name != "Testi Asukas" {
		t.Fatalf("got %+v, want the resident's own profile with code and name", own)
	}
	adm := must[*omadata.Resident](t)(s.FindResidentByID(Admin(), r.ID))
	if adm.IdentityCode != "" {
		t.Fatal("an admin sees the identity code")
	}
	other := CreateResident(t, s, AdultCode2)
	_, err = s.FindResidentByID(AsResident(other.ID), r.ID)
	wantCode(t, err, omadata.ENOTFOUND)
	_, err = s.FindResidentByID(As("svc_x"), r.ID)
	wantCode(t, err, omadata.ENOTFOUND)
	_, err = s.EnsureResident(Admin(), "131052-308U", "")
	wantField(t, err, omadata.EINVALID, "identity_code")
	_, err = s.EnsureResident(AsResident(r.ID), AdultCode2, "")
	wantCode(t, err, omadata.EFORBIDDEN)
}

func testResidentLink(t *testing.T, s *store.Store) {
	n := CreateNetwork(t, s)
	other := CreateService(t, s, n.City.ID, true, omadata.RoleSource)
	link := omadata.NewContextWithCaller(context.Background(), omadata.Caller{Kind: omadata.CallerService, ServiceID: n.Source.ID, Scopes: []string{omadata.ScopeResidentsLink}})
	l1 := must[*omadata.ResidentLink](t)(s.LinkResident(link, AdultCode))
	l2 := must[*omadata.ResidentLink](t)(s.LinkResident(link, AdultCode))
	if !l1.Created || l2.Created || l1.Pseudonym != l2.Pseudonym || !strings.HasPrefix(l1.Pseudonym, "psn_") {
		t.Fatalf("got %+v then %+v, want one stable pseudonym", l1, l2)
	}
	link2 := omadata.NewContextWithCaller(context.Background(), omadata.Caller{Kind: omadata.CallerService, ServiceID: other.ID, Scopes: []string{omadata.ScopeResidentsLink}})
	l3 := must[*omadata.ResidentLink](t)(s.LinkResident(link2, AdultCode))
	if l3.Pseudonym == l1.Pseudonym {
		t.Fatal("two services share a pseudonym")
	}
	sinkLink := omadata.NewContextWithCaller(context.Background(), omadata.Caller{Kind: omadata.CallerService, ServiceID: n.Sink.ID, Scopes: []string{omadata.ScopeResidentsLink}})
	_, err := s.LinkResident(sinkLink, AdultCode)
	wantCode(t, err, omadata.EFORBIDDEN)
	catalogueOnly := omadata.NewContextWithCaller(context.Background(), omadata.Caller{Kind: omadata.CallerService, ServiceID: n.Source.ID, Scopes: []string{omadata.ScopeCatalogueRead}})
	_, err = s.LinkResident(catalogueOnly, AdultCode)
	wantCode(t, err, omadata.EFORBIDDEN)
	_, err = s.LinkResident(link, "010185+123G")
	wantField(t, err, omadata.EINVALID, "identity_code")
}

func testResidentRekey(t *testing.T, s *store.Store) {
	r := CreateResident(t, s, AdultCode)
	CreateResident(t, s, AdultCode2)
	_, err := s.RekeyResident(Admin(), AdultCode, AdultCode2)
	wantField(t, err, omadata.ECONFLICT, "new_identity_code")
	moved := must[*omadata.Resident](t)(s.RekeyResident(Admin(), AdultCode, "010185+123B"))
	if moved.ID != r.ID || moved.BirthDate != "1885-01-01" {
		t.Fatalf("got %+v", moved)
	}
	again := CreateResident(t, s, "010185+123B")
	if again.ID != r.ID {
		t.Fatal("the corrected code finds another resident")
	}
	_, err = s.RekeyResident(Admin(), AdultCode, ChildCode)
	wantCode(t, err, omadata.ENOTFOUND)
}

func testSession(t *testing.T, s *store.Store) {
	r := CreateResident(t, s, AdultCode)
	se := must[*omadata.Session](t)(s.CreateSession(Admin(), r.ID, time.Hour))
	c, err := s.Authenticate(context.Background(), se.Token)
	ok(t, err)
	if c.Kind != omadata.CallerResident || c.ResidentID != r.ID {
		t.Fatalf("got %+v", c)
	}
	_, err = s.CreateSession(AsResident(r.ID), r.ID, time.Hour)
	wantCode(t, err, omadata.EFORBIDDEN)
	fixedClock(s, time.Now().Add(2*time.Hour))
	_, err = s.Authenticate(context.Background(), se.Token)
	wantCode(t, err, omadata.EUNAUTHORIZED)
	s.DB().Now = time.Now
	se2 := must[*omadata.Session](t)(s.CreateSession(Admin(), r.ID, time.Hour))
	other := CreateResident(t, s, AdultCode2)
	wantCode(t, s.EndSession(AsResident(other.ID), se2.ID), omadata.ENOTFOUND)
	ok(t, s.EndSession(AsResident(r.ID), se2.ID))
	_, err = s.Authenticate(context.Background(), se2.Token)
	wantCode(t, err, omadata.EUNAUTHORIZED)
}

func testGuardianship(t *testing.T, s *store.Store) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	fixedClock(s, now)
	childCode := ChildBornOn(time.Date(2008, 11, 23, 0, 0, 0, 0, time.UTC)) // 18 tomorrow
	rep := must[*omadata.Representation](t)(s.CreateRepresentation(Admin(), &omadata.RepresentationInput{
		Kind: omadata.RepGuardian, RepresentativeIdentityCode: AdultCode, PrincipalIdentityCode: childCode, Basis: "population register",
	}))
	child := CreateResident(t, s, childCode)
	guardian := CreateResident(t, s, AdultCode)
	if rep.RepresentativeID != guardian.ID || rep.PrincipalID != child.ID || rep.Kind != omadata.RepGuardian {
		t.Fatalf("got %+v, want the guardian of the child", rep)
	}
	if _, err := s.FindResidentByID(AsResident(guardian.ID), child.ID); err != nil {
		t.Fatalf("the guardian cannot see the child today: %v", err)
	}
	fixedClock(s, time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC))
	_, err := s.FindResidentByID(AsResident(guardian.ID), child.ID)
	wantCode(t, err, omadata.ENOTFOUND)
	fixedClock(s, now)

	cases := []struct {
		name  string
		in    omadata.RepresentationInput
		field string
	}{
		{"guardian of an adult", omadata.RepresentationInput{Kind: omadata.RepGuardian, RepresentativeIdentityCode: AdultCode, PrincipalIdentityCode: AdultCode2, Basis: "x"}, "principal_identity_code"},
		{"mandate for a child", omadata.RepresentationInput{Kind: omadata.RepMandate, RepresentativeIdentityCode: AdultCode, PrincipalIdentityCode: childCode, Basis: "x"}, "principal_identity_code"},
		{"child as representative", omadata.RepresentationInput{Kind: omadata.RepMandate, RepresentativeIdentityCode: ChildBornOn(time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)), PrincipalIdentityCode: AdultCode2, Basis: "x"}, "representative_identity_code"},
		{"self", omadata.RepresentationInput{Kind: omadata.RepMandate, RepresentativeIdentityCode: AdultCode, PrincipalIdentityCode: AdultCode, Basis: "x"}, "principal_identity_code"},
		{"unknown purpose", omadata.RepresentationInput{Kind: omadata.RepMandate, RepresentativeIdentityCode: AdultCode, PrincipalIdentityCode: AdultCode2, Basis: "x", RepresentationScope: omadata.RepresentationScope{Purposes: []string{"astrology"}}}, "scope"},
		{"bad kind", omadata.RepresentationInput{Kind: "friend", RepresentativeIdentityCode: AdultCode, PrincipalIdentityCode: AdultCode2, Basis: "x"}, "kind"},
		{"bad code", omadata.RepresentationInput{Kind: omadata.RepMandate, RepresentativeIdentityCode: "131052-308U", PrincipalIdentityCode: AdultCode2, Basis: "x"}, "representative_identity_code"},
		{"no basis", omadata.RepresentationInput{Kind: omadata.RepMandate, RepresentativeIdentityCode: AdultCode, PrincipalIdentityCode: AdultCode2}, "basis"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.CreateRepresentation(Admin(), &c.in)
			wantField(t, err, omadata.EINVALID, c.field)
		})
	}
	m := must[*omadata.Representation](t)(s.CreateRepresentation(Admin(), &omadata.RepresentationInput{
		Kind: omadata.RepMandate, RepresentativeIdentityCode: AdultCode, PrincipalIdentityCode: AdultCode2, Basis: "mandate code 123", RepresentationScope: omadata.RepresentationScope{Purposes: []string{"research"}},
	}))
	list := must[[]*omadata.Representation](t)(s.FindRepresentations(AsResident(guardian.ID), guardian.ID))
	if len(list) != 2 {
		t.Fatalf("got %d representations, want 2", len(list))
	}
	_, err = s.FindRepresentations(AsResident(child.ID), guardian.ID)
	wantCode(t, err, omadata.ENOTFOUND)
	_, err = s.EndRepresentation(AsResident(child.ID), m.ID)
	wantCode(t, err, omadata.ENOTFOUND)
	ended := must[*omadata.Representation](t)(s.EndRepresentation(AsResident(m.PrincipalID), m.ID))
	if ended.EndedAt == nil {
		t.Fatal("not ended")
	}
	_, err = s.EndRepresentation(Admin(), m.ID)
	wantField(t, err, omadata.ECONFLICT, "ended_at")
}
