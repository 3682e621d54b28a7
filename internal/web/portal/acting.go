// SPDX-License-Identifier: Apache-2.0

package portal

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/web/webui"
)

// actingData is the acting-for page: whom the viewer may act for, the
// mandates the viewer gave, and the form to give one.
type actingData struct {
	Principals []*actingRow
	Granted    []*grantedRow // the viewer's own mandates in force or ahead
	Purposes   []purposeOption
	Form       mandateForm
}

// actingRow is someone the viewer may act for, with the reach in words.
type actingRow struct {
	*principal
	Scope string
}

// grantedRow is a mandate the viewer gave.
type grantedRow struct {
	Rep         *omadata.Representation
	Scope       string
	Until       *time.Time // the last day it is valid, as chosen
	NotYetValid bool
}

// purposeOption is a purpose a mandate can cover, by its name.
type purposeOption struct {
	Code, Name string
}

// mandateForm is what the viewer typed, kept after an error.
type mandateForm struct {
	Code, Reach, ValidFrom, ValidUntil string
	Scope                              []string
}

// purposeNames maps the codes of the published processings' purposes to
// their names in lang, sorted by name.
func (p *Portal) purposeNames(ctx context.Context, lang string) ([]purposeOption, error) {
	entries, err := p.fullCatalogue(ctx, lang)
	if err != nil {
		return nil, err
	}
	var out []purposeOption
	for _, e := range entries {
		if !slices.ContainsFunc(out, func(o purposeOption) bool { return o.Code == e.Purpose.Code }) {
			out = append(out, purposeOption{e.Purpose.Code, text(lang, e.Purpose.Name)})
		}
	}
	slices.SortFunc(out, func(a, b purposeOption) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// scopeWords writes what a representation covers in the page's language:
// the purposes by name (a code no longer published stays a code).
func scopeWords(lang string, rep *omadata.Representation, purposes []purposeOption) string {
	switch {
	case rep.Kind == omadata.RepGuardian:
		return msg(lang, "acting.scope-guardian")
	case rep.AllPurposes:
		return msg(lang, "acting.mandate-all")
	}
	var names []string
	for _, code := range rep.Purposes {
		name := code
		if i := slices.IndexFunc(purposes, func(o purposeOption) bool { return o.Code == code }); i >= 0 {
			name = purposes[i].Name
		}
		names = append(names, name)
	}
	return msgf(lang, "acting.mandate", strings.Join(names, ", "))
}

// actingData reads what the acting-for page shows.
func (p *Portal) actingData(r *http.Request, q *req) (*actingData, error) {
	purposes, err := p.purposeNames(r.Context(), q.Lang)
	if err != nil {
		return nil, err
	}
	d := &actingData{Purposes: purposes, Form: mandateForm{Reach: "some"}}
	// One card per person: what several representations over them cover
	// is said once each.
	for _, pr := range q.V.Principals {
		words := scopeWords(q.Lang, pr.Rep, purposes)
		if i := slices.IndexFunc(d.Principals, func(x *actingRow) bool { return x.Resident.ID == pr.Resident.ID }); i >= 0 {
			d.Principals[i].Scope += "; " + words
			continue
		}
		d.Principals = append(d.Principals, &actingRow{pr, words})
	}
	reps, err := p.o.Representations.FindRepresentations(r.Context(), q.V.Self.ID)
	if err != nil {
		return nil, err
	}
	now := p.now()
	for _, rep := range reps {
		if rep.Kind != omadata.RepMandate || rep.PrincipalID != q.V.Self.ID || rep.EndedAt != nil || rep.ValidUntil != nil && !now.Before(*rep.ValidUntil) {
			continue
		}
		g := &grantedRow{Rep: rep, Scope: scopeWords(q.Lang, rep, purposes), NotYetValid: now.Before(rep.ValidFrom)}
		if rep.ValidUntil != nil {
			last := lastDay(*rep.ValidUntil)
			g.Until = &last
		}
		d.Granted = append(d.Granted, g)
	}
	return d, nil
}

// lastDay is the last day a window ending at end (exclusive, at the start
// of the next day in Finnish time) covers: the date the resident chose.
func lastDay(end time.Time) time.Time {
	return end.In(webui.Zone).Add(-time.Nanosecond)
}

// acting lists the people the viewer may act for now (children under 18
// and adults who gave a mandate) with what each representation covers,
// and the mandates the viewer gave, with the form to give one.
func (p *Portal) acting(w http.ResponseWriter, r *http.Request, q *req) error {
	d, err := p.actingData(r, q)
	if err != nil {
		return err
	}
	p.render(w, r, q, http.StatusOK, "acting", msg(q.Lang, "page.acting"), d)
	return nil
}

// actFor switches whom the pages are about. The choice is kept in a signed
// cookie bound to the session and is checked against the representations
// on every request, so an ended guardianship or mandate ends it at once.
func (p *Portal) actFor(w http.ResponseWriter, r *http.Request, q *req) error {
	id := r.PostFormValue("principal")
	if id == "" {
		p.ck.Set(w, actingCookie, "", -1)
		http.Redirect(w, r, "/"+q.Lang+"/acting-for?done=self", http.StatusSeeOther)
		return nil
	}
	if !slices.ContainsFunc(q.V.Principals, func(x *principal) bool { return x.Resident.ID == id }) {
		return omadata.NotFound("Representation")
	}
	p.ck.Set(w, actingCookie, p.ck.Sign(actingCookie, q.V.Caller.TokenID+":"+id), SessionTTL)
	http.Redirect(w, r, "/"+q.Lang+"/consents?done=acting", http.StatusSeeOther)
	return nil
}
