// SPDX-License-Identifier: Apache-2.0

// Package dpop checks and makes DPoP proofs (RFC 9449): a JWT a client
// signs with a key it holds, sent in the DPoP header of a token request
// and of every call with a DPoP-bound access token. The JOSE work (JWS
// parsing, signature check, the RFC 7638 thumbprint) is go-jose's; what
// is ours is the rule set of RFC 9449 §4.3, each check marked with the
// item it implements.
package dpop

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Limits on a proof.
const (
	// MaxProofSize bounds the DPoP header value: a proof with an RSA-4096
	// key is about 1.3 kB.
	MaxProofSize = 4096
	// DefaultMaxAge is how old a proof's iat may be (RFC 9449 §4.3 item
	// 11, §11.1) unless a Verifier says otherwise.
	DefaultMaxAge = 2 * time.Minute
	// DefaultMaxSkew is how far in the future a proof's iat may be, for
	// clients whose clocks run ahead, unless a Verifier says otherwise.
	DefaultMaxSkew = 30 * time.Second
	// minRSABits is the smallest RSA key accepted.
	minRSABits = 2048
)

// Algorithms are the JWS algorithms accepted for proofs: asymmetric only,
// never "none" or a MAC (RFC 9449 §4.3 item 5). Servers publish them as
// dpop_signing_alg_values_supported (§5.1).
var Algorithms = []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.ES512, jose.EdDSA,
	jose.PS256, jose.PS384, jose.PS512, jose.RS256, jose.RS384, jose.RS512}

// Proof is a checked DPoP proof.
type Proof struct {
	JKT      string // the RFC 7638 SHA-256 thumbprint of the proof's key, base64url (RFC 9449 §6.1)
	ID       string // jti
	IssuedAt time.Time
}

// Error is a proof that does not check; Description says why, for the
// error_description of invalid_dpop_proof (RFC 9449 §5, §7.1).
type Error struct{ Description string }

func (e *Error) Error() string { return "invalid DPoP proof: " + e.Description }

func errorf(format string, args ...any) error {
	return &Error{Description: fmt.Sprintf(format, args...)}
}

// Replay remembers the proofs seen, so that each is used once (RFC 9449
// §11.1). Several instances of a server share one, in their database.
type Replay interface {
	// UseOnce records the proof with key thumbprint jkt and jti until the
	// given time; false if it was recorded before.
	UseOnce(ctx context.Context, jkt, jti string, until time.Time) (bool, error)
}

// Verifier checks proofs. The zero Verifier is ready to use.
type Verifier struct {
	Replay     Replay                    // nil: a cache in this process, right for one instance only
	Now        func() time.Time          // nil: time.Now
	MaxAge     time.Duration             // how old iat may be; 0: DefaultMaxAge
	MaxSkew    time.Duration             // how far ahead iat may be; 0: DefaultMaxSkew
	Algorithms []jose.SignatureAlgorithm // nil: Algorithms

	once  sync.Once
	local *memoryReplay
}

// claims are a proof's JWT claims (RFC 9449 §4.2).
type claims struct {
	JTI   string          `json:"jti"`
	HTM   string          `json:"htm"`
	HTU   string          `json:"htu"`
	IAT   json.Number     `json:"iat"`
	ATH   *string         `json:"ath"`
	Nonce json.RawMessage `json:"nonce"`
}

// Verify checks the request's DPoP header values (r.Header.Values("DPoP"))
// as a proof for method and uri (see Check), and that it was not used
// before. The caller compares the returned JKT with the key a token is
// bound to.
func (v *Verifier) Verify(ctx context.Context, header []string, method, uri, accessToken string) (*Proof, error) {
	p, err := v.Check(header, method, uri, accessToken)
	if err != nil {
		return nil, err
	}
	// §11.1: each proof once; it is refused by the window of Check once
	// its record may have expired.
	replay := v.Replay
	if replay == nil {
		v.once.Do(func() { v.local = &memoryReplay{seen: map[string]time.Time{}, now: v.Now} })
		replay = v.local
	}
	fresh, err := replay.UseOnce(ctx, p.JKT, p.ID, p.IssuedAt.Add(v.maxAge()+v.maxSkew()))
	if err != nil {
		return nil, fmt.Errorf("dpop: record the proof: %w", err)
	} else if !fresh {
		return nil, errorf("this proof was used before: make a new one for each request")
	}
	return p, nil
}

func (v *Verifier) maxAge() time.Duration {
	if v.MaxAge > 0 {
		return v.MaxAge
	}
	return DefaultMaxAge
}

func (v *Verifier) maxSkew() time.Duration {
	if v.MaxSkew > 0 {
		return v.MaxSkew
	}
	return DefaultMaxSkew
}

// Check checks the request's DPoP header values as a proof for method and
// uri, the URL the client called (the server's public URL and path; query
// and fragment are ignored), and, when accessToken is not "", that the
// proof is for that token (ath): every rule of RFC 9449 §4.3 but the
// replay check, which the caller makes (Verify, or in its own
// transaction).
func (v *Verifier) Check(header []string, method, uri, accessToken string) (*Proof, error) {
	// §4.3 item 1: exactly one DPoP header.
	if len(header) != 1 {
		return nil, errorf("send exactly one DPoP header, not %d", len(header))
	}
	raw := strings.TrimSpace(header[0])
	if len(raw) > MaxProofSize {
		return nil, errorf("the proof is over %d bytes", MaxProofSize)
	}
	// §4.3 item 2: a well-formed JWT (a compact JWS), item 5: an
	// asymmetric algorithm we support.
	algs := v.Algorithms
	if algs == nil {
		algs = Algorithms
	}
	jws, err := jose.ParseSigned(raw, algs)
	if err != nil {
		return nil, errorf("not a JWS signed with one of the supported algorithms")
	} else if len(jws.Signatures) != 1 {
		return nil, errorf("the proof needs one signature")
	}
	h := jws.Signatures[0].Protected
	// §4.3 item 4: typ dpop+jwt (a media type: compared without case).
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); !strings.EqualFold(typ, "dpop+jwt") {
		return nil, errorf(`the header's typ must be "dpop+jwt"`)
	}
	// RFC 7515 §4.1.11: an extension we would have to understand.
	if _, ok := h.ExtraHeaders["crit"]; ok {
		return nil, errorf("the header's crit names extensions this server does not support")
	}
	// §4.3 item 7: a public key in the jwk header, and never a private one.
	jwk := h.JSONWebKey
	if jwk == nil || !jwk.Valid() {
		return nil, errorf("the header needs the public key as jwk")
	} else if !jwk.IsPublic() {
		return nil, errorf("the jwk header holds a private key")
	}
	if err := checkKey(jwk.Key, jose.SignatureAlgorithm(h.Algorithm)); err != nil {
		return nil, err
	}
	// §4.3 item 6: the signature, with that key.
	payload, err := jws.Verify(jwk)
	if err != nil {
		return nil, errorf("the signature does not verify with the jwk header")
	}
	var c claims
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	if err := dec.Decode(&c); err != nil {
		return nil, errorf("the claims must be a JSON object with string jti, htm and htu and a numeric iat")
	}
	// §4.3 item 3: the required claims.
	switch {
	case c.JTI == "":
		return nil, errorf("the jti claim is missing")
	case len(c.JTI) > 256:
		return nil, errorf("the jti claim is over 256 characters")
	case c.HTM == "":
		return nil, errorf("the htm claim is missing")
	case c.HTU == "":
		return nil, errorf("the htu claim is missing")
	case c.IAT == "":
		return nil, errorf("the iat claim is missing")
	}
	// §4.3 item 8: the method.
	if c.HTM != method {
		return nil, errorf("htm %.20q is not this request's method %s", c.HTM, method)
	}
	// §4.3 item 9: the URI, without query and fragment, after
	// syntax-based and scheme-based normalisation (RFC 3986 §6.2.2-6.2.3).
	want, err := normalURI(uri)
	if err != nil {
		return nil, fmt.Errorf("dpop: the request's own URI %q: %w", uri, err)
	}
	if got, err := normalURI(c.HTU); err != nil || got != want {
		return nil, errorf("htu is not this request's URL %s", want)
	}
	// §4.3 item 10: we issue no nonces (§8 is optional), so a proof that
	// carries one was made for another server's nonce; it is ignored.
	// §4.3 item 11: iat within the window.
	iat, err := c.IAT.Float64()
	if err != nil || math.IsNaN(iat) || math.IsInf(iat, 0) || iat < 0 || iat > 1e11 {
		return nil, errorf("iat is not a time")
	}
	issued := time.Unix(int64(iat), 0)
	now := time.Now()
	if v.Now != nil {
		now = v.Now()
	}
	if issued.Before(now.Add(-v.maxAge())) {
		return nil, errorf("the proof was made over %s ago: make a new one for each request", v.maxAge())
	} else if issued.After(now.Add(v.maxSkew())) {
		return nil, errorf("iat is in the future: check the client's clock")
	}
	// §4.3 item 12: ath, when the proof goes with an access token.
	switch {
	case accessToken != "" && c.ATH == nil:
		return nil, errorf("the ath claim is missing: a proof sent with an access token carries its hash")
	case accessToken != "" && subtle.ConstantTimeCompare([]byte(*c.ATH), []byte(TokenHash(accessToken))) != 1:
		return nil, errorf("ath is not the hash of this access token")
	}
	jkt, err := Thumbprint(jwk)
	if err != nil {
		return nil, errorf("cannot take the thumbprint of the jwk header")
	}
	return &Proof{JKT: jkt, ID: c.JTI, IssuedAt: issued}, nil
}

// checkKey refuses keys too weak for the algorithm, and a key whose type
// does not go with it.
func checkKey(key any, alg jose.SignatureAlgorithm) error {
	switch k := key.(type) {
	case *rsa.PublicKey:
		if !strings.HasPrefix(string(alg), "RS") && !strings.HasPrefix(string(alg), "PS") {
			return errorf("an RSA key cannot sign %s", alg)
		} else if k.N.BitLen() < minRSABits {
			return errorf("the RSA key is under %d bits", minRSABits)
		}
	case *ecdsa.PublicKey:
		if !strings.HasPrefix(string(alg), "ES") {
			return errorf("an EC key cannot sign %s", alg)
		}
	case ed25519.PublicKey:
		if alg != jose.EdDSA {
			return errorf("an Ed25519 key cannot sign %s", alg)
		}
	default:
		return errorf("unsupported key type")
	}
	return nil
}

// normalURI is u without query and fragment, with the scheme and host in
// lower case, the default port dropped, an empty path as "/", and the
// path's percent-encoding decoded where it need not be.
func normalURI(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", err
	}
	if u.Scheme == "" || u.Host == "" || u.Opaque != "" || u.User != nil {
		return "", fmt.Errorf("not an absolute http(s) URL")
	}
	scheme, host := strings.ToLower(u.Scheme), strings.ToLower(u.Host)
	if scheme != "http" && scheme != "https" {
		return "", fmt.Errorf("not an absolute http(s) URL")
	}
	if port := u.Port(); scheme == "https" && port == "443" || scheme == "http" && port == "80" {
		host = strings.TrimSuffix(host, ":"+port)
	}
	path := (&url.URL{Path: u.Path}).EscapedPath()
	if path == "" {
		path = "/"
	}
	return scheme + "://" + host + path, nil
}

// TokenHash is the ath of an access token: the base64url SHA-256 of its
// ASCII bytes (RFC 9449 §4.2).
func TokenHash(accessToken string) string {
	sum := sha256.Sum256([]byte(accessToken))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// Thumbprint is the RFC 7638 SHA-256 thumbprint of a key, base64url: the
// jkt a token is bound to (RFC 9449 §6.1).
func Thumbprint(jwk *jose.JSONWebKey) (string, error) {
	pub := jwk.Public()
	sum, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(sum), nil
}

// memoryReplay is a Replay in this process's memory.
type memoryReplay struct {
	mu   sync.Mutex
	seen map[string]time.Time
	now  func() time.Time // the verifier's clock; nil: time.Now
}

func (m *memoryReplay) UseOnce(_ context.Context, jkt, jti string, until time.Time) (bool, error) {
	key := jkt + " " + jti
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	if m.now != nil {
		now = m.now()
	}
	if len(m.seen) > 10000 {
		for k, t := range m.seen {
			if t.Before(now) {
				delete(m.seen, k)
			}
		}
	}
	if t, ok := m.seen[key]; ok && t.After(now) {
		return false, nil
	}
	m.seen[key] = until
	return true, nil
}

// Signer makes proofs with one key: for the Go SDK and for tests.
type Signer struct {
	signer jose.Signer
	jkt    string
}

// NewSigner returns a signer for an ECDSA (P-256: ES256, P-384: ES384,
// P-521: ES512), Ed25519 (EdDSA) or RSA (PS256) private key.
func NewSigner(key crypto.Signer) (*Signer, error) {
	var alg jose.SignatureAlgorithm
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		switch k.Curve.Params().BitSize {
		case 256:
			alg = jose.ES256
		case 384:
			alg = jose.ES384
		case 521:
			alg = jose.ES512
		}
	case ed25519.PrivateKey:
		alg = jose.EdDSA
	case *rsa.PrivateKey:
		alg = jose.PS256
	}
	if alg == "" {
		return nil, fmt.Errorf("dpop: unsupported key %T", key)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key},
		(&jose.SignerOptions{EmbedJWK: true}).WithType("dpop+jwt"))
	if err != nil {
		return nil, err
	}
	jkt, err := Thumbprint(&jose.JSONWebKey{Key: key.Public()})
	if err != nil {
		return nil, err
	}
	return &Signer{signer: s, jkt: jkt}, nil
}

// JKT is the thumbprint of the signer's key: the dpop_jkt to send with an
// authorization request (RFC 9449 §10).
func (s *Signer) JKT() string { return s.jkt }

// Proof returns a new proof for a request with method to uri, for
// accessToken when it is not "".
func (s *Signer) Proof(method, uri, accessToken string) (string, error) {
	return s.ProofAt(method, uri, accessToken, time.Now())
}

// ProofAt is Proof made at the given time.
func (s *Signer) ProofAt(method, uri, accessToken string, iat time.Time) (string, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return "", err
	}
	u.RawQuery, u.Fragment = "", ""
	c := map[string]any{"jti": rand.Text(), "htm": method, "htu": u.String(), "iat": iat.Unix()}
	if accessToken != "" {
		c["ath"] = TokenHash(accessToken)
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	jws, err := s.signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}
