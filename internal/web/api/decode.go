// SPDX-License-Identifier: Apache-2.0

package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/web/respond"
)

// decode reads the request body, one JSON value, into v. It fails, before
// any service is called, on a media type other than JSON, unknown fields,
// wrong types, bad syntax, trailing data, a body over the server's limit
// (which package web sets with http.MaxBytesReader), and what checkJSON
// refuses: invalid UTF-8, lone surrogates, control characters, keys given
// twice and a null body.
func decode(r *http.Request, v any) error {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return &omadata.Error{Code: omadata.EUNSUPPORTED, Field: "Content-Type", Message: "Send the body as JSON, with Content-Type: application/json."}
	} else if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return &omadata.Error{Code: omadata.EUNSUPPORTED, Field: "Content-Type", Message: "Send the body in UTF-8."}
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return readError(err)
	} else if len(bytes.TrimSpace(data)) == 0 {
		return decodeError(io.EOF)
	} else if err := checkJSON(data, reflect.TypeOf(v)); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) || respond.ReadTimeout(err) {
			return decodeError(err)
		}
		return omadata.Invalidf("body", "Send one JSON value, with nothing after it.")
	}
	return nil
}

// readError answers a body that could not be read in full: as decodeError
// does where it knows the error (a body over the limit), else as the
// client's error, since a body that stops arriving is not the server's
// fault.
func readError(err error) error {
	if e := decodeError(err); omadata.ErrorCode(e) != omadata.EINTERNAL {
		return e
	}
	return omadata.Invalidf("body", "The body could not be read in full; send it again, all at once.")
}

// decodeError turns an encoding/json error into an application error that
// names the offending field.
func decodeError(err error) error {
	var (
		tooLarge   *http.MaxBytesError
		syntaxErr  *json.SyntaxError
		typeErr    *json.UnmarshalTypeError
		invalidErr *json.InvalidUnmarshalError
		timeErr    *time.ParseError
	)
	switch {
	case errors.As(err, &tooLarge):
		return &omadata.Error{Code: omadata.ETOOLARGE, Field: "body", Message: fmt.Sprintf("The body is larger than %d bytes.", tooLarge.Limit)}
	case respond.ReadTimeout(err):
		return &omadata.Error{Code: omadata.ETIMEOUT, Field: "body", Message: "The body did not arrive in time. Send it at once."}
	case errors.Is(err, io.EOF):
		return omadata.Invalidf("body", "Send a JSON body.")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return omadata.Invalidf("body", "The JSON body ends too early.")
	case errors.As(err, &syntaxErr):
		return omadata.Invalidf("body", "Not valid JSON at byte %d.", syntaxErr.Offset)
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return omadata.Invalidf("body", "Must be %s.", jsonType(typeErr.Type))
		}
		return omadata.Invalidf(omadata.Truncate(typeErr.Field, 200), "Must be %s.", jsonType(typeErr.Type))
	case errors.As(err, &timeErr):
		// encoding/json does not say which field held the bad time.
		return omadata.Invalidf("body", "A time is not in RFC 3339 form, such as 2026-11-22T10:00:00Z.")
	case errors.As(err, &invalidErr):
		return err // a bug: decode was given a non-pointer
	}
	// encoding/json has no type for an unknown field, only this text.
	if rest, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		if name, err := strconv.Unquote(rest); err == nil {
			field := name
			if field == "" {
				field = "body" // an empty key still needs a field to point at
			}
			return omadata.Invalidf(omadata.Truncate(field, 64), "Unknown field %q.", omadata.Truncate(name, 64))
		}
	}
	return err
}

// jsonType names the JSON type that decodes into t, with its article.
func jsonType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "a " + t.Kind().String()
}
