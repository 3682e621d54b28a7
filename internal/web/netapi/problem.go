// SPDX-License-Identifier: Apache-2.0

package netapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/omadata/omadata"
)

// Reasons of the problem documents the handlers write themselves
// (docs/network.md §6); the signature's reasons are the Verifier's.
const (
	ReasonInvalid         = "invalid"
	ReasonNotYourSink     = "not_your_sink"
	ReasonNotOurSource    = "not_our_source"
	ReasonUnknownResident = "unknown_resident"
	ReasonNotFound        = "not_found"
	ReasonTooLarge        = "too_large"
	ReasonUnavailable     = "unavailable"
	ReasonInternal        = "internal"
)

// ProblemType is the base of a problem document's type URI.
const ProblemType = "https://omadata.fi/problems/network/"

// Problem is an RFC 9457 problem document of the network (§6).
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Reason string `json:"reason"`
	Field  string `json:"field,omitempty"`
}

func writeProblem(w http.ResponseWriter, status int, reason, detail, field string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(Problem{
		Type: ProblemType + reason, Title: http.StatusText(status), Status: status,
		Detail: detail, Reason: reason, Field: field,
	})
}

// fail answers an error of the store: a refusal of the whole call with its
// reason (§5.3: the store names the culprit field, sink_id, source_id or
// pseudonym), an invalid body naming its field, or an internal error
// logged and not shown.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, c *Call, err error) {
	code, field, msg := omadata.ErrorCode(err), omadata.ErrorField(err), omadata.ErrorMessage(err)
	switch {
	case code == omadata.EINVALID:
		writeProblem(w, http.StatusBadRequest, ReasonInvalid, msg, field)
	case code == omadata.EFORBIDDEN && field == "source_id":
		writeProblem(w, http.StatusForbidden, ReasonNotOurSource, msg, field)
	case code == omadata.EFORBIDDEN:
		writeProblem(w, http.StatusForbidden, ReasonNotYourSink, msg, field)
	case code == omadata.ENOTFOUND && field == "pseudonym":
		writeProblem(w, http.StatusNotFound, ReasonUnknownResident, msg, field)
	case code == omadata.ENOTFOUND:
		writeProblem(w, http.StatusNotFound, ReasonNotFound, msg, field)
	case code == omadata.ECONFLICT:
		writeProblem(w, http.StatusConflict, omadata.ECONFLICT, msg, field)
	case code == omadata.EUNAVAILABLE:
		writeProblem(w, http.StatusServiceUnavailable, ReasonUnavailable, msg, "")
	default:
		h.o.Logger.ErrorContext(r.Context(), "network call failed", "path", r.URL.Path, "operator", c.OperatorID, "error", err.Error())
		writeProblem(w, http.StatusInternalServerError, ReasonInternal, "Internal error.", "")
	}
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// jsonField names the member a decoding error is about, "body" if none.
func jsonField(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return te.Field
	}
	if s := err.Error(); strings.HasPrefix(s, "json: unknown field ") {
		return strings.Trim(strings.TrimPrefix(s, "json: unknown field "), `"`)
	}
	return "body"
}

// jsonProblem says what is wrong without echoing the body.
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &te):
		return "a member has the wrong type"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown member"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "it ends early"
	}
	return "it does not parse"
}
