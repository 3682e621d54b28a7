// SPDX-License-Identifier: Apache-2.0

package web_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store/storetest"
)

// world is the seeded env with the cast of the authorization matrix:
// residents in each relation to each other, their consents and requests,
// and a credential with every scope for the sink (service A) and the
// source (service B).
//
//   - alice: an adult; her own consents on A's processings, one of them
//     (procOther) under a purpose her mandate does not cover.
//   - greta: kid's guardian; kid has a consent on A's processing.
//   - mona: holds alice's mandate, limited to the purpose test-research.
//   - sam: related to nobody.
type world struct {
	*env
	conn   *sql.Conn         // pinned: data_version is per connection
	tokens map[string]string // caller kind → bearer token ("" for anonymous)

	alice, greta, kid, mona, sam string // resident IDs
	aliceCode, samCode           string

	purpose2                 string
	procOther                string // A's, published, consent on purpose2
	procFree                 string // A's, published, consent; nobody has consented
	procTask                 string // A's, published and approved, public task on purpose2
	procTaskDraft, procTaskB string // public-task drafts awaiting approval: A's and B's
	procDraftB               string // B's draft
	procReadyA, procReadyB   string // consent-based drafts with their notices, ready to publish
	consA, consAOut, consKid string // consents on A's processings
	consB                    string // alice's consent on B's processing
	reqAlice, reqKid         string // objections to procTask
	repGuardian, repMandate  string
	pseudonymSam             string // A's pseudonym of sam
	appKey                   *appKey
	appConn                  string // alice's connection of the app-read app (env.app)
	newLogKey                string // the verifier key of a log not yet witnessed
}

// callAs calls as a caller of the matrix: with its bearer token, or for
// an app its DPoP-bound token and a proof.
func (w *world) callAs(t *testing.T, caller, method, path string, body any) response {
	t.Helper()
	if strings.HasPrefix(caller, "app-") {
		return w.appCall(t, w.appKey, method, path, w.tokens[caller], body)
	}
	return w.do(t, method, path, w.tokens[caller], body)
}

// dumpWithoutProofs is the database but the DPoP proofs seen, which every
// call of an app records before it is authorized.
func (w *world) dumpWithoutProofs(t *testing.T) string {
	t.Helper()
	d := w.dump(t)
	start := strings.Index(d, "== dpop_proofs\n")
	if start < 0 {
		t.Fatal("dump: no table dpop_proofs")
	}
	end := strings.Index(d[start+1:], "\n== ")
	if end < 0 {
		return d[:start]
	}
	return d[:start] + d[start+1+end+1:]
}

// appToken connects app for alice with scopes and returns an access token
// bound to w.appKey, and the connection's ID.
func (w *world) appToken(t *testing.T, app string, scopes ...string) (token, conn string) {
	t.Helper()
	sum := sha256.Sum256([]byte(testVerifier))
	code, err := w.store.CreateAuthorizationCode(storetest.AsResident(w.alice), &omadata.AuthorizationRequest{
		AppID: app, RedirectURI: testRedirect, Scopes: scopes, CodeChallenge: base64.RawURLEncoding.EncodeToString(sum[:]),
	})
	must(t, "authorization code", err)
	tok, err := w.store.ExchangeToken(context.Background(), &omadata.TokenRequest{GrantType: omadata.GrantAuthorizationCode, ClientID: app,
		Code: code, RedirectURI: testRedirect, CodeVerifier: testVerifier, JKT: w.appKey.jkt})
	must(t, "app token", err)
	c, _, err := w.store.AuthenticateApp(context.Background(), tok.AccessToken)
	must(t, "app caller", err)
	return tok.AccessToken, c.ConnectionID
}

// matrixWitnessedOrigin is the log the world's operator witnesses.
const matrixWitnessedOrigin = "example.org/log"

// noteKey is a signed-note Ed25519 verifier key of a new key named name.
func noteKey(t *testing.T, name string) string {
	t.Helper()
	_, vkey, err := note.GenerateKey(nil, name)
	if err != nil {
		t.Fatal(err)
	}
	return vkey
}

func newWorld(t *testing.T) *world {
	t.Helper()
	e := newEnv(t, nil)
	w := &world{env: e}
	ctx := adminCtx()
	conn, err := e.raw.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	w.conn = conn

	// Residents and representations.
	w.aliceCode, w.samCode = storetest.AdultCode, codeBornOn(1970, 1, 1)
	var aliceTok, gretaTok, monaTok, samTok string
	w.alice, aliceTok = e.residentSession(t, w.aliceCode)
	w.greta, gretaTok = e.residentSession(t, storetest.AdultCode2)
	w.mona, monaTok = e.residentSession(t, codeBornOn(1966, 6, 6))
	w.sam, samTok = e.residentSession(t, w.samCode)
	guardian, err := e.store.CreateRepresentation(ctx, &omadata.RepresentationInput{Kind: omadata.RepGuardian,
		RepresentativeIdentityCode: storetest.AdultCode2, PrincipalIdentityCode: kidCode(6), Basis: "population register"})
	must(t, "guardianship", err)
	w.kid, w.repGuardian = guardian.PrincipalID, guardian.ID
	until := time.Now().AddDate(1, 0, 0).UTC()
	mandate, err := e.store.CreateRepresentation(ctx, &omadata.RepresentationInput{Kind: omadata.RepMandate,
		RepresentativeIdentityCode: codeBornOn(1966, 6, 6), PrincipalIdentityCode: w.aliceCode,
		RepresentationScope: omadata.RepresentationScope{Purposes: []string{"test-research"}}, Basis: "mandate code 123", ValidUntil: &until})
	must(t, "mandate", err)
	w.repMandate = mandate.ID

	// More catalogue: a second purpose and processings on it.
	p2 := &omadata.Purpose{Code: "test-statistics", Name: text("Statistics"), Description: text("Statistics"),
		DPVPurposes: []string{"dpv:ResearchAndDevelopment"}, LegalBases: []string{omadata.BasisConsent, omadata.BasisPublicTask}}
	must(t, "purpose 2", e.store.CreatePurpose(ctx, p2))
	w.purpose2 = p2.ID
	w.procOther = w.processingOn(t, e.svcA, "other-research", p2.ID, e.dgA, omadata.BasisConsent, "publish")
	w.procFree = w.processingOn(t, e.svcA, "free-research", e.purpose, e.dgA, omadata.BasisConsent, "publish")
	w.procTask = w.processingOn(t, e.svcA, "loan-statistics", p2.ID, e.dgA, omadata.BasisPublicTask, "publish")
	w.procTaskDraft = w.processingOn(t, e.svcA, "loan-statistics-2", p2.ID, e.dgA, omadata.BasisPublicTask, "notices")
	w.procTaskB = w.processingOn(t, e.svcB, "meal-statistics", p2.ID, e.dgB, omadata.BasisPublicTask, "notices")
	w.procDraftB = w.processingOn(t, e.svcB, "meal-draft", e.purpose, e.dgB, omadata.BasisConsent, "")
	w.procReadyA = w.processingOn(t, e.svcA, "loan-ready", e.purpose, e.dgA, omadata.BasisConsent, "notices")
	w.procReadyB = w.processingOn(t, e.svcB, "meal-ready", e.purpose, e.dgB, omadata.BasisConsent, "notices")

	// Consents and requests.
	give := func(resident, proc, onBehalfOf string) string {
		c, err := e.store.GiveConsent(storetest.AsResident(resident), &omadata.ConsentInput{ProcessingID: proc, Version: 1, Language: "fi",
			OnBehalfOf: onBehalfOf, CollectionMethod: omadata.CollectedPortal})
		must(t, "consent", err)
		return c.ID
	}
	w.consA, w.consAOut, w.consB = give(w.alice, e.procA, ""), give(w.alice, w.procOther, ""), give(w.alice, e.procB, "")
	w.consKid = give(w.greta, e.procA, w.kid)
	object := func(resident, onBehalfOf string) string {
		q, err := e.store.CreateRequest(storetest.AsResident(resident), &omadata.RequestInput{Kind: omadata.RequestObjection,
			ProcessingID: w.procTask, Details: "I object.", OnBehalfOf: onBehalfOf})
		must(t, "request", err)
		return q.ID
	}
	w.reqAlice, w.reqKid = object(w.alice, ""), object(w.greta, w.kid)
	w.pseudonymSam, err = e.store.Pseudonym(ctx, e.svcA, w.sam)
	must(t, "pseudonym", err)

	every := func(svc string) string {
		c := &omadata.Credential{ServiceID: svc, Name: "matrix: every scope", Scopes: omadata.CredentialScopes}
		must(t, "credential", e.store.CreateCredential(ctx, c))
		return c.Token
	}
	sinkTok, sourceTok := every(e.svcA), every(e.svcB)
	// Console sessions of the console's callers: the API must not take them.
	staff := func(code, role, org string) string {
		st, err := e.store.EnsureStaff(ctx, code, "Matrix Staff", role, org)
		must(t, "staff", err)
		se, err := e.store.CreateStaffSession(ctx, st.ID, time.Hour)
		must(t, "staff session", err)
		return se.Token
	}
	w.tokens = map[string]string{
		"anonymous": "", "resident": aliceTok, "guardian": gretaTok, "mandate": monaTok, "stranger": samTok,
		"sink": sinkTok, "source": sourceTok, "admin": e.admin,
		"orgadmin-same":  staff(codeBornOn(1975, 3, 3), omadata.StaffOrganisationAdmin, e.org),
		"orgadmin-other": staff(codeBornOn(1976, 4, 4), omadata.StaffOrganisationAdmin, e.org2),
		"auditor":        staff(codeBornOn(1977, 5, 5), omadata.StaffAuditor, ""),
	}
	w.appKey = newAppKey(t)
	w.tokens["app-read"], w.appConn = w.appToken(t, e.app, omadata.AppScopeRead)
	w.tokens["app-write"], _ = w.appToken(t, storetest.CreateApp(t, e.store).ID, omadata.AppScopeRead, omadata.AppScopeWrite)
	if _, err := e.store.IntegrateLog(storetest.Admin()); err != nil {
		t.Fatalf("integrate log: %v", err)
	}
	// A log an admin asked the operator to witness, and the key of
	// another one to add (docs/witnessing.md §2).
	must(t, "witnessed log", e.store.PutWitnessedLog(ctx, &omadata.WitnessedLog{Origin: matrixWitnessedOrigin,
		VerifierKeys: []string{noteKey(t, matrixWitnessedOrigin)}, Source: omadata.WitnessLogAdmin, Active: true, Reason: "the matrix"}))
	w.newLogKey = noteKey(t, "new.example.org/log")
	return w
}

// processingOn creates a processing of svc; upTo is "" (a bare draft),
// "notices" (a draft with its notices) or "publish" (approved where its
// basis needs it, and published).
func (w *world) processingOn(t *testing.T, svc, code, purpose, dg, basis, upTo string) string {
	t.Helper()
	ctx := adminCtx()
	d := &omadata.ProcessingDraft{ServiceID: svc, Code: code, Title: text(code), Description: text(code + " description"),
		PurposeID: purpose, DataGroupIDs: []string{dg}, LegalBasis: basis, Retention: "P1Y",
		Recipients: []omadata.Recipient{{Name: "Test City", Role: omadata.RecipientController}}}
	if basis != omadata.BasisConsent {
		d.LegalBasisNote = "Statistics Act 280/2004"
	}
	p, err := w.store.CreateProcessing(ctx, d)
	must(t, "processing "+code, err)
	if upTo == "" {
		return p.ID
	}
	for _, lang := range omadata.Languages {
		_, err := w.store.PutNotice(ctx, p.ID, 1, &omadata.Notice{Language: lang, Title: code + " " + lang, Body: "Notice " + lang})
		must(t, "notice "+lang, err)
	}
	if upTo == "publish" {
		if basis != omadata.BasisConsent {
			_, err := w.store.ApproveVersion(ctx, p.ID, 1)
			must(t, "approve "+code, err)
		}
		_, err := w.store.PublishVersion(ctx, p.ID, 1)
		must(t, "publish "+code, err)
	}
	return p.ID
}
