// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"

	"github.com/omadata/omadata"
)

var (
	_ omadata.AppService      = (*Store)(nil)
	_ omadata.AppTokenService = (*Store)(nil)
)

const appColumns = `id, name, description, publisher, redirect_uris, scopes, status, created_at, updated_at`

func scanApp(row interface{ Scan(...any) error }) (*omadata.App, error) {
	var a omadata.App
	err := row.Scan(&a.ID, jsonScan{&a.Name}, jsonScan{&a.Description}, &a.Publisher, jsonScan{&a.RedirectURIs}, jsonScan{&a.Scopes},
		&a.Status, Time{&a.CreatedAt}, Time{&a.UpdatedAt})
	return &a, err
}

func findApp(ctx context.Context, q querier, id string) (*omadata.App, error) {
	if !omadata.ValidID(omadata.PrefixApp, id) {
		return nil, omadata.NotFound("App")
	}
	a, err := scanApp(q.queryRow(ctx, `SELECT `+appColumns+` FROM apps WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, omadata.NotFound("App")
	}
	return a, err
}

// CreateApp registers an app (operator admins only), active unless a is
// suspended. An ID given in a is kept (the demo's fixed client ID); the
// API never passes one.
func (s *Store) CreateApp(ctx context.Context, a *omadata.App) error {
	if err := requireAdmin(ctx); err != nil {
		return err
	}
	if a.Status == "" {
		a.Status = omadata.AppActive
	}
	a.Description = textOrEmpty(a.Description)
	if err := a.Validate(); err != nil {
		return err
	}
	if a.ID == "" {
		a.ID = omadata.NewID(omadata.PrefixApp)
	} else if !omadata.ValidID(omadata.PrefixApp, a.ID) {
		return omadata.Invalidf("id", "Not an app ID.")
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if n, err := count(ctx, tx, `SELECT COUNT(*) FROM apps WHERE id = ?`, a.ID); err != nil {
		return err
	} else if n > 0 {
		return omadata.Conflictf("id", "An app with this ID is registered.")
	}
	a.CreatedAt, a.UpdatedAt = tx.now, tx.now
	if _, err := tx.exec(ctx, `INSERT INTO apps (`+appColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, jsonValue{a.Name}, jsonValue{a.Description}, a.Publisher, jsonValue{a.RedirectURIs}, jsonValue{a.Scopes}, a.Status, a.CreatedAt, a.UpdatedAt); err != nil {
		return err
	}
	if err := s.audit(ctx, tx, "app.created", "app", a.ID, map[string]any{"name": a.Name, "redirect_uris": a.RedirectURIs, "scopes": a.Scopes, "status": a.Status}); err != nil {
		return err
	}
	return tx.Commit()
}

// FindApp returns an app. Anyone may read a registered app's public
// description (the consent screen shows it); ENOTFOUND if missing.
func (s *Store) FindApp(ctx context.Context, id string) (*omadata.App, error) {
	return findApp(ctx, s.db.reader(), id)
}

// FindApps lists every app, newest first (operator admins only).
func (s *Store) FindApps(ctx context.Context) ([]*omadata.App, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	rows, err := s.db.reader().query(ctx, `SELECT `+appColumns+` FROM apps ORDER BY id DESC`)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanApp)
}

// UpdateApp changes an app (operator admins only). Suspending it stops
// its tokens at once: AuthenticateApp and ExchangeToken look at its status.
func (s *Store) UpdateApp(ctx context.Context, id string, u omadata.AppUpdate) (*omadata.App, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	a, err := findApp(ctx, tx, id)
	if err != nil {
		return nil, err
	} else if err := requireField(u); err != nil {
		return nil, err
	}
	was := snapshot(a)
	u.Apply(a)
	a.Description = textOrEmpty(a.Description)
	if err := a.Validate(); err != nil {
		return nil, err
	} else if unchanged(was, a) {
		return a, nil
	}
	a.UpdatedAt = tx.now
	if _, err := tx.exec(ctx, `UPDATE apps SET name = ?, description = ?, publisher = ?, redirect_uris = ?, scopes = ?, status = ?, updated_at = ? WHERE id = ?`,
		jsonValue{a.Name}, jsonValue{a.Description}, a.Publisher, jsonValue{a.RedirectURIs}, jsonValue{a.Scopes}, a.Status, a.UpdatedAt, a.ID); err != nil {
		return nil, err
	}
	if err := s.audit(ctx, tx, "app.updated", "app", a.ID, map[string]any{"update": u}); err != nil {
		return nil, err
	}
	return a, tx.Commit()
}

const connectionColumns = `c.id, c.app_id, c.resident_id, c.scopes, c.created_at, c.last_used_at, c.ended_at`

func scanConnection(row interface{ Scan(...any) error }) (*omadata.AppConnection, error) {
	var c omadata.AppConnection
	a := new(omadata.App)
	err := row.Scan(&c.ID, &c.AppID, &c.ResidentID, jsonScan{&c.Scopes}, Time{&c.CreatedAt}, NullTime{&c.LastUsedAt}, NullTime{&c.EndedAt},
		&a.ID, jsonScan{&a.Name}, jsonScan{&a.Description}, &a.Publisher, jsonScan{&a.RedirectURIs}, jsonScan{&a.Scopes},
		&a.Status, Time{&a.CreatedAt}, Time{&a.UpdatedAt})
	c.App = a
	return &c, err
}

const connectionSelect = `SELECT ` + connectionColumns + `, a.id, a.name, a.description, a.publisher, a.redirect_uris, a.scopes, a.status, a.created_at, a.updated_at
	FROM app_connections c JOIN apps a ON a.id = c.app_id`

// ownConnections returns the condition and arguments that limit
// app_connections (alias c) to the calling resident's, or EFORBIDDEN for
// anyone but a resident. An app acting for the resident sees only its own
// connection: which other apps the resident uses is not its business.
func ownConnections(ctx context.Context) (string, []any, error) {
	c := omadata.CallerFromContext(ctx)
	switch {
	case c.Kind != omadata.CallerResident || c.ResidentID == "":
		return "", nil, omadata.Errorf(omadata.EFORBIDDEN, "Only the resident manages their connected apps.")
	case c.Channel == omadata.ChannelApp:
		return `c.resident_id = ? AND c.id = ?`, []any{c.ResidentID, c.ConnectionID}, nil
	}
	return `c.resident_id = ?`, []any{c.ResidentID}, nil
}

// FindAppConnections lists the calling resident's connections that have
// not ended, newest first, each with its App; an app's own token sees its
// own connection only.
func (s *Store) FindAppConnections(ctx context.Context) ([]*omadata.AppConnection, error) {
	own, args, err := ownConnections(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.reader().query(ctx, connectionSelect+` WHERE `+own+` AND c.ended_at IS NULL ORDER BY c.id DESC`, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanConnection)
}

// EndAppConnection ends the calling resident's connection and with it
// every token issued on it; ENOTFOUND for someone else's, an ended one,
// and, for an app, another app's.
func (s *Store) EndAppConnection(ctx context.Context, id string) error {
	own, args, err := ownConnections(ctx)
	if err != nil {
		return err
	} else if !omadata.ValidID(omadata.PrefixConnection, id) {
		return omadata.NotFound("Connection")
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	c, err := scanConnection(tx.queryRow(ctx, connectionSelect+` WHERE c.id = ? AND `+own+` AND c.ended_at IS NULL`, append([]any{id}, args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		return omadata.NotFound("Connection")
	} else if err != nil {
		return err
	}
	why := "resident"
	if omadata.CallerFromContext(ctx).Channel == omadata.ChannelApp {
		why = "app"
	}
	if err := s.endConnection(ctx, tx, c.ID, c.AppID, why); err != nil {
		return err
	}
	return tx.Commit()
}

// endConnection ends a connection and revokes its tokens, in tx, and
// audits it with why ("resident", "revoked" by the app, "refresh_reuse").
func (s *Store) endConnection(ctx context.Context, tx *Tx, id, appID, why string) error {
	if _, err := tx.exec(ctx, `UPDATE app_connections SET ended_at = ? WHERE id = ? AND ended_at IS NULL`, tx.now, id); err != nil {
		return err
	} else if _, err := tx.exec(ctx, `UPDATE app_tokens SET revoked_at = ? WHERE connection_id = ? AND revoked_at IS NULL`, tx.now, id); err != nil {
		return err
	}
	return s.audit(ctx, tx, "app.disconnected", "app_connection", id, map[string]any{"app_id": appID, "by": why})
}

// CreateAuthorizationCode records the signed-in resident's consent to
// connect the app with r's scopes and returns a one-time code. Only the
// resident themselves through the portal may connect an app: an app's
// own token may not. An app already connected keeps its connection, whose
// scopes grow by r's.
func (s *Store) CreateAuthorizationCode(ctx context.Context, r *omadata.AuthorizationRequest) (string, error) {
	c := omadata.CallerFromContext(ctx)
	if c.Kind != omadata.CallerResident || c.Channel != omadata.ChannelPortal || c.ResidentID == "" {
		return "", omadata.Errorf(omadata.EFORBIDDEN, "Only a resident signed in to the portal connects an app.")
	} else if r == nil {
		return "", omadata.Invalidf("body", "Send an authorization request.")
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	a, err := findApp(ctx, tx, r.AppID)
	if err != nil {
		return "", omadata.Invalidf("client_id", "Unknown app.")
	}
	switch {
	case a.Status != omadata.AppActive:
		return "", omadata.Invalidf("client_id", "The app is suspended.")
	case !a.RedirectURIAllowed(r.RedirectURI):
		return "", omadata.Invalidf("redirect_uri", "Not a redirect URI of the app.")
	case len(r.Scopes) == 0:
		return "", omadata.Invalidf("scope", "Ask for at least one scope.")
	case !omadata.ValidSHA256(r.CodeChallenge):
		return "", omadata.Invalidf("code_challenge", "A PKCE S256 code challenge is 43 base64url characters.")
	case r.DPoPJKT != "" && !omadata.ValidSHA256(r.DPoPJKT):
		return "", omadata.Invalidf("dpop_jkt", "A JWK SHA-256 thumbprint is 43 base64url characters.")
	}
	for _, sc := range r.Scopes {
		if !slices.Contains(a.Scopes, sc) {
			return "", omadata.Invalidf("scope", "The app may not ask for %q.", omadata.Truncate(sc, 40))
		}
	}
	scopes := omadata.SortScopes(r.Scopes)
	var connID string
	var held []string
	err = tx.queryRow(ctx, `SELECT id, scopes FROM app_connections WHERE app_id = ? AND resident_id = ? AND ended_at IS NULL`, a.ID, c.ResidentID).
		Scan(&connID, jsonScan{&held})
	switch {
	case errors.Is(err, sql.ErrNoRows):
		connID = omadata.NewID(omadata.PrefixConnection)
		if _, err := tx.exec(ctx, `INSERT INTO app_connections (id, app_id, resident_id, scopes, created_at) VALUES (?, ?, ?, ?, ?)`,
			connID, a.ID, c.ResidentID, jsonValue{scopes}, tx.now); err != nil {
			return "", err
		}
		if err := s.audit(ctx, tx, "app.connected", "app_connection", connID, map[string]any{"app_id": a.ID, "scopes": scopes}); err != nil {
			return "", err
		}
	case err != nil:
		return "", err
	default:
		if grown := omadata.SortScopes(append(held, scopes...)); !slices.Equal(grown, held) {
			if _, err := tx.exec(ctx, `UPDATE app_connections SET scopes = ? WHERE id = ?`, jsonValue{grown}, connID); err != nil {
				return "", err
			}
			if err := s.audit(ctx, tx, "app.connected", "app_connection", connID, map[string]any{"app_id": a.ID, "scopes": grown}); err != nil {
				return "", err
			}
		}
	}
	code, hash := newCode()
	if _, err := tx.exec(ctx, `INSERT INTO app_codes (code_hash, connection_id, redirect_uri, code_challenge, dpop_jkt, scopes, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, hash, connID, r.RedirectURI, r.CodeChallenge, r.DPoPJKT, jsonValue{scopes}, tx.now, tx.now.Add(omadata.AppCodeTTL)); err != nil {
		return "", err
	}
	return code, tx.Commit()
}
