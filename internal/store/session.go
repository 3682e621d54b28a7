// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/omadata/omadata"
)

// sessionKind is one of the two kinds of signed-in session: a resident's
// at the portal, a staff member's at the console. Both are a row holding
// the token's hash, an expiry and an end, owned by a row of another table.
type sessionKind struct {
	table, ownerColumn, ownerTable, ownerName string
	tokenPrefix, idPrefix                     string
}

var (
	residentSessions = sessionKind{"sessions", "resident_id", "residents", "Resident", residentTokenPrefix, "ses"}
	staffSessions    = sessionKind{"staff_sessions", "staff_id", "staff", "Staff", staffTokenPrefix, "sss"}
)

// createSession signs an owner in for ttl (the operator's login flows only)
// and returns the new session's ID, token and expiry.
func (s *Store) createSession(ctx context.Context, k sessionKind, ownerID string, ttl time.Duration) (id, token string, expires time.Time, err error) {
	if err := requireAdmin(ctx); err != nil {
		return "", "", time.Time{}, err
	} else if ttl <= 0 || ttl > 24*time.Hour {
		return "", "", time.Time{}, omadata.Invalidf("ttl", "A session lasts between a second and a day.")
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return "", "", time.Time{}, err
	}
	defer tx.Rollback()
	if n, err := count(ctx, tx, `SELECT COUNT(*) FROM `+k.ownerTable+` WHERE id = ?`, ownerID); err != nil {
		return "", "", time.Time{}, err
	} else if n == 0 {
		return "", "", time.Time{}, omadata.NotFound(k.ownerName)
	}
	token, hash := newToken(k.tokenPrefix)
	id, expires = omadata.NewID(k.idPrefix), tx.now.Add(ttl)
	if _, err := tx.exec(ctx, `INSERT INTO `+k.table+` (id, `+k.ownerColumn+`, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		id, ownerID, hash, tx.now, expires); err != nil {
		return "", "", time.Time{}, err
	}
	return id, token, expires, tx.Commit()
}

// liveSession finds the session of a token that has neither ended nor
// expired; errBadToken for any other.
func (s *Store) liveSession(ctx context.Context, k sessionKind, token string) (id, ownerID string, expires time.Time, err error) {
	var ended *time.Time
	err = s.db.reader().queryRow(ctx, `SELECT id, `+k.ownerColumn+`, expires_at, ended_at FROM `+k.table+` WHERE token_hash = ?`, tokenHash(token)).
		Scan(&id, &ownerID, Time{&expires}, NullTime{&ended})
	if errors.Is(err, sql.ErrNoRows) || err == nil && (ended != nil || !expires.After(s.db.Now())) {
		return "", "", time.Time{}, errBadToken
	}
	return id, ownerID, expires, err
}
