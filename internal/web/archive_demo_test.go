// SPDX-License-Identifier: Apache-2.0

package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/client"
	"github.com/omadata/omadata/internal/archive"
	"github.com/omadata/omadata/internal/demo"
	"github.com/omadata/omadata/internal/demo/sources"
	"github.com/omadata/omadata/internal/owndata"
	"github.com/omadata/omadata/internal/owndata/owndatatest"
	"github.com/omadata/omadata/internal/store/storetest"
	"github.com/omadata/omadata/internal/web"
)

// TestArchiveDemoSources: an operator with the demo catalogue and the
// demo's sources running as separate HTTP servers. Each demo resident's
// archive verifies with the independent checker (checkArchive) and holds
// a part from every source that has data about them; the source that is
// down is listed with its status and no part; no request to a source
// carries an identity code; a changed byte in a source's part fails.
func TestArchiveDemoSources(t *testing.T) {
	ctx := context.Background()
	st := storetest.OpenURL(t, "sqlite:"+filepath.Join(t.TempDir(), "omadata.db"))
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
	var h http.Handler
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(hs.Close)
	builder := &archive.Builder{Requests: st, Signer: storetest.RecordSigner(t, st), OperatorID: storeIssuer, PublicURL: hs.URL}
	h = web.New(web.Options{
		Organisations: st, Services: st, Credentials: st, DataGroups: st, Purposes: st, Processings: st, AISystems: st,
		Catalogue: st, SigningKeys: st, Residents: st, Representations: st, Consents: st, Decisions: st, Grants: st, Webhooks: st,
		Log: st, Usage: st, Requests: st, Apps: st, AppTokens: st, Archives: builder,
		Operator: web.OperatorInfo{ID: storeIssuer, Name: "Test City", BusinessID: "0201256-6", Email: "mydata@example.fi", PublicURL: hs.URL},
	})
	const downKey = "helsinki-sports"
	recorders := map[string]*owndatatest.Recorder{}
	for _, s := range srcs {
		cred := &omadata.Credential{ServiceID: s.ServiceID, Name: "demo source", Scopes: []string{omadata.ScopeTransfers}}
		must(t, "credential", st.CreateCredential(storetest.Admin(), cred))
		rec := owndatatest.NewRecorder(t, sources.Handler(s.Key, client.NewVerifier(hs.URL, s.ServiceID, client.New(hs.URL, cred.Token)), s.Groups, s.People))
		recorders[s.Key] = rec
		ep := omadata.ServiceEndpoints{API: rec.URL + "/api"}
		_, err := st.UpdateService(storetest.Admin(), s.ServiceID, omadata.ServiceUpdate{Endpoints: &ep})
		must(t, "source endpoint", err)
	}
	recorders[downKey].Close()
	if builder.OwnData, err = owndata.New(st, nil, 5*time.Second, nil); err != nil {
		t.Fatal(err)
	}
	jwks := hs.URL + "/.well-known/jwks.json"

	for _, p := range demo.People() {
		r, err := st.FindResidentByIdentityCode(storetest.Admin(), p.IdentityCode)
		must(t, "resident", err)
		se, err := st.CreateSession(storetest.Admin(), r.ID, time.Hour)
		must(t, "session", err)
		req, _ := http.NewRequest("GET", hs.URL+"/api/v1/me/export", nil)
		req.Header.Set("Authorization", "Bearer "+se.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 {
			t.Fatalf("%s: got %d %s", p.Key, resp.StatusCode, body)
		}
		m, err := checkArchive(body, jwks)
		if err != nil {
			t.Fatalf("%s: the archive does not verify: %v", p.Key, err)
		}
		got := map[string]checkedSource{} // data group ID → answer
		for _, a := range m.Sources {
			got[a.DataGroupID] = a
		}
		withData := 0
		for _, s := range srcs {
			for _, code := range sources.Groups(s.Key) {
				a, ok := got[s.Groups[code]]
				switch {
				case !ok:
					t.Fatalf("%s: %s %s is not in the manifest", p.Key, s.Key, code)
				case s.Key == downKey && (a.Status != omadata.OwnDataUnavailable || len(a.Parts) != 0):
					t.Fatalf("%s: the source that is down: got %+v, want unavailable with no part", p.Key, a)
				case s.Key != downKey && sources.Answer(s.Key, code, p.Key) != nil:
					if a.Status != omadata.OwnDataOK || len(a.Parts) == 0 {
						t.Fatalf("%s: %s %s: got %+v, want its data", p.Key, s.Key, code, a)
					}
					withData++
					if bad := rezip(t, body, a.Parts[0]); func() bool { _, err := checkArchive(bad, jwks); return err == nil }() {
						t.Fatalf("%s: a changed byte in %s still verifies", p.Key, a.Parts[0])
					}
				case s.Key != downKey && a.Status != omadata.OwnDataNone:
					t.Fatalf("%s: %s %s: got %+v, want none", p.Key, s.Key, code, a)
				}
			}
		}
		if withData == 0 {
			t.Fatalf("%s: no source had data; the test shows nothing", p.Key)
		}
	}
	for key, rec := range recorders {
		for _, p := range demo.AllPeople() {
			if rec.Contains(p.IdentityCode) {
				t.Fatalf("source %s received %s's identity code", key, p.Key)
			}
		}
	}
}
