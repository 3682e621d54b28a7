// SPDX-License-Identifier: Apache-2.0

package demo

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/omadata/omadata"
)

// The demo network (omadata demo network, docs/network.md "Try it"): each
// city runs an operator of its own, on its own database, with its own part
// of the demo catalogue and its own residents. A processing of one city's
// sink that uses another city's data groups is created once the city's
// operator has mirrored the other's catalogue (LoadNetwork), and the demo
// residents' cross-city consent and release follow once the operators have
// told each other (LoadNetworkConsents, LoadNetworkGrants).
const (
	CityHelsinki = "helsinki"
	CityEspoo    = "espoo"
	CityTurku    = "turku"
)

// Cities are the demo network's cities, in the order their operators
// start.
func Cities() []string { return []string{CityHelsinki, CityEspoo, CityTurku} }

// ValidCity reports whether city names a city of the demo network.
func ValidCity(city string) bool { return slices.Contains(Cities(), city) }

// CityName is the name of a city's operator in the network, in fi, sv and
// en; nil for an unknown city.
func CityName(city string) omadata.Text {
	switch city {
	case CityHelsinki:
		return text("Helsingin kaupunki", "Helsingfors stad", "City of Helsinki")
	case CityEspoo:
		return text("Espoon kaupunki", "Esbo stad", "City of Espoo")
	case CityTurku:
		return text("Turun kaupunki", "Åbo stad", "City of Turku")
	}
	return nil
}

// CityBusinessID is the business ID of the city that runs the city's
// operator; "" for an unknown city.
func CityBusinessID(city string) string {
	for _, o := range organisations() {
		if o.key == city {
			return o.org.BusinessID
		}
	}
	return ""
}

// networkProcessing is the code of the demo network's cross-city
// processing on consent: Espoo's sports services use a Helsinki
// resident's Helsinki sports cards.
const networkProcessing = "helsinki-sports-card"

// networkServices are the services only the demo network has: a sink
// whose processing uses another city's data (a single demo operator keeps
// the catalogue it always had).
func networkServices() []serviceSpec {
	return []serviceSpec{
		{key: "espoo-sports", org: "espoo", svc: omadata.Service{Roles: []string{omadata.RoleSink},
			Name: text("Espoon liikuntapalvelut", "Idrottstjänsterna i Esbo", "Espoo sports services"),
			Description: text("Espoon uimahallit, kuntosalit ja liikuntakurssit.",
				"Simhallarna, gymmen och motionskurserna i Esbo.",
				"Espoo's swimming halls, gyms and sports courses.")}},
	}
}

// networkProcessings are the demo network's processings that cross a city
// border on a resident's consent.
func networkProcessings() []processingSpec {
	return []processingSpec{
		{service: "espoo-sports", purpose: "provider-transfer", groups: []string{"sports-services"},
			d: omadata.ProcessingDraft{
				Code:  networkProcessing,
				Title: text("Helsingin liikuntakortti Espoon liikuntapaikoilla", "Helsingfors motionskort i Esbos idrottsanläggningar", "Your Helsinki sports card at Espoo's sports facilities"),
				Description: text(
					"Espoon liikuntapalvelut saa Helsingin liikuntapalveluilta voimassa olevat liikuntakorttisi, jotta voit käyttää niitä Espoon uimahalleissa ja kuntosaleilla.",
					"Idrottstjänsterna i Esbo får dina giltiga motionskort från idrottstjänsterna i Helsingfors, så att du kan använda dem i simhallarna och gymmen i Esbo.",
					"Espoo sports services receive your valid sports cards from Helsinki sports services, so that you can use them at Espoo's swimming halls and gyms."),
				LegalBasis: omadata.BasisConsent,
				Retention:  "P1Y",
				Transparency: omadata.Transparency{
					ProvisionRequirement: omadata.ProvisionVoluntary,
					ProvisionConsequence: text(
						"Jos et anna suostumusta, voit käyttää Espoon liikuntapaikkoja ostamalla Espoon oman liikuntakortin.",
						"Om du inte ger ditt samtycke kan du använda idrottsanläggningarna i Esbo genom att köpa ett eget motionskort i Esbo.",
						"If you do not consent, you can use Espoo's sports facilities by buying an Espoo sports card of their own."),
				},
				Recipients: []omadata.Recipient{{Name: "Espoon kaupunki", Names: text("Espoon kaupunki", "Esbo stad", "City of Espoo"), Role: omadata.RecipientController}},
			},
			notices: notices(
				"Helsingin liikuntakorttisi Espoon liikuntapaikoille",
				"Espoon kaupungin liikuntapalvelut saa suostumuksellasi Helsingin kaupungilta tiedot voimassa olevista liikuntakorteistasi ja liikuntapaikkojen vakiovuoroistasi. "+
					"Espoo käyttää tietoja, jotta voit käyttää Helsingin liikuntakorttiasi Espoon uimahalleissa ja kuntosaleilla. "+
					"Käsittely perustuu suostumukseesi (EU:n tietosuoja-asetuksen 6 artiklan 1 kohdan a alakohta). "+
					"Espoo säilyttää tiedot enintään vuoden ja poistaa ne, kun peruutat suostumuksesi. "+
					"Voit peruuttaa suostumuksesi milloin tahansa OmaData-palvelussa; peruutus ei vaikuta sitä ennen tehdyn käsittelyn lainmukaisuuteen.",
				"Ditt motionskort från Helsingfors i Esbos idrottsanläggningar",
				"Idrottstjänsterna vid Esbo stad får med ditt samtycke uppgifter från Helsingfors stad om dina giltiga motionskort och dina fasta turer i idrottsanläggningar. "+
					"Esbo använder uppgifterna så att du kan använda ditt motionskort från Helsingfors i simhallarna och gymmen i Esbo. "+
					"Behandlingen grundar sig på ditt samtycke (artikel 6.1 a i EU:s dataskyddsförordning). "+
					"Esbo sparar uppgifterna högst ett år och raderar dem när du återkallar ditt samtycke. "+
					"Du kan när som helst återkalla ditt samtycke i MinData-tjänsten; återkallandet påverkar inte lagligheten i behandlingen innan dess.",
				"Your Helsinki sports card at Espoo's sports facilities",
				"With your consent, the City of Espoo's sports services receive from the City of Helsinki your valid sports cards and your regular bookings of sports facilities. "+
					"Espoo uses the data so that you can use your Helsinki sports card at Espoo's swimming halls and gyms. "+
					"The processing rests on your consent (GDPR Article 6(1)(a)). "+
					"Espoo keeps the data for at most one year and deletes it when you withdraw your consent. "+
					"You can withdraw your consent at any time in the MyData service; withdrawal does not affect processing done before it.",
			)},
	}
}

// cityContent is the part of the demo catalogue that city's operator
// holds, "" the whole catalogue of a single demo operator. A processing or
// register entry of the city's that uses another city's data groups goes
// to network, for LoadNetwork.
func cityContent(city string) catalogue {
	c := content()
	if city == "" {
		return c
	}
	orgs, svcs, groups := map[string]bool{}, map[string]bool{}, map[string]bool{}
	var out catalogue
	for _, o := range c.organisations {
		if o.city == city {
			orgs[o.key] = true
			out.organisations = append(out.organisations, o)
		}
	}
	for _, s := range append(c.services, networkServices()...) {
		if orgs[s.org] {
			svcs[s.key] = true
			out.services = append(out.services, s)
		}
	}
	for _, g := range c.dataGroups {
		if svcs[g.service] {
			groups[g.g.Code] = true
			out.dataGroups = append(out.dataGroups, g)
		}
	}
	local := func(codes []string) bool {
		return !slices.ContainsFunc(codes, func(code string) bool { return !groups[code] })
	}
	procs := map[string]bool{}
	for _, p := range append(c.processings, networkProcessings()...) {
		switch {
		case !svcs[p.service]:
		case local(p.groups):
			procs[p.d.Code] = true
			out.processings = append(out.processings, p)
		default:
			out.network.processings = append(out.network.processings, p)
		}
	}
	for _, a := range c.aiSystems {
		switch {
		case !orgs[a.org]:
		case local(a.groups) && !slices.ContainsFunc(a.processings, func(code string) bool { return !procs[code] }):
			out.aiSystems = append(out.aiSystems, a)
		default:
			out.network.aiSystems = append(out.network.aiSystems, a)
		}
	}
	switch city {
	case CityHelsinki:
		out.tokenService, out.tokenSource = "kirjasuositus", "helmet"
	case CityEspoo:
		out.tokenService, out.tokenSource = "espoo-sports", "espoo-ece"
	case CityTurku:
		out.tokenService = "wellbeing-study"
	}
	return out
}

// cityPeople are the demo network's residents of Espoo and Turku; the
// residents of Helsinki are the single demo operator's (People). Sanna
// Mäkinen's account is still at Helsinki: she is moving to Espoo.
var cityPeople = map[string][]Person{
	CityEspoo: {{Key: "eero", Name: "Eero Nieminen", IdentityCode: "140688-961K", About: omadata.Text{
		"fi": "Aikuinen espoolainen.",
		"sv": "Vuxen esbobo.",
		"en": "An adult living in Espoo.",
	}}},
	CityTurku: {{Key: "liisa", Name: "Liisa Saarinen", IdentityCode: "270592-972J", About: omadata.Text{
		"fi": "Aikuinen turkulainen.",
		"sv": "Vuxen åbobo.",
		"en": "An adult living in Turku.",
	}}},
}

// CityPeople are the residents a city's demo operator offers to sign in
// as; "" or Helsinki: People.
func CityPeople(city string) []Person {
	if p, ok := cityPeople[city]; ok {
		return slices.Clone(p)
	}
	return People()
}

// CityAllPeople are the residents of a city's demo operator, with the
// children who cannot sign in: everyone its sources hold data about.
func CityAllPeople(city string) []Person {
	if p, ok := cityPeople[city]; ok {
		return slices.Clone(p)
	}
	return AllPeople()
}

// LoadNetwork creates the processings and register entries of the city's
// operator (res, from LoadCity) that use data groups of another city's
// sources, those whose data groups the operator now mirrors, and returns
// how many still wait for a peer's catalogue. A caller runs it until it
// returns 0: after the operator's first catalogue sync. Like Load it is
// idempotent and acts as an operator admin.
func LoadNetwork(ctx context.Context, s Services, res *Result) (int, error) {
	ctx = omadata.NewContextWithCaller(ctx, omadata.Caller{Kind: omadata.CallerAdmin})
	n := res.network
	if len(n.processings) == 0 && len(n.aiSystems) == 0 {
		return 0, nil
	}
	groups, err := omadata.All(func(after string) ([]*omadata.DataGroup, string, error) {
		return s.DataGroups.FindDataGroups(ctx, omadata.DataGroupFilter{After: after, Limit: 200})
	})
	if err != nil {
		return 0, fmt.Errorf("find data groups: %w", err)
	}
	for _, g := range groups {
		if _, ok := res.IDs["data-group/"+g.Code]; !ok {
			res.IDs["data-group/"+g.Code] = g.ID
		}
	}
	known := func(kind string, keys []string) bool {
		return !slices.ContainsFunc(keys, func(k string) bool { _, ok := res.IDs[kind+"/"+k]; return !ok })
	}
	l := &loader{s: s, res: res}
	pending := 0
	for _, p := range n.processings {
		if !known("data-group", p.groups) {
			pending++
		} else if err := l.processing(ctx, p); err != nil {
			return pending, fmt.Errorf("demo processing %s: %w", p.d.Code, err)
		}
	}
	for _, a := range n.aiSystems {
		if !known("data-group", a.groups) || !known("processing", a.processings) {
			pending++
		} else if err := l.aiSystem(ctx, a); err != nil {
			return pending, fmt.Errorf("demo AI system %s: %w", a.key, err)
		}
	}
	return pending, nil
}

// networkConsents are the demo network's cross-city consents: a resident
// of the city consents, at the city's operator, to a processing of a sink
// registered at another city's operator, found in the mirrored catalogue
// by its English title.
var networkConsents = []struct {
	city, person, title string
}{
	{CityHelsinki, "aino", "Your Helsinki sports card at Espoo's sports facilities"},
}

// LoadNetworkConsents gives the city's demo residents' consents to the
// processings of other cities' sinks once the operator mirrors them, and
// returns how many still wait for a peer's catalogue. A consent given
// before (in any status) is left alone.
func LoadNetworkConsents(ctx context.Context, s ActivityServices, city string) (int, error) {
	admin := omadata.NewContextWithCaller(ctx, omadata.Caller{Kind: omadata.CallerAdmin})
	pending := 0
	for _, nc := range networkConsents {
		if nc.city != city {
			continue
		}
		var entry *omadata.CatalogueEntry
		entries, err := omadata.All(func(after string) ([]*omadata.CatalogueEntry, string, error) {
			return s.Catalogue.FindCatalogue(ctx, omadata.CatalogueFilter{After: after, Limit: 200})
		})
		if err != nil {
			return pending, fmt.Errorf("demo catalogue: %w", err)
		}
		for _, e := range entries {
			if e.Title["en"] == nc.title && e.Operator != nil {
				entry = e
			}
		}
		if entry == nil {
			pending++
			continue
		}
		r, err := s.Residents.FindResidentByIdentityCode(admin, personCode(nc.person))
		if err != nil {
			return pending, fmt.Errorf("demo resident %s: %w", nc.person, err)
		}
		self := omadata.NewContextWithCaller(ctx, omadata.Caller{Kind: omadata.CallerResident, ResidentID: r.ID, Channel: omadata.ChannelPortal})
		have, _, err := s.Consents.FindConsents(self, omadata.ConsentFilter{ResidentID: &r.ID, ProcessingID: &entry.ProcessingID, Limit: 1})
		if err != nil {
			return pending, fmt.Errorf("demo consents of %s: %w", nc.person, err)
		} else if len(have) > 0 {
			continue
		}
		in := &omadata.ConsentInput{ProcessingID: entry.ProcessingID, Version: entry.Version, Language: "fi", CollectionMethod: omadata.CollectedPortal}
		for _, n := range entry.Notices {
			if n.Language == "fi" {
				in.NoticeSHA256 = n.SHA256
			}
		}
		if _, err := s.Consents.GiveConsent(self, in); err != nil {
			return pending, fmt.Errorf("demo consent of %s to %q: %w", nc.person, nc.title, err)
		}
	}
	return pending, nil
}

// LoadNetworkGrants asks, as the city's demo sinks, for a grant for each
// resident of another city who consented to one of their cross-city
// processings (res, from LoadCity and LoadNetwork): the sink learns of the
// consent from its consent events (the webhook deliveries the home
// operator's consent event made, docs/network.md §5.2), under its own
// pseudonym, and its operator relays the grant request to the resident's
// home operator, which decides and issues the grant (§5.4). It returns how
// many grants it got; each consent is asked for once per Result.
func LoadNetworkGrants(ctx context.Context, s ActivityServices, res *Result) (int, error) {
	admin := omadata.NewContextWithCaller(ctx, omadata.Caller{Kind: omadata.CallerAdmin})
	if res.granted == nil {
		res.granted = map[string]bool{}
	}
	got := 0
	for _, p := range res.network.processings {
		procID, ok := res.IDs["processing/"+p.d.Code]
		if p.d.LegalBasis != omadata.BasisConsent || !ok {
			continue // not on consent, or not created yet
		}
		sink := res.IDs["service/"+p.service]
		events, err := omadata.All(func(after string) ([]*omadata.Delivery, string, error) {
			return s.Events.FindDeliveries(admin, omadata.DeliveryFilter{ServiceID: &sink, After: after, Limit: 200})
		})
		if err != nil {
			return got, fmt.Errorf("demo consent events of %s: %w", p.service, err)
		}
		// The latest status of each consent to the processing.
		status, pseudonyms := map[string]string{}, map[string]string{}
		for _, d := range events {
			var ce struct {
				Data struct {
					ConsentID    string `json:"consent_id"`
					ProcessingID string `json:"processing_id"`
					Pseudonym    string `json:"pseudonym"`
					Status       string `json:"status"`
				} `json:"data"`
			}
			if json.Unmarshal(d.Payload, &ce) != nil || ce.Data.ProcessingID != procID || ce.Data.ConsentID == "" {
				continue
			}
			status[ce.Data.ConsentID], pseudonyms[ce.Data.ConsentID] = ce.Data.Status, ce.Data.Pseudonym
		}
		var entry *omadata.CatalogueEntry
		for consentID, st := range status {
			if st != omadata.ConsentGiven || res.granted[consentID] {
				continue
			}
			if entry == nil {
				if entry, err = s.Catalogue.FindCatalogueEntry(ctx, procID); err != nil {
					return got, fmt.Errorf("demo processing %s: %w", p.d.Code, err)
				}
			}
			bySource := map[string][]string{}
			for _, g := range entry.DataGroups {
				bySource[g.Source.ID] = append(bySource[g.Source.ID], g.ID)
			}
			sum := sha256.Sum256([]byte("omadata demo sink key " + consentID))
			asSink := omadata.NewContextWithCaller(ctx, omadata.Caller{Kind: omadata.CallerService, ServiceID: sink, Scopes: []string{omadata.ScopeGrants}})
			for source, groups := range bySource {
				g, err := s.Grants.IssueGrant(asSink, &omadata.GrantInput{SourceID: source, Pseudonym: pseudonyms[consentID], DataGroupIDs: groups,
					PurposeID: entry.Purpose.ID, JKT: base64.RawURLEncoding.EncodeToString(sum[:])})
				if err != nil {
					return got, fmt.Errorf("demo grant for %s: %w", p.d.Code, err)
				} else if g.ID == "" {
					return got, fmt.Errorf("demo grant for %s denied: %s", p.d.Code, g.Decision.Reason)
				}
				got++
			}
			res.granted[consentID] = true
		}
	}
	return got, nil
}

// personCode is the identity code of a demo person of any city.
func personCode(key string) string {
	for _, p := range AllPeople() {
		if p.Key == key {
			return p.IdentityCode
		}
	}
	for _, ps := range cityPeople {
		for _, p := range ps {
			if p.Key == key {
				return p.IdentityCode
			}
		}
	}
	return ""
}
