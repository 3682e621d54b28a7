// SPDX-License-Identifier: Apache-2.0

package respond

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
)

// CacheControlCatalogue is the Cache-Control of the public catalogue's
// documents: anyone may cache them for five minutes (the network
// catalogue's max-age, docs/network.md §7), and revalidates with
// If-None-Match after that.
const CacheControlCatalogue = "public, max-age=300"

// ETag returns the strong entity tag of a representation (RFC 9110
// §8.8.3): the SHA-256 of its bytes, base64url. Two bodies share a tag
// exactly when they are the same bytes, so the tag changes exactly when
// what a client would read does.
func ETag(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:]) + `"`
}

// Conditional writes body as a 200 with its strong ETag and cacheControl,
// or, when the request's If-None-Match names that tag (or is "*"), a 304
// with the same headers and no body (RFC 9110 §13.1.2, §15.4.5).
func Conditional(w http.ResponseWriter, r *http.Request, contentType, cacheControl string, body []byte) {
	tag := ETag(body)
	h := w.Header()
	h.Set("ETag", tag)
	h.Set("Cache-Control", cacheControl)
	if NoneMatch(r.Header.Values("If-None-Match"), tag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

// ConditionalJSON encodes v and writes it as Conditional does.
func ConditionalJSON(w http.ResponseWriter, r *http.Request, contentType string, v any) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		Error(w, r, err)
		return
	}
	Conditional(w, r, contentType, CacheControlCatalogue, buf.Bytes())
}

// NoneMatch reports whether If-None-Match, all its values, matches tag
// (or is "*"). It compares weakly, as RFC 9110 §13.1.2 requires of
// If-None-Match: W/"x" matches "x". The API's conditional answers and the
// network catalogue's (internal/web/netapi) ask it.
func NoneMatch(values []string, tag string) bool {
	for _, v := range values {
		for _, t := range strings.Split(v, ",") {
			t = strings.TrimSpace(t)
			if t == "*" || strings.TrimPrefix(t, "W/") == tag {
				return true
			}
		}
	}
	return false
}

// ConditionalList writes a page of items as List does, conditionally.
func ConditionalList[T any](w http.ResponseWriter, r *http.Request, items []T, next string) {
	if items == nil {
		items = []T{}
	}
	if next != "" {
		next = EncodeCursor(next)
	}
	ConditionalJSON(w, r, "application/json", list[T]{Items: items, NextCursor: next})
}
