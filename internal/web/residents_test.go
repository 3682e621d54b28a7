// SPDX-License-Identifier: Apache-2.0

package web_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store/storetest"
	"github.com/omadata/omadata/internal/web"
)

// residentSession makes the resident with code and signs them in, as the
// portal's login does, and returns their ID and bearer token.
func (e *env) residentSession(t *testing.T, code string) (id, token string) {
	t.Helper()
	r, err := e.store.EnsureResident(adminCtx(), code, "Testi Asukas")
	must(t, "resident", err)
	se, err := e.store.CreateSession(adminCtx(), r.ID, time.Hour)
	must(t, "session", err)
	return r.ID, se.Token
}

// codeBornOn returns a valid identity code of someone born on day.
func codeBornOn(year int, month time.Month, day int) string {
	return storetest.ChildBornOn(time.Date(year, month, day, 0, 0, 0, 0, time.UTC))
}

// kidCode returns the identity code of a child of about age years.
func kidCode(age int) string {
	return storetest.ChildBornOn(time.Now().UTC().AddDate(-age, -2, 0))
}

// sameError fails unless two error answers are alike but for request_id:
// a record the caller may not see must answer exactly as a missing one.
func sameError(t *testing.T, got, want response) {
	t.Helper()
	if got.status != want.status {
		t.Fatalf("got status %d, want %d; bodies %s and %s", got.status, want.status, got.body, want.body)
	}
	g, w := got.err(t), want.err(t)
	g.RequestID, w.RequestID = "", ""
	if g != w {
		t.Errorf("got error %+v, want %+v", g, w)
	}
}

func TestMe(t *testing.T) {
	e := newEnv(t, nil)
	id, tok := e.residentSession(t, storetest.AdultCode)
	_, tok2 := e.residentSession(t, storetest.AdultCode2)

	r := e.do(t, "GET", "/api/v1/me", tok, nil)
	wantStatus(t, r, 200)
	var me omadata.Resident
	r.decode(t, &me)
	if me.ID != id || me.IdentityCode != storetest.AdultCode || me.BirthDate != "1952-10-13" || me.Name != "Testi Asukas" {
		t.Errorf("got %+v, want the resident's own profile with identity code", me)
	}
	if got := r.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("got Cache-Control %q, want no-store", got)
	}
	r = e.do(t, "GET", "/api/v1/me", tok2, nil)
	if strings.Contains(string(r.body), storetest.AdultCode) || !strings.Contains(string(r.body), storetest.AdultCode2) {
		t.Errorf("another resident's profile: %s", r.body)
	}
	for name, token := range map[string]string{"admin": e.admin, "service": e.tokA} {
		t.Run(name, func(t *testing.T) {
			r := e.do(t, "GET", "/api/v1/me", token, nil)
			wantStatus(t, r, 403)
		})
	}
}

// TestResidentTokenOnlyWhereAllowed walks every route: a resident's
// session opens only the routes for residents, and changes nothing
// elsewhere.
func TestResidentTokenOnlyWhereAllowed(t *testing.T) {
	e := newEnv(t, nil)
	_, tok := e.residentSession(t, storetest.AdultCode)
	before := e.dump(t)
	n := 0
	for _, rt := range e.srv.Routes() {
		kinds, _, _ := strings.Cut(rt.Auth, ":")
		if rt.Auth == web.AuthPublic || slices.Contains(strings.Split(kinds, ","), "resident") {
			continue
		}
		n++
		t.Run(rt.Method+" "+rt.Pattern, func(t *testing.T) {
			r := e.do(t, rt.Method, e.path(t, rt.Pattern), tok, `{}`)
			wantStatus(t, r, 403)
			if got := r.err(t).Code; got != omadata.EFORBIDDEN {
				t.Errorf("got code %q, want forbidden", got)
			}
		})
	}
	if n < 40 {
		t.Errorf("checked %d routes, want at least 40", n)
	}
	if after := e.dump(t); after != before {
		t.Errorf("refused calls changed the database:\n%s", firstDiff(before, after))
	}
}

func TestResidentLink(t *testing.T) {
	e := newEnv(t, nil)
	_, linkA := e.credential(t, e.svcA, omadata.ScopeResidentsLink)
	_, linkB := e.credential(t, e.svcB, omadata.ScopeResidentsLink)

	link := func(t *testing.T, token string) omadata.ResidentLink {
		t.Helper()
		r := e.do(t, "POST", "/api/v1/residents/link", token, map[string]string{"identity_code": storetest.AdultCode})
		wantStatus(t, r, 200)
		var l omadata.ResidentLink
		r.decode(t, &l)
		return l
	}
	first := link(t, linkA)
	again := link(t, linkA)
	other := link(t, linkB)
	switch {
	case !first.Created || again.Created:
		t.Errorf("created: got %v then %v, want true then false", first.Created, again.Created)
	case first.Pseudonym != again.Pseudonym || first.ServiceID != e.svcA:
		t.Errorf("got %+v then %+v, want the same pseudonym of service A", first, again)
	case other.Pseudonym == first.Pseudonym || other.ServiceID != e.svcB:
		t.Errorf("B got %+v, want its own pseudonym", other)
	}

	// A credential without residents:link is refused by the route; a
	// pending service's is refused by the store.
	wantStatus(t, e.do(t, "POST", "/api/v1/residents/link", e.tokA, map[string]string{"identity_code": storetest.AdultCode}), 403)
	_, pending := e.credential(t, e.svcPen, omadata.ScopeResidentsLink)
	before := e.dump(t)
	wantStatus(t, e.do(t, "POST", "/api/v1/residents/link", pending, map[string]string{"identity_code": storetest.AdultCode2}), 403)
	if after := e.dump(t); after != before {
		t.Errorf("a refused link changed the database:\n%s", firstDiff(before, after))
	}
}

func TestResidentRekey(t *testing.T) {
	e := newEnv(t, nil)
	oldCode, newCode := codeBornOn(1980, 5, 5), codeBornOn(1981, 6, 6)
	id, _ := e.residentSession(t, oldCode)

	r := e.do(t, "POST", "/api/v1/residents/rekey", e.admin, map[string]string{"old_identity_code": oldCode, "new_identity_code": newCode})
	wantStatus(t, r, 200)
	var res omadata.Resident
	r.decode(t, &res)
	if res.ID != id || res.IdentityCode != "" || res.BirthDate != "1981-06-06" {
		t.Errorf("got %+v, want resident %s born 1981-06-06 without identity code", res, id)
	}
	again, err := e.store.EnsureResident(adminCtx(), newCode, "")
	must(t, "resident", err)
	if again.ID != id {
		t.Errorf("the new code finds %s, want %s", again.ID, id)
	}
	// The old code is free now: rekeying from it again finds nobody.
	r = e.do(t, "POST", "/api/v1/residents/rekey", e.admin, map[string]string{"old_identity_code": oldCode, "new_identity_code": codeBornOn(1982, 7, 7)})
	wantStatus(t, r, 404)
}

func TestRepresentationAPI(t *testing.T) {
	e := newEnv(t, nil)
	guardianID, guardianTok := e.residentSession(t, storetest.AdultCode)
	child := kidCode(5)
	_, otherTok := e.residentSession(t, storetest.AdultCode2)

	r := e.do(t, "POST", "/api/v1/representations", e.admin, map[string]any{
		"kind": "guardian", "representative_identity_code": storetest.AdultCode, "principal_identity_code": child, "basis": "population register",
	})
	wantStatus(t, r, 201)
	var rep omadata.Representation
	r.decode(t, &rep)
	if rep.Kind != omadata.RepGuardian || rep.RepresentativeID != guardianID || rep.PrincipalID == "" || rep.EndedAt != nil {
		t.Fatalf("got %+v, want an active guardianship of %s", rep, guardianID)
	}

	r = e.do(t, "GET", "/api/v1/me/representations", guardianTok, nil)
	wantStatus(t, r, 200)
	var list struct{ Items []omadata.Representation }
	r.decode(t, &list)
	if len(list.Items) != 1 || list.Items[0].ID != rep.ID {
		t.Errorf("got %+v, want the guardianship", list.Items)
	} else if list.Items[0].RepresentativeName != "Testi Asukas" || list.Items[0].Relation != omadata.RelationRepresentative {
		t.Errorf("got %+v, want the guardianship naming its holder, relation representative", list.Items[0])
	}
	r = e.do(t, "GET", "/api/v1/me/representations", otherTok, nil)
	wantStatus(t, r, 200)
	if r.decode(t, &list); len(list.Items) != 0 {
		t.Errorf("another resident sees %+v, want nothing", list.Items)
	}

	// A source with residents:link records a mandate between adults only
	// once the operator designated it for mandates.
	_, link := e.credential(t, e.svcA, omadata.ScopeResidentsLink)
	body := map[string]any{
		"kind": "mandate", "representative_identity_code": storetest.AdultCode2, "principal_identity_code": storetest.AdultCode,
		"scope": []string{"test-research"}, "basis": "mandate code 123", "valid_until": time.Now().AddDate(1, 0, 0).UTC().Format(time.RFC3339),
	}
	before := e.dump(t)
	r = e.do(t, "POST", "/api/v1/representations", link, body)
	wantStatus(t, r, 403)
	if f := r.err(t).Field; f != "kind" {
		t.Errorf("got field %q, want kind", f)
	}
	if after := e.dump(t); after != before {
		t.Error("a refused representation changed the database")
	}
	wantStatus(t, e.do(t, "PUT", "/api/v1/services/"+e.svcA+"/representation-kinds", link, map[string]any{"kinds": []string{"mandate"}}), 403)
	wantStatus(t, e.do(t, "PUT", "/api/v1/services/"+e.svcA+"/representation-kinds", e.admin, map[string]any{"kinds": []string{"mandate"}}), 200)
	r = e.do(t, "GET", "/api/v1/services/"+e.svcA+"/representation-kinds", e.admin, nil)
	wantStatus(t, r, 200)
	var rec omadata.RepresentationRecorder
	if r.decode(t, &rec); !slices.Equal(rec.Kinds, []string{"mandate"}) {
		t.Errorf("got designation %+v, want mandate", rec)
	}
	r = e.do(t, "POST", "/api/v1/representations", link, body)
	wantStatus(t, r, 201)
	var mandate omadata.Representation
	r.decode(t, &mandate)
	if mandate.Kind != omadata.RepMandate || mandate.ValidUntil == nil || mandate.AllPurposes || !slices.Equal(mandate.Purposes, []string{"test-research"}) {
		t.Errorf("got %+v, want a scoped mandate with an end", mandate)
	}

	// Only the two residents it joins and admins may end it; a stranger
	// is told it does not exist.
	_, strangerTok := e.residentSession(t, codeBornOn(1970, 1, 1))
	missing := e.do(t, "POST", "/api/v1/representations/rep_0000000000000000000000000a/end", guardianTok, nil)
	sameError(t, e.do(t, "POST", "/api/v1/representations/"+rep.ID+"/end", strangerTok, nil), missing)
	r = e.do(t, "POST", "/api/v1/representations/"+rep.ID+"/end", guardianTok, nil)
	wantStatus(t, r, 200)
	if r.decode(t, &rep); rep.EndedAt == nil {
		t.Errorf("got %+v, want ended", rep)
	}
	r = e.do(t, "POST", "/api/v1/representations/"+rep.ID+"/end", e.admin, nil)
	wantStatus(t, r, 409)
	wantStatus(t, e.do(t, "POST", "/api/v1/representations/"+mandate.ID+"/end", e.admin, nil), 200)
}

// TestScopedMandateAPI: a resident grants a mandate for one purpose; its
// holder may not erase the principal (403, naming on_behalf_of, and the
// principal stays), a stranger is told the principal does not exist, and
// under a general mandate the erasure answers what it committed.
func TestScopedMandateAPI(t *testing.T) {
	e := newEnv(t, nil)
	principalID, principalTok := e.residentSession(t, storetest.AdultCode)
	_, holderTok := e.residentSession(t, storetest.AdultCode2)
	_, strangerTok := e.residentSession(t, codeBornOn(1970, 1, 1))

	r := e.do(t, "POST", "/api/v1/me/representations", principalTok, map[string]any{
		"representative_identity_code": storetest.AdultCode2, "scope": []string{"test-research"},
	})
	wantStatus(t, r, 201)
	var scoped omadata.Representation
	if r.decode(t, &scoped); scoped.PrincipalID != principalID || scoped.AllPurposes || !slices.Equal(scoped.Purposes, []string{"test-research"}) {
		t.Fatalf("got %+v, want the principal's test-research mandate", scoped)
	}
	r = e.do(t, "GET", "/api/v1/me/representations", holderTok, nil)
	wantStatus(t, r, 200)
	var mine struct{ Items []omadata.Representation }
	if r.decode(t, &mine); len(mine.Items) != 1 || mine.Items[0].PrincipalName != "Testi Asukas" || mine.Items[0].Relation != omadata.RelationRepresentative {
		t.Errorf("the holder's list: got %+v, want the mandate naming its principal", mine.Items)
	}
	wantStatus(t, e.do(t, "POST", "/api/v1/me/representations", principalTok, map[string]any{"representative_identity_code": storetest.AdultCode2}), 400)
	wantStatus(t, e.do(t, "POST", "/api/v1/me/representations", e.admin, map[string]any{"representative_identity_code": storetest.AdultCode2, "all_purposes": true}), 403)

	erase := map[string]any{"kind": "erasure", "on_behalf_of": principalID}
	before := e.dump(t)
	r = e.do(t, "POST", "/api/v1/requests", holderTok, erase)
	wantStatus(t, r, 403)
	if f := r.err(t).Field; f != "on_behalf_of" {
		t.Errorf("got field %q, want on_behalf_of", f)
	}
	r = e.do(t, "POST", "/api/v1/requests", holderTok, map[string]any{"kind": "rectification", "on_behalf_of": principalID, "details": "Wrong name."})
	wantStatus(t, r, 403)
	if after := e.dump(t); after != before {
		t.Error("a refused request changed the database")
	}
	wantStatus(t, e.do(t, "GET", "/api/v1/me", principalTok, nil), 200)
	r = e.do(t, "POST", "/api/v1/requests", strangerTok, erase)
	wantStatus(t, r, 404)
	wantStatus(t, e.do(t, "GET", "/api/v1/me/usage?on_behalf_of="+principalID, strangerTok, nil), 404)
	wantStatus(t, e.do(t, "GET", "/api/v1/me/usage?on_behalf_of="+principalID, holderTok, nil), 200)

	// The principal ends the scoped mandate and grants a general one.
	wantStatus(t, e.do(t, "POST", "/api/v1/representations/"+scoped.ID+"/end", principalTok, nil), 200)
	r = e.do(t, "POST", "/api/v1/me/representations", principalTok, map[string]any{"representative_identity_code": storetest.AdultCode2, "all_purposes": true})
	wantStatus(t, r, 201)
	r = e.do(t, "POST", "/api/v1/requests", holderTok, erase)
	wantStatus(t, r, 201)
	var q omadata.Request
	if r.decode(t, &q); q.Kind != omadata.RequestErasure || q.ResidentID != principalID {
		t.Fatalf("got %+v, want the principal's erasure", q)
	}
	wantStatus(t, e.do(t, "GET", "/api/v1/me", principalTok, nil), 401)
}

// TestResidentBadInput sends bad bodies to the resident and
// representation routes: each is refused naming its field, and not one row
// changes.
func TestResidentBadInput(t *testing.T) {
	e := newEnv(t, nil)
	_, link := e.credential(t, e.svcA, omadata.ScopeResidentsLink)
	wantStatus(t, e.do(t, "PUT", "/api/v1/services/"+e.svcA+"/representation-kinds", e.admin, map[string]any{"kinds": []string{"guardian"}}), 200)
	_, resTok := e.residentSession(t, storetest.AdultCode)
	grant := func(from string) map[string]any {
		return map[string]any{"representative_identity_code": storetest.AdultCode2, "all_purposes": true, "valid_from": from}
	}
	rep := func(set map[string]any) map[string]any {
		b := map[string]any{"kind": "guardian", "representative_identity_code": storetest.AdultCode2, "principal_identity_code": kidCode(4),
			"basis": "population register"}
		for k, v := range set {
			b[k] = v
		}
		return b
	}
	tests := []struct {
		name, method, path, token string
		body                      any
		status                    int
		field                     string
	}{
		{"link: bad check character", "POST", "/api/v1/residents/link", link, `{"identity_code":"131052-308X"}`, 400, "identity_code"},
		{"link: no code", "POST", "/api/v1/residents/link", link, `{}`, 400, "identity_code"},
		{"link: code as number", "POST", "/api/v1/residents/link", link, `{"identity_code":131052}`, 400, "identity_code"},
		{"link: unknown field", "POST", "/api/v1/residents/link", link, `{"identity_code":"131052-308T","name":"x"}`, 400, "name"},
		{"rekey: bad new code", "POST", "/api/v1/residents/rekey", e.admin, `{"old_identity_code":"131052-308T","new_identity_code":"311399-308T"}`, 400, "new_identity_code"},
		{"rekey: same code", "POST", "/api/v1/residents/rekey", e.admin, `{"old_identity_code":"131052-308T","new_identity_code":"131052-308T"}`, 400, "new_identity_code"},
		{"rekey: unknown resident", "POST", "/api/v1/residents/rekey", e.admin, map[string]string{"old_identity_code": codeBornOn(1960, 2, 2), "new_identity_code": codeBornOn(1960, 2, 3)}, 404, ""},
		{"representation: bad kind", "POST", "/api/v1/representations", e.admin, rep(map[string]any{"kind": "parent"}), 400, "kind"},
		{"representation: bad representative code", "POST", "/api/v1/representations", e.admin, rep(map[string]any{"representative_identity_code": "131052-308"}), 400, "representative_identity_code"},
		{"representation: bad principal code", "POST", "/api/v1/representations", e.admin, rep(map[string]any{"principal_identity_code": "x"}), 400, "principal_identity_code"},
		{"representation: oneself", "POST", "/api/v1/representations", e.admin, rep(map[string]any{"principal_identity_code": storetest.AdultCode2}), 400, "principal_identity_code"},
		{"representation: guardian of an adult", "POST", "/api/v1/representations", e.admin, rep(map[string]any{"principal_identity_code": storetest.AdultCode}), 400, "principal_identity_code"},
		{"representation: child representative", "POST", "/api/v1/representations", link, rep(map[string]any{"representative_identity_code": kidCode(10)}), 400, "representative_identity_code"},
		{"representation: no basis", "POST", "/api/v1/representations", e.admin, rep(map[string]any{"basis": " "}), 400, "basis"},
		{"representation: identity code in the basis", "POST", "/api/v1/representations", e.admin, rep(map[string]any{"basis": "court order on " + storetest.AdultCode}), 400, "basis"},
		{"representation: guardian with scope", "POST", "/api/v1/representations", e.admin, rep(map[string]any{"scope": []string{"research"}}), 400, "scope"},
		{"representation: unknown purpose", "POST", "/api/v1/representations", e.admin, rep(map[string]any{"kind": "mandate", "principal_identity_code": storetest.AdultCode, "scope": []string{"no-such-purpose"}}), 400, "scope"},
		{"representation: bad time", "POST", "/api/v1/representations", e.admin, rep(map[string]any{"valid_from": "today"}), 400, "valid_from"},
		{"representation: time as number", "POST", "/api/v1/representations", e.admin, rep(map[string]any{"valid_until": 5}), 400, "valid_until"},
		{"representation: ends before it starts", "POST", "/api/v1/representations", e.admin, rep(map[string]any{"valid_from": "2030-01-02T00:00:00Z", "valid_until": "2030-01-01T00:00:00Z"}), 400, "valid_until"},
		{"representation: unknown field", "POST", "/api/v1/representations", e.admin, rep(map[string]any{"representative_id": "res_0000000000000000000000000a"}), 400, "representative_id"},
		{"representation: mandate without scope", "POST", "/api/v1/representations", e.admin, rep(map[string]any{"kind": "mandate", "principal_identity_code": storetest.AdultCode}), 400, "scope"},
		{"representation: kind not designated", "POST", "/api/v1/representations", link, rep(map[string]any{"kind": "mandate", "principal_identity_code": storetest.AdultCode, "all_purposes": true}), 403, "kind"},
		{"mandate: no representative", "POST", "/api/v1/me/representations", e.admin, map[string]any{"all_purposes": true}, 403, ""},
		{"kinds: unknown", "PUT", "/api/v1/services/" + e.svcA + "/representation-kinds", e.admin, map[string]any{"kinds": []string{"parent"}}, 400, "kinds"},
		{"representation: guardian with all_purposes false", "POST", "/api/v1/representations", e.admin, rep(map[string]any{"all_purposes": false}), 400, "all_purposes"},
		{"representation: guardian with all_purposes true", "POST", "/api/v1/representations", e.admin, rep(map[string]any{"all_purposes": true}), 400, "all_purposes"},
		{"representation: guardian with an empty scope", "POST", "/api/v1/representations", e.admin, rep(map[string]any{"scope": []string{}}), 400, "scope"},
		{"representation: a purpose twice", "POST", "/api/v1/representations", e.admin, rep(map[string]any{"kind": "mandate", "principal_identity_code": storetest.AdultCode, "scope": []string{"research", "research"}}), 400, "scope"},
		{"mandate: backdated", "POST", "/api/v1/me/representations", resTok, grant("2021-01-01T00:00:00Z"), 400, "valid_from"},
		{"mandate: backdated to before the principal was 18", "POST", "/api/v1/me/representations", resTok, grant("1965-01-01T00:00:00Z"), 400, "valid_from"},
		{"kinds: three", "PUT", "/api/v1/services/" + e.svcA + "/representation-kinds", e.admin, map[string]any{"kinds": []string{"guardian", "mandate", "guardian"}}, 400, "kinds"},
		{"kinds: twice", "PUT", "/api/v1/services/" + e.svcA + "/representation-kinds", e.admin, map[string]any{"kinds": []string{"mandate", "mandate"}}, 400, "kinds"},
		{"kinds: missing", "PUT", "/api/v1/services/" + e.svcA + "/representation-kinds", e.admin, map[string]any{}, 400, "kinds"},
	}
	before := e.dump(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(t, tt.method, tt.path, tt.token, tt.body)
			wantStatus(t, r, tt.status)
			if got := r.err(t).Field; got != tt.field {
				t.Errorf("got field %q, want %q", got, tt.field)
			}
			if strings.Contains(string(r.body), storetest.AdultCode) || strings.Contains(string(r.body), "131052") {
				t.Errorf("the error repeats an identity code: %s", r.body)
			}
		})
	}
	if after := e.dump(t); after != before {
		t.Errorf("refused calls changed the database:\n%s", firstDiff(before, after))
	}
}

// decodeJSON decodes b into a generic value, failing the test otherwise.
func decodeJSON(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}
