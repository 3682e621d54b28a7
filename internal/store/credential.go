// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/omadata/omadata"
)

// Token prefixes tell at a glance (and to secret scanners) what a token is.
const (
	adminTokenPrefix   = "oma_adm_"
	serviceTokenPrefix = "oma_svc_"
)

// newToken returns a token with 256 random bits. Only its hash is stored:
// SHA-256 suffices for secrets of this entropy, and keeps the per-call
// lookup cheap.
func newToken(prefix string) (token, hash string) {
	var b [32]byte
	rand.Read(b[:])
	token = prefix + base64.RawURLEncoding.EncodeToString(b[:])
	return token, tokenHash(token)
}

func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

const credentialColumns = `id, service_id, name, scopes, created_at, expires_at, revoked_at`

func scanCredential(row interface{ Scan(...any) error }) (*omadata.Credential, error) {
	var c omadata.Credential
	err := row.Scan(&c.ID, &c.ServiceID, &c.Name, jsonScan{&c.Scopes}, Time{&c.CreatedAt}, NullTime{&c.ExpiresAt}, NullTime{&c.RevokedAt})
	return &c, err
}

// CreateCredential issues a credential for a service visible to the caller.
// A service may issue itself credentials, but none with scopes it lacks; an
// organisation admin may issue any scope to their organisation's services.
func (s *Store) CreateCredential(ctx context.Context, c *omadata.Credential) error {
	if err := requireWrite(ctx); err != nil {
		return err
	} else if err := c.Validate(); err != nil {
		return err
	}
	caller := omadata.CallerFromContext(ctx)
	if caller.Kind == omadata.CallerService {
		for _, sc := range c.Scopes {
			if !caller.HasScope(sc) {
				return omadata.Invalidf("scopes", "This credential cannot grant scope %q.", sc)
			}
		}
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if sv, err := findServiceByID(ctx, tx, c.ServiceID); err != nil {
		return err
	} else if err := refuseMirrored(sv); err != nil {
		return err
	}
	if c.ExpiresAt != nil && !c.ExpiresAt.After(tx.now) {
		return omadata.Invalidf("expires_at", "Must be in the future.")
	}
	token, hash := newToken(serviceTokenPrefix)
	c.ID = omadata.NewID(omadata.PrefixCredential)
	c.CreatedAt, c.RevokedAt = tx.now, nil
	if _, err := tx.exec(ctx, `INSERT INTO credentials (id, service_id, name, scopes, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.ServiceID, c.Name, jsonValue{c.Scopes}, hash, c.CreatedAt, c.ExpiresAt); err != nil {
		return err
	}
	if err := s.audit(ctx, tx, "credential.created", "credential", c.ID, map[string]any{"service_id": c.ServiceID, "name": c.Name, "scopes": c.Scopes}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	c.Token = token
	return nil
}

// FindCredentials lists a visible service's credentials, newest first.
func (s *Store) FindCredentials(ctx context.Context, serviceID string) ([]*omadata.Credential, error) {
	r := s.db.reader()
	if _, err := findServiceByID(ctx, r, serviceID); err != nil {
		return nil, err
	} else if c := omadata.CallerFromContext(ctx); c.Kind == omadata.CallerService && !c.HasScope(omadata.ScopeCatalogueRead) {
		return nil, omadata.Errorf(omadata.EFORBIDDEN, "This credential may not read the catalogue.")
	}
	rows, err := r.query(ctx, `SELECT `+credentialColumns+` FROM credentials WHERE service_id = ? ORDER BY id DESC`, serviceID)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanCredential)
}

// RevokeCredential revokes a credential; the next call with it fails.
func (s *Store) RevokeCredential(ctx context.Context, serviceID, id string) (*omadata.Credential, error) {
	if err := requireWrite(ctx); err != nil {
		return nil, err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if _, err := findServiceByID(ctx, tx, serviceID); err != nil {
		return nil, err
	}
	c, err := scanCredential(tx.queryRow(ctx, `SELECT `+credentialColumns+` FROM credentials WHERE id = ? AND service_id = ?`, id, serviceID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, omadata.NotFound("Credential")
	} else if err != nil {
		return nil, err
	} else if c.RevokedAt != nil {
		return nil, omadata.Conflictf("revoked_at", "The credential is already revoked.")
	}
	now := tx.now
	c.RevokedAt = &now
	if _, err := tx.exec(ctx, `UPDATE credentials SET revoked_at = ? WHERE id = ?`, now, id); err != nil {
		return nil, err
	}
	if err := s.audit(ctx, tx, "credential.revoked", "credential", c.ID, map[string]any{"service_id": c.ServiceID}); err != nil {
		return nil, err
	}
	return c, tx.Commit()
}

const adminTokenColumns = `id, name, created_at, revoked_at`

func scanAdminToken(row interface{ Scan(...any) error }) (*omadata.AdminToken, error) {
	var t omadata.AdminToken
	err := row.Scan(&t.ID, &t.Name, Time{&t.CreatedAt}, NullTime{&t.RevokedAt})
	return &t, err
}

// CreateAdminToken issues an operator admin token. The CLI calls it with an
// admin context, being the operator's own console.
func (s *Store) CreateAdminToken(ctx context.Context, name string) (*omadata.AdminToken, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	} else if err := omadata.RequiredText("name", name, 100); err != nil {
		return nil, err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	token, hash := newToken(adminTokenPrefix)
	t := &omadata.AdminToken{ID: omadata.NewID(omadata.PrefixAdminToken), Name: name, CreatedAt: tx.now}
	if _, err := tx.exec(ctx, `INSERT INTO admin_tokens (id, name, token_hash, created_at) VALUES (?, ?, ?, ?)`, t.ID, t.Name, hash, t.CreatedAt); err != nil {
		return nil, err
	}
	if err := s.audit(ctx, tx, "admin_token.created", "admin_token", t.ID, map[string]any{"name": t.Name}); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	t.Token = token
	return t, nil
}

// FindAdminTokens lists admin tokens, newest first.
func (s *Store) FindAdminTokens(ctx context.Context) ([]*omadata.AdminToken, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	rows, err := s.db.reader().query(ctx, `SELECT `+adminTokenColumns+` FROM admin_tokens ORDER BY id DESC`)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanAdminToken)
}

// RevokeAdminToken revokes an admin token.
func (s *Store) RevokeAdminToken(ctx context.Context, id string) (*omadata.AdminToken, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	t, err := scanAdminToken(tx.queryRow(ctx, `SELECT `+adminTokenColumns+` FROM admin_tokens WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, omadata.NotFound("Admin token")
	} else if err != nil {
		return nil, err
	} else if t.RevokedAt != nil {
		return nil, omadata.Conflictf("revoked_at", "The token is already revoked.")
	}
	now := tx.now
	t.RevokedAt = &now
	if _, err := tx.exec(ctx, `UPDATE admin_tokens SET revoked_at = ? WHERE id = ?`, now, id); err != nil {
		return nil, err
	}
	if err := s.audit(ctx, tx, "admin_token.revoked", "admin_token", t.ID, nil); err != nil {
		return nil, err
	}
	return t, tx.Commit()
}

var errBadToken = omadata.Errorf(omadata.EUNAUTHORIZED, "Invalid or revoked token.")

// Authenticate turns a bearer token into a caller, checked against the
// database on every call so that a revocation takes effect at once on
// every process: a service token by one read of credential_version when
// this process checked it before (credentialCache), else by its row.
func (s *Store) Authenticate(ctx context.Context, token string) (omadata.Caller, error) {
	r := s.db.reader()
	hash := tokenHash(token)
	switch {
	case strings.HasPrefix(token, adminTokenPrefix):
		var id string
		var revoked *time.Time
		err := r.queryRow(ctx, `SELECT id, revoked_at FROM admin_tokens WHERE token_hash = ?`, hash).Scan(&id, NullTime{&revoked})
		if errors.Is(err, sql.ErrNoRows) || err == nil && revoked != nil {
			return omadata.Caller{}, errBadToken
		} else if err != nil {
			return omadata.Caller{}, err
		}
		return omadata.Caller{Kind: omadata.CallerAdmin, TokenID: id}, nil
	case strings.HasPrefix(token, residentTokenPrefix):
		return s.authenticateSession(ctx, token)
	case strings.HasPrefix(token, serviceTokenPrefix):
		return s.authenticateService(ctx, r, hash)
	}
	return omadata.Caller{}, errBadToken
}

// credentialCache keeps the callers of service tokens checked against the
// database, by token hash, each with the credential_version count it was
// checked at (migration 026). Every change to credentials or services
// bumps that count by trigger, so an entry is served only while nothing a
// check reads has changed on any process sharing the database; the expiry
// is checked on the clock at every call. Refusals are never kept.
type credentialCache struct {
	mu      sync.Mutex
	callers map[string]*checkedCredential
}

// checkedCredential is a caller as checked at version.
type checkedCredential struct {
	caller    omadata.Caller
	expiresAt *time.Time
	version   int64
}

// maxCheckedCredentials bounds the cache: when full it starts again.
const maxCheckedCredentials = 10000

func (c *credentialCache) get(hash string) *checkedCredential {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.callers[hash]
}

func (c *credentialCache) put(hash string, cc *checkedCredential) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.callers == nil || len(c.callers) >= maxCheckedCredentials {
		c.callers = map[string]*checkedCredential{}
	}
	c.callers[hash] = cc
}

// authenticateService turns the hash of a service token into its caller.
// A caller checked before is served after one read of credential_version
// shows that no credential or service changed since; otherwise the
// credential, its service and the count are read in one statement.
func (s *Store) authenticateService(ctx context.Context, r querier, hash string) (omadata.Caller, error) {
	now := s.db.Now()
	if cc := s.creds.get(hash); cc != nil {
		var version int64
		if err := r.queryRow(ctx, `SELECT n FROM credential_version`).Scan(&version); err != nil {
			return omadata.Caller{}, err
		} else if version == cc.version {
			if cc.expiresAt != nil && !cc.expiresAt.After(now) {
				return omadata.Caller{}, errBadToken
			}
			c := cc.caller
			c.Scopes = slices.Clip(c.Scopes)
			return c, nil
		}
	}
	var c omadata.Credential
	var status, org string
	var version int64
	err := r.queryRow(ctx, `SELECT (SELECT n FROM credential_version), c.id, c.service_id, c.scopes, c.expires_at, c.revoked_at, s.status, s.organisation_id
		FROM credentials c JOIN services s ON s.id = c.service_id WHERE c.token_hash = ?`, hash).
		Scan(&version, &c.ID, &c.ServiceID, jsonScan{&c.Scopes}, NullTime{&c.ExpiresAt}, NullTime{&c.RevokedAt}, &status, &org)
	if errors.Is(err, sql.ErrNoRows) {
		return omadata.Caller{}, errBadToken
	} else if err != nil {
		return omadata.Caller{}, err
	} else if c.RevokedAt != nil || c.ExpiresAt != nil && !c.ExpiresAt.After(now) {
		return omadata.Caller{}, errBadToken
	} else if status == omadata.ServiceSuspended {
		return omadata.Caller{}, omadata.Errorf(omadata.EFORBIDDEN, "The service is suspended from the network.")
	}
	caller := omadata.Caller{Kind: omadata.CallerService, TokenID: c.ID, ServiceID: c.ServiceID, Organisation: org, Scopes: slices.Clip(c.Scopes)}
	s.creds.put(hash, &checkedCredential{caller: caller, expiresAt: c.ExpiresAt, version: version})
	return caller, nil
}
