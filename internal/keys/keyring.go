// SPDX-License-Identifier: Apache-2.0

package keys

import (
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/omadata/omadata"
)

// Keyring derives the operator's working keys from its one secret key with
// HKDF-SHA256, a separate key per use, so that no key serves two purposes.
type Keyring struct {
	index []byte  // HMAC-SHA256 key of blind indexes
	data  *Sealer // seals personal data at rest
}

var _ omadata.Keyring = (*Keyring)(nil)

// NewKeyring returns a Keyring for a 32-byte secret key.
func NewKeyring(secret []byte) (*Keyring, error) {
	if len(secret) != SecretKeySize {
		return nil, fmt.Errorf("secret key: got %d bytes, want %d", len(secret), SecretKeySize)
	}
	index, err := hkdf.Key(sha256.New, secret, nil, "omadata blind index v1", 32)
	if err != nil {
		return nil, err
	}
	dataKey, err := hkdf.Key(sha256.New, secret, nil, "omadata personal data sealing v1", 32)
	if err != nil {
		return nil, err
	}
	data, err := NewSealer(dataKey)
	if err != nil {
		return nil, err
	}
	return &Keyring{index: index, data: data}, nil
}

// BlindIndex returns the hex HMAC-SHA256 of data under the index key.
func (k *Keyring) BlindIndex(data string) string {
	m := hmac.New(sha256.New, k.index)
	m.Write([]byte(data))
	return hex.EncodeToString(m.Sum(nil))
}

// Seal encrypts plaintext bound to ad (a record ID, say).
func (k *Keyring) Seal(plaintext, ad []byte) ([]byte, error) {
	return k.data.Seal(string(ad), plaintext)
}

// Open decrypts what Seal made with the same ad.
func (k *Keyring) Open(sealed, ad []byte) ([]byte, error) { return k.data.Open(string(ad), sealed) }

// RecordSigner signs the operator's records with one signing key.
type RecordSigner struct {
	kid string
	key ed25519.PrivateKey
}

var _ omadata.Signer = (*RecordSigner)(nil)

// NewRecordSigner opens a stored signing key for signing.
func NewRecordSigner(k *omadata.SigningKey, s *Sealer) (*RecordSigner, error) {
	priv, err := Signer(k, s)
	if err != nil {
		return nil, err
	}
	return &RecordSigner{kid: k.ID, key: priv}, nil
}

// SigningKey returns the key ID and the private key.
func (r *RecordSigner) SigningKey() (string, ed25519.PrivateKey) { return r.kid, r.key }
