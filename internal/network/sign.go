// SPDX-License-Identifier: Apache-2.0

package network

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"io"
	"net/http"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/federation"
	"github.com/omadata/omadata/internal/httpsig"
)

// The shape of a signed call (docs/network.md section 3).
const (
	// Label is the signature label of every call between operators.
	Label = "net"
	// Lifetime is expires − created of the calls this operator signs.
	Lifetime = 60 * time.Second
	// MaxLifetime is the longest expires − created a callee accepts.
	MaxLifetime = 300 * time.Second
	// Skew is how far in the future created (and an answer's iat) may be:
	// the federation's, one limit of section 7 for both.
	Skew = federation.Skew
	// ReplayMargin is how long after expires a nonce is kept.
	ReplayMargin = 60 * time.Second
	// MaxBody is the largest request body a callee reads (section 7).
	MaxBody = 1 << 20
	// MaxCatalogueAge is the longest max-age of a catalogue (section 7),
	// and a catalogue's max-age when it names none.
	MaxCatalogueAge = 300 * time.Second
)

// components are the covered components, in order (section 3).
var components = []string{"@method", "@target-uri", "content-digest"}

// Sign signs a call to a peer operator as section 3 says, with the
// caller's federation key (kid, key): it sets the request's body to body
// and its Content-Digest (sha-256 of body, also when empty),
// Signature-Input and Signature fields (label net; "@method",
// "@target-uri", "content-digest"; created now, expires 60 s later, a
// fresh random nonce, tag omadata-network/1, keyid operatorID#kid, alg
// ed25519). The target URI is req.URL, with req.Host as its authority
// when set. Headers set after Sign are not signed.
func Sign(req *http.Request, body []byte, operatorID, kid string, key ed25519.PrivateKey, now time.Time) error {
	_, err := sign(req, body, operatorID, kid, key, now)
	return err
}

func sign(req *http.Request, body []byte, operatorID, kid string, key ed25519.PrivateKey, now time.Time) (string, error) {
	digest, err := httpsig.ContentDigest(body, httpsig.DigestSHA256)
	if err != nil {
		return "", err
	}
	var b [16]byte
	rand.Read(b[:])
	nonce := base64.RawURLEncoding.EncodeToString(b[:])
	created := now.Unix()
	in := httpsig.Input{
		Components: httpsig.Components(components...),
		Params: httpsig.Params{
			{Key: "created", Value: created},
			{Key: "expires", Value: created + int64(Lifetime/time.Second)},
			{Key: "nonce", Value: nonce},
			{Key: "tag", Value: omadata.NetworkTag},
			{Key: "keyid", Value: operatorID + "#" + kid},
			{Key: "alg", Value: httpsig.Ed25519},
		},
	}
	req.Header.Set("Content-Digest", digest)
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	if len(body) == 0 {
		req.Body, req.GetBody = http.NoBody, nil
	}
	return nonce, httpsig.Sign(httpsig.Request(req), Label, in, httpsig.Ed25519, key)
}
