// SPDX-License-Identifier: Apache-2.0

package federation_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/federation"
)

func TestChooseKey(t *testing.T) {
	keys := make([]federation.Key, 3) // newest first
	for i := range keys {
		k, err := federation.NewKey()
		if err != nil {
			t.Fatal(err)
		}
		keys[i] = k
	}
	newest, middle, oldest := keys[0], keys[1], keys[2]
	rogue, _ := federation.NewKey()
	cases := []struct {
		name    string
		vouched *jose.JSONWebKeySet
		want    string
	}{
		{"NotAskedYet", nil, oldest.ID},
		{"OnlyOldest", federation.KeySet(oldest), oldest.ID},
		{"NewestVouched", federation.KeySet(oldest, middle), middle.ID},
		{"All", federation.KeySet(oldest, newest, middle), newest.ID},
		{"RogueKeyUnderOurKid", federation.KeySet(federation.Key{ID: newest.ID, Private: rogue.Private}, oldest), oldest.ID},
		{"None", federation.KeySet(rogue), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k, err := federation.ChooseKey(keys, c.vouched)
			if c.want == "" {
				if !errors.Is(err, federation.ErrNoVouchedKey) {
					t.Errorf("ChooseKey = %s, %v; want ErrNoVouchedKey", k.ID, err)
				}
				return
			}
			if err != nil || k.ID != c.want {
				t.Errorf("ChooseKey = %s, %v; want %s", k.ID, err, c.want)
			}
		})
	}
}

// TestEntityConfiguration: the claims of network.md §2.1, served with the
// media type of OIDF §9.
func TestEntityConfiguration(t *testing.T) {
	key, err := federation.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	const id, anchorID = "https://helsinki.example", "https://anchor.example"
	c := &federation.Configuration{
		Metadata:         omadata.OperatorMetadata{OperatorID: id, BaseURL: id, NetworkEndpoint: id + "/network/v1"},
		OrganizationName: "Helsingin kaupunki", AnchorID: anchorID, Keys: []federation.Key{key},
		TrustMarks: []federation.TrustMarkRef{{Type: anchorID + "/trust-marks/member", TrustMark: "x.y.z"}},
	}
	srv := httptest.NewServer(federation.Handler(func(context.Context) (string, error) { return federation.EntityConfiguration(c, key, time.Now()) }))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != federation.ContentTypeEntityStatement {
		t.Errorf("Content-Type %q", ct)
	}
	st, err := federation.Verify(string(b), federation.KeySet(key), id, id, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(st.AuthorityHints) != 1 || st.AuthorityHints[0] != anchorID || len(st.TrustMarks) != 1 || st.JWKS.Keys[0].KeyID != key.ID ||
		st.Metadata["omadata_operator"] == nil || st.Metadata["federation_entity"] == nil || st.ExpiresAt-st.IssuedAt != 3600 {
		t.Errorf("configuration = %+v", st)
	}
	if resp, err := http.Post(srv.URL, "text/plain", nil); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %v, %v", resp, err)
	}
	c.Metadata.OperatorID = "http://helsinki.example"
	if _, err := federation.EntityConfiguration(c, key, time.Now()); omadata.ErrorField(err) != "operator_id" {
		t.Errorf("a plain-http operator ID: %v", err)
	}
}
