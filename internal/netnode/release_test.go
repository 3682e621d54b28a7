// SPDX-License-Identifier: Apache-2.0

package netnode_test

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/httpsig"
	"github.com/omadata/omadata/internal/network"
	"github.com/omadata/omadata/internal/store/storetest"
)

// mirror has to fetch from's catalogue over the network and import it.
func mirror(t testing.TB, from, to *operator) {
	t.Helper()
	ctx := storetest.Admin()
	p, err := to.Node.Resolver.Resolve(ctx, from.URL)
	if err != nil {
		t.Fatal(err)
	}
	c, err := to.Node.Client.FetchCatalogue(ctx, p.Peer, "")
	if err != nil {
		t.Fatal(err)
	} else if err := to.Store.ImportPeerCatalogue(ctx, p.Peer, c.Catalogue, c.ETag, c.Expires); err != nil {
		t.Fatal(err)
	}
}

func query(t *testing.T, op *operator, q string, args ...any) []string {
	t.Helper()
	rows, err := op.Store.DB().QueryStrings(context.Background(), q, args...)
	if err != nil {
		t.Fatal(err)
	} else if len(rows) == 0 {
		t.Fatalf("no rows for %s", q)
	}
	return rows[0]
}

func newJKT(t *testing.T) string {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	tp, err := (&jose.JSONWebKey{Key: pub}).Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(tp)
}

// TestNetworkRelease: the release between two operators over HTTP. A
// Helsinki resident consents at Helsinki to a processing of a sink at
// Espoo; Helsinki's outbox delivers the consent event to Espoo; Espoo's
// sink asks Espoo for a grant, which Espoo relays to Helsinki as a signed
// call and keeps Helsinki's signed answer; Espoo fetches and verifies
// Helsinki's leaf of the grant with its proof; a question about a
// pseudonym Helsinki never issued is unknown_resident; a withdrawal at
// Helsinki denies the next grant.
func TestNetworkRelease(t *testing.T) {
	a := startAnchor(t)
	hki, esp := startOperator(t, a, "Helsinki"), startOperator(t, a, "Espoo")
	admit(t, a, hki, esp)
	admin := storetest.Admin()
	h := storetest.CreateNetwork(t, hki.Store)
	mirror(t, hki, esp)
	org := storetest.CreateOrganisation(t, esp.Store, omadata.OrgCompany)
	sink := storetest.CreateService(t, esp.Store, org.ID, true, omadata.RoleSink)
	p, err := esp.Store.CreateProcessing(admin, storetest.NewDraft(sink.ID, "espoo-reading", h.Recommendations.ID, h.Loans.ID))
	if err != nil {
		t.Fatal(err)
	}
	storetest.PutNotices(t, esp.Store, p.ID, 1)
	if _, err := esp.Store.PublishVersion(admin, p.ID, 1); err != nil {
		t.Fatal(err)
	}
	mirror(t, esp, hki)
	mirror(t, hki, esp)

	r := storetest.CreateResident(t, hki.Store, storetest.ChildBornOn(time.Date(1980, 3, 1, 0, 0, 0, 0, time.UTC)))
	c, err := hki.Store.GiveConsent(storetest.AsResident(r.ID), &omadata.ConsentInput{ProcessingID: p.ID, Version: 1, Language: "fi"})
	if err != nil {
		t.Fatal(err)
	}
	// Espoo is down: the event waits, with backoff, and is sent later.
	esp.down.Store(true)
	if n, err := hki.Node.Outbox.Deliver(admin); err != nil || n != 0 {
		t.Fatalf("deliver to a peer that is down: got %d, %v", n, err)
	}
	if got := query(t, hki, `SELECT attempts FROM network_outbox`); got[0] != "1" {
		t.Fatalf("got %s attempts, want 1", got[0])
	}
	esp.down.Store(false)
	if n, err := hki.Node.Outbox.Deliver(admin); err != nil || n != 0 {
		t.Fatalf("deliver within the backoff: got %d, %v; want nothing sent", n, err)
	}
	hki.skew.Store(int64(time.Minute))
	if n, err := hki.Node.Outbox.Deliver(admin); err != nil || n != 1 {
		t.Fatalf("deliver: got %d, %v; want the consent event delivered", n, err)
	}
	if f, d := metric(t, hki, `omadata_network_outbox_deliveries_total{outcome="failed"}`), metric(t, hki, `omadata_network_outbox_deliveries_total{outcome="delivered"}`); f != "1" || d != "1" {
		t.Errorf("outbox metrics: got %s failed, %s delivered; want 1 and 1", f, d)
	}
	if n, err := hki.Node.Outbox.Deliver(admin); err != nil || n != 0 {
		t.Fatalf("deliver again: got %d, %v; want nothing left", n, err)
	}
	espResident := query(t, esp, `SELECT id FROM residents WHERE home_operator_id = ?`, hki.URL)[0]
	psn, err := esp.Store.Pseudonym(admin, sink.ID, espResident)
	if err != nil {
		t.Fatal(err)
	}

	in := func() *omadata.GrantInput {
		return &omadata.GrantInput{SourceID: h.Source.ID, Pseudonym: psn, DataGroupIDs: []string{h.Loans.ID}, PurposeID: h.Recommendations.ID,
			JKT: newJKT(t), ProofJTI: omadata.NewID("jti")}
	}
	g, err := esp.Store.IssueGrant(storetest.As(sink.ID), in())
	if err != nil {
		t.Fatal(err)
	} else if !g.Decision.Permit() || g.Token == "" || g.Decision.Ground == nil || g.Decision.Ground.ConsentID != c.ID {
		t.Fatalf("got %+v, want Helsinki's permit on the consent", g.Decision)
	}
	if got := metric(t, esp, `omadata_network_calls_total{kind="grant",outcome="ok"}`); got != "1" {
		t.Errorf("relayed grant calls: got %s, want 1", got)
	}
	relay := query(t, esp, `SELECT r.id, r.peer_record, c.body FROM network_relays r JOIN network_calls c ON c.id = r.call_id WHERE r.kind = 'grant'`)
	hkiKeys, err := esp.Node.Resolver.Resolve(admin, hki.URL)
	if err != nil {
		t.Fatal(err)
	}
	if relay[1] != g.ID {
		t.Fatalf("got relay %v, want Helsinki's grant %s", relay[:2], g.ID)
	}
	if _, err := network.VerifyAnswer(relay[2], *hkiKeys.Keys, hki.URL, esp.URL, nonceOf(t, relay[2]), time.Now()); err != nil {
		t.Fatalf("the kept answer does not verify with Helsinki's keys: %v", err)
	}
	if got := query(t, hki, `SELECT relay_id, operator_id FROM network_requests WHERE record_id = ?`, g.ID); got[0] != relay[0] || got[1] != esp.URL {
		t.Fatalf("got Helsinki's evidence %v, want Espoo's signed request of relay %s", got, relay[0])
	}

	// A batch is one call: its signed request kept once at Helsinki, its
	// signed answer once at Espoo, each record referencing it, and both
	// verify again from what is stored.
	batch := []*omadata.DecisionInput{
		{SourceID: h.Source.ID, Pseudonym: psn, DataGroupIDs: []string{h.Loans.ID}, PurposeID: h.Recommendations.ID},
		{SourceID: h.Source.ID, Pseudonym: psn, DataGroupIDs: []string{h.Loans.ID}, PurposeID: h.Recommendations.ID},
	}
	ds, err := esp.Store.DecideBatch(storetest.As(sink.ID), batch)
	if err != nil {
		t.Fatal(err)
	} else if !ds[0].Permit() || !ds[1].Permit() {
		t.Fatalf("got %+v, %+v; want two permits", ds[0], ds[1])
	}
	espCall := query(t, esp, `SELECT COUNT(DISTINCT r.call_id), COUNT(*), MIN(c.body) FROM network_relays r JOIN network_calls c ON c.id = r.call_id
		WHERE r.kind = 'decision'`)
	if espCall[0] != "1" || espCall[1] != "2" {
		t.Fatalf("Espoo's relays of the batch: %v calls for %v relays, want 1 for 2", espCall[0], espCall[1])
	}
	if n := query(t, esp, `SELECT COUNT(*) FROM network_calls WHERE body = ?`, espCall[2]); n[0] != "1" {
		t.Errorf("the batch's answer is kept %s times, want once", n[0])
	}
	if _, err := network.VerifyAnswer(espCall[2], *hkiKeys.Keys, hki.URL, esp.URL, nonceOf(t, espCall[2]), time.Now()); err != nil {
		t.Fatalf("the kept answer of the batch does not verify with Helsinki's keys: %v", err)
	}
	hkiCall := query(t, hki, `SELECT COUNT(DISTINCT q.call_id), COUNT(*), MIN(q.call_id) FROM network_requests q WHERE q.record_id IN (?, ?)`,
		ds[0].EvidenceID, ds[1].EvidenceID)
	if hkiCall[0] != "1" || hkiCall[1] != "2" {
		t.Fatalf("Helsinki's evidence of the batch: %v calls for %v decisions, want 1 for 2", hkiCall[0], hkiCall[1])
	}
	verifyKeptRequest(t, hki, esp, hkiCall[2])

	// Espoo shows Helsinki's leaf of the grant, verified.
	if _, err := hki.Store.IntegrateLog(admin); err != nil {
		t.Fatal(err)
	}
	rec, err := esp.Node.Client.PeerProof(admin, hki.URL, g.ID)
	if err != nil {
		t.Fatal(err)
	} else if rec.Entry.Leaf.Kind != omadata.LeafGrantIssued || rec.Entry.Leaf.Peer.Record != relay[0] {
		t.Fatalf("got leaf %+v, want Helsinki's grant.issued referencing relay %s", rec.Entry.Leaf, relay[0])
	}

	// The portal's check of the peer's side, both ways (portal.PeerLog).
	if _, err := esp.Store.IntegrateLog(admin); err != nil {
		t.Fatal(err)
	}
	espOrigin, hkiOrigin := omadata.LogOrigin(esp.URL), omadata.LogOrigin(hki.URL)
	if err := hki.Node.VerifyPeerRecord(admin, omadata.LeafPeer{Origin: espOrigin, Record: relay[0]}); err != nil {
		t.Errorf("Helsinki checks Espoo's relay: %v", err)
	}
	if err := esp.Node.VerifyPeerRecord(admin, omadata.LeafPeer{Origin: hkiOrigin, Record: g.ID}); err != nil {
		t.Errorf("Espoo checks Helsinki's grant: %v", err)
	}
	if err := hki.Node.VerifyPeerRecord(admin, omadata.LeafPeer{Origin: espOrigin, Record: g.ID}); omadata.ErrorCode(err) != omadata.EINVALID {
		t.Errorf("a record Espoo's log does not have for Helsinki: got %v, want invalid", err)
	}
	// A proven record is not asked for again: with Espoo down, it is still
	// proven; a record not proven before is not.
	esp.down.Store(true)
	if err := hki.Node.VerifyPeerRecord(admin, omadata.LeafPeer{Origin: espOrigin, Record: relay[0]}); err != nil {
		t.Errorf("Helsinki checks Espoo's relay again, Espoo down: %v", err)
	}
	if err := hki.Node.VerifyPeerRecord(admin, omadata.LeafPeer{Origin: espOrigin, Record: g.ID}); err == nil {
		t.Errorf("an unproven record checked while Espoo is down: got nil")
	}
	esp.down.Store(false)

	// A pseudonym Helsinki never issued to Espoo.
	hp, err := esp.Node.Resolver.Resolve(admin, hki.URL)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = esp.Node.Client.RelayDecisions(admin, hp.Peer, []*omadata.NetworkQuestion{{SinkID: sink.ID, SourceID: h.Source.ID,
		Pseudonym: omadata.NewID(omadata.PrefixPeerPseudonym), DataGroupIDs: []string{h.Loans.ID}, PurposeID: h.Recommendations.ID, RelayID: omadata.NewID(omadata.PrefixRelay)}})
	var rf *network.Refusal
	if !errors.As(err, &rf) || rf.Reason != network.ReasonUnknownResident || rf.Status != 404 {
		t.Fatalf("got %v, want unknown_resident", err)
	}

	// Helsinki witnesses Espoo's log: Espoo's checkpoint read with its
	// record is checked against the one Helsinki cosigned.
	t.Run("PeerRecordFork", func(t *testing.T) { testPeerRecordFork(t, hki, esp, relay[0]) })

	// The withdrawal at Helsinki: the next grant denies.
	if _, err := hki.Store.ChangeConsent(storetest.AsResident(r.ID), c.ID, omadata.ConsentWithdrawn, ""); err != nil {
		t.Fatal(err)
	}
	g2, err := esp.Store.IssueGrant(storetest.As(sink.ID), in())
	if err != nil {
		t.Fatal(err)
	} else if g2.Decision.Permit() || g2.Decision.Reason != omadata.DenyConsentWithdrawn {
		t.Fatalf("got %+v, want a deny after the withdrawal", g2.Decision)
	}

	// Helsinki suspended and its chain dropped at Espoo: Espoo sends
	// Helsinki nothing more (neither the resident's pseudonym nor the
	// sink's key), though its peers row still names Helsinki; the grant
	// denies.
	before := query(t, hki, `SELECT COUNT(*) FROM network_requests`)[0]
	if _, err := a.Suspend(admin, hki.URL, "unpaid fee", "test"); err != nil {
		t.Fatal(err)
	}
	if err := esp.Node.Resolver.Drop(admin, hki.URL); err != nil {
		t.Fatal(err)
	}
	g3, err := esp.Store.IssueGrant(storetest.As(sink.ID), in())
	if err != nil {
		t.Fatal(err)
	} else if g3.Decision.Permit() || g3.Decision.Reason != omadata.DenyPeerUnavailable {
		t.Fatalf("got %+v, want peer_unavailable for a suspended home operator", g3.Decision)
	}
	if after := query(t, hki, `SELECT COUNT(*) FROM network_requests`)[0]; after != before {
		t.Errorf("Helsinki's recorded requests went from %s to %s after its suspension, want no new one", before, after)
	}
}

// verifyKeptRequest verifies the signed request of call callID that
// home keeps, as RFC 9421 §3.2 does, from what is stored alone: the
// signature base rebuilt from the stored components, the signature
// checked with the caller's key from its chain as home resolves it, and
// the body against its Content-Digest (RFC 9530).
func verifyKeptRequest(t *testing.T, home, caller *operator, callID string) {
	t.Helper()
	row := query(t, home, `SELECT operator_id, method, target_uri, content_digest, signature_input, signature, body FROM network_calls WHERE id = ?`, callID)
	if row[0] != caller.URL {
		t.Fatalf("the call is kept as %s's, want %s's", row[0], caller.URL)
	}
	u, err := url.Parse(row[2])
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{"Content-Digest": {row[3]}, "Signature-Input": {row[4]}, "Signature": {row[5]}}
	sig, err := httpsig.Parse(h, network.Label)
	if err != nil {
		t.Fatal(err)
	}
	keyid, _ := sig.Input.String("keyid")
	kid := keyid[strings.LastIndexByte(keyid, '#')+1:]
	res, err := home.Node.Resolver.Resolve(storetest.Admin(), caller.URL)
	if err != nil {
		t.Fatal(err)
	}
	keys := res.Keys.Key(kid)
	if len(keys) == 0 || !strings.HasPrefix(keyid, caller.URL+"#") {
		t.Fatalf("keyid %s is not one of %s's keys", keyid, caller.URL)
	}
	if err := sig.Verify(&httpsig.Message{Method: row[1], URL: u, Header: h}, httpsig.Ed25519, keys[0].Key); err != nil {
		t.Fatalf("the kept request does not verify: %v", err)
	}
	if err := httpsig.VerifyContentDigest(row[3], []byte(row[6]), httpsig.DigestSHA256); err != nil {
		t.Fatalf("the kept body is not the signed one: %v", err)
	}
	// A changed body or target does not verify.
	if err := httpsig.VerifyContentDigest(row[3], []byte(row[6]+" "), httpsig.DigestSHA256); err == nil {
		t.Error("a changed body verifies against the kept Content-Digest")
	}
	u.Path += "x"
	if err := sig.Verify(&httpsig.Message{Method: row[1], URL: u, Header: h}, httpsig.Ed25519, keys[0].Key); err == nil {
		t.Error("the kept signature verifies for another target")
	}
}

// nonceOf reads an answer's nonce claim without verifying it.
func nonceOf(t *testing.T, jws string) string {
	t.Helper()
	s, err := jose.ParseSigned(jws, []jose.SignatureAlgorithm{jose.EdDSA})
	if err != nil {
		t.Fatal(err)
	}
	var c network.AnswerClaims
	if err := jsonUnmarshal(s.UnsafePayloadWithoutVerification(), &c); err != nil {
		t.Fatal(err)
	}
	return c.Nonce
}
