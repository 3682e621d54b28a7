// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
)

// consentNow is the fixed clock of the consent tests.
var consentNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// consentEnv is a network with a fixed clock, handing out fresh residents
// and processings.
type consentEnv struct {
	s         *store.Store
	n         *Network
	residents int
	codes     []string // identity codes of every resident made
	procs     int
}

func newConsentEnv(t *testing.T, s *store.Store) *consentEnv {
	t.Helper()
	fixedClock(s, consentNow)
	return &consentEnv{s: s, n: CreateNetwork(t, s)}
}

// at sets the store's clock.
func (e *consentEnv) at(t time.Time) { fixedClock(e.s, t) }

// adult returns a new adult resident.
func (e *consentEnv) adult(t *testing.T) *omadata.Resident {
	t.Helper()
	e.residents++
	code := ChildBornOn(time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, e.residents))
	e.codes = append(e.codes, code)
	return CreateResident(t, e.s, code)
}

// publish creates a processing of the network's sink on groups (default:
// library loans) and publishes version 1.
func (e *consentEnv) publish(t *testing.T, groups ...string) *omadata.Processing {
	t.Helper()
	if len(groups) == 0 {
		groups = []string{e.n.Loans.ID}
	}
	e.procs++
	p := must[*omadata.Processing](t)(e.s.CreateProcessing(Admin(), NewDraft(e.n.Sink.ID, fmt.Sprintf("consent-test-%d", e.procs), e.n.Recommendations.ID, groups...)))
	PutNotices(t, e.s, p.ID, 1)
	must[*omadata.ProcessingVersion](t)(e.s.PublishVersion(Admin(), p.ID, 1))
	return e.reload(t, p)
}

// newVersion publishes the next version of p, compatible or not.
func (e *consentEnv) newVersion(t *testing.T, p *omadata.Processing, compatible bool) *omadata.Processing {
	t.Helper()
	v := must[*omadata.ProcessingVersion](t)(e.s.CreateVersion(Admin(), p.ID, compatible))
	PutNotices(t, e.s, p.ID, v.Version)
	must[*omadata.ProcessingVersion](t)(e.s.PublishVersion(Admin(), p.ID, v.Version))
	return e.reload(t, p)
}

func (e *consentEnv) reload(t *testing.T, p *omadata.Processing) *omadata.Processing {
	t.Helper()
	return must[*omadata.Processing](t)(e.s.FindProcessingByID(Admin(), p.ID))
}

// input gives consent on p's current version as shown in Finnish.
func input(p *omadata.Processing) *omadata.ConsentInput {
	cur := p.Current()
	in := &omadata.ConsentInput{ProcessingID: p.ID, Version: cur.Version, Language: "fi"}
	for _, n := range cur.Notices {
		if n.Language == "fi" {
			in.NoticeSHA256 = n.SHA256
		}
	}
	return in
}

// give records r's consent on p.
func (e *consentEnv) give(t *testing.T, r *omadata.Resident, p *omadata.Processing) *omadata.Consent {
	t.Helper()
	return must[*omadata.Consent](t)(e.s.GiveConsent(AsResident(r.ID), input(p)))
}

// request makes the network's sink ask r to consent to p.
func (e *consentEnv) request(t *testing.T, r *omadata.Resident, p *omadata.Processing) *omadata.Consent {
	t.Helper()
	psn := must[string](t)(e.s.Pseudonym(Admin(), e.n.Sink.ID, r.ID))
	return must[*omadata.Consent](t)(e.s.RequestConsent(As(e.n.Sink.ID), &omadata.ConsentRequestInput{
		ProcessingID: p.ID, Pseudonym: psn, Message: omadata.Text{"fi": "Saisimmeko suositella kirjoja?", "en": "May we recommend books?"},
	}))
}

// change moves a consent as ctx's caller and fails the test on error.
func (e *consentEnv) change(t *testing.T, ctx context.Context, id, status, reason string) *omadata.Consent {
	t.Helper()
	return must[*omadata.Consent](t)(e.s.ChangeConsent(ctx, id, status, reason))
}

// expireAt runs ExpireConsents with the clock at t, then puts it back.
func (e *consentEnv) expireAt(t *testing.T, at time.Time) int {
	t.Helper()
	e.at(at)
	defer e.at(consentNow)
	return must[int](t)(e.s.ExpireConsents(Admin()))
}

// consentIn returns a consent of a new resident on p in status.
func (e *consentEnv) consentIn(t *testing.T, p *omadata.Processing, status string) (*omadata.Consent, *omadata.Resident) {
	t.Helper()
	r := e.adult(t)
	short := func() *omadata.Consent {
		in := input(p)
		until := consentNow.Add(time.Hour)
		in.ValidUntil = &until
		return must[*omadata.Consent](t)(e.s.GiveConsent(AsResident(r.ID), in))
	}
	var c *omadata.Consent
	switch status {
	case omadata.ConsentRequested:
		c = e.request(t, r, p)
	case omadata.ConsentGiven:
		c = e.give(t, r, p)
	case omadata.ConsentRefused:
		c = must[*omadata.Consent](t)(e.s.RefuseConsent(AsResident(r.ID), input(p)))
	case omadata.ConsentSuspended:
		c = e.change(t, AsResident(r.ID), e.give(t, r, p).ID, omadata.ConsentSuspended, "")
	case omadata.ConsentWithdrawn:
		c = e.change(t, AsResident(r.ID), e.give(t, r, p).ID, omadata.ConsentWithdrawn, "")
	case omadata.ConsentRevoked:
		c = e.change(t, Admin(), e.give(t, r, p).ID, omadata.ConsentRevoked, "sink removed")
	case omadata.ConsentExpired:
		c = short()
		e.expireAt(t, consentNow.Add(2*time.Hour))
	case "given, ending in an hour":
		c = short()
	case "suspended, ending in an hour":
		c = e.change(t, AsResident(r.ID), short().ID, omadata.ConsentSuspended, "")
	default:
		t.Fatalf("no way to make a %s consent", status)
	}
	return c, r
}

// consentState is what must not move when a change is refused.
type consentState struct {
	status  string
	records int
	outbox  string
}

func (e *consentEnv) state(t *testing.T, id string) consentState {
	t.Helper()
	c := must[*omadata.Consent](t)(e.s.FindConsentByID(Admin(), id))
	rows := must[[][]string](t)(e.s.DB().QueryStrings(context.Background(), `SELECT COUNT(*) FROM outbox`))
	return consentState{c.Status, len(c.Records), rows[0][0]}
}

// testConsentTransitions tries every allowed status change and the
// forbidden ones: from each terminal status, to the same status, by callers
// without the right, on a retired processing and on a version that is no
// longer current. A refused change names its field and changes nothing.
func testConsentTransitions(t *testing.T, s *store.Store) {
	e := newConsentEnv(t, s)
	otherSink := CreateService(t, s, e.n.Company.ID, true, omadata.RoleSink)
	stranger := e.adult(t)
	noScope := omadata.NewContextWithCaller(context.Background(), omadata.Caller{Kind: omadata.CallerService, ServiceID: e.n.Sink.ID,
		Scopes: []string{omadata.ScopeCatalogueRead}})
	change := func(ctx context.Context, status, reason string) func(*testing.T, *omadata.Consent, *omadata.Resident, *omadata.Processing) error {
		return func(t *testing.T, c *omadata.Consent, _ *omadata.Resident, _ *omadata.Processing) error {
			_, err := s.ChangeConsent(ctx, c.ID, status, reason)
			return err
		}
	}
	own := func(status string) func(*testing.T, *omadata.Consent, *omadata.Resident, *omadata.Processing) error {
		return func(t *testing.T, c *omadata.Consent, r *omadata.Resident, _ *omadata.Processing) error {
			_, err := s.ChangeConsent(AsResident(r.ID), c.ID, status, "")
			return err
		}
	}
	give := func(t *testing.T, _ *omadata.Consent, r *omadata.Resident, p *omadata.Processing) error {
		_, err := s.GiveConsent(AsResident(r.ID), input(p))
		return err
	}
	expire := func(after time.Duration) func(*testing.T, *omadata.Consent, *omadata.Resident, *omadata.Processing) error {
		return func(t *testing.T, _ *omadata.Consent, _ *omadata.Resident, _ *omadata.Processing) error {
			e.expireAt(t, consentNow.Add(after))
			return nil
		}
	}
	retire := func(t *testing.T, p *omadata.Processing) {
		must[*omadata.Processing](t)(s.RetireProcessing(Admin(), p.ID))
	}
	replace := func(t *testing.T, p *omadata.Processing) { e.newVersion(t, p, false) }

	type action = func(*testing.T, *omadata.Consent, *omadata.Resident, *omadata.Processing) error
	cases := []struct {
		name  string
		from  string
		after func(*testing.T, *omadata.Processing) // run on a fresh processing after the consent is made
		do    action
		want  string // status after an allowed change
		code  string // error code of a refused one
		field string
	}{
		{name: "requested to given by the resident's answer", from: omadata.ConsentRequested, do: give, want: omadata.ConsentGiven},
		{name: "requested to refused by the resident's answer", from: omadata.ConsentRequested, want: omadata.ConsentRefused,
			do: func(t *testing.T, _ *omadata.Consent, r *omadata.Resident, p *omadata.Processing) error {
				_, err := s.RefuseConsent(AsResident(r.ID), input(p))
				return err
			}},
		{name: "requested to expired after 30 days", from: omadata.ConsentRequested, do: expire(omadata.ConsentRequestTTL), want: omadata.ConsentExpired},
		{name: "given to suspended by the resident", from: omadata.ConsentGiven, do: own(omadata.ConsentSuspended), want: omadata.ConsentSuspended},
		{name: "given to suspended by an admin", from: omadata.ConsentGiven, do: change(Admin(), omadata.ConsentSuspended, "suspected misuse"), want: omadata.ConsentSuspended},
		{name: "given to withdrawn by the resident", from: omadata.ConsentGiven, do: own(omadata.ConsentWithdrawn), want: omadata.ConsentWithdrawn},
		{name: "given to withdrawn on paper by an admin", from: omadata.ConsentGiven, do: change(Admin(), omadata.ConsentWithdrawn, "HEL 2026-1234"), want: omadata.ConsentWithdrawn},
		{name: "given to revoked by an admin", from: omadata.ConsentGiven, do: change(Admin(), omadata.ConsentRevoked, "service removed"), want: omadata.ConsentRevoked},
		{name: "given to revoked by the sink", from: omadata.ConsentGiven, do: change(As(e.n.Sink.ID), omadata.ConsentRevoked, "account closed"), want: omadata.ConsentRevoked},
		{name: "given to expired", from: "given, ending in an hour", do: expire(2 * time.Hour), want: omadata.ConsentExpired},
		{name: "suspended to given (resume) by the resident", from: omadata.ConsentSuspended, do: own(omadata.ConsentGiven), want: omadata.ConsentGiven},
		{name: "suspended to given (resume) by an admin", from: omadata.ConsentSuspended, do: change(Admin(), omadata.ConsentGiven, ""), want: omadata.ConsentGiven},
		{name: "suspended to withdrawn by the resident", from: omadata.ConsentSuspended, do: own(omadata.ConsentWithdrawn), want: omadata.ConsentWithdrawn},
		{name: "suspended to revoked by the sink", from: omadata.ConsentSuspended, do: change(As(e.n.Sink.ID), omadata.ConsentRevoked, "fraud"), want: omadata.ConsentRevoked},
		{name: "suspended to expired", from: "suspended, ending in an hour", do: expire(2 * time.Hour), want: omadata.ConsentExpired},

		{name: "given to given", from: omadata.ConsentGiven, do: change(Admin(), omadata.ConsentGiven, ""), code: omadata.ECONFLICT, field: "status"},
		{name: "suspended to suspended", from: omadata.ConsentSuspended, do: own(omadata.ConsentSuspended), code: omadata.ECONFLICT, field: "status"},
		{name: "requested to given without an answer", from: omadata.ConsentRequested, do: change(Admin(), omadata.ConsentGiven, ""), code: omadata.ECONFLICT, field: "status"},
		{name: "requested to withdrawn", from: omadata.ConsentRequested, do: own(omadata.ConsentWithdrawn), code: omadata.ECONFLICT, field: "status"},
		{name: "requested to suspended", from: omadata.ConsentRequested, do: own(omadata.ConsentSuspended), code: omadata.ECONFLICT, field: "status"},
		{name: "requested to revoked", from: omadata.ConsentRequested, do: change(As(e.n.Sink.ID), omadata.ConsentRevoked, "x"), code: omadata.ECONFLICT, field: "status"},
		{name: "to requested", from: omadata.ConsentGiven, do: change(Admin(), omadata.ConsentRequested, ""), code: omadata.EINVALID, field: "status"},
		{name: "to expired by hand", from: omadata.ConsentGiven, do: change(Admin(), omadata.ConsentExpired, ""), code: omadata.EINVALID, field: "status"},
		{name: "given again while given", from: omadata.ConsentGiven, do: give, code: omadata.ECONFLICT, field: "processing_id"},
		{name: "given again while suspended", from: omadata.ConsentSuspended, do: give, code: omadata.ECONFLICT, field: "processing_id"},
		{name: "requested while given", from: omadata.ConsentGiven, code: omadata.ECONFLICT, field: "processing_id",
			do: func(t *testing.T, _ *omadata.Consent, r *omadata.Resident, p *omadata.Processing) error {
				psn := must[string](t)(s.Pseudonym(Admin(), e.n.Sink.ID, r.ID))
				_, err := s.RequestConsent(As(e.n.Sink.ID), &omadata.ConsentRequestInput{ProcessingID: p.ID, Pseudonym: psn})
				return err
			}},
		{name: "given window ended, not yet expired", from: "given, ending in an hour", code: omadata.ECONFLICT, field: "status",
			do: func(t *testing.T, c *omadata.Consent, r *omadata.Resident, _ *omadata.Processing) error {
				e.at(consentNow.Add(2 * time.Hour))
				defer e.at(consentNow)
				_, err := s.ChangeConsent(AsResident(r.ID), c.ID, omadata.ConsentSuspended, "")
				return err
			}},

		{name: "withdrawn by another resident", from: omadata.ConsentGiven, do: change(AsResident(stranger.ID), omadata.ConsentWithdrawn, ""), code: omadata.ENOTFOUND},
		{name: "given on behalf by another resident", from: omadata.ConsentWithdrawn, code: omadata.ENOTFOUND,
			do: func(t *testing.T, _ *omadata.Consent, r *omadata.Resident, p *omadata.Processing) error {
				in := input(p)
				in.OnBehalfOf = r.ID
				_, err := s.GiveConsent(AsResident(stranger.ID), in)
				return err
			}},
		{name: "revoked by a sink that is not the processing's", from: omadata.ConsentGiven, do: change(As(otherSink.ID), omadata.ConsentRevoked, "x"), code: omadata.ENOTFOUND},
		{name: "revoked by the sink without the consents scope", from: omadata.ConsentGiven, do: change(noScope, omadata.ConsentRevoked, "x"), code: omadata.ENOTFOUND},
		{name: "withdrawn anonymously", from: omadata.ConsentGiven, do: change(Public(), omadata.ConsentWithdrawn, ""), code: omadata.ENOTFOUND},
		{name: "revoked by a source", from: omadata.ConsentGiven, do: change(As(e.n.Source.ID), omadata.ConsentRevoked, "x"), code: omadata.EFORBIDDEN},
		{name: "withdrawn by a source", from: omadata.ConsentGiven, do: change(As(e.n.Source.ID), omadata.ConsentWithdrawn, ""), code: omadata.EFORBIDDEN},
		{name: "withdrawn by the sink", from: omadata.ConsentGiven, do: change(As(e.n.Sink.ID), omadata.ConsentWithdrawn, ""), code: omadata.EFORBIDDEN},
		{name: "suspended by the sink", from: omadata.ConsentGiven, do: change(As(e.n.Sink.ID), omadata.ConsentSuspended, ""), code: omadata.EFORBIDDEN},
		{name: "revoked by the resident", from: omadata.ConsentGiven, do: own(omadata.ConsentRevoked), code: omadata.EFORBIDDEN},
		{name: "withdrawn by an admin without an archive reference", from: omadata.ConsentGiven, do: change(Admin(), omadata.ConsentWithdrawn, " "), code: omadata.EINVALID, field: "reason"},
		{name: "revoked by an admin without a reason", from: omadata.ConsentGiven, do: change(Admin(), omadata.ConsentRevoked, ""), code: omadata.EINVALID, field: "reason"},

		{name: "resumed on a retired processing", from: omadata.ConsentSuspended, after: retire, do: own(omadata.ConsentGiven), code: omadata.ECONFLICT, field: "processing_id"},
		{name: "given on a retired processing", from: omadata.ConsentWithdrawn, after: retire, do: give, code: omadata.ECONFLICT, field: "processing_id"},
		{name: "resumed on a replaced version", from: omadata.ConsentSuspended, after: replace, do: own(omadata.ConsentGiven), code: omadata.ECONFLICT, field: "version"},
		{name: "given on a version no longer current", from: omadata.ConsentWithdrawn, after: replace, code: omadata.ECONFLICT, field: "version",
			do: func(t *testing.T, _ *omadata.Consent, r *omadata.Resident, p *omadata.Processing) error {
				_, err := s.GiveConsent(AsResident(r.ID), input(p)) // p still says version 1
				return err
			}},
	}
	for _, from := range []string{omadata.ConsentRefused, omadata.ConsentWithdrawn, omadata.ConsentRevoked, omadata.ConsentExpired} {
		for _, to := range []string{omadata.ConsentWithdrawn, omadata.ConsentSuspended, omadata.ConsentGiven, omadata.ConsentRevoked} {
			cases = append(cases, struct {
				name  string
				from  string
				after func(*testing.T, *omadata.Processing)
				do    action
				want  string
				code  string
				field string
			}{name: from + " to " + to, from: from, do: change(Admin(), to, "paper form 7"), code: omadata.ECONFLICT, field: "status"})
		}
		cases = append(cases, struct {
			name  string
			from  string
			after func(*testing.T, *omadata.Processing)
			do    action
			want  string
			code  string
			field string
		}{name: from + " to withdrawn by the resident", from: from, do: own(omadata.ConsentWithdrawn), code: omadata.ECONFLICT, field: "status"})
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.at(consentNow)
			p := e.n.Processing
			if tc.after != nil {
				p = e.publish(t)
			}
			c, r := e.consentIn(t, p, tc.from)
			if tc.after != nil {
				tc.after(t, p)
			}
			before := e.state(t, c.ID)
			err := tc.do(t, c, r, p)
			after := e.state(t, c.ID)
			if tc.code != "" {
				wantField(t, err, tc.code, tc.field)
				if after != before {
					t.Fatalf("a refused change moved the consent: got %+v, want %+v", after, before)
				}
				return
			}
			ok(t, err)
			if after.status != tc.want || after.records != before.records+1 {
				t.Fatalf("got status %s with %d records, want %s with %d", after.status, after.records, tc.want, before.records+1)
			}
			got := must[*omadata.Consent](t)(s.FindConsentByID(Admin(), c.ID))
			ok(t, omadata.VerifyConsentChain(got.ResidentID, got.Records))
			wantLastEvent(t, s, c.ID, eventFor(before.status, tc.want))
		})
	}
}

// eventFor is the event a move from one status to another announces.
func eventFor(from, to string) string {
	if from == omadata.ConsentSuspended && to == omadata.ConsentGiven {
		return omadata.EventConsentResumed
	}
	return "consent." + to
}

// wantLastEvent checks that the consent's latest record was announced as
// event, to the sink at least.
func wantLastEvent(t *testing.T, s *store.Store, consentID, event string) {
	t.Helper()
	c := must[*omadata.Consent](t)(s.FindConsentByID(Admin(), consentID))
	hash := c.Records[len(c.Records)-1].Hash
	rows := must[[][]string](t)(s.DB().QueryStrings(context.Background(), `SELECT service_id, type FROM outbox WHERE payload LIKE ?`, `%"record_hash":"`+hash+`"%`))
	sink := false
	for _, row := range rows {
		if row[1] != event {
			t.Fatalf("got event %s for the latest record of %s, want %s", row[1], consentID, event)
		}
		sink = sink || row[0] == c.SinkID
	}
	if !sink {
		t.Fatalf("the sink got no event for the latest record of %s (got %v)", consentID, rows)
	}
}

// testConsentGuardian: a guardian gives for their own child and not for
// another; at the child's 18th birthday they are refused, without any job
// having run. A mandate acts only within its purposes.
func testConsentGuardian(t *testing.T, s *store.Store) {
	e := newConsentEnv(t, s)
	p := e.n.Processing
	childCode := ChildBornOn(time.Date(2008, 11, 23, 0, 0, 0, 0, time.UTC)) // 18 tomorrow
	otherChildCode := ChildBornOn(time.Date(2012, 5, 5, 0, 0, 0, 0, time.UTC))
	for _, in := range []omadata.RepresentationInput{
		{Kind: omadata.RepGuardian, RepresentativeIdentityCode: AdultCode, PrincipalIdentityCode: childCode, Basis: "population register"},
		{Kind: omadata.RepGuardian, RepresentativeIdentityCode: AdultCode2, PrincipalIdentityCode: otherChildCode, Basis: "population register"},
	} {
		must[*omadata.Representation](t)(s.CreateRepresentation(Admin(), &in))
	}
	guardian, otherGuardian := CreateResident(t, s, AdultCode), CreateResident(t, s, AdultCode2)
	child, otherChild := CreateResident(t, s, childCode), CreateResident(t, s, otherChildCode)

	onBehalf := func(of string) *omadata.ConsentInput {
		in := input(p)
		in.OnBehalfOf = of
		return in
	}
	c := must[*omadata.Consent](t)(s.GiveConsent(AsResident(guardian.ID), onBehalf(child.ID)))
	if c.ResidentID != child.ID || c.Records[0].ActorRole != omadata.ActorGuardian || c.Records[0].ActorID != guardian.ID {
		t.Fatalf("got consent of %s by %s as %s, want the child's, given by the guardian as guardian", c.ResidentID, c.Records[0].ActorID, c.Records[0].ActorRole)
	}
	must[*omadata.Consent](t)(s.FindConsentByID(AsResident(guardian.ID), c.ID))
	if list, _ := must2(t)(s.FindConsents(AsResident(guardian.ID), omadata.ConsentFilter{ResidentID: &child.ID})); len(list) != 1 {
		t.Fatalf("the guardian lists %d of the child's consents, want 1", len(list))
	}

	_, err := s.GiveConsent(AsResident(guardian.ID), onBehalf(otherChild.ID))
	wantCode(t, err, omadata.ENOTFOUND)
	other := must[*omadata.Consent](t)(s.GiveConsent(AsResident(otherGuardian.ID), onBehalf(otherChild.ID)))
	before := e.state(t, other.ID)
	_, err = s.ChangeConsent(AsResident(guardian.ID), other.ID, omadata.ConsentWithdrawn, "")
	wantCode(t, err, omadata.ENOTFOUND)
	_, err = s.FindConsentByID(AsResident(guardian.ID), other.ID)
	wantCode(t, err, omadata.ENOTFOUND)
	if after := e.state(t, other.ID); after != before {
		t.Fatalf("another guardian's attempt moved the consent: got %+v, want %+v", after, before)
	}
	if list, _ := must2(t)(s.FindConsents(AsResident(guardian.ID), omadata.ConsentFilter{ResidentID: &otherChild.ID})); len(list) != 0 {
		t.Fatalf("a guardian lists %d consents of another child, want none", len(list))
	}

	// The 18th birthday: no job runs, yet the guardian may no longer act.
	e.at(time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC))
	second := e.publish(t)
	in := input(second)
	in.OnBehalfOf = child.ID
	_, err = s.GiveConsent(AsResident(guardian.ID), in)
	wantCode(t, err, omadata.ENOTFOUND)
	_, err = s.ChangeConsent(AsResident(guardian.ID), c.ID, omadata.ConsentWithdrawn, "")
	wantCode(t, err, omadata.ENOTFOUND)
	_, err = s.FindConsentByID(AsResident(guardian.ID), c.ID)
	wantCode(t, err, omadata.ENOTFOUND)
	withdrawn := e.change(t, AsResident(child.ID), c.ID, omadata.ConsentWithdrawn, "")
	if last := withdrawn.Records[len(withdrawn.Records)-1]; last.ActorRole != omadata.ActorSelf || last.ActorID != child.ID {
		t.Fatalf("got the withdrawal by %s as %s, want the now adult child as self", last.ActorID, last.ActorRole)
	}
	e.at(consentNow)

	// A mandate acts for its purposes only.
	holder, principal := e.adult(t), e.adult(t)
	must[*omadata.Representation](t)(s.CreateRepresentation(Admin(), &omadata.RepresentationInput{Kind: omadata.RepMandate,
		RepresentativeIdentityCode: e.codes[len(e.codes)-2], PrincipalIdentityCode: e.codes[len(e.codes)-1], Basis: "mandate code 1", RepresentationScope: omadata.RepresentationScope{Purposes: []string{"research"}}}))
	in = input(p)
	in.OnBehalfOf = principal.ID
	_, err = s.GiveConsent(AsResident(holder.ID), in)
	wantField(t, err, omadata.EFORBIDDEN, "processing_id") // represented, but not for this purpose
	must[*omadata.Representation](t)(s.CreateRepresentation(Admin(), &omadata.RepresentationInput{Kind: omadata.RepMandate,
		RepresentativeIdentityCode: e.codes[len(e.codes)-2], PrincipalIdentityCode: e.codes[len(e.codes)-1], Basis: "mandate code 2", RepresentationScope: omadata.RepresentationScope{Purposes: []string{"recommendations"}}}))
	m := must[*omadata.Consent](t)(s.GiveConsent(AsResident(holder.ID), in))
	if m.Records[0].ActorRole != omadata.ActorMandate {
		t.Fatalf("got actor role %s, want mandate", m.Records[0].ActorRole)
	}
}

// must2 unwraps a list result.
func must2(t *testing.T) func([]*omadata.Consent, string, error) ([]*omadata.Consent, string) {
	return func(l []*omadata.Consent, next string, err error) ([]*omadata.Consent, string) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return l, next
	}
}
