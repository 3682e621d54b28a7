// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/op"
)

const (
	loginPath     = "/login/username" // where the example's clients send people to log in
	loggedOutPath = "/logged-out"
)

// newProvider is a provider for a plain-HTTP issuer on 127.0.0.1: code
// flow with PKCE S256, client secrets by basic auth or form post, and
// RP-initiated logout.
func newProvider(issuer string, key [32]byte, st op.Storage) (*op.Provider, error) {
	cfg := &op.Config{
		CryptoKey:                key,
		DefaultLogoutRedirectURI: loggedOutPath,
		CodeMethodS256:           true,
		AuthMethodPost:           true,
	}
	return op.NewProvider(cfg, st, op.StaticIssuer(issuer), op.WithAllowInsecure())
}

func opCallback(pr *op.Provider) func(context.Context, string) string {
	return op.AuthCallbackURL(pr)
}

func issuerInterceptor(pr *op.Provider) func(http.Handler) http.Handler {
	return op.NewIssuerInterceptor(pr.IssuerFromRequest).Handler
}

func (h *handler) misbehaves() bool {
	m := h.cfg.Misbehave
	return len(m.ExtraAudiences) > 0 || m.AZP != "" || m.DropAZP
}

// rewriteToken runs the token endpoint, then changes the ID token's aud
// and azp as the knobs say and signs it again with the provider's key.
func (h *handler) rewriteToken(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	h.op.ServeHTTP(rec, r)
	body := rec.Body.Bytes()
	var res map[string]any
	if rec.Code == http.StatusOK && json.Unmarshal(body, &res) == nil {
		if raw, ok := res["id_token"].(string); ok {
			tok, err := h.resign(r.Context(), raw)
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			res["id_token"] = tok
			body, _ = json.Marshal(res)
		}
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(rec.Code)
	w.Write(body)
}

func (h *handler) resign(ctx context.Context, raw string) (string, error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return "", fmt.Errorf("an ID token of %d parts", len(parts))
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", err
	}
	var claims map[string]any
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	if err := dec.Decode(&claims); err != nil {
		return "", err
	}
	m := h.cfg.Misbehave
	if len(m.ExtraAudiences) > 0 {
		var aud []any
		switch a := claims["aud"].(type) {
		case string:
			aud = []any{a}
		case []any:
			aud = a
		}
		for _, x := range m.ExtraAudiences {
			aud = append(aud, x)
		}
		claims["aud"] = aud
	}
	if m.AZP != "" {
		claims["azp"] = m.AZP
	}
	if m.DropAZP {
		delete(claims, "azp")
	}
	key, err := h.st.SigningKey(ctx)
	if err != nil {
		return "", err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: key.SignatureAlgorithm(), Key: jose.JSONWebKey{Key: key.Key(), KeyID: key.ID()}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", err
	}
	out, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(out)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}
