// SPDX-License-Identifier: Apache-2.0

package portal

import (
	"net/http"
	"slices"

	"github.com/omadata/omadata"
)

// acting lists the people the viewer may act for now: children under 18
// and adults who gave a mandate.
func (p *Portal) acting(w http.ResponseWriter, r *http.Request, q *req) error {
	p.render(w, r, q, http.StatusOK, "acting", msg(q.Lang, "page.acting"), q.V.Principals)
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
