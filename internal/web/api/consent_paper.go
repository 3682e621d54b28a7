// SPDX-License-Identifier: Apache-2.0

package api

import (
	"net/http"
	"slices"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/web/respond"
)

// paperConsentBody is what an official types in from a paper form: who,
// by identity code, and what they decided.
type paperConsentBody struct {
	IdentityCode string   `json:"identity_code"`
	Status       string   `json:"status"`     // given, refused or withdrawn
	ConsentID    string   `json:"consent_id"` // withdrawn: the consent withdrawn
	ProcessingID string   `json:"processing_id"`
	Version      int      `json:"version"`
	Language     string   `json:"language"`
	NoticeSHA256 string   `json:"notice_sha256"`
	SourceIDs    []string `json:"source_ids"`
	ValidUntil   *string  `json:"valid_until"`
	Evidence     string   `json:"evidence"` // the form's archive reference
	Reason       string   `json:"reason"`   // withdrawn: why, if the form says
}

// check checks everything that needs no database.
func (b *paperConsentBody) check() (*omadata.ConsentInput, error) {
	if err := checkIdentityCode("identity_code", b.IdentityCode); err != nil {
		return nil, err
	}
	switch b.Status {
	case omadata.ConsentGiven, omadata.ConsentRefused:
		if b.ConsentID != "" {
			return nil, omadata.Invalidf("consent_id", "Only a withdrawal names a consent; a decision makes a new one.")
		} else if b.Reason != "" {
			return nil, omadata.Invalidf("reason", "Only a withdrawal has a reason.")
		}
		if err := checkText("evidence", b.Evidence, maxEvidence, true); err != nil {
			return nil, err
		}
		cb := consentBody{ProcessingID: b.ProcessingID, Version: b.Version, Language: b.Language, NoticeSHA256: b.NoticeSHA256,
			SourceIDs: b.SourceIDs, ValidUntil: b.ValidUntil, CollectionMethod: omadata.CollectedPaper, Evidence: b.Evidence}
		return cb.input()
	case omadata.ConsentWithdrawn:
		if err := checkID("consent_id", b.ConsentID, omadata.PrefixConsent, true); err != nil {
			return nil, err
		}
		// The consent names its processing; a second, possibly different,
		// answer is refused rather than ignored.
		for _, f := range []struct {
			name string
			set  bool
		}{{"processing_id", b.ProcessingID != ""}, {"version", b.Version != 0}, {"language", b.Language != ""},
			{"notice_sha256", b.NoticeSHA256 != ""}, {"source_ids", b.SourceIDs != nil}, {"valid_until", b.ValidUntil != nil}} {
			if f.set {
				return nil, omadata.Invalidf(f.name, "Leave it out of a withdrawal: consent_id names the consent.")
			}
		}
		if err := checkText("evidence", b.Evidence, maxEvidence, true); err != nil {
			return nil, err
		}
		return nil, checkText("reason", b.withdrawalReason(), maxReason, false)
	}
	return nil, omadata.Invalidf("status", "Use given, refused or withdrawn.")
}

// withdrawalReason is the reason a paper withdrawal records: the form's
// own, if any, and its archive reference, which ChangeConsent has no other
// place for.
func (b *paperConsentBody) withdrawalReason() string {
	if b.Reason == "" {
		return "Withdrawn on paper, archive reference " + b.Evidence + "."
	}
	return b.Reason + " (withdrawn on paper, archive reference " + b.Evidence + ")"
}

// recordPaperConsent records a decision a resident made on paper, typed in
// by an official (an admin). The resident is found or created by identity
// code, then the decision is recorded for them with collection method
// paper and the form's archive reference.
func (h *Handler) recordPaperConsent(w http.ResponseWriter, r *http.Request) error {
	var b paperConsentBody
	if err := decode(r, &b); err != nil {
		return err
	}
	in, err := b.check()
	if err != nil {
		return err
	}
	ctx := r.Context()
	var withdrawn *omadata.Consent
	if b.Status == omadata.ConsentWithdrawn {
		// Look first, so that a mistyped consent ID creates nobody.
		if withdrawn, err = h.Consents.FindConsentByID(ctx, b.ConsentID); err != nil {
			return notFoundField(err, "consent_id", "Consent")
		}
	} else if err := h.checkPublished(r, in); err != nil {
		return err
	}
	var consent *omadata.Consent
	switch b.Status {
	case omadata.ConsentWithdrawn:
		res, err := h.Residents.FindResidentByIdentityCode(ctx, b.IdentityCode)
		if err != nil && omadata.ErrorCode(err) != omadata.ENOTFOUND {
			return err
		} else if err != nil || withdrawn.ResidentID != res.ID {
			// The consent is someone else's: the same answer as a missing one.
			return notFoundField(omadata.NotFound("Consent"), "consent_id", "Consent")
		}
		if consent, err = h.Consents.ChangeConsent(ctx, b.ConsentID, omadata.ConsentWithdrawn, b.withdrawalReason()); err != nil {
			return err
		}
		respond.OK(w, r, consent)
		return nil
	case omadata.ConsentGiven:
		in.IdentityCode = b.IdentityCode
		consent, err = h.Consents.GiveConsent(ctx, in)
	default:
		in.IdentityCode = b.IdentityCode
		consent, err = h.Consents.RefuseConsent(ctx, in)
	}
	if err != nil {
		return err
	}
	respond.Created(w, r, consent)
	return nil
}

// checkPublished refuses a paper decision that the store would refuse for
// its processing, version or language, before the resident is looked up
// (and maybe created). The store checks again when it records it.
func (h *Handler) checkPublished(r *http.Request, in *omadata.ConsentInput) error {
	p, err := h.Processings.FindProcessingByID(r.Context(), in.ProcessingID)
	if err != nil {
		return notFoundField(err, "processing_id", "Processing")
	}
	cur := p.Current()
	retired := slices.ContainsFunc(p.Versions, func(v *omadata.ProcessingVersion) bool { return v.Status == omadata.VersionRetired })
	if cur == nil && retired {
		return omadata.Conflictf("processing_id", "The processing has been retired and takes no new consents.")
	} else if cur == nil {
		return notFoundField(omadata.NotFound("Processing"), "processing_id", "Processing")
	} else if cur.Version != in.Version {
		return omadata.Conflictf("version", "Version %d is not the processing's current version; the form must show version %d.", in.Version, cur.Version)
	} else if !slices.ContainsFunc(cur.Notices, func(n *omadata.Notice) bool { return n.Language == in.Language }) {
		return omadata.Invalidf("language", "The processing has no notice in %s.", omadata.LanguageName(in.Language))
	}
	sink, err := h.Services.FindServiceByID(r.Context(), p.ServiceID)
	if err != nil {
		return err
	} else if sink.Status != omadata.ServiceApproved {
		return notFoundField(omadata.NotFound("Processing"), "processing_id", "Processing")
	}
	return nil
}

// notFoundField names field in an ENOTFOUND error; other errors pass.
func notFoundField(err error, field, kind string) error {
	if omadata.ErrorCode(err) != omadata.ENOTFOUND {
		return err
	}
	return &omadata.Error{Code: omadata.ENOTFOUND, Field: field, Message: kind + " not found."}
}
