// SPDX-License-Identifier: Apache-2.0

package httpsig

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"fmt"
	"math/big"
)

// The signature algorithms of RFC 9421 §3.3 (the HTTP Signature Algorithms
// registry, §6.2.2).
const (
	RSAPSSSHA512    = "rsa-pss-sha512"    // §3.3.1
	RSAv15SHA256    = "rsa-v1_5-sha256"   // §3.3.2
	HMACSHA256      = "hmac-sha256"       // §3.3.3
	ECDSAP256SHA256 = "ecdsa-p256-sha256" // §3.3.4
	Ed25519         = "ed25519"           // §3.3.6
)

// ErrBadSignature is returned for a signature that does not verify.
var ErrBadSignature = errors.New("signature does not verify")

// SignBase signs a signature base with alg and key: an ed25519.PrivateKey,
// *ecdsa.PrivateKey (P-256), *rsa.PrivateKey or, for hmac-sha256, the
// shared secret as []byte.
func SignBase(alg string, key any, base []byte) ([]byte, error) {
	switch alg {
	case Ed25519:
		if k, ok := key.(ed25519.PrivateKey); ok && len(k) == ed25519.PrivateKeySize {
			return ed25519.Sign(k, base), nil
		}
	case ECDSAP256SHA256:
		if k, ok := key.(*ecdsa.PrivateKey); ok && k.Curve == elliptic.P256() {
			h := sha256.Sum256(base)
			r, s, err := ecdsa.Sign(rand.Reader, k, h[:])
			if err != nil {
				return nil, err
			}
			// §3.3.4: r and s as 32-byte big-endian integers, concatenated.
			sig := make([]byte, 64)
			r.FillBytes(sig[:32])
			s.FillBytes(sig[32:])
			return sig, nil
		}
	case RSAPSSSHA512:
		if k, ok := key.(*rsa.PrivateKey); ok {
			h := sha512.Sum512(base)
			return rsa.SignPSS(rand.Reader, k, crypto.SHA512, h[:], &rsa.PSSOptions{SaltLength: 64, Hash: crypto.SHA512})
		}
	case RSAv15SHA256:
		if k, ok := key.(*rsa.PrivateKey); ok {
			h := sha256.Sum256(base)
			return rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, h[:])
		}
	case HMACSHA256:
		if k, ok := key.([]byte); ok && len(k) > 0 {
			m := hmac.New(sha256.New, k)
			m.Write(base)
			return m.Sum(nil), nil
		}
	default:
		return nil, fmt.Errorf("httpsig: unknown algorithm %q", alg)
	}
	return nil, fmt.Errorf("httpsig: a %T is not a key for %s", key, alg)
}

// VerifyBase checks sig over base with alg and key: an ed25519.PublicKey,
// *ecdsa.PublicKey (P-256), *rsa.PublicKey or, for hmac-sha256, the shared
// secret as []byte. It returns ErrBadSignature for a signature that does
// not verify.
func VerifyBase(alg string, key any, base, sig []byte) error {
	ok := false
	switch alg {
	case Ed25519:
		k, isKey := key.(ed25519.PublicKey)
		if !isKey || len(k) != ed25519.PublicKeySize {
			return fmt.Errorf("httpsig: a %T is not a key for %s", key, alg)
		}
		ok = ed25519.Verify(k, base, sig)
	case ECDSAP256SHA256:
		k, isKey := key.(*ecdsa.PublicKey)
		if !isKey || k.Curve != elliptic.P256() {
			return fmt.Errorf("httpsig: a %T is not a key for %s", key, alg)
		}
		h := sha256.Sum256(base)
		ok = len(sig) == 64 && ecdsa.Verify(k, h[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:]))
	case RSAPSSSHA512:
		k, isKey := key.(*rsa.PublicKey)
		if !isKey {
			return fmt.Errorf("httpsig: a %T is not a key for %s", key, alg)
		}
		h := sha512.Sum512(base)
		ok = rsa.VerifyPSS(k, crypto.SHA512, h[:], sig, &rsa.PSSOptions{SaltLength: 64, Hash: crypto.SHA512}) == nil
	case RSAv15SHA256:
		k, isKey := key.(*rsa.PublicKey)
		if !isKey {
			return fmt.Errorf("httpsig: a %T is not a key for %s", key, alg)
		}
		h := sha256.Sum256(base)
		ok = rsa.VerifyPKCS1v15(k, crypto.SHA256, h[:], sig) == nil
	case HMACSHA256:
		k, isKey := key.([]byte)
		if !isKey || len(k) == 0 {
			return fmt.Errorf("httpsig: a %T is not a key for %s", key, alg)
		}
		m := hmac.New(sha256.New, k)
		m.Write(base)
		ok = hmac.Equal(m.Sum(nil), sig)
	default:
		return fmt.Errorf("httpsig: unknown algorithm %q", alg)
	}
	if !ok {
		return ErrBadSignature
	}
	return nil
}
