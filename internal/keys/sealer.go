// SPDX-License-Identifier: Apache-2.0

// Package keys seals the operator's private keys with its secret key and
// keeps one active Ed25519 signing key per purpose.
package keys

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// SecretKeySize is the length of the operator's secret key in bytes.
const SecretKeySize = 32

// Sealer seals and opens small secrets, such as private keys, with
// AES-256-GCM under the operator's secret key.
type Sealer struct {
	aead cipher.AEAD
}

// NewSealer returns a Sealer for a 32-byte secret key.
func NewSealer(secret []byte) (*Sealer, error) {
	if len(secret) != SecretKeySize {
		return nil, fmt.Errorf("secret key: got %d bytes, want %d", len(secret), SecretKeySize)
	}
	block, err := aes.NewCipher(secret)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts plaintext and returns a random nonce followed by the
// ciphertext. keyID is bound in as additional data, so a blob sealed for one
// key cannot be passed off as another's.
func (s *Sealer) Seal(keyID string, plaintext []byte) ([]byte, error) {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plaintext)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("nonce: %w", err)
	}
	return s.aead.Seal(nonce, nonce, plaintext, []byte(keyID)), nil
}

// ErrOpen is returned when a sealed blob does not open: it was sealed under
// another secret key or for another key ID, or it was altered.
var ErrOpen = errors.New("sealed key does not open: wrong secret key, wrong key ID or altered data")

// Open decrypts a blob made by Seal with the same keyID.
func (s *Sealer) Open(keyID string, sealed []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n+s.aead.Overhead() {
		return nil, ErrOpen
	}
	plain, err := s.aead.Open(nil, sealed[:n], sealed[n:], []byte(keyID))
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}
