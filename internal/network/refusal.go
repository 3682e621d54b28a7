// SPDX-License-Identifier: Apache-2.0

// Package network is the operator network's protocol between operators
// (docs/network.md): signed calls (section 3, over internal/httpsig),
// signed answers (section 4) and problem documents (section 6). It knows
// no SQL: who is a member and which nonces were seen are asked of the Keys
// and Replay it is given.
package network

import (
	"encoding/json"
	"errors"
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

// reasons are each reason's status, problem title and whether a caller
// retries a call refused with it (section 6's table): a refusal that
// another attempt, signed anew, or time may lift (a signature, clock or
// key in flux, membership not yet resolved or suspended, the callee's
// outage) is retried; one about what the call says is final.
var reasons = map[string]struct {
	status int
	title  string
	retry  bool
}{
	ReasonUnsigned:        {401, "The call is not signed.", true},
	ReasonMalformed:       {401, "The call's signature is malformed.", true},
	ReasonWrongTag:        {401, "The call's signature is not for this protocol.", true},
	ReasonWrongAudience:   {401, "The call was signed for another operator.", true},
	ReasonExpired:         {401, "The call's signature has expired or is not yet valid.", true},
	ReasonDigestMismatch:  {401, "The call's body is not the one signed.", true},
	ReasonNotMember:       {403, "The caller is not a member of the network.", true},
	ReasonSuspendedMember: {403, "The caller's membership is suspended.", true},
	ReasonRemovedMember:   {403, "The caller was removed from the network.", false},
	ReasonBadSignature:    {401, "The call's signature does not verify.", true},
	ReasonReplayed:        {401, "The call was seen before.", true},
	ReasonInvalid:         {400, "The call is invalid.", false},
	ReasonForbidden:       {403, "The caller may not ask this.", false},
	ReasonNotYourSink:     {403, "The sink is not the caller's.", false},
	ReasonNotOurSource:    {403, "The source is not this operator's.", false},
	ReasonUnknownResident: {404, "The resident is not known to this operator for the caller.", false},
	ReasonNotFound:        {404, "Not found.", false},
	ReasonTooLarge:        {413, "The call's body is too large.", false},
	ReasonUnavailable:     {503, "The call cannot be checked or answered now.", true},
	ReasonInternal:        {500, "The call failed on the callee's side.", true},
}

// Final reports whether err, the outcome of a call to a peer, is a
// refusal that another attempt would meet again (section 6: a reason
// not to retry). A reason this operator does not know is retried; so is
// any error that is no refusal (the network, a timeout).
func Final(err error) bool {
	var rf *Refusal
	if !errors.As(err, &rf) {
		return false
	}
	r, ok := reasons[rf.Reason]
	return ok && !r.retry
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
