// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"testing"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
)

func testProcessingLegalRules(t *testing.T, s *store.Store) {
	n := CreateNetwork(t, s)
	research := Purpose(t, s, "research")
	statutory := Purpose(t, s, "statutory-services")
	marketing := Purpose(t, s, "marketing-cooperation")
	cityOrg := n.City
	citySink := CreateService(t, s, cityOrg.ID, true, omadata.RoleSink)
	cases := []struct {
		name  string
		draft func() *omadata.ProcessingDraft
		code  string
		field string
	}{
		{"special category without Art 9", func() *omadata.ProcessingDraft {
			return NewDraft(n.Sink.ID, "x", research.ID, n.Health.ID)
		}, omadata.EINVALID, "art9_condition"},
		{"Art 9 without special category", func() *omadata.ProcessingDraft {
			d := NewDraft(n.Sink.ID, "x", research.ID, n.Loans.ID)
			d.Art9Condition = "A9-2-j"
			return d
		}, omadata.EINVALID, "art9_condition"},
		{"unknown Art 9 condition", func() *omadata.ProcessingDraft {
			d := NewDraft(n.Sink.ID, "x", research.ID, n.Health.ID)
			d.Art9Condition = "A9-2-z"
			return d
		}, omadata.EINVALID, "art9_condition"},
		{"basis the purpose forbids", func() *omadata.ProcessingDraft {
			d := NewDraft(n.Sink.ID, "x", marketing.ID, n.Loans.ID)
			d.LegalBasis, d.LegalBasisNote = omadata.BasisPublicTask, "Kuntalaki 410/2015"
			return d
		}, omadata.EINVALID, "legal_basis"},
		{"public authority on legitimate interests", func() *omadata.ProcessingDraft {
			p := must[*omadata.Purpose](t)(s.UpdatePurpose(Admin(), statutory.ID, omadata.PurposeUpdate{LegalBases: &[]string{"A6-1-c", "A6-1-e", "A6-1-f"}}))
			d := NewDraft(citySink.ID, "x", p.ID, n.Loans.ID)
			d.LegalBasis, d.LegalBasisNote = omadata.BasisLegitimateInterest, "Balancing test 2026-01"
			return d
		}, omadata.EINVALID, "legal_basis"},
		{"public task without statute", func() *omadata.ProcessingDraft {
			d := NewDraft(citySink.ID, "x", statutory.ID, n.Loans.ID)
			d.LegalBasis = omadata.BasisPublicTask
			return d
		}, omadata.EINVALID, "legal_basis_note"},
		{"unknown legal basis", func() *omadata.ProcessingDraft {
			d := NewDraft(n.Sink.ID, "x", research.ID, n.Loans.ID)
			d.LegalBasis = "A6-1-z"
			return d
		}, omadata.EINVALID, "legal_basis"},
		{"unknown data group", func() *omadata.ProcessingDraft {
			return NewDraft(n.Sink.ID, "x", research.ID, "dg_00000000000000000000000000")
		}, omadata.EINVALID, "data_group_ids"},
		{"no data groups", func() *omadata.ProcessingDraft { return NewDraft(n.Sink.ID, "x", research.ID) }, omadata.EINVALID, "data_group_ids"},
		{"unknown purpose", func() *omadata.ProcessingDraft {
			return NewDraft(n.Sink.ID, "x", "pur_00000000000000000000000099", n.Loans.ID)
		}, omadata.EINVALID, "purpose_id"},
		{"source as sink", func() *omadata.ProcessingDraft {
			return NewDraft(n.Source.ID, "x", research.ID, n.Loans.ID)
		}, omadata.EINVALID, "service_id"},
		{"duplicate code", func() *omadata.ProcessingDraft {
			return NewDraft(n.Sink.ID, "recommendations", n.Recommendations.ID, n.Loans.ID)
		}, omadata.ECONFLICT, "code"},
		{"bad recipient role", func() *omadata.ProcessingDraft {
			d := NewDraft(n.Sink.ID, "x", research.ID, n.Loans.ID)
			d.Recipients = []omadata.Recipient{{Name: "X", Role: "friend"}}
			return d
		}, omadata.EINVALID, "recipients.role"},
		{"recipient name in an unknown language", func() *omadata.ProcessingDraft {
			d := NewDraft(n.Sink.ID, "x", research.ID, n.Loans.ID)
			d.Recipients = []omadata.Recipient{{Name: "Espoon kaupunki", Names: omadata.Text{"fi": "Espoon kaupunki", "de": "Stadt Espoo"}, Role: omadata.RecipientController}}
			return d
		}, omadata.EINVALID, "recipients.names.de"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.CreateProcessing(Admin(), c.draft())
			wantField(t, err, c.code, c.field)
		})
	}
	d := NewDraft(n.Sink.ID, "research", research.ID, n.Health.ID)
	d.Art9Condition = "A9-2-j"
	p := must[*omadata.Processing](t)(s.CreateProcessing(Admin(), d))
	if v := p.Latest(); v.Version != 1 || v.Status != omadata.VersionDraft || v.Art9Condition != "A9-2-j" {
		t.Fatalf("got %+v, want a draft version 1 with the Art 9 condition", v)
	}
	list, _, err := s.FindProcessings(Admin(), omadata.ProcessingFilter{})
	ok(t, err)
	if len(list) != 2 {
		t.Fatalf("got %d processings after refused creates, want 2", len(list))
	}
}

func testProcessingPublishLifecycle(t *testing.T, s *store.Store) {
	n := CreateNetwork(t, s)
	p := must[*omadata.Processing](t)(s.CreateProcessing(As(n.Sink.ID), NewDraft("", "loans", n.Recommendations.ID, n.Loans.ID)))
	if p.ServiceID != n.Sink.ID {
		t.Fatalf("got service %q, want the calling sink", p.ServiceID)
	}
	_, err := s.PublishVersion(Admin(), p.ID, 1)
	wantField(t, err, omadata.EINVALID, "notices.fi")
	_, err = s.PutNotice(Admin(), p.ID, 1, &omadata.Notice{Language: "de", Title: "x", Body: "y"})
	wantField(t, err, omadata.EINVALID, "language")
	_, err = s.PutNotice(Admin(), p.ID, 1, &omadata.Notice{Language: "fi", Title: "", Body: "y"})
	wantField(t, err, omadata.EINVALID, "title")
	PutNotices(t, s, p.ID, 1)
	v := must[*omadata.ProcessingVersion](t)(s.PutNotice(Admin(), p.ID, 1, &omadata.Notice{Language: "sv", Title: "Meddelande", Body: "Text."}))
	if v.Notices[1].Language != "sv" || v.Notices[1].SHA256 != omadata.NoticeHash("Meddelande", "Text.") {
		t.Fatalf("got notices %+v, want sv hashed", v.Notices[1])
	}
	v = must[*omadata.ProcessingVersion](t)(s.PublishVersion(As(n.Sink.ID), p.ID, 1))
	if v.Status != omadata.VersionPublished || v.PublishedAt == nil {
		t.Fatalf("got %+v, want published", v)
	}
	// A published version is immutable.
	title := Text("Changed")
	_, err = s.UpdateVersion(Admin(), p.ID, 1, omadata.ProcessingVersionUpdate{Title: &title})
	wantField(t, err, omadata.ECONFLICT, "status")
	_, err = s.PutNotice(Admin(), p.ID, 1, &omadata.Notice{Language: "fi", Title: "x", Body: "y"})
	wantField(t, err, omadata.ECONFLICT, "status")
	_, err = s.PublishVersion(Admin(), p.ID, 1)
	wantField(t, err, omadata.ECONFLICT, "status")
	_, err = s.UpdateVersion(Admin(), p.ID, 7, omadata.ProcessingVersionUpdate{Title: &title})
	wantCode(t, err, omadata.ENOTFOUND)
	// The database itself refuses to change what residents were shown.
	ctx := context.Background()
	for _, q := range []string{
		`UPDATE processing_versions SET retention = 'P9Y' WHERE id = ?`,
		`UPDATE processing_versions SET status = 'draft' WHERE id = ?`,
		`DELETE FROM processing_versions WHERE id = ?`,
		`UPDATE notices SET body = 'Something else.' WHERE version_id = ?`,
		`DELETE FROM notices WHERE version_id = ?`,
		`DELETE FROM processing_version_data_groups WHERE version_id = ?`,
	} {
		if err := s.DB().Exec(ctx, q, v.ID); err == nil {
			t.Fatalf("%s: succeeded on a published version", q)
		}
	}

	// A change is a new version that says whether consents stay valid.
	v2 := must[*omadata.ProcessingVersion](t)(s.CreateVersion(Admin(), p.ID, false))
	if v2.Version != 2 || v2.Status != omadata.VersionDraft || v2.Compatible || len(v2.Notices) != 3 || v2.DataGroupIDs[0] != n.Loans.ID {
		t.Fatalf("got %+v, want a draft copy of version 1", v2)
	}
	_, err = s.CreateVersion(Admin(), p.ID, true)
	wantField(t, err, omadata.ECONFLICT, "status")
	ret := "P3Y"
	v2 = must[*omadata.ProcessingVersion](t)(s.UpdateVersion(Admin(), p.ID, 2, omadata.ProcessingVersionUpdate{Retention: &ret, Title: &title}))
	if v2.Retention != "P3Y" || v2.Title["en"] != "Changed" {
		t.Fatalf("got %+v, want the edit applied", v2)
	}
	// Version 1 is unchanged by the edit of its successor.
	got := must[*omadata.Processing](t)(s.FindProcessingByID(Admin(), p.ID))
	if got.Versions[0].Retention != "P1Y" || got.Versions[0].Title["en"] != "Book recommendations" {
		t.Fatalf("version 1 changed: %+v", got.Versions[0])
	}
	_, err = s.PublishVersion(Admin(), p.ID, 2)
	ok(t, err)
	got = must[*omadata.Processing](t)(s.FindProcessingByID(Admin(), p.ID))
	if got.Versions[0].Status != omadata.VersionRetired || got.Versions[1].Status != omadata.VersionPublished || got.Current().Version != 2 {
		t.Fatalf("got statuses %s, %s; want retired, published", got.Versions[0].Status, got.Versions[1].Status)
	}
	got = must[*omadata.Processing](t)(s.RetireProcessing(Admin(), p.ID))
	if got.Current() != nil {
		t.Fatal("a retired processing still has a published version")
	}
	_, err = s.RetireProcessing(Admin(), p.ID)
	wantField(t, err, omadata.ECONFLICT, "status")

	// Publishing needs an admitted sink.
	pendingSink := CreateService(t, s, n.Company.ID, false, omadata.RoleSink)
	q := must[*omadata.Processing](t)(s.CreateProcessing(Admin(), NewDraft(pendingSink.ID, "q", n.Recommendations.ID, n.Loans.ID)))
	PutNotices(t, s, q.ID, 1)
	_, err = s.PublishVersion(Admin(), q.ID, 1)
	wantField(t, err, omadata.ECONFLICT, "service_id")
}

func testProcessingVisibility(t *testing.T, s *store.Store) {
	n := CreateNetwork(t, s)
	other := CreateService(t, s, n.Company.ID, true, omadata.RoleSink)
	draft := must[*omadata.Processing](t)(s.CreateProcessing(Admin(), NewDraft(n.Sink.ID, "draft-only", n.Recommendations.ID, n.Loans.ID)))
	_, err := s.FindProcessingByID(As(other.ID), n.Processing.ID)
	wantCode(t, err, omadata.ENOTFOUND)
	_, err = s.PublishVersion(As(other.ID), draft.ID, 1)
	wantCode(t, err, omadata.ENOTFOUND)
	_, err = s.CreateVersion(As(other.ID), n.Processing.ID, true)
	wantCode(t, err, omadata.ENOTFOUND)
	_, err = s.FindProcessingByID(Public(), draft.ID)
	wantCode(t, err, omadata.ENOTFOUND)
	list, _, err := s.FindProcessings(Public(), omadata.ProcessingFilter{})
	ok(t, err)
	if len(list) != 1 || list[0].ID != n.Processing.ID {
		t.Fatalf("the public got %d processings, want only the published one", len(list))
	}
	must[*omadata.ProcessingVersion](t)(s.CreateVersion(Admin(), n.Processing.ID, true))
	pub := must[*omadata.Processing](t)(s.FindProcessingByID(Public(), n.Processing.ID))
	if len(pub.Versions) != 1 {
		t.Fatalf("the public sees %d versions, want the published one only", len(pub.Versions))
	}
	mine := must[*omadata.Processing](t)(s.FindProcessingByID(As(n.Sink.ID), n.Processing.ID))
	if len(mine.Versions) != 2 {
		t.Fatalf("the sink sees %d versions, want 2", len(mine.Versions))
	}
	status := omadata.VersionDraft
	list, _, err = s.FindProcessings(As(n.Sink.ID), omadata.ProcessingFilter{Status: &status})
	ok(t, err)
	if len(list) != 2 {
		t.Fatalf("got %d processings with drafts, want 2", len(list))
	}
}

// testProcessingRecipientNames: a recipient keeps its name in each
// language, and a page in Swedish gets Esbo stad.
func testProcessingRecipientNames(t *testing.T, s *store.Store) {
	n := CreateNetwork(t, s)
	d := NewDraft("", "espoo", n.Recommendations.ID, n.Loans.ID)
	d.Recipients = []omadata.Recipient{{Name: "Espoon kaupunki", Role: omadata.RecipientController,
		Names: omadata.Text{"fi": "Espoon kaupunki", "sv": "Esbo stad", "en": "City of Espoo"}}}
	p := must[*omadata.Processing](t)(s.CreateProcessing(As(n.Sink.ID), d))
	got := must[*omadata.Processing](t)(s.FindProcessingByID(Admin(), p.ID))
	r := got.Versions[0].Recipients
	if len(r) != 1 || r[0].NameIn("sv") != "Esbo stad" || r[0].NameIn("en") != "City of Espoo" || r[0].Name != "Espoon kaupunki" {
		t.Fatalf("got recipients %+v, want the names per language", r)
	}
	// Without names, every language gets the one name.
	if (omadata.Recipient{Name: "Kirjasuositus Oy"}).NameIn("sv") != "Kirjasuositus Oy" {
		t.Fatal("a recipient without names has no name in sv")
	}
}
