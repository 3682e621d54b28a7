// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/dpop"
)

// appRefreshTokenPrefix starts every app refresh token.
const appRefreshTokenPrefix = "oma_rft_"

// newCode returns an authorization code of 128 random bits and its hash.
func newCode() (code, hash string) {
	var b [16]byte
	rand.Read(b[:])
	code = base64.RawURLEncoding.EncodeToString(b[:])
	return code, tokenHash(code)
}

// invalidGrant is the token endpoint's invalid_grant (RFC 6749 §5.2).
func invalidGrant(format string, args ...any) error {
	return omadata.Invalidf("grant", format, args...)
}

// appActor is the context under which the token endpoint's changes are
// audited: the resident's connection, acting through the app.
func appActor(ctx context.Context, residentID, connID, appID string) context.Context {
	return omadata.NewContextWithCaller(ctx, omadata.Caller{
		Kind: omadata.CallerResident, ResidentID: residentID, TokenID: connID, Channel: omadata.ChannelApp, AppID: appID, ConnectionID: connID,
	})
}

// ExchangeToken redeems an authorization code (RFC 6749 §4.1.3, RFC 7636
// §4.6) or a refresh token (RFC 6749 §6, rotated per RFC 9700 §4.14.2)
// for an access token and a refresh token bound to r.JKT (RFC 9449 §5).
// Refusals are EINVALID naming "grant" (invalid_grant), "client_id"
// (invalid_client), "scope" (invalid_scope), "DPoP" (invalid_dpop_proof)
// or "grant_type" (unsupported_grant_type). A code used twice revokes the
// tokens issued from it; a rotated refresh token used again ends the
// connection. Both refusals commit what they revoke.
func (s *Store) ExchangeToken(ctx context.Context, r *omadata.TokenRequest) (*omadata.AppToken, error) {
	if r == nil {
		return nil, omadata.Invalidf("body", "Send a token request.")
	} else if !omadata.ValidSHA256(r.JKT) {
		return nil, omadata.Invalidf("DPoP", "Send a DPoP proof.")
	} else if !omadata.ValidID(omadata.PrefixApp, r.ClientID) {
		return nil, omadata.Invalidf("client_id", "Unknown client_id.")
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	a, err := findApp(ctx, tx, r.ClientID)
	if omadata.ErrorCode(err) == omadata.ENOTFOUND {
		return nil, omadata.Invalidf("client_id", "Unknown client_id.")
	} else if err != nil {
		return nil, err
	} else if a.Status != omadata.AppActive {
		return nil, omadata.Invalidf("client_id", "The app is suspended.")
	}
	var tok *omadata.AppToken
	var refused error
	switch r.GrantType {
	case omadata.GrantAuthorizationCode:
		tok, refused, err = s.redeemCode(ctx, tx, r)
	case omadata.GrantRefreshToken:
		tok, refused, err = s.redeemRefresh(ctx, tx, r)
	default:
		return nil, omadata.Invalidf("grant_type", "Use authorization_code or refresh_token.")
	}
	if err != nil {
		return nil, err
	} else if err := sweepAppTokens(ctx, tx); err != nil {
		return nil, err
	} else if err := tx.Commit(); err != nil {
		return nil, err
	} else if refused != nil {
		return nil, refused
	}
	return tok, nil
}

// sweepAppTokens deletes the codes and tokens that have expired, as new
// ones come (like the DPoP proofs of useProof): an expired one is refused
// whether it is there or not, so keeping it would only grow the tables.
func sweepAppTokens(ctx context.Context, tx *Tx) error {
	if _, err := tx.exec(ctx, `DELETE FROM app_codes WHERE expires_at < ?`, tx.now); err != nil {
		return err
	}
	_, err := tx.exec(ctx, `DELETE FROM app_tokens WHERE expires_at < ?`, tx.now)
	return err
}

// redeemCode is ExchangeToken for a code. It returns the error to answer
// (refused) apart from a failure (err): a refusal may have revoked tokens
// that the transaction must commit.
func (s *Store) redeemCode(ctx context.Context, tx *Tx, r *omadata.TokenRequest) (tok *omadata.AppToken, refused, err error) {
	hash := tokenHash(r.Code)
	var conn, appID, resident, redirect, challenge, jkt string
	var scopes []string
	var expires time.Time
	var used, ended *time.Time
	err = tx.queryRow(ctx, `SELECT k.connection_id, c.app_id, c.resident_id, k.redirect_uri, k.code_challenge, k.dpop_jkt, k.scopes, k.expires_at, k.used_at, c.ended_at
		FROM app_codes k JOIN app_connections c ON c.id = k.connection_id WHERE k.code_hash = ?`, hash).
		Scan(&conn, &appID, &resident, &redirect, &challenge, &jkt, jsonScan{&scopes}, Time{&expires}, NullTime{&used}, NullTime{&ended})
	switch {
	case errors.Is(err, sql.ErrNoRows) || err == nil && appID != r.ClientID:
		return nil, invalidGrant("Unknown authorization code."), nil
	case err != nil:
		return nil, nil, err
	case used != nil:
		// RFC 6749 §4.1.2: a code used twice revokes what it gave.
		if _, err := tx.exec(ctx, `UPDATE app_tokens SET revoked_at = ? WHERE code_hash = ? AND revoked_at IS NULL`, tx.now, hash); err != nil {
			return nil, nil, err
		}
		return nil, invalidGrant("The authorization code was used before; the tokens issued from it are revoked."), nil
	case !expires.After(tx.now):
		return nil, invalidGrant("The authorization code has expired; codes last %d seconds.", int(omadata.AppCodeTTL.Seconds())), nil
	case ended != nil:
		return nil, invalidGrant("The resident has disconnected the app."), nil
	case r.RedirectURI != redirect:
		return nil, invalidGrant("The redirect_uri is not the one of the authorization request."), nil
	case !pkceMatches(r.CodeVerifier, challenge):
		return nil, invalidGrant("The code_verifier does not match the code_challenge."), nil
	case jkt != "" && jkt != r.JKT:
		return nil, invalidGrant("The DPoP proof's key is not the one named by dpop_jkt in the authorization request."), nil
	}
	if _, err := tx.exec(ctx, `UPDATE app_codes SET used_at = ? WHERE code_hash = ?`, tx.now, hash); err != nil {
		return nil, nil, err
	}
	tok, err = issueAppTokens(ctx, tx, conn, hash, r.JKT, scopes, scopes)
	return tok, nil, err
}

// redeemRefresh is ExchangeToken for a refresh token; see redeemCode.
func (s *Store) redeemRefresh(ctx context.Context, tx *Tx, r *omadata.TokenRequest) (tok *omadata.AppToken, refused, err error) {
	hash := tokenHash(r.RefreshToken)
	var conn, appID, resident, codeHash, jkt, kind string
	var scopes []string
	var expires time.Time
	var rotated, revoked, ended *time.Time
	err = tx.queryRow(ctx, `SELECT t.kind, t.connection_id, c.app_id, c.resident_id, t.code_hash, t.jkt, t.scopes, t.expires_at, t.rotated_at, t.revoked_at, c.ended_at
		FROM app_tokens t JOIN app_connections c ON c.id = t.connection_id WHERE t.token_hash = ?`, hash).
		Scan(&kind, &conn, &appID, &resident, &codeHash, &jkt, jsonScan{&scopes}, Time{&expires}, NullTime{&rotated}, NullTime{&revoked}, NullTime{&ended})
	switch {
	case errors.Is(err, sql.ErrNoRows) || err == nil && (appID != r.ClientID || kind != "refresh"):
		return nil, invalidGrant("Unknown refresh token."), nil
	case err != nil:
		return nil, nil, err
	case ended != nil:
		return nil, invalidGrant("The app is disconnected; ask the resident to connect it again."), nil
	case rotated != nil:
		// RFC 9700 §4.14.2: a rotated token used again means two parties
		// hold it; end the connection rather than guess which is the app.
		if err := s.endConnection(appActor(ctx, resident, conn, appID), tx, conn, appID, "refresh_reuse"); err != nil {
			return nil, nil, err
		}
		return nil, invalidGrant("The refresh token was used before; the connection is ended and the resident must connect the app again."), nil
	case revoked != nil || !expires.After(tx.now):
		return nil, invalidGrant("The refresh token has expired or was revoked."), nil
	case jkt != r.JKT:
		return nil, omadata.Invalidf("DPoP", "The DPoP proof's key is not the one the refresh token is bound to."), nil
	}
	access := scopes
	if r.Scopes != nil {
		for _, sc := range r.Scopes {
			if !slices.Contains(scopes, sc) {
				return nil, omadata.Invalidf("scope", "The refresh token does not hold scope %q.", omadata.Truncate(sc, 40)), nil
			}
		}
		access = omadata.SortScopes(r.Scopes)
	}
	if _, err := tx.exec(ctx, `UPDATE app_tokens SET rotated_at = ? WHERE token_hash = ?`, tx.now, hash); err != nil {
		return nil, nil, err
	}
	tok, err = issueAppTokens(ctx, tx, conn, codeHash, jkt, access, scopes)
	return tok, nil, err
}

// issueAppTokens stores a new access token (with access scopes) and
// refresh token (with refresh scopes) of a connection, from the code
// whose hash is codeHash, and notes the connection's use.
func issueAppTokens(ctx context.Context, tx *Tx, conn, codeHash, jkt string, access, refresh []string) (*omadata.AppToken, error) {
	at, atHash := newToken(omadata.AppAccessTokenPrefix)
	rt, rtHash := newToken(appRefreshTokenPrefix)
	for _, t := range []struct {
		hash, kind string
		scopes     []string
		ttl        time.Duration
	}{{atHash, "access", access, omadata.AppAccessTokenTTL}, {rtHash, "refresh", refresh, omadata.AppRefreshTokenTTL}} {
		if _, err := tx.exec(ctx, `INSERT INTO app_tokens (token_hash, kind, connection_id, code_hash, jkt, scopes, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			t.hash, t.kind, conn, codeHash, jkt, jsonValue{t.scopes}, tx.now, tx.now.Add(t.ttl)); err != nil {
			return nil, err
		}
	}
	if _, err := tx.exec(ctx, `UPDATE app_connections SET last_used_at = ? WHERE id = ?`, tx.now, conn); err != nil {
		return nil, err
	}
	return &omadata.AppToken{
		AccessToken: at, TokenType: "DPoP", ExpiresIn: int(omadata.AppAccessTokenTTL.Seconds()),
		Scope: strings.Join(access, " "), RefreshToken: rt,
	}, nil
}

// pkceMatches checks a code_verifier against an S256 code_challenge (RFC
// 7636 §4.1, §4.6): 43 to 128 unreserved characters whose SHA-256 is the
// challenge.
func pkceMatches(verifier, challenge string) bool {
	if len(verifier) < 43 || len(verifier) > 128 {
		return false
	}
	for _, r := range verifier {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-._~", r)) {
			return false
		}
	}
	sum := sha256.Sum256([]byte(verifier))
	return subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(challenge)) == 1
}

// RevokeAppToken revokes an access token, or ends the connection of a
// refresh token (RFC 7009 §2.1); an unknown token, or one of another app,
// is no error (RFC 7009 §2.2).
func (s *Store) RevokeAppToken(ctx context.Context, clientID, token string) error {
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	hash := tokenHash(token)
	var kind, conn, appID, resident string
	err = tx.queryRow(ctx, `SELECT t.kind, t.connection_id, c.app_id, c.resident_id FROM app_tokens t JOIN app_connections c ON c.id = t.connection_id
		WHERE t.token_hash = ? AND t.revoked_at IS NULL AND c.ended_at IS NULL`, hash).Scan(&kind, &conn, &appID, &resident)
	if errors.Is(err, sql.ErrNoRows) || err == nil && appID != clientID {
		return nil
	} else if err != nil {
		return err
	}
	if kind == "refresh" {
		if err := s.endConnection(appActor(ctx, resident, conn, appID), tx, conn, appID, "app"); err != nil {
			return err
		}
	} else if _, err := tx.exec(ctx, `UPDATE app_tokens SET revoked_at = ? WHERE token_hash = ?`, tx.now, hash); err != nil {
		return err
	}
	return tx.Commit()
}

// AuthenticateApp turns an app's access token into the resident caller it
// acts for, and returns the thumbprint of the key the token is bound to,
// which the request's DPoP proof must match. It looks the token, its
// connection and its app up on every call, so that a revocation, a
// disconnection or a suspension takes effect at once.
func (s *Store) AuthenticateApp(ctx context.Context, token string) (omadata.Caller, string, error) {
	if !strings.HasPrefix(token, omadata.AppAccessTokenPrefix) {
		return omadata.Caller{}, "", errBadToken
	}
	var kind, conn, appID, resident, jkt, status string
	var scopes []string
	var expires time.Time
	var revoked, ended *time.Time
	err := s.db.reader().queryRow(ctx, `SELECT t.kind, t.connection_id, c.app_id, c.resident_id, t.jkt, t.scopes, t.expires_at, t.revoked_at, c.ended_at, a.status
		FROM app_tokens t JOIN app_connections c ON c.id = t.connection_id JOIN apps a ON a.id = c.app_id WHERE t.token_hash = ?`, tokenHash(token)).
		Scan(&kind, &conn, &appID, &resident, &jkt, jsonScan{&scopes}, Time{&expires}, NullTime{&revoked}, NullTime{&ended}, &status)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return omadata.Caller{}, "", errBadToken
	case err != nil:
		return omadata.Caller{}, "", err
	case kind != "access" || revoked != nil || ended != nil || !expires.After(s.db.Now()):
		return omadata.Caller{}, "", errBadToken
	case status != omadata.AppActive:
		return omadata.Caller{}, "", omadata.Errorf(omadata.EUNAUTHORIZED, "The app is suspended.")
	}
	return omadata.Caller{
		Kind: omadata.CallerResident, TokenID: conn, ResidentID: resident, Scopes: slices.Clip(scopes),
		Channel: omadata.ChannelApp, AppID: appID, ConnectionID: conn,
	}, jkt, nil
}

// UseOnce records the DPoP proof with key thumbprint jkt and jti until
// the given time and reports whether it was new: the replay check of
// internal/dpop (dpop.Replay), shared by every instance of the operator,
// in the table grant requests use too; expired records are swept as new
// ones come.
func (s *Store) UseOnce(ctx context.Context, jkt, jti string, until time.Time) (bool, error) {
	tx, err := s.db.begin(ctx)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	fresh, err := useProof(ctx, tx, jkt, jti, until)
	if err != nil || !fresh {
		return false, err
	}
	return true, tx.Commit()
}

var _ dpop.Replay = (*Store)(nil)
