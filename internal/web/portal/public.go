// SPDX-License-Identifier: Apache-2.0

package portal

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/omadata/omadata"
)

// home is the front page: what the service is, and where to go.
func (p *Portal) home(w http.ResponseWriter, r *http.Request, q *req) error {
	p.render(w, r, q, http.StatusOK, "home", msg(q.Lang, "page.home.title"), map[string]any{"Demo": p.o.Demo})
	return nil
}

// fullCatalogue reads every published processing, sorted by title in lang
// so that the order is the reader's, and stable.
func (p *Portal) fullCatalogue(ctx context.Context, lang string) ([]*omadata.CatalogueEntry, error) {
	var out []*omadata.CatalogueEntry
	after := ""
	for {
		page, next, err := p.o.Catalogue.FindCatalogue(ctx, omadata.CatalogueFilter{After: after, Limit: 100})
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if next == "" {
			break
		}
		after = next
	}
	for _, e := range out {
		slices.SortFunc(e.DataGroups, func(a, b omadata.CatalogueDataGroup) int {
			return strings.Compare(a.Name.In(lang), b.Name.In(lang))
		})
	}
	slices.SortFunc(out, func(a, b *omadata.CatalogueEntry) int { return strings.Compare(a.Title.In(lang), b.Title.In(lang)) })
	return out, nil
}

// catalogue is the public statement of what data is used, by whom, for
// what, and on what ground.
func (p *Portal) catalogue(w http.ResponseWriter, r *http.Request, q *req) error {
	entries, err := p.fullCatalogue(r.Context(), q.Lang)
	if err != nil {
		return err
	}
	p.render(w, r, q, http.StatusOK, "catalogue", msg(q.Lang, "page.catalogue"), entries)
	return nil
}

// aiSystems is the public register of AI systems in city services.
func (p *Portal) aiSystems(w http.ResponseWriter, r *http.Request, q *req) error {
	var list []*omadata.AISystem
	after := ""
	for {
		page, next, err := p.o.AISystems.FindAISystems(r.Context(), omadata.AISystemFilter{After: after, Limit: 100})
		if err != nil {
			return err
		}
		list = append(list, page...)
		if next == "" {
			break
		}
		after = next
	}
	slices.SortFunc(list, func(a, b *omadata.AISystem) int { return strings.Compare(a.Name.In(q.Lang), b.Name.In(q.Lang)) })
	p.render(w, r, q, http.StatusOK, "aisystems", msg(q.Lang, "page.aisystems"), list)
	return nil
}
