// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
)

// testConsentRenewal: a compatible version keeps a consent valid; an
// incompatible one requires renewal, refuses a resume and lets a new
// consent supersede the old one in one step; retiring requires renewal and
// refuses new consents.
func testConsentRenewal(t *testing.T, s *store.Store) {
	e := newConsentEnv(t, s)
	p := e.publish(t)
	r := e.adult(t)
	c := e.give(t, r, p)

	p = e.newVersion(t, p, true)
	got := must[*omadata.Consent](t)(s.FindConsentByID(AsResident(r.ID), c.ID))
	if got.Status != omadata.ConsentGiven || got.RenewalRequired {
		t.Fatalf("after a compatible version: got %s, renewal %v; want given without renewal", got.Status, got.RenewalRequired)
	}
	_, err := s.GiveConsent(AsResident(r.ID), input(p))
	wantField(t, err, omadata.ECONFLICT, "processing_id")

	p = e.newVersion(t, p, false)
	got = must[*omadata.Consent](t)(s.FindConsentByID(AsResident(r.ID), c.ID))
	if !got.RenewalRequired {
		t.Fatal("after an incompatible version: renewal not required")
	}
	list, _ := must2(t)(s.FindConsents(AsResident(r.ID), omadata.ConsentFilter{ProcessingID: &p.ID}))
	if len(list) != 1 || !list[0].RenewalRequired {
		t.Fatalf("the list says %+v, want one consent requiring renewal", list)
	}
	suspended := e.change(t, AsResident(r.ID), c.ID, omadata.ConsentSuspended, "")
	if !suspended.RenewalRequired {
		t.Fatal("a suspended consent on a replaced version does not require renewal")
	}
	_, err = s.ChangeConsent(AsResident(r.ID), c.ID, omadata.ConsentGiven, "")
	wantField(t, err, omadata.ECONFLICT, "version")
	old := input(p)
	old.Version = 2
	_, err = s.GiveConsent(AsResident(r.ID), old)
	wantField(t, err, omadata.ECONFLICT, "version")

	renewed := e.give(t, r, p)
	if renewed.ID == c.ID || renewed.Version != 3 || renewed.RenewalRequired {
		t.Fatalf("got %s on version %d (renewal %v), want a new consent on version 3", renewed.ID, renewed.Version, renewed.RenewalRequired)
	}
	prev := must[*omadata.Consent](t)(s.FindConsentByID(Admin(), c.ID))
	last := prev.Records[len(prev.Records)-1]
	if prev.Status != omadata.ConsentRevoked || last.ActorKind != omadata.ActorSystem || last.ActorRole != omadata.ActorSystem ||
		last.Reason != "superseded by "+renewed.ID || !last.CreatedAt.Equal(renewed.CreatedAt) {
		t.Fatalf("got the old consent %s with last record %+v, want revoked by the system, superseded by %s at once", prev.Status, last, renewed.ID)
	}
	ok(t, omadata.VerifyConsentChain(prev.ResidentID, prev.Records))
	wantLastEvent(t, s, c.ID, omadata.EventConsentRevoked)

	must[*omadata.Processing](t)(s.RetireProcessing(Admin(), p.ID))
	got = must[*omadata.Consent](t)(s.FindConsentByID(AsResident(r.ID), renewed.ID))
	if !got.RenewalRequired {
		t.Fatal("a consent on a retired processing does not require renewal")
	}
	_, err = s.GiveConsent(AsResident(e.adult(t).ID), input(p))
	wantField(t, err, omadata.ECONFLICT, "processing_id")
	// Withdrawal stays possible whatever happened to the processing.
	if w := e.change(t, AsResident(r.ID), renewed.ID, omadata.ConsentWithdrawn, ""); w.Status != omadata.ConsentWithdrawn || w.RenewalRequired {
		t.Fatalf("got %s (renewal %v), want withdrawn without renewal", w.Status, w.RenewalRequired)
	}
}

// countRows counts rows of a table.
func countRows(t *testing.T, s *store.Store, table string) string {
	t.Helper()
	return must[[][]string](t)(s.DB().QueryStrings(context.Background(), `SELECT COUNT(*) FROM `+table))[0][0]
}

// testConsentGiveRules: bad input and unauthorised callers get a precise
// error and change nothing; the defaults and limits of the window hold.
func testConsentGiveRules(t *testing.T, s *store.Store) {
	e := newConsentEnv(t, s)
	p := e.n.Processing
	r, stranger := e.adult(t), e.adult(t)
	draft := must[*omadata.Processing](t)(s.CreateProcessing(Admin(), NewDraft(e.n.Sink.ID, "draft-only", e.n.Recommendations.ID, e.n.Loans.ID)))
	day := 24 * time.Hour
	at := func(d time.Duration) *time.Time { x := consentNow.Add(d); return &x }

	cases := []struct {
		name   string
		ctx    context.Context
		edit   func(*omadata.ConsentInput)
		refuse bool
		code   string
		field  string
	}{
		{"bad processing ID", AsResident(r.ID), func(in *omadata.ConsentInput) { in.ProcessingID = "proc_x" }, false, omadata.EINVALID, "processing_id"},
		{"unknown processing", AsResident(r.ID), func(in *omadata.ConsentInput) { in.ProcessingID = omadata.NewID(omadata.PrefixProcessing) }, false, omadata.ENOTFOUND, ""},
		{"draft processing", AsResident(r.ID), func(in *omadata.ConsentInput) { in.ProcessingID = draft.ID }, false, omadata.ENOTFOUND, ""},
		{"no version", AsResident(r.ID), func(in *omadata.ConsentInput) { in.Version = 0 }, false, omadata.EINVALID, "version"},
		{"future version", AsResident(r.ID), func(in *omadata.ConsentInput) { in.Version = 2 }, false, omadata.ECONFLICT, "version"},
		{"unknown language", AsResident(r.ID), func(in *omadata.ConsentInput) { in.Language = "de" }, false, omadata.EINVALID, "language"},
		{"notice changed", AsResident(r.ID), func(in *omadata.ConsentInput) { in.NoticeSHA256 = omadata.NoticeHash("Other", "text") }, false, omadata.ECONFLICT, "notice_sha256"},
		{"notice hash malformed", AsResident(r.ID), func(in *omadata.ConsentInput) { in.NoticeSHA256 = "ABC" }, false, omadata.EINVALID, "notice_sha256"},
		{"notice of another language", AsResident(r.ID), func(in *omadata.ConsentInput) { in.Language = "sv" }, false, omadata.ECONFLICT, "notice_sha256"},
		{"source holding nothing", AsResident(r.ID), func(in *omadata.ConsentInput) { in.SourceIDs = []string{e.n.Sink.ID} }, false, omadata.EINVALID, "source_ids"},
		{"source not an ID", AsResident(r.ID), func(in *omadata.ConsentInput) { in.SourceIDs = []string{"library"} }, false, omadata.EINVALID, "source_ids"},
		{"source twice", AsResident(r.ID), func(in *omadata.ConsentInput) { in.SourceIDs = []string{e.n.Source.ID, e.n.Source.ID} }, false, omadata.EINVALID, "source_ids"},
		{"window in the past", AsResident(r.ID), func(in *omadata.ConsentInput) { in.ValidUntil = at(-day) }, false, omadata.EINVALID, "valid_until"},
		{"window ending now", AsResident(r.ID), func(in *omadata.ConsentInput) { in.ValidUntil = at(0) }, false, omadata.EINVALID, "valid_until"},
		{"window over five years", AsResident(r.ID), func(in *omadata.ConsentInput) { in.ValidUntil = at(5*366*day + day) }, false, omadata.EINVALID, "valid_until"},
		{"refusal with a window", AsResident(r.ID), func(in *omadata.ConsentInput) { in.ValidUntil = at(day) }, true, omadata.EINVALID, "valid_until"},
		{"resident on paper", AsResident(r.ID), func(in *omadata.ConsentInput) { in.CollectionMethod = omadata.CollectedPaper }, false, omadata.EINVALID, "collection_method"},
		{"resident with evidence", AsResident(r.ID), func(in *omadata.ConsentInput) { in.Evidence = "HEL 1" }, false, omadata.EINVALID, "evidence"},
		{"unknown method", AsResident(r.ID), func(in *omadata.ConsentInput) { in.CollectionMethod = "fax" }, false, omadata.EINVALID, "collection_method"},
		{"on behalf of a stranger", AsResident(r.ID), func(in *omadata.ConsentInput) { in.OnBehalfOf = stranger.ID }, false, omadata.ENOTFOUND, ""},
		{"admin for nobody", Admin(), func(in *omadata.ConsentInput) { in.Evidence = "HEL 1" }, false, omadata.EINVALID, "on_behalf_of"},
		{"admin without evidence", Admin(), func(in *omadata.ConsentInput) { in.OnBehalfOf = r.ID }, false, omadata.EINVALID, "evidence"},
		{"admin by portal", Admin(), func(in *omadata.ConsentInput) {
			in.OnBehalfOf, in.Evidence, in.CollectionMethod = r.ID, "HEL 1", omadata.CollectedPortal
		}, false, omadata.EINVALID, "collection_method"},
		{"admin with an identity code as evidence", Admin(), func(in *omadata.ConsentInput) { in.OnBehalfOf, in.Evidence = r.ID, "form of "+AdultCode }, false, omadata.EINVALID, "evidence"},
		{"admin for an unknown resident", Admin(), func(in *omadata.ConsentInput) { in.OnBehalfOf, in.Evidence = "res_01jq8m2k3n4p5q6r7s8t9v0w1x", "HEL 1" }, false, omadata.ENOTFOUND, ""},
		{"a service", As(e.n.Sink.ID), func(in *omadata.ConsentInput) {}, false, omadata.EFORBIDDEN, ""},
		{"anonymous", Public(), func(in *omadata.ConsentInput) {}, false, omadata.EFORBIDDEN, ""},
	}
	before := []string{countRows(t, s, "consents"), countRows(t, s, "consent_records"), countRows(t, s, "outbox")}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := input(p)
			tc.edit(in)
			decide := s.GiveConsent
			if tc.refuse {
				decide = s.RefuseConsent
			}
			_, err := decide(tc.ctx, in)
			wantField(t, err, tc.code, tc.field)
			after := []string{countRows(t, s, "consents"), countRows(t, s, "consent_records"), countRows(t, s, "outbox")}
			if !slices.Equal(after, before) {
				t.Fatalf("refused input changed the counts of consents, records and events: got %v, want %v", after, before)
			}
		})
	}

	c := e.give(t, r, p)
	if c.ValidFrom == nil || !c.ValidFrom.Equal(consentNow) || c.ValidUntil == nil || !c.ValidUntil.Equal(consentNow.AddDate(2, 0, 0)) {
		t.Fatalf("got window %v to %v, want now to two years on", c.ValidFrom, c.ValidUntil)
	}
	if c.Records[0].CollectionMethod != omadata.CollectedPortal || c.Records[0].NoticeLanguage != "fi" || c.Records[0].NoticeSHA256 != input(p).NoticeSHA256 {
		t.Fatalf("got record %+v, want the Finnish notice, collected by portal", c.Records[0])
	}
	in := input(p)
	in.Language, in.NoticeSHA256, in.SourceIDs, in.ValidUntil = "sv", "", []string{e.n.Source.ID}, at(5*365*day)
	in.OnBehalfOf, in.Evidence = stranger.ID, "HEL 2026-77"
	paper := must[*omadata.Consent](t)(s.GiveConsent(Admin(), in))
	rec := paper.Records[0]
	if paper.ResidentID != stranger.ID || rec.ActorKind != "admin" || rec.ActorRole != omadata.ActorOfficial ||
		rec.CollectionMethod != omadata.CollectedPaper || rec.Reason != "archive reference: HEL 2026-77" || rec.NoticeLanguage != "sv" ||
		!slices.Equal(paper.SourceIDs, []string{e.n.Source.ID}) || !paper.ValidUntil.Equal(*in.ValidUntil) {
		t.Fatalf("got paper consent %+v with record %+v", paper, rec)
	}
}

// testConsentConcurrent: of concurrent gives by one resident on one
// processing exactly one succeeds; of concurrent withdrawals of one consent
// exactly one is recorded. The others are ECONFLICT and leave no trace.
func testConsentConcurrent(t *testing.T, s *store.Store) {
	e := newConsentEnv(t, s)
	r := e.adult(t)
	const n = 6
	run := func(f func() error) []error {
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { errs[i] = f() })
		}
		wg.Wait()
		return errs
	}
	check := func(what, field string, errs []error) {
		t.Helper()
		okays := 0
		for _, err := range errs {
			if err == nil {
				okays++
			} else if omadata.ErrorCode(err) != omadata.ECONFLICT || omadata.ErrorField(err) != field {
				t.Fatalf("%s: got %v, want ECONFLICT on %s", what, err, field)
			}
		}
		if okays != 1 {
			t.Fatalf("%s: %d calls succeeded, want 1", what, okays)
		}
	}
	check("give", "processing_id", run(func() error {
		_, err := s.GiveConsent(AsResident(r.ID), input(e.n.Processing))
		return err
	}))
	list, _ := must2(t)(s.FindConsents(AsResident(r.ID), omadata.ConsentFilter{}))
	if len(list) != 1 {
		t.Fatalf("got %d consents, want 1", len(list))
	}
	check("withdraw", "status", run(func() error {
		_, err := s.ChangeConsent(AsResident(r.ID), list[0].ID, omadata.ConsentWithdrawn, "")
		return err
	}))
	c := must[*omadata.Consent](t)(s.FindConsentByID(Admin(), list[0].ID))
	if c.Status != omadata.ConsentWithdrawn || len(c.Records) != 2 {
		t.Fatalf("got %s with %d records, want withdrawn with 2", c.Status, len(c.Records))
	}
	ok(t, omadata.VerifyConsentChain(c.ResidentID, c.Records))
}
