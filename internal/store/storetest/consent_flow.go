// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
)

// testConsentRequest: a sink asks by its pseudonym; the resident answers
// on the same consent; an unanswered request expires after 30 days, with or
// without the expiry job having run.
func testConsentRequest(t *testing.T, s *store.Store) {
	e := newConsentEnv(t, s)
	p := e.n.Processing
	r := e.adult(t)
	req := e.request(t, r, p)
	sinkPsn := must[string](t)(s.Pseudonym(Admin(), e.n.Sink.ID, r.ID))
	if req.Status != omadata.ConsentRequested || req.ResidentID != "" || req.Pseudonym != sinkPsn ||
		req.ValidUntil == nil || !req.ValidUntil.Equal(consentNow.Add(omadata.ConsentRequestTTL)) {
		t.Fatalf("got request %+v, want requested, named by the sink's pseudonym, for 30 days", req)
	}
	if rec := req.Records[0]; rec.ActorKind != "service" || rec.ActorID != e.n.Sink.ID || rec.ActorRole != omadata.ActorSink || rec.CollectionMethod != omadata.CollectedAPI {
		t.Fatalf("got request record %+v", rec)
	}
	mine, _ := must2(t)(s.FindConsents(AsResident(r.ID), omadata.ConsentFilter{Status: ptr(omadata.ConsentRequested)}))
	if len(mine) != 1 || mine[0].ID != req.ID || mine[0].Message["en"] != "May we recommend books?" || mine[0].ResidentID != r.ID {
		t.Fatalf("the resident lists %+v, want the request with its message", mine)
	}

	otherSink := CreateService(t, s, e.n.Company.ID, true, omadata.RoleSink)
	sourcePsn := must[string](t)(s.Pseudonym(Admin(), e.n.Source.ID, r.ID))
	r2 := e.adult(t)
	psn2 := must[string](t)(s.Pseudonym(Admin(), e.n.Sink.ID, r2.ID))
	noScope := omadata.NewContextWithCaller(context.Background(), omadata.Caller{Kind: omadata.CallerService, ServiceID: e.n.Sink.ID, Scopes: []string{omadata.ScopeCatalogueWrite}})
	for _, tc := range []struct {
		name  string
		ctx   context.Context
		in    omadata.ConsentRequestInput
		code  string
		field string
	}{
		{"again while pending", As(e.n.Sink.ID), omadata.ConsentRequestInput{ProcessingID: p.ID, Pseudonym: sinkPsn}, omadata.ECONFLICT, "processing_id"},
		{"another sink's processing", As(otherSink.ID), omadata.ConsentRequestInput{ProcessingID: p.ID, Pseudonym: psn2}, omadata.ENOTFOUND, ""},
		{"a source's pseudonym", As(e.n.Sink.ID), omadata.ConsentRequestInput{ProcessingID: p.ID, Pseudonym: sourcePsn}, omadata.ENOTFOUND, ""},
		{"no pseudonym", As(e.n.Sink.ID), omadata.ConsentRequestInput{ProcessingID: p.ID}, omadata.EINVALID, "pseudonym"},
		{"bad processing", As(e.n.Sink.ID), omadata.ConsentRequestInput{ProcessingID: "x", Pseudonym: psn2}, omadata.EINVALID, "processing_id"},
		{"bad message language", As(e.n.Sink.ID), omadata.ConsentRequestInput{ProcessingID: p.ID, Pseudonym: psn2, Message: omadata.Text{"de": "Hallo"}}, omadata.EINVALID, "message.de"},
		{"source holding nothing", As(e.n.Sink.ID), omadata.ConsentRequestInput{ProcessingID: p.ID, Pseudonym: psn2, SourceIDs: []string{otherSink.ID}}, omadata.EINVALID, "source_ids"},
		{"without the consents scope", noScope, omadata.ConsentRequestInput{ProcessingID: p.ID, Pseudonym: psn2}, omadata.EFORBIDDEN, ""},
		{"a resident", AsResident(r2.ID), omadata.ConsentRequestInput{ProcessingID: p.ID, Pseudonym: psn2}, omadata.EFORBIDDEN, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := countRows(t, s, "consent_records")
			_, err := s.RequestConsent(tc.ctx, &tc.in)
			wantField(t, err, tc.code, tc.field)
			if after := countRows(t, s, "consent_records"); after != before {
				t.Fatalf("got %s records, want %s", after, before)
			}
		})
	}

	in := input(p)
	in.Language, in.NoticeSHA256 = "en", ""
	answer := must[*omadata.Consent](t)(s.GiveConsent(AsResident(r.ID), in))
	if answer.ID != req.ID || answer.Status != omadata.ConsentGiven || len(answer.Records) != 2 || answer.Records[1].NoticeLanguage != "en" ||
		!answer.ValidUntil.Equal(consentNow.AddDate(2, 0, 0)) {
		t.Fatalf("got answer %+v, want the request given, with the English notice and a two-year window", answer)
	}
	ok(t, omadata.VerifyConsentChain(r.ID, answer.Records))
	wantLastEvent(t, s, req.ID, omadata.EventConsentGiven)

	refusing := e.adult(t)
	req2 := e.request(t, refusing, p)
	refused := must[*omadata.Consent](t)(s.RefuseConsent(AsResident(refusing.ID), input(p)))
	if refused.ID != req2.ID || refused.Status != omadata.ConsentRefused || refused.ValidUntil != nil {
		t.Fatalf("got %+v, want the request refused, without a window", refused)
	}

	// 31 days on, the expiry job moves the first stale request; a resident
	// answering the second one before the job runs gets a new consent.
	late1, late2 := e.adult(t), e.adult(t)
	stale1, stale2 := e.request(t, late1, p), e.request(t, late2, p)
	e.at(consentNow.Add(omadata.ConsentRequestTTL + 24*time.Hour))
	late := must[*omadata.Consent](t)(s.GiveConsent(AsResident(late2.ID), input(p)))
	if late.ID == stale2.ID {
		t.Fatal("a stale request was answered instead of expiring")
	}
	if got := must[*omadata.Consent](t)(s.FindConsentByID(Admin(), stale2.ID)); got.Status != omadata.ConsentExpired {
		t.Fatalf("got the stale request %s, want expired", got.Status)
	}
	if n := must[int](t)(s.ExpireConsents(Admin())); n != 1 {
		t.Fatalf("expired %d consents, want 1", n)
	}
	got := must[*omadata.Consent](t)(s.FindConsentByID(Admin(), stale1.ID))
	last := got.Records[len(got.Records)-1]
	if got.Status != omadata.ConsentExpired || last.ActorKind != omadata.ActorSystem || last.CollectionMethod != omadata.CollectedSystem {
		t.Fatalf("got %s with last record %+v, want expired by the system", got.Status, last)
	}
	wantLastEvent(t, s, stale1.ID, omadata.EventConsentExpired)
	e.at(consentNow)
}

func ptr[T any](v T) *T { return &v }

// testConsentVisibility: residents see their own, a sink those on its
// processings and a source those that cover it, both under their own
// pseudonym; everyone else gets not found, exactly as for a missing one.
func testConsentVisibility(t *testing.T, s *store.Store) {
	e := newConsentEnv(t, s)
	source2 := CreateService(t, s, e.n.City.ID, true, omadata.RoleSource)
	books := CreateDataGroup(t, s, source2.ID, "book-reviews", false)
	p := e.publish(t, e.n.Loans.ID, books.ID)
	r, other := e.adult(t), e.adult(t)
	c := e.give(t, r, p)
	in := input(p)
	in.SourceIDs = []string{source2.ID}
	limited := must[*omadata.Consent](t)(s.GiveConsent(AsResident(other.ID), in))
	otherSink := CreateService(t, s, e.n.Company.ID, true, omadata.RoleSink)
	noScope := omadata.NewContextWithCaller(context.Background(), omadata.Caller{Kind: omadata.CallerService, ServiceID: e.n.Sink.ID, Scopes: []string{omadata.ScopeCatalogueRead}})

	for _, tc := range []struct {
		name      string
		ctx       context.Context
		sees      []string // of c, limited
		pseudonym string   // service: its pseudonym of r
		receipts  bool
	}{
		{"the resident", AsResident(r.ID), []string{c.ID}, "", true},
		{"another resident", AsResident(other.ID), []string{limited.ID}, "", true},
		{"an admin", Admin(), []string{c.ID, limited.ID}, "", true},
		{"the sink", As(e.n.Sink.ID), []string{c.ID, limited.ID}, must[string](t)(s.Pseudonym(Admin(), e.n.Sink.ID, r.ID)), true},
		{"a source not covered by the limited one", As(e.n.Source.ID), []string{c.ID}, must[string](t)(s.Pseudonym(Admin(), e.n.Source.ID, r.ID)), false},
		{"the covered source", As(source2.ID), []string{c.ID, limited.ID}, must[string](t)(s.Pseudonym(Admin(), source2.ID, r.ID)), false},
		{"another sink", As(otherSink.ID), nil, "", false},
		{"the sink without the consents scope", noScope, nil, "", false},
		{"anonymous", Public(), nil, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, id := range []string{c.ID, limited.ID} {
				got, err := s.FindConsentByID(tc.ctx, id)
				if !slices.Contains(tc.sees, id) {
					wantCode(t, err, omadata.ENOTFOUND)
					continue
				}
				ok(t, err)
				service := omadata.CallerFromContext(tc.ctx).Kind == omadata.CallerService
				if service && (got.ResidentID != "" || got.Pseudonym == "" || got.Records[0].ActorID != "") {
					t.Fatalf("a service sees resident %q, pseudonym %q, actor %q; want only its pseudonym", got.ResidentID, got.Pseudonym, got.Records[0].ActorID)
				} else if !service && (got.ResidentID == "" || got.Pseudonym != "") {
					t.Fatalf("got resident %q and pseudonym %q, want the resident ID only", got.ResidentID, got.Pseudonym)
				}
				if id == c.ID && got.Pseudonym != tc.pseudonym {
					t.Fatalf("got pseudonym %q, want %q", got.Pseudonym, tc.pseudonym)
				}
				if (got.Records[0].Receipt != "") != tc.receipts {
					t.Fatalf("got receipt %v, want %v", got.Records[0].Receipt != "", tc.receipts)
				}
			}
			list, _ := must2(t)(s.FindConsents(tc.ctx, omadata.ConsentFilter{}))
			ids := []string{}
			for _, x := range list {
				ids = append(ids, x.ID)
				if x.Records != nil {
					t.Fatal("the list carries records")
				}
			}
			want := append([]string{}, tc.sees...)
			slices.Sort(ids)
			slices.Sort(want)
			if !slices.Equal(ids, want) {
				t.Fatalf("got list %v, want %v", ids, tc.sees)
			}
		})
	}
	_, _, err := s.FindConsents(As(e.n.Sink.ID), omadata.ConsentFilter{ResidentID: &r.ID})
	wantField(t, err, omadata.EINVALID, "resident_id")
	_, _, err = s.FindConsents(Admin(), omadata.ConsentFilter{Status: ptr("gone")})
	wantField(t, err, omadata.EINVALID, "status")
	_, err = s.FindConsentByID(Admin(), "cns_nope")
	wantCode(t, err, omadata.ENOTFOUND)
	page1, next := must2(t)(s.FindConsents(Admin(), omadata.ConsentFilter{Limit: 1}))
	page2, last := must2(t)(s.FindConsents(Admin(), omadata.ConsentFilter{Limit: 1, After: next}))
	if len(page1) != 1 || len(page2) != 1 || page1[0].ID == page2[0].ID || last != "" {
		t.Fatalf("got pages %d and %d with cursors %q, %q", len(page1), len(page2), next, last)
	}
}

// testConsentEvents: every change tells the sink and each covered source,
// each with its own pseudonym, in the change's transaction.
func testConsentEvents(t *testing.T, s *store.Store) {
	e := newConsentEnv(t, s)
	source2 := CreateService(t, s, e.n.City.ID, true, omadata.RoleSource)
	books := CreateDataGroup(t, s, source2.ID, "book-reviews", false)
	p := e.publish(t, e.n.Loans.ID, books.ID)
	r := e.adult(t)
	c := e.give(t, r, p)
	e.change(t, AsResident(r.ID), c.ID, omadata.ConsentSuspended, "")
	c = e.change(t, AsResident(r.ID), c.ID, omadata.ConsentGiven, "")

	type event struct {
		Type string `json:"type"`
		Data struct {
			ConsentID    string `json:"consent_id"`
			Pseudonym    string `json:"pseudonym"`
			ProcessingID string `json:"processing_id"`
			Version      int    `json:"version"`
			Status       string `json:"status"`
			RecordHash   string `json:"record_hash"`
		} `json:"data"`
	}
	rows := must[[][]string](t)(s.DB().QueryStrings(context.Background(), `SELECT service_id, type, payload FROM outbox`))
	got := map[string][]string{}
	seq := map[string][]int{}
	for _, row := range rows {
		var ev event
		ok(t, json.Unmarshal([]byte(row[2]), &ev))
		if ev.Type != "fi.omadata."+row[1] || ev.Data.ConsentID != c.ID || ev.Data.ProcessingID != p.ID || ev.Data.Version != 1 {
			t.Fatalf("got event %+v in row %v", ev, row[:2])
		}
		want := must[string](t)(s.Pseudonym(Admin(), row[0], r.ID))
		if ev.Data.Pseudonym != want {
			t.Fatalf("%s got pseudonym %s, want its own %s", row[0], ev.Data.Pseudonym, want)
		}
		i := slices.IndexFunc(c.Records, func(rec *omadata.ConsentRecord) bool { return rec.Hash == ev.Data.RecordHash })
		if i < 0 || c.Records[i].Status != ev.Data.Status {
			t.Fatalf("event %s names no record of the consent", row[1])
		}
		got[row[0]] = append(got[row[0]], row[1])
		seq[row[0]] = append(seq[row[0]], c.Records[i].Seq)
	}
	for svc := range got { // in record order: one clock, so times tie
		order := make([]string, len(c.Records))
		if len(seq[svc]) != len(order) {
			t.Fatalf("%s got events %v, want one per record", svc, got[svc])
		}
		for i, n := range seq[svc] {
			order[n-1] = got[svc][i]
		}
		got[svc] = order
	}
	want := []string{omadata.EventConsentGiven, omadata.EventConsentSuspended, omadata.EventConsentResumed}
	for _, svc := range []string{e.n.Sink.ID, e.n.Source.ID, source2.ID} {
		if !slices.Equal(got[svc], want) {
			t.Fatalf("%s got events %v, want %v", svc, got[svc], want)
		}
	}

	// A consent limited to one source tells only that source and the sink.
	r2 := e.adult(t)
	in := input(p)
	in.SourceIDs = []string{source2.ID}
	c2 := must[*omadata.Consent](t)(s.GiveConsent(AsResident(r2.ID), in))
	to := must[[][]string](t)(s.DB().QueryStrings(context.Background(), `SELECT service_id FROM outbox WHERE payload LIKE ? ORDER BY service_id`, `%`+c2.ID+`%`))
	var services []string
	for _, row := range to {
		services = append(services, row[0])
	}
	wantSvc := []string{e.n.Sink.ID, source2.ID}
	slices.Sort(wantSvc)
	if !slices.Equal(services, wantSvc) {
		t.Fatalf("got events to %v, want %v", services, wantSvc)
	}
}

// testConsentExpire: the expiry job moves every live consent whose window
// has passed, once, with a record and an event; only the operator runs it.
func testConsentExpire(t *testing.T, s *store.Store) {
	e := newConsentEnv(t, s)
	p := e.n.Processing
	var short []string
	for range 3 {
		c, _ := e.consentIn(t, p, "given, ending in an hour")
		short = append(short, c.ID)
	}
	s2, _ := e.consentIn(t, p, "suspended, ending in an hour")
	short = append(short, s2.ID)
	long, _ := e.consentIn(t, p, omadata.ConsentGiven)

	_, err := s.ExpireConsents(As(e.n.Sink.ID))
	wantCode(t, err, omadata.EFORBIDDEN)
	if n := must[int](t)(s.ExpireConsents(Admin())); n != 0 {
		t.Fatalf("expired %d consents before their time, want 0", n)
	}
	if n := e.expireAt(t, consentNow.Add(time.Hour)); n != 4 {
		t.Fatalf("expired %d consents at the end of their window, want 4", n)
	}
	if n := e.expireAt(t, consentNow.Add(2*time.Hour)); n != 0 {
		t.Fatalf("expired %d consents twice, want 0", n)
	}
	for _, id := range short {
		c := must[*omadata.Consent](t)(s.FindConsentByID(Admin(), id))
		last := c.Records[len(c.Records)-1]
		if c.Status != omadata.ConsentExpired || last.Status != omadata.ConsentExpired || last.ActorRole != omadata.ActorSystem || last.Receipt == "" {
			t.Fatalf("got %s with last record %+v, want expired by the system with a receipt", c.Status, last)
		}
		ok(t, omadata.VerifyConsentChain(c.ResidentID, c.Records))
		wantLastEvent(t, s, id, omadata.EventConsentExpired)
	}
	if c := must[*omadata.Consent](t)(s.FindConsentByID(Admin(), long.ID)); c.Status != omadata.ConsentGiven {
		t.Fatalf("got the two-year consent %s, want given", c.Status)
	}
}

// testConsentNoIdentityCode drives every kind of change, including a
// guardian's and a paper consent, then scans the outbox, the records and
// the decoded receipts for identity codes, birth dates and resident IDs.
func testConsentNoIdentityCode(t *testing.T, s *store.Store) {
	e := newConsentEnv(t, s)
	p := e.n.Processing
	must[*omadata.Representation](t)(s.CreateRepresentation(Admin(), &omadata.RepresentationInput{
		Kind: omadata.RepGuardian, RepresentativeIdentityCode: AdultCode, PrincipalIdentityCode: ChildBornOn(time.Date(2015, 3, 4, 0, 0, 0, 0, time.UTC)), Basis: "population register",
	}))
	guardian := CreateResident(t, s, AdultCode)
	child := CreateResident(t, s, ChildBornOn(time.Date(2015, 3, 4, 0, 0, 0, 0, time.UTC)))
	adult2 := CreateResident(t, s, AdultCode2)

	in := input(p)
	in.OnBehalfOf = child.ID
	c1 := must[*omadata.Consent](t)(s.GiveConsent(AsResident(guardian.ID), in))
	e.change(t, AsResident(guardian.ID), c1.ID, omadata.ConsentSuspended, "")
	e.change(t, Admin(), c1.ID, omadata.ConsentRevoked, "guardianship ended")
	in = input(p)
	in.OnBehalfOf, in.Evidence = adult2.ID, "HEL 2026-5"
	c2 := must[*omadata.Consent](t)(s.GiveConsent(Admin(), in))
	e.change(t, Admin(), c2.ID, omadata.ConsentWithdrawn, "HEL 2026-6")
	e.request(t, guardian, p)
	must[string](t)(s.ExportReceipt(Admin(), c2.ID, 1, omadata.ReceiptKantara))

	codes := append([]string{AdultCode, AdultCode2, ChildBornOn(time.Date(2015, 3, 4, 0, 0, 0, 0, time.UTC))}, e.codes...)
	// The birth-date part of a code counts when it stands alone, not
	// inside a longer token such as a hash.
	var forbidden []*regexp.Regexp
	for _, code := range codes {
		born := must[time.Time](t)(omadata.ParseIdentityCode(code))
		forbidden = append(forbidden, regexp.MustCompile(regexp.QuoteMeta(code)), regexp.MustCompile(born.Format(time.DateOnly)),
			regexp.MustCompile(`(^|[^0-9A-Za-z])`+code[:6]+`($|[^0-9A-Za-z])`))
	}
	var texts []string
	for _, row := range must[[][]string](t)(s.DB().QueryStrings(context.Background(), `SELECT payload FROM outbox`)) {
		texts = append(texts, row[0])
		for _, id := range []string{guardian.ID, child.ID, adult2.ID} {
			if strings.Contains(row[0], id) {
				t.Fatalf("an event names the resident ID %s: %s", id, row[0])
			}
		}
	}
	for _, row := range must[[][]string](t)(s.DB().QueryStrings(context.Background(), `SELECT * FROM consent_records`)) {
		texts = append(texts, strings.Join(row, " "))
	}
	for _, row := range must[[][]string](t)(s.DB().QueryStrings(context.Background(), `SELECT receipt FROM consent_records`)) {
		_, pl := receiptPayload(t, s, row[0])
		text := mustJSON(t, pl)
		for _, id := range []string{guardian.ID, child.ID, adult2.ID} {
			if strings.Contains(text, id) {
				t.Fatalf("a receipt names the resident ID %s", id)
			}
		}
		texts = append(texts, text)
	}
	if len(texts) < 10 {
		t.Fatalf("scanned only %d texts", len(texts))
	}
	for _, text := range texts {
		for _, f := range forbidden {
			if f.MatchString(text) {
				t.Fatalf("found %s (an identity code or birth date) in %s", f, text)
			}
		}
	}
}
