// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"testing"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
)

// testDecisionCatalogueChange checks that a catalogue change made through
// another Store on the same database (as by another process: each Store
// keeps its own copy of the catalogue) decides the very next decision.
func testDecisionCatalogueChange(t *testing.T, s *store.Store) {
	f := newDecisionFixture(t, s)
	other := store.New(s.DB())
	r, psn := f.resident(t)
	f.give(t, r.ID, f.n.Processing)
	ctx := asService(f.n.Sink.ID)
	decide := func(step, want string) {
		t.Helper()
		d := must[*omadata.Decision](t)(s.Decide(ctx, f.question(psn)))
		if got := d.Reason; d.Permit() && want != "" || !d.Permit() && got != want {
			t.Fatalf("%s: got %s %q, want %q", step, d.Decision, got, want)
		}
	}
	decide("before", "")
	must[*omadata.Service](t)(other.SetServiceStatus(Admin(), f.n.Sink.ID, omadata.ServiceSuspended))
	decide("sink suspended", omadata.DenyServiceInactive)
	must[*omadata.Service](t)(other.SetServiceStatus(Admin(), f.n.Sink.ID, omadata.ServiceApproved))
	decide("sink approved again", "")
	must[*omadata.Service](t)(other.SetServiceStatus(Admin(), f.n.Source.ID, omadata.ServiceSuspended))
	decide("source suspended", omadata.DenyServiceInactive)
	must[*omadata.Service](t)(other.SetServiceStatus(Admin(), f.n.Source.ID, omadata.ServiceApproved))
	decide("source approved again", "")
	must[*omadata.Processing](t)(other.RetireProcessing(Admin(), f.n.Processing.ID))
	decide("processing retired", omadata.DenyNoProcessing)
}

func asService(id string) context.Context {
	return omadata.NewContextWithCaller(context.Background(), omadata.Caller{Kind: omadata.CallerService, ServiceID: id, Scopes: []string{omadata.ScopeDecisions}})
}
