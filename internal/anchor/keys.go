// SPDX-License-Identifier: Apache-2.0

package anchor

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"

	"github.com/go-jose/go-jose/v4"

	"github.com/omadata/omadata/internal/federation"
)

// LoadKeys reads the anchor's federation keys from a file, a JWK set of
// Ed25519 private keys, newest first, creating it with one new key when
// it does not exist. The file must be the owner's alone (0600): it is the
// governing body's signing key, the one secret of the anchor, kept in a
// file rather than sealed in the database because the anchor has no other
// secret to seal it with and a file is what an admin backs up, moves to
// a new machine or replaces with a mounted secret.
func LoadKeys(path string) ([]federation.Key, error) {
	b, err := secretFile(path, "anchor key file", func() ([]byte, error) {
		k, err := federation.NewKey()
		if err != nil {
			return nil, err
		}
		return marshalKeys([]federation.Key{k})
	})
	if err != nil {
		return nil, err
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(b, &set); err != nil {
		return nil, fmt.Errorf("anchor key file %s: %w", path, err)
	}
	var keys []federation.Key
	for _, jwk := range set.Keys {
		priv, ok := jwk.Key.(ed25519.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("anchor key file %s: a key is not an Ed25519 private key", path)
		}
		k, err := federation.KeyOf(priv)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("anchor key file %s holds no key", path)
	}
	return keys, nil
}

// RotateKeys puts a new key first in the key file; the old ones stay
// listed, so members configured with an old key still accept the
// anchor's configuration (network.md §2.5).
func RotateKeys(path string) ([]federation.Key, error) {
	keys, err := LoadKeys(path)
	if err != nil {
		return nil, err
	}
	k, err := federation.NewKey()
	if err != nil {
		return nil, err
	}
	keys = append([]federation.Key{k}, keys...)
	return keys, writeKeys(path, keys)
}

func writeKeys(path string, keys []federation.Key) error {
	b, err := marshalKeys(keys)
	if err != nil {
		return err
	}
	return writeSecret(path, "anchor key file", b)
}

func marshalKeys(keys []federation.Key) ([]byte, error) {
	set := jose.JSONWebKeySet{}
	for _, k := range keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.Private, KeyID: k.ID, Algorithm: string(jose.EdDSA), Use: "sig"})
	}
	return json.MarshalIndent(set, "", "  ")
}

// secretFile reads the secret file at path (what names it in errors),
// first writing the bytes create makes when it does not exist. A file
// others can read is refused: it holds a key, the owner's alone (0600).
func secretFile(path, what string, create func() ([]byte, error)) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if b, err = create(); err != nil {
			return nil, err
		}
		return b, writeSecret(path, what, b)
	} else if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if fi, err := os.Stat(path); err != nil {
		return nil, err
	} else if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s %s is readable by others (mode %o): chmod 600 it", what, path, fi.Mode().Perm())
	}
	return b, nil
}

// writeSecret writes a secret file, mode 0600, whole or not at all.
func writeSecret(path, what string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return os.Rename(tmp, path)
}

// Settings are what `network anchor serve` records for the admin commands
// on the same database: the anchor's ID, name and rulebook version.
type Settings struct {
	ID       string
	Name     string
	Rulebook int
}

// SaveSettings records s.
func (d *DB) SaveSettings(ctx context.Context, s Settings) error {
	t, err := d.begin(ctx)
	if err != nil {
		return err
	}
	defer t.Rollback()
	for name, value := range map[string]string{"id": s.ID, "name": s.Name, "rulebook": strconv.Itoa(s.Rulebook)} {
		if _, err := t.exec(ctx, `INSERT INTO anchor_settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value); err != nil {
			return err
		}
	}
	return t.Commit()
}

// LoadSettings returns the recorded settings; an empty ID when the anchor
// never served.
func (d *DB) LoadSettings(ctx context.Context) (Settings, error) {
	var s Settings
	rows, err := d.query(ctx, `SELECT name, value FROM anchor_settings`)
	if err != nil {
		return s, err
	}
	defer rows.Close()
	for rows.Next() {
		var name, value string
		if err := rows.Scan(&name, &value); err != nil {
			return s, err
		}
		switch name {
		case "id":
			s.ID = value
		case "name":
			s.Name = value
		case "rulebook":
			s.Rulebook, _ = strconv.Atoi(value)
		}
	}
	return s, rows.Err()
}
