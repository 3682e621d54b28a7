// SPDX-License-Identifier: Apache-2.0

package network

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Signed answers (docs/network.md section 4): every 2xx answer of the
// network endpoint but 204 and 304 is a compact JWS (RFC 7515) signed with
// a federation key of the answerer, which the caller keeps as evidence.

const (
	// AnswerType is the typ of an answer's JWS header.
	AnswerType = "omadata-answer+jwt"
	// AnswerContentType is the Content-Type of an answer.
	AnswerContentType = "application/jwt"
	// AnswerLifetime is exp − iat of an answer (section 7).
	AnswerLifetime = 300 * time.Second
)

// AnswerClaims are an answer's registered claims: the answerer (iss), the
// caller (aud), when (iat, exp) and the nonce of the call's signature,
// which binds the answer to the call.
type AnswerClaims struct {
	Issuer   string `json:"iss"`
	Audience string `json:"aud"`
	IssuedAt int64  `json:"iat"`
	Expiry   int64  `json:"exp"`
	Nonce    string `json:"nonce"`
}

// ClaimsFor returns the claims of the answer of operatorID to call at now,
// valid for AnswerLifetime.
func ClaimsFor(call *Call, operatorID string, now time.Time) AnswerClaims {
	return AnswerClaims{Issuer: operatorID, Audience: call.OperatorID, IssuedAt: now.Unix(),
		Expiry: now.Add(AnswerLifetime).Unix(), Nonce: call.Nonce}
}

// Answer is a verified answer: its claims, its whole payload (the claims
// and the answer's own members, to decode) and the JWS itself.
type Answer struct {
	AnswerClaims
	KeyID   string
	Payload json.RawMessage
	JWS     string
}

// SignAnswer returns the compact JWS of an answer whose payload is the
// JSON object members (section 5's answer members) with the claims added,
// signed with the answerer's federation key (kid, key): header alg EdDSA,
// typ omadata-answer+jwt, kid.
func SignAnswer(claims AnswerClaims, members any, kid string, key ed25519.PrivateKey) (string, error) {
	obj := map[string]json.RawMessage{}
	if members != nil {
		raw, err := json.Marshal(members)
		if err != nil {
			return "", err
		}
		if err := json.Unmarshal(raw, &obj); err != nil {
			return "", fmt.Errorf("network: an answer's members are a JSON object: %w", err)
		}
	}
	reg, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	var regObj map[string]json.RawMessage
	json.Unmarshal(reg, &regObj)
	for k, v := range regObj {
		if _, ok := obj[k]; ok {
			return "", fmt.Errorf("network: an answer member may not be named %q", k)
		}
		obj[k] = v
	}
	payload, err := json.Marshal(obj)
	if err != nil {
		return "", err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: key},
		(&jose.SignerOptions{}).WithType(AnswerType).WithHeader(jose.HeaderKey("kid"), kid))
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

// WriteAnswer writes a signed answer with status, with Cache-Control:
// no-store unless the handler set a Cache-Control of its own (the
// catalogue's max-age).
func WriteAnswer(w http.ResponseWriter, status int, jws string) {
	w.Header().Set("Content-Type", AnswerContentType)
	if w.Header().Get("Cache-Control") == "" {
		w.Header().Set("Cache-Control", "no-store")
	}
	w.WriteHeader(status)
	w.Write([]byte(jws))
}

// AnswerError is an answer that does not check; Check names what failed:
// "jws", "typ", "kid", "signature", "iss", "aud", "nonce", "iat", "exp".
type AnswerError struct{ Check string }

func (e *AnswerError) Error() string { return "network: the answer's " + e.Check + " does not check" }

// VerifyAnswer checks a signed answer (section 4) with the answerer's
// federation keys from its resolved chain: typ and alg, the signature by
// the key kid names, iss = wantIss, aud = wantAud, nonce = wantNonce, iat
// not after now + Skew, exp after now and at most AnswerLifetime after iat.
func VerifyAnswer(compact string, keys jose.JSONWebKeySet, wantIss, wantAud, wantNonce string, now time.Time) (*Answer, error) {
	jws, err := jose.ParseSigned(compact, []jose.SignatureAlgorithm{jose.EdDSA})
	if err != nil || len(jws.Signatures) != 1 {
		return nil, &AnswerError{"jws"}
	}
	h := jws.Signatures[0].Protected
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != AnswerType {
		return nil, &AnswerError{"typ"}
	}
	pub := federationKey(keys, h.KeyID)
	if pub == nil {
		return nil, &AnswerError{"kid"}
	}
	payload, err := jws.Verify(pub)
	if err != nil {
		return nil, &AnswerError{"signature"}
	}
	var c AnswerClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, &AnswerError{"jws"}
	}
	switch {
	case c.Issuer != wantIss:
		return nil, &AnswerError{"iss"}
	case c.Audience != wantAud:
		return nil, &AnswerError{"aud"}
	case c.Nonce != wantNonce || wantNonce == "":
		return nil, &AnswerError{"nonce"}
	case c.IssuedAt <= 0 || time.Unix(c.IssuedAt, 0).After(now.Add(Skew)):
		return nil, &AnswerError{"iat"}
	case !time.Unix(c.Expiry, 0).After(now) || c.Expiry < c.IssuedAt || c.Expiry-c.IssuedAt > int64(AnswerLifetime/time.Second):
		// In seconds, both positive: exp − iat does not overflow.
		return nil, &AnswerError{"exp"}
	}
	return &Answer{AnswerClaims: c, KeyID: h.KeyID, Payload: payload, JWS: compact}, nil
}

// IsAnswerError reports whether err is an answer that does not check.
func IsAnswerError(err error) bool {
	var ae *AnswerError
	return errors.As(err, &ae)
}
