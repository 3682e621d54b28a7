// SPDX-License-Identifier: Apache-2.0

package network_test

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/network"
	"github.com/omadata/omadata/internal/store/storetest"
	"github.com/prometheus/client_golang/prometheus"
)

// TestHandlerErrors: what a network handler returns after the Guard
// admitted the call is written as section 6 says: its own refusals and
// the store's invalid and not_found errors as problem documents, counted;
// anything else as an internal error, logged, not counted.
func TestHandlerErrors(t *testing.T) {
	caller := newMember(t, "https://espoo.example")
	v := &network.Verifier{Keys: newKeys(caller), Replay: storetest.OpenSQLite(t)}
	reg, logs := prometheus.NewRegistry(), &bytes.Buffer{}
	g := network.NewGuard(v, slog.New(slog.NewTextHandler(&lockedWriter{w: logs}, nil)), reg)
	if network.NewGuard(v, slog.Default(), reg) == nil { // a second server on the registry
		t.Fatal("no guard")
	}
	errs := map[string]error{
		"/sink":     network.Refuse(network.ReasonNotYourSink, "The sink is not yours."),
		"/invalid":  omadata.Invalidf("questions[0].sink_id", "The sink ID is not one."),
		"/missing":  omadata.NotFound("Log record"),
		"/internal": errors.New("disk on fire"),
		// Forbidden errors without a field (issue 17 review): the reason
		// the root package names, not a 500.
		"/forbidden":  omadata.AuthorizePeer(omadata.Caller{Kind: omadata.CallerAdmin}, omadata.PeerQuestion{}),
		"/not-member": omadata.AuthorizePeerEvent(omadata.Caller{Kind: omadata.CallerOperator, OperatorID: "https://espoo.example"}, false),
		"/resident":   omadata.WithFieldPrefix(omadata.AuthorizePeer(omadata.Caller{Kind: omadata.CallerOperator, OperatorID: "https://espoo.example"}, omadata.PeerQuestion{SinkOperatorID: "https://espoo.example", SourceIsOurs: true}), "questions[3]"),
		"/busy":       omadata.Errorf(omadata.EUNAVAILABLE, "The database is busy."),
	}
	srv := httptest.NewServer(g.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.Error(w, r, errs[r.URL.Path])
	})))
	defer srv.Close()
	v.OperatorID = srv.URL
	cases := []struct {
		path, reason, field string
		status              int
	}{
		{"/sink", network.ReasonNotYourSink, "", 403},
		{"/invalid", network.ReasonInvalid, "questions[0].sink_id", 400},
		{"/missing", network.ReasonNotFound, "", 404},
		{"/internal", "internal", "", 500},
		{"/forbidden", network.ReasonForbidden, "", 403},
		{"/not-member", network.ReasonNotMember, "", 403},
		{"/resident", network.ReasonUnknownResident, "questions[3].pseudonym", 404},
		{"/busy", network.ReasonUnavailable, "", 503},
	}
	for _, c := range cases {
		status, p := send(t, signed(t, caller, srv.URL+c.path, []byte(`{}`), time.Now(), nil), []byte(`{}`))
		if status != c.status || p.Reason != c.reason || p.Field != c.field {
			t.Errorf("%s: got %d %+v, want %d %s %s", c.path, status, p, c.status, c.reason, c.field)
		}
		if c.path == "/internal" && p.Detail != "" {
			t.Errorf("a failure of the callee's own carries a detail (§6): %+v", p)
		}
	}
	want := map[string]float64{network.ReasonNotYourSink: 1, network.ReasonInvalid: 1, network.ReasonNotFound: 1,
		network.ReasonForbidden: 1, network.ReasonNotMember: 1, network.ReasonUnknownResident: 1, network.ReasonUnavailable: 1}
	if got := refusals(t, reg); !equalCounts(got, want) {
		t.Errorf("refusals: got %v, want %v", got, want)
	}
	if !strings.Contains(logs.String(), "disk on fire") || !strings.Contains(logs.String(), "reason=not_your_sink status=403 operator=https://espoo.example") {
		t.Errorf("log:\n%s", logs)
	}
}

// TestNonceStoreDown: a nonce store that cannot answer is the callee's
// transient failure, 503 unavailable as section 6 documents it, logged
// with its cause, which never reaches the caller.
func TestNonceStoreDown(t *testing.T) {
	caller := newMember(t, "https://espoo.example")
	st := storetest.OpenSQLite(t)
	v := &network.Verifier{Keys: newKeys(caller), Replay: st}
	logs := &bytes.Buffer{}
	g := network.NewGuard(v, slog.New(slog.NewTextHandler(&lockedWriter{w: logs}, nil)), prometheus.NewRegistry())
	srv := httptest.NewServer(g.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))
	defer srv.Close()
	v.OperatorID = srv.URL
	if err := st.DB().Close(); err != nil {
		t.Fatal(err)
	}
	status, p := send(t, signed(t, caller, srv.URL+"/x", []byte(`{}`), time.Now(), nil), []byte(`{}`))
	if status != 503 || p.Reason != network.ReasonUnavailable || strings.Contains(p.Detail, "closed") {
		t.Errorf("got %d %+v, want 503 unavailable without the cause", status, p)
	}
	if !strings.Contains(logs.String(), "network call not verified") {
		t.Errorf("log:\n%s", logs)
	}
}
