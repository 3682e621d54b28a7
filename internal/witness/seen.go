// SPDX-License-Identifier: Apache-2.0

package witness

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/omadata/omadata"
)

// CheckSeen checks a checkpoint read elsewhere (a peer's, read while
// checking its record: docs/witnessing.md §4, network.md §5.5) against the
// one of its origin the witness cosigned last, without moving the state:
// the same size must have the same root; a bigger one must be consistent
// with it (fetchProof(held, seen)), a smaller one it with the bigger
// (fetchProof(seen, held)). A checkpoint not signed with a key trusted
// for its origin is an EFORBIDDEN error, an origin not witnessed
// ENOTFOUND; nothing held yet passes. A fork is recorded (Seen
// omadata.ForkSeenPeerRecord) and returned as *ForkError; on an origin
// frozen already it is returned but not recorded again. The caller logs
// and reports it.
func CheckSeen(ctx context.Context, st State, signed []byte, fetchProof func(ctx context.Context, old, new int64) (tlog.TreeProof, error)) error {
	text, _, err := splitNote(signed)
	if err != nil {
		return err
	}
	cp, err := ParseCheckpoint(text)
	if err != nil {
		return err
	}
	l, err := st.WitnessedLog(ctx, cp.Origin)
	if err != nil {
		return err
	} else if !l.Active {
		return omadata.NotFound("witnessed log")
	}
	if _, _, err := OpenCheckpoint(signed, l.VerifierKeys); err != nil {
		return err
	}
	if l.Checkpoint == "" {
		return nil
	}
	held, err := heldRoot(l)
	if err != nil {
		return err
	}
	var proof tlog.TreeProof
	switch {
	case cp.Size == l.Size:
		if cp.Root == held {
			return nil
		}
	case cp.Size > l.Size:
		if l.Size == 0 {
			return nil
		}
		if proof, err = fetchProof(ctx, l.Size, cp.Size); refused(err) {
			proof = nil
		} else if err != nil {
			return fmt.Errorf("consistency proof %d to %d of %s: %w", l.Size, cp.Size, cp.Origin, err)
		} else if tlog.CheckTree(proof, cp.Size, cp.Root, l.Size, held) == nil {
			return nil
		}
	default:
		if cp.Size == 0 {
			return nil
		}
		if proof, err = fetchProof(ctx, cp.Size, l.Size); refused(err) {
			proof = nil
		} else if err != nil {
			return fmt.Errorf("consistency proof %d to %d of %s: %w", cp.Size, l.Size, cp.Origin, err)
		} else if tlog.CheckTree(proof, l.Size, held, cp.Size, cp.Root) == nil {
			return nil
		}
	}
	f := newFork(l, string(signed), proof, omadata.ForkSeenPeerRecord)
	if l.Forked {
		f.ID = "" // not recorded
		return &ForkError{Fork: f}
	}
	if err := st.RecordWitnessFork(ctx, f); err != nil {
		return fmt.Errorf("record fork of %s: %w", cp.Origin, err)
	}
	return &ForkError{Fork: f, Recorded: true}
}

// refused reports whether err is the log's 400 for a proof between sizes
// it signed: it cannot prove them consistent (docs/witnessing.md §4).
func refused(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Status == http.StatusBadRequest
}
