// SPDX-License-Identifier: Apache-2.0

package omadata

import (
	"errors"
	"fmt"
)

// Error codes. They are API: append, never rename.
const (
	EINVALID      = "invalid"      // the input is wrong; Field names the culprit
	EUNAUTHORIZED = "unauthorized" // no or bad credentials
	EFORBIDDEN    = "forbidden"    // the caller may know the record exists, but may not do this
	ENOTFOUND     = "not_found"    // missing, or not visible to the caller
	ECONFLICT     = "conflict"     // the record's state does not allow the change
	ETOOLARGE     = "too_large"    // the request body is over the limit
	EINTERNAL     = "internal"     // a bug or an outage; details only in the log
	EUNAVAILABLE  = "unavailable"  // a dependency is down or the server is shutting down
	EUNSUPPORTED  = "unsupported"  // the media type or method is not supported
	ETIMEOUT      = "timeout"      // the request body did not arrive in time
	ERATELIMITED  = "rate_limited" // too many requests; retry after the Retry-After header's seconds
)

// Error is an application error. Message and Field are safe to show the caller.
type Error struct {
	Code    string
	Message string
	Field   string // the offending input field, if any, as a JSON path ("name.fi")
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("omadata error: code=%s field=%s message=%s", e.Code, e.Field, e.Message)
	}
	return fmt.Sprintf("omadata error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalidf returns an EINVALID error naming field.
func Invalidf(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Conflictf returns an ECONFLICT error naming field.
func Conflictf(field, format string, args ...any) *Error {
	return &Error{Code: ECONFLICT, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Forbiddenf returns an EFORBIDDEN error naming field: the caller may not
// set it.
func Forbiddenf(field, format string, args ...any) *Error {
	return &Error{Code: EFORBIDDEN, Field: field, Message: fmt.Sprintf(format, args...)}
}

// NotFound returns the ENOTFOUND error for a kind of record, e.g. "service".
// Callers that may not see a record get exactly the same error.
func NotFound(kind string) *Error {
	return &Error{Code: ENOTFOUND, Message: kind + " not found."}
}

// ErrorCode returns the code of the application error in err's chain, or EINTERNAL.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the caller-safe message of err, or a generic one.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// ErrorField returns the offending field of an application error, if any.
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}
