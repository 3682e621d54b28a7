// SPDX-License-Identifier: Apache-2.0

package peer

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/witness"
)

// PeerProof fetches the leaf of record from the log of the operator
// operatorID and verifies it (docs/network.md §5.5): the checkpoint's
// signature with the log verifier key of the peer's resolved metadata,
// and the leaf's inclusion proof in that checkpoint. The portal shows it
// beside this operator's own proof. A proof that does not verify is
// EINVALID; a peer that cannot be resolved or asked, another error.
func (c *Client) PeerProof(ctx context.Context, operatorID, record string) (*Record, error) {
	p, err := c.Peers.Resolve(ctx, operatorID)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", operatorID, err)
	}
	rec, err := c.FetchRecord(ctx, p, record)
	if err != nil {
		return nil, err
	} else if err := VerifyRecord(p, record, rec); err != nil {
		return nil, fmt.Errorf("%w: %w", omadata.Invalidf("record", "The peer's log does not prove the record."), err)
	}
	if err := c.checkSeen(ctx, p, rec); err != nil {
		return nil, err
	}
	return rec, nil
}

// checkSeen checks the peer's checkpoint, once its signature verified,
// against the checkpoint of the peer's log this operator cosigned last as
// its witness (docs/witnessing.md §4, network.md §5.5): the same size
// must have the same root, another size must be consistent, with the
// consistency proof fetched from the peer's log_endpoint. A fork is
// recorded (witness.CheckSeen) and reported, and the record counts as not
// checked (EINVALID). A log this operator does not witness is not
// checked; a proof it cannot fetch fails the check.
func (c *Client) checkSeen(ctx context.Context, p *omadata.Peer, rec *Record) error {
	if c.Witness == nil {
		return nil
	}
	err := witness.CheckSeen(ctx, c.Witness, []byte(rec.Checkpoint.Note), func(ctx context.Context, old, new int64) (tlog.TreeProof, error) {
		return c.fetchConsistency(ctx, p, old, new)
	})
	var fe *witness.ForkError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &fe):
		if c.OnFork != nil && fe.Recorded {
			c.OnFork(fe.Fork)
		}
		return fmt.Errorf("%w: %w", omadata.Invalidf("record", "The peer's log checkpoint forks from the one this operator witnessed: its record could not be checked."), err)
	case omadata.ErrorCode(err) == omadata.ENOTFOUND:
		return nil // a log this operator does not witness
	}
	return fmt.Errorf("check the checkpoint of %s against the one witnessed: %w", p.OperatorID, err)
}

// fetchConsistency fetches the consistency proof from the tree of size
// old to the tree of size new from the peer's public log API at the
// log_endpoint of its trust chain (GET {log_endpoint}/proofs/consistency,
// RFC 6962 §2.1.2). It is believed only through tlog.CheckTree against
// checkpoints signed with the peer's log key; a 400 (the log cannot prove
// sizes it signed) is a fork to witness.CheckSeen.
func (c *Client) fetchConsistency(ctx context.Context, p *omadata.Peer, old, new int64) (tlog.TreeProof, error) {
	if p.LogEndpoint == "" {
		return nil, fmt.Errorf("%s publishes no log_endpoint", p.OperatorID)
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	proof, err := (&witness.Client{HTTP: hc}).ConsistencyProof(ctx, p.LogEndpoint, old, new)
	if err != nil {
		return nil, fmt.Errorf("consistency proof of %s: %w", p.OperatorID, err)
	}
	return proof, nil
}

// VerifyRecord checks that rec is the leaf of record in the peer's log:
// the checkpoint verifies with the peer's log verifier key and names its
// log origin, the leaf commits to record, and its inclusion proof leads
// to the checkpoint's root (RFC 6962 §2.1.1 via tlog.CheckRecord).
func VerifyRecord(p *omadata.Peer, record string, rec *Record) error {
	size, root, err := openCheckpoint([]byte(rec.Checkpoint.Note), p.LogVerifierKey, p.LogOrigin)
	if err != nil {
		return fmt.Errorf("the checkpoint of %s: %w", p.OperatorID, err)
	}
	e := rec.Entry
	if e.Leaf == nil || e.Leaf.Record != record {
		return fmt.Errorf("the leaf of %s does not commit to record %s", p.OperatorID, record)
	} else if e.Proof == nil || e.Proof.Size != size {
		return fmt.Errorf("the leaf of %s has no inclusion proof for the checkpoint's size %d", p.OperatorID, size)
	}
	data, err := base64.StdEncoding.DecodeString(e.LeafData)
	if err != nil {
		return fmt.Errorf("the leaf data of %s is not base64", p.OperatorID)
	}
	leaf, err := omadata.ParseLogLeaf(data)
	if err != nil || leaf.Record != record || leaf.Kind != e.Leaf.Kind {
		return fmt.Errorf("the leaf bytes of %s are not the leaf of record %s", p.OperatorID, record)
	}
	var proof tlog.RecordProof
	for _, s := range e.Proof.Hashes {
		h, err := tlog.ParseHash(s)
		if err != nil {
			return fmt.Errorf("the inclusion proof of %s: %w", p.OperatorID, err)
		}
		proof = append(proof, h)
	}
	if err := tlog.CheckRecord(proof, size, root, e.Proof.Index, tlog.RecordHash(data)); err != nil {
		return fmt.Errorf("the inclusion proof of %s: %w", p.OperatorID, err)
	}
	return nil
}

// openCheckpoint verifies a C2SP checkpoint with the verifier key vkey,
// whose name must be origin, and returns its size and root hash.
func openCheckpoint(signed []byte, vkey, origin string) (int64, tlog.Hash, error) {
	if vkey == "" {
		return 0, tlog.Hash{}, errors.New("the peer publishes no log verifier key")
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return 0, tlog.Hash{}, err
	} else if v.Name() != origin {
		return 0, tlog.Hash{}, fmt.Errorf("the log verifier key is for %q, not the peer's log origin %q", v.Name(), origin)
	}
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		return 0, tlog.Hash{}, err
	}
	lines := strings.SplitN(n.Text, "\n", 4)
	if len(lines) != 4 || lines[0] != origin || lines[3] != "" {
		return 0, tlog.Hash{}, fmt.Errorf("checkpoint text: want origin %q, size, root", origin)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return 0, tlog.Hash{}, fmt.Errorf("checkpoint size %q", lines[1])
	}
	root, err := tlog.ParseHash(lines[2])
	return size, root, err
}
