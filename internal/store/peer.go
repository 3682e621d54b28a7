// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/url"
	"time"

	"github.com/omadata/omadata"
)

// Peers are other operators as this one last resolved their trust chains
// (docs/network.md §2.4). The resolver (internal/federation.StoreCache)
// writes and reads them; every instance on the database shares them, so a
// chain one instance resolved or dropped is so for all. These methods are
// the operator's own machinery, not reachable by a caller over HTTP.

// PutPeer records a resolved peer, its metadata after policy, its
// rulebook version, the JWK set its chain vouches for (jwks, JSON) and
// when the chain expires, in one transaction. A peer already known is
// updated; its mirrored catalogue's state is kept. generation is the
// peer's drop generation (PeerGeneration) read before its resolution
// began: when the peer was dropped since, nothing is written and the
// error is ECONFLICT (a resolution that began before a membership event
// does not trust the peer again).
func (s *Store) PutPeer(ctx context.Context, p *omadata.Peer, jwks []byte, generation int64) error {
	if err := validPeer(p, jwks); err != nil {
		return err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	// The UPDATE locks the generation's row until the commit: a drop
	// running now waits for this write and then expires it, and one
	// committed since made the generation move.
	if _, err := tx.exec(ctx, `INSERT INTO peer_drops (operator_id, generation) VALUES (?, 0) ON CONFLICT (operator_id) DO NOTHING`, p.OperatorID); err != nil {
		return err
	}
	res, err := tx.exec(ctx, `UPDATE peer_drops SET generation = generation WHERE operator_id = ? AND generation = ?`, p.OperatorID, generation)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return omadata.Conflictf("generation", "The peer's chain was dropped after its resolution began.")
	}
	if _, err := tx.exec(ctx, `INSERT INTO peers (operator_id, name, metadata, rulebook_version, jwks, chain_expires_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (operator_id) DO UPDATE SET name = excluded.name, metadata = excluded.metadata, rulebook_version = excluded.rulebook_version,
			jwks = excluded.jwks, chain_expires_at = excluded.chain_expires_at, updated_at = excluded.updated_at`,
		p.OperatorID, jsonValue{p.Name}, jsonValue{p.OperatorMetadata}, p.RulebookVersion, string(jwks), p.ChainExpiresAt.UTC().Truncate(time.Microsecond), tx.now); err != nil {
		return err
	}
	return tx.Commit()
}

// PeerGeneration returns how many times the peer's chain was dropped
// (ExpirePeer); 0 if never.
func (s *Store) PeerGeneration(ctx context.Context, operatorID string) (int64, error) {
	var g int64
	err := s.db.reader().queryRow(ctx, `SELECT generation FROM peer_drops WHERE operator_id = ?`, operatorID).Scan(&g)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return g, err
}

func validPeer(p *omadata.Peer, jwks []byte) error {
	if p == nil {
		return omadata.Invalidf("operator_id", "No peer given.")
	}
	if u, err := url.Parse(p.OperatorID); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return omadata.Invalidf("operator_id", "The operator ID is not an https URL.")
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	switch {
	case p.RulebookVersion < 1:
		return omadata.Invalidf("rulebook_version", "The rulebook version is 1 or more.")
	case p.ChainExpiresAt.IsZero():
		return omadata.Invalidf("chain_expires_at", "The chain's expiry is missing.")
	case json.Unmarshal(jwks, &set) != nil || len(set.Keys) == 0:
		return omadata.Invalidf("jwks", "The peer's keys are not a JWK set with a key.")
	}
	return nil
}

// FindPeer returns the peer as last resolved, expired or not, and the
// JWK set its chain vouched for; ENOTFOUND if never resolved.
func (s *Store) FindPeer(ctx context.Context, operatorID string) (*omadata.Peer, []byte, error) {
	var p omadata.Peer
	var jwks string
	err := s.db.reader().queryRow(ctx, `SELECT metadata, rulebook_version, jwks, chain_expires_at FROM peers WHERE operator_id = ?`, operatorID).
		Scan(jsonScan{&p.OperatorMetadata}, &p.RulebookVersion, &jwks, Time{&p.ChainExpiresAt})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, omadata.NotFound("peer")
	} else if err != nil {
		return nil, nil, err
	}
	return &p, []byte(jwks), nil
}

// ExpirePeers ends every peer's resolved chain now and moves every drop
// generation, in one transaction: the operator was itself suspended and
// is active again, and may have missed membership events meanwhile
// (network.md §2.6). The rows stay.
func (s *Store) ExpirePeers(ctx context.Context) error {
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	// Every peer's drop generation moves too, so that no resolution in
	// flight records its chain (PutPeer).
	if _, err := tx.exec(ctx, `UPDATE peer_drops SET generation = generation + 1`); err != nil {
		return err
	}
	if _, err := tx.exec(ctx, `INSERT INTO peer_drops (operator_id, generation) SELECT operator_id, 1 FROM peers WHERE true ON CONFLICT (operator_id) DO NOTHING`); err != nil {
		return err
	}
	if _, err := tx.exec(ctx, `UPDATE peers SET chain_expires_at = ?, updated_at = ? WHERE chain_expires_at > ?`, tx.now, tx.now, tx.now); err != nil {
		return err
	}
	return tx.Commit()
}

// ExpirePeer ends the peer's resolved chain now, so that every instance
// resolves it again before believing it (a membership event, network.md
// §2.6), and moves its drop generation, so that a resolution in flight
// does not record its chain (PutPeer). The row stays: mirrored catalogue
// rows and residents refer to it. ENOTFOUND if the peer was never
// resolved; its generation moves all the same (its first resolution may
// be running).
func (s *Store) ExpirePeer(ctx context.Context, operatorID string) error {
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.exec(ctx, `INSERT INTO peer_drops (operator_id, generation) VALUES (?, 1)
		ON CONFLICT (operator_id) DO UPDATE SET generation = peer_drops.generation + 1`, operatorID); err != nil {
		return err
	}
	res, err := tx.exec(ctx, `UPDATE peers SET chain_expires_at = ?, updated_at = ? WHERE operator_id = ? AND chain_expires_at > ?`, tx.now, tx.now, operatorID, tx.now)
	if err != nil {
		return err
	}
	found := true
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		var one int
		if err := tx.queryRow(ctx, `SELECT 1 FROM peers WHERE operator_id = ?`, operatorID).Scan(&one); errors.Is(err, sql.ErrNoRows) {
			found = false
		} else if err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	if !found {
		return omadata.NotFound("peer")
	}
	return nil
}
