// SPDX-License-Identifier: Apache-2.0

package admin

import (
	"net/http"
	"strings"

	"github.com/omadata/omadata"
)

// transparencyFields are the inputs of the draft's GDPR Art 13 and 14 form,
// named as the API's fields (with "-" for ".").
var transparencyFields = []string{"legal_basis_note", "legitimate_interest", "provision_consequence", "automated_decision_logic",
	"legitimate_interest-fi", "legitimate_interest-sv", "legitimate_interest-en",
	"third_country_transfers", "provision_requirement",
	"provision_consequence-fi", "provision_consequence-sv", "provision_consequence-en",
	"automated_decision_logic-fi", "automated_decision_logic-sv", "automated_decision_logic-en"}

// transparencyForm shows a version's Art 13 and 14 fields as the form
// holds them.
func transparencyForm(v *omadata.ProcessingVersion) *form {
	f := newForm(nil)
	f.Values.Set("legal_basis_note", v.LegalBasisNote)
	for _, l := range omadata.Languages {
		f.Values.Set("legitimate_interest-"+l, v.LegitimateInterest[l])
		f.Values.Set("provision_consequence-"+l, v.ProvisionConsequence[l])
		f.Values.Set("automated_decision_logic-"+l, v.AutomatedDecisionLogic[l])
	}
	var lines []string
	for _, t := range v.Transfers {
		lines = append(lines, t.Country+" "+t.Safeguard)
	}
	f.Values.Set("third_country_transfers", strings.Join(lines, "\n"))
	f.Values.Set("provision_requirement", v.ProvisionRequirement)
	return f
}

// saveTransparency saves what GDPR Articles 13 and 14 require residents
// be told of a draft: the statute, the legitimate interest, third-country
// transfers, whether the data must be provided and the logic of automated
// decisions. A refusal shows every error by its field and changes nothing.
func (a *Admin) saveTransparency(w http.ResponseWriter, r *http.Request, q *req) error {
	v, err := a.draftVersion(r)
	if err != nil {
		return err
	}
	r.ParseForm()
	f := newForm(r.PostForm)
	note := f.Text(q.Lang, "legal_basis_note", 500, false)
	interest := f.Texts(q.Lang, "legitimate_interest", 1000)
	consequence := f.Texts(q.Lang, "provision_consequence", 1000)
	logic := f.Texts(q.Lang, "automated_decision_logic", 2000)
	requirement := f.Get("provision_requirement")
	transfers := []omadata.CountryTransfer{}
	for _, l := range strings.Split(f.Text(q.Lang, "third_country_transfers", 2000, false), "\n") {
		if fields := strings.Fields(l); len(fields) == 2 {
			transfers = append(transfers, omadata.CountryTransfer{Country: strings.ToUpper(fields[0]), Safeguard: fields[1]})
		} else if len(fields) != 0 {
			f.Errors["third_country_transfers"] = msg(q.Lang, "err.transfers")
		}
	}
	keep := func(d *processingData) { d.Transparency = f }
	if !f.Valid() {
		return a.processingError(w, r, q, http.StatusBadRequest, f.Errors, keep)
	}
	id := r.PathValue("id")
	_, err = a.o.Processings.UpdateVersion(r.Context(), id, v, omadata.ProcessingVersionUpdate{
		LegalBasisNote: &note, LegitimateInterest: &interest, Transfers: &transfers,
		ProvisionRequirement: &requirement, ProvisionConsequence: &consequence, AutomatedDecisionLogic: &logic,
	})
	if field := omadata.ErrorField(err); err != nil && strings.HasPrefix(field, "third_country_transfers") {
		f.Errors["third_country_transfers"] = msg(q.Lang, "err.transfers")
		return a.processingError(w, r, q, http.StatusBadRequest, f.Errors, keep)
	} else if err != nil && f.storeError(q.Lang, err, transparencyFields, map[string]string{
		"legitimate_interest": "err.legitimate-interest-basis", "provision_consequence": "err.consequence-without", "automated_decision_logic": "err.logic-without",
	}) {
		return a.processingError(w, r, q, http.StatusBadRequest, f.Errors, keep)
	} else if omadata.ErrorCode(err) == omadata.ECONFLICT && field == "status" {
		return a.processingError(w, r, q, http.StatusConflict, map[string]string{"publish": msg(q.Lang, "err.not-draft")}, nil)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, Prefix+"/"+q.Lang+"/processings/"+id+"?done=transparency-saved#transparency", http.StatusSeeOther)
	return nil
}
