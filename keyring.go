// SPDX-License-Identifier: Apache-2.0

package omadata

import "crypto/ed25519"

// Keyring holds the operator secrets that services need, derived from the
// operator's one secret key. The store never sees the secret key itself.
type Keyring interface {
	// BlindIndex returns a keyed hash of data for lookups, such as a
	// personal identity code: equal inputs give equal outputs, and without
	// the key nothing can be learned from it.
	BlindIndex(data string) string
	// Seal encrypts and authenticates plaintext, bound to ad.
	Seal(plaintext, ad []byte) ([]byte, error)
	// Open reverses Seal; it fails if the sealed bytes or ad were changed.
	Open(sealed, ad []byte) ([]byte, error)
}

// Signer signs the operator's records (receipts, grants) with the active
// key of KeyPurposeRecords.
type Signer interface {
	// SigningKey returns the active key ID and private key.
	SigningKey() (kid string, key ed25519.PrivateKey)
}
