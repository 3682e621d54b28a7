// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"reflect"
	"testing"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
)

// testUpdateEmptyAndNoOp: every Update* refuses an update that sets no
// field (a PATCH of {} or of nulls only), naming body; an update that sets
// every field it names to what it already is writes nothing (no row, no
// admin change, no log leaf, no updated_at) and answers the record as it
// is; a real change still writes.
func testUpdateEmptyAndNoOp(t *testing.T, s *store.Store) {
	n := CreateNetwork(t, s)
	ai := &omadata.AISystem{
		OrganisationID: n.City.ID, Name: Text("Library assistant"), Description: Text("Suggests books."), Purpose: Text("Recommendations."),
		ProcessingIDs: []string{n.Processing.ID}, DataGroupIDs: []string{n.Loans.ID}, LegalBasis: omadata.BasisConsent,
		HumanOversight: Text("Librarians review the suggestions."), RiskLevel: "limited", Status: "in_use",
		Contact: omadata.Contact{Name: "Kirjasto", Email: "kirjasto@example.fi"},
	}
	ok(t, s.CreateAISystem(Admin(), ai))
	draft := must[*omadata.Processing](t)(s.CreateProcessing(Admin(), NewDraft(n.Sink.ID, "draft-only", n.Recommendations.ID, n.Loans.ID)))
	renamed := Text("Renamed")
	for _, tt := range []struct {
		name   string
		find   func() any
		update func(name *omadata.Text) (any, error)
		name0  omadata.Text
	}{
		{"organisation", func() any { return must[*omadata.Organisation](t)(s.FindOrganisationByID(Admin(), n.City.ID)) },
			func(name *omadata.Text) (any, error) {
				return s.UpdateOrganisation(Admin(), n.City.ID, omadata.OrganisationUpdate{Name: name})
			}, n.City.Name},
		{"service", func() any { return must[*omadata.Service](t)(s.FindServiceByID(Admin(), n.Sink.ID)) },
			func(name *omadata.Text) (any, error) {
				return s.UpdateService(As(n.Sink.ID), n.Sink.ID, omadata.ServiceUpdate{Description: name})
			}, n.Sink.Description},
		{"purpose", func() any { return must[*omadata.Purpose](t)(s.FindPurposeByID(Admin(), n.Recommendations.ID)) },
			func(name *omadata.Text) (any, error) {
				return s.UpdatePurpose(Admin(), n.Recommendations.ID, omadata.PurposeUpdate{Name: name})
			}, n.Recommendations.Name},
		{"data group", func() any { return must[*omadata.DataGroup](t)(s.FindDataGroupByID(Admin(), n.Loans.ID)) },
			func(name *omadata.Text) (any, error) {
				return s.UpdateDataGroup(Admin(), n.Loans.ID, omadata.DataGroupUpdate{Name: name})
			}, n.Loans.Name},
		{"AI system", func() any { return must[*omadata.AISystem](t)(s.FindAISystemByID(Admin(), ai.ID)) },
			func(name *omadata.Text) (any, error) {
				return s.UpdateAISystem(Admin(), ai.ID, omadata.AISystemUpdate{Name: name})
			}, ai.Name},
		{"processing version", func() any {
			return must[*omadata.Processing](t)(s.FindProcessingByID(Admin(), draft.ID)).Versions[0]
		}, func(name *omadata.Text) (any, error) {
			return s.UpdateVersion(Admin(), draft.ID, 1, omadata.ProcessingVersionUpdate{Title: name})
		}, draft.Versions[0].Title},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := tt.find()
			changes, leaves := countRows(t, s, "admin_changes"), countRows(t, s, "log_leaves")
			_, err := tt.update(nil)
			wantField(t, err, omadata.EINVALID, "body")
			same := tt.name0
			got, err := tt.update(&same)
			ok(t, err)
			if !reflect.DeepEqual(got, before) {
				t.Errorf("a no-op update answered %+v, want the record as it was, %+v", got, before)
			}
			if after := tt.find(); !reflect.DeepEqual(after, before) {
				t.Errorf("a no-op update changed the record: %+v, was %+v", after, before)
			}
			if c, l := countRows(t, s, "admin_changes"), countRows(t, s, "log_leaves"); c != changes || l != leaves {
				t.Errorf("a no-op update wrote: admin changes %s → %s, log leaves %s → %s", changes, c, leaves, l)
			}
			// A real change still writes, so the counts above can move.
			_, err = tt.update(&renamed)
			ok(t, err)
			if c := countRows(t, s, "admin_changes"); c == changes {
				t.Errorf("a real change wrote no admin change")
			}
		})
	}
}
