// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/omadata/omadata/internal/witness"
)

// CosignatureReport is what VerifyCosignatures checked.
type CosignatureReport struct {
	Cosignatures int64 // stored cosignature lines
	Checkpoints  int64 // checkpoints with at least one
	// Unknown are the cosignatures of witnesses the policy does not name:
	// reported, not checked.
	Unknown []StoredCosignature
	// Met are the sizes of the checkpoints that meet the policy, in
	// ascending order; nil without a policy.
	Met []int64
}

// StoredCosignature names one stored cosignature.
type StoredCosignature struct {
	Size    int64
	Witness string
}

// VerifyCosignatures reads the cosignatures collected for the log's own
// checkpoints (log_cosignatures, docs/witnessing.md §3). With a policy it
// checks each against its witness's key in the policy (cosignature/v1,
// C2SP tlog-cosignature §Format) over the stored checkpoint of its size,
// and says which checkpoints meet the policy (docs/witnessing.md §5);
// without one it only counts them. A cosignature that does not verify, or
// is of a size the log signed no checkpoint of, is a *LogProblem naming
// the checkpoint's size and the witness. It reads only.
func VerifyCosignatures(ctx context.Context, db *DB, policy *witness.Policy) (*CosignatureReport, error) {
	r := db.reader()
	rows, err := r.query(ctx, `SELECT size, witness, line FROM log_cosignatures ORDER BY size, witness`)
	if err != nil {
		return nil, err
	}
	type cosig struct {
		size          int64
		witness, line string
	}
	var all []cosig
	for rows.Next() {
		var c cosig
		if err := rows.Scan(&c.size, &c.witness, &c.line); err != nil {
			rows.Close()
			return nil, err
		}
		all = append(all, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rep := &CosignatureReport{Cosignatures: int64(len(all))}
	keys := map[string]note.Verifier{} // by witness name
	if policy != nil {
		for _, w := range policy.Witnesses {
			v, err := witness.NewCosignatureVerifier(w.VerifierKey)
			if err != nil {
				return nil, problemf("the policy's witness %s: %v", w.Label, err)
			}
			keys[v.Name()] = v
		}
	}
	for i := 0; i < len(all); {
		size := all[i].size
		j := i
		for j < len(all) && all[j].size == size {
			j++
		}
		rep.Checkpoints++
		if policy == nil {
			i = j
			continue
		}
		var signed string
		err := r.queryRow(ctx, `SELECT note FROM log_checkpoints WHERE size = ? ORDER BY seq DESC LIMIT 1`, size).Scan(&signed)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, problemf("checkpoint %d: cosigned by %s, but the log signed no checkpoint of that size", size, all[i].witness)
		} else if err != nil {
			return nil, err
		}
		var lines strings.Builder
		lines.WriteString(signed)
		for _, c := range all[i:j] {
			v := keys[c.witness]
			if v == nil {
				rep.Unknown = append(rep.Unknown, StoredCosignature{size, c.witness})
				continue
			}
			if !strings.HasPrefix(c.line, "— "+c.witness+" ") || !strings.HasSuffix(c.line, "\n") || strings.Count(c.line, "\n") != 1 {
				return nil, problemf("checkpoint %d: the cosignature of %s is not one signature line", size, c.witness)
			}
			if _, err := note.Open([]byte(signed+c.line), note.VerifierList(v)); err != nil {
				return nil, problemf("checkpoint %d: the cosignature of %s does not verify with its key in the policy", size, c.witness)
			}
			lines.WriteString(c.line)
		}
		vf, err := policy.Verify([]byte(lines.String()))
		if err != nil {
			return nil, problemf("checkpoint %d: %v", size, err)
		}
		if vf.Met {
			rep.Met = append(rep.Met, size)
		}
		i = j
	}
	return rep, nil
}
