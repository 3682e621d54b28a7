// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"

	"github.com/omadata/omadata"
)

const signingKeyColumns = `id, purpose, alg, public_jwk, private_key, status, created_at, retired_at`

// FindSigningKeys returns every signing key, newest first. Its public halves
// are published; the sealed private halves never leave the operator.
func (s *Store) FindSigningKeys(ctx context.Context) ([]*omadata.SigningKey, error) {
	rows, err := s.db.reader().query(ctx, `SELECT `+signingKeyColumns+` FROM signing_keys ORDER BY created_at DESC, id DESC`)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanSigningKey)
}

func scanSigningKey(r interface{ Scan(...any) error }) (*omadata.SigningKey, error) {
	var k omadata.SigningKey
	var priv string
	err := r.Scan(&k.ID, &k.Purpose, &k.Algorithm, &k.PublicJWK, &priv, &k.Status, Time{&k.CreatedAt}, NullTime{&k.RetiredAt})
	if err != nil {
		return nil, err
	}
	k.PrivateKey, err = base64.StdEncoding.DecodeString(priv)
	return &k, err
}

// RotateSigningKey stores k as the active key of its purpose and retires the
// previous one, in one transaction. The sealed private key is kept as
// base64. The operator's own start-up and CLI call it; it is not reachable
// over HTTP.
func (s *Store) RotateSigningKey(ctx context.Context, k *omadata.SigningKey) error {
	if err := validSigningKey(k); err != nil {
		return err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.exec(ctx, `UPDATE signing_keys SET status = 'retired', retired_at = ? WHERE purpose = ? AND status = 'active'`, tx.now, k.Purpose); err != nil {
		return err
	}
	if err := s.insertSigningKey(ctx, tx, k, "signing_key.rotated"); err != nil {
		return err
	}
	return tx.Commit()
}

// CreateSigningKey stores k as the active key of its purpose unless one is
// active already, and returns the active key: processes starting together
// on an empty database each try, and all of them get the one that won. On
// PostgreSQL two that try at the same instant meet the unique index on the
// active key of a purpose; the loser gets ECONFLICT and reads the winner.
func (s *Store) CreateSigningKey(ctx context.Context, k *omadata.SigningKey) (*omadata.SigningKey, error) {
	if err := validSigningKey(k); err != nil {
		return nil, err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	active, err := scanSigningKey(tx.queryRow(ctx, `SELECT `+signingKeyColumns+` FROM signing_keys WHERE purpose = ? AND status = 'active'`, k.Purpose))
	if err == nil {
		// Commit, even with nothing written: on SQLite that waits for the
		// batch that created the key to be durable.
		return active, tx.Commit()
	} else if !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	if err := s.insertSigningKey(ctx, tx, k, "signing_key.created"); err != nil {
		return nil, err
	}
	return k, tx.Commit()
}

func validSigningKey(k *omadata.SigningKey) error {
	if k.ID == "" || k.Purpose == "" || k.Algorithm == "" || k.PublicJWK == "" || len(k.PrivateKey) == 0 {
		return omadata.Errorf(omadata.EINVALID, "Incomplete signing key.")
	}
	return nil
}

func (s *Store) insertSigningKey(ctx context.Context, tx *Tx, k *omadata.SigningKey, event string) error {
	k.Status, k.CreatedAt, k.RetiredAt = "active", tx.now, nil
	if _, err := tx.exec(ctx, `INSERT INTO signing_keys (id, purpose, alg, public_jwk, private_key, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		k.ID, k.Purpose, k.Algorithm, k.PublicJWK, base64.StdEncoding.EncodeToString(k.PrivateKey), k.Status, k.CreatedAt); err != nil {
		return err
	}
	return s.audit(ctx, tx, event, "signing_key", k.ID, map[string]any{"purpose": k.Purpose})
}
