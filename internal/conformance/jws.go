// SPDX-License-Identifier: Apache-2.0

package conformance

import (
	"crypto"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Media types and JWS "typ" values of docs/network.md.
const (
	typEntityStatement = "entity-statement+jwt"
	typTrustMark       = "trust-mark+jwt"
	typAnswer          = "omadata-answer+jwt"

	mediaEntityStatement = "application/entity-statement+jwt"
	mediaAnswer          = "application/jwt"
	mediaProblem         = "application/problem+json"
)

// Clock skew and lifetimes of docs/network.md §7.
const (
	skew             = 60 * time.Second
	maxStatementLife = 24 * time.Hour
	maxAnswerLife    = 300 * time.Second
	maxBody          = 1 << 20
)

// compactJWS is a compact JWS as received: its protected header and
// payload decoded but not yet verified (RFC 7515 §7.1).
type compactJWS struct {
	Raw    string
	Header struct {
		Alg string `json:"alg"`
		Typ string `json:"typ"`
		Kid string `json:"kid"`
	}
	Payload []byte
}

// parseCompact splits and decodes a compact JWS without verifying it, so
// that a check can say which header or claim is wrong.
func parseCompact(raw string) (*compactJWS, error) {
	raw = strings.TrimSpace(raw)
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil, errors.New("not a compact JWS (three base64url parts)")
	}
	h, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return nil, errors.New("protected header is not base64url")
	}
	j := &compactJWS{Raw: raw}
	if err := json.Unmarshal(h, &j.Header); err != nil {
		return nil, errors.New("protected header is not a JSON object")
	}
	if j.Payload, err = base64.RawURLEncoding.DecodeString(parts[1]); err != nil {
		return nil, errors.New("payload is not base64url")
	}
	return j, nil
}

// checkHeader checks a JWS's alg and typ and that it names a kid.
func (j *compactJWS) checkHeader(typ string) error {
	switch {
	case j.Header.Alg != "EdDSA":
		return fmt.Errorf("header alg is %q, want EdDSA", j.Header.Alg)
	case j.Header.Typ != typ:
		return fmt.Errorf("header typ is %q, want %s", j.Header.Typ, typ)
	case j.Header.Kid == "":
		return errors.New("header has no kid")
	}
	return nil
}

// verify verifies the JWS with the key of keys whose kid is the header's
// (RFC 7515 §5.2), EdDSA only.
func (j *compactJWS) verify(keys *jose.JSONWebKeySet, whose string) error {
	if keys == nil {
		return fmt.Errorf("no keys of %s to verify with", whose)
	}
	found := keys.Key(j.Header.Kid)
	if len(found) == 0 {
		return fmt.Errorf("kid %q is not a key of %s", j.Header.Kid, whose)
	}
	sig, err := jose.ParseSigned(j.Raw, []jose.SignatureAlgorithm{jose.EdDSA})
	if err != nil {
		return fmt.Errorf("parse JWS: %w", err)
	}
	if _, err := sig.Verify(found[0].Public()); err != nil {
		return fmt.Errorf("signature does not verify with %s's key %q", whose, j.Header.Kid)
	}
	return nil
}

// claims are the claims of the statements, trust marks and answers of
// docs/network.md that the checks read.
type claims struct {
	Iss            string               `json:"iss"`
	Sub            string               `json:"sub"`
	Aud            audience             `json:"aud"`
	Iat            *int64               `json:"iat"`
	Exp            *int64               `json:"exp"`
	Nonce          string               `json:"nonce"`
	JWKS           *jose.JSONWebKeySet  `json:"jwks"`
	AuthorityHints []string             `json:"authority_hints"`
	TrustMarks     []trustMarkRef       `json:"trust_marks"`
	Metadata       map[string]jsonObj   `json:"metadata"`
	MetadataPolicy map[string]policySet `json:"metadata_policy"`
	TrustMarkType  string               `json:"trust_mark_type"`
	Rulebook       json.RawMessage      `json:"rulebook_version"`
}

type jsonObj = map[string]any

// policySet is a metadata policy for one entity type: operators by
// metadata parameter (OIDF §6.1).
type policySet = map[string]map[string]any

type trustMarkRef struct {
	Type      string `json:"trust_mark_type"`
	TrustMark string `json:"trust_mark"`
}

// audience is an "aud" claim: one string or an array of them (RFC 7519
// §4.1.3).
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*a = audience{s}
		return nil
	}
	var l []string
	if err := json.Unmarshal(b, &l); err != nil {
		return errors.New("aud is neither a string nor an array of strings")
	}
	*a = l
	return nil
}

func (j *compactJWS) claims() (*claims, error) {
	var c claims
	if err := json.Unmarshal(j.Payload, &c); err != nil {
		return nil, fmt.Errorf("claims: %w", err)
	}
	return &c, nil
}

// checkTimes checks iat and exp: iat present and not in the future (60 s
// skew), exp present and in the future, and exp − iat at most maxLife
// (docs/network.md §2.4 step 4, §7).
func (c *claims) checkTimes(now time.Time, maxLife time.Duration) error {
	switch {
	case c.Iat == nil:
		return errors.New("no iat")
	case c.Exp == nil:
		return errors.New("no exp")
	case time.Unix(*c.Iat, 0).After(now.Add(skew)):
		return fmt.Errorf("iat %d is in the future", *c.Iat)
	case !time.Unix(*c.Exp, 0).After(now):
		return fmt.Errorf("exp %d has passed", *c.Exp)
	case time.Duration(*c.Exp-*c.Iat)*time.Second > maxLife:
		return fmt.Errorf("exp − iat is %ds, more than %s", *c.Exp-*c.Iat, maxLife)
	}
	return nil
}

// checkFederationKeys checks a JWKS of federation keys (docs/network.md
// §1): public Ed25519 keys, alg EdDSA, use sig, kid the RFC 7638 SHA-256
// thumbprint.
func checkFederationKeys(keys *jose.JSONWebKeySet) error {
	if keys == nil || len(keys.Keys) == 0 {
		return errors.New("no jwks")
	}
	for _, k := range keys.Keys {
		if _, ok := k.Key.(ed25519.PublicKey); !ok {
			return fmt.Errorf("key %q is not a public Ed25519 key (kty OKP, crv Ed25519)", k.KeyID)
		}
		if k.Algorithm != "EdDSA" || k.Use != "sig" {
			return fmt.Errorf("key %q has alg %q and use %q, want EdDSA and sig", k.KeyID, k.Algorithm, k.Use)
		}
		tp, err := k.Thumbprint(crypto.SHA256)
		if err != nil {
			return fmt.Errorf("key %q: thumbprint: %w", k.KeyID, err)
		}
		if k.KeyID != base64.RawURLEncoding.EncodeToString(tp) {
			return fmt.Errorf("key %q: kid is not its RFC 7638 SHA-256 thumbprint", k.KeyID)
		}
	}
	return nil
}

// signJWS signs claims as a compact JWS of the given typ with an Ed25519
// JWK, its kid in the header.
func signJWS(key *jose.JSONWebKey, typ string, v any) (string, error) {
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: key},
		(&jose.SignerOptions{}).WithType(jose.ContentType(typ)))
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	o, err := s.Sign(b)
	if err != nil {
		return "", err
	}
	return o.CompactSerialize()
}

// thumbprintKID returns the RFC 7638 SHA-256 thumbprint of key, base64url.
func thumbprintKID(key *jose.JSONWebKey) string {
	pub := key.Public()
	tp, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		return "" // not a key; New refuses such a key before it is used
	}
	return base64.RawURLEncoding.EncodeToString(tp)
}
