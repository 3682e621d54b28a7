// SPDX-License-Identifier: Apache-2.0

package portal

import (
	"net/http"
	"strings"

	"github.com/omadata/omadata"
)

// gdprItem is one item of what GDPR Articles 13 and 14 require residents
// be told. IDs are the article, paragraph and point ("13-1-a"), several
// when the item answers both articles; pages mark each item with them in
// a data-gdpr attribute, which the tests read.
type gdprItem struct {
	IDs   string
	Label string
	Lines []gdprLine
}

// gdprLine is a line of an item, a link when Href is set.
type gdprLine struct {
	Text, Href string
}

func line(s string) gdprLine { return gdprLine{Text: s} }

// gdprItems states every item of Art 13(1)-(2) and, since a sink receives
// the data from a source rather than from the resident, of Art 14(1)-(2),
// for a catalogue entry in lang.
func gdprItems(lang string, e *omadata.CatalogueEntry) []gdprItem {
	m := func(key string) string { return msg(lang, key) }
	c := e.Controller
	controller := []gdprLine{line(c.Name.In(lang))}
	if c.Parent != nil {
		controller[0].Text = msgf(lang, "gdpr.division-of", c.Name.In(lang), c.Parent.In(lang))
	}
	if c.BusinessID != "" {
		controller = append(controller, line(msgf(lang, "gdpr.business-id", c.BusinessID)))
	}
	controller = append(controller, contactLines(lang, c.Address, c.Email, c.Phone)...)
	if c.PrivacyPolicyURL != "" {
		controller = append(controller, gdprLine{m("gdpr.privacy-policy"), c.PrivacyPolicyURL})
	}

	dpo := []gdprLine{line(c.DPO.Name)}
	if c.DPO.Email != "" {
		dpo = append(dpo, gdprLine{c.DPO.Email, "mailto:" + c.DPO.Email})
	}
	if c.DPO.Phone != "" {
		dpo = append(dpo, line(c.DPO.Phone))
	}

	basis := m(legalBasisKey(e.LegalBasis))
	if e.Art9Condition != "" {
		basis += "; " + m(legalBasisKey(e.Art9Condition))
	}
	purposes := []gdprLine{line(e.Purpose.Name.In(lang) + ": " + e.Description.In(lang)), line(m("f.basis") + ": " + basis)}
	if e.LegalBasisNote != "" {
		purposes = append(purposes, line(msgf(lang, "gdpr.statute", e.LegalBasisNote)))
	}

	interest := []gdprLine{line(m("gdpr.no-legitimate-interest"))}
	if e.LegalBasis == omadata.BasisLegitimateInterest {
		interest = []gdprLine{line(e.LegitimateInterest.In(lang))}
	}

	recipients := []gdprLine{line(m("gdpr.no-recipients"))}
	if len(e.Recipients) > 0 {
		recipients = nil
		for _, r := range e.Recipients {
			recipients = append(recipients, line(r.NameIn(lang)+" ("+m("gdpr.role."+r.Role)+")"))
		}
	}

	transfers := []gdprLine{line(m("gdpr.no-transfers"))}
	if len(e.Transfers) > 0 {
		transfers = nil
		for _, t := range e.Transfers {
			transfers = append(transfers, line(t.Country+": "+m("gdpr.safeguard."+t.Safeguard)))
		}
	}

	var rights []gdprLine
	for _, r := range e.Rights {
		rights = append(rights, line(m("gdpr.right."+r)))
	}
	rights = append(rights, gdprLine{m("gdpr.rights-how"), "/" + lang + "/requests"})

	withdrawal := []gdprLine{line(m("gdpr.no-withdrawal"))}
	if asksConsent(e) {
		withdrawal = []gdprLine{line(m("gdpr.withdrawal")), {m("page.consents"), "/" + lang + "/consents"}}
	}

	provision := e.ProvisionRequirement
	consequence := e.ProvisionConsequence.In(lang)
	if provision == "" {
		provision = omadata.DefaultProvision(e.LegalBasis)
	}
	if consequence == "" {
		consequence = m("gdpr.consequence." + provision)
	}
	provisionLines := []gdprLine{line(m("gdpr.provision." + provision)), line(consequence)}

	automated := []gdprLine{line(m("gdpr.no-automated"))}
	if e.AutomatedDecisions {
		automated = []gdprLine{line(m("gdpr.automated")), line(e.AutomatedDecisionLogic.In(lang))}
	}
	for _, a := range e.AISystems {
		key := "gdpr.ai-system"
		if a.RiskLevel == "high" {
			key = "gdpr.ai-system-high"
		}
		automated = append(automated, gdprLine{msgf(lang, key, a.Name.In(lang)), "/" + lang + "/ai-systems#" + a.ID})
	}

	var categories, sources []gdprLine
	seen := map[string]bool{}
	for _, g := range e.DataGroups {
		s := g.Name.In(lang)
		if g.SpecialCategory {
			s += " (" + m("special") + ")"
		}
		if len(g.PersonalDataCategories) > 0 {
			// Residents read the categories' names; the codes are in
			// the public catalogue's JSON.
			names := make([]string, len(g.PersonalDataCategories))
			for i, code := range g.PersonalDataCategories {
				names[i] = omadata.PersonalDataCategoryName(code, lang)
			}
			s += " – " + strings.Join(names, ", ")
		}
		categories = append(categories, line(s))
		src := msgf(lang, "gdpr.source", g.Source.Name.In(lang), g.Source.Organisation.Name.In(lang))
		if !seen[src] {
			seen[src] = true
			sources = append(sources, line(src))
		}
	}

	return []gdprItem{
		{"13-1-a 14-1-a", m("gdpr.controller"), controller},
		{"13-1-b 14-1-b", m("gdpr.dpo"), dpo},
		{"13-1-c 14-1-c", m("gdpr.purposes"), purposes},
		{"13-1-d 14-2-b", m("gdpr.legitimate-interest"), interest},
		{"14-1-d", m("gdpr.categories"), categories},
		{"14-2-f", m("gdpr.sources"), sources},
		{"13-1-e 14-1-e", m("f.recipients"), recipients},
		{"13-1-f 14-1-f", m("gdpr.transfers"), transfers},
		{"13-2-a 14-2-a", m("f.retention"), []gdprLine{line(formatPeriod(lang, e.Retention))}},
		{"13-2-b 14-2-c", m("gdpr.rights"), rights},
		{"13-2-c 14-2-d", m("gdpr.withdraw"), withdrawal},
		{"13-2-d 14-2-e", m("gdpr.complaint"), authorityLines(lang)},
		{"13-2-e", m("gdpr.provision"), provisionLines},
		{"13-2-f 14-2-g", m("gdpr.automated-label"), automated},
	}
}

func contactLines(lang string, a omadata.Address, email, phone string) []gdprLine {
	var out []gdprLine
	if s := strings.TrimSpace(strings.Join(nonEmpty(a.Street, strings.TrimSpace(a.PostalCode+" "+a.City)), ", ")); s != "" {
		out = append(out, line(s))
	}
	if email != "" {
		out = append(out, gdprLine{email, "mailto:" + email})
	}
	if phone != "" {
		out = append(out, line(phone))
	}
	return out
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// authorityLines name the supervisory authority, where to write and its
// site.
func authorityLines(lang string) []gdprLine {
	a := omadata.SupervisoryAuthority
	return []gdprLine{line(msg(lang, "gdpr.complaint-text")), line(a.Name.In(lang)), line(a.Address.In(lang)), {a.URL, a.URL}}
}

// entryData is what a processing's public page shows.
type entryData struct {
	Entry *omadata.CatalogueEntry
	GDPR  []gdprItem
}

// entry is a processing's public page: what the catalogue says of it and
// every item Articles 13 and 14 require.
func (p *Portal) entry(w http.ResponseWriter, r *http.Request, q *req) error {
	e, err := p.o.Catalogue.FindCatalogueEntry(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	sortRecipients(e.Recipients)
	p.render(w, r, q, http.StatusOK, "entry", e.Title.In(q.Lang), &entryData{Entry: e, GDPR: gdprItems(q.Lang, e)})
	return nil
}

// Operator names who runs the operator, for the notice of its own
// processing: signing residents in with their identity code, and its logs.
type Operator struct {
	Name       string
	BusinessID string
	Email      string
	// DPOEmail reaches the operator's data protection officer; empty
	// means through Email.
	DPOEmail string
}

// operatorItems states the items of Articles 13 and 14 for the operator's
// own processing.
func (p *Portal) operatorItems(lang string) []gdprItem {
	m := func(key string) string { return msg(lang, key) }
	o := p.o.Operator
	controller := []gdprLine{line(o.Name)}
	if o.BusinessID != "" {
		controller = append(controller, line(msgf(lang, "gdpr.business-id", o.BusinessID)))
	}
	if o.Email != "" {
		controller = append(controller, gdprLine{o.Email, "mailto:" + o.Email})
	}
	dpo := []gdprLine{line(m("op.dpo-none"))}
	if o.DPOEmail != "" {
		dpo = []gdprLine{{o.DPOEmail, "mailto:" + o.DPOEmail}}
	}
	rights := []gdprLine{}
	for _, r := range omadata.RightsFor(omadata.BasisPublicTask, "") {
		rights = append(rights, line(m("gdpr.right."+r)))
	}
	rights = append(rights, gdprLine{m("gdpr.rights-how"), "/" + lang + "/requests"})
	return []gdprItem{
		{"13-1-a 14-1-a", m("gdpr.controller"), controller},
		{"13-1-b 14-1-b", m("gdpr.dpo"), dpo},
		{"13-1-c 14-1-c", m("gdpr.purposes"), []gdprLine{line(m("op.purposes")), line(m("op.basis")), line(msgf(lang, "gdpr.statute", m("op.statute")))}},
		{"13-1-d 14-2-b", m("gdpr.legitimate-interest"), []gdprLine{line(m("gdpr.no-legitimate-interest"))}},
		{"14-1-d", m("gdpr.categories"), []gdprLine{line(m("op.categories"))}},
		{"14-2-f", m("gdpr.sources"), []gdprLine{line(m("op.sources"))}},
		{"13-1-e 14-1-e", m("f.recipients"), []gdprLine{line(m("op.recipients")), {m("page.catalogue"), "/" + lang + "/catalogue"}}},
		{"13-1-f 14-1-f", m("gdpr.transfers"), []gdprLine{line(m("gdpr.no-transfers"))}},
		{"13-2-a 14-2-a", m("f.retention"), []gdprLine{line(m("op.retention"))}},
		{"13-2-b 14-2-c", m("gdpr.rights"), rights},
		{"13-2-c 14-2-d", m("gdpr.withdraw"), []gdprLine{line(m("gdpr.no-withdrawal"))}},
		{"13-2-d 14-2-e", m("gdpr.complaint"), authorityLines(lang)},
		{"13-2-e", m("gdpr.provision"), []gdprLine{line(m("op.provision"))}},
		{"13-2-f 14-2-g", m("gdpr.automated-label"), []gdprLine{line(m("gdpr.no-automated"))}},
	}
}

// privacy is the operator's own privacy notice, public.
func (p *Portal) privacy(w http.ResponseWriter, r *http.Request, q *req) error {
	p.render(w, r, q, http.StatusOK, "privacy", msg(q.Lang, "page.privacy"), p.operatorItems(q.Lang))
	return nil
}
