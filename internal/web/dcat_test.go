// SPDX-License-Identifier: Apache-2.0

package web_test

import (
	"encoding/json"
	"flag"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/piprate/json-gold/ld"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
	"github.com/omadata/omadata/internal/store/storetest"
)

var updateDCAT = flag.Bool("update-dcat", false, "rewrite testdata/dcat.golden with the DCAT document got (review the diff!)")

// IRIs the DCAT-AP 3.0 checks name.
const (
	dcatNS     = "http://www.w3.org/ns/dcat#"
	dctNS      = "http://purl.org/dc/terms/"
	foafNS     = "http://xmlns.com/foaf/0.1/"
	vcardNS    = "http://www.w3.org/2006/vcard/ns#"
	rdfType    = "@type"
	nonPublic  = "http://publications.europa.eu/resource/authority/access-right/NON_PUBLIC"
	dcatDocURL = "https://omadata.example.fi/api/v1/public/dcat"
)

// ldGraph is an expanded JSON-LD document by node @id, with the embedded
// nodes (a distribution, a contact point) kept where they are.
type ldGraph map[string]map[string]any

// expandDCAT expands the document with json-gold, a JSON-LD 1.1
// processor we did not write, so that every property is checked by its
// full IRI and not by the prefixes we chose.
func expandDCAT(t *testing.T, body []byte) ldGraph {
	t.Helper()
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	opts := ld.NewJsonLdOptions("")
	opts.ProcessingMode = ld.JsonLd_1_1
	opts.DocumentLoader = nil // the context is inline: nothing may be fetched
	expanded, err := ld.NewJsonLdProcessor().Expand(doc, opts)
	if err != nil {
		t.Fatalf("expand: %v", err)
	}
	g := ldGraph{}
	for _, n := range expanded {
		m := n.(map[string]any)
		g[m["@id"].(string)] = m
	}
	return g
}

func (g ldGraph) ofType(typ string) []map[string]any {
	var out []map[string]any
	for _, n := range g {
		if slices.Contains(ldTypes(n), typ) {
			out = append(out, n)
		}
	}
	return out
}

func ldTypes(n map[string]any) []string {
	var out []string
	for _, t := range asList(n[rdfType]) {
		out = append(out, t.(string))
	}
	return out
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// ids returns the @id values of a property.
func ids(n map[string]any, prop string) []string {
	var out []string
	for _, v := range asList(n[prop]) {
		if id, ok := v.(map[string]any)["@id"].(string); ok {
			out = append(out, id)
		}
	}
	return out
}

// langValues returns a property's literals by language tag.
func langValues(n map[string]any, prop string) map[string]string {
	out := map[string]string{}
	for _, v := range asList(n[prop]) {
		m := v.(map[string]any)
		lang, _ := m["@language"].(string)
		out[lang], _ = m["@value"].(string)
	}
	return out
}

func values(n map[string]any, prop string) []string {
	var out []string
	for _, v := range asList(n[prop]) {
		if s, ok := v.(map[string]any)["@value"].(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// wantMultilingual checks a property has a literal in fi, sv and en.
func wantMultilingual(t *testing.T, what string, n map[string]any, prop string, want omadata.Text) {
	t.Helper()
	got := langValues(n, prop)
	for _, lang := range omadata.Languages {
		if got[lang] == "" || want != nil && got[lang] != want[lang] {
			t.Errorf("%s %s@%s = %q, want %q", what, prop, lang, got[lang], want[lang])
		}
	}
}

// wantAgent checks id names a foaf:Agent with a foaf:name (DCAT-AP 3.0
// "Agent": foaf:name mandatory).
func wantAgent(t *testing.T, g ldGraph, what, id string) {
	t.Helper()
	a := g[id]
	if a == nil || !slices.Contains(ldTypes(a), foafNS+"Agent") {
		t.Errorf("%s: %s is not a foaf:Agent of the document", what, id)
	} else if len(asList(a[foafNS+"name"])) == 0 {
		t.Errorf("%s: agent %s has no foaf:name", what, id)
	}
}

// TestDCAT reads the public catalogue as DCAT-AP 3 JSON-LD, expands it
// and finds every mandatory property of the Catalogue, the Datasets, the
// Data Service and the Agents (DCAT-AP 3.0 SHACL shapes), with the
// recommended ones we promise (docs/catalogue.md, "DCAT-AP"); a pending
// source's data group and a draft processing stay out. The document is
// compared with testdata/dcat.golden, its IDs replaced by their order.
func TestDCAT(t *testing.T) {
	e := newEnv(t, nil)
	r := e.call(t, "GET", "/api/v1/public/dcat", "", "", nil)
	wantStatus(t, r, 200)
	if ct := r.header.Get("Content-Type"); ct != "application/ld+json" {
		t.Errorf("Content-Type = %q, want application/ld+json", ct)
	}
	g := expandDCAT(t, r.body)

	cats := g.ofType(dcatNS + "Catalog")
	if len(cats) != 1 {
		t.Fatalf("got %d dcat:Catalog nodes, want 1", len(cats))
	}
	cat := cats[0]
	if cat["@id"] != dcatDocURL+"#catalogue" {
		t.Errorf("catalogue @id = %v", cat["@id"])
	}
	wantMultilingual(t, "catalogue", cat, dctNS+"title", nil)
	wantMultilingual(t, "catalogue", cat, dctNS+"description", nil)
	if p := ids(cat, dctNS+"publisher"); len(p) != 1 {
		t.Errorf("catalogue dct:publisher = %v, want exactly one", p)
	} else {
		wantAgent(t, g, "catalogue publisher", p[0])
		if n := values(g[p[0]], foafNS+"name"); !slices.Equal(n, []string{"Test City"}) {
			t.Errorf("operator foaf:name = %v, want [Test City]", n)
		}
	}
	langs := ids(cat, dctNS+"language")
	slices.Sort(langs)
	if want := []string{euLang("ENG"), euLang("FIN"), euLang("SWE")}; !slices.Equal(langs, want) {
		t.Errorf("catalogue dct:language = %v, want %v", langs, want)
	}

	datasets := ids(cat, dcatNS+"dataset")
	slices.Sort(datasets)
	want := []string{dcatDocURL + "#" + e.dgA, dcatDocURL + "#" + e.dgB, dcatDocURL + "#" + e.dgSpecial}
	slices.Sort(want)
	if !slices.Equal(datasets, want) {
		t.Fatalf("catalogue dcat:dataset = %v, want %v", datasets, want)
	}
	if n := len(g.ofType(dcatNS + "Dataset")); n != len(want) {
		t.Errorf("got %d dcat:Dataset nodes, want %d", n, len(want))
	}
	a := g[dcatDocURL+"#"+e.dgA]
	wantMultilingual(t, "dataset", a, dctNS+"title", text("library-loans"))
	wantMultilingual(t, "dataset", a, dctNS+"description", text("library-loans description"))
	if v := values(a, dctNS+"identifier"); !slices.Equal(v, []string{e.dgA}) {
		t.Errorf("dataset dct:identifier = %v, want [%s]", v, e.dgA)
	}
	if v := ids(a, dctNS+"accessRights"); !slices.Equal(v, []string{nonPublic}) {
		t.Errorf("dataset dct:accessRights = %v, want [%s]", v, nonPublic)
	}
	if v := ids(a, dctNS+"publisher"); !slices.Equal(v, []string{dcatDocURL + "#" + e.org}) {
		t.Errorf("dataset dct:publisher = %v, want the source's organisation", v)
	} else {
		wantAgent(t, g, "dataset publisher", v[0])
		if n := langValues(g[v[0]], foafNS+"name"); n["fi"] != "Helsinki" {
			t.Errorf("source organisation foaf:name = %v, want Helsinki@fi", n)
		}
	}
	if v := ids(a, dctNS+"subject"); !slices.Equal(v, []string{omadata.PDBase + "ServiceConsumptionBehavior"}) {
		t.Errorf("dataset dct:subject = %v, want the pd: category", v)
	}
	if v := ids(a, dctNS+"isReferencedBy"); !slices.Equal(v, []string{"https://omadata.example.fi/api/v1/public/catalogue/" + e.procA}) {
		t.Errorf("dataset dct:isReferencedBy = %v, want the published processing only", v)
	}
	cps := asList(a[dcatNS+"contactPoint"])
	if len(cps) != 1 {
		t.Fatalf("dataset dcat:contactPoint = %v, want one", cps)
	}
	cp := cps[0].(map[string]any)
	if !slices.Contains(ldTypes(cp), vcardNS+"Organization") || !slices.Equal(ids(cp, vcardNS+"hasEmail"), []string{"mailto:kirjaamo@example.fi"}) {
		t.Errorf("contact point = %v, want a vcard:Organization with the organisation's email", cp)
	}

	services := g.ofType(dcatNS + "DataService")
	if len(services) != 1 {
		t.Fatalf("got %d dcat:DataService nodes, want 1", len(services))
	}
	if v := ids(services[0], dcatNS+"endpointURL"); !slices.Equal(v, []string{"https://omadata.example.fi/api/v1"}) {
		t.Errorf("data service dcat:endpointURL = %v", v)
	}
	wantMultilingual(t, "data service", services[0], dctNS+"title", nil)

	procs := g.ofType(omadata.DPVBase + "Process")
	if len(procs) != 2 {
		t.Fatalf("got %d dpv:Process nodes, want 2 (the published processings)", len(procs))
	}
	p := g["https://omadata.example.fi/api/v1/public/catalogue/"+e.procA]
	if p == nil {
		t.Fatal("processing A is not in the document")
	}
	wantMultilingual(t, "processing", p, dctNS+"title", text("loan-research"))
	if v := ids(p, dctNS+"references"); !slices.Equal(v, []string{dcatDocURL + "#" + e.dgA}) {
		t.Errorf("processing dct:references = %v, want its data group's dataset", v)
	}
	if v := ids(p, omadata.DPVBase+"hasPurpose"); !slices.Equal(v, []string{omadata.DPVBase + "ResearchAndDevelopment"}) {
		t.Errorf("processing dpv:hasPurpose = %v", v)
	}
	if v := ids(p, omadata.DPVBase+"hasLegalBasis"); !slices.Equal(v, []string{omadata.GDPRBase + "A6-1-a"}) {
		t.Errorf("processing dpv:hasLegalBasis = %v", v)
	}
	if strings.Contains(string(r.body), e.procDraft) || strings.Contains(string(r.body), e.svcPen) {
		t.Error("the document names a draft processing or a pending service")
	}

	golden(t, "testdata/dcat.golden", normaliseIDs(r.body), *updateDCAT)
}

func euLang(code string) string {
	return "http://publications.europa.eu/resource/authority/language/" + code
}

var idPattern = regexp.MustCompile(`\b(org|svc|dg|proc|pur)_[0-9a-z]{20,}\b`)

// normaliseIDs replaces each random ID by its prefix and the order of its
// first appearance, so that the golden file is the same on every run.
func normaliseIDs(b []byte) []byte {
	seen := map[string]string{}
	return idPattern.ReplaceAllFunc(b, func(id []byte) []byte {
		s := string(id)
		if _, ok := seen[s]; !ok {
			prefix, _, _ := strings.Cut(s, "_")
			seen[s] = prefix + "_" + strings.Repeat("0", 3-len(itoa(len(seen)+1))) + itoa(len(seen)+1)
		}
		return []byte(seen[s])
	})
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

// golden compares got with the file, or rewrites the file with update.
func golden(t *testing.T, path string, got []byte, update bool) {
	t.Helper()
	var v any
	if err := json.Unmarshal(got, &v); err == nil {
		if pretty, err := json.MarshalIndent(v, "", "  "); err == nil {
			got = append(pretty, '\n')
		}
	}
	if update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update-dcat to write it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the document got (run with -update-dcat and review the diff):\n%s", path, got)
	}
}

// TestDCATLeavesOutMirrored mirrors a peer operator's catalogue (its own
// source with a data group, a processing of its sink over that group and
// one over our data group) and reads the DCAT document again: it is the
// same document, byte for byte after IDs, as without the peer (the
// golden file). DCAT describes only our own catalogue; a mirrored one is
// the peer's to publish.
func TestDCATLeavesOutMirrored(t *testing.T) {
	e := newEnv(t, nil)
	before := e.call(t, "GET", "/api/v1/public/dcat", "", "", nil)
	wantStatus(t, before, 200)

	open := func(t *testing.T) *store.Store { return storetest.OpenSQLite(t) }
	esp := storetest.OpenOperator(t, open, "https://espoo.test", "Espoo")
	us := &storetest.Operator{Store: e.store, Peer: &omadata.Peer{
		OperatorMetadata: omadata.OperatorMetadata{
			OperatorID: "https://omadata.test", Name: storetest.Text("Test City"), BaseURL: "https://omadata.test",
			NetworkEndpoint: "https://omadata.test/network/v1", CatalogueEndpoint: "https://omadata.test/network/v1/catalogue",
			LogEndpoint: "https://omadata.test/api/v1/log", LogOrigin: omadata.LogOrigin("https://omadata.test"),
		},
		RulebookVersion: 1, ChainExpiresAt: time.Now().Add(time.Hour).UTC().Truncate(time.Second),
	}}
	storetest.Mirror(t, us, esp)
	org := storetest.CreateOrganisation(t, esp.Store, omadata.OrgCity)
	src := storetest.CreateService(t, esp.Store, org.ID, true, omadata.RoleSource)
	visits := storetest.CreateDataGroup(t, esp.Store, src.ID, "espoo-visits", false)
	sink := storetest.CreateService(t, esp.Store, org.ID, true, omadata.RoleSink)
	purpose := storetest.Purpose(t, esp.Store, "recommendations")
	var procs []string
	for code, group := range map[string]string{"espoo-own": visits.ID, "espoo-over-ours": e.dgA} {
		p, err := esp.CreateProcessing(storetest.Admin(), storetest.NewDraft(sink.ID, code, purpose.ID, group))
		if err != nil {
			t.Fatal(err)
		}
		storetest.PutNotices(t, esp.Store, p.ID, 1)
		if _, err := esp.PublishVersion(storetest.Admin(), p.ID, 1); err != nil {
			t.Fatal(err)
		}
		procs = append(procs, p.ID)
	}
	storetest.Mirror(t, esp, us)
	for _, id := range procs {
		if m, err := e.store.FindCatalogueEntry(storetest.Public(), id); err != nil || m.Operator == nil {
			t.Fatalf("the peer's processing %s is not mirrored: %+v, %v", id, m, err)
		}
	}

	// The public JSON catalogue lists them, naming their operator (and the
	// conform wrapper holds the answers to the OpenAPI document).
	var list struct{ Items []*omadata.CatalogueEntry }
	e.call(t, "GET", "/api/v1/public/catalogue", "", "", nil).decode(t, &list)
	mirrored := 0
	for _, x := range list.Items {
		if x.Operator != nil && x.Operator.ID == "https://espoo.test" && x.Operator.Name["en"] != "" {
			mirrored++
		}
	}
	if mirrored != 2 {
		t.Errorf("the public catalogue names Espoo on %d processings, want 2", mirrored)
	}
	e.call(t, "GET", "/api/v1/public/services", "", "", nil)
	r := e.call(t, "GET", "/api/v1/public/dcat", "", "", nil)
	wantStatus(t, r, 200)
	for what, id := range map[string]string{"processing": procs[0], "other processing": procs[1], "data group": visits.ID,
		"source": src.ID, "organisation": org.ID, "sink": sink.ID} {
		if strings.Contains(string(r.body), id) {
			t.Errorf("the DCAT document names the peer's %s %s", what, id)
		}
	}
	if string(normaliseIDs(r.body)) != string(normaliseIDs(before.body)) {
		t.Errorf("the peer's catalogue changed the DCAT document:\n%s", r.body)
	}
	golden(t, "testdata/dcat.golden", normaliseIDs(r.body), false)
}
