// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/keys"
	"github.com/omadata/omadata/internal/store"
)

// relayer is the sink's operator's side of the network calls minus HTTP:
// it asks the home operator's store directly, as the calling operator,
// with a signed request as the network handler would hand it over, and
// signs the answer with the home operator's key.
type relayer struct {
	home   *Operator
	caller string // the asking operator's ID
	key    ed25519.PrivateKey
	calls  int
}

// NewRelayer returns the relayer of caller asking home: the network calls
// between two operators' stores minus HTTP, for tests of what a relay
// records (the portal's, too).
func NewRelayer(home *Operator, caller string, key ed25519.PrivateKey) omadata.Relayer {
	return &relayer{home: home, caller: caller, key: key}
}

func (r *relayer) signedCall(body any) (context.Context, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	nonce := omadata.NewID("nonce")
	sig := ed25519.Sign(r.key, b)
	ctx := omadata.NewContextWithSignedRequest(AsOperator(r.caller), &omadata.SignedRequest{
		SignatureInput: `net=("@method" "@target-uri" "content-digest");nonce="` + nonce + `";tag="omadata-network/1"`,
		Signature:      "net=:" + base64.StdEncoding.EncodeToString(sig) + ":", Body: b,
	})
	return ctx, nil
}

// answer signs an answer as the home operator (docs/network.md §4).
func (r *relayer) answer(v any) (string, error) {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: r.key}, (&jose.SignerOptions{}).WithType("omadata-answer+jwt"))
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	sig, err := signer.Sign(b)
	if err != nil {
		return "", err
	}
	return sig.CompactSerialize()
}

func (r *relayer) RelayGrant(_ context.Context, peer *omadata.Peer, in *omadata.NetworkGrantInput) (*omadata.Grant, string, omadata.LeafPeer, error) {
	r.calls++
	if peer.OperatorID != r.home.Peer.OperatorID {
		return nil, "", omadata.LeafPeer{}, omadata.Errorf(omadata.EINTERNAL, "asked the wrong operator")
	}
	ctx, err := r.signedCall(in)
	if err != nil {
		return nil, "", omadata.LeafPeer{}, err
	}
	g, err := r.home.NetworkGrant(ctx, in)
	if err != nil {
		return nil, "", omadata.LeafPeer{}, err
	}
	var leaf omadata.LeafPeer
	if g.Decision.Permit() {
		leaf = omadata.LeafPeer{Origin: r.home.Peer.LogOrigin, Record: g.ID}
	}
	jws, err := r.answer(map[string]any{"grant": g, "leaf": leaf})
	return g, jws, leaf, err
}

func (r *relayer) RelayDecisions(_ context.Context, peer *omadata.Peer, in []*omadata.NetworkQuestion) ([]*omadata.Decision, string, error) {
	r.calls++
	ctx, err := r.signedCall(map[string]any{"questions": in})
	if err != nil {
		return nil, "", err
	}
	ds, err := r.home.NetworkDecide(ctx, in)
	if err != nil {
		return nil, "", err
	}
	jws, err := r.answer(map[string]any{"decisions": ds})
	return ds, jws, err
}

// peerSink registers an approved sink at op with a published consent
// processing of the loans group (mirrored from Helsinki).
func peerSink(t *testing.T, op *Operator, h *Network, code string) (*omadata.Service, *omadata.Processing) {
	t.Helper()
	org := CreateOrganisation(t, op.Store, omadata.OrgCompany)
	sink := CreateService(t, op.Store, org.ID, true, omadata.RoleSink)
	p := must[*omadata.Processing](t)(op.CreateProcessing(Admin(), NewDraft(sink.ID, code, h.Recommendations.ID, h.Loans.ID)))
	PutNotices(t, op.Store, p.ID, 1)
	must[*omadata.ProcessingVersion](t)(op.PublishVersion(Admin(), p.ID, 1))
	return sink, must[*omadata.Processing](t)(op.FindProcessingByID(Admin(), p.ID))
}

// leafOf returns the one leaf of a kind in s's log.
func leafOf(t *testing.T, s *store.Store, kind string) *omadata.LogLeaf {
	t.Helper()
	rows := must[[][]string](t)(s.DB().QueryStrings(context.Background(), `SELECT data FROM log_leaves WHERE kind = ? ORDER BY seq`, kind))
	if len(rows) == 0 {
		t.Fatalf("no %s leaf", kind)
	}
	var l omadata.LogLeaf
	ok(t, json.Unmarshal([]byte(rows[len(rows)-1][0]), &l))
	return &l
}

// verifyLog integrates and verifies an operator's log under its origin.
func verifyLog(t *testing.T, op *Operator) {
	t.Helper()
	integrate(t, op.Store)
	kr, err := keys.NewKeyring(SecretKey)
	ok(t, err)
	vkeys, err := keys.LogVerifierKeys(must[[]*omadata.SigningKey](t)(op.FindSigningKeys(Admin())), op.Peer.LogOrigin)
	ok(t, err)
	rep, err := store.VerifyLog(context.Background(), op.DB(), store.VerifyLogOptions{VerifierKeys: vkeys, Keyring: kr})
	ok(t, err)
	if rep.Records != rep.Leaves || rep.Leaves == 0 {
		t.Fatalf("got %+v, want every leaf's record checked", rep)
	}
}

// testNetworkRelease: the whole story between two operators. A Helsinki
// resident consents at Helsinki to a processing of a sink registered at
// Espoo; the consent event reaches Espoo; Espoo's sink asks Espoo for a
// grant, which Espoo relays to Helsinki, which decides as for a local
// sink; both logs reference each other's leaf; a withdrawal at Helsinki
// denies the next grant; a pseudonym issued to a third operator is an
// unknown resident.
func testNetworkRelease(t *testing.T, open OpenFunc) {
	hki := OpenOperator(t, open, "https://helsinki.test", "Helsinki")
	esp := OpenOperator(t, open, "https://espoo.test", "Espoo")
	tku := OpenOperator(t, open, "https://turku.test", "Turku")
	h := CreateNetwork(t, hki.Store)
	Mirror(t, hki, esp)
	Mirror(t, hki, tku)
	eSink, eProc := peerSink(t, esp, h, "espoo-reading")
	tSink, tProc := peerSink(t, tku, h, "turku-reading")
	Mirror(t, esp, hki)
	Mirror(t, tku, hki)
	Mirror(t, hki, esp) // Espoo knows Helsinki's peers row after Helsinki knows Espoo's

	// The consent at Helsinki, to Espoo's processing as Helsinki mirrors it.
	r := CreateResident(t, hki.Store, ChildBornOn(time.Date(1980, 3, 1, 0, 0, 0, 0, time.UTC)))
	c := must[*omadata.Consent](t)(hki.GiveConsent(AsResident(r.ID), &omadata.ConsentInput{ProcessingID: eProc.ID, Version: 1, Language: "fi"}))
	if got := outbox(t, hki.Store, eSink.ID, omadata.EventConsentGiven); len(got) != 0 {
		t.Fatalf("Helsinki queued webhooks for Espoo's sink: %v", got)
	}
	msgs := must[[]*omadata.NetworkMessage](t)(hki.ClaimNetworkMessages(Admin(), 10, time.Minute))
	if len(msgs) != 1 || msgs[0].OperatorID != esp.Peer.OperatorID || msgs[0].Kind != omadata.NetworkKindConsentEvent {
		t.Fatalf("got outbox %+v, want one consent event to Espoo", msgs)
	}
	if again := must[[]*omadata.NetworkMessage](t)(hki.ClaimNetworkMessages(Admin(), 10, time.Minute)); len(again) != 0 {
		t.Fatalf("a claimed message was claimed again: %+v", again)
	}
	var ev omadata.NetworkConsentEvent
	ok(t, json.Unmarshal(msgs[0].Body, &ev))
	notice := eProc.Current().Notices[0]
	for _, n := range eProc.Current().Notices {
		if n.Language == "fi" {
			notice = n
		}
	}
	if !omadata.ValidID(omadata.PrefixPeerPseudonym, ev.Pseudonym) || ev.ConsentID != c.ID || ev.ProcessingID != eProc.ID || ev.Version != 1 ||
		ev.Status != omadata.ConsentGiven || ev.NoticeSHA256 != notice.SHA256 || ev.Language != "fi" {
		t.Fatalf("got event %+v, want the consent under a pairwise pseudonym and Espoo's notice hash", ev)
	}

	// Espoo receives it: a bad notice hash is refused, the event is taken once.
	bad := ev
	bad.NoticeSHA256 = strings.Repeat("0", 64)
	wantField(t, esp.ReceiveConsentEvent(AsOperator(hki.Peer.OperatorID), &bad), omadata.EINVALID, "notice_sha256")
	bad = ev
	bad.ProcessingID = h.Processing.ID // Helsinki's, mirrored at Espoo
	wantField(t, esp.ReceiveConsentEvent(AsOperator(hki.Peer.OperatorID), &bad), omadata.EINVALID, "processing_id")
	wantCode(t, esp.ReceiveConsentEvent(As(eSink.ID), &ev), omadata.EFORBIDDEN)
	// A caller Espoo has not resolved is not_member, not a 500 (§6).
	err := esp.ReceiveConsentEvent(AsOperator("https://turku.test"), &ev)
	if !errors.Is(err, omadata.ErrNotMember) || omadata.NetworkReason(err) != omadata.ReasonNotMember {
		t.Errorf("unresolved peer: got %v (reason %q), want not_member", err, omadata.NetworkReason(err))
	}
	ok(t, esp.ReceiveConsentEvent(AsOperator(hki.Peer.OperatorID), &ev))
	ok(t, esp.ReceiveConsentEvent(AsOperator(hki.Peer.OperatorID), &ev))
	ok(t, hki.NetworkMessageDelivered(Admin(), msgs[0].ID))
	given := outbox(t, esp.Store, eSink.ID, omadata.EventConsentGiven)
	if len(given) != 1 || given[0]["consent_id"] != c.ID || !strings.HasPrefix(given[0]["pseudonym"].(string), omadata.PrefixPseudonym+"_") {
		t.Fatalf("got consent events at Espoo %v, want one to its sink under its own pseudonym", given)
	}
	psn := given[0]["pseudonym"].(string)
	homes := queryStrings(t, esp.Store, `SELECT id FROM residents WHERE home_operator_id = ? AND identity_sealed = ''`, hki.Peer.OperatorID)
	if len(homes) != 1 {
		t.Fatalf("got residents of Helsinki at Espoo %v, want 1 without an identity code", homes)
	}
	if got := must[*omadata.Resident](t)(esp.FindResidentByID(Admin(), homes[0])); got.IdentityCode != "" {
		t.Fatalf("got %+v, want no identity code", got)
	}

	// Without a relayer, Espoo denies rather than decide for Helsinki.
	sink := As(eSink.ID)
	grantIn := func() *omadata.GrantInput {
		return &omadata.GrantInput{SourceID: h.Source.ID, Pseudonym: psn, DataGroupIDs: []string{h.Loans.ID}, PurposeID: h.Recommendations.ID,
			JKT: newJKT(t), ProofJTI: omadata.NewID("jti")}
	}
	if g := must[*omadata.Grant](t)(esp.IssueGrant(sink, grantIn())); g.Decision.Permit() || g.Decision.Reason != omadata.DenyPeerUnavailable {
		t.Fatalf("got %+v, want a deny for want of the home operator", g.Decision)
	}

	// With one, the grant is Helsinki's, relayed.
	_, key, err := ed25519.GenerateKey(nil)
	ok(t, err)
	rel := &relayer{home: hki, caller: esp.Peer.OperatorID, key: key}
	espR := &Operator{Store: esp.With(store.WithRelayer(rel)), Peer: esp.Peer}
	in := grantIn()
	g := must[*omadata.Grant](t)(espR.IssueGrant(sink, in))
	if !g.Decision.Permit() || g.Token == "" || rel.calls != 1 || g.SinkID != eSink.ID || g.SourceID != h.Source.ID {
		t.Fatalf("got %+v, want Helsinki's permitted grant", g)
	}
	// The token: Helsinki's records key, for Helsinki's source, about the
	// source's pseudonym, bound to the sink's key.
	tok, err := jwt.ParseSigned(g.Token, []jose.SignatureAlgorithm{jose.EdDSA})
	ok(t, err)
	var jwk jose.JSONWebKey
	for _, k := range must[[]*omadata.SigningKey](t)(hki.FindSigningKeys(Admin())) {
		if k.ID == tok.Headers[0].KeyID && k.Status == "active" {
			ok(t, jwk.UnmarshalJSON([]byte(k.PublicJWK)))
		}
	}
	var std jwt.Claims
	var claims omadata.GrantClaims
	ok(t, tok.Claims(jwk.Key, &std, &claims))
	srcPsn := must[string](t)(hki.Pseudonym(Admin(), h.Source.ID, r.ID))
	if std.Issuer != hki.Peer.OperatorID || std.Subject != srcPsn || !slices.Equal(std.Audience, jwt.Audience{h.Source.ID}) ||
		claims.Confirmation.JKT != in.JKT || claims.SinkID != eSink.ID || claims.ConsentID != c.ID {
		t.Fatalf("got %+v %+v, want Helsinki's grant for its source, bound to the sink's key", std, claims)
	}
	if got := outbox(t, hki.Store, h.Source.ID, omadata.EventGrantIssued); len(got) != 1 || got[0]["grant_id"] != g.ID {
		t.Fatalf("got grant.issued events %v, want Helsinki's source told", got)
	}
	// Both logs reference each other's leaf.
	hLeaf, eLeaf := leafOf(t, hki.Store, omadata.LeafGrantIssued), leafOf(t, espR.Store, omadata.LeafGrantRelayed)
	if hLeaf.Record != g.ID || hLeaf.Peer == nil || hLeaf.Peer.Origin != esp.Peer.LogOrigin || hLeaf.Peer.Record != eLeaf.Record ||
		eLeaf.Peer == nil || eLeaf.Peer.Origin != hki.Peer.LogOrigin || eLeaf.Peer.Record != g.ID || !omadata.ValidID(omadata.PrefixRelay, eLeaf.Record) {
		t.Fatalf("got leaves %+v and %+v, want each referencing the other", hLeaf, eLeaf)
	}
	if rows := firstRow(t, hki.Store, `SELECT relay_id, operator_id FROM network_requests WHERE record_id = ?`, g.ID); len(rows) != 2 || rows[0] != eLeaf.Record {
		t.Fatalf("got request evidence %v, want Espoo's signed request kept", rows)
	}
	if rows := firstRow(t, espR.Store, `SELECT peer_record, decision FROM network_relays WHERE id = ?`, eLeaf.Record); len(rows) != 2 || rows[0] != g.ID || rows[1] != "permit" {
		t.Fatalf("got relay %v, want Helsinki's grant recorded", rows)
	}
	// The source's transfer at Helsinki: Espoo's sink gets no webhook from
	// Helsinki, whose usage shows the transfer.
	must[*omadata.Transfer](t)(hki.RecordTransfer(As(h.Source.ID), &omadata.TransferInput{GrantID: g.ID, DataGroupIDs: []string{h.Loans.ID},
		XRoadID: "FI/MUN/0201256-6/loans/1", XRoadRequestHash: "c2hhMjU2"}))
	if got := outbox(t, hki.Store, eSink.ID, omadata.EventReleaseRecorded); len(got) != 0 {
		t.Fatalf("Helsinki queued a webhook for Espoo's sink: %v", got)
	}
	verifyLog(t, hki)
	verifyLog(t, espR)
	// "Who used my data" at Helsinki names Espoo.
	uses, _, err := hki.FindUsage(AsResident(r.ID), omadata.UsageFilter{ResidentID: r.ID})
	ok(t, err)
	i := slices.IndexFunc(uses, func(u *omadata.Usage) bool { return u.Kind == omadata.LeafGrantIssued })
	if i < 0 || uses[i].SinkOperator == nil || uses[i].SinkOperator.ID != esp.Peer.OperatorID || uses[i].Log.Leaf.Peer == nil ||
		uses[i].Log.Leaf.Peer.Record != eLeaf.Record {
		t.Fatalf("got usage %+v, want Espoo's sink's use with its leaf", uses)
	}
	// A decision is relayed too.
	d := must[*omadata.Decision](t)(espR.Decide(sink, &omadata.DecisionInput{SourceID: h.Source.ID, Pseudonym: psn, DataGroupIDs: []string{h.Loans.ID}, PurposeID: h.Recommendations.ID}))
	if !d.Permit() || rel.calls != 2 {
		t.Fatalf("got %+v, want Helsinki's permit", d)
	}
	if dl := leafOf(t, espR.Store, omadata.LeafDecisionRelayed); dl.Peer == nil || dl.Peer.Record != d.EvidenceID {
		t.Fatalf("got %+v, want the relayed decision referencing Helsinki's", dl)
	}
	// A peer's nonce left to the store (the network handler's decisions
	// and grants) is recorded in the transaction that answers the call:
	// once; the call again is refused on nonce and records nothing more;
	// a refused question rolls the nonce back with all else.
	peerQ := func(sinkID string) []*omadata.NetworkQuestion {
		return []*omadata.NetworkQuestion{{SinkID: sinkID, SourceID: h.Source.ID, Pseudonym: ev.Pseudonym, DataGroupIDs: []string{h.Loans.ID},
			PurposeID: h.Recommendations.ID, RelayID: omadata.NewID(omadata.PrefixRelay)}}
	}
	withNonce := func(caller, nonce string) (context.Context, *omadata.SignedRequest) {
		sr := &omadata.SignedRequest{Method: "POST", TargetURI: hki.Peer.NetworkEndpoint + "/decisions", SignatureInput: "net=()",
			Signature: "net=:AA==:", Body: []byte(`{}`), Nonce: nonce, NonceUntil: time.Now().Add(10 * time.Minute)}
		return omadata.NewContextWithSignedRequest(AsOperator(caller), sr), sr
	}
	spent := func(nonce string) string {
		return firstRow(t, hki.Store, `SELECT COUNT(*) FROM dpop_proofs WHERE jkt = ? AND jti = ?`, esp.Peer.OperatorID, nonce)[0]
	}
	decisions := func() string { return firstRow(t, hki.Store, `SELECT COUNT(*) FROM decisions`)[0] }
	nonce := strings.TrimPrefix(omadata.NewID("n"), "n_")
	ctx, sr := withNonce(esp.Peer.OperatorID, nonce)
	if pd := must[[]*omadata.Decision](t)(hki.NetworkDecide(ctx, peerQ(eSink.ID))); !pd[0].Permit() || !sr.NonceSpent || spent(nonce) != "1" {
		t.Fatalf("got %+v, spent %v (%s rows), want a permit with its nonce recorded", pd[0], sr.NonceSpent, spent(nonce))
	}
	before := decisions()
	ctx, sr = withNonce(esp.Peer.OperatorID, nonce)
	_, err = hki.NetworkDecide(ctx, peerQ(eSink.ID))
	wantField(t, err, omadata.ECONFLICT, "nonce")
	if sr.NonceSpent || decisions() != before {
		t.Fatalf("a replayed call: spent %v, decisions %s → %s; want refused with nothing recorded", sr.NonceSpent, before, decisions())
	}
	other := strings.TrimPrefix(omadata.NewID("n"), "n_")
	ctx, sr = withNonce(esp.Peer.OperatorID, other)
	_, err = hki.NetworkDecide(ctx, peerQ(tSink.ID))
	wantField(t, err, omadata.EFORBIDDEN, "questions[0].sink_id")
	if sr.NonceSpent || spent(other) != "0" || decisions() != before {
		t.Fatalf("a refused call: spent %v (%s rows), decisions %s → %s; want nothing recorded", sr.NonceSpent, spent(other), before, decisions())
	}

	// In a batch, beside a local question, asked in one call.
	mine := CreateResident(t, esp.Store, ChildBornOn(time.Date(1981, 4, 2, 0, 0, 0, 0, time.UTC)))
	minePsn := must[string](t)(esp.Pseudonym(Admin(), eSink.ID, mine.ID))
	ds := must[[]*omadata.Decision](t)(espR.DecideBatch(sink, []*omadata.DecisionInput{
		{SourceID: h.Source.ID, Pseudonym: minePsn, DataGroupIDs: []string{h.Loans.ID}, PurposeID: h.Recommendations.ID},
		{SourceID: h.Source.ID, Pseudonym: psn, DataGroupIDs: []string{h.Loans.ID}, PurposeID: h.Recommendations.ID},
	}))
	// Espoo's own resident cannot be asked about at Helsinki: peer_not_home.
	if ds[0].Permit() || ds[0].Reason != omadata.DenyPeerNotHome || !ds[1].Permit() || rel.calls != 3 {
		t.Fatalf("got %+v, %+v after %d calls, want Espoo's own peer_not_home deny and Helsinki's relayed permit", ds[0], ds[1], rel.calls)
	}
	// Helsinki decides on its catalogue as it is now: its source
	// suspended, the next relayed decision denies; approved again, it
	// permits.
	for _, st := range []string{omadata.ServiceSuspended, omadata.ServiceApproved} {
		must[*omadata.Service](t)(hki.SetServiceStatus(Admin(), h.Source.ID, st))
		d := must[*omadata.Decision](t)(espR.Decide(sink, &omadata.DecisionInput{SourceID: h.Source.ID, Pseudonym: psn, DataGroupIDs: []string{h.Loans.ID}, PurposeID: h.Recommendations.ID}))
		if want := st == omadata.ServiceApproved; d.Permit() != want || !want && d.Reason != omadata.DenyServiceInactive {
			t.Fatalf("source %s: got %+v, want permit %v", st, d, want)
		}
	}

	// What a peer may ask (omadata.AuthorizePeer), at Helsinki.
	ctx, err = rel.signedCall("q")
	ok(t, err)
	q := func(mod func(*omadata.NetworkGrantInput)) *omadata.NetworkGrantInput {
		in := &omadata.NetworkGrantInput{NetworkQuestion: omadata.NetworkQuestion{SinkID: eSink.ID, SourceID: h.Source.ID, Pseudonym: ev.Pseudonym,
			DataGroupIDs: []string{h.Loans.ID}, PurposeID: h.Recommendations.ID, RelayID: omadata.NewID(omadata.PrefixRelay)}, JKT: newJKT(t)}
		mod(in)
		return in
	}
	_, err = hki.NetworkGrant(ctx, q(func(in *omadata.NetworkGrantInput) { in.SinkID = tSink.ID }))
	if omadata.NetworkReason(err) != omadata.ReasonNotYourSink {
		t.Fatalf("got %v, want not_your_sink", err)
	}
	_, err = hki.NetworkGrant(ctx, q(func(in *omadata.NetworkGrantInput) { in.SourceID = eSink.ID }))
	if omadata.NetworkReason(err) != omadata.ReasonNotOurSource {
		t.Fatalf("got %v, want not_our_source", err)
	}
	// The resident consents to Turku's processing too: a pseudonym issued
	// to Turku names nobody when Espoo asks.
	must[*omadata.Consent](t)(hki.GiveConsent(AsResident(r.ID), &omadata.ConsentInput{ProcessingID: tProc.ID, Version: 1, Language: "fi"}))
	turkuPpn := queryStrings(t, hki.Store, `SELECT pseudonym FROM peer_pseudonyms WHERE operator_id = ?`, tku.Peer.OperatorID)
	if len(turkuPpn) != 1 || turkuPpn[0] == ev.Pseudonym {
		t.Fatalf("got Turku's pseudonyms %v, want one of its own", turkuPpn)
	}
	_, err = hki.NetworkGrant(ctx, q(func(in *omadata.NetworkGrantInput) { in.Pseudonym = turkuPpn[0] }))
	if omadata.NetworkReason(err) != omadata.ReasonUnknownResident || omadata.ErrorCode(err) != omadata.ENOTFOUND {
		t.Fatalf("got %v, want unknown_resident", err)
	}
	_, err = hki.NetworkDecide(ctx, []*omadata.NetworkQuestion{&q(func(in *omadata.NetworkGrantInput) { in.Pseudonym = turkuPpn[0] }).NetworkQuestion})
	wantField(t, err, omadata.ENOTFOUND, "questions[0].pseudonym")
	_, err = hki.NetworkGrant(AsOperator(esp.Peer.OperatorID), q(func(*omadata.NetworkGrantInput) {}))
	wantCode(t, err, omadata.EFORBIDDEN) // not a signed call
	_, err = hki.NetworkGrant(ctx, q(func(in *omadata.NetworkGrantInput) { in.JKT = "x" }))
	wantField(t, err, omadata.EINVALID, "jkt")

	// The withdrawal at Helsinki: its event goes out, the next grant denies.
	must[*omadata.Consent](t)(hki.ChangeConsent(AsResident(r.ID), c.ID, omadata.ConsentWithdrawn, ""))
	g2 := must[*omadata.Grant](t)(espR.IssueGrant(sink, grantIn()))
	if g2.Decision.Permit() || g2.Decision.Reason != omadata.DenyConsentWithdrawn || g2.Token != "" {
		t.Fatalf("got %+v, want Helsinki's deny after the withdrawal", g2.Decision)
	}
	msgs = must[[]*omadata.NetworkMessage](t)(hki.ClaimNetworkMessages(Admin(), 10, time.Minute))
	var statuses []string
	for _, m := range msgs {
		var e omadata.NetworkConsentEvent
		ok(t, json.Unmarshal(m.Body, &e))
		if m.OperatorID == esp.Peer.OperatorID {
			statuses = append(statuses, e.Status)
		}
	}
	if !slices.Equal(statuses, []string{omadata.ConsentWithdrawn}) {
		t.Fatalf("got events to Espoo %v, want the withdrawal", statuses)
	}
	// A failed delivery waits before the next attempt.
	ok(t, hki.NetworkMessageFailed(Admin(), msgs[0].ID, "503"))
	if got := firstRow(t, hki.Store, `SELECT attempts, last_error FROM network_outbox WHERE id = ?`, msgs[0].ID); got[0] != "1" || got[1] != "503" {
		t.Fatalf("got %v, want one failed attempt", got)
	}
	// A message the peer refused for good is dead-lettered: kept with the
	// refusal, never claimed again (§6's retry column).
	wantField(t, hki.NetworkMessageRefused(Admin(), msgs[0].ID, ""), omadata.EINVALID, "reason")
	wantCode(t, hki.NetworkMessageRefused(As(eSink.ID), msgs[0].ID, "invalid"), omadata.EFORBIDDEN)
	ok(t, hki.NetworkMessageRefused(Admin(), msgs[0].ID, "refused: invalid"))
	if got := firstRow(t, hki.Store, `SELECT attempts, last_error, delivered_at IS NOT NULL FROM network_outbox WHERE id = ?`, msgs[0].ID); got[0] != "2" || got[1] != "refused: invalid" {
		t.Fatalf("got %v, want the refusal kept after two attempts", got)
	}
	wantCode(t, hki.NetworkMessageRefused(Admin(), msgs[0].ID, "refused: invalid"), omadata.ENOTFOUND)
	hki.Store.DB().Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	defer func() { hki.Store.DB().Now = time.Now }()
	later := must[[]*omadata.NetworkMessage](t)(hki.ClaimNetworkMessages(Admin(), 10, time.Minute))
	for _, m := range later {
		if m.ID == msgs[0].ID {
			t.Fatalf("the refused message %s was claimed again", m.ID)
		}
	}
}

// firstRow returns the columns of a query's first row, nil if none.
func firstRow(t *testing.T, s *store.Store, query string, args ...any) []string {
	t.Helper()
	rows := must[[][]string](t)(s.DB().QueryStrings(context.Background(), query, args...))
	if len(rows) == 0 {
		return nil
	}
	return rows[0]
}
