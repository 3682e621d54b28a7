// SPDX-License-Identifier: Apache-2.0

package web_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store/storetest"
)

// consentBody is a valid body that gives consent to proc, version 1.
func consentBody(proc string, set map[string]any) map[string]any {
	b := map[string]any{"processing_id": proc, "version": 1, "language": "fi"}
	for k, v := range set {
		b[k] = v
	}
	return b
}

// consentOf decodes a consent answer, failing unless it has status want.
func consentOf(t *testing.T, r response, status int, want string) omadata.Consent {
	t.Helper()
	wantStatus(t, r, status)
	var c omadata.Consent
	r.decode(t, &c)
	if c.Status != want {
		t.Fatalf("got consent status %q, want %q: %s", c.Status, want, r.body)
	}
	return c
}

type consentList struct {
	Items      []omadata.Consent `json:"items"`
	NextCursor string            `json:"next_cursor"`
}

func (e *env) consentIDs(t *testing.T, path, token string) []string {
	t.Helper()
	r := e.do(t, "GET", path, token, nil)
	wantStatus(t, r, 200)
	var l consentList
	r.decode(t, &l)
	ids := []string{}
	for _, c := range l.Items {
		ids = append(ids, c.ID)
	}
	return ids
}

// checkChain fails unless the records are numbered from 1 and each one's
// prev_hash is the hash of the one before.
func checkChain(t *testing.T, c omadata.Consent, statuses ...string) {
	t.Helper()
	if len(c.Records) != len(statuses) {
		t.Fatalf("got %d records, want %d (%v)", len(c.Records), len(statuses), statuses)
	}
	for i, rec := range c.Records {
		switch {
		case rec.Seq != i+1 || rec.Status != statuses[i] || rec.ConsentID != c.ID || rec.Hash == "":
			t.Errorf("record %d: got seq %d status %q consent %s, want seq %d status %q", i, rec.Seq, rec.Status, rec.ConsentID, i+1, statuses[i])
		case i == 0 && rec.PrevHash != "":
			t.Errorf("record 1: got prev_hash %q, want none", rec.PrevHash)
		case i > 0 && rec.PrevHash != c.Records[i-1].Hash:
			t.Errorf("record %d: prev_hash %q is not the hash %q of the record before", i+1, rec.PrevHash, c.Records[i-1].Hash)
		}
	}
}

// TestConsentLifecycle gives, lists, reads, suspends, resumes and
// withdraws consents through the API: withdrawing is one call, and each
// change grows the record chain by one.
func TestConsentLifecycle(t *testing.T) {
	e := newEnv(t, nil)
	me, tok := e.residentSession(t, storetest.AdultCode)

	c := consentOf(t, e.do(t, "POST", "/api/v1/me/consents", tok, consentBody(e.procA, nil)), 201, omadata.ConsentGiven)
	if c.ResidentID != me || c.ProcessingID != e.procA || c.SinkID != e.svcA || c.Version != 1 || c.ValidUntil == nil {
		t.Errorf("got %+v, want resident %s's consent on %s version 1 with an end", c, me, e.procA)
	}
	checkChain(t, c, omadata.ConsentGiven)
	if rec := c.Records[0]; rec.ActorRole != omadata.ActorSelf || rec.CollectionMethod != omadata.CollectedAPI || rec.NoticeLanguage != "fi" || rec.NoticeSHA256 == "" {
		t.Errorf("got record %+v, want self, api, the fi notice", rec)
	}
	refused := consentOf(t, e.do(t, "POST", "/api/v1/me/consents/refusals", tok, consentBody(e.procB, map[string]any{"language": "sv"})), 201, omadata.ConsentRefused)

	if got := e.consentIDs(t, "/api/v1/me/consents", tok); len(got) != 2 || got[0] != c.ID || got[1] != refused.ID {
		t.Errorf("got %v, want [%s %s]", got, c.ID, refused.ID)
	}
	if got := e.consentIDs(t, "/api/v1/me/consents?status=refused", tok); len(got) != 1 || got[0] != refused.ID {
		t.Errorf("status=refused: got %v, want [%s]", got, refused.ID)
	}
	if got := e.consentIDs(t, "/api/v1/me/consents?processing_id="+e.procA+"&limit=1", tok); len(got) != 1 || got[0] != c.ID {
		t.Errorf("processing_id: got %v, want [%s]", got, c.ID)
	}
	r := e.do(t, "GET", "/api/v1/me/consents?limit=1", tok, nil)
	var page consentList
	r.decode(t, &page)
	if got := e.consentIDs(t, "/api/v1/me/consents?limit=1&cursor="+url.QueryEscape(page.NextCursor), tok); page.NextCursor == "" || len(got) != 1 || got[0] != refused.ID {
		t.Errorf("second page: got %v (cursor %q), want [%s]", got, page.NextCursor, refused.ID)
	}

	got := consentOf(t, e.do(t, "GET", "/api/v1/me/consents/"+c.ID, tok, nil), 200, omadata.ConsentGiven)
	checkChain(t, got, omadata.ConsentGiven)

	got = consentOf(t, e.do(t, "POST", "/api/v1/me/consents/"+c.ID+"/suspend", tok, map[string]string{"reason": "On holiday"}), 200, omadata.ConsentSuspended)
	checkChain(t, got, omadata.ConsentGiven, omadata.ConsentSuspended)
	if got.Records[1].Reason != "On holiday" {
		t.Errorf("got reason %q, want the one given", got.Records[1].Reason)
	}
	got = consentOf(t, e.do(t, "POST", "/api/v1/me/consents/"+c.ID+"/resume", tok, nil), 200, omadata.ConsentGiven)
	checkChain(t, got, omadata.ConsentGiven, omadata.ConsentSuspended, omadata.ConsentGiven)

	// Withdrawing is one call with no body at all.
	got = consentOf(t, e.call(t, "POST", "/api/v1/me/consents/"+c.ID+"/withdraw", tok, "", nil), 200, omadata.ConsentWithdrawn)
	checkChain(t, got, omadata.ConsentGiven, omadata.ConsentSuspended, omadata.ConsentGiven, omadata.ConsentWithdrawn)
	got = consentOf(t, e.do(t, "GET", "/api/v1/me/consents/"+c.ID, tok, nil), 200, omadata.ConsentWithdrawn)
	checkChain(t, got, omadata.ConsentGiven, omadata.ConsentSuspended, omadata.ConsentGiven, omadata.ConsentWithdrawn)
	// Every act came through the API, and each record says so.
	for _, rec := range got.Records {
		if rec.CollectionMethod != omadata.CollectedAPI {
			t.Errorf("record %d (%s): got collection method %q, want api", rec.Seq, rec.Status, rec.CollectionMethod)
		}
	}

	// Final is final, and a refusal cannot be withdrawn either.
	for _, path := range []string{"/withdraw", "/resume", "/suspend"} {
		r := e.do(t, "POST", "/api/v1/me/consents/"+c.ID+path, tok, nil)
		wantStatus(t, r, 409)
	}
	wantStatus(t, e.do(t, "POST", "/api/v1/me/consents/"+refused.ID+"/withdraw", tok, `{"reason":"changed my mind"}`), 409)
	// A resident does not revoke: that route is not theirs.
	wantStatus(t, e.do(t, "POST", "/api/v1/consents/"+refused.ID+"/revoke", tok, `{"reason":"x"}`), 403)
	// After the withdrawal a new consent may be given; it is a new one.
	again := consentOf(t, e.do(t, "POST", "/api/v1/me/consents", tok, consentBody(e.procA, nil)), 201, omadata.ConsentGiven)
	if again.ID == c.ID {
		t.Errorf("got the withdrawn consent's ID again")
	}
}

// TestConsentHiddenFromOthers: another resident, a stranger sink and a
// malformed ID all get exactly the answer a missing consent gets, and
// change nothing.
func TestConsentHiddenFromOthers(t *testing.T) {
	e := newEnv(t, nil)
	_, tokA := e.residentSession(t, storetest.AdultCode)
	_, tokB := e.residentSession(t, storetest.AdultCode2)
	c := consentOf(t, e.do(t, "POST", "/api/v1/me/consents", tokA, consentBody(e.procA, nil)), 201, omadata.ConsentGiven)
	_, sinkB := e.credential(t, e.svcB, omadata.ScopeConsents)
	missing := omadata.NewID(omadata.PrefixConsent)

	before := e.dump(t)
	for _, tt := range []struct{ method, suffix, token, body string }{
		{"GET", "", tokB, ""},
		{"POST", "/withdraw", tokB, ""},
		{"POST", "/suspend", tokB, `{"reason":"x"}`},
		{"POST", "/resume", tokB, ""},
		{"GET", "/records/1/receipt", tokB, ""},
		{"GET", "/records/1/receipt?format=kantara", tokB, ""},
	} {
		t.Run(tt.method+" "+tt.suffix, func(t *testing.T) {
			var body any
			if tt.body != "" {
				body = tt.body
			}
			want := e.do(t, tt.method, "/api/v1/me/consents/"+missing+tt.suffix, tokB, body)
			wantStatus(t, want, 404)
			sameError(t, e.do(t, tt.method, "/api/v1/me/consents/"+c.ID+tt.suffix, tt.token, body), want)
			sameError(t, e.do(t, tt.method, "/api/v1/me/consents/not-an-id"+tt.suffix, tt.token, body), want)
		})
	}
	t.Run("sink of another processing", func(t *testing.T) {
		want := e.do(t, "GET", "/api/v1/consents/"+missing, sinkB, nil)
		sameError(t, e.do(t, "GET", "/api/v1/consents/"+c.ID, sinkB, nil), want)
		want = e.do(t, "POST", "/api/v1/consents/"+missing+"/revoke", sinkB, `{"reason":"x"}`)
		sameError(t, e.do(t, "POST", "/api/v1/consents/"+c.ID+"/revoke", sinkB, `{"reason":"x"}`), want)
		if got := e.consentIDs(t, "/api/v1/consents", sinkB); len(got) != 0 {
			t.Errorf("B lists %v, want nothing", got)
		}
	})
	if got := e.consentIDs(t, "/api/v1/me/consents", tokB); len(got) != 0 {
		t.Errorf("B lists %v, want nothing", got)
	}
	if after := e.dump(t); after != before {
		t.Errorf("refused calls changed the database:\n%s", firstDiff(before, after))
	}
	consentOf(t, e.do(t, "GET", "/api/v1/me/consents/"+c.ID, tokA, nil), 200, omadata.ConsentGiven)
}

// TestConsentGuardian: a guardian, recorded by an admin through the API,
// gives and withdraws consent for their child, and is told "not found",
// naming on_behalf_of, when acting for a child who is not theirs.
func TestConsentGuardian(t *testing.T) {
	e := newEnv(t, nil)
	_, guardian := e.residentSession(t, storetest.AdultCode)
	child, other := kidCode(6), kidCode(7)
	childID, childTok := e.residentSession(t, child)
	otherID, _ := e.residentSession(t, other)

	r := e.do(t, "POST", "/api/v1/representations", e.admin, map[string]any{
		"kind": "guardian", "representative_identity_code": storetest.AdultCode, "principal_identity_code": child, "basis": "population register",
	})
	wantStatus(t, r, 201)

	c := consentOf(t, e.do(t, "POST", "/api/v1/me/consents", guardian, consentBody(e.procA, map[string]any{"on_behalf_of": childID})), 201, omadata.ConsentGiven)
	if c.ResidentID != childID || c.Records[0].ActorRole != omadata.ActorGuardian {
		t.Errorf("got resident %s role %s, want %s by guardian", c.ResidentID, c.Records[0].ActorRole, childID)
	}
	if got := e.consentIDs(t, "/api/v1/me/consents?on_behalf_of="+childID, guardian); len(got) != 1 || got[0] != c.ID {
		t.Errorf("on behalf of the child: got %v, want [%s]", got, c.ID)
	}
	if got := e.consentIDs(t, "/api/v1/me/consents", guardian); len(got) != 0 {
		t.Errorf("the guardian's own: got %v, want none", got)
	}
	if got := e.consentIDs(t, "/api/v1/me/consents", childTok); len(got) != 1 || got[0] != c.ID {
		t.Errorf("the child's own: got %v, want [%s]", got, c.ID)
	}

	before := e.dump(t)
	for _, tt := range []struct {
		name string
		r    response
	}{
		{"give for another child", e.do(t, "POST", "/api/v1/me/consents", guardian, consentBody(e.procA, map[string]any{"on_behalf_of": otherID}))},
		{"refuse for another child", e.do(t, "POST", "/api/v1/me/consents/refusals", guardian, consentBody(e.procA, map[string]any{"on_behalf_of": otherID}))},
		{"give for a missing resident", e.do(t, "POST", "/api/v1/me/consents", guardian, consentBody(e.procA, map[string]any{"on_behalf_of": "res_0000000000000000000000000a"}))},
		{"list another child's", e.do(t, "GET", "/api/v1/me/consents?on_behalf_of="+otherID, guardian, nil)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantStatus(t, tt.r, 404)
			if got := tt.r.err(t).Field; got != "on_behalf_of" {
				t.Errorf("got field %q, want on_behalf_of", got)
			}
		})
	}
	if after := e.dump(t); after != before {
		t.Errorf("refused calls changed the database:\n%s", firstDiff(before, after))
	}

	got := consentOf(t, e.do(t, "POST", "/api/v1/me/consents/"+c.ID+"/withdraw", guardian, nil), 200, omadata.ConsentWithdrawn)
	if got.Records[1].ActorRole != omadata.ActorGuardian {
		t.Errorf("got role %q, want guardian", got.Records[1].ActorRole)
	}
}

// TestConsentRequestBySink: a sink links a resident, asks for consent by
// its pseudonym, the resident answers, and the sink revokes it.
func TestConsentRequestBySink(t *testing.T) {
	e := newEnv(t, nil)
	me, tok := e.residentSession(t, storetest.AdultCode)
	_, sinkB := e.credential(t, e.svcB, omadata.ScopeResidentsLink, omadata.ScopeConsents)
	_, sinkA := e.credential(t, e.svcA, omadata.ScopeConsents)

	r := e.do(t, "POST", "/api/v1/residents/link", sinkB, map[string]string{"identity_code": storetest.AdultCode})
	wantStatus(t, r, 200)
	var link omadata.ResidentLink
	r.decode(t, &link)

	req := consentOf(t, e.do(t, "POST", "/api/v1/consent-requests", sinkB, map[string]any{
		"processing_id": e.procB, "pseudonym": link.Pseudonym, "message": map[string]string{"fi": "Saammeko?", "en": "May we?"},
	}), 201, omadata.ConsentRequested)
	if req.Pseudonym != link.Pseudonym || req.ResidentID != "" || req.Message["en"] != "May we?" {
		t.Errorf("got %+v, want B's pseudonym, no resident ID, the message", req)
	}
	wantStatus(t, e.do(t, "POST", "/api/v1/consent-requests", sinkB, map[string]any{"processing_id": e.procB, "pseudonym": link.Pseudonym}), 409)

	r = e.do(t, "GET", "/api/v1/me/consents?status=requested", tok, nil)
	var l consentList
	r.decode(t, &l)
	if len(l.Items) != 1 || l.Items[0].ID != req.ID || l.Items[0].ResidentID != me || l.Items[0].Message["fi"] != "Saammeko?" {
		t.Fatalf("the resident sees %+v, want the request with its message", l.Items)
	}
	c := consentOf(t, e.do(t, "POST", "/api/v1/me/consents", tok, consentBody(e.procB, map[string]any{"language": "sv"})), 201, omadata.ConsentGiven)
	if c.ID != req.ID {
		t.Errorf("the answer made consent %s, want the request %s", c.ID, req.ID)
	}
	checkChain(t, c, omadata.ConsentRequested, omadata.ConsentGiven)

	seen := consentOf(t, e.do(t, "GET", "/api/v1/consents/"+c.ID, sinkB, nil), 200, omadata.ConsentGiven)
	if seen.Pseudonym != link.Pseudonym || seen.ResidentID != "" {
		t.Errorf("the sink sees %+v, want its pseudonym only", seen)
	}
	if got := e.consentIDs(t, "/api/v1/consents?processing_id="+e.procB+"&status=given", sinkB); len(got) != 1 || got[0] != c.ID {
		t.Errorf("the sink lists %v, want [%s]", got, c.ID)
	}
	// Another service, even with the consents scope, sees nothing of it.
	wantStatus(t, e.do(t, "GET", "/api/v1/consents/"+c.ID, sinkA, nil), 404)
	wantStatus(t, e.do(t, "POST", "/api/v1/consents/"+c.ID+"/revoke", sinkA, `{"reason":"x"}`), 404)
	// Asking about a resident by another service's pseudonym finds nobody.
	wantStatus(t, e.do(t, "POST", "/api/v1/consent-requests", sinkA, map[string]any{"processing_id": e.procA, "pseudonym": link.Pseudonym}), 404)

	r = e.do(t, "POST", "/api/v1/consents/"+c.ID+"/revoke", sinkB, `{}`)
	wantStatus(t, r, 400)
	if got := r.err(t).Field; got != "reason" {
		t.Errorf("got field %q, want reason", got)
	}
	got := consentOf(t, e.do(t, "POST", "/api/v1/consents/"+c.ID+"/revoke", sinkB, map[string]string{"reason": "The study has ended."}), 200, omadata.ConsentRevoked)
	if rec := got.Records[len(got.Records)-1]; rec.ActorRole != omadata.ActorSink || rec.Reason != "The study has ended." {
		t.Errorf("got %+v, want the sink's revocation with its reason", rec)
	}
	mine := consentOf(t, e.do(t, "GET", "/api/v1/me/consents/"+c.ID, tok, nil), 200, omadata.ConsentRevoked)
	checkChain(t, mine, omadata.ConsentRequested, omadata.ConsentGiven, omadata.ConsentRevoked)
	wantStatus(t, e.do(t, "POST", "/api/v1/me/consents/"+c.ID+"/withdraw", tok, nil), 409)

	// Admins see and revoke any consent.
	other := consentOf(t, e.do(t, "POST", "/api/v1/me/consents", tok, consentBody(e.procA, nil)), 201, omadata.ConsentGiven)
	if got := e.consentIDs(t, "/api/v1/consents", e.admin); len(got) != 2 {
		t.Errorf("the admin lists %v, want both consents", got)
	}
	consentOf(t, e.do(t, "POST", "/api/v1/consents/"+other.ID+"/revoke", e.admin, `{"reason":"Suspected misuse."}`), 200, omadata.ConsentRevoked)
}

// TestPaperConsent: an official records a paper consent for a resident
// who never signed in, then its withdrawal; the resident sees both.
func TestPaperConsent(t *testing.T) {
	e := newEnv(t, nil)
	paper := func(set map[string]any) map[string]any {
		b := map[string]any{"identity_code": storetest.AdultCode2, "status": "given", "processing_id": e.procA, "version": 1,
			"language": "sv", "evidence": "HEL 2026-1"}
		for k, v := range set {
			b[k] = v
		}
		return b
	}
	c := consentOf(t, e.do(t, "POST", "/api/v1/consents/paper", e.admin, paper(nil)), 201, omadata.ConsentGiven)
	rec := c.Records[0]
	if rec.ActorKind != "admin" || rec.ActorRole != omadata.ActorOfficial || rec.CollectionMethod != omadata.CollectedPaper || !strings.Contains(rec.Reason, "HEL 2026-1") {
		t.Errorf("got record %+v, want an official's paper record with the archive reference", rec)
	}
	refused := consentOf(t, e.do(t, "POST", "/api/v1/consents/paper", e.admin, paper(map[string]any{"status": "refused", "processing_id": e.procB})), 201, omadata.ConsentRefused)

	me, tok := e.residentSession(t, storetest.AdultCode2)
	if c.ResidentID != me {
		t.Errorf("the paper consent is %s's, want %s's", c.ResidentID, me)
	}
	if got := e.consentIDs(t, "/api/v1/me/consents", tok); len(got) != 2 || got[0] != c.ID || got[1] != refused.ID {
		t.Errorf("the resident sees %v, want [%s %s]", got, c.ID, refused.ID)
	}

	// Withdrawing names the consent and the resident it must belong to.
	e.residentSession(t, storetest.AdultCode) // exists, so a mismatch creates no one
	before := e.dump(t)
	r := e.do(t, "POST", "/api/v1/consents/paper", e.admin, map[string]any{"identity_code": storetest.AdultCode, "status": "withdrawn",
		"consent_id": c.ID, "evidence": "HEL 2026-2"})
	wantStatus(t, r, 404)
	if got := r.err(t).Field; got != "consent_id" {
		t.Errorf("got field %q, want consent_id", got)
	}
	if after := e.dump(t); after != before {
		t.Errorf("a withdrawal for the wrong resident changed the database:\n%s", firstDiff(before, after))
	}
	got := consentOf(t, e.do(t, "POST", "/api/v1/consents/paper", e.admin, map[string]any{"identity_code": storetest.AdultCode2, "status": "withdrawn",
		"consent_id": c.ID, "evidence": "HEL 2026-2", "reason": "Moved away"}), 200, omadata.ConsentWithdrawn)
	checkChain(t, got, omadata.ConsentGiven, omadata.ConsentWithdrawn)
	if rec := got.Records[1]; rec.ActorRole != omadata.ActorOfficial || rec.CollectionMethod != omadata.CollectedPaper ||
		!strings.Contains(rec.Reason, "Moved away") || !strings.Contains(rec.Reason, "HEL 2026-2") {
		t.Errorf("got record %+v, want an official's paper withdrawal with reason and archive reference", rec)
	}
	consentOf(t, e.do(t, "GET", "/api/v1/me/consents/"+c.ID, tok, nil), 200, omadata.ConsentWithdrawn)
}

// TestConsentBadInput sends bad consent bodies: each is refused naming
// its field, and not one row changes.
func TestConsentBadInput(t *testing.T) {
	e := newEnv(t, nil)
	_, tok := e.residentSession(t, storetest.AdultCode)
	_, sinkB := e.credential(t, e.svcB, omadata.ScopeConsents)
	neighbour, _ := e.residentSession(t, storetest.AdultCode2)
	psn, err := e.store.Pseudonym(adminCtx(), e.svcB, neighbour)
	must(t, "pseudonym", err)
	c := consentOf(t, e.do(t, "POST", "/api/v1/me/consents", tok, consentBody(e.procA, nil)), 201, omadata.ConsentGiven)
	stranger := codeBornOn(1966, 6, 6) // never seen: a refused paper consent must not create them
	paper := func(set map[string]any) map[string]any {
		b := map[string]any{"identity_code": stranger, "status": "given", "processing_id": e.procB, "version": 1, "language": "fi", "evidence": "HEL 1"}
		for k, v := range set {
			b[k] = v
		}
		return b
	}
	give := func(set map[string]any) map[string]any { return consentBody(e.procB, set) }
	past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	tests := []struct {
		name, method, path, token string
		body                      any
		status                    int
		field                     string
	}{
		{"unknown field", "POST", "/api/v1/me/consents", tok, give(map[string]any{"resident_id": "res_0000000000000000000000000a"}), 400, "resident_id"},
		{"version as string", "POST", "/api/v1/me/consents", tok, give(map[string]any{"version": "1"}), 400, "version"},
		{"version zero", "POST", "/api/v1/me/consents", tok, give(map[string]any{"version": 0}), 400, "version"},
		{"version not published", "POST", "/api/v1/me/consents", tok, give(map[string]any{"version": 2}), 409, "version"},
		{"unknown language", "POST", "/api/v1/me/consents", tok, give(map[string]any{"language": "de"}), 400, "language"},
		{"no language", "POST", "/api/v1/me/consents/refusals", tok, give(map[string]any{"language": ""}), 400, "language"},
		{"bad processing ID", "POST", "/api/v1/me/consents", tok, give(map[string]any{"processing_id": "proc_1"}), 400, "processing_id"},
		{"draft processing", "POST", "/api/v1/me/consents", tok, consentBody(e.procDraft, nil), 404, ""},
		{"live consent exists", "POST", "/api/v1/me/consents", tok, consentBody(e.procA, nil), 409, "processing_id"},
		{"wrong notice hash", "POST", "/api/v1/me/consents", tok, give(map[string]any{"notice_sha256": strings.Repeat("0", 64)}), 409, "notice_sha256"},
		{"bad notice hash", "POST", "/api/v1/me/consents", tok, give(map[string]any{"notice_sha256": "ABC"}), 400, "notice_sha256"},
		{"source not a service", "POST", "/api/v1/me/consents", tok, give(map[string]any{"source_ids": []string{e.dgB}}), 400, "source_ids"},
		{"source without the data", "POST", "/api/v1/me/consents", tok, give(map[string]any{"source_ids": []string{e.svcA}}), 400, "source_ids"},
		{"end not a time", "POST", "/api/v1/me/consents", tok, give(map[string]any{"valid_until": "next year"}), 400, "valid_until"},
		{"end in the past", "POST", "/api/v1/me/consents", tok, give(map[string]any{"valid_until": past}), 400, "valid_until"},
		{"refusal with an end", "POST", "/api/v1/me/consents/refusals", tok, give(map[string]any{"valid_until": "2030-01-01T00:00:00Z"}), 400, "valid_until"},
		{"paper by a resident", "POST", "/api/v1/me/consents", tok, give(map[string]any{"collection_method": "paper"}), 400, "collection_method"},
		{"paper with evidence by a resident", "POST", "/api/v1/me/consents", tok, give(map[string]any{"collection_method": "paper", "evidence": "x"}), 400, "evidence"},
		{"evidence by a resident", "POST", "/api/v1/me/consents", tok, give(map[string]any{"evidence": "x"}), 400, "evidence"},
		{"on_behalf_of not an ID", "POST", "/api/v1/me/consents", tok, give(map[string]any{"on_behalf_of": "someone"}), 400, "on_behalf_of"},
		{"on_behalf_of a non-ward", "POST", "/api/v1/me/consents", tok, give(map[string]any{"on_behalf_of": neighbour}), 404, "on_behalf_of"},
		{"on_behalf_of a non-ward, listing", "GET", "/api/v1/me/consents?on_behalf_of=" + neighbour, tok, nil, 404, "on_behalf_of"},
		{"list: bad status", "GET", "/api/v1/me/consents?status=active", tok, nil, 400, "status"},
		{"list: bad cursor", "GET", "/api/v1/me/consents?cursor=xyz", tok, nil, 400, "cursor"},
		{"list: bad on_behalf_of", "GET", "/api/v1/me/consents?on_behalf_of=x", tok, nil, 400, "on_behalf_of"},
		{"withdraw: reason as number", "POST", "/api/v1/me/consents/" + c.ID + "/withdraw", tok, `{"reason":5}`, 400, "reason"},
		{"withdraw: unknown field", "POST", "/api/v1/me/consents/" + c.ID + "/withdraw", tok, `{"why":"x"}`, 400, "why"},
		{"withdraw: identity code in the reason", "POST", "/api/v1/me/consents/" + c.ID + "/withdraw", tok, map[string]string{"reason": "I am " + storetest.AdultCode}, 400, "reason"},
		{"suspend: control character", "POST", "/api/v1/me/consents/" + c.ID + "/suspend", tok, `{"reason":"a\u0007"}`, 400, "reason"},
		{"receipt: bad format", "GET", "/api/v1/me/consents/" + c.ID + "/records/1/receipt?format=xml", tok, nil, 400, "format"},
		{"receipt: record zero", "GET", "/api/v1/me/consents/" + c.ID + "/records/0/receipt", tok, nil, 400, "seq"},
		{"receipt: record 01", "GET", "/api/v1/me/consents/" + c.ID + "/records/01/receipt", tok, nil, 400, "seq"},
		{"receipt: no such record", "GET", "/api/v1/me/consents/" + c.ID + "/records/9/receipt", tok, nil, 404, ""},
		{"request: unknown language in the message", "POST", "/api/v1/consent-requests", sinkB, map[string]any{"processing_id": e.procB, "pseudonym": psn, "message": map[string]string{"de": "Bitte"}}, 400, "message.de"},
		{"request: bad pseudonym", "POST", "/api/v1/consent-requests", sinkB, map[string]any{"processing_id": e.procB, "pseudonym": "a b"}, 400, "pseudonym"},
		{"request: unknown pseudonym", "POST", "/api/v1/consent-requests", sinkB, map[string]any{"processing_id": e.procB, "pseudonym": omadata.NewID("psn")}, 404, ""},
		{"request: another sink's processing", "POST", "/api/v1/consent-requests", sinkB, map[string]any{"processing_id": e.procA, "pseudonym": psn}, 404, ""},
		{"request: message as string", "POST", "/api/v1/consent-requests", sinkB, map[string]any{"processing_id": e.procB, "pseudonym": psn, "message": "hi"}, 400, "message"},
		{"revoke: no reason", "POST", "/api/v1/consents/" + c.ID + "/revoke", e.admin, `{"reason":"  "}`, 400, "reason"},
		{"revoke: no body", "POST", "/api/v1/consents/" + c.ID + "/revoke", e.admin, nil, 415, "Content-Type"},
		{"paper: bad identity code", "POST", "/api/v1/consents/paper", e.admin, paper(map[string]any{"identity_code": "131052-308U"}), 400, "identity_code"},
		{"paper: identity code missing", "POST", "/api/v1/consents/paper", e.admin, paper(map[string]any{"identity_code": ""}), 400, "identity_code"},
		{"paper: unknown status", "POST", "/api/v1/consents/paper", e.admin, paper(map[string]any{"status": "suspended"}), 400, "status"},
		{"paper: identity code in the evidence", "POST", "/api/v1/consents/paper", e.admin, paper(map[string]any{"evidence": "form of " + stranger}), 400, "evidence"},
		{"paper: identity code in the reason", "POST", "/api/v1/consents/paper", e.admin, map[string]any{"identity_code": stranger, "status": "withdrawn", "consent_id": c.ID, "evidence": "HEL 2", "reason": "by " + stranger}, 400, "reason"},
		{"paper: no evidence", "POST", "/api/v1/consents/paper", e.admin, paper(map[string]any{"evidence": ""}), 400, "evidence"},
		{"paper: wrong version", "POST", "/api/v1/consents/paper", e.admin, paper(map[string]any{"version": 3}), 409, "version"},
		{"paper: unknown language", "POST", "/api/v1/consents/paper", e.admin, paper(map[string]any{"language": "se"}), 400, "language"},
		{"paper: draft processing", "POST", "/api/v1/consents/paper", e.admin, paper(map[string]any{"processing_id": e.procDraft}), 404, "processing_id"},
		{"paper: missing processing", "POST", "/api/v1/consents/paper", e.admin, paper(map[string]any{"processing_id": omadata.NewID(omadata.PrefixProcessing)}), 404, "processing_id"},
		{"paper: on_behalf_of is the server's", "POST", "/api/v1/consents/paper", e.admin, paper(map[string]any{"on_behalf_of": c.ResidentID}), 400, "on_behalf_of"},
		{"paper: collection_method is the server's", "POST", "/api/v1/consents/paper", e.admin, paper(map[string]any{"collection_method": "paper"}), 400, "collection_method"},
		{"paper: a decision names no consent", "POST", "/api/v1/consents/paper", e.admin, paper(map[string]any{"consent_id": c.ID}), 400, "consent_id"},
		{"paper: withdrawal without consent", "POST", "/api/v1/consents/paper", e.admin, map[string]any{"identity_code": stranger, "status": "withdrawn", "evidence": "HEL 2"}, 400, "consent_id"},
		{"paper: withdrawal with a processing", "POST", "/api/v1/consents/paper", e.admin, map[string]any{"identity_code": stranger, "status": "withdrawn", "consent_id": c.ID, "processing_id": e.procA, "evidence": "HEL 2"}, 400, "processing_id"},
		{"paper: withdrawal of a missing consent", "POST", "/api/v1/consents/paper", e.admin, map[string]any{"identity_code": stranger, "status": "withdrawn", "consent_id": omadata.NewID(omadata.PrefixConsent), "evidence": "HEL 2"}, 404, "consent_id"},
		{"paper: trailing data", "POST", "/api/v1/consents/paper", e.admin, `{"status":"given"} {}`, 400, "body"},
	}
	before := e.dump(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(t, tt.method, tt.path, tt.token, tt.body)
			wantStatus(t, r, tt.status)
			if got := r.err(t).Field; got != tt.field {
				t.Errorf("got field %q, want %q", got, tt.field)
			}
		})
	}
	if after := e.dump(t); after != before {
		t.Errorf("refused calls changed the database:\n%s", firstDiff(before, after))
	}
}

// TestPaperConsentRefusedCreatesNobody: a paper form the store refuses
// (here, a notice hash that does not match what the version shows) leaves
// no trace, not even the resident it named.
func TestPaperConsentRefusedCreatesNobody(t *testing.T) {
	e := newEnv(t, nil)
	before := e.dump(t)
	r := e.do(t, "POST", "/api/v1/consents/paper", e.admin, map[string]any{
		"identity_code": "010185+123B", "status": "given", "processing_id": e.procA, "version": 1,
		"language": "fi", "evidence": "HEL 2026-2", "notice_sha256": strings.Repeat("ab", 32),
	})
	wantStatus(t, r, 409)
	if after := e.dump(t); after != before {
		t.Fatalf("a refused paper consent changed the database")
	}
	r = e.do(t, "POST", "/api/v1/consents/paper", e.admin, map[string]any{
		"identity_code": "010185+123B", "status": "withdrawn", "consent_id": "cns_00000000000000000000000000", "evidence": "HEL 2026-3",
	})
	wantStatus(t, r, 404)
	if after := e.dump(t); after != before {
		t.Fatalf("a paper withdrawal of an unknown consent changed the database")
	}
}
