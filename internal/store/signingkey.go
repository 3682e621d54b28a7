// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"encoding/base64"

	"github.com/omadata/omadata"
)

// FindSigningKeys returns every signing key, newest first. Its public halves
// are published; the sealed private halves never leave the operator.
func (s *Store) FindSigningKeys(ctx context.Context) ([]*omadata.SigningKey, error) {
	rows, err := s.db.reader().query(ctx, `SELECT id, purpose, alg, public_jwk, private_key, status, created_at, retired_at FROM signing_keys ORDER BY created_at DESC, id DESC`)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r interface{ Scan(...any) error }) (*omadata.SigningKey, error) {
		var k omadata.SigningKey
		var priv string
		err := r.Scan(&k.ID, &k.Purpose, &k.Algorithm, &k.PublicJWK, &priv, &k.Status, Time{&k.CreatedAt}, NullTime{&k.RetiredAt})
		if err != nil {
			return nil, err
		}
		k.PrivateKey, err = base64.StdEncoding.DecodeString(priv)
		return &k, err
	})
}

// RotateSigningKey stores k as the active key of its purpose and retires the
// previous one, in one transaction. The sealed private key is kept as base64. The operator's own start-up and CLI call
// it; it is not reachable over HTTP.
func (s *Store) RotateSigningKey(ctx context.Context, k *omadata.SigningKey) error {
	if k.ID == "" || k.Purpose == "" || k.Algorithm == "" || k.PublicJWK == "" || len(k.PrivateKey) == 0 {
		return omadata.Errorf(omadata.EINVALID, "Incomplete signing key.")
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.exec(ctx, `UPDATE signing_keys SET status = 'retired', retired_at = ? WHERE purpose = ? AND status = 'active'`, tx.now, k.Purpose); err != nil {
		return err
	}
	k.Status, k.CreatedAt, k.RetiredAt = "active", tx.now, nil
	if _, err := tx.exec(ctx, `INSERT INTO signing_keys (id, purpose, alg, public_jwk, private_key, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		k.ID, k.Purpose, k.Algorithm, k.PublicJWK, base64.StdEncoding.EncodeToString(k.PrivateKey), k.Status, k.CreatedAt); err != nil {
		return err
	}
	if err := s.audit(ctx, tx, "signing_key.rotated", "signing_key", k.ID, map[string]any{"purpose": k.Purpose}); err != nil {
		return err
	}
	return tx.Commit()
}
