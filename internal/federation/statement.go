// SPDX-License-Identifier: Apache-2.0

// Package federation is the network's membership layer on OpenID Federation
// 1.0 (docs/network.md §2, cited "OIDF §n"): entity statements, trust marks,
// metadata policies, trust chain resolution and an operator's own entity
// configuration. It holds no SQL; the store keeps resolved peers through
// the Cache interface. go-jose does the JWS and JWK work, the federation
// logic is ours.
package federation

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Media types and JWS types of OIDF §3 and §7, and the well-known path of
// an entity configuration (OIDF §9).
const (
	TypEntityStatement         = "entity-statement+jwt"
	TypTrustMark               = "trust-mark+jwt"
	ContentTypeEntityStatement = "application/entity-statement+jwt"
	ContentTypeTrustMark       = "application/trust-mark+jwt"
	WellKnownPath              = "/.well-known/openid-federation"

	// MetadataOperator is the entity type of an operator's metadata
	// (network.md §2.1), MetadataFederation that of OIDF §5.1.1.
	MetadataOperator   = "omadata_operator"
	MetadataFederation = "federation_entity"

	// Skew is the clock skew allowed on iat (network.md §7).
	Skew = 60 * time.Second
	// MaxLifetime bounds exp − iat of statements and trust marks
	// (network.md §7).
	MaxLifetime = 24 * time.Hour
)

// Statement is an entity statement (OIDF §3): an entity configuration when
// iss = sub (OIDF §3, §9), a subordinate statement otherwise (OIDF §3).
type Statement struct {
	Issuer         string                     `json:"iss"`
	Subject        string                     `json:"sub"`
	IssuedAt       int64                      `json:"iat"`
	ExpiresAt      int64                      `json:"exp"`
	JWKS           *jose.JSONWebKeySet        `json:"jwks,omitempty"`
	AuthorityHints []string                   `json:"authority_hints,omitempty"`
	Metadata       map[string]json.RawMessage `json:"metadata,omitempty"`
	MetadataPolicy map[string]Policy          `json:"metadata_policy,omitempty"`
	// MetadataPolicyCrit lists the policy operators beyond OIDF
	// §6.1.3.1 that the policy uses and a recipient must understand (the
	// metadata_policy_crit claim of OIDF §3).
	MetadataPolicyCrit []string `json:"metadata_policy_crit,omitempty"`
	// TrustMarks are the trust marks the subject carries (OIDF §3.1.2,
	// claims of entity configurations only).
	TrustMarks []TrustMarkRef `json:"trust_marks,omitempty"`
	// TrustMarkIssuers says who may issue which trust mark type (OIDF
	// §3.1.2), in a trust anchor's configuration.
	TrustMarkIssuers map[string][]string `json:"trust_mark_issuers,omitempty"`
}

// TrustMarkRef is an element of an entity configuration's trust_marks
// (OIDF §3.1.2).
type TrustMarkRef struct {
	Type      string `json:"trust_mark_type"`
	TrustMark string `json:"trust_mark"`
}

// Expires returns exp as a time.
func (s *Statement) Expires() time.Time { return time.Unix(s.ExpiresAt, 0).UTC() }

// Key is a federation private key and its kid (the RFC 7638 thumbprint of
// its public half, network.md §1).
type Key struct {
	ID      string
	Private ed25519.PrivateKey
}

// NewKey makes a fresh Ed25519 federation key.
func NewKey() (Key, error) {
	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		return Key{}, err
	}
	return KeyOf(priv)
}

// KeyOf names an Ed25519 private key by its thumbprint.
func KeyOf(priv ed25519.PrivateKey) (Key, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return Key{}, errors.New("federation: not an Ed25519 private key")
	}
	kid, err := Thumbprint(priv.Public().(ed25519.PublicKey))
	return Key{ID: kid, Private: priv}, err
}

// Public returns the key's public JWK as network.md §1 has it: OKP,
// Ed25519, alg EdDSA, use sig, kid the thumbprint.
func (k Key) Public() jose.JSONWebKey {
	return jose.JSONWebKey{Key: k.Private.Public(), KeyID: k.ID, Algorithm: string(jose.EdDSA), Use: "sig"}
}

// KeySet returns the public JWK set of keys.
func KeySet(keys ...Key) *jose.JSONWebKeySet {
	set := &jose.JSONWebKeySet{}
	for _, k := range keys {
		set.Keys = append(set.Keys, k.Public())
	}
	return set
}

// Sign signs st as a compact JWS of type typ entity-statement+jwt with
// EdDSA and the key's kid in the protected header (OIDF §3, §3.2).
func Sign(st *Statement, key Key) (string, error) {
	return signJWT(st, key, TypEntityStatement)
}

func signJWT(claims any, key Key, typ string) (string, error) {
	if len(key.Private) != ed25519.PrivateKeySize || key.ID == "" {
		return "", errors.New("federation: no Ed25519 signing key")
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: jose.JSONWebKey{Key: key.Private, KeyID: key.ID}},
		(&jose.SignerOptions{}).WithType(jose.ContentType(typ)))
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

// ChainError is a statement or chain that fails validation: a bad
// signature, type, algorithm, issuer, subject or time, a policy violation,
// a missing or wrong trust mark. Callers refuse the peer.
type ChainError struct {
	Reason string // what failed, for logs; never shown to a caller
	// unknownKey: the JWS names a kid the keys given do not hold.
	unknownKey bool
}

func (e *ChainError) Error() string { return "federation: invalid trust chain: " + e.Reason }

func chainErrorf(format string, args ...any) error {
	return &ChainError{Reason: fmt.Sprintf(format, args...)}
}

// Unverified reads the claims of a compact JWS without verifying it: only
// to learn which keys to verify it with (an anchor admitting an entity
// reads its jwks this way, then verifies with them).
func Unverified(jws string, claims any) error {
	obj, err := jose.ParseSigned(jws, []jose.SignatureAlgorithm{jose.EdDSA})
	if err != nil {
		return chainErrorf("parse: %v", err)
	}
	return json.Unmarshal(obj.UnsafePayloadWithoutVerification(), claims)
}

// verifyJWT checks a compact JWS: exactly one signature, alg EdDSA, the
// given typ, a kid found in keys, and the signature (OIDF §3.2, §10.2; RFC
// 7515 §5.2). It returns the payload.
func verifyJWT(jws, typ string, keys *jose.JSONWebKeySet) ([]byte, error) {
	obj, err := jose.ParseSigned(jws, []jose.SignatureAlgorithm{jose.EdDSA})
	if err != nil {
		return nil, chainErrorf("parse %s: %v", typ, err)
	}
	if len(obj.Signatures) != 1 {
		return nil, chainErrorf("%s: want one signature", typ)
	}
	h := obj.Signatures[0].Protected
	if h.Algorithm != string(jose.EdDSA) {
		return nil, chainErrorf("%s: alg %q, want EdDSA", typ, h.Algorithm)
	}
	if got, _ := h.ExtraHeaders[jose.HeaderType].(string); got != typ {
		return nil, chainErrorf("typ %q, want %q", got, typ)
	}
	if h.KeyID == "" || keys == nil {
		return nil, chainErrorf("%s: no kid or no keys to verify with", typ)
	}
	found := keys.Key(h.KeyID)
	if len(found) == 0 {
		return nil, &ChainError{Reason: fmt.Sprintf("%s: kid %q is not among the trusted keys", typ, h.KeyID), unknownKey: true}
	}
	for _, k := range found {
		if _, ok := k.Key.(ed25519.PublicKey); !ok {
			continue
		}
		if payload, err := obj.Verify(k.Key); err == nil {
			return payload, nil
		}
	}
	return nil, chainErrorf("%s: bad signature", typ)
}

// Verify verifies an entity statement with keys and checks its claims
// (OIDF §3, §10.2): typ entity-statement+jwt, alg EdDSA, iss and sub as
// given (empty: not checked), iat not after now + Skew, exp after now and
// at most MaxLifetime after iat.
func Verify(jws string, keys *jose.JSONWebKeySet, iss, sub string, now time.Time) (*Statement, error) {
	payload, err := verifyJWT(jws, TypEntityStatement, keys)
	if err != nil {
		return nil, err
	}
	var st Statement
	if err := json.Unmarshal(payload, &st); err != nil {
		return nil, chainErrorf("entity statement claims: %v", err)
	}
	if iss != "" && st.Issuer != iss {
		return nil, chainErrorf("entity statement iss %q, want %q", st.Issuer, iss)
	}
	if sub != "" && st.Subject != sub {
		return nil, chainErrorf("entity statement sub %q, want %q", st.Subject, sub)
	}
	if err := checkTimes(st.IssuedAt, st.ExpiresAt, now); err != nil {
		return nil, fmt.Errorf("entity statement of %s by %s: %w", st.Subject, st.Issuer, err)
	}
	return &st, nil
}

// VerifySelfSigned checks that an entity configuration jws, already
// verified as st with its superior's keys, also verifies with a key of
// its own jwks: an entity configuration is self-signed (OIDF §10.2: for
// j = 0, the signature of ES[0] validates with a key in ES[0]["jwks"],
// besides one in ES[1]["jwks"]; network.md §2.4 step 3).
func VerifySelfSigned(jws string, st *Statement) error {
	if st.Issuer != st.Subject {
		return chainErrorf("entity configuration iss %q is not its sub %q", st.Issuer, st.Subject)
	}
	if st.JWKS == nil || len(st.JWKS.Keys) == 0 {
		return chainErrorf("the entity configuration of %s has no jwks", st.Subject)
	}
	if _, err := verifyJWT(jws, TypEntityStatement, st.JWKS); err != nil {
		return chainErrorf("the entity configuration of %s does not verify with its own jwks: %v", st.Subject, err)
	}
	return nil
}

// checkTimes checks iat and exp (OIDF §3.1.1, network.md §2.4 step 4).
func checkTimes(iat, exp int64, now time.Time) error {
	switch {
	case iat == 0 || exp == 0:
		return chainErrorf("iat or exp missing")
	case time.Unix(iat, 0).After(now.Add(Skew)):
		return chainErrorf("iat in the future")
	case !time.Unix(exp, 0).After(now):
		return chainErrorf("expired")
	case iat < 0 || exp < iat:
		return chainErrorf("iat after exp")
	case exp-iat > int64(MaxLifetime/time.Second):
		// In seconds: both are positive here, so exp − iat does not
		// overflow, where a Duration of it would past 292 years.
		return chainErrorf("lifetime over %s", MaxLifetime)
	}
	return nil
}
