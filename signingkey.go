// SPDX-License-Identifier: Apache-2.0

package omadata

import (
	"context"
	"time"
)

// Signing key purposes.
const (
	KeyPurposeRecords = "records" // receipts, grants and other JWS the operator signs
)

// SigningKey is an operator signing key. The private half is sealed with the
// operator's secret key before it reaches the store; retired keys are kept
// so that what they signed stays verifiable.
type SigningKey struct {
	ID         string     `json:"id"` // also the JWK "kid"
	Purpose    string     `json:"purpose"`
	Algorithm  string     `json:"alg"`        // "EdDSA"
	PublicJWK  string     `json:"public_jwk"` // JSON
	PrivateKey []byte     `json:"-"`          // sealed
	Status     string     `json:"status"`     // active, retired
	CreatedAt  time.Time  `json:"created_at"`
	RetiredAt  *time.Time `json:"retired_at,omitempty"`
}

// SigningKeyService stores operator signing keys.
type SigningKeyService interface {
	// FindSigningKeys returns every key, active and retired, newest first.
	FindSigningKeys(ctx context.Context) ([]*SigningKey, error)
	// RotateSigningKey stores k as the active key of its purpose and retires
	// the one before it, in one transaction.
	RotateSigningKey(ctx context.Context, k *SigningKey) error
	// CreateSigningKey stores k as the active key of its purpose when that
	// purpose has none, and returns the active key: k, or the one another
	// process made first. ECONFLICT when another process makes one at the
	// same instant (read it then), EINVALID when k is incomplete.
	CreateSigningKey(ctx context.Context, k *SigningKey) (*SigningKey, error)
}
