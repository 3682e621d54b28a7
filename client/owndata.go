// SPDX-License-Identifier: Apache-2.0

package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/omadata/omadata"
)

// OwnDataPath is where a source answers the operator for one data group
// of one resident, under its registered API base URL: OwnDataPath + the
// data group's code (docs/own-data.md).
const OwnDataPath = "/omadata/own-data/"

// OwnDataMaxBody is the largest answer the operator reads, in bytes.
const OwnDataMaxBody = 1 << 20

// OwnDataAnswer is a source's answer for one data group about one
// resident, in the protocol's shape: items, a table, or both.
type OwnDataAnswer struct {
	DataGroup string                `json:"data_group"` // the group's code; OwnDataHandler sets it
	Items     []omadata.OwnDataItem `json:"items,omitempty"`
	Table     *omadata.OwnDataTable `json:"table,omitempty"`
}

// OwnDataFunc answers for the resident a source knows by pseudonym in the
// data group of code. An error with the code omadata.ENOTFOUND (such as
// omadata.NotFound("Resident")), or an answer with neither items nor a
// table, means the source holds nothing: the handler answers 404.
type OwnDataFunc func(ctx context.Context, pseudonym, dataGroupCode string) (*OwnDataAnswer, error)

// OwnDataHandler serves the source protocol's GET {api}/omadata/own-data/{code}
// for a source written in Go: it verifies the operator's grant with v as
// any grant (signature, audience this source, DPoP proof, live status),
// wants the purpose own access (omadata.OwnAccessPurposeID) and the data
// group of the path in the grant, and answers fn's data as JSON. groups
// maps the codes of the source's data groups to their IDs in the
// catalogue; a code not in it is 404. Mount it so that it sees the whole
// path, for example mux.Handle("GET /omadata/own-data/{code}", h).
func OwnDataHandler(v *Verifier, groups map[string]string, fn OwnDataFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", http.MethodGet)
			writeError(w, &Error{Status: http.StatusMethodNotAllowed, Code: omadata.EINVALID, Message: "Only GET is allowed."})
			return
		}
		i := strings.LastIndex(r.URL.Path, OwnDataPath)
		code := ""
		if i >= 0 {
			code = r.URL.Path[i+len(OwnDataPath):]
		}
		g, err := v.VerifyRequest(r.Context(), r)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				e = &Error{Status: http.StatusInternalServerError, Code: omadata.EINTERNAL, Message: "Internal error.", Cause: err}
			}
			if e.Cause != nil {
				slog.WarnContext(r.Context(), "own data: grant not verified", "err", e.Cause)
			}
			writeError(w, e)
			return
		}
		id, ok := groups[code]
		switch {
		case g.PurposeID != omadata.OwnAccessPurposeID:
			writeError(w, &Error{Status: http.StatusForbidden, Code: omadata.EFORBIDDEN, Message: "The grant is not for the resident's own access."})
			return
		case !ok:
			writeError(w, &Error{Status: http.StatusNotFound, Code: omadata.ENOTFOUND, Message: "No such data group."})
			return
		case !g.Allows(id):
			writeError(w, &Error{Status: http.StatusForbidden, Code: omadata.EFORBIDDEN, Message: "The grant does not cover this data group."})
			return
		}
		a, err := fn(r.Context(), g.Pseudonym, code)
		switch {
		case omadata.ErrorCode(err) == omadata.ENOTFOUND, err == nil && (a == nil || len(a.Items) == 0 && a.Table == nil):
			writeError(w, &Error{Status: http.StatusNotFound, Code: omadata.ENOTFOUND, Message: "Nothing is held about the resident in this data group."})
			return
		case err != nil:
			slog.ErrorContext(r.Context(), "own data: answer", "data_group", code, "err", err)
			writeError(w, &Error{Status: http.StatusInternalServerError, Code: omadata.EINTERNAL, Message: "Internal error."})
			return
		}
		a.DataGroup = code
		var b bytes.Buffer
		if err := json.NewEncoder(&b).Encode(a); err != nil || b.Len() > OwnDataMaxBody {
			slog.ErrorContext(r.Context(), "own data: answer too large or not encodable", "data_group", code, "bytes", b.Len(), "err", err)
			writeError(w, &Error{Status: http.StatusInternalServerError, Code: omadata.EINTERNAL, Message: "Internal error."})
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(b.Bytes())
	})
}

// writeError answers the API's error shape, which apiError reads.
func writeError(w http.ResponseWriter, e *Error) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(e.Status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": e.Code, "message": e.Message, "field": e.Field}})
}
