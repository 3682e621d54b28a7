// SPDX-License-Identifier: Apache-2.0

package client_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/client"
	"github.com/omadata/omadata/internal/owndata"
	"github.com/omadata/omadata/internal/store/storetest"
)

// TestOwnDataHandler runs the source protocol against a real operator: a
// source written with OwnDataHandler answers the operator's own-access
// grant with its data, 404 where it holds nothing, and refuses a sink's
// ordinary grant, a grant for another group, and no grant at all.
func TestOwnDataHandler(t *testing.T) {
	o := newOperator(t)
	ctx := context.Background()
	admin := storetest.Admin()
	psn, err := o.store.Pseudonym(admin, o.n.Source.ID, o.resident.ID)
	if err != nil {
		t.Fatal(err)
	}
	// A second resident the library knows but holds no loans of.
	other := storetest.CreateResident(t, o.store, storetest.AdultCode2)
	if _, err := o.store.Pseudonym(admin, o.n.Source.ID, other.ID); err != nil {
		t.Fatal(err)
	}

	var seen []string
	c := client.New(o.url, o.srcToken)
	h := client.OwnDataHandler(client.NewVerifier(o.url, o.n.Source.ID, c),
		map[string]string{"library-loans": o.n.Loans.ID, "wellbeing": o.n.Health.ID},
		func(ctx context.Context, pseudonym, code string) (*client.OwnDataAnswer, error) {
			seen = append(seen, pseudonym)
			if pseudonym != psn {
				return nil, omadata.NotFound("Resident")
			}
			return &client.OwnDataAnswer{
				Items: []omadata.OwnDataItem{{Label: omadata.Text{"fi": "Laina", "sv": "Lån", "en": "Loan"}, Value: "Seitsemän veljestä", Date: "2026-11-02"}},
				Table: &omadata.OwnDataTable{
					Columns: []omadata.OwnDataColumn{{Key: "title", Label: omadata.Text{"en": "Title"}}, {Key: "due", Label: omadata.Text{"en": "Due"}}},
					Rows:    []map[string]string{{"title": "Seitsemän veljestä", "due": "2026-11-30"}},
				},
			}, nil
		})
	mux := http.NewServeMux()
	mux.Handle("GET /v1/omadata/own-data/{code}", h)
	src := httptest.NewServer(mux)
	t.Cleanup(src.Close)
	ep := omadata.ServiceEndpoints{API: src.URL + "/v1"}
	if _, err := o.store.UpdateService(admin, o.n.Source.ID, omadata.ServiceUpdate{Endpoints: &ep}); err != nil {
		t.Fatal(err)
	}

	svc, err := owndata.New(o.store, nil, 5*time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := svc.FetchOwnData(storetest.AsResident(o.resident.ID), o.resident.ID, []string{o.n.Loans.ID})
	if err != nil {
		t.Fatal(err)
	}
	if d := got[0]; d.Status != omadata.OwnDataOK || len(d.Items) != 1 || d.Items[0].Value != "Seitsemän veljestä" ||
		d.Table == nil || d.Table.Rows[0]["due"] != "2026-11-30" || d.TransferID == "" {
		t.Fatalf("got %+v, want the loan with its table, recorded", d)
	}
	if len(seen) != 1 || seen[0] != psn {
		t.Fatalf("the handler saw %v, want the library's pseudonym %s", seen, psn)
	}
	got, err = svc.FetchOwnData(storetest.AsResident(other.ID), other.ID, []string{o.n.Loans.ID})
	if err != nil || got[0].Status != omadata.OwnDataNone {
		t.Fatalf("got %+v, %v; want none for a resident without loans", got, err)
	}

	// An own-access grant of the operator, asked by hand, for the loans.
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	jkt, err := client.Thumbprint(key)
	if err != nil {
		t.Fatal(err)
	}
	call := func(path string, g *omadata.Grant) int {
		t.Helper()
		var req *http.Request
		if g == nil {
			req, err = http.NewRequestWithContext(ctx, "GET", src.URL+path, nil)
		} else {
			req, err = c.DPoPRequest(ctx, "GET", src.URL+path, nil, g, key)
		}
		if err != nil {
			t.Fatal(err)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK {
			var e struct {
				Error struct{ Code string } `json:"error"`
			}
			if json.Unmarshal(b, &e) != nil || e.Error.Code == "" {
				t.Fatalf("%s: status %d without the error shape: %s", path, res.StatusCode, b)
			}
		}
		return res.StatusCode
	}
	own := func() *omadata.Grant {
		og, err := o.store.IssueOwnAccessGrant(storetest.AsResident(o.resident.ID), o.resident.ID, o.n.Loans.ID, jkt)
		if err != nil {
			t.Fatal(err)
		}
		return og.Grant
	}
	if s := call("/v1/omadata/own-data/library-loans", own()); s != http.StatusOK {
		t.Fatalf("own grant: got %d, want 200", s)
	}
	if s := call("/v1/omadata/own-data/wellbeing", own()); s != http.StatusForbidden {
		t.Fatalf("a grant for the loans on wellbeing: got %d, want 403", s)
	}
	if s := call("/v1/omadata/own-data/parking-permits", own()); s != http.StatusNotFound {
		t.Fatalf("an unknown group: got %d, want 404", s)
	}
	if s := call("/v1/omadata/own-data/library-loans", nil); s != http.StatusUnauthorized {
		t.Fatalf("no grant: got %d, want 401", s)
	}
	// A sink's grant for the loans, on its consent, is not the resident's
	// own access.
	sink := client.New(o.url, o.sinkToken)
	sg, err := sink.RequestGrant(ctx, &omadata.GrantInput{SourceID: o.n.Source.ID, Pseudonym: o.sinkPseudonym,
		DataGroupIDs: []string{o.n.Loans.ID}, PurposeID: o.n.Recommendations.ID}, key)
	if err != nil || sg.Token == "" {
		t.Fatalf("got %+v, %v; want a sink's grant", sg, err)
	}
	if s := call("/v1/omadata/own-data/library-loans", sg); s != http.StatusForbidden {
		t.Fatalf("a sink's grant: got %d, want 403", s)
	}
}
