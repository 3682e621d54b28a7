// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/demo"
	"github.com/omadata/omadata/internal/keys"
	"github.com/omadata/omadata/internal/owndata"
	"github.com/omadata/omadata/internal/store"
)

// TestServeDemoSources asks the demo's sources that `serve --demo` mounts
// in its own server, as the operator does for Sanna: her daughter Ella's
// early childhood education in Helsinki and then in Espoo. The sources
// verify the grants over HTTP at the server, as sources elsewhere would.
func TestServeDemoSources(t *testing.T) {
	dir := t.TempDir()
	srv := startServe(t, dir)
	defer srv.stop(t)

	// A second operator instance on the same database and secret key.
	ctx := context.Background()
	admin := omadata.NewContextWithCaller(ctx, omadata.Caller{Kind: omadata.CallerAdmin})
	b, err := os.ReadFile(filepath.Join(dir, DemoKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	secret, err := decodeSecretKey(string(b))
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(dir, "omadata.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sealer, err := keys.NewSealer(secret)
	if err != nil {
		t.Fatal(err)
	}
	s := store.New(db)
	signer, _, err := keys.NewActiveSigner(admin, s, sealer, omadata.KeyPurposeRecords)
	if err != nil {
		t.Fatal(err)
	}
	keyring, err := keys.NewKeyring(secret)
	if err != nil {
		t.Fatal(err)
	}
	origin, err := s.LogOriginInUse(admin)
	if err != nil {
		t.Fatal(err)
	}
	logSigner, _, err := keys.LogSigner(admin, s, sealer, origin)
	if err != nil {
		t.Fatal(err)
	}
	s = store.New(db, store.WithKeyring(keyring), store.WithSigner(signer), store.WithIssuer(srv.URL), store.WithLog(logSigner))

	ids := map[string]string{}
	for _, p := range demo.AllPeople() {
		r, err := s.FindResidentByIdentityCode(admin, p.IdentityCode)
		if err != nil {
			t.Fatal(err)
		}
		ids[p.Key] = r.ID
	}
	svc, err := owndata.New(s, nil, 10*time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	sanna := omadata.NewContextWithCaller(ctx, omadata.Caller{Kind: omadata.CallerResident, ResidentID: ids["sanna"]})
	got, err := svc.FetchOwnData(sanna, ids["ella"], nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"Päiväkoti Lepatriinu, Kallio, Helsinki": "", "Päiväkoti Metsätähti, Tapiola, Espoo": ""}
	for _, d := range got {
		switch d.Status {
		case omadata.OwnDataOK:
			for _, it := range d.Items {
				if _, ok := want[it.Value]; ok {
					want[it.Value] = d.ServiceID
				}
			}
		case omadata.OwnDataNone:
		default:
			t.Fatalf("got %+v from a demo source, want it to answer", d)
		}
	}
	for v, from := range want {
		if from == "" {
			t.Errorf("Ella's %q not among the answers %+v", v, got)
		}
	}
}
