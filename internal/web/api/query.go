// SPDX-License-Identifier: Apache-2.0

package api

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/web/respond"
)

// Page sizes of list routes.
const (
	defaultLimit = 50
	maxLimit     = 200
)

// page reads the limit and cursor parameters of a list of records whose IDs
// have prefix. It returns the ID to list after, and the page size.
func page(r *http.Request, prefix string) (after string, limit int, err error) {
	q := r.URL.Query()
	limit = defaultLimit
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxLimit {
			return "", 0, omadata.Invalidf("limit", "Use a whole number from 1 to %d.", maxLimit)
		}
		limit = n
	}
	if s := q.Get("cursor"); s != "" {
		id, ok := respond.DecodeCursor(s)
		if !ok || !omadata.ValidID(prefix, id) {
			return "", 0, omadata.Invalidf("cursor", "Not a cursor from this list; use next_cursor of the previous page.")
		}
		after = id
	}
	return after, limit, nil
}

// idParam returns the query parameter name as an ID filter of the given
// prefix, nil when absent.
func idParam(r *http.Request, name, prefix string) (*string, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return nil, nil
	} else if !omadata.ValidID(prefix, s) {
		return nil, omadata.Invalidf(name, "Not an ID of the right kind.")
	}
	return &s, nil
}

// enumParam returns the query parameter name if it is one of values, nil
// when absent.
func enumParam(r *http.Request, name string, values ...string) (*string, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return nil, nil
	} else if !slices.Contains(values, s) {
		return nil, omadata.Invalidf(name, "Use one of %s.", strings.Join(values, ", "))
	}
	return &s, nil
}

// versionParam returns the {version} path parameter: a positive integer
// written without sign or leading zeros.
func versionParam(r *http.Request) (int, error) {
	s := r.PathValue("version")
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || strconv.Itoa(n) != s {
		return 0, omadata.Invalidf("version", "Use a version number: 1, 2, 3 and so on.")
	}
	return n, nil
}
