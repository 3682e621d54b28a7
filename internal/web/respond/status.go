// SPDX-License-Identifier: Apache-2.0

package respond

import (
	"errors"
	"net"
	"net/http"

	"github.com/omadata/omadata"
)

// codes maps error codes to HTTP statuses. It is the one such table: every
// surface answers an omadata error with the status it names.
var codes = map[string]int{
	omadata.EINVALID:      http.StatusBadRequest,
	omadata.EUNAUTHORIZED: http.StatusUnauthorized,
	omadata.EFORBIDDEN:    http.StatusForbidden,
	omadata.ENOTFOUND:     http.StatusNotFound,
	omadata.ECONFLICT:     http.StatusConflict,
	omadata.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	omadata.EUNSUPPORTED:  http.StatusUnsupportedMediaType,
	omadata.EUNAVAILABLE:  http.StatusServiceUnavailable,
	omadata.EINTERNAL:     http.StatusInternalServerError,
	omadata.ETIMEOUT:      http.StatusRequestTimeout,
	omadata.ERATELIMITED:  http.StatusTooManyRequests,
}

// Status returns the HTTP status for an error code; 500 for an unknown one.
func Status(code string) int {
	if s, ok := codes[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// ReadTimeout reports whether err, from reading a request body, is its read
// deadline passing: the server's read timeout, for a client that sends too
// slowly. Surfaces answer it with ETIMEOUT (408), not a 500.
func ReadTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
