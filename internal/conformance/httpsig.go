// SPDX-License-Identifier: Apache-2.0

package conformance

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// The label, covered components and parameters of a network call's
// signature (docs/network.md §3).
const (
	sigLabel = "net"
	sigAlg   = "ed25519"
)

// sigParams are the signature parameters of a network call (RFC 9421 §2.3).
type sigParams struct {
	Created, Expires int64
	Nonce, Tag       string
	KeyID            string
}

// contentDigest is the Content-Digest field value of body: sha-256 as an
// RFC 8941 byte sequence in a dictionary (RFC 9530 §2, §5).
func contentDigest(body []byte) string {
	sum := sha256.Sum256(body)
	return "sha-256=:" + base64.StdEncoding.EncodeToString(sum[:]) + ":"
}

// sigComponent is one line of a signature base: a component identifier
// and its value (RFC 9421 §2.5).
type sigComponent struct{ Name, Value string }

// serializeSigParams serializes the covered components and parameters as
// the inner list of @signature-params (RFC 9421 §2.3, RFC 8941 §4.1.1.1),
// parameters in the order docs/network.md §3 gives them.
func serializeSigParams(names []string, params [][2]string) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, n := range names {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Quote(n))
	}
	b.WriteByte(')')
	for _, p := range params {
		b.WriteString(";" + p[0] + "=" + p[1])
	}
	return b.String()
}

// signatureBase builds the signature base of RFC 9421 §2.5: one line per
// covered component, then the @signature-params line, joined by LF with
// no trailing LF.
func signatureBase(components []sigComponent, sigParamsValue string) string {
	var b strings.Builder
	for _, c := range components {
		fmt.Fprintf(&b, "%q: %s\n", c.Name, c.Value)
	}
	b.WriteString(`"@signature-params": ` + sigParamsValue)
	return b.String()
}

// networkSigParams is the @signature-params value of a network call
// (docs/network.md §3): the three components and the parameters created,
// expires, nonce, tag, keyid and alg, in that order.
func networkSigParams(p sigParams) string {
	return serializeSigParams(
		[]string{"@method", "@target-uri", "content-digest"},
		[][2]string{
			{"created", strconv.FormatInt(p.Created, 10)},
			{"expires", strconv.FormatInt(p.Expires, 10)},
			{"nonce", strconv.Quote(p.Nonce)},
			{"tag", strconv.Quote(p.Tag)},
			{"keyid", strconv.Quote(p.KeyID)},
			{"alg", strconv.Quote(sigAlg)},
		})
}

// signRequest signs req as a network call (docs/network.md §3; RFC 9421
// §3.1, §3.3.6 Ed25519) over the given body, target URI and parameters,
// and sets Content-Digest, Signature-Input and Signature. The target URI
// is passed in so that a probe can sign for another audience than the one
// it sends to.
func signRequest(req *http.Request, targetURI string, body []byte, p sigParams, key ed25519.PrivateKey) {
	digest := contentDigest(body)
	params := networkSigParams(p)
	base := signatureBase([]sigComponent{
		{"@method", req.Method},
		{"@target-uri", targetURI},
		{"content-digest", digest},
	}, params)
	sig := ed25519.Sign(key, []byte(base))
	req.Header.Set("Content-Digest", digest)
	req.Header.Set("Signature-Input", sigLabel+"="+params)
	req.Header.Set("Signature", sigLabel+"=:"+base64.StdEncoding.EncodeToString(sig)+":")
}

// newNonce returns a fresh nonce: 22 base64url characters of 128 random
// bits (docs/network.md §3: 16 to 64 characters).
func newNonce() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
