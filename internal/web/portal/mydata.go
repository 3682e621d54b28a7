// SPDX-License-Identifier: Apache-2.0

package portal

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/web/respond"
)

// sourceView is a source and the data groups it holds, each with the
// processings that use it.
type sourceView struct {
	Source omadata.CatalogueService
	Groups []*groupView
}

type groupView struct {
	Group omadata.CatalogueDataGroup
	Uses  []*useView
}

type useView struct {
	Entry   *omadata.CatalogueEntry
	Consent *omadata.Consent // the subject's live or latest consent, if any
}

// myDataPage is the my-data page: what was handed over about the subject
// (and, for a guardian acting as themselves, about their children), then
// what the registers may hold.
type myDataPage struct {
	Held     []*heldView // nil without an OwnDataService
	Own      bool        // an OwnDataService is configured
	Problems []problem   // the sources that did not answer, for the summary
	Used     []*usageRow // transfers about the subject, newest first
	Children []*childUse
	Sources  []*sourceView
	Archive  bool // the archive can be downloaded
}

// childUse is a guardian's child and the transfers about them.
type childUse struct {
	Child *omadata.Resident
	Used  []*usageRow
}

// transfers reads the data handed over about a resident, the latest 100
// transfers to others, newest first: the resident's own views are no
// handing over.
func (p *Portal) transfers(r *http.Request, q *req, nm *names, residentID string) ([]*usageRow, error) {
	list, _, err := p.o.Usage.FindUsage(r.Context(), omadata.UsageFilter{ResidentID: residentID, HandedOver: true, Limit: 100})
	if err != nil {
		return nil, err
	}
	out := make([]*usageRow, len(list))
	for i, u := range list {
		out[i] = nm.row(q.Lang, u)
	}
	return out, nil
}

// myData shows the data groups the sources hold about the resident (or
// the person acted for) and, on request, their data fetched live (held);
// then, source by source, which data groups city registers hold
// about the resident (or the person acted for), for which processings, on
// which legal basis, and the resident's consent where one is asked.
func (p *Portal) myData(w http.ResponseWriter, r *http.Request, q *req) error {
	entries, err := p.fullCatalogue(r.Context(), q.Lang)
	if err != nil {
		return err
	}
	latest, err := p.latestConsents(r, q)
	if err != nil {
		return err
	}
	var sources []*sourceView
	find := func(s omadata.CatalogueService) *sourceView {
		for _, x := range sources {
			if x.Source.ID == s.ID {
				return x
			}
		}
		x := &sourceView{Source: s}
		sources = append(sources, x)
		return x
	}
	for _, e := range entries {
		for _, g := range e.DataGroups {
			sv := find(g.Source)
			i := slices.IndexFunc(sv.Groups, func(x *groupView) bool { return x.Group.ID == g.ID })
			if i < 0 {
				sv.Groups = append(sv.Groups, &groupView{Group: g})
				i = len(sv.Groups) - 1
			}
			sv.Groups[i].Uses = append(sv.Groups[i].Uses, &useView{Entry: e, Consent: latest[e.ProcessingID]})
		}
	}
	slices.SortFunc(sources, func(a, b *sourceView) int {
		return strings.Compare(a.Source.Name.In(q.Lang), b.Source.Name.In(q.Lang))
	})
	d := &myDataPage{Sources: sources, Archive: p.o.Archives != nil}
	nm, err := p.names(r.Context(), q.Lang)
	if err != nil {
		return err
	}
	if d.Used, err = p.transfers(r, q, nm, q.V.Subject().ID); err != nil {
		return err
	}
	if q.V.Acting == nil {
		for _, pr := range q.V.Principals {
			if pr.Rep.Kind != omadata.RepGuardian {
				continue
			}
			used, err := p.transfers(r, q, nm, pr.Resident.ID)
			if err != nil {
				return err
			}
			d.Children = append(d.Children, &childUse{Child: pr.Resident, Used: used})
		}
	}
	if d.Held, d.Problems, err = p.held(r, q, sources); err != nil {
		return err
	}
	d.Own = p.o.OwnData != nil
	p.render(w, r, q, http.StatusOK, "mydata", msg(q.Lang, "page.mydata"), d)
	return nil
}

// heldView is a data group a source holds about the subject, with its
// data when the resident asked to see it.
type heldView struct {
	*omadata.OwnDataGroup
	Data *omadata.OwnData // nil until asked for
	// ControllerName is the source's organisation in the page's language
	// (from the catalogue, else Options.Organisations), else as the
	// own-data service gave it.
	ControllerName string
}

// problem is a source that did not answer as it should: the anchor of its
// group and the sentence that says so.
type problem struct{ Anchor, Text string }

// Problem says, for a group whose source did not answer or answered what
// cannot be read, so by the source's name; else "".
func (h *heldView) Problem(lang string) string {
	if h.Data == nil || h.Data.Status != omadata.OwnDataUnavailable && h.Data.Status != omadata.OwnDataInvalid {
		return ""
	}
	return msgf(lang, "held."+h.Data.Status, text(lang, h.Service.Name))
}

// Anchor is the group's element ID on the page, for "Show" links and the
// error summary.
func (h *heldView) Anchor() string { return "dg-" + h.DataGroup.ID }

// held reads the data groups the sources hold about the subject and, for
// those named in the query (show=ID, repeated, or show=all), their data,
// fetched live. A group the subject's sources do not hold is not found.
// Each source that did not answer, or answered what cannot be read, is
// named in the problems returned, in the groups' order.
func (p *Portal) held(r *http.Request, q *req, sources []*sourceView) ([]*heldView, []problem, error) {
	if p.o.OwnData == nil {
		return nil, nil, nil
	}
	subject := q.V.Subject().ID
	groups, err := p.o.OwnData.FindOwnDataGroups(r.Context(), subject)
	if err != nil {
		return nil, nil, err
	}
	// By source, then group, as the resident reads them in their language
	// (the store's order follows IDs, which mean nothing to them).
	slices.SortStableFunc(groups, func(a, b *omadata.OwnDataGroup) int {
		return cmp.Or(strings.Compare(text(q.Lang, a.Service.Name), text(q.Lang, b.Service.Name)),
			strings.Compare(text(q.Lang, a.DataGroup.Name), text(q.Lang, b.DataGroup.Name)))
	})
	out := make([]*heldView, len(groups))
	for i, g := range groups {
		out[i] = &heldView{OwnDataGroup: g, ControllerName: g.Controller}
		if j := slices.IndexFunc(sources, func(s *sourceView) bool { return s.Source.ID == g.Service.ID }); j >= 0 {
			out[i].ControllerName = text(q.Lang, sources[j].Source.Organisation.Name)
		} else if p.o.Organisations != nil {
			org, err := p.o.Organisations.FindOrganisationByID(r.Context(), g.Service.OrganisationID)
			if err != nil && omadata.ErrorCode(err) != omadata.ENOTFOUND {
				return nil, nil, err
			} else if err == nil {
				out[i].ControllerName = text(q.Lang, org.Name)
			}
		}
	}
	show := r.URL.Query()["show"]
	if len(show) == 0 {
		return out, nil, nil
	}
	var ids []string
	if !slices.Contains(show, "all") {
		for _, id := range show {
			if !slices.ContainsFunc(groups, func(g *omadata.OwnDataGroup) bool { return g.DataGroup.ID == id }) {
				return nil, nil, omadata.NotFound("DataGroup")
			}
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	if len(groups) == 0 {
		return out, nil, nil
	}
	answers, err := p.o.OwnData.FetchOwnData(r.Context(), subject, ids)
	if err != nil {
		return nil, nil, err
	}
	for _, a := range answers {
		for _, h := range out {
			if h.DataGroup.ID == a.DataGroupID && h.Service.ID == a.ServiceID {
				h.Data = a
			}
		}
	}
	var problems []problem
	for _, h := range out {
		if t := h.Problem(q.Lang); t != "" {
			problems = append(problems, problem{h.Anchor(), t})
		}
	}
	return out, problems, nil
}

// ownDataCSV downloads one data group's table as CSV, fetched live: the
// header row is the columns' labels in the page's language. A group whose
// source holds no table is not found; a source that does not answer gives
// the page that says so.
func (p *Portal) ownDataCSV(w http.ResponseWriter, r *http.Request, q *req) error {
	if p.o.OwnData == nil {
		return omadata.NotFound("DataGroup")
	}
	id := r.PathValue("id")
	subject := q.V.Subject().ID
	groups, err := p.o.OwnData.FindOwnDataGroups(r.Context(), subject)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(groups, func(g *omadata.OwnDataGroup) bool { return g.DataGroup.ID == id })
	if i < 0 {
		return omadata.NotFound("DataGroup")
	}
	answers, err := p.o.OwnData.FetchOwnData(r.Context(), subject, []string{id})
	if err != nil {
		return err
	}
	var a *omadata.OwnData
	for _, x := range answers {
		if x.DataGroupID == id && x.Status == omadata.OwnDataOK && x.Table != nil {
			a = x
		}
	}
	if a == nil {
		// Not a table now: the page shows why (the source is down,
		// holds nothing, or holds no table).
		http.Redirect(w, r, "/"+q.Lang+"/my-data?"+url.Values{"show": {id}}.Encode()+"#dg-"+id, http.StatusSeeOther)
		return nil
	}
	b, err := a.Table.CSV(q.Lang)
	if err != nil {
		return err
	}
	respond.Download(w, groups[i].DataGroup.Code+".csv", "text/csv; charset=utf-8", b)
	return nil
}

// tableRow is a row of an OwnDataTable in column order, for the template.
func tableRow(t *omadata.OwnDataTable, row map[string]string) []string {
	out := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		out[i] = row[c.Key]
	}
	return out
}
