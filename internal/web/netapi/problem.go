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
	"github.com/omadata/omadata/internal/network"
)

// ReasonInternal is the reason of a problem document for a failure of
// this operator's own, which is not a refusal of the call.
const ReasonInternal = "internal"

// writeProblem writes a problem document (docs/network.md §6) that is no
// refusal of a call: a path the endpoint does not have, or a failure of
// this operator's own.
func writeProblem(w http.ResponseWriter, status int, reason, detail, field string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(network.Problem{
		Type: "https://omadata.fi/problems/network/" + reason, Title: http.StatusText(status), Status: status,
		Detail: detail, Reason: reason, Field: field,
	})
}

// fail answers an error of a handler through the Guard, which logs and
// counts refusals: the store's refusals of the whole call with the reason
// omadata.NetworkReason names (not_your_sink, not_our_source,
// unknown_resident, also for a field inside a question), and everything
// else as network.Guard.Error does (invalid naming its field, not_found,
// or a logged 500 of this operator's own).
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, g *network.Guard, err error) {
	switch reason := omadata.NetworkReason(err); reason {
	case omadata.ReasonNotYourSink, omadata.ReasonNotOurSource:
		g.Refuse(w, r, &network.Refusal{Reason: reason, Status: http.StatusForbidden, Detail: omadata.ErrorMessage(err), Field: omadata.ErrorField(err)})
	case omadata.ReasonUnknownResident:
		g.Refuse(w, r, &network.Refusal{Reason: reason, Status: http.StatusNotFound, Detail: omadata.ErrorMessage(err), Field: omadata.ErrorField(err)})
	default:
		g.Error(w, r, err)
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
