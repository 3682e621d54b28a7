// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
)

// testNetworkSentBackPseudonym: a pseudonym Helsinki issued Espoo for one
// of Helsinki's residents, sent back by Espoo in a consent event about a
// processing of Helsinki's own sink, names no resident of Espoo's: refused
// on pseudonym, nothing queued for Helsinki's sink (docs/network.md §5.2).
func testNetworkSentBackPseudonym(t *testing.T, open OpenFunc) {
	hki := OpenOperator(t, open, "https://helsinki.test", "Helsinki")
	esp := OpenOperator(t, open, "https://espoo.test", "Espoo")
	h := CreateNetwork(t, hki.Store)
	Mirror(t, hki, esp)
	_, eProc := peerSink(t, esp, h, "espoo-reading")
	Mirror(t, esp, hki)
	Mirror(t, hki, esp)
	r := CreateResident(t, hki.Store, ChildBornOn(time.Date(1980, 3, 1, 0, 0, 0, 0, time.UTC)))
	must[*omadata.Consent](t)(hki.GiveConsent(AsResident(r.ID), &omadata.ConsentInput{ProcessingID: eProc.ID, Version: 1, Language: "fi"}))
	msgs := must[[]*omadata.NetworkMessage](t)(hki.ClaimNetworkMessages(Admin(), 10, time.Minute))
	if len(msgs) != 1 {
		t.Fatalf("got outbox %+v, want one consent event", msgs)
	}
	var ev omadata.NetworkConsentEvent
	ok(t, json.Unmarshal(msgs[0].Body, &ev))
	var fi *omadata.Notice
	for _, n := range h.Processing.Current().Notices {
		if n.Language == "fi" {
			fi = n
		}
	}
	forged := &omadata.NetworkConsentEvent{ID: omadata.NewID(omadata.PrefixNetworkEvent), Pseudonym: ev.Pseudonym, ProcessingID: h.Processing.ID, Version: 1,
		ConsentID: omadata.NewID(omadata.PrefixConsent), Status: omadata.ConsentGiven, NoticeSHA256: fi.SHA256, Language: "fi", Time: time.Now().UTC()}
	wantField(t, hki.ReceiveConsentEvent(AsOperator(esp.Peer.OperatorID), forged), omadata.EINVALID, "pseudonym")
	if got := outbox(t, hki.Store, h.Sink.ID, omadata.EventConsentGiven); len(got) != 0 {
		t.Fatalf("got consent.given queued for Helsinki's own sink %v, want none", got)
	}
	if got := queryStrings(t, hki.Store, `SELECT consent_id FROM network_consents`); len(got) != 0 {
		t.Fatalf("a refused event claimed consent IDs %v", got)
	}
	if got := queryStrings(t, hki.Store, `SELECT id FROM network_inbox`); len(got) != 0 {
		t.Fatalf("a refused event was recorded as delivered: %v", got)
	}
}

// testNetworkUnrelayable: Espoo's own resident, consenting at Espoo to
// Espoo's processing over Helsinki's mirrored loans group, makes Espoo's
// sink ask Espoo about Helsinki's source. Helsinki is not the resident's
// home, so nobody may be asked: Espoo denies with peer_not_home and
// evidence (Decide, DecideBatch, IssueGrant), never a local grant
// (docs/network.md §5.3, docs/decisions.md).
func testNetworkUnrelayable(t *testing.T, open OpenFunc) {
	hki := OpenOperator(t, open, "https://helsinki.test", "Helsinki")
	esp := OpenOperator(t, open, "https://espoo.test", "Espoo")
	h := CreateNetwork(t, hki.Store)
	Mirror(t, hki, esp)
	eSink, eProc := peerSink(t, esp, h, "espoo-reading")
	mine := CreateResident(t, esp.Store, ChildBornOn(time.Date(1981, 4, 2, 0, 0, 0, 0, time.UTC)))
	must[*omadata.Consent](t)(esp.GiveConsent(AsResident(mine.ID), &omadata.ConsentInput{ProcessingID: eProc.ID, Version: 1, Language: "fi"}))
	psn := must[string](t)(esp.Pseudonym(Admin(), eSink.ID, mine.ID))
	sink := As(eSink.ID)

	g := must[*omadata.Grant](t)(esp.IssueGrant(sink, &omadata.GrantInput{SourceID: h.Source.ID, Pseudonym: psn, DataGroupIDs: []string{h.Loans.ID},
		PurposeID: h.Recommendations.ID, JKT: newJKT(t), ProofJTI: omadata.NewID("jti")}))
	if g.Decision.Permit() || g.Token != "" || g.Decision.Reason != omadata.DenyPeerNotHome {
		t.Fatalf("got grant %+v decision %+v, want a deny peer_not_home", g, g.Decision)
	}
	q := &omadata.DecisionInput{SourceID: h.Source.ID, Pseudonym: psn, DataGroupIDs: []string{h.Loans.ID}, PurposeID: h.Recommendations.ID}
	if d := must[*omadata.Decision](t)(esp.Decide(sink, q)); d.Permit() || d.Reason != omadata.DenyPeerNotHome {
		t.Fatalf("got %+v, want a deny peer_not_home", d)
	}
	nobody := *q
	nobody.Pseudonym = omadata.NewID(omadata.PrefixPseudonym)
	ds := must[[]*omadata.Decision](t)(esp.DecideBatch(sink, []*omadata.DecisionInput{q, &nobody}))
	if len(ds) != 2 || ds[0].Permit() || ds[0].Reason != omadata.DenyPeerNotHome || ds[1].Permit() || ds[1].Reason != omadata.DenyUnknownResident {
		t.Fatalf("got %+v %+v, want peer_not_home and unknown_resident", ds[0], ds[1])
	}
	// Each deny left its evidence, about Espoo's resident, and no permit
	// reached the log.
	if got := queryStrings(t, esp.Store, `SELECT reason FROM decisions WHERE source_id = ? AND resident_id = ?`, h.Source.ID, mine.ID); len(got) != 3 {
		t.Fatalf("got evidence %v, want 3 peer_not_home denies", got)
	}
	if got := queryStrings(t, esp.Store, `SELECT id FROM decisions WHERE source_id = ? AND permit = ?`, h.Source.ID, true); len(got) != 0 {
		t.Fatalf("got permits %v, want none", got)
	}
}

// testNetworkMirroredVersionChecks: a peer's new version passes what a
// local one passes to be published, or the import is refused naming the
// field under processings[i] and mirrors nothing of it (docs/network.md
// §3): a legal basis the taxonomy does not know, special-category data
// without an Art 9(2) condition, a notice missing, a data group twice, a
// retention that is no period.
func testNetworkMirroredVersionChecks(t *testing.T, open OpenFunc) {
	hki := OpenOperator(t, open, "https://helsinki.test", "Helsinki")
	esp := OpenOperator(t, open, "https://espoo.test", "Espoo")
	h := CreateNetwork(t, hki.Store)
	Mirror(t, hki, esp)
	peerSink(t, esp, h, "espoo-reading")
	c, etag, err := esp.NetworkCatalogue(Public())
	ok(t, err)
	for _, tc := range []struct {
		name, field string
		edit        func(e *omadata.CatalogueEntry)
	}{
		{"bogus legal basis", "legal_basis", func(e *omadata.CatalogueEntry) { e.LegalBasis = "totally-bogus" }},
		{"special category without Art 9", "art9_condition", func(e *omadata.CatalogueEntry) {
			e.DataGroups = []omadata.CatalogueDataGroup{{ID: h.Health.ID}}
			e.Art9Condition = ""
		}},
		{"Art 9 without special category", "art9_condition", func(e *omadata.CatalogueEntry) { e.Art9Condition = "A9-2-a" }},
		{"one notice", "notices.sv", func(e *omadata.CatalogueEntry) {
			for i, n := range e.Notices {
				if n.Language == "fi" {
					e.Notices = e.Notices[i : i+1]
					break
				}
			}
		}},
		{"a data group twice", "data_group_ids", func(e *omadata.CatalogueEntry) { e.DataGroups = append(e.DataGroups, e.DataGroups[0]) }},
		{"retention forever", "retention", func(e *omadata.CatalogueEntry) { e.Retention = "forever" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := clone(t, c)
			e := bad.Processings[0]
			tc.edit(e)
			err := hki.ImportPeerCatalogue(Admin(), esp.Peer, bad, etag+"x", time.Now().Add(5*time.Minute))
			wantField(t, err, omadata.EINVALID, "processings[0]."+tc.field)
			if got := queryStrings(t, hki.Store, `SELECT id FROM processing_versions WHERE processing_id = ?`, e.ProcessingID); len(got) != 0 {
				t.Fatalf("a refused import mirrored versions %v", got)
			}
		})
	}
	// The catalogue as published is taken.
	ok(t, hki.ImportPeerCatalogue(Admin(), esp.Peer, c, etag, time.Now().Add(5*time.Minute)))
	if got := queryStrings(t, hki.Store, `SELECT status FROM processing_versions WHERE processing_id = ?`, c.Processings[0].ProcessingID); len(got) != 1 || got[0] != omadata.VersionPublished {
		t.Fatalf("got versions %v, want the published one", got)
	}
}

// testNetworkMirroredDataGroup: a data group mirrored from a peer's
// catalogue is the peer's; an admin here cannot change it (403 naming
// service_id), and it stays as mirrored.
func testNetworkMirroredDataGroup(t *testing.T, open OpenFunc) {
	hki := OpenOperator(t, open, "https://helsinki.test", "Helsinki")
	esp := OpenOperator(t, open, "https://espoo.test", "Espoo")
	h := CreateNetwork(t, hki.Store)
	Mirror(t, hki, esp)
	special, retention := true, "P99Y"
	_, err := esp.UpdateDataGroup(Admin(), h.Loans.ID, omadata.DataGroupUpdate{SpecialCategory: &special, Retention: &retention})
	wantField(t, err, omadata.EFORBIDDEN, "service_id")
	if g := must[*omadata.DataGroup](t)(esp.FindDataGroupByID(Admin(), h.Loans.ID)); g.SpecialCategory || g.Retention != h.Loans.Retention {
		t.Fatalf("got %+v, want the group as Helsinki published it", g)
	}
	// Helsinki's own admin still changes it at Helsinki.
	must[*omadata.DataGroup](t)(hki.UpdateDataGroup(Admin(), h.Loans.ID, omadata.DataGroupUpdate{Retention: &retention}))
}

// lyingRelayer asks the home operator as relayer does, then alters its
// answer before handing it over, as a faulty or hostile peer would.
type lyingRelayer struct {
	*relayer
	decision func(d *omadata.Decision)
	grant    func(g *omadata.Grant)
}

func (r *lyingRelayer) RelayGrant(ctx context.Context, peer *omadata.Peer, in *omadata.NetworkGrantInput) (*omadata.Grant, string, omadata.LeafPeer, error) {
	g, jws, leaf, err := r.relayer.RelayGrant(ctx, peer, in)
	if err == nil {
		r.decision(g.Decision)
		r.grant(g)
	}
	return g, jws, leaf, err
}

func (r *lyingRelayer) RelayDecisions(ctx context.Context, peer *omadata.Peer, in []*omadata.NetworkQuestion) ([]*omadata.Decision, string, error) {
	ds, jws, err := r.relayer.RelayDecisions(ctx, peer, in)
	if err == nil {
		for _, d := range ds {
			r.decision(d)
		}
	}
	return ds, jws, err
}

// testNetworkPeerAnswers: the home operator's answers are checked before
// they are recorded or handed to the sink (docs/network.md §5.3, §5.4):
// an invalid evidence, grant or processing ID, a decision neither permit
// nor deny, an unknown deny reason, a grant for another source fail the
// relay, which denies with peer_unavailable and records no relay.
func testNetworkPeerAnswers(t *testing.T, open OpenFunc) {
	hki := OpenOperator(t, open, "https://helsinki.test", "Helsinki")
	esp := OpenOperator(t, open, "https://espoo.test", "Espoo")
	h := CreateNetwork(t, hki.Store)
	Mirror(t, hki, esp)
	eSink, eProc := peerSink(t, esp, h, "espoo-reading")
	Mirror(t, esp, hki)
	Mirror(t, hki, esp)
	r := CreateResident(t, hki.Store, ChildBornOn(time.Date(1980, 3, 1, 0, 0, 0, 0, time.UTC)))
	must[*omadata.Consent](t)(hki.GiveConsent(AsResident(r.ID), &omadata.ConsentInput{ProcessingID: eProc.ID, Version: 1, Language: "fi"}))
	msgs := must[[]*omadata.NetworkMessage](t)(hki.ClaimNetworkMessages(Admin(), 10, time.Minute))
	var ev omadata.NetworkConsentEvent
	ok(t, json.Unmarshal(msgs[0].Body, &ev))
	ok(t, esp.ReceiveConsentEvent(AsOperator(hki.Peer.OperatorID), &ev))
	psn := outbox(t, esp.Store, eSink.ID, omadata.EventConsentGiven)[0]["pseudonym"].(string)
	_, key, err := ed25519.GenerateKey(nil)
	ok(t, err)
	honest := &relayer{home: hki, caller: esp.Peer.OperatorID, key: key}
	sink := As(eSink.ID)
	q := &omadata.DecisionInput{SourceID: h.Source.ID, Pseudonym: psn, DataGroupIDs: []string{h.Loans.ID}, PurposeID: h.Recommendations.ID}
	grantIn := func() *omadata.GrantInput {
		return &omadata.GrantInput{SourceID: h.Source.ID, Pseudonym: psn, DataGroupIDs: []string{h.Loans.ID}, PurposeID: h.Recommendations.ID,
			JKT: newJKT(t), ProofJTI: omadata.NewID("jti")}
	}
	relays := func() int { return len(queryStrings(t, esp.Store, `SELECT id FROM network_relays`)) }
	none := func(*omadata.Decision) {}
	for _, tc := range []struct {
		name     string
		decision func(d *omadata.Decision)
		grant    func(g *omadata.Grant)
	}{
		{"evidence ID", func(d *omadata.Decision) { d.EvidenceID = "dec_../../x" }, nil},
		{"neither permit nor deny", func(d *omadata.Decision) { d.Decision = "maybe" }, nil},
		{"unknown deny reason", func(d *omadata.Decision) { d.Decision, d.Reason = "deny", "<script>" }, nil},
		{"permit without a processing", func(d *omadata.Decision) { d.ProcessingID = "nope" }, nil},
		{"grant ID", none, func(g *omadata.Grant) { g.ID = "grt_\x00" }},
		{"grant for another source", none, func(g *omadata.Grant) { g.SourceID = omadata.NewID(omadata.PrefixService) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lying := &lyingRelayer{relayer: honest, decision: tc.decision, grant: func(*omadata.Grant) {}}
			if tc.grant != nil {
				lying.grant = tc.grant
			}
			espL := esp.With(store.WithRelayer(lying))
			before := relays()
			g := must[*omadata.Grant](t)(espL.IssueGrant(sink, grantIn()))
			if g.Decision.Permit() || g.Token != "" || g.Decision.Reason != omadata.DenyPeerUnavailable {
				t.Fatalf("got grant %+v decision %+v, want a deny peer_unavailable", g, g.Decision)
			}
			if tc.grant == nil {
				if d := must[*omadata.Decision](t)(espL.Decide(sink, q)); d.Permit() || d.Reason != omadata.DenyPeerUnavailable {
					t.Fatalf("got %+v, want a deny peer_unavailable", d)
				}
				ds := must[[]*omadata.Decision](t)(espL.DecideBatch(sink, []*omadata.DecisionInput{q}))
				if ds[0].Permit() || ds[0].Reason != omadata.DenyPeerUnavailable {
					t.Fatalf("got %+v, want a deny peer_unavailable", ds[0])
				}
			}
			if n := relays(); n != before {
				t.Fatalf("recorded %d relays of a bad answer", n-before)
			}
		})
	}
	// The honest answer is taken.
	if g := must[*omadata.Grant](t)(esp.With(store.WithRelayer(honest)).IssueGrant(sink, grantIn())); !g.Decision.Permit() || relays() != 1 {
		t.Fatalf("got %+v, want Helsinki's permit recorded", g.Decision)
	}
}

// testNetworkEventOrder: the events of one consent are claimed one at a
// time, oldest first: a withdrawal is not sent while the consent's given
// event is undelivered (leased or waiting for its retry), so the sink's
// operator never hears them reversed (docs/network.md §5.2). Another
// consent's events are not held back.
func testNetworkEventOrder(t *testing.T, open OpenFunc) {
	hki := OpenOperator(t, open, "https://helsinki.test", "Helsinki")
	esp := OpenOperator(t, open, "https://espoo.test", "Espoo")
	h := CreateNetwork(t, hki.Store)
	Mirror(t, hki, esp)
	_, eProc := peerSink(t, esp, h, "espoo-reading")
	Mirror(t, esp, hki)
	Mirror(t, hki, esp)
	aino := CreateResident(t, hki.Store, ChildBornOn(time.Date(1980, 3, 1, 0, 0, 0, 0, time.UTC)))
	eino := CreateResident(t, hki.Store, ChildBornOn(time.Date(1982, 5, 6, 0, 0, 0, 0, time.UTC)))
	c := must[*omadata.Consent](t)(hki.GiveConsent(AsResident(aino.ID), &omadata.ConsentInput{ProcessingID: eProc.ID, Version: 1, Language: "fi"}))
	must[*omadata.Consent](t)(hki.ChangeConsent(AsResident(aino.ID), c.ID, omadata.ConsentWithdrawn, ""))
	other := must[*omadata.Consent](t)(hki.GiveConsent(AsResident(eino.ID), &omadata.ConsentInput{ProcessingID: eProc.ID, Version: 1, Language: "fi"}))
	claim := func() map[string]string { // consent ID to status
		t.Helper()
		got := map[string]string{}
		for _, m := range must[[]*omadata.NetworkMessage](t)(hki.ClaimNetworkMessages(Admin(), 10, time.Nanosecond)) {
			var ev omadata.NetworkConsentEvent
			ok(t, json.Unmarshal(m.Body, &ev))
			if _, dup := got[ev.ConsentID]; dup {
				t.Fatalf("claimed two events of consent %s at once", ev.ConsentID)
			}
			got[ev.ConsentID] = ev.Status + " " + m.ID
		}
		return got
	}
	first := claim()
	if len(first) != 2 || !strings.HasPrefix(first[c.ID], omadata.ConsentGiven+" ") || first[other.ID] == "" {
		t.Fatalf("got %v, want Aino's given event and Eino's", first)
	}
	givenID := first[c.ID][len(omadata.ConsentGiven)+1:]
	// The given event failed: its retry waits, and the withdrawal with it.
	ok(t, hki.NetworkMessageFailed(Admin(), givenID, "connection refused"))
	time.Sleep(time.Millisecond) // Eino's lease of a nanosecond has passed
	if got := claim(); got[c.ID] != "" {
		t.Fatalf("got %v, want nothing of Aino's consent while its given event waits", got)
	}
	ok(t, hki.NetworkMessageDelivered(Admin(), givenID))
	if got := claim(); !strings.HasPrefix(got[c.ID], omadata.ConsentWithdrawn+" ") {
		t.Fatalf("got %v, want Aino's withdrawal once her given event is delivered", got)
	}
}

// testNetworkPeerResidentCap: one peer's consent events name only so many
// residents new here per hour (docs/network.md §7); past the cap an event
// is refused as unavailable, changing nothing, so the peer sends it again
// later; residents already known are not held back.
func testNetworkPeerResidentCap(t *testing.T, open OpenFunc) {
	hki := OpenOperator(t, open, "https://helsinki.test", "Helsinki")
	esp := OpenOperator(t, open, "https://espoo.test", "Espoo")
	h := CreateNetwork(t, hki.Store)
	Mirror(t, hki, esp)
	_, eProc := peerSink(t, esp, h, "espoo-reading")
	Mirror(t, esp, hki)
	Mirror(t, hki, esp)
	r := CreateResident(t, hki.Store, ChildBornOn(time.Date(1980, 3, 1, 0, 0, 0, 0, time.UTC)))
	must[*omadata.Consent](t)(hki.GiveConsent(AsResident(r.ID), &omadata.ConsentInput{ProcessingID: eProc.ID, Version: 1, Language: "fi"}))
	msgs := must[[]*omadata.NetworkMessage](t)(hki.ClaimNetworkMessages(Admin(), 10, time.Minute))
	var given omadata.NetworkConsentEvent
	ok(t, json.Unmarshal(msgs[0].Body, &given))
	fresh := func() *omadata.NetworkConsentEvent {
		ev := given
		ev.ID, ev.Pseudonym, ev.ConsentID = omadata.NewID(omadata.PrefixNetworkEvent), omadata.NewID(omadata.PrefixPeerPseudonym), omadata.NewID(omadata.PrefixConsent)
		return &ev
	}
	capped := &Operator{Store: esp.With(store.WithPeerResidentsPerHour(2)), Peer: esp.Peer}
	from := AsOperator(hki.Peer.OperatorID)
	ok(t, capped.ReceiveConsentEvent(from, &given))
	ok(t, capped.ReceiveConsentEvent(from, fresh()))
	third := fresh()
	wantCode(t, capped.ReceiveConsentEvent(from, third), omadata.EUNAVAILABLE)
	if n := len(queryStrings(t, esp.Store, `SELECT id FROM residents WHERE home_operator_id = ?`, hki.Peer.OperatorID)); n != 2 {
		t.Fatalf("got %d residents of Helsinki at Espoo, want 2", n)
	}
	if got := queryStrings(t, esp.Store, `SELECT consent_id FROM network_consents WHERE consent_id = ?`, third.ConsentID); len(got) != 0 {
		t.Fatalf("a refused event claimed its consent ID")
	}
	// Aino, known, still withdraws.
	end := given
	end.ID, end.Status, end.Time = omadata.NewID(omadata.PrefixNetworkEvent), omadata.ConsentWithdrawn, time.Now().UTC()
	ok(t, capped.ReceiveConsentEvent(from, &end))
	// Without the cap (the default), the refused event is taken when sent again.
	ok(t, esp.ReceiveConsentEvent(from, third))
}
