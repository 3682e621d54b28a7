// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"maps"
	"slices"

	"github.com/omadata/omadata"
)

// maxNetworkWitnesses bounds the list kept: a network of more members
// than an operator asks (docs/witnessing.md §8: 32 witnesses) still has
// them all remembered.
const maxNetworkWitnesses = 1000

// NetworkWitnesses returns the network's witnesses of the own log as the
// witness log sync last knew them, in order (docs/witnessing.md §3): what
// the policy is built from while the trust anchor cannot be reached, for
// instance right after a start. Public: the policy names them all.
func (s *Store) NetworkWitnesses(ctx context.Context) ([]omadata.WitnessRef, error) {
	rows, err := s.db.reader().query(ctx, `SELECT name, verifier_key, url, label, operator_id FROM network_witnesses ORDER BY position`)
	if err != nil {
		return nil, err
	}
	out, err := collect(rows, scanNetworkWitness)
	if out == nil {
		out = []omadata.WitnessRef{}
	}
	return out, err
}

// SetNetworkWitnesses replaces the network's witnesses of the own log
// with ws, in one transaction; a list equal to the one kept writes
// nothing. The witness log sync's, which runs as the operator's admin.
func (s *Store) SetNetworkWitnesses(ctx context.Context, ws []omadata.WitnessRef) error {
	if err := requireAdmin(ctx); err != nil {
		return err
	} else if len(ws) > maxNetworkWitnesses {
		return omadata.Invalidf("witnesses", "At most %d witnesses.", maxNetworkWitnesses)
	}
	seen := map[string]bool{}
	for _, w := range ws {
		if validOrigin("name", w.Name) != nil {
			return omadata.Invalidf("name", "Not a witness name: %.80q.", w.Name)
		} else if seen[w.Name] {
			return omadata.Invalidf("name", "The witness %s is named twice.", w.Name)
		} else if w.VerifierKey == "" || w.URL == "" {
			return omadata.Invalidf("verifier_key", "The witness %s needs a verifier key and a URL.", w.Name)
		}
		seen[w.Name] = true
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	rows, err := tx.query(ctx, `SELECT name, verifier_key, url, label, operator_id FROM network_witnesses ORDER BY position`)
	if err != nil {
		return err
	}
	old, err := collect(rows, scanNetworkWitness)
	if err != nil {
		return err
	} else if slices.EqualFunc(old, ws, sameWitness) {
		return nil
	}
	if _, err := tx.exec(ctx, `DELETE FROM network_witnesses`); err != nil {
		return err
	}
	for i, w := range ws {
		label := w.Label
		if label == nil {
			label = omadata.Text{}
		}
		if _, err := tx.exec(ctx, `INSERT INTO network_witnesses (name, position, verifier_key, url, label, operator_id, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			w.Name, i, w.VerifierKey, w.URL, jsonValue{label}, w.OperatorID, tx.now); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func scanNetworkWitness(r interface{ Scan(...any) error }) (omadata.WitnessRef, error) {
	var w omadata.WitnessRef
	return w, r.Scan(&w.Name, &w.VerifierKey, &w.URL, jsonScan{&w.Label}, &w.OperatorID)
}

func sameWitness(a, b omadata.WitnessRef) bool {
	return a.Name == b.Name && a.VerifierKey == b.VerifierKey && a.URL == b.URL && a.OperatorID == b.OperatorID && maps.Equal(a.Label, b.Label)
}
