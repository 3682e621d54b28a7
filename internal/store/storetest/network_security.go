// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/omadata/omadata"
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
