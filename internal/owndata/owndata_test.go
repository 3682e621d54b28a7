// SPDX-License-Identifier: Apache-2.0

package owndata_test

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/client"
	"github.com/omadata/omadata/internal/owndata"
	"github.com/omadata/omadata/internal/owndata/owndatatest"
	"github.com/omadata/omadata/internal/store/storetest"
)

// source registers an approved source with one data group whose API is
// at api, and links the resident to it.
func source(t *testing.T, o *owndatatest.Operator, orgID, api, code, residentID string) (*omadata.Service, *omadata.DataGroup) {
	t.Helper()
	sv := storetest.NewService(orgID, omadata.RoleSource)
	sv.Endpoints.API = api
	if err := o.Store.CreateService(storetest.Admin(), sv); err != nil {
		t.Fatal(err)
	}
	if _, err := o.Store.SetServiceStatus(storetest.Admin(), sv.ID, omadata.ServiceApproved); err != nil {
		t.Fatal(err)
	}
	g := storetest.CreateDataGroup(t, o.Store, sv.ID, code, false)
	if _, err := o.Store.Pseudonym(storetest.Admin(), sv.ID, residentID); err != nil {
		t.Fatal(err)
	}
	return sv, g
}

// goodSource answers with the client package's handler: a loan for the
// resident it knows, nothing for anyone else.
func goodSource(t *testing.T, o *owndatatest.Operator, orgID, code, residentID string) (*owndatatest.Recorder, *omadata.DataGroup) {
	t.Helper()
	var h http.Handler
	rec := owndatatest.NewRecorder(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	sv, g := source(t, o, orgID, rec.URL+"/api", code, residentID)
	psn, err := o.Store.Pseudonym(storetest.Admin(), sv.ID, residentID)
	if err != nil {
		t.Fatal(err)
	}
	c := client.New(o.URL, o.Credential(t, sv.ID, omadata.ScopeTransfers))
	mux := http.NewServeMux()
	mux.Handle("GET /api/omadata/own-data/{code}", client.OwnDataHandler(client.NewVerifier(o.URL, sv.ID, c), map[string]string{code: g.ID},
		func(ctx context.Context, pseudonym, dataGroupCode string) (*client.OwnDataAnswer, error) {
			if pseudonym != psn {
				return nil, omadata.NotFound("Resident")
			}
			return &client.OwnDataAnswer{Items: []omadata.OwnDataItem{{
				Label: omadata.Text{"fi": "Laina", "sv": "Lån", "en": "Loan"}, Value: "Seitsemän veljestä (" + dataGroupCode + ")", Date: "2026-11-02",
			}}}, nil
		}))
	h = mux
	return rec, g
}

// TestFetchOwnData asks six sources at once with a 300 ms timeout: two
// answer, one never does, one answers garbage, one 50 MB, one is down.
// The call returns while the hanging source is still held, with the good
// sources' data, each recorded as a transfer; no identity code reaches
// any source.
func TestFetchOwnData(t *testing.T) {
	o := owndatatest.NewOperator(t)
	city := storetest.CreateOrganisation(t, o.Store, omadata.OrgCity)
	r := storetest.CreateResident(t, o.Store, storetest.AdultCode)

	library, loans := goodSource(t, o, city.ID, "library-loans", r.ID)
	ece, care := goodSource(t, o, city.ID, "ece-placements", r.ID)

	release, released := make(chan struct{}), atomic.Bool{}
	hanging := owndatatest.NewRecorder(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		released.Store(true)
	}))
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	_, hang := source(t, o, city.ID, hanging.URL, "sports-passes", r.ID)
	garbage := owndatatest.NewRecorder(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte("<html>Internal server error</html>"))
	}))
	_, junk := source(t, o, city.ID, garbage.URL, "school-grades", r.ID)
	huge := owndatatest.NewRecorder(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"data_group":"youth-centres","items":[{"label":{"fi":"x"},"value":"`))
		chunk := []byte(strings.Repeat("a", 1<<20))
		for range 50 {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
		w.Write([]byte(`"}]}`))
	}))
	_, big := source(t, o, city.ID, huge.URL, "youth-centres", r.ID)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	downURL := "http://" + l.Addr().String()
	l.Close() // connection refused from now on
	_, down := source(t, o, city.ID, downURL, "adult-education", r.ID)
	// A source that redirects the operator to an address inside its
	// network: never followed.
	internal := owndatatest.NewRecorder(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"data_group":"sports-bookings","items":[{"label":{"fi":"x","sv":"x","en":"x"},"value":"internal secret"}]}`))
	}))
	redirecting := owndatatest.NewRecorder(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, internal.URL+r.URL.Path, http.StatusFound)
	}))
	_, moved := source(t, o, city.ID, redirecting.URL, "sports-bookings", r.ID)

	svc, err := owndata.New(o.Store, nil, 300*time.Millisecond, nil)
	if err != nil {
		t.Fatal(err)
	}
	me := storetest.AsResident(r.ID)
	asked := []string{hang.ID, loans.ID, junk.ID, big.ID, down.ID, care.ID, moved.ID}
	var got []*omadata.OwnData
	done := make(chan struct{})
	go func() {
		defer close(done)
		got, err = svc.FetchOwnData(me, r.ID, asked)
	}()
	// The hanging source is released only after the call returned, or
	// after a bound far above the timeout, which fails the test.
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		close(release)
		<-done
		t.Fatal("the call waited for the hanging source")
	}
	if released.Load() {
		t.Fatal("the hanging source was released before the call returned")
	}
	close(release)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		hang.ID: omadata.OwnDataUnavailable, loans.ID: omadata.OwnDataOK, junk.ID: omadata.OwnDataInvalid,
		big.ID: omadata.OwnDataInvalid, down.ID: omadata.OwnDataUnavailable, care.ID: omadata.OwnDataOK,
		moved.ID: omadata.OwnDataUnavailable,
	}
	if len(got) != len(asked) {
		t.Fatalf("got %d answers, want %d", len(got), len(asked))
	}
	for i, d := range got {
		if d.DataGroupID != asked[i] || d.Status != want[d.DataGroupID] {
			t.Fatalf("answer %d: got %s %s, want %s %s", i, d.DataGroupID, d.Status, asked[i], want[asked[i]])
		}
		if d.Status == omadata.OwnDataOK && (len(d.Items) != 1 || d.Items[0].Label["sv"] != "Lån" || d.TransferID == "") {
			t.Fatalf("got %+v, want the loan, recorded as a transfer", d)
		}
		if d.Status != omadata.OwnDataOK && (len(d.Items) != 0 || d.TransferID != "") {
			t.Fatalf("got %+v, want no data and no transfer", d)
		}
	}

	// The views are "who used my data", as the resident's own.
	usage, _, err := o.Store.FindUsage(me, omadata.UsageFilter{ResidentID: r.ID})
	if err != nil {
		t.Fatal(err)
	}
	transfers := 0
	for _, u := range usage {
		if u.Kind == omadata.LeafTransferRecorded {
			transfers++
			if !u.OwnView {
				t.Fatalf("got %+v, want the resident's own view", u)
			}
		}
	}
	if transfers != 2 {
		t.Fatalf("got %d transfers in the usage, want 2", transfers)
	}

	if n := len(internal.Requests()); n != 0 {
		t.Fatalf("the operator followed a source's redirect: %d requests to the address it pointed at", n)
	}
	for name, rec := range map[string]*owndatatest.Recorder{"library": library, "ece": ece, "hanging": hanging, "garbage": garbage, "huge": huge, "redirecting": redirecting} {
		if len(rec.Requests()) == 0 {
			t.Fatalf("%s: no request recorded", name)
		}
		if rec.Contains(storetest.AdultCode) || rec.Contains(r.ID) {
			t.Fatalf("%s: an identity code or the operator's resident ID reached the source", name)
		}
	}
}

// TestFetchOwnDataCaller: a caller who may not see the resident, or asks
// a group the resident's sources do not hold, gets not found and no
// source is asked.
func TestFetchOwnDataCaller(t *testing.T) {
	o := owndatatest.NewOperator(t)
	city := storetest.CreateOrganisation(t, o.Store, omadata.OrgCity)
	r := storetest.CreateResident(t, o.Store, storetest.AdultCode)
	other := storetest.CreateResident(t, o.Store, storetest.AdultCode2)
	library, loans := goodSource(t, o, city.ID, "library-loans", r.ID)
	svc, err := owndata.New(o.Store, nil, time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, call := range map[string]func() error{
		"stranger": func() error { _, err := svc.FetchOwnData(storetest.AsResident(other.ID), r.ID, nil); return err },
		"admin":    func() error { _, err := svc.FetchOwnData(storetest.Admin(), r.ID, nil); return err },
		"other group": func() error {
			_, err := svc.FetchOwnData(storetest.AsResident(r.ID), r.ID, []string{loans.ID, "dg_00000000000000000000000000"})
			return err
		},
		"groups": func() error { _, err := svc.FindOwnDataGroups(storetest.AsResident(other.ID), r.ID); return err },
	} {
		if err := call(); omadata.ErrorCode(err) != omadata.ENOTFOUND {
			t.Fatalf("%s: got %v, want not found", name, err)
		}
	}
	if n := len(library.Requests()); n != 0 {
		t.Fatalf("the source was asked %d times", n)
	}
	// The other resident is not known to the library: nothing to ask.
	got, err := svc.FetchOwnData(storetest.AsResident(other.ID), other.ID, nil)
	if err != nil || len(got) != 0 {
		t.Fatalf("got %v, %v; want no groups", got, err)
	}
	// The resident's own, all groups when none are named.
	got, err = svc.FetchOwnData(storetest.AsResident(r.ID), r.ID, nil)
	if err != nil || len(got) != 1 || got[0].Status != omadata.OwnDataOK {
		t.Fatalf("got %+v, %v; want the loans", got, err)
	}
}

// TestFetchOwnDataParallel: the sources are asked at once, not one after
// another. Each of two sources answers only once both have been asked, so
// asked one by one the first would wait out its timeout for the second.
func TestFetchOwnDataParallel(t *testing.T) {
	o := owndatatest.NewOperator(t)
	city := storetest.CreateOrganisation(t, o.Store, omadata.OrgCity)
	r := storetest.CreateResident(t, o.Store, storetest.AdultCode)
	var arrived sync.WaitGroup
	arrived.Add(2)
	both := make(chan struct{})
	go func() { arrived.Wait(); close(both) }()
	var groups []string
	for _, code := range []string{"library-loans", "sports-bookings"} {
		rec := owndatatest.NewRecorder(t, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			arrived.Done()
			select {
			case <-both:
			case <-req.Context().Done():
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"data_group":"` + code + `","items":[{"label":{"fi":"x","sv":"x","en":"x"},"value":"v"}]}`))
		}))
		_, g := source(t, o, city.ID, rec.URL, code, r.ID)
		groups = append(groups, g.ID)
	}
	svc, err := owndata.New(o.Store, nil, 5*time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := svc.FetchOwnData(storetest.AsResident(r.ID), r.ID, groups)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range got {
		if d.Status != omadata.OwnDataOK {
			t.Errorf("%s: status %s, want ok: the sources were not asked at once", d.DataGroupID, d.Status)
		}
	}
}
