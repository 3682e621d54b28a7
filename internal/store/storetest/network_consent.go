// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/omadata/omadata"
)

// testNetworkConsentOwner: a consent ID belongs to the operator and
// pseudonym of its first event (docs/network.md §5.2). Another member, or
// the same one under another pseudonym, cannot end it; an end-of-consent
// event for a consent never announced creates nothing.
func testNetworkConsentOwner(t *testing.T, open OpenFunc) {
	hki := OpenOperator(t, open, "https://helsinki.test", "Helsinki")
	esp := OpenOperator(t, open, "https://espoo.test", "Espoo")
	tku := OpenOperator(t, open, "https://turku.test", "Turku")
	h := CreateNetwork(t, hki.Store)
	Mirror(t, hki, esp)
	eSink, eProc := peerSink(t, esp, h, "espoo-reading")
	Mirror(t, esp, hki)
	Mirror(t, hki, esp)
	Mirror(t, tku, esp) // Turku is a member Espoo knows

	r := CreateResident(t, hki.Store, ChildBornOn(time.Date(1980, 3, 1, 0, 0, 0, 0, time.UTC)))
	c := must[*omadata.Consent](t)(hki.GiveConsent(AsResident(r.ID), &omadata.ConsentInput{ProcessingID: eProc.ID, Version: 1, Language: "fi"}))
	msgs := must[[]*omadata.NetworkMessage](t)(hki.ClaimNetworkMessages(Admin(), 10, time.Minute))
	if len(msgs) != 1 {
		t.Fatalf("got outbox %+v, want one consent event", msgs)
	}
	var given omadata.NetworkConsentEvent
	ok(t, json.Unmarshal(msgs[0].Body, &given))
	ending := func(from omadata.NetworkConsentEvent, ppn string) *omadata.NetworkConsentEvent {
		from.ID, from.Status, from.Pseudonym, from.Time = omadata.NewID(omadata.PrefixNetworkEvent), omadata.ConsentWithdrawn, ppn, time.Now().UTC()
		return &from
	}
	residents := func() int {
		return len(queryStrings(t, esp.Store, `SELECT id FROM residents WHERE home_operator_id IS NOT NULL`))
	}

	// A withdrawal of a consent never announced: refused, nothing created.
	stranger := omadata.NewID(omadata.PrefixPeerPseudonym)
	wantField(t, esp.ReceiveConsentEvent(AsOperator(hki.Peer.OperatorID), ending(given, stranger)), omadata.EINVALID, "consent_id")
	unknown := ending(given, given.Pseudonym)
	unknown.ConsentID = omadata.NewID(omadata.PrefixConsent)
	wantField(t, esp.ReceiveConsentEvent(AsOperator(hki.Peer.OperatorID), unknown), omadata.EINVALID, "consent_id")
	if n := residents(); n != 0 {
		t.Fatalf("a refused withdrawal created %d residents at Espoo", n)
	}

	ok(t, esp.ReceiveConsentEvent(AsOperator(hki.Peer.OperatorID), &given))
	// Turku, under its own pseudonym, and Helsinki, under another, cannot
	// end Aino's consent.
	wantField(t, esp.ReceiveConsentEvent(AsOperator(tku.Peer.OperatorID), ending(given, omadata.NewID(omadata.PrefixPeerPseudonym))), omadata.EINVALID, "consent_id")
	wantField(t, esp.ReceiveConsentEvent(AsOperator(tku.Peer.OperatorID), ending(given, given.Pseudonym)), omadata.EINVALID, "consent_id")
	wantField(t, esp.ReceiveConsentEvent(AsOperator(hki.Peer.OperatorID), ending(given, stranger)), omadata.EINVALID, "consent_id")
	again := given
	again.ID = omadata.NewID(omadata.PrefixNetworkEvent)
	wantField(t, esp.ReceiveConsentEvent(AsOperator(tku.Peer.OperatorID), &again), omadata.EINVALID, "consent_id")
	if got := outbox(t, esp.Store, eSink.ID, omadata.EventConsentWithdrawn); len(got) != 0 {
		t.Fatalf("got withdrawals queued for Espoo's sink %v, want none", got)
	}
	if n := residents(); n != 1 {
		t.Fatalf("got %d peer residents at Espoo, want Aino only", n)
	}

	// Helsinki ends it under the pseudonym it began with.
	ok(t, esp.ReceiveConsentEvent(AsOperator(hki.Peer.OperatorID), ending(given, given.Pseudonym)))
	if got := outbox(t, esp.Store, eSink.ID, omadata.EventConsentWithdrawn); len(got) != 1 || got[0]["consent_id"] != c.ID {
		t.Fatalf("got withdrawals %v, want Helsinki's one", got)
	}
}

// testNetworkPeerSuspended: when a peer stops being an active member, the
// services mirrored from it are suspended in one go, so that its
// processings are no longer offered nor consentable; the first import of
// its catalogue after its re-admission approves them again
// (docs/network.md §2.6, §5.1).
func testNetworkPeerSuspended(t *testing.T, open OpenFunc) {
	hki := OpenOperator(t, open, "https://helsinki.test", "Helsinki")
	esp := OpenOperator(t, open, "https://espoo.test", "Espoo")
	h := CreateNetwork(t, hki.Store)
	Mirror(t, hki, esp)
	eSink, eProc := peerSink(t, esp, h, "espoo-reading")
	Mirror(t, esp, hki)
	r := CreateResident(t, hki.Store, ChildBornOn(time.Date(1980, 3, 1, 0, 0, 0, 0, time.UTC)))
	give := func() error {
		_, err := hki.GiveConsent(AsResident(r.ID), &omadata.ConsentInput{ProcessingID: eProc.ID, Version: 1, Language: "fi"})
		return err
	}

	_, err := hki.SuspendPeerServices(As(h.Sink.ID), esp.Peer.OperatorID, "suspended by the anchor")
	wantCode(t, err, omadata.EFORBIDDEN)
	if n := must[int](t)(hki.SuspendPeerServices(Admin(), esp.Peer.OperatorID, "suspended by the anchor")); n != 1 {
		t.Fatalf("suspended %d services, want Espoo's sink", n)
	}
	if sv := must[*omadata.Service](t)(hki.FindServiceByID(Admin(), eSink.ID)); sv.Status != omadata.ServiceSuspended {
		t.Fatalf("got sink status %s, want suspended", sv.Status)
	}
	_, err = hki.FindCatalogueEntry(Public(), eProc.ID)
	wantCode(t, err, omadata.ENOTFOUND)
	if err := give(); err == nil {
		t.Fatal("a resident consented to a processing of a suspended member")
	}
	if peers := must[[]string](t)(hki.MirroredPeers(Admin())); len(peers) != 0 {
		t.Fatalf("got mirrored peers %v, want none active", peers)
	}
	// The next sync fetches the catalogue whole (no ETag to answer 304 to).
	_, _, err = hki.PeerCatalogueState(Admin(), esp.Peer.OperatorID)
	wantCode(t, err, omadata.ENOTFOUND)

	// Re-admitted: its catalogue imported again approves the sink.
	Mirror(t, esp, hki)
	if sv := must[*omadata.Service](t)(hki.FindServiceByID(Admin(), eSink.ID)); sv.Status != omadata.ServiceApproved {
		t.Fatalf("got sink status %s, want approved", sv.Status)
	}
	must[*omadata.CatalogueEntry](t)(hki.FindCatalogueEntry(Public(), eProc.ID))
	ok(t, give())
	if peers := must[[]string](t)(hki.MirroredPeers(Admin())); len(peers) != 1 || peers[0] != esp.Peer.OperatorID {
		t.Fatalf("got mirrored peers %v, want Espoo", peers)
	}
}
