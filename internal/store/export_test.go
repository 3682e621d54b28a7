// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"fmt"

	"github.com/omadata/omadata"
)

// AppendTestLeaves appends n synthetic leaves (admin changes with no record
// behind them) in large transactions, for benchmarks of the tree.
func AppendTestLeaves(ctx context.Context, s *Store, n int) error {
	const perTx = 10000
	for done := 0; done < n; {
		tx, err := s.db.begin(ctx)
		if err != nil {
			return err
		}
		var rows, changes []any
		for i := 0; i < perTx && done < n; i++ {
			id := fmt.Sprintf("chg_bench%017d", done)
			target := fmt.Sprintf("svc_bench%017d", done)
			digest := adminChangeDigest(id, "admin", "bench", "service", target, "{}", tx.now)
			leaf := &omadata.LogLeaf{Version: 1, Kind: "admin.bench", Time: omadata.LogTime(tx.now),
				Record: id, RecordKind: omadata.RecordAdminChange, RecordSHA256: digest}
			rows = append(rows, "admin.bench", omadata.RecordAdminChange, id, string(leaf.Bytes()), tx.now)
			changes = append(changes, id, "admin", "bench", "service", target, "{}", tx.now)
			done++
		}
		if err := insertRows(ctx, tx, `INSERT INTO log_leaves (kind, record_kind, record_id, data, created_at) VALUES `, 5, rows); err != nil {
			tx.Rollback()
			return err
		}
		if err := insertRows(ctx, tx, `INSERT INTO admin_changes (id, actor_id, action, target_kind, target_id, details, created_at) VALUES `, 7, changes); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

// LiveAhead reports what a resident's give done ahead reads about a live
// consent of theirs on the processing (in the statement that reads their
// pseudonyms). A wrong answer would not change any call's result, only
// send it the slow way, or into the unique index.
func LiveAhead(ctx context.Context, s *Store, residentID, sinkID, processingID string) (bool, error) {
	c := &consentRow{Consent: omadata.Consent{SinkID: sinkID, SourceIDs: []string{}}, residentID: residentID}
	_, _, live, err := s.namesAhead(ctx, s.db.reader(), c, &consentParts{}, processingID)
	return live, err
}
