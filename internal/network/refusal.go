// SPDX-License-Identifier: Apache-2.0

// Package network is the operator network's protocol between operators
// (docs/network.md): signed calls (section 3, over internal/httpsig),
// signed answers (section 4) and problem documents (section 6). It knows
// no SQL: who is a member and which nonces were seen are asked of the Keys
// and Replay it is given.
package network

import (
	"encoding/json"
	"net/http"

	"github.com/omadata/omadata"
)

// Reasons of refusal (docs/network.md sections 3 and 6): the root
// package's one list (omadata.Reason*), named here for this package's
// callers.
const (
	ReasonUnsigned        = omadata.ReasonUnsigned
	ReasonMalformed       = omadata.ReasonMalformed
	ReasonWrongTag        = omadata.ReasonWrongTag
	ReasonWrongAudience   = omadata.ReasonWrongAudience
	ReasonExpired         = omadata.ReasonExpired
	ReasonDigestMismatch  = omadata.ReasonDigestMismatch
	ReasonNotMember       = omadata.ReasonNotMember
	ReasonSuspendedMember = omadata.ReasonSuspendedMember
	ReasonRemovedMember   = omadata.ReasonRemovedMember
	ReasonBadSignature    = omadata.ReasonBadSignature
	ReasonReplayed        = omadata.ReasonReplayed
	ReasonInvalid         = omadata.ReasonInvalid
	ReasonForbidden       = omadata.ReasonForbidden
	ReasonNotYourSink     = omadata.ReasonNotYourSink
	ReasonNotOurSource    = omadata.ReasonNotOurSource
	ReasonUnknownResident = omadata.ReasonUnknownResident
	ReasonNotFound        = omadata.ReasonNotFound
	ReasonTooLarge        = omadata.ReasonTooLarge
	ReasonUnavailable     = omadata.ReasonUnavailable
	ReasonInternal        = omadata.ReasonInternal
)

const (
	problemTypePrefix      = "https://omadata.fi/problems/network/"
	problemContentType     = "application/problem+json"
	defaultRefusalStatus   = http.StatusUnauthorized
	maxProblemDocumentSize = 64 << 10
)

// reasons are each reason's status and problem title (section 6).
var reasons = map[string]struct {
	status int
	title  string
}{
	ReasonUnsigned:        {401, "The call is not signed."},
	ReasonMalformed:       {401, "The call's signature is malformed."},
	ReasonWrongTag:        {401, "The call's signature is not for this protocol."},
	ReasonWrongAudience:   {401, "The call was signed for another operator."},
	ReasonExpired:         {401, "The call's signature has expired or is not yet valid."},
	ReasonDigestMismatch:  {401, "The call's body is not the one signed."},
	ReasonNotMember:       {403, "The caller is not a member of the network."},
	ReasonSuspendedMember: {403, "The caller's membership is suspended."},
	ReasonRemovedMember:   {403, "The caller was removed from the network."},
	ReasonBadSignature:    {401, "The call's signature does not verify."},
	ReasonReplayed:        {401, "The call was seen before."},
	ReasonInvalid:         {400, "The call is invalid."},
	ReasonForbidden:       {403, "The caller may not ask this."},
	ReasonNotYourSink:     {403, "The sink is not the caller's."},
	ReasonNotOurSource:    {403, "The source is not this operator's."},
	ReasonUnknownResident: {404, "The resident is not known to this operator for the caller."},
	ReasonNotFound:        {404, "Not found."},
	ReasonTooLarge:        {413, "The call's body is too large."},
	ReasonUnavailable:     {503, "The call cannot be checked or answered now."},
	ReasonInternal:        {500, "The call failed on the callee's side."},
}

// Refusal is a call refused with a reason of section 6. Detail is a
// sentence the caller may read; Field names the bad field of an invalid
// call.
type Refusal struct {
	Reason string
	Status int // 0: the reason's status
	Detail string
	Field  string

	claimed string // the operator the call claims to be from, for the log
	cause   error  // what Keys said, for the log
}

// Unwrap returns what caused the refusal, if anything did.
func (r *Refusal) Unwrap() error { return r.cause }

// Refuse returns a Refusal of reason with detail.
func Refuse(reason, detail string) *Refusal {
	return &Refusal{Reason: reason, Status: statusOf(reason), Detail: detail}
}

func (r *Refusal) Error() string {
	if r.Detail == "" {
		return "network: refused: " + r.Reason
	}
	return "network: refused: " + r.Reason + ": " + r.Detail
}

func statusOf(reason string) int {
	if r, ok := reasons[reason]; ok {
		return r.status
	}
	return defaultRefusalStatus
}

func (r *Refusal) status() int {
	if r.Status != 0 {
		return r.Status
	}
	return statusOf(r.Reason)
}

// Problem is an RFC 9457 problem document as section 6 shapes it.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	Reason string `json:"reason"`
	Field  string `json:"field,omitempty"`
}

// Problem returns the refusal's problem document.
func (r *Refusal) Problem() Problem {
	title := reasons[r.Reason].title
	if title == "" {
		title = "The call was refused."
	}
	return Problem{Type: problemTypePrefix + r.Reason, Title: title, Status: r.status(), Detail: r.Detail, Reason: r.Reason, Field: r.Field}
}

// WriteProblem writes the refusal as a problem document (RFC 9457).
func WriteProblem(w http.ResponseWriter, r *Refusal) {
	p := r.Problem()
	w.Header().Set("Content-Type", problemContentType)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p)
}
