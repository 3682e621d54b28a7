// SPDX-License-Identifier: Apache-2.0

package portal_test

import (
	"context"
	"fmt"
	"html/template"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/glossary"
	"github.com/omadata/omadata/internal/store"
	"github.com/omadata/omadata/internal/store/storetest"
	"github.com/omadata/omadata/internal/web/portal"
)

// espooName is the peer operator of the network tests, named as the
// glossary names the city in each language.
var espooName = omadata.Text{"fi": "Espoon kaupunki", "sv": "Esbo stad", "en": "City of Espoo"}

// peer is the portal's operator and a peer operator, Espoo, on its own
// database: Espoo mirrors our catalogue, registers a sink whose
// processing reads our library loans, and we mirror Espoo's catalogue, as
// the network's catalogue job does (docs/network.md §5.1).
type peer struct {
	esp        *storetest.Operator
	us         *storetest.Operator
	processing string // Espoo's processing, mirrored here
	sink       string // its sink, registered at Espoo
	loans      string // our data group it reads
}

func newPeer(t *testing.T, e *env, now time.Time) *peer {
	t.Helper()
	open := func(t *testing.T) *store.Store { return storetest.OpenSQLite(t) }
	esp := storetest.OpenOperator(t, open, "https://espoo.test", "Espoo")
	esp.Peer.Name = espooName
	esp.DB().Now = func() time.Time { return now }
	us := &storetest.Operator{Store: e.store, Peer: &omadata.Peer{
		OperatorMetadata: omadata.OperatorMetadata{
			OperatorID: "https://omadata.test", Name: omadata.Text{"fi": "Testikaupunki", "sv": "Teststad", "en": "Test City"},
			BaseURL: "https://omadata.test", NetworkEndpoint: "https://omadata.test/network/v1",
			CatalogueEndpoint: "https://omadata.test/network/v1/catalogue", LogEndpoint: "https://omadata.test/api/v1/log",
			LogOrigin: omadata.LogOrigin("https://omadata.test"),
		},
		RulebookVersion: 1, ChainExpiresAt: now.Add(time.Hour),
	}}
	storetest.Mirror(t, us, esp)

	admin := storetest.Admin()
	org := &omadata.Organisation{Kind: omadata.OrgCity, Name: espooName, BusinessID: "0101263-6", Email: "kirjaamo@espoo.example",
		PrivacyPolicyURL: "https://espoo.example/tietosuoja", Address: omadata.Address{Street: "Espoonkatu 5", PostalCode: "02770", City: "Espoo", Country: "FI"},
		DPO: omadata.Contact{Name: "Tietosuojavastaava", Email: "tietosuoja@espoo.example"}}
	if err := esp.CreateOrganisation(admin, org); err != nil {
		t.Fatal(err)
	}
	sink := &omadata.Service{OrganisationID: org.ID, Roles: []string{omadata.RoleSink},
		Name:        omadata.Text{"fi": "Espoon kirjastosuositukset", "sv": "Esbo biblioteks boktips", "en": "Espoo library recommendations"},
		Description: omadata.Text{"fi": "Kirjasuosituksia.", "sv": "Boktips.", "en": "Book recommendations."},
		Endpoints:   omadata.ServiceEndpoints{API: "https://kirjasto.espoo.example/api", Webhook: "https://kirjasto.espoo.example/hooks"}}
	if err := esp.CreateService(admin, sink); err != nil {
		t.Fatal(err)
	} else if _, err := esp.SetServiceStatus(admin, sink.ID, omadata.ServiceApproved); err != nil {
		t.Fatal(err)
	}
	loans := e.entry(t, e.recommendations(t)).DataGroups[0].ID
	draft := &omadata.ProcessingDraft{
		ServiceID: sink.ID, Code: "espoo-reading", PurposeID: storetest.Purpose(t, esp.Store, "recommendations").ID,
		Title:        omadata.Text{"fi": "Kirjasuositukset Espoon kirjastosta", "sv": "Boktips från Esbo bibliotek", "en": "Book recommendations from Espoo's library"},
		Description:  omadata.Text{"fi": "Espoon kirjasto suosittelee kirjoja lainojesi perusteella.", "sv": "Esbo bibliotek tipsar om böcker utifrån dina lån.", "en": "Espoo's library recommends books from your loans."},
		DataGroupIDs: []string{loans}, LegalBasis: omadata.BasisConsent, Retention: "P1Y",
		Recipients: []omadata.Recipient{{Name: "Espoon kaupunki", Names: espooName, Role: omadata.RecipientController}},
	}
	p, err := esp.CreateProcessing(admin, draft)
	if err != nil {
		t.Fatal(err)
	}
	for lang, n := range map[string]*omadata.Notice{
		"fi": {Title: "Espoon kirjaston suositukset", Body: "Espoon kirjasto käyttää lainojasi kirjasuosituksiin vuoden ajan."},
		"sv": {Title: "Esbo biblioteks boktips", Body: "Esbo bibliotek använder dina lån för boktips i ett år."},
		"en": {Title: "Espoo library's recommendations", Body: "Espoo's library uses your loans for book recommendations for a year."},
	} {
		n.Language = lang
		if _, err := esp.PutNotice(admin, p.ID, 1, n); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := esp.PublishVersion(admin, p.ID, 1); err != nil {
		t.Fatal(err)
	}
	storetest.Mirror(t, esp, us)
	storetest.Mirror(t, us, esp) // Espoo knows our peers row once we know Espoo's
	return &peer{esp: esp, us: us, processing: p.ID, sink: sink.ID, loans: loans}
}

// entry reads a processing's public catalogue entry.
func (e *env) entry(t *testing.T, id string) *omadata.CatalogueEntry {
	t.Helper()
	x, err := e.store.FindCatalogueEntry(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// TestNetworkProcessing shows a processing of a sink registered at a peer
// operator (docs/network.md §5.1) in the catalogue, on its public page,
// among the processings asking for consent, on its notice and on the
// consent: each names the operator in the page's language, and the
// notice is the peer's, word for word, with its SHA-256. Consenting to it
// works as to one of ours and binds that hash. The pages are golden, in
// fi, sv and en.
func TestNetworkProcessing(t *testing.T) {
	g, err := glossary.Load(glossary.Path())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	e := newEnv(t, now)
	pr := newPeer(t, e, now)
	entry := e.entry(t, pr.processing)
	if entry.Operator == nil || entry.Operator.ID != "https://espoo.test" {
		t.Fatalf("got operator %+v, want Espoo's processing mirrored", entry.Operator)
	}
	anon := e.client(t)
	c := e.client(t)
	c.login("fi", "matti")

	// Before the consent, the processing asks for it on "My consents".
	for _, lang := range omadata.Languages {
		t.Run(lang+"/network-consents", func(t *testing.T) {
			p := c.get("/" + lang + "/consents")
			if line := msgOf(t, lang, "network.registered-at", espooName[lang]); p.status != 200 || !strings.Contains(p.body, line) {
				t.Fatalf("got %d; the page does not say %q", p.status, line)
			}
			checkGolden(t, g, lang, "network-consents", p.body)
		})
	}
	notice := c.get("/fi/processings/" + pr.processing)
	hash := hiddenValue(t, notice, "notice_sha256")
	var want string
	for _, n := range entry.Notices {
		if n.Language == "fi" {
			want = n.SHA256
		}
	}
	if hash == "" || hash != want {
		t.Fatalf("the notice form binds %q, want the peer's notice hash %q", hash, want)
	}
	given := c.post("/fi/processings/"+pr.processing+"/give", url.Values{"csrf": {notice.csrf(t)}, "version": {"1"}, "notice_sha256": {hash}})
	if given.status != 200 || !strings.Contains(given.url, "/fi/consents/cns_") {
		t.Fatalf("give: got %d at %s", given.status, given.url)
	}
	consent := between(given.url, "/fi", "?")
	got, err := e.store.FindConsentByID(omadata.NewContextWithCaller(context.Background(), omadata.Caller{Kind: omadata.CallerAdmin}), strings.TrimPrefix(consent, "/consents/"))
	if err != nil {
		t.Fatal(err)
	}
	if got.ProcessingID != pr.processing || got.Status != omadata.ConsentGiven || len(got.Records) == 0 || got.Records[len(got.Records)-1].NoticeSHA256 != want {
		t.Fatalf("got consent %+v, want one given on the peer's notice %s", got, want)
	}

	for _, lang := range omadata.Languages {
		pages := []struct {
			name, path string
			c          *client
		}{
			{"network-catalogue", "/catalogue", anon},
			{"network-entry", "/catalogue/" + pr.processing, anon},
			{"network-notice", "/processings/" + pr.processing, c},
			{"network-consent", consent, c},
		}
		for _, pg := range pages {
			t.Run(lang+"/"+pg.name, func(t *testing.T) {
				p := pg.c.get("/" + lang + pg.path)
				if p.status != 200 {
					t.Fatalf("got %d", p.status)
				}
				line := msgOf(t, lang, "network.registered-at", espooName[lang])
				if !strings.Contains(p.body, line) {
					t.Errorf("the page does not say %q", line)
				}
				if pg.name == "network-notice" || pg.name == "network-consent" {
					var n *omadata.Notice
					for _, x := range entry.Notices {
						if x.Language == lang {
							n = x
						}
					}
					if !strings.Contains(p.body, "<code>"+n.SHA256+"</code>") || !strings.Contains(p.body, htmlEscape(n.Body)) {
						t.Errorf("the page does not show the peer's notice %q verbatim with its hash %s", n.Body, n.SHA256)
					}
				}
				checkGolden(t, g, lang, pg.name, p.body)
			})
		}
	}
}

// msgOf is a portal message in lang with its arguments.
func msgOf(t *testing.T, lang, key string, args ...any) string {
	t.Helper()
	m, ok := portal.Messages()[key]
	if !ok {
		t.Fatalf("no message %s", key)
	}
	i := map[string]int{"fi": 0, "sv": 1, "en": 2}[lang]
	return htmlEscape(fmt.Sprintf(m[i], args...))
}

func htmlEscape(s string) string { return template.HTMLEscapeString(s) }
