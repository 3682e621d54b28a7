// SPDX-License-Identifier: Apache-2.0

package portal

import (
	"net/http"
	"slices"
	"strings"

	"github.com/omadata/omadata"
)

// mandateInput reads the form that gives a mandate and checks every field
// at once, so the resident sees all errors in one round. The principal is
// never taken from the form: it is the signed-in resident.
func (p *Portal) mandateInput(r *http.Request, q *req, purposes []purposeOption) (*omadata.MandateInput, mandateForm, map[string]string) {
	f := mandateForm{
		Code: strings.ToUpper(strings.TrimSpace(r.PostFormValue("representative"))), Reach: r.PostFormValue("reach"),
		ValidFrom: strings.TrimSpace(r.PostFormValue("valid_from")), ValidUntil: strings.TrimSpace(r.PostFormValue("valid_until")),
		Scope: r.PostForm["scope"],
	}
	errs := map[string]string{}
	in := &omadata.MandateInput{RepresentativeIdentityCode: f.Code}
	if f.Code == "" {
		errs["representative"] = msg(q.Lang, "err.mandate-code-required")
	} else if _, err := omadata.ParseIdentityCode(f.Code); err != nil {
		errs["representative"] = msg(q.Lang, "err.mandate-code")
	} else if f.Code == q.V.Self.IdentityCode {
		errs["representative"] = msg(q.Lang, "err.mandate-self")
	}
	switch f.Reach {
	case "all":
		in.AllPurposes = true
	case "some":
		for _, code := range f.Scope {
			if !slices.ContainsFunc(purposes, func(o purposeOption) bool { return o.Code == code }) {
				errs["scope"] = msg(q.Lang, "err.mandate-scope")
				break
			}
		}
		if len(f.Scope) == 0 {
			errs["scope"] = msg(q.Lang, "err.mandate-scope")
		}
		in.Purposes = f.Scope
	default:
		errs["reach"] = msg(q.Lang, "err.mandate-reach")
	}
	if f.ValidFrom != "" {
		d, ok := parseDate(f.ValidFrom)
		switch {
		case !ok:
			errs["valid_from"] = msg(q.Lang, "err.date-format")
		case d.AddDate(0, 0, 1).Before(p.now()):
			errs["valid_from"] = msg(q.Lang, "err.mandate-from-past")
		default:
			if d.After(p.now()) {
				in.ValidFrom = &d
			}
		}
	}
	if f.ValidUntil != "" {
		d, ok := parseDate(f.ValidUntil)
		end := d.AddDate(0, 0, 1) // through the whole chosen day
		switch {
		case !ok:
			errs["valid_until"] = msg(q.Lang, "err.date-format")
		case !end.After(p.now()) || in.ValidFrom != nil && !end.After(*in.ValidFrom):
			errs["valid_until"] = msg(q.Lang, "err.mandate-until")
		default:
			in.ValidUntil = &end
		}
	}
	return in, f, errs
}

// grantMandate records a mandate the signed-in resident gives someone to
// act for them, through the same store method as the API.
func (p *Portal) grantMandate(w http.ResponseWriter, r *http.Request, q *req) error {
	d, err := p.actingData(r, q)
	if err != nil {
		return err
	}
	in, form, errs := p.mandateInput(r, q, d.Purposes)
	if len(errs) == 0 {
		_, err = p.o.Representations.GrantMandate(r.Context(), in)
		switch field := omadata.ErrorField(err); {
		case err == nil:
			http.Redirect(w, r, "/"+q.Lang+"/acting-for?done=mandate-given", http.StatusSeeOther)
			return nil
		case omadata.ErrorCode(err) == omadata.EINVALID && (field == "representative_identity_code" || field == "principal_identity_code"):
			errs["representative"] = msg(q.Lang, "err.mandate-adult")
		case omadata.ErrorCode(err) == omadata.EINVALID && field == "scope":
			errs["scope"] = msg(q.Lang, "err.mandate-scope")
		case omadata.ErrorCode(err) == omadata.EINVALID && (field == "valid_from" || field == "valid_until"):
			errs[field] = msg(q.Lang, "err.mandate-until")
		case omadata.ErrorCode(err) == omadata.EFORBIDDEN:
			errs["form"] = msg(q.Lang, "err.mandate-child")
		default:
			return err
		}
	}
	d.Form = form
	p.renderForm(w, r, q, http.StatusBadRequest, "acting", msg(q.Lang, "page.acting"), d, errs)
	return nil
}

// endMandate ends a mandate the signed-in resident gave (or holds); the
// store refuses anyone else's as not found.
func (p *Portal) endMandate(w http.ResponseWriter, r *http.Request, q *req) error {
	if _, err := p.o.Representations.EndRepresentation(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/"+q.Lang+"/acting-for?done=mandate-ended", http.StatusSeeOther)
	return nil
}
