// SPDX-License-Identifier: Apache-2.0

package web_test

import (
	"testing"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store/storetest"
)

// TestRequestAPI: a resident makes an access request and gets its export;
// bad input names the field; others see not found; services see only
// their tasks.
func TestRequestAPI(t *testing.T) {
	e := newEnv(t, nil)
	id, tok := e.residentSession(t, storetest.AdultCode)
	_, tok2 := e.residentSession(t, storetest.AdultCode2)

	r := e.do(t, "POST", "/api/v1/requests", tok, map[string]any{"kind": "forget"})
	wantStatus(t, r, 400)
	if f := r.err(t).Field; f != "kind" {
		t.Fatalf("got field %q, want kind", f)
	}
	r = e.do(t, "POST", "/api/v1/requests", tok, map[string]any{"kind": "objection"})
	wantStatus(t, r, 400)
	if f := r.err(t).Field; f != "processing_id" {
		t.Fatalf("got field %q, want processing_id", f)
	}

	r = e.do(t, "POST", "/api/v1/requests", tok, map[string]any{"kind": "access"})
	wantStatus(t, r, 201)
	var q omadata.Request
	r.decode(t, &q)
	if q.ResidentID != id || q.Status != omadata.RequestReceived || len(q.Records) != 1 {
		t.Fatalf("got %+v, want a received access request", q)
	}
	wantStatus(t, e.do(t, "GET", "/api/v1/requests/"+q.ID, tok2, nil), 404)
	wantStatus(t, e.do(t, "GET", "/api/v1/requests/"+q.ID, e.admin, nil), 200)
	wantStatus(t, e.do(t, "GET", "/api/v1/requests?kind=access", tok, nil), 200)
	wantStatus(t, e.do(t, "GET", "/api/v1/requests?status=nope", tok, nil), 400)

	r = e.do(t, "POST", "/api/v1/requests/"+q.ID+"/export", tok, nil)
	wantStatus(t, r, 200)
	var ex omadata.ResidentExport
	r.decode(t, &ex)
	if ex.Resident == nil || ex.Resident.ID != id || len(ex.Requests) != 1 || ex.Requests[0].Status != omadata.RequestCompleted {
		t.Fatalf("got export %+v, want the resident and the completed request", ex)
	}
	r = e.do(t, "POST", "/api/v1/requests/"+q.ID+"/resolve", tok, map[string]any{"status": "rejected"})
	wantStatus(t, r, 403)

	wantStatus(t, e.do(t, "GET", "/api/v1/request-tasks", e.admin, nil), 200)
	wantStatus(t, e.do(t, "GET", "/api/v1/request-tasks", e.tokA, nil), 403) // no requests scope
	r = e.do(t, "POST", "/api/v1/request-tasks/rqt_0000000000000000000000000a/answer", e.admin, map[string]any{"status": "completed"})
	wantStatus(t, r, 404)
}
