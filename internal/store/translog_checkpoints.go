// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"strconv"
	"strings"

	"github.com/omadata/omadata"
)

// FindCheckpoints implements omadata.LogService. Checkpoints are public, as
// the latest one is; the cursor is the sequence number of the last one
// returned.
func (s *Store) FindCheckpoints(ctx context.Context, f omadata.CheckpointFilter) ([]*omadata.Checkpoint, string, error) {
	var w where
	if f.After != "" {
		seq, err := strconv.ParseInt(f.After, 10, 64)
		if err != nil || seq < 0 {
			return nil, "", omadata.Invalidf("after", "Not a cursor of this list.")
		}
		w.add("seq < ?", seq)
	}
	limit := pageLimit(f.Limit)
	rows, err := s.db.reader().query(ctx, `SELECT seq, size, root_hash, note, created_at FROM log_checkpoints `+w.String()+` ORDER BY seq DESC LIMIT ?`,
		append(w.args, limit+1)...)
	if err != nil {
		return nil, "", err
	}
	type row struct {
		seq int64
		cp  *omadata.Checkpoint
	}
	list, err := collect(rows, func(r interface{ Scan(...any) error }) (row, error) {
		x := row{cp: &omadata.Checkpoint{}}
		err := r.Scan(&x.seq, &x.cp.Size, &x.cp.RootHash, &x.cp.Note, Time{&x.cp.CreatedAt})
		x.cp.Origin, _, _ = strings.Cut(x.cp.Note, "\n")
		return x, err
	})
	if err != nil {
		return nil, "", err
	}
	list, next := page(list, limit, func(x row) string { return strconv.FormatInt(x.seq, 10) })
	out := make([]*omadata.Checkpoint, len(list))
	for i, x := range list {
		out[i] = x.cp
	}
	return out, next, nil
}
