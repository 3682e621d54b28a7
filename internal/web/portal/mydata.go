// SPDX-License-Identifier: Apache-2.0

package portal

import (
	"net/http"
	"slices"
	"strings"

	"github.com/omadata/omadata"
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

// transfers reads the data handed over about a resident, newest first
// (at most the latest 100 uses are read).
func (p *Portal) transfers(r *http.Request, q *req, nm *names, residentID string) ([]*usageRow, error) {
	list, _, err := p.o.Usage.FindUsage(r.Context(), omadata.UsageFilter{ResidentID: residentID, Limit: 100})
	if err != nil {
		return nil, err
	}
	var out []*usageRow
	for _, u := range list {
		if u.Kind == omadata.LeafTransferRecorded {
			out = append(out, nm.row(q.Lang, u))
		}
	}
	return out, nil
}

// myData shows, source by source, which data groups city registers hold
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
	p.render(w, r, q, http.StatusOK, "mydata", msg(q.Lang, "page.mydata"), d)
	return nil
}
