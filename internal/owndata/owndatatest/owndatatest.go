// SPDX-License-Identifier: Apache-2.0

// Package owndatatest runs the source protocol for tests: a real operator
// server on a fresh SQLite store, and sources as separate HTTP servers
// that record every request they receive.
package owndatatest

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
	"github.com/omadata/omadata/internal/store/storetest"
	"github.com/omadata/omadata/internal/web"
)

// Operator is a real omadata server on a fresh SQLite store.
type Operator struct {
	URL   string
	Store *store.Store
}

// NewOperator starts an operator, closed when t ends.
func NewOperator(t testing.TB) *Operator {
	t.Helper()
	st := storetest.OpenURL(t, "sqlite:"+filepath.Join(t.TempDir(), "omadata.db"))
	var h http.Handler
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(hs.Close)
	h = web.New(web.Options{
		Organisations: st, Services: st, Credentials: st, DataGroups: st, Purposes: st, Processings: st, AISystems: st,
		Catalogue: st, SigningKeys: st, Residents: st, Representations: st, Consents: st, Decisions: st, Grants: st, Webhooks: st, Log: st, Usage: st, Requests: st,
		Apps: st, AppTokens: st,
		Operator: web.OperatorInfo{ID: "https://omadata.test", Name: "Test City", BusinessID: "0201256-6", Email: "mydata@example.fi", PublicURL: hs.URL},
	})
	return &Operator{URL: hs.URL, Store: st}
}

// Credential returns a new token of the service with scopes.
func (o *Operator) Credential(t testing.TB, serviceID string, scopes ...string) string {
	t.Helper()
	c := &omadata.Credential{ServiceID: serviceID, Name: "test", Scopes: scopes}
	if err := o.Store.CreateCredential(storetest.Admin(), c); err != nil {
		t.Fatal(err)
	}
	return c.Token
}

// Recorder is an HTTP server that records every request it receives in
// full (method, URL, headers, body) before its handler sees it.
type Recorder struct {
	*httptest.Server
	mu       sync.Mutex
	requests [][]byte
}

// NewRecorder starts h behind a Recorder, closed when t ends.
func NewRecorder(t testing.TB, h http.Handler) *Recorder {
	t.Helper()
	rec := &Recorder{}
	rec.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dump, err := httputil.DumpRequest(r, true)
		if err != nil {
			http.Error(w, "unreadable request", http.StatusBadRequest)
			return
		}
		rec.mu.Lock()
		rec.requests = append(rec.requests, dump)
		rec.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(rec.Server.Close)
	return rec
}

// Requests returns the requests received so far, as sent.
func (rec *Recorder) Requests() [][]byte {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([][]byte(nil), rec.requests...)
}

// Contains reports whether any request received contains s: in its path,
// query, headers or body as sent, URL-decoded, or inside any base64url
// part (such as the claims of a grant or a DPoP proof).
func (rec *Recorder) Contains(s string) bool {
	for _, r := range rec.Requests() {
		forms := [][]byte{r}
		if u, err := url.PathUnescape(string(r)); err == nil {
			forms = append(forms, []byte(u))
		}
		for _, f := range bytes.FieldsFunc(r, func(c rune) bool { return strings.ContainsRune(" .\r\n\t:,\"", c) }) {
			if d, err := base64.RawURLEncoding.DecodeString(string(f)); err == nil {
				forms = append(forms, d)
			}
		}
		for _, f := range forms {
			if bytes.Contains(f, []byte(s)) {
				return true
			}
		}
	}
	return false
}
