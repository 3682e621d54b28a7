// SPDX-License-Identifier: Apache-2.0

package portal

import (
	"net/http"
	"slices"
	"strings"

	"github.com/omadata/omadata"
)

// subjectConsents reads every consent of the resident the pages are about.
func (p *Portal) subjectConsents(r *http.Request, q *req) ([]*omadata.Consent, error) {
	id := q.V.Subject().ID
	var out []*omadata.Consent
	after := ""
	for {
		page, next, err := p.o.Consents.FindConsents(r.Context(), omadata.ConsentFilter{ResidentID: &id, After: after, Limit: 100})
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if next == "" {
			return out, nil
		}
		after = next
	}
}

// live reports whether a consent is requested, given or suspended: the
// one consent per processing that may still change.
func live(c *omadata.Consent) bool {
	return c.Status == omadata.ConsentRequested || c.Status == omadata.ConsentGiven || c.Status == omadata.ConsentSuspended
}

// latestConsents maps each processing to the subject's live consent on it,
// else the most recent one.
func (p *Portal) latestConsents(r *http.Request, q *req) (map[string]*omadata.Consent, error) {
	all, err := p.subjectConsents(r, q)
	if err != nil {
		return nil, err
	}
	out := map[string]*omadata.Consent{}
	for _, c := range all {
		have := out[c.ProcessingID]
		if have == nil || live(c) && !live(have) || live(c) == live(have) && c.UpdatedAt.After(have.UpdatedAt) {
			out[c.ProcessingID] = c
		}
	}
	return out, nil
}

// consentRow is a consent with the title of its processing.
type consentRow struct {
	Consent *omadata.Consent
	Entry   *omadata.CatalogueEntry // nil when the processing is no longer published
}

// asksConsent reports whether a processing rests on consent, so that a
// resident decides on it.
func asksConsent(e *omadata.CatalogueEntry) bool {
	return e.LegalBasis == omadata.BasisConsent || e.Art9Condition == "A9-2-a"
}

// consents lists pending requests, consents needing renewal, the subject's
// consents, and the processings that ask for consent and have none yet.
func (p *Portal) consents(w http.ResponseWriter, r *http.Request, q *req) error {
	entries, err := p.fullCatalogue(r.Context(), q.Lang)
	if err != nil {
		return err
	}
	byID := map[string]*omadata.CatalogueEntry{}
	for _, e := range entries {
		byID[e.ProcessingID] = e
	}
	all, err := p.subjectConsents(r, q)
	if err != nil {
		return err
	}
	slices.SortFunc(all, func(a, b *omadata.Consent) int { return b.UpdatedAt.Compare(a.UpdatedAt) })
	var data struct {
		Requests, Renewals, Mine []consentRow
		Available                []*omadata.CatalogueEntry
	}
	liveOn := map[string]bool{}
	for _, c := range all {
		row := consentRow{c, byID[c.ProcessingID]}
		switch {
		case c.Status == omadata.ConsentRequested:
			data.Requests = append(data.Requests, row)
		case c.RenewalRequired:
			data.Renewals = append(data.Renewals, row)
		}
		if c.Status != omadata.ConsentRequested {
			data.Mine = append(data.Mine, row)
		}
		if live(c) {
			liveOn[c.ProcessingID] = true
		}
	}
	for _, e := range entries {
		if asksConsent(e) && !liveOn[e.ProcessingID] && q.V.MayOn(omadata.RepConsent, e.Purpose.Code) {
			data.Available = append(data.Available, e)
		}
	}
	p.render(w, r, q, http.StatusOK, "consents", msg(q.Lang, "page.consents"), &data)
	return nil
}

// noticeIn returns the entry's notice in lang, else in the first language
// that has one.
func noticeIn(e *omadata.CatalogueEntry, lang string) *omadata.Notice {
	for _, l := range append([]string{lang}, omadata.Languages...) {
		for _, n := range e.Notices {
			if n.Language == l {
				return n
			}
		}
	}
	return nil
}

// sortRecipients keeps the order of the page stable.
func sortRecipients(rs []omadata.Recipient) {
	slices.SortFunc(rs, func(a, b omadata.Recipient) int { return strings.Compare(a.Name, b.Name) })
}
