// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/keys"
	"github.com/omadata/omadata/internal/store"
)

// Operator is one operator of a test network: a store on its own
// database, with its own issuer and log origin, and the Peer the other
// operators know it as.
type Operator struct {
	*store.Store
	Peer *omadata.Peer
}

// OpenOperator opens a fresh store as the operator with entity ID issuer;
// t is a test's or a benchmark's (open is an OpenFunc in tests).
func OpenOperator[T testing.TB](t T, open func(T) *store.Store, issuer string, name string) *Operator {
	t.Helper()
	s := open(t)
	sealer, err := keys.NewSealer(SecretKey)
	if err != nil {
		t.Fatal(err)
	}
	origin := omadata.LogOrigin(issuer)
	logSigner, _, err := keys.LogSigner(context.Background(), s, sealer, origin)
	if err != nil {
		t.Fatal(err)
	}
	s = s.With(store.WithIssuer(issuer), store.WithLog(logSigner))
	return &Operator{Store: s, Peer: &omadata.Peer{
		OperatorMetadata: omadata.OperatorMetadata{
			OperatorID: issuer, Name: Text(name), BaseURL: issuer, NetworkEndpoint: issuer + "/network/v1",
			CatalogueEndpoint: issuer + "/network/v1/catalogue", LogEndpoint: issuer + "/api/v1/log", LogOrigin: origin,
		},
		RulebookVersion: 1, ChainExpiresAt: time.Now().Add(time.Hour).UTC().Truncate(time.Second),
	}}
}

// AsOperator returns a context carrying a peer operator's signed call.
func AsOperator(operatorID string) context.Context {
	return omadata.NewContextWithCaller(context.Background(), omadata.Caller{Kind: omadata.CallerOperator, OperatorID: operatorID})
}

// Mirror imports from's network catalogue into to, as to's catalogue job
// does.
func Mirror(t *testing.T, from, to *Operator) (*omadata.NetworkCatalogue, string) {
	t.Helper()
	c, etag, err := from.NetworkCatalogue(Public())
	if err != nil {
		t.Fatal(err)
	}
	if err := to.ImportPeerCatalogue(Admin(), from.Peer, c, etag, time.Now().Add(5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	return c, etag
}

// testNetworkCatalogue: an operator publishes its own sources and
// processings to the network with an ETag that changes with them; a peer
// mirrors them under the operator's ID, refuses IDs that are not the
// operator's, skips purposes outside the taxonomy, retires what is no
// longer published, and refuses edits of mirrored services.
func testNetworkCatalogue(t *testing.T, open OpenFunc) {
	hki := OpenOperator(t, open, "https://helsinki.test", "Helsinki")
	esp := OpenOperator(t, open, "https://espoo.test", "Espoo")
	h := CreateNetwork(t, hki.Store)

	c, etag, err := hki.NetworkCatalogue(Public())
	ok(t, err)
	if c.OperatorID != hki.Peer.OperatorID || len(c.Sources) != 1 || c.Sources[0].ID != h.Source.ID || len(c.Sources[0].DataGroups) != 2 ||
		c.Sources[0].API != h.Source.Endpoints.API || len(c.Processings) != 1 || c.Processings[0].ProcessingID != h.Processing.ID {
		t.Fatalf("got catalogue %+v, want the city's source and the published processing", c)
	}
	if _, again, _ := hki.NetworkCatalogue(Public()); again != etag {
		t.Fatalf("ETag changed without a change: %s, %s", etag, again)
	}
	_, err = hki.UpdateOrganisation(Admin(), h.City.ID, omadata.OrganisationUpdate{Email: ptr("tietosuoja@hel.example")})
	ok(t, err)
	if _, changed, _ := hki.NetworkCatalogue(Public()); changed == etag {
		t.Fatal("ETag kept after the source's controller changed")
	}

	// Espoo mirrors Helsinki's catalogue, also when an organisation of
	// Espoo's own has the business ID of one of Helsinki's.
	same := NewOrganisation(omadata.OrgCity)
	same.BusinessID = h.City.BusinessID
	ok(t, esp.CreateOrganisation(Admin(), same))
	_, etag = Mirror(t, hki, esp)
	if got, exp, err := esp.PeerCatalogueState(Admin(), hki.Peer.OperatorID); err != nil || got != etag || exp.IsZero() {
		t.Fatalf("catalogue state: %q, %v, %v, want %q", got, exp, err, etag)
	}
	_, _, err = esp.PeerCatalogueState(Admin(), "https://turku.test")
	wantCode(t, err, omadata.ENOTFOUND)
	src := must[*omadata.Service](t)(esp.FindServiceByID(Public(), h.Source.ID))
	if src.Operator == nil || src.Operator.ID != hki.Peer.OperatorID || src.Operator.Name["en"] != "Helsinki" || src.Status != omadata.ServiceApproved {
		t.Fatalf("got mirrored source %+v, want it under Helsinki", src)
	}
	e := must[*omadata.CatalogueEntry](t)(esp.FindCatalogueEntry(Public(), h.Processing.ID))
	want := must[*omadata.CatalogueEntry](t)(hki.FindCatalogueEntry(Public(), h.Processing.ID))
	if e.Operator == nil || e.Operator.ID != hki.Peer.OperatorID || len(e.Notices) != 3 || e.Notices[0].SHA256 != want.Notices[0].SHA256 ||
		e.Notices[0].Body != want.Notices[0].Body || len(e.DataGroups) != 1 || e.DataGroups[0].ID != h.Loans.ID || want.Operator != nil {
		t.Fatalf("got mirrored entry %+v, want Helsinki's with its notices", e)
	}
	// The peer's services are the peer's to change.
	_, err = esp.UpdateService(Admin(), h.Source.ID, omadata.ServiceUpdate{Name: ptr(Text("Renamed"))})
	wantCode(t, err, omadata.EFORBIDDEN)
	_, err = esp.SetServiceStatus(Admin(), h.Source.ID, omadata.ServiceSuspended)
	wantCode(t, err, omadata.EFORBIDDEN)
	wantCode(t, esp.CreateCredential(Admin(), &omadata.Credential{ServiceID: h.Source.ID, Name: "x", Scopes: []string{omadata.ScopeDecisions}}), omadata.EFORBIDDEN)
	_, err = esp.RotateWebhookSecret(Admin(), h.Sink.ID)
	wantCode(t, err, omadata.EFORBIDDEN)
	wantCode(t, esp.CreateDataGroup(Admin(), NewDataGroup(h.Source.ID, "more", false)), omadata.EFORBIDDEN)
	_, err = esp.UpdateOrganisation(Admin(), h.City.ID, omadata.OrganisationUpdate{Email: ptr("x@esp.example")})
	wantCode(t, err, omadata.EFORBIDDEN)
	_, err = esp.CreateProcessing(Admin(), NewDraft(h.Sink.ID, "espoo-edit", h.Recommendations.ID, h.Loans.ID))
	wantCode(t, err, omadata.EFORBIDDEN)
	_, err = esp.RetireProcessing(Admin(), h.Processing.ID)
	wantCode(t, err, omadata.EFORBIDDEN)
	_, err = esp.CreateVersion(Admin(), h.Processing.ID, true)
	wantCode(t, err, omadata.EFORBIDDEN)

	// Espoo's own sink processes Helsinki's loans; Espoo publishes only its own.
	eCompany := CreateOrganisation(t, esp.Store, omadata.OrgCompany)
	eSink := CreateService(t, esp.Store, eCompany.ID, true, omadata.RoleSink)
	p := must[*omadata.Processing](t)(esp.CreateProcessing(Admin(), NewDraft(eSink.ID, "espoo-reading", h.Recommendations.ID, h.Loans.ID)))
	PutNotices(t, esp.Store, p.ID, 1)
	must[*omadata.ProcessingVersion](t)(esp.PublishVersion(Admin(), p.ID, 1))
	ec, eEtag, err := esp.NetworkCatalogue(Public())
	ok(t, err)
	if len(ec.Sources) != 0 || len(ec.Processings) != 1 || ec.Processings[0].ProcessingID != p.ID || ec.Processings[0].DataGroups[0].Source.ID != h.Source.ID {
		t.Fatalf("got Espoo's catalogue %+v, want its own processing only", ec)
	}

	// An empty list is [], never null, at any depth.
	for _, c := range []*omadata.NetworkCatalogue{ec, must[*omadata.NetworkCatalogue](t)(firstOf(hki.NetworkCatalogue(Public())))} {
		if b := must[[]byte](t)(json.Marshal(c)); strings.Contains(string(b), ":null") {
			t.Fatalf("a catalogue has a null: %s", b)
		}
	}

	// Refused imports change nothing and name the item.
	bad := clone(t, ec)
	bad.Processings[0].Sink.ID = h.Sink.ID // Helsinki's own sink
	wantField(t, hki.ImportPeerCatalogue(Admin(), esp.Peer, bad, "x", time.Now()), omadata.EINVALID, "processings[0].sink.id")
	bad = clone(t, ec)
	bad.Processings[0].DataGroups[0].ID = omadata.NewID(omadata.PrefixDataGroup) // a third operator's
	wantField(t, hki.ImportPeerCatalogue(Admin(), esp.Peer, bad, "x", time.Now()), omadata.EINVALID, "processings[0].data_groups[0].id")
	bad = clone(t, ec)
	bad.Processings[0].Notices[0].Body += " Changed."
	wantField(t, hki.ImportPeerCatalogue(Admin(), esp.Peer, bad, "x", time.Now()), omadata.EINVALID, "processings[0].notices[0].sha256")
	bad = clone(t, ec)
	bad.Processings[0].Title["xx"] = "?"
	wantField(t, hki.ImportPeerCatalogue(Admin(), esp.Peer, bad, "x", time.Now()), omadata.EINVALID, "processings[0].title.xx")
	// Over the bounds of network.md §7, named by the list.
	bad = clone(t, ec)
	bad.Processings = append(bad.Processings, make([]*omadata.CatalogueEntry, 1000)...)
	wantField(t, hki.ImportPeerCatalogue(Admin(), esp.Peer, bad, "x", time.Now()), omadata.EINVALID, "processings")
	bad = clone(t, ec)
	bad.Sources = make([]*omadata.NetworkSource, 1001)
	wantField(t, hki.ImportPeerCatalogue(Admin(), esp.Peer, bad, "x", time.Now()), omadata.EINVALID, "sources")
	bad = clone(t, ec)
	bad.Processings[0].Recipients = make([]omadata.Recipient, 51)
	wantField(t, hki.ImportPeerCatalogue(Admin(), esp.Peer, bad, "x", time.Now()), omadata.EINVALID, "processings[0].recipients")
	bad = clone(t, ec)
	bad.Processings[0].DataGroups = make([]omadata.CatalogueDataGroup, 101)
	wantField(t, hki.ImportPeerCatalogue(Admin(), esp.Peer, bad, "x", time.Now()), omadata.EINVALID, "processings[0].data_groups")
	bad = clone(t, ec)
	for range 3 {
		bad.Processings[0].Notices = append(bad.Processings[0].Notices, bad.Processings[0].Notices[0])
	}
	wantField(t, hki.ImportPeerCatalogue(Admin(), esp.Peer, bad, "x", time.Now()), omadata.EINVALID, "processings[0].notices")
	bad = clone(t, ec)
	bad.Processings[0].Sink.Name["xx"] = "?"
	wantField(t, hki.ImportPeerCatalogue(Admin(), esp.Peer, bad, "x", time.Now()), omadata.EINVALID, "processings[0].sink.name.xx")
	bad = clone(t, ec)
	bad.OperatorID = "https://turku.test"
	wantField(t, hki.ImportPeerCatalogue(Admin(), esp.Peer, bad, "x", time.Now()), omadata.EINVALID, "catalogue.operator_id")
	wantCode(t, hki.ImportPeerCatalogue(AsOperator("https://turku.test"), esp.Peer, ec, "x", time.Now()), omadata.EFORBIDDEN)
	_, _, err = hki.PeerCatalogueState(Admin(), esp.Peer.OperatorID)
	wantCode(t, err, omadata.ENOTFOUND)
	_, err = hki.FindServiceByID(Admin(), eSink.ID)
	wantCode(t, err, omadata.ENOTFOUND)

	// A purpose outside the taxonomy is skipped: the processing stays Espoo's local one.
	odd := clone(t, ec)
	odd.Processings[0].Purpose.ID = omadata.NewID(omadata.PrefixPurpose)
	// No route lets a peer push its own catalogue: only the operator imports.
	wantCode(t, hki.ImportPeerCatalogue(AsOperator(esp.Peer.OperatorID), esp.Peer, odd, "odd", time.Now().Add(time.Minute)), omadata.EFORBIDDEN)
	ok(t, hki.ImportPeerCatalogue(Admin(), esp.Peer, odd, "odd", time.Now().Add(time.Minute)))
	_, err = hki.FindCatalogueEntry(Public(), p.ID)
	wantCode(t, err, omadata.ENOTFOUND)

	// Helsinki mirrors Espoo's processing of its own source's loans.
	ok(t, hki.ImportPeerCatalogue(Admin(), esp.Peer, ec, eEtag, time.Now().Add(time.Minute)))
	me := must[*omadata.CatalogueEntry](t)(hki.FindCatalogueEntry(Public(), p.ID))
	if me.Operator == nil || me.Operator.ID != esp.Peer.OperatorID || me.Sink.ID != eSink.ID || me.DataGroups[0].Source.ID != h.Source.ID {
		t.Fatalf("got %+v, want Espoo's processing mirrored", me)
	}
	// A published version is immutable: other text under the same version
	// number is refused, item by item, and the mirror keeps the old.
	retitled := clone(t, ec)
	for k := range retitled.Processings[0].Title {
		retitled.Processings[0].Title[k] += " (changed)"
	}
	renoticed := clone(t, ec)
	n0 := renoticed.Processings[0].Notices[0]
	n0.Body += " Changed."
	n0.SHA256 = omadata.NoticeHash(n0.Title, n0.Body)
	for _, tc := range []struct {
		c     *omadata.NetworkCatalogue
		field string
	}{{retitled, "processings[0].title"}, {renoticed, "processings[0].notices"}} {
		err := hki.ImportPeerCatalogue(Admin(), esp.Peer, tc.c, "changed", time.Now().Add(time.Minute))
		var refused *omadata.RefusedItems
		if !errors.As(err, &refused) || refused.OperatorID != esp.Peer.OperatorID || len(refused.Items) != 1 ||
			refused.Items[0].ProcessingID != p.ID || refused.Items[0].Field != tc.field {
			t.Fatalf("got %v, want the item refused naming %s", err, tc.field)
		}
		got := must[*omadata.CatalogueEntry](t)(hki.FindCatalogueEntry(Public(), p.ID))
		if !maps.Equal(got.Title, me.Title) || len(got.Notices) != len(me.Notices) || got.Notices[0].SHA256 != me.Notices[0].SHA256 || got.Version != 1 {
			t.Fatalf("got %+v, want the version as first mirrored", got)
		}
	}
	if hc, _, _ := hki.NetworkCatalogue(Public()); len(hc.Processings) != 1 {
		t.Fatalf("Helsinki republishes %d processings, want its own one", len(hc.Processings))
	}
	// Espoo stops publishing it: Helsinki retires it and suspends the sink.
	none := clone(t, ec)
	none.Processings = nil
	ok(t, hki.ImportPeerCatalogue(Admin(), esp.Peer, none, "none", time.Now().Add(time.Minute)))
	_, err = hki.FindCatalogueEntry(Public(), p.ID)
	wantCode(t, err, omadata.ENOTFOUND)
	if sv := must[*omadata.Service](t)(hki.FindServiceByID(Admin(), eSink.ID)); sv.Status != omadata.ServiceSuspended {
		t.Fatalf("got sink status %s, want suspended", sv.Status)
	}
	// And publishes it again.
	ok(t, hki.ImportPeerCatalogue(Admin(), esp.Peer, ec, eEtag, time.Now().Add(time.Minute)))
	must[*omadata.CatalogueEntry](t)(hki.FindCatalogueEntry(Public(), p.ID))
	// A processing the peer no longer lists beside its listed sink is retired.
	ok(t, hki.ImportPeerCatalogue(Admin(), esp.Peer, odd, "odd", time.Now().Add(time.Minute)))
	_, err = hki.FindCatalogueEntry(Public(), p.ID)
	wantCode(t, err, omadata.ENOTFOUND)
	if sv := must[*omadata.Service](t)(hki.FindServiceByID(Admin(), eSink.ID)); sv.Status != omadata.ServiceApproved {
		t.Fatalf("got sink status %s, want approved", sv.Status)
	}
}

// clone deep-copies a network catalogue through JSON.
func clone(t *testing.T, c *omadata.NetworkCatalogue) *omadata.NetworkCatalogue {
	t.Helper()
	b, err := json.Marshal(c)
	ok(t, err)
	var out omadata.NetworkCatalogue
	ok(t, json.Unmarshal(b, &out))
	return &out
}

// firstOf drops the middle of three results.
func firstOf[A, B any](a A, _ B, err error) (A, error) { return a, err }
