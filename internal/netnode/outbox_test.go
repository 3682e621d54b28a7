// SPDX-License-Identifier: Apache-2.0

package netnode_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store/storetest"
)

// TestNetworkOutboxDeadLetters: a consent event the sink's operator
// refuses for good (400 invalid: a notice hash that is not its notice's)
// is not retried hourly forever: it is dead-lettered, logged, counted as
// refused, and no later run sends it again (docs/network.md §5.2, §6).
func TestNetworkOutboxDeadLetters(t *testing.T) {
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
	if _, err := hki.Store.GiveConsent(storetest.AsResident(r.ID), &omadata.ConsentInput{ProcessingID: p.ID, Version: 1, Language: "fi"}); err != nil {
		t.Fatal(err)
	}
	// The event carries a notice hash Espoo never published.
	body := query(t, hki, `SELECT body FROM network_outbox`)[0]
	hash := query(t, esp, `SELECT sha256 FROM notices LIMIT 1`)[0]
	if !strings.Contains(body, hash) {
		t.Fatalf("the event %s does not carry Espoo's notice hash %s", body, hash)
	}
	if err := hki.Store.DB().Exec(context.Background(), `UPDATE network_outbox SET body = ?`, strings.ReplaceAll(body, hash, strings.Repeat("0", 64))); err != nil {
		t.Fatal(err)
	}

	if n, err := hki.Node.Outbox.Deliver(admin); err != nil || n != 0 {
		t.Fatalf("deliver: got %d, %v; want the event refused", n, err)
	}
	row := query(t, hki, `SELECT attempts, last_error, delivered_at IS NOT NULL FROM network_outbox`)
	if row[0] != "1" || !strings.Contains(row[1], omadata.ReasonInvalid) {
		t.Fatalf("outbox row: got %v, want one attempt ending in the invalid refusal", row)
	}
	if got := metric(t, hki, `omadata_network_outbox_deliveries_total{outcome="refused"}`); got != "1" {
		t.Errorf("refused deliveries: got %s, want 1", got)
	}
	// Two hours on, past any backoff: nothing is sent again.
	hki.skew.Store(int64(2 * time.Hour))
	if n, err := hki.Node.Outbox.Deliver(admin); err != nil || n != 0 {
		t.Fatalf("deliver later: got %d, %v", n, err)
	}
	if got := query(t, hki, `SELECT attempts FROM network_outbox`); got[0] != "1" {
		t.Errorf("got %s attempts, want the refused event never sent again", got[0])
	}
	if got := metric(t, hki, `omadata_network_outbox_deliveries_total{outcome="failed"}`); got != "" && got != "0" {
		t.Errorf("failed deliveries: got %s, want none", got)
	}
}
