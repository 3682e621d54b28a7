// SPDX-License-Identifier: Apache-2.0

// Package respond writes JSON responses: records, lists and errors, with
// the status each error code maps to.
package respond

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/omadata/omadata"
)

// JSON writes v as a JSON body with status. It encodes into a buffer first,
// so an encoding failure is a clean 500 rather than half a body.
func JSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		Error(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// OK writes v with status 200.
func OK(w http.ResponseWriter, r *http.Request, v any) { JSON(w, r, http.StatusOK, v) }

// Created writes v with status 201.
func Created(w http.ResponseWriter, r *http.Request, v any) { JSON(w, r, http.StatusCreated, v) }

type list[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// List writes a page of items and the cursor of the next page, encoded as
// the opaque base64url form clients pass back ("" on the last page).
func List[T any](w http.ResponseWriter, r *http.Request, items []T, next string) {
	if items == nil {
		items = []T{} // an empty page is [], never null
	}
	if next != "" {
		next = EncodeCursor(next)
	}
	OK(w, r, list[T]{Items: items, NextCursor: next})
}

// EncodeCursor turns the last ID of a page into an opaque cursor.
func EncodeCursor(id string) string { return base64.RawURLEncoding.EncodeToString([]byte(id)) }

// DecodeCursor reverses EncodeCursor.
func DecodeCursor(cursor string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return "", false
	}
	return string(b), true
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	Field     string `json:"field,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

// Error writes err in the error shape with the status of its code. Only an
// application error's Message and Field reach the client; anything else is
// logged and answered "Internal error.".
func Error(w http.ResponseWriter, r *http.Request, err error) {
	code := omadata.ErrorCode(err)
	if code == omadata.EINTERNAL {
		Logger(r.Context()).LogAttrs(r.Context(), slog.LevelError, "internal error",
			slog.String("request_id", omadata.RequestIDFromContext(r.Context())),
			slog.String("route", r.Pattern),
			slog.String("error", err.Error()))
	}
	if code == omadata.EUNAUTHORIZED && w.Header().Get("WWW-Authenticate") == "" {
		w.Header().Set("WWW-Authenticate", "Bearer") // a DPoP challenge, set by the caller, stays
	}
	writeError(w, r, Status(code), code, omadata.ErrorMessage(err), omadata.ErrorField(err))
}

// MethodNotAllowed answers a method the route does not support. 405 is the
// one status outside the code table: it is about the route, not the input.
func MethodNotAllowed(w http.ResponseWriter, r *http.Request, allow string) {
	if allow != "" {
		w.Header().Set("Allow", allow)
	}
	writeError(w, r, http.StatusMethodNotAllowed, omadata.EUNSUPPORTED, "Method "+r.Method+" is not allowed here.", "")
}

func writeError(w http.ResponseWriter, r *http.Request, status int, code, msg, field string) {
	body := errorBody{errorDetail{
		Code:      code,
		Message:   msg,
		Field:     field,
		RequestID: omadata.RequestIDFromContext(r.Context()),
	}}
	b, _ := json.Marshal(body) // strings only; cannot fail
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

type loggerKey struct{}

// NewContextWithLogger returns a copy of ctx carrying the logger Error uses.
func NewContextWithLogger(ctx context.Context, l *slog.Logger) context.Context {
	return context.WithValue(ctx, loggerKey{}, l)
}

// Logger returns the logger in ctx, or slog's default logger.
func Logger(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey{}).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}
