// SPDX-License-Identifier: Apache-2.0

package conformance

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/conformance/conformancetest"
	"github.com/omadata/omadata/internal/network"
)

// anchorKeys gives a caller's keys from the anchor's subordinate
// statement about it, as network.Keys.
type anchorKeys struct{ anchor *conformancetest.Anchor }

func (k anchorKeys) CallerKeys(ctx context.Context, operatorID string) (jose.JSONWebKeySet, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, k.anchor.ID+"/fetch?"+url.Values{"sub": {operatorID}}.Encode(), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return jose.JSONWebKeySet{}, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusNotFound {
		return jose.JSONWebKeySet{}, network.Refuse(network.ReasonNotMember, "not a member")
	}
	j, err := parseCompact(string(b))
	if err != nil {
		return jose.JSONWebKeySet{}, err
	} else if err := j.verify(k.anchor.JWKS(), "the anchor"); err != nil {
		return jose.JSONWebKeySet{}, err
	}
	cl, err := j.claims()
	if err != nil || cl.JWKS == nil {
		return jose.JSONWebKeySet{}, err
	}
	return *cl.JWKS, nil
}

// memoryReplay is network.Replay in memory, for one instance.
type memoryReplay struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (m *memoryReplay) UseOnce(ctx context.Context, scope, nonce string, until time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := scope + " " + nonce
	if m.seen[k] {
		return false, nil
	}
	m.seen[k] = true
	return true, nil
}

// TestOmadataGuardConforms runs the checks against a member whose network
// endpoint is omadata's own (internal/network: Guard, Verifier, signed
// answers, problem documents) behind a conformancetest entity
// configuration: the checker and omadata's verifier agree on every check
// of section 3, 4 and 6.
func TestOmadataGuardConforms(t *testing.T) {
	anchor := conformancetest.NewAnchor(t)
	member := newTestMember(t, anchor, "")
	guard := network.NewGuard(&network.Verifier{OperatorID: member.ID, Keys: anchorKeys{anchor},
		Replay: &memoryReplay{seen: map[string]bool{}}}, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	mux := http.NewServeMux()
	mux.HandleFunc("GET /network/v1/catalogue", func(w http.ResponseWriter, r *http.Request) {
		call, _ := network.CallFromContext(r.Context())
		cat := omadata.NetworkCatalogue{OperatorID: member.ID, IssuedAt: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
			Sources: []*omadata.NetworkSource{}, Processings: []*omadata.CatalogueEntry{}}
		b, _ := json.Marshal(cat)
		sum := sha256.Sum256(b)
		etag := `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`
		w.Header().Set("ETag", etag)
		w.Header().Set("Cache-Control", "max-age=300")
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		jws, err := network.SignAnswer(network.ClaimsFor(call, member.ID, time.Now()),
			map[string]any{"catalogue": cat}, member.Key.KeyID, member.Key.Key.(ed25519.PrivateKey))
		if err != nil {
			t.Error(err)
		}
		// Not network.WriteAnswer: it sets Cache-Control: no-store, and
		// section 5.1 wants max-age=300 on the catalogue.
		w.Header().Set("Content-Type", network.AnswerContentType)
		io.WriteString(w, jws)
	})
	mux.HandleFunc("POST /network/v1/decisions", func(w http.ResponseWriter, r *http.Request) {
		guard.Refuse(w, r, network.Refuse(network.ReasonUnknownResident, "No such pseudonym."))
	})
	member.Network = guard.Handler(mux)

	results := newTestChecker(t, anchor, member.ID).Check(context.Background())
	for _, r := range results {
		if r.Status != Pass {
			logResults(t, results)
			t.Errorf("%s: %s %s", r.Check, r.Status, r.Reason)
		}
	}
}
