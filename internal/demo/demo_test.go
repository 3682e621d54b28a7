// SPDX-License-Identifier: Apache-2.0

package demo_test

import (
	"context"
	"os"
	"slices"
	"testing"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/demo"
	"github.com/omadata/omadata/internal/store"
	"github.com/omadata/omadata/internal/store/storetest"
)

func services(s *store.Store) demo.Services {
	return demo.Services{Organisations: s, Services: s, Credentials: s, DataGroups: s, Purposes: s, Processings: s, AISystems: s, Representations: s}
}

func adminContext() context.Context {
	return omadata.NewContextWithCaller(context.Background(), omadata.Caller{Kind: omadata.CallerAdmin})
}

// counts returns the number of records of each kind, as an admin sees them.
func counts(t *testing.T, s *store.Store) map[string]int {
	t.Helper()
	ctx := adminContext()
	out := map[string]int{}
	orgs, _, err := s.FindOrganisations(ctx, omadata.OrganisationFilter{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	out["organisations"] = len(orgs)
	svcs, _, err := s.FindServices(ctx, omadata.ServiceFilter{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	out["services"] = len(svcs)
	groups, _, err := s.FindDataGroups(ctx, omadata.DataGroupFilter{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	out["data groups"] = len(groups)
	procs, _, err := s.FindProcessings(ctx, omadata.ProcessingFilter{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	out["processings"] = len(procs)
	versions := 0
	for _, p := range procs {
		versions += len(p.Versions)
	}
	out["processing versions"] = versions
	ais, _, err := s.FindAISystems(ctx, omadata.AISystemFilter{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	out["AI systems"] = len(ais)
	purposes, err := s.FindPurposes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out["purposes"] = len(purposes)
	return out
}

func TestLoad(t *testing.T) { testLoad(t, storetest.OpenSQLite(t)) }

// TestLoadPostgres loads the demo into a fresh schema on PostgreSQL when
// OMADATA_TEST_POSTGRES_DSN is set, as CI does.
func TestLoadPostgres(t *testing.T) {
	testLoad(t, storetest.OpenPostgres(t))
}

func testLoad(t *testing.T, s *store.Store) {
	ctx := context.Background()

	first, err := demo.Load(ctx, services(s))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{
		"organisations": 9, "services": 9, "data groups": 7, "processings": 3,
		"processing versions": 3, "AI systems": 2, "purposes": 9,
	}
	got := counts(t, s)
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s after first load: got %d, want %d", k, got[k], n)
		}
	}
	if first.Created != 31 { // 30 records and the population register's designation
		t.Errorf("first load: got %d records created, want 31", first.Created)
	}

	second, err := demo.Load(ctx, services(s))
	if err != nil {
		t.Fatal(err)
	}
	if second.Created != 0 {
		t.Errorf("second load: got %d records created, want 0", second.Created)
	}
	again := counts(t, s)
	for k, n := range got {
		if again[k] != n {
			t.Errorf("%s after second load: got %d, want %d", k, again[k], n)
		}
	}
	for k, id := range first.IDs {
		if second.IDs[k] != id {
			t.Errorf("ID of %s: got %s on the second load, want %s", k, second.IDs[k], id)
		}
	}
	if first.TokenServiceID == "" || second.TokenServiceID != first.TokenServiceID {
		t.Errorf("token service: got %q then %q, want one service ID", first.TokenServiceID, second.TokenServiceID)
	}

	t.Run("PopulationRegisterRecordsGuardians", func(t *testing.T) {
		for key, want := range map[string][]string{"service/helsinki-residents": {omadata.RepGuardian}, "service/helmet": {}} {
			rec, err := s.FindRepresentationRecorder(adminContext(), first.IDs[key])
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(rec.Kinds, want) {
				t.Errorf("%s records %v, want %v", key, rec.Kinds, want)
			}
		}
	})
	t.Run("Approved", func(t *testing.T) {
		svcs, _, err := s.FindServices(adminContext(), omadata.ServiceFilter{Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		for _, sv := range svcs {
			if sv.Status != omadata.ServiceApproved {
				t.Errorf("service %s: got status %s, want approved", sv.Name["en"], sv.Status)
			}
		}
	})

	t.Run("Published", func(t *testing.T) {
		procs, _, err := s.FindProcessings(adminContext(), omadata.ProcessingFilter{Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range procs {
			cur := p.Current()
			if cur == nil {
				t.Errorf("processing %s: nothing published", p.Code)
				continue
			}
			if !cur.Approved() {
				t.Errorf("processing %s: version %d on %s is not approved, so no decision permits under it", p.Code, cur.Version, cur.LegalBasis)
			}
			for _, lang := range omadata.Languages {
				found := false
				for _, n := range cur.Notices {
					if n.Language == lang {
						found = n.SHA256 == omadata.NoticeHash(n.Title, n.Body)
					}
				}
				if !found {
					t.Errorf("processing %s: no valid notice in %s", p.Code, lang)
				}
			}
		}
	})

	t.Run("Catalogue", func(t *testing.T) {
		// The public catalogue, as an anonymous caller sees it.
		entries, _, err := s.FindCatalogue(context.Background(), omadata.CatalogueFilter{Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		codes := map[string]bool{}
		for _, e := range entries {
			codes[e.Purpose.Code] = true
			if len(e.Notices) != len(omadata.Languages) {
				t.Errorf("catalogue entry %s: got %d notices, want %d", e.ProcessingID, len(e.Notices), len(omadata.Languages))
			}
		}
		if len(entries) != 3 {
			t.Errorf("got %d catalogue entries, want 3", len(entries))
		}
		for _, code := range []string{"statutory-services", "recommendations", "research"} {
			if !codes[code] {
				t.Errorf("no catalogue entry for purpose %s", code)
			}
		}
	})
}

func TestEnsureTokens(t *testing.T) {
	s := storetest.OpenSQLite(t)
	ctx := context.Background()
	res, err := demo.Load(ctx, services(s))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()

	first, err := demo.EnsureTokens(ctx, services(s), dir, res)
	if err != nil {
		t.Fatal(err)
	}
	if !first.AdminCreated || !first.ServiceCreated || !first.SourceCreated {
		t.Fatalf("first run: got created %t/%t/%t, want true/true/true", first.AdminCreated, first.ServiceCreated, first.SourceCreated)
	}
	for _, path := range []string{first.AdminFile, first.ServiceFile, first.SourceFile} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		} else if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: got mode %v, want 0600", path, fi.Mode().Perm())
		}
	}
	if c, err := s.Authenticate(ctx, first.Admin); err != nil || !c.IsAdmin() {
		t.Errorf("admin token: got caller %+v, error %v; want an admin", c, err)
	}
	if c, err := s.Authenticate(ctx, first.Service); err != nil || c.Kind != omadata.CallerService || c.ServiceID != res.TokenServiceID {
		t.Errorf("service token: got caller %+v, error %v; want service %s", c, err, res.TokenServiceID)
	}
	// The sink and the source can walk a full cycle: consent request,
	// decision, grant; grant status, transfer.
	for _, tc := range []struct {
		name, token, service string
		scopes               []string
	}{
		{"sink", first.Service, res.TokenServiceID, []string{omadata.ScopeCatalogueWrite, omadata.ScopeConsents, omadata.ScopeDecisions, omadata.ScopeGrants}},
		{"source", first.Source, res.TokenSourceID, []string{omadata.ScopeDecisions, omadata.ScopeTransfers}},
	} {
		c, err := s.Authenticate(ctx, tc.token)
		if err != nil || c.Kind != omadata.CallerService || c.ServiceID != tc.service {
			t.Errorf("%s token: got caller %+v, error %v; want service %s", tc.name, c, err, tc.service)
		}
		for _, sc := range tc.scopes {
			if !c.HasScope(sc) {
				t.Errorf("%s token: got scopes %v, want %s among them", tc.name, c.Scopes, sc)
			}
		}
	}
	if sv, err := s.FindServiceByID(ctx, res.TokenSourceID); err != nil || sv.Name["en"] != "Helmet libraries" {
		t.Errorf("source token service: got %+v, %v; want Helmet libraries", sv, err)
	}

	second, err := demo.EnsureTokens(ctx, services(s), dir, res)
	if err != nil {
		t.Fatal(err)
	}
	if second.AdminCreated || second.ServiceCreated || second.SourceCreated || second.Admin != first.Admin || second.Service != first.Service || second.Source != first.Source {
		t.Fatal("second run: got new tokens, want the ones in the files")
	}

	t.Run("LostFile", func(t *testing.T) {
		if err := os.Remove(first.AdminFile); err != nil {
			t.Fatal(err)
		}
		third, err := demo.EnsureTokens(ctx, services(s), dir, res)
		if err != nil {
			t.Fatal(err)
		}
		if !third.AdminCreated || third.Admin == first.Admin || third.ServiceCreated {
			t.Fatalf("got admin created %t, service created %t; want a new admin token only", third.AdminCreated, third.ServiceCreated)
		}
		if _, err := s.Authenticate(ctx, first.Admin); omadata.ErrorCode(err) != omadata.EUNAUTHORIZED {
			t.Errorf("lost admin token: got %v, want it revoked", err)
		}
	})

	t.Run("StaleFile", func(t *testing.T) {
		// A token file left from a deleted database is replaced.
		if err := os.WriteFile(first.ServiceFile, []byte("oma_svc_stale\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		fourth, err := demo.EnsureTokens(ctx, services(s), dir, res)
		if err != nil {
			t.Fatal(err)
		}
		if !fourth.ServiceCreated || fourth.Service == "oma_svc_stale" {
			t.Fatal("got the stale service token, want a new one")
		}
		if _, err := s.Authenticate(ctx, first.Service); omadata.ErrorCode(err) != omadata.EUNAUTHORIZED {
			t.Errorf("replaced service token: got %v, want it revoked", err)
		}
	})

	t.Run("FewerScopes", func(t *testing.T) {
		// A credential from an older demo, without the scopes a full cycle
		// needs, is replaced.
		admin := omadata.NewContextWithCaller(ctx, omadata.Caller{Kind: omadata.CallerAdmin})
		old := &omadata.Credential{ServiceID: res.TokenSourceID, Name: demo.TokenName, Scopes: []string{omadata.ScopeCatalogueRead}}
		if err := s.CreateCredential(admin, old); err != nil {
			t.Fatal(err)
		} else if err := os.WriteFile(first.SourceFile, []byte(old.Token+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		fifth, err := demo.EnsureTokens(ctx, services(s), dir, res)
		if err != nil {
			t.Fatal(err)
		}
		if !fifth.SourceCreated || fifth.Source == old.Token || fifth.ServiceCreated {
			t.Fatalf("got source created %t, service created %t; want a new source token only", fifth.SourceCreated, fifth.ServiceCreated)
		}
		if _, err := s.Authenticate(ctx, old.Token); omadata.ErrorCode(err) != omadata.EUNAUTHORIZED {
			t.Errorf("replaced source token: got %v, want it revoked", err)
		}
	})
}

// TestLoadCity loads each city's part of the demo as its own operator of
// the demo network would: only its organisations, services and data
// groups, and of its processings only those on its own data groups; the
// ones on another city's data groups wait for LoadNetwork.
func TestLoadCity(t *testing.T) {
	for _, tc := range []struct {
		city    string
		want    map[string]int
		pending int
		token   [2]string // the token sink's and source's English names
	}{
		{demo.CityHelsinki, map[string]int{"organisations": 5, "services": 7, "data groups": 6, "processings": 1, "AI systems": 1}, 0,
			[2]string{"Kirjasuositus", "Helmet libraries"}},
		{demo.CityEspoo, map[string]int{"organisations": 2, "services": 2, "data groups": 1, "processings": 0, "AI systems": 0}, 3,
			[2]string{"Espoo sports services", "Espoo early childhood education"}},
		{demo.CityTurku, map[string]int{"organisations": 2, "services": 1, "data groups": 0, "processings": 0, "AI systems": 0}, 1,
			[2]string{"Wellbeing indicators study", ""}},
	} {
		t.Run(tc.city, func(t *testing.T) {
			s := storetest.OpenSQLite(t)
			ctx := context.Background()
			res, err := demo.LoadCity(ctx, services(s), tc.city)
			if err != nil {
				t.Fatal(err)
			}
			got := counts(t, s)
			for k, n := range tc.want {
				if got[k] != n {
					t.Errorf("%s: got %d, want %d", k, got[k], n)
				}
			}
			if n, err := demo.LoadNetwork(ctx, services(s), res); err != nil || n != tc.pending {
				t.Errorf("LoadNetwork alone: got %d pending, %v; want %d waiting for another city's data groups", n, err, tc.pending)
			}
			if again := counts(t, s); again["processings"] != got["processings"] || again["AI systems"] != got["AI systems"] {
				t.Errorf("LoadNetwork without the peers' data groups created %v, want nothing", again)
			}
			for i, id := range []string{res.TokenServiceID, res.TokenSourceID} {
				name := ""
				if id != "" {
					sv, err := s.FindServiceByID(adminContext(), id)
					if err != nil {
						t.Fatal(err)
					}
					name = sv.Name["en"]
				}
				if name != tc.token[i] {
					t.Errorf("token service %d: got %q, want %q", i, name, tc.token[i])
				}
			}
			tokens, err := demo.EnsureTokens(ctx, services(s), t.TempDir(), res)
			if err != nil {
				t.Fatal(err)
			} else if (tokens.Source == "") != (tc.token[1] == "") || (tokens.SourceFile == "") != (tc.token[1] == "") {
				t.Errorf("source token %q in %q, want one exactly when the city has a demo source", tokens.Source, tokens.SourceFile)
			}
			if err := demo.LoadCityStaff(ctx, demo.StaffServices{Staff: s, Organisations: s}, tc.city); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Run("Unknown", func(t *testing.T) {
		s := storetest.OpenSQLite(t)
		if _, err := demo.LoadCity(context.Background(), services(s), "vantaa"); omadata.ErrorField(err) != "city" {
			t.Fatalf("got %v, want an error naming the city", err)
		}
		if got := counts(t, s); got["organisations"] != 0 {
			t.Errorf("got %d organisations, want none", got["organisations"])
		}
	})
}

// TestLoadNetwork publishes a city's processings on another city's data
// groups once the operator knows those groups: here Helsinki's, loaded
// into the same store, as a mirrored catalogue puts them there.
func TestLoadNetwork(t *testing.T) {
	s := storetest.OpenSQLite(t)
	ctx := context.Background()
	espoo, err := demo.LoadCity(ctx, services(s), demo.CityEspoo)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := demo.LoadNetwork(ctx, services(s), espoo); err != nil || n != 3 {
		t.Fatalf("before Helsinki's groups: got %d pending, %v; want 3", n, err)
	}
	if _, err := demo.LoadCity(ctx, services(s), demo.CityHelsinki); err != nil {
		t.Fatal(err)
	}
	if n, err := demo.LoadNetwork(ctx, services(s), espoo); err != nil || n != 0 {
		t.Fatalf("after Helsinki's groups: got %d pending, %v; want 0", n, err)
	}
	if n, err := demo.LoadNetwork(ctx, services(s), espoo); err != nil || n != 0 {
		t.Fatalf("again: got %d pending, %v; want 0", n, err)
	}
	got := counts(t, s)
	// Helsinki's reading recommendations, and Espoo's placement on a move
	// and use of the Helsinki sports card, each once.
	if got["processings"] != 3 || got["processing versions"] != 3 || got["AI systems"] != 2 {
		t.Errorf("got %v, want 3 processings with one version each and 2 AI systems", got)
	}
	entry, err := s.FindCatalogueEntry(ctx, espoo.IDs["processing/helsinki-sports-card"])
	if err != nil {
		t.Fatal(err)
	}
	if entry.LegalBasis != omadata.BasisConsent || len(entry.DataGroups) != 1 || entry.DataGroups[0].Code != "sports-services" ||
		entry.Sink.Name["en"] != "Espoo sports services" || len(entry.Notices) != len(omadata.Languages) {
		t.Errorf("got catalogue entry %+v, want Espoo sports services' consent to Helsinki's sports-services group", entry)
	}
}

// TestNetworkConsents plays the demo network on two operators' stores:
// Espoo publishes its processing on Helsinki's sports data once it mirrors
// Helsinki's catalogue, and Aino consents to it at Helsinki once Helsinki
// mirrors Espoo's.
func TestNetworkConsents(t *testing.T) {
	ctx := context.Background()
	open := func(t *testing.T) *store.Store { return storetest.OpenSQLite(t) }
	hki := storetest.OpenOperator(t, open, "http://127.0.0.1:18080", "Helsinki")
	esp := storetest.OpenOperator(t, open, "http://127.0.0.1:18081", "Espoo")
	if _, err := demo.LoadCity(ctx, services(hki.Store), demo.CityHelsinki); err != nil {
		t.Fatal(err)
	} else if _, err := demo.LoadCityResidents(ctx, demo.ResidentServices{Residents: hki, Representations: hki}, demo.CityHelsinki); err != nil {
		t.Fatal(err)
	}
	res, err := demo.LoadCity(ctx, services(esp.Store), demo.CityEspoo)
	if err != nil {
		t.Fatal(err)
	}
	act := demo.ActivityServices{Residents: hki, Consents: hki, Grants: hki, Usage: hki, Catalogue: hki}
	if n, err := demo.LoadNetworkConsents(ctx, act, demo.CityHelsinki); err != nil || n != 1 {
		t.Fatalf("before Espoo's catalogue: got %d pending, %v; want 1", n, err)
	}

	storetest.Mirror(t, hki, esp)
	if n, err := demo.LoadNetwork(ctx, services(esp.Store), res); err != nil || n != 0 {
		t.Fatalf("Espoo after mirroring Helsinki: got %d pending, %v; want 0", n, err)
	}
	storetest.Mirror(t, esp, hki)
	if n, err := demo.LoadNetworkConsents(ctx, act, demo.CityHelsinki); err != nil || n != 0 {
		t.Fatalf("after Espoo's catalogue: got %d pending, %v; want 0", n, err)
	}
	if n, err := demo.LoadNetworkConsents(ctx, act, demo.CityHelsinki); err != nil || n != 0 {
		t.Fatalf("again: got %d pending, %v; want 0", n, err)
	}
	aino, err := hki.FindResidentByIdentityCode(adminContext(), "150385-9013")
	if err != nil {
		t.Fatal(err)
	}
	procID := res.IDs["processing/helsinki-sports-card"]
	list, _, err := hki.FindConsents(adminContext(), omadata.ConsentFilter{ResidentID: &aino.ID, ProcessingID: &procID, Limit: 10})
	if err != nil {
		t.Fatal(err)
	} else if len(list) != 1 || list[0].Status != omadata.ConsentGiven {
		t.Fatalf("Aino's consents to Espoo's %s at Helsinki: got %+v, want one given", procID, list)
	}
}
