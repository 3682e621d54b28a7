// SPDX-License-Identifier: Apache-2.0

package demo_test

import (
	"slices"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/demo"
	"github.com/omadata/omadata/internal/store"
	"github.com/omadata/omadata/internal/store/storetest"
)

func TestLoadResidents(t *testing.T) { testLoadResidents(t, storetest.OpenSQLite(t)) }

func TestLoadResidentsPostgres(t *testing.T) { testLoadResidents(t, storetest.OpenPostgres(t)) }

// testLoadResidents loads the demo residents twice: the second load
// creates nothing, the guardian holds two guardianships of minors, the
// adult a mandate, and every identity code is valid.
func testLoadResidents(t *testing.T, s *store.Store) {
	ctx := adminContext()
	if _, err := demo.Load(ctx, services(s)); err != nil {
		t.Fatal(err)
	}
	svc := demo.ResidentServices{Residents: s, Representations: s}
	n, err := demo.LoadResidents(ctx, svc)
	if err != nil || n != 4 {
		t.Fatalf("first load: got %d, %v; want 4 representations", n, err)
	}
	if n, err := demo.LoadResidents(ctx, svc); err != nil || n != 0 {
		t.Fatalf("second load: got %d, %v; want 0", n, err)
	}
	want := map[string]struct {
		kind string
		n    int
	}{"matti": {omadata.RepGuardian, 2}, "aino": {omadata.RepMandate, 1}, "sanna": {omadata.RepGuardian, 1}}
	for _, p := range demo.People() {
		born, err := omadata.ParseIdentityCode(p.IdentityCode)
		if err != nil {
			t.Fatalf("%s: %v", p.Key, err)
		}
		r, err := s.FindResidentByIdentityCode(ctx, p.IdentityCode)
		if err != nil || r.Name != p.Name {
			t.Fatalf("%s: got %+v, %v", p.Key, r, err)
		}
		reps, err := s.FindRepresentations(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		held := 0
		for _, rep := range reps {
			if rep.RepresentativeID == r.ID {
				held++
				if rep.Kind != want[p.Key].kind {
					t.Errorf("%s holds a %s, want %s", p.Key, rep.Kind, want[p.Key].kind)
				}
			}
		}
		if held != want[p.Key].n {
			t.Errorf("%s holds %d representations, want %d", p.Key, held, want[p.Key].n)
		}
		if omadata.AgeOn(born, time.Now()) < 18 {
			t.Errorf("%s can sign in but is a minor", p.Key)
		}
	}
}

// TestLoadActivity: every demo resident who signs in has data of their own
// that was used, and Sanna's move shows as the statutory transfers to
// Espoo of her address history and her daughter's early childhood
// education placement. Nobody consents to the book recommendations (the
// README's walk-through). A second load records nothing.
func TestLoadActivity(t *testing.T) {
	s := storetest.OpenSQLite(t)
	ctx := adminContext()
	res, err := demo.Load(ctx, services(s))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.LoadResidents(ctx, demo.ResidentServices{Residents: s, Representations: s}); err != nil {
		t.Fatal(err)
	}
	svc := demo.ActivityServices{Residents: s, Consents: s, Grants: s, Usage: s, Catalogue: s}
	if n, err := demo.LoadActivity(ctx, svc, res); err != nil || n != 4 {
		t.Fatalf("first load: got %d, %v; want 4 uses", n, err)
	}
	if n, err := demo.LoadActivity(ctx, svc, res); err != nil || n != 0 {
		t.Fatalf("second load: got %d, %v; want 0", n, err)
	}
	if got := mustLen(t, s, res.IDs["processing/reading-recommendations"]); got != 0 {
		t.Fatalf("%d consents to the book recommendations, want 0", got)
	} else if got := mustLen(t, s, res.IDs["processing/wellbeing-indicators"]); got != 2 {
		t.Fatalf("%d consents to the wellbeing study, want Aino's and Matti's", got)
	}
	for code, want := range map[string]struct{ source, group, basis string }{
		"021290-905C": {"helsinki-residents", "address-history", omadata.BasisPublicTask},
		"150321A905P": {"helsinki-ece", "ece-placements", omadata.BasisPublicTask},
		"150385-9013": {"helsinki-wellbeing", "wellbeing-measurements", ""},
		"010780-9021": {"helsinki-wellbeing", "wellbeing-measurements", ""},
	} {
		r, err := s.FindResidentByIdentityCode(ctx, code)
		if err != nil {
			t.Fatal(err)
		}
		used, _, err := s.FindUsage(omadata.NewContextWithCaller(ctx, omadata.Caller{Kind: omadata.CallerResident, ResidentID: r.ID}), omadata.UsageFilter{ResidentID: r.ID, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, u := range used {
			found = found || u.Kind == "transfer.recorded" && u.SourceID == res.IDs["service/"+want.source] &&
				len(u.DataGroupIDs) == 1 && u.DataGroupIDs[0] == res.IDs["data-group/"+want.group] && u.LegalBasis == want.basis
		}
		if !found {
			t.Errorf("%s: no transfer of %s from %s on %q in %+v", code, want.group, want.source, want.basis, used)
		}
	}
}

// mustLen counts the consents on a processing.
func mustLen(t *testing.T, s *store.Store, processingID string) int {
	t.Helper()
	list, _, err := s.FindConsents(adminContext(), omadata.ConsentFilter{ProcessingID: &processingID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

// TestLoadCityResidents gives each city's operator its own residents, and
// the representations among them.
func TestLoadCityResidents(t *testing.T) {
	for city, want := range map[string]struct {
		people []string // identity codes
		reps   int
	}{
		demo.CityHelsinki: {[]string{"150385-9013", "010780-9021", "021290-905C", "100514A9037"}, 4},
		demo.CityEspoo:    {[]string{"140688-961K"}, 0},
		demo.CityTurku:    {[]string{"270592-972J"}, 0},
	} {
		t.Run(city, func(t *testing.T) {
			s := storetest.OpenSQLite(t)
			n, err := demo.LoadCityResidents(adminContext(), demo.ResidentServices{Residents: s, Representations: s}, city)
			if err != nil || n != want.reps {
				t.Fatalf("got %d representations, %v; want %d", n, err, want.reps)
			}
			for _, code := range want.people {
				if _, err := s.FindResidentByIdentityCode(adminContext(), code); err != nil {
					t.Errorf("resident %s: %v", code, err)
				}
			}
			for _, other := range []string{"150385-9013", "140688-961K", "270592-972J"} {
				if slices.Contains(want.people, other) {
					continue
				}
				if _, err := s.FindResidentByIdentityCode(adminContext(), other); omadata.ErrorCode(err) != omadata.ENOTFOUND {
					t.Errorf("resident %s of another city: got %v, want not found", other, err)
				}
			}
			signIn := demo.CityPeople(city)
			if len(signIn) == 0 || !slices.Contains(want.people, signIn[0].IdentityCode) {
				t.Errorf("sign-in people %v, want the city's residents", signIn)
			}
		})
	}
}
