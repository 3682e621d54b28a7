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
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/conformance/conformancetest"
	"github.com/omadata/omadata/internal/federation"
	"github.com/omadata/omadata/internal/network"
)

// resolverKeys gives a caller's keys from its trust chain as omadata's
// resolver (internal/federation) validates it, as network.Keys: so the
// checker's own entity configuration must satisfy omadata's resolver.
type resolverKeys struct{ r *federation.Resolver }

func (k resolverKeys) CallerKeys(ctx context.Context, operatorID string) (jose.JSONWebKeySet, error) {
	res, err := k.r.Resolve(ctx, operatorID)
	if err != nil {
		if reason := federation.Reason(err); reason != network.ReasonUnavailable {
			return jose.JSONWebKeySet{}, network.Refuse(reason, "Not an active member.")
		}
		return jose.JSONWebKeySet{}, err
	}
	return *res.Keys, nil
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
// answers, problem documents; internal/federation resolving the callers)
// behind a conformancetest entity configuration: the checker and omadata
// agree on every check of sections 3, 4 and 6, and omadata resolves the
// checker as a member and the non-member as none.
func TestOmadataGuardConforms(t *testing.T) {
	anchor := conformancetest.NewAnchor(t)
	member := newTestMember(t, anchor, "")
	resolver := &federation.Resolver{AnchorID: anchor.ID, AnchorKeys: anchor.JWKS(), Rulebook: anchor.Rulebook}
	guard := network.NewGuard(&network.Verifier{OperatorID: member.ID, Keys: resolverKeys{resolver},
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
		var in struct {
			Questions []json.RawMessage `json:"questions"`
		}
		if json.NewDecoder(r.Body).Decode(&in) != nil || len(in.Questions) > 1000 {
			rf := network.Refuse(network.ReasonInvalid, "At most 1000 questions.")
			rf.Field = "questions"
			guard.Refuse(w, r, rf)
			return
		}
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
