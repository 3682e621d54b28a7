// SPDX-License-Identifier: Apache-2.0

package api

import (
	"slices"
	"strings"

	"github.com/omadata/omadata"
)

// prefixResident is the prefix of resident IDs, which the root package
// does not export: residents are never named by anything else.
const prefixResident = "res"

// Limits of consent bodies.
const (
	maxConsentSources = 100
	maxReason         = 500
	maxEvidence       = 200
	maxRequestMessage = 2000
)

// consentBody is the wire form of omadata.ConsentInput, with the time as a
// string so that a bad one names its field.
type consentBody struct {
	ProcessingID     string   `json:"processing_id"`
	Version          int      `json:"version"`
	Language         string   `json:"language"`
	NoticeSHA256     string   `json:"notice_sha256"`
	SourceIDs        []string `json:"source_ids"`
	ValidUntil       *string  `json:"valid_until"`
	OnBehalfOf       string   `json:"on_behalf_of"`
	CollectionMethod string   `json:"collection_method"`
	// Evidence is set by the paper route from its own body; a resident's
	// body has none (ConsentInput lists none), so it is an unknown field.
	Evidence string `json:"-"`
}

// input checks the body's syntax and returns the service's input. Whether
// the processing, version and sources exist, and whether the caller may
// act for on_behalf_of, only the store can say.
func (b *consentBody) input() (*omadata.ConsentInput, error) {
	if err := checkID("processing_id", b.ProcessingID, omadata.PrefixProcessing, true); err != nil {
		return nil, err
	} else if b.Version < 1 {
		return nil, omadata.Invalidf("version", "Give the version whose notice was shown: 1, 2, 3 and so on.")
	} else if !omadata.ValidLanguage(b.Language) {
		return nil, omadata.Invalidf("language", "Give the language of the notice shown: one of %s.", strings.Join(omadata.Languages, ", "))
	} else if b.NoticeSHA256 != "" && !isSHA256Hex(b.NoticeSHA256) {
		return nil, omadata.Invalidf("notice_sha256", "Use the notice's SHA-256 in lower-case hex, as the processing shows it.")
	} else if err := checkSourceIDs(b.SourceIDs); err != nil {
		return nil, err
	} else if err := checkID("on_behalf_of", b.OnBehalfOf, prefixResident, false); err != nil {
		return nil, err
	}
	switch b.CollectionMethod {
	case "", omadata.CollectedAPI, omadata.CollectedPortal:
		if b.Evidence != "" {
			return nil, omadata.Invalidf("evidence", "Only a paper consent has an archive reference.")
		}
	case omadata.CollectedPaper:
		if b.Evidence == "" { // only the paper route sets it
			return nil, omadata.Invalidf("collection_method", "An official records a paper consent, with its archive reference, through POST /api/v1/consents/paper.")
		} else if err := checkText("evidence", b.Evidence, maxEvidence, true); err != nil {
			return nil, err
		}
	default:
		return nil, omadata.Invalidf("collection_method", "Use api, portal or paper.")
	}
	in := &omadata.ConsentInput{ProcessingID: b.ProcessingID, Version: b.Version, Language: b.Language, NoticeSHA256: b.NoticeSHA256,
		SourceIDs: b.SourceIDs, OnBehalfOf: b.OnBehalfOf, CollectionMethod: b.CollectionMethod, Evidence: b.Evidence}
	var err error
	if in.ValidUntil, err = timeField("valid_until", b.ValidUntil); err != nil {
		return nil, err
	}
	return in, nil
}

// checkConsentRequest checks the syntax of a sink's consent request.
func checkConsentRequest(in *omadata.ConsentRequestInput) error {
	if err := checkID("processing_id", in.ProcessingID, omadata.PrefixProcessing, true); err != nil {
		return err
	} else if !validPseudonym(in.Pseudonym) {
		return omadata.Invalidf("pseudonym", "Give your pseudonym of the resident, from linking them.")
	} else if err := checkSourceIDs(in.SourceIDs); err != nil {
		return err
	}
	return in.Message.Validate("message", maxRequestMessage)
}

// reasonInput is the body of a status change: why, in words the resident
// may read.
type reasonInput struct {
	Reason string `json:"reason"`
}

func (in *reasonInput) check(required bool) error {
	return checkText("reason", in.Reason, maxReason, required)
}

// checkID checks that s is an ID with prefix; empty is refused only when
// required.
func checkID(field, s, prefix string, required bool) error {
	switch {
	case s == "" && required:
		return omadata.Invalidf(field, "Required.")
	case s != "" && !omadata.ValidID(prefix, s):
		return omadata.Invalidf(field, "Not an ID of the right kind.")
	}
	return nil
}

func checkSourceIDs(ids []string) error {
	if len(ids) > maxConsentSources {
		return omadata.Invalidf("source_ids", "At most %d sources.", maxConsentSources)
	}
	for i, id := range ids {
		if !omadata.ValidID(omadata.PrefixService, id) {
			return omadata.Invalidf("source_ids", "Name sources by their service IDs.")
		} else if slices.Contains(ids[:i], id) {
			return omadata.Invalidf("source_ids", "Name each source once.")
		}
	}
	return nil
}

// validPseudonym accepts what pseudonyms look like: up to 100 letters,
// digits, underscores and hyphens. It keeps junk out of queries.
func validPseudonym(s string) bool {
	if s == "" || len(s) > 100 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func isSHA256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// checkText is omadata.CheckText, or omadata.RequiredText when required:
// the one rule for stored text, checked here too so that a bad text is
// refused before anything else is looked up.
func checkText(field, s string, max int, required bool) error {
	if required {
		return omadata.RequiredText(field, s, max)
	}
	return omadata.CheckText(field, s, max)
}
