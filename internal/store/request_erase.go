// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"

	"github.com/omadata/omadata"
)

// erase carries out an erasure request in its transaction (docs/requests.md):
//
//  0. their live consents end: given and suspended ones are revoked,
//     requested ones expire, each with its record and log leaf, so that no
//     sink's list shows a consent of nobody as given;
//  1. every service holding a pseudonym of the resident gets a task and a
//     webhook naming that pseudonym, the only place it survives until the
//     service answers;
//  2. outbox rows that mention the pseudonyms are deleted, consent receipts
//     (which name the sink's pseudonym) are redacted;
//  3. the resident's log key and log_subjects rows are deleted, so no leaf
//     can be linked to them any more, and the log itself is untouched;
//  4. the identity goes: the blind index becomes a random tombstone, the
//     sealed code and name, birth date, identity history, sessions,
//     pseudonyms and representations are deleted, and the free text of
//     their requests is blanked.
//
// What stays holds only the internal random resident ID, which after this
// links to nobody.
func (s *Store) erase(ctx context.Context, tx *Tx, q *omadata.Request, actor requestActor) error {
	if err := s.endConsentsOfErased(ctx, tx, q); err != nil {
		return err
	}
	known, err := servicesKnowing(ctx, tx, q.ResidentID)
	if err != nil {
		return err
	}
	for _, k := range known {
		if _, err := tx.exec(ctx, `DELETE FROM outbox WHERE payload LIKE ?`, `%`+k.pseudonym+`%`); err != nil {
			return err
		}
	}
	if err := s.sendTasks(ctx, tx, q, known); err != nil {
		return err
	}
	status := omadata.RequestInProgress
	if len(known) == 0 {
		status = omadata.RequestCompleted
	}
	// The last step that may carry the resident's commitment: afterwards
	// their key is gone and recordRequest commits to no one.
	if err := s.moveRequest(ctx, tx, q, status, actor, "", taskServices(known)); err != nil {
		return err
	}
	var tomb [32]byte
	if _, err := rand.Read(tomb[:]); err != nil {
		return err
	}
	id := q.ResidentID
	for _, stmt := range []struct {
		query string
		args  []any
	}{
		{`UPDATE consent_records SET receipt = ? WHERE consent_id IN (SELECT id FROM consents WHERE resident_id = ?) AND receipt <> ?`,
			[]any{omadata.ReceiptRedacted, id, omadata.ReceiptRedacted}},
		{`DELETE FROM log_subjects WHERE resident_id = ?`, []any{id}},
		{`DELETE FROM resident_log_keys WHERE resident_id = ?`, []any{id}},
		{`DELETE FROM pseudonyms WHERE resident_id = ?`, []any{id}},
		{`DELETE FROM sessions WHERE resident_id = ?`, []any{id}},
		{`DELETE FROM app_tokens WHERE connection_id IN (SELECT id FROM app_connections WHERE resident_id = ?)`, []any{id}},
		{`DELETE FROM app_codes WHERE connection_id IN (SELECT id FROM app_connections WHERE resident_id = ?)`, []any{id}},
		{`DELETE FROM app_connections WHERE resident_id = ?`, []any{id}},
		{`DELETE FROM resident_identity_history WHERE resident_id = ?`, []any{id}},
		{`DELETE FROM representations WHERE representative_id = ? OR principal_id = ?`, []any{id, id}},
		{`UPDATE requests SET details = '', resolution = '' WHERE resident_id = ?`, []any{id}},
		{`UPDATE request_tasks SET details = '' WHERE request_id IN (SELECT id FROM requests WHERE resident_id = ?)`, []any{id}},
		{`UPDATE residents SET identity_hash = ?, identity_sealed = '', name_sealed = '', birth_date = '0001-01-01', updated_at = ?, erased_at = ? WHERE id = ?`,
			[]any{"erased:" + hex.EncodeToString(tomb[:]), tx.now, tx.now, id}},
	} {
		if _, err := tx.exec(ctx, stmt.query, stmt.args...); err != nil {
			return err
		}
	}
	q.Details = ""
	return nil
}

// endConsentsOfErased ends the resident's live consents before their
// identity goes. The records are the system's, citing the request; their
// receipts are redacted and their events deleted with the rest below (the
// erasure task tells each service), and their log leaves commit under the
// key that is deleted next, like every other leaf of the resident.
func (s *Store) endConsentsOfErased(ctx context.Context, tx *Tx, q *omadata.Request) error {
	rows, err := tx.query(ctx, ownConsentSelect+`WHERE c.resident_id = ? AND c.status IN `+liveIn+` ORDER BY c.id`, q.ResidentID)
	if err != nil {
		return err
	}
	live, err := collect(rows, scanConsent)
	if err != nil {
		return err
	}
	pc := partsCache{}
	for _, c := range live {
		parts, err := pc.get(ctx, tx, c.VersionID)
		if err != nil {
			return err
		}
		ch := change{status: omadata.ConsentRevoked, event: omadata.EventConsentRevoked, actor: systemActor,
			method: omadata.CollectedSystem, reason: "the resident's data was erased (request " + q.ID + ")"}
		if c.Status == omadata.ConsentRequested {
			// A request nobody can answer any more: it lapses.
			ch.status, ch.event = omadata.ConsentExpired, omadata.EventConsentExpired
		}
		if _, err := s.record(ctx, tx, c, parts, ch); err != nil {
			return err
		}
	}
	return nil
}
