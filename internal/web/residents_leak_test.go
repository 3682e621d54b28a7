// SPDX-License-Identifier: Apache-2.0

package web_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store/storetest"
)

// transcript records every response of a scenario, to be searched later.
type transcript struct {
	e     *env
	calls []transcriptCall
}

type transcriptCall struct {
	method, path string
	r            response
}

func (tr *transcript) do(t *testing.T, method, path, token string, body any) response {
	t.Helper()
	r := tr.e.do(t, method, path, token, body)
	tr.calls = append(tr.calls, transcriptCall{method, path, r})
	return r
}

// TestNoIdentityCodeLeaks runs residents, representation and consents end
// to end with identity codes in request bodies, then searches every
// response, the access log and the outbox for the codes and their
// birth-date prefixes: only GET /api/v1/me may show a code, the caller's own.
func TestNoIdentityCodeLeaks(t *testing.T) {
	e := newEnv(t, nil)
	// Whole seconds, so that no timestamp's fraction can look like a birth date.
	fixed := time.Now().UTC().Truncate(time.Second)
	e.db.Now = func() time.Time { return fixed }
	child, oldCode, newCode := kidCode(8), codeBornOn(1977, 7, 17), codeBornOn(1978, 8, 18)
	codes := []string{storetest.AdultCode, storetest.AdultCode2, child, oldCode, newCode}
	tr := &transcript{e: e}
	_, sinkB := e.credential(t, e.svcB, omadata.ScopeResidentsLink, omadata.ScopeConsents)

	var link omadata.ResidentLink
	tr.do(t, "POST", "/api/v1/residents/link", sinkB, map[string]string{"identity_code": storetest.AdultCode}).decode(t, &link)
	tr.do(t, "POST", "/api/v1/residents/link", sinkB, map[string]string{"identity_code": "131052-308X"})
	wantStatus(t, tr.do(t, "POST", "/api/v1/representations", e.admin, map[string]any{"kind": "guardian",
		"representative_identity_code": storetest.AdultCode, "principal_identity_code": child, "basis": "population register"}), 201)
	e.residentSession(t, oldCode)
	wantStatus(t, tr.do(t, "POST", "/api/v1/residents/rekey", e.admin, map[string]string{"old_identity_code": oldCode, "new_identity_code": newCode}), 200)
	wantStatus(t, tr.do(t, "POST", "/api/v1/residents/rekey", e.admin, map[string]string{"old_identity_code": oldCode, "new_identity_code": "999999-999X"}), 400)
	paper := consentOf(t, tr.do(t, "POST", "/api/v1/consents/paper", e.admin, map[string]any{"identity_code": storetest.AdultCode2, "status": "given",
		"processing_id": e.procA, "version": 1, "language": "fi", "evidence": "HEL 7"}), 201, omadata.ConsentGiven)
	tr.do(t, "POST", "/api/v1/consents/paper", e.admin, map[string]any{"identity_code": "131052-308U", "status": "given"})
	tr.do(t, "POST", "/api/v1/consents/paper", e.admin, map[string]any{"identity_code": storetest.AdultCode2, "status": "withdrawn",
		"consent_id": paper.ID, "evidence": "HEL 8"})

	_, guardian := e.residentSession(t, storetest.AdultCode)
	childID, childTok := e.residentSession(t, child)
	_, neighbour := e.residentSession(t, storetest.AdultCode2)
	_, rekeyed := e.residentSession(t, newCode)
	c := consentOf(t, tr.do(t, "POST", "/api/v1/me/consents", guardian, consentBody(e.procA, map[string]any{"on_behalf_of": childID})), 201, omadata.ConsentGiven)
	tr.do(t, "GET", "/api/v1/me/consents?on_behalf_of="+childID, guardian, nil)
	tr.do(t, "GET", "/api/v1/me/consents/"+c.ID, guardian, nil)
	tr.do(t, "GET", "/api/v1/me/consents/"+c.ID+"/records/1/receipt", childTok, nil)
	tr.do(t, "GET", "/api/v1/me/consents/"+c.ID+"/records/1/receipt?format=kantara", guardian, nil)
	tr.do(t, "POST", "/api/v1/me/consents/"+c.ID+"/withdraw", guardian, nil)
	tr.do(t, "GET", "/api/v1/me/consents/"+c.ID+"/records/2/receipt", guardian, nil)
	tr.do(t, "GET", "/api/v1/me/representations", guardian, nil)
	tr.do(t, "GET", "/api/v1/me/representations", childTok, nil)

	req := consentOf(t, tr.do(t, "POST", "/api/v1/consent-requests", sinkB, map[string]any{"processing_id": e.procB, "pseudonym": link.Pseudonym}), 201, omadata.ConsentRequested)
	tr.do(t, "POST", "/api/v1/me/consents", guardian, consentBody(e.procB, nil))
	tr.do(t, "GET", "/api/v1/consents/"+req.ID, sinkB, nil)
	tr.do(t, "GET", "/api/v1/consents", sinkB, nil)
	tr.do(t, "POST", "/api/v1/consents/"+req.ID+"/revoke", sinkB, map[string]string{"reason": "Study ended."})
	tr.do(t, "GET", "/api/v1/consents", e.admin, nil)
	tr.do(t, "GET", "/api/v1/consents/"+c.ID, e.admin, nil)

	profiles := map[string]string{guardian: storetest.AdultCode, childTok: child, neighbour: storetest.AdultCode2, rekeyed: newCode}
	for tok, own := range profiles {
		r := tr.do(t, "GET", "/api/v1/me", tok, nil)
		wantStatus(t, r, 200)
		if !strings.Contains(string(r.body), own) {
			t.Errorf("a profile lacks its own identity code: %s", r.body)
		}
		for _, code := range codes {
			if code != own && strings.Contains(string(r.body), code) {
				t.Errorf("a profile shows another resident's identity code: %s", r.body)
			}
		}
	}

	// needles are the codes and their birth-date prefixes (DDMMYY).
	var needles []string
	for _, code := range append(codes, "131052-308X", "131052-308U") {
		needles = append(needles, code, code[:6])
	}
	leaks := func(where, s string) {
		t.Helper()
		for _, n := range needles {
			if strings.Contains(s, n) {
				t.Errorf("%s contains %q: %s", where, n, truncate(s))
			}
		}
	}
	for _, call := range tr.calls {
		if call.method == "GET" && call.path == "/api/v1/me" {
			continue
		}
		leaks("response to "+call.method+" "+call.path, string(call.r.body))
		for k, vs := range call.r.header {
			leaks("header "+k+" of "+call.method+" "+call.path, strings.Join(vs, " "))
		}
	}
	lines := strings.Split(strings.TrimSpace(e.logs.String()), "\n")
	if len(lines) < len(tr.calls) {
		t.Errorf("got %d log lines for %d requests", len(lines), len(tr.calls))
	}
	for _, line := range lines {
		// The log's own clock and durations are digits unrelated to anyone.
		v := decodeJSON(t, []byte(line))
		delete(v, "time")
		delete(v, "duration_ms")
		b, _ := json.Marshal(v)
		leaks("log line", string(b))
	}
	rows, err := e.raw.Query(`SELECT payload FROM outbox`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			t.Fatal(err)
		}
		n++
		leaks("event", p)
	}
	if n == 0 {
		t.Error("no events to search")
	}
}
