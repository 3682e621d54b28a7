// SPDX-License-Identifier: Apache-2.0

package httpsig

import (
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"errors"
	"fmt"
	"hash"
)

// Content-Digest (RFC 9530 §2): a Dictionary of hash algorithm keys (§5,
// the Hash Algorithms for HTTP Digest Fields registry) and Byte Sequences,
// each the digest of the message content.

// The digest algorithms supported, both "Active" in RFC 9530 §5.
const (
	DigestSHA256 = "sha-256"
	DigestSHA512 = "sha-512"
)

// ErrDigestMismatch is returned when a digest is not the content's.
var ErrDigestMismatch = errors.New("content digest does not match")

func newHash(alg string) (hash.Hash, error) {
	switch alg {
	case DigestSHA256:
		return sha256.New(), nil
	case DigestSHA512:
		return sha512.New(), nil
	}
	return nil, fmt.Errorf("httpsig: unsupported digest algorithm %q", alg)
}

// ContentDigest returns the Content-Digest field value of content with
// the algorithms named (sha-256 if none), in that order.
func ContentDigest(content []byte, algs ...string) (string, error) {
	if len(algs) == 0 {
		algs = []string{DigestSHA256}
	}
	var d Dictionary
	for _, alg := range algs {
		h, err := newHash(alg)
		if err != nil {
			return "", err
		}
		h.Write(content)
		d = d.Set(alg, Item{Value: h.Sum(nil)})
	}
	return SerializeDictionary(d)
}

// VerifyContentDigest checks a Content-Digest field value against content.
// Every accepted algorithm (sha-256 and sha-512 if none are named) that
// the field has must match, and it must have at least one; others are
// ignored (RFC 9530 §2, §6.3). A field that does not parse wraps
// ErrMalformed; a digest that does not match is ErrDigestMismatch.
func VerifyContentDigest(field string, content []byte, accept ...string) error {
	if len(accept) == 0 {
		accept = []string{DigestSHA256, DigestSHA512}
	}
	d, err := ParseDictionary(field)
	if err != nil {
		return fmt.Errorf("%w: Content-Digest: %w", ErrMalformed, err)
	}
	checked := 0
	for _, alg := range accept {
		m := d.Get(alg)
		if m == nil {
			continue
		}
		it, _ := m.(Item)
		want, ok := it.Value.([]byte)
		if !ok {
			return fmt.Errorf("%w: Content-Digest %s is not a byte sequence", ErrMalformed, alg)
		}
		h, err := newHash(alg)
		if err != nil {
			return err
		}
		h.Write(content)
		if subtle.ConstantTimeCompare(h.Sum(nil), want) != 1 {
			return ErrDigestMismatch
		}
		checked++
	}
	if checked == 0 {
		return fmt.Errorf("%w: Content-Digest has none of the accepted algorithms", ErrMalformed)
	}
	return nil
}
