// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
)

func newCredential(serviceID string, scopes ...string) *omadata.Credential {
	return &omadata.Credential{ServiceID: serviceID, Name: "integration", Scopes: scopes}
}

func testCredentialAuthenticate(t *testing.T, s *store.Store) {
	n := CreateNetwork(t, s)
	c := newCredential(n.Sink.ID, omadata.ScopeCatalogueRead)
	ok(t, s.CreateCredential(Admin(), c))
	if !strings.HasPrefix(c.Token, "oma_svc_") || len(c.Token) < 40 {
		t.Fatalf("got token %q, want a long oma_svc_ token", c.Token)
	}
	caller, err := s.Authenticate(context.Background(), c.Token)
	ok(t, err)
	if caller.Kind != omadata.CallerService || caller.ServiceID != n.Sink.ID || caller.TokenID != c.ID || caller.Organisation != n.Company.ID {
		t.Fatalf("got caller %+v, want the sink's credential", caller)
	}
	if caller.HasScope(omadata.ScopeCatalogueWrite) || !caller.HasScope(omadata.ScopeCatalogueRead) {
		t.Fatalf("got scopes %v, want only catalogue:read", caller.Scopes)
	}
	list := must[[]*omadata.Credential](t)(s.FindCredentials(Admin(), n.Sink.ID))
	if len(list) != 1 || list[0].Token != "" {
		t.Fatalf("got %d credentials (token %q), want one without its secret", len(list), list[0].Token)
	}
	for _, bad := range []string{"", "oma_svc_", c.Token + "x", strings.Replace(c.Token, "oma_svc_", "oma_adm_", 1), "Bearer " + c.Token} {
		_, err := s.Authenticate(context.Background(), bad)
		wantCode(t, err, omadata.EUNAUTHORIZED)
	}
	wantField(t, s.CreateCredential(Admin(), newCredential(n.Sink.ID, "everything")), omadata.EINVALID, "scopes")
	wantField(t, s.CreateCredential(Admin(), newCredential(n.Sink.ID)), omadata.EINVALID, "scopes")
	wantCode(t, s.CreateCredential(As(n.Sink.ID), newCredential(n.Source.ID, omadata.ScopeCatalogueRead)), omadata.ENOTFOUND)
	_, err = s.FindCredentials(As(n.Sink.ID), n.Source.ID)
	wantCode(t, err, omadata.ENOTFOUND)
}

func testCredentialRevokeExpireSuspend(t *testing.T, s *store.Store) {
	n := CreateNetwork(t, s)
	c := newCredential(n.Sink.ID, omadata.ScopeCatalogueRead)
	ok(t, s.CreateCredential(Admin(), c))
	_, err := s.RevokeCredential(As(n.Source.ID), n.Sink.ID, c.ID)
	wantCode(t, err, omadata.ENOTFOUND)
	_, err = s.RevokeCredential(Admin(), n.Source.ID, c.ID)
	wantCode(t, err, omadata.ENOTFOUND)
	r := must[*omadata.Credential](t)(s.RevokeCredential(As(n.Sink.ID), n.Sink.ID, c.ID))
	if r.RevokedAt == nil {
		t.Fatal("got no revoked_at after revoking")
	}
	_, err = s.Authenticate(context.Background(), c.Token)
	wantCode(t, err, omadata.EUNAUTHORIZED)
	_, err = s.RevokeCredential(Admin(), n.Sink.ID, c.ID)
	wantCode(t, err, omadata.ECONFLICT)

	past := time.Now().Add(-time.Minute)
	expired := newCredential(n.Sink.ID, omadata.ScopeCatalogueRead)
	expired.ExpiresAt = &past
	wantField(t, s.CreateCredential(Admin(), expired), omadata.EINVALID, "expires_at")
	soon := time.Now().Add(time.Hour)
	c2 := newCredential(n.Sink.ID, omadata.ScopeCatalogueRead)
	c2.ExpiresAt = &soon
	ok(t, s.CreateCredential(Admin(), c2))
	_, err = s.Authenticate(context.Background(), c2.Token)
	ok(t, err)
	fixedClock(s, soon.Add(time.Second))
	_, err = s.Authenticate(context.Background(), c2.Token)
	wantCode(t, err, omadata.EUNAUTHORIZED)
	s.DB().Now = time.Now

	c3 := newCredential(n.Sink.ID, omadata.ScopeCatalogueRead)
	ok(t, s.CreateCredential(Admin(), c3))
	_, err = s.SetServiceStatus(Admin(), n.Sink.ID, omadata.ServiceSuspended)
	ok(t, err)
	_, err = s.Authenticate(context.Background(), c3.Token)
	wantCode(t, err, omadata.EFORBIDDEN)
}

func testCredentialScopeEscalation(t *testing.T, s *store.Store) {
	n := CreateNetwork(t, s)
	ctx := omadata.NewContextWithCaller(context.Background(), omadata.Caller{
		Kind: omadata.CallerService, ServiceID: n.Sink.ID, Scopes: []string{omadata.ScopeCatalogueWrite},
	})
	wantField(t, s.CreateCredential(ctx, newCredential(n.Sink.ID, omadata.ScopeCatalogueRead)), omadata.EINVALID, "scopes")
	ok(t, s.CreateCredential(ctx, newCredential(n.Sink.ID, omadata.ScopeCatalogueWrite)))
	readOnly := omadata.NewContextWithCaller(context.Background(), omadata.Caller{
		Kind: omadata.CallerService, ServiceID: n.Sink.ID, Scopes: []string{omadata.ScopeCatalogueRead},
	})
	wantCode(t, s.CreateCredential(readOnly, newCredential(n.Sink.ID, omadata.ScopeCatalogueRead)), omadata.EFORBIDDEN)
}

func testAdminTokenLifecycle(t *testing.T, s *store.Store) {
	tok := must[*omadata.AdminToken](t)(s.CreateAdminToken(Admin(), "ops"))
	caller, err := s.Authenticate(context.Background(), tok.Token)
	ok(t, err)
	if !caller.IsAdmin() || caller.TokenID != tok.ID {
		t.Fatalf("got %+v, want the admin token's caller", caller)
	}
	_, err = s.CreateAdminToken(Admin(), " ")
	wantField(t, err, omadata.EINVALID, "name")
	_, err = s.CreateAdminToken(As("svc_x"), "sneaky")
	wantCode(t, err, omadata.EFORBIDDEN)
	list := must[[]*omadata.AdminToken](t)(s.FindAdminTokens(Admin()))
	if len(list) != 1 || list[0].Token != "" {
		t.Fatalf("got %d tokens, want one without its secret", len(list))
	}
	must[*omadata.AdminToken](t)(s.RevokeAdminToken(Admin(), tok.ID))
	_, err = s.Authenticate(context.Background(), tok.Token)
	wantCode(t, err, omadata.EUNAUTHORIZED)
	_, err = s.RevokeAdminToken(Admin(), "adm_00000000000000000000000000")
	wantCode(t, err, omadata.ENOTFOUND)
}

// testCredentialCheckedEverywhere: a process serves a service token it
// checked before from memory (credential.go), yet a credential revoked,
// expired or whose service is suspended fails on the very next call to
// every process on the database, for a decision as for any other call;
// and a token is served only by the hash of the token itself.
func testCredentialCheckedEverywhere(t *testing.T, s *store.Store) {
	n := CreateNetwork(t, s)
	b := SecondInstance(t, s)
	r := CreateResident(t, s, AdultCode)
	must[*omadata.Consent](t)(s.GiveConsent(AsResident(r.ID), &omadata.ConsentInput{ProcessingID: n.Processing.ID, Version: 1, Language: "fi"}))
	p := must[string](t)(s.Pseudonym(Admin(), n.Sink.ID, r.ID))
	in := &omadata.DecisionInput{SourceID: n.Source.ID, Pseudonym: p, DataGroupIDs: []string{n.Loans.ID}, PurposeID: n.Recommendations.ID}
	// call is a call through s as the web layer makes it: the token
	// checked, then a decision and a catalogue read as its caller.
	call := func(token string) error {
		c, err := s.Authenticate(context.Background(), token)
		if err != nil {
			return err
		}
		ctx := omadata.NewContextWithCaller(context.Background(), c)
		if d, err := s.Decide(ctx, in); err != nil {
			return err
		} else if !d.Permit() {
			t.Fatalf("got %+v, want a permit", d)
		}
		_, err = s.FindCredentials(ctx, n.Sink.ID)
		return err
	}
	newToken := func(expires *time.Time) *omadata.Credential {
		c := newCredential(n.Sink.ID, omadata.ScopeDecisions, omadata.ScopeCatalogueRead)
		c.ExpiresAt = expires
		ok(t, s.CreateCredential(Admin(), c))
		for range 3 {
			ok(t, call(c.Token))
		}
		return c
	}

	c := newToken(nil)
	for _, other := range []string{c.Token[:len(c.Token)-1], c.Token + "A", strings.ToUpper(c.Token)} {
		_, err := s.Authenticate(context.Background(), other)
		wantCode(t, err, omadata.EUNAUTHORIZED)
	}
	must[*omadata.Credential](t)(b.RevokeCredential(Admin(), n.Sink.ID, c.ID))
	wantCode(t, call(c.Token), omadata.EUNAUTHORIZED)

	soon := time.Now().Add(time.Hour)
	c = newToken(&soon)
	fixedClock(s, soon)
	wantCode(t, call(c.Token), omadata.EUNAUTHORIZED)
	s.DB().Now = time.Now

	c = newToken(nil)
	must[*omadata.Service](t)(b.SetServiceStatus(Admin(), n.Sink.ID, omadata.ServiceSuspended))
	wantCode(t, call(c.Token), omadata.EFORBIDDEN)
	must[*omadata.Service](t)(b.SetServiceStatus(Admin(), n.Sink.ID, omadata.ServiceApproved))
	ok(t, call(c.Token))
}
