// SPDX-License-Identifier: Apache-2.0

package api

import (
	"cmp"
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/web/respond"
)

// DCATPath is where the public catalogue is served as DCAT-AP 3 JSON-LD.
const DCATPath = "/api/v1/public/dcat"

// IRIs of the vocabularies the DCAT document uses (DCAT-AP 3.0, §5 "Used
// vocabularies"; the EU Publications Office's authority tables).
const (
	dcatAccessNonPublic = "http://publications.europa.eu/resource/authority/access-right/NON_PUBLIC"
	euLanguage          = "http://publications.europa.eu/resource/authority/language/"
	dcatAPProfile       = "http://data.europa.eu/r5r/"
)

// dcatContext names the prefixes the document's compact IRIs use. It is
// inline, so that a harvester needs no remote context.
var dcatContext = map[string]string{
	"dcat":  "http://www.w3.org/ns/dcat#",
	"dct":   "http://purl.org/dc/terms/",
	"foaf":  "http://xmlns.com/foaf/0.1/",
	"vcard": "http://www.w3.org/2006/vcard/ns#",
	"dpv":   omadata.DPVBase,
}

// node is one JSON-LD node object; encoding/json writes its members in
// key order, so the document is the same bytes for the same catalogue.
type node map[string]any

func iri(s string) node { return node{"@id": s} }

// langText is a Text as language-tagged literals (fi, sv, en).
func langText(t omadata.Text) []node {
	var out []node
	for _, lang := range omadata.Languages {
		if s := t[lang]; s != "" {
			out = append(out, node{"@value": s, "@language": lang})
		}
	}
	return out
}

// getDCAT serves the public catalogue as DCAT-AP 3 JSON-LD
// (docs/catalogue.md, "DCAT-AP"): the operator's dcat:Catalog, each data
// group of an approved source a dcat:Dataset, and each published
// processing a dpv:Process that references the datasets it uses.
// Processings mirrored from a peer operator are the peer's to publish and
// are left out, with the peer's sources and data groups.
func (h *Handler) getDCAT(w http.ResponseWriter, r *http.Request) error {
	doc, err := h.dcatDocument(r.Context())
	if err != nil {
		return err
	}
	respond.ConditionalJSON(w, r, "application/ld+json", doc)
	return nil
}

// dcatCatalogue is what the DCAT document is built from: the public
// records as the anonymous caller sees them.
type dcatCatalogue struct {
	organisations map[string]*omadata.Organisation
	sources       map[string]*omadata.Service // approved sources of this operator
	groups        []*omadata.DataGroup
	entries       []*omadata.CatalogueEntry
}

func (h *Handler) readDCATCatalogue(ctx context.Context) (*dcatCatalogue, error) {
	c := &dcatCatalogue{organisations: map[string]*omadata.Organisation{}, sources: map[string]*omadata.Service{}}
	for after := ""; ; {
		page, next, err := h.Organisations.FindOrganisations(ctx, omadata.OrganisationFilter{After: after, Limit: maxLimit})
		if err != nil {
			return nil, err
		}
		for _, o := range page {
			c.organisations[o.ID] = o
		}
		if after = next; next == "" {
			break
		}
	}
	role, status := omadata.RoleSource, omadata.ServiceApproved
	for after := ""; ; {
		page, next, err := h.Services.FindServices(ctx, omadata.ServiceFilter{Role: &role, Status: &status, After: after, Limit: maxLimit})
		if err != nil {
			return nil, err
		}
		for _, s := range page {
			if s.Operator == nil && s.Status == omadata.ServiceApproved && slices.Contains(s.Roles, omadata.RoleSource) {
				c.sources[s.ID] = s
			}
		}
		if after = next; next == "" {
			break
		}
	}
	for after := ""; ; {
		page, next, err := h.DataGroups.FindDataGroups(ctx, omadata.DataGroupFilter{After: after, Limit: maxLimit})
		if err != nil {
			return nil, err
		}
		for _, g := range page {
			if c.sources[g.ServiceID] != nil {
				c.groups = append(c.groups, g)
			}
		}
		if after = next; next == "" {
			break
		}
	}
	for after := ""; ; {
		page, next, err := h.Catalogue.FindCatalogue(ctx, omadata.CatalogueFilter{After: after, Limit: maxLimit})
		if err != nil {
			return nil, err
		}
		for _, e := range page {
			if e.Operator == nil {
				c.entries = append(c.entries, e)
			}
		}
		if after = next; next == "" {
			break
		}
	}
	// IDs are random: order by what a reader sees, so that the same
	// catalogue is the same bytes whatever IDs it was given.
	slices.SortFunc(c.groups, func(a, b *omadata.DataGroup) int {
		return cmp.Or(cmp.Compare(a.Code, b.Code), cmp.Compare(a.ID, b.ID))
	})
	slices.SortFunc(c.entries, func(a, b *omadata.CatalogueEntry) int {
		return cmp.Or(cmp.Compare(a.Title.In("fi"), b.Title.In("fi")), cmp.Compare(a.ProcessingID, b.ProcessingID))
	})
	return c, nil
}

// dcatDocument builds the JSON-LD document. Its IRIs are the operator's
// public URLs: the document itself with a fragment for the catalogue, its
// datasets and agents, and a processing's public catalogue entry for the
// processing, which dereferences to its JSON.
func (h *Handler) dcatDocument(ctx context.Context) (node, error) {
	c, err := h.readDCATCatalogue(ctx)
	if err != nil {
		return nil, err
	}
	base := strings.TrimSuffix(h.PublicURL, "/")
	doc := base + DCATPath
	operatorName := h.OperatorName
	if operatorName == "" {
		operatorName = base
	}
	agentID := func(orgID string) string { return doc + "#" + orgID }
	datasetID := func(groupID string) string { return doc + "#" + groupID }
	processingID := func(id string) string { return base + "/api/v1/public/catalogue/" + id }

	operator := node{
		"@id":           doc + "#operator",
		"@type":         "foaf:Agent",
		"foaf:name":     operatorName,
		"foaf:homepage": iri(base + "/"),
	}
	// The one interface through which every dataset is reached: the
	// operator's API, which releases a data group to a sink only under a
	// decision and a grant (DCAT-AP 3.0 "Data Service": dct:title and
	// dcat:endpointURL mandatory).
	service := node{
		"@id":   doc + "#api",
		"@type": "dcat:DataService",
		"dct:title": langText(omadata.Text{
			"fi": "OmaData-luovutusrajapinta",
			"sv": "MinData-gränssnitt för utlämning",
			"en": "MyData release API",
		}),
		"dct:description": langText(omadata.Text{
			"fi": "Tietolähde luovuttaa tietoryhmän vain luovutusluvalla, jonka operaattori myöntää asukkaan suostumuksen tai muun oikeusperusteen nojalla.",
			"sv": "En datakälla lämnar ut en datagrupp endast med ett utlämningstillstånd som operatören beviljar på grund av invånarens samtycke eller en annan rättslig grund.",
			"en": "A data source releases a data group only under a grant the operator issues on the resident's consent or another legal basis.",
		}),
		"dcat:endpointURL":         iri(base + "/api/v1"),
		"dcat:endpointDescription": iri(base + "/openapi.json"),
		"dct:accessRights":         iri(dcatAccessNonPublic),
		"dct:publisher":            iri(operator["@id"].(string)),
	}
	catalogue := node{
		"@id":   doc + "#catalogue",
		"@type": "dcat:Catalog",
		"dct:title": langText(omadata.Text{
			"fi": operatorName + ": tietoryhmät ja niiden käsittelyt",
			"sv": operatorName + ": datagrupper och deras behandlingar",
			"en": operatorName + ": data groups and their processings",
		}),
		"dct:description": langText(omadata.Text{
			"fi": "Mitä henkilötietoja tietolähteet pitävät (tietoryhmät) ja mihin käyttötarkoituksiin ja millä oikeusperusteella niitä käsitellään. Tiedot eivät ole avoimia: ne luovutetaan vain asukkaan suostumuksella tai muulla oikeusperusteella.",
			"sv": "Vilka personuppgifter datakällorna har (datagrupper) och för vilka ändamål och på vilken rättslig grund de behandlas. Uppgifterna är inte öppna: de lämnas ut endast med invånarens samtycke eller på en annan rättslig grund.",
			"en": "Which personal data the data sources hold (data groups), and for which purposes and on which legal basis they are processed. The data are not open: they are released only on the resident's consent or another legal basis.",
		}),
		"dct:publisher":  iri(operator["@id"].(string)),
		"dct:language":   []node{iri(euLanguage + "FIN"), iri(euLanguage + "SWE"), iri(euLanguage + "ENG")},
		"dct:conformsTo": iri(dcatAPProfile),
		"foaf:homepage":  iri(base + "/"),
		"dcat:service":   []node{iri(service["@id"].(string))},
	}
	graph := []node{catalogue, operator, service}

	// Agents: the organisations of the sources and of the sinks, once.
	agents := map[string]bool{}
	agent := func(orgID string) node {
		if !agents[orgID] {
			agents[orgID] = true
			if o := c.organisations[orgID]; o != nil {
				a := node{
					"@id":       agentID(o.ID),
					"@type":     "foaf:Agent",
					"foaf:name": langText(o.Name),
				}
				if o.Website != "" {
					a["foaf:homepage"] = iri(o.Website)
				}
				graph = append(graph, a)
			}
		}
		return iri(agentID(orgID))
	}

	// Which processings use which data group, so that a dataset names them.
	usedBy := map[string][]string{}
	for _, e := range c.entries {
		for _, g := range e.DataGroups {
			usedBy[g.ID] = append(usedBy[g.ID], processingID(e.ProcessingID))
		}
	}

	var datasets []node
	for _, g := range c.groups {
		src := c.sources[g.ServiceID]
		ds := node{
			"@id":              datasetID(g.ID),
			"@type":            "dcat:Dataset",
			"dct:identifier":   g.ID,
			"dct:title":        langText(g.Name),
			"dct:description":  langText(g.Description),
			"dct:publisher":    agent(src.OrganisationID),
			"dct:accessRights": iri(dcatAccessNonPublic),
			"dcat:keyword":     []node{{"@value": g.Code}},
			"dcat:distribution": []node{{
				"@type":              "dcat:Distribution",
				"dcat:accessURL":     iri(base + "/api/v1"),
				"dcat:accessService": iri(service["@id"].(string)),
				"dct:accessRights":   iri(dcatAccessNonPublic),
			}},
		}
		if o := c.organisations[src.OrganisationID]; o != nil {
			ds["dcat:contactPoint"] = contactPoint(o)
		}
		var subjects []node
		for _, pd := range g.PersonalDataCategories {
			subjects = append(subjects, iri(omadata.PDBase+strings.TrimPrefix(pd, "pd:")))
		}
		if len(subjects) > 0 {
			ds["dct:subject"] = subjects
		}
		if refs := usedBy[g.ID]; len(refs) > 0 {
			var ns []node
			for _, ref := range refs {
				ns = append(ns, iri(ref))
			}
			ds["dct:isReferencedBy"] = ns
		}
		graph = append(graph, ds)
		datasets = append(datasets, iri(datasetID(g.ID)))
	}
	if datasets == nil {
		datasets = []node{}
	}
	catalogue["dcat:dataset"] = datasets
	service["dcat:servesDataset"] = datasets

	// A published processing is not a dataset nor an interface: it is a
	// use of the datasets, described with the Data Privacy Vocabulary
	// (docs/catalogue.md, "DCAT-AP").
	for _, e := range c.entries {
		p := node{
			"@id":                   processingID(e.ProcessingID),
			"@type":                 "dpv:Process",
			"dct:identifier":        e.ProcessingID,
			"dct:title":             langText(e.Title),
			"dct:description":       langText(e.Description),
			"dpv:hasDataController": agent(e.Controller.ID),
			"dpv:hasLegalBasis":     iri(e.LegalBasisIRI),
			"foaf:page":             iri(base + "/fi/catalogue/" + e.ProcessingID),
		}
		var purposes, uses []node
		for _, dp := range e.Purpose.DPVPurposes {
			purposes = append(purposes, iri(omadata.DPVBase+strings.TrimPrefix(dp, "dpv:")))
		}
		if len(purposes) > 0 {
			p["dpv:hasPurpose"] = purposes
		}
		for _, g := range e.DataGroups {
			uses = append(uses, iri(datasetID(g.ID)))
		}
		p["dct:references"] = uses
		graph = append(graph, p)
	}
	return node{"@context": dcatContext, "@graph": graph}, nil
}

// contactPoint is an organisation's contact as a vCard (DCAT-AP 3.0
// "Kind": vcard:fn and vcard:hasEmail).
func contactPoint(o *omadata.Organisation) node {
	cp := node{
		"@type":    "vcard:Organization",
		"vcard:fn": langText(o.Name),
	}
	if o.Email != "" {
		cp["vcard:hasEmail"] = iri("mailto:" + o.Email)
	}
	if o.Website != "" {
		cp["vcard:hasURL"] = iri(o.Website)
	}
	return cp
}
