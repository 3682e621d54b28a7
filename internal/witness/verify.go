// SPDX-License-Identifier: Apache-2.0

package witness

import (
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/omadata/omadata"
)

// Verified is what Policy.Verify found in a cosigned checkpoint.
type Verified struct {
	Checkpoint *Checkpoint
	Cosigners  []PolicyWitness // whose cosignature verified, in policy order
	Met        bool            // the cosigners satisfy the quorum
}

// Verify checks a signed checkpoint followed by cosignature lines against
// the policy (docs/witnessing.md §5, Sigsum policy §What is a "policy"?):
// one log key must verify it, else an error; then each witness whose
// cosignature/v1 line verifies counts once, whatever its number of lines,
// and Met says whether they satisfy the quorum. A line that does not
// verify counts for nothing and fails nothing.
func (p *Policy) Verify(signed []byte) (*Verified, error) {
	var logKeys []string
	for _, l := range p.Logs {
		logKeys = append(logKeys, l.VerifierKey)
	}
	text, sigs, err := splitNote(signed)
	if err != nil {
		return nil, err
	}
	// The log's own signature is one line among the cosignatures: open
	// the note with each line alone so that a bad cosignature does not
	// fail the log's (note.Open fails the note on any bad known line).
	var cp *Checkpoint
	for _, s := range sigs {
		if c, _, err := OpenCheckpoint(joinNote(text, []string{s}), logKeys); err == nil {
			cp = c
			break
		} else if omadata.ErrorCode(err) != omadata.EFORBIDDEN {
			return nil, err
		}
	}
	if cp == nil {
		return nil, omadata.Errorf(omadata.EFORBIDDEN, "No log key of the policy verifies the checkpoint.")
	}
	v := &Verified{Checkpoint: cp}
	cosigned := map[string]bool{}
	for _, w := range p.Witnesses {
		wv, err := NewCosignatureVerifier(w.VerifierKey)
		if err != nil {
			return nil, fmt.Errorf("witness %q: %w", w.Label, err)
		}
		for _, s := range sigs {
			if !strings.HasPrefix(s, "— "+wv.Name()+" ") {
				continue
			}
			if _, err := note.Open(joinNote(text, []string{s}), note.VerifierList(wv)); err == nil {
				cosigned[w.Label] = true
				v.Cosigners = append(v.Cosigners, w)
				break
			}
		}
	}
	v.Met = p.satisfied(p.Quorum, cosigned, 0)
	return v, nil
}

// satisfied reports whether label (a witness or a group) witnessed the
// checkpoint: a witness by its cosignature, a group by k of its members
// (Sigsum policy §Defining a witness group).
func (p *Policy) satisfied(label string, cosigned map[string]bool, depth int) bool {
	if label == QuorumNone || label == "" {
		return true
	}
	if depth > len(p.Groups) { // a cycle, only in a policy built in Go
		return false
	}
	if cosigned[label] {
		return true
	}
	for _, g := range p.Groups {
		if g.Label != label {
			continue
		}
		k, got := g.K, 0
		if k == -1 {
			k = len(g.Members)
		}
		for _, m := range g.Members {
			if p.satisfied(m, cosigned, depth+1) {
				got++
			}
		}
		return got >= k
	}
	return false
}
