// SPDX-License-Identifier: Apache-2.0

package sources_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/client"
	"github.com/omadata/omadata/internal/demo"
	"github.com/omadata/omadata/internal/demo/sources"
	"github.com/omadata/omadata/internal/owndata"
	"github.com/omadata/omadata/internal/owndata/owndatatest"
	"github.com/omadata/omadata/internal/store/storetest"
)

// TestDemoSources runs the demo's sources as separate HTTP servers against
// a real operator with the demo catalogue: every demo resident sees data
// from them (Sanna her daughter Ella's early childhood education in
// Helsinki, then in Espoo), and no request to any source carries an
// identity code.
func TestDemoSources(t *testing.T) {
	o := owndatatest.NewOperator(t)
	ctx := context.Background()
	st := o.Store
	res, err := demo.Load(ctx, demo.Services{Organisations: st, Services: st, Credentials: st, DataGroups: st, Purposes: st,
		Processings: st, AISystems: st, Representations: st})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.LoadResidents(ctx, demo.ResidentServices{Residents: st, Representations: st}); err != nil {
		t.Fatal(err)
	}
	srcs, err := sources.Link(ctx, sources.Services{Services: st, DataGroups: st, Residents: st}, res.IDs)
	if err != nil {
		t.Fatal(err)
	}
	if len(srcs) != len(sources.Keys()) {
		t.Fatalf("got %d demo sources in the catalogue, want %d", len(srcs), len(sources.Keys()))
	}
	recorders := map[string]*owndatatest.Recorder{}
	for _, s := range srcs {
		for _, code := range sources.Groups(s.Key) {
			if s.Groups[code] == "" {
				t.Fatalf("demo source %s answers for %s, which the catalogue does not give it", s.Key, code)
			}
		}
		c := client.New(o.URL, o.Credential(t, s.ServiceID, omadata.ScopeTransfers))
		rec := owndatatest.NewRecorder(t, sources.Handler(s.Key, client.NewVerifier(o.URL, s.ServiceID, c), s.Groups, s.People))
		recorders[s.Key] = rec
		ep := omadata.ServiceEndpoints{API: rec.URL + "/api"}
		if _, err := st.UpdateService(storetest.Admin(), s.ServiceID, omadata.ServiceUpdate{Endpoints: &ep}); err != nil {
			t.Fatal(err)
		}
	}

	svc, err := owndata.New(st, nil, 5*time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	resident := func(code string) *omadata.Resident {
		r, err := st.FindResidentByIdentityCode(storetest.Admin(), code)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	people := map[string]*omadata.Resident{}
	for _, p := range demo.AllPeople() {
		people[p.Key] = resident(p.IdentityCode)
	}
	// Who asks for whom: the adults for themselves, the guardians for the
	// children.
	asker := map[string]string{"aino": "aino", "matti": "matti", "sanna": "sanna", "emma": "matti", "leo": "matti", "ella": "sanna"}
	got := map[string]map[string]*omadata.OwnData{} // person → source key → answer
	keyOf := map[string]string{}
	for _, s := range srcs {
		keyOf[s.ServiceID] = s.Key
	}
	for person, by := range asker {
		ans, err := svc.FetchOwnData(storetest.AsResident(people[by].ID), people[person].ID, nil)
		if err != nil {
			t.Fatalf("%s for %s: %v", by, person, err)
		}
		got[person] = map[string]*omadata.OwnData{}
		ok := 0
		for _, a := range ans {
			got[person][keyOf[a.ServiceID]] = a
			switch a.Status {
			case omadata.OwnDataOK:
				ok++
			case omadata.OwnDataNone:
			default:
				t.Fatalf("%s: %s answered %s", person, keyOf[a.ServiceID], a.Status)
			}
		}
		if ok == 0 {
			t.Fatalf("no demo source holds data about %s", person)
		}
	}
	for _, c := range []struct{ person, source, value string }{
		{"ella", "helsinki-ece", "Päiväkoti Lepatriinu, Kallio, Helsinki"},
		{"ella", "espoo-ece", "Päiväkoti Metsätähti, Tapiola, Espoo"},
		{"aino", "helmet", "Tove Jansson: Muumipappa ja meri"},
		{"leo", "helsinki-school", "Vallilan ala-aste, Helsinki"},
		{"matti", "helsinki-sports", "Sulkapallo, Töölön palloiluhalli, to 19.00"},
	} {
		a := got[c.person][c.source]
		if a == nil || a.Status != omadata.OwnDataOK || !slices.ContainsFunc(a.Items, func(it omadata.OwnDataItem) bool { return it.Value == c.value }) {
			t.Fatalf("%s at %s: got %+v, want %q", c.person, c.source, a, c.value)
		}
	}
	if a := got["aino"]["helsinki-ece"]; a == nil || a.Status != omadata.OwnDataNone {
		t.Fatalf("aino at helsinki-ece: got %+v, want none", a)
	}

	for key, rec := range recorders {
		if len(rec.Requests()) == 0 {
			t.Fatalf("%s: never asked", key)
		}
		for _, p := range demo.AllPeople() {
			if rec.Contains(p.IdentityCode) || rec.Contains(people[p.Key].ID) {
				t.Fatalf("%s: %s's identity code or resident ID reached the source", key, p.Key)
			}
		}
	}
}
