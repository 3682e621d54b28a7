// SPDX-License-Identifier: Apache-2.0

// Command sigsum-submit-checkpoint is a witness client we did not write
// the protocol of: it keeps a Sigsum log (sigsum-go's Merkle tree, key and
// checkpoint signing), submits its checkpoints to a C2SP tlog-witness with
// sigsum-go's client, and verifies each cosignature returned with
// sigsum-go's own cosignature check. omadata's tests run it against
// omadata's witness (TestOutsideClient). This file is glue: every byte on
// the wire is sigsum-go's.
//
//	sigsum-submit-checkpoint -seed HEX -print-log-key
//	sigsum-submit-checkpoint -seed HEX -witness URL -witness-key VKEY -submit 0:5,5:12
//
// -print-log-key prints the log's origin and its signed-note verifier key,
// one per line. -submit sends, in order, each OLD:NEW pair as an
// add-checkpoint request (old size OLD, the consistency proof from OLD to
// NEW, the checkpoint of size NEW) and prints each cosignature line; it
// exits 1 on any refusal or on a cosignature that does not verify. The
// leaves are derived from the seed, so separate runs with one seed keep
// one history.
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"sigsum.org/sigsum-go/pkg/api"
	"sigsum.org/sigsum-go/pkg/checkpoint"
	"sigsum.org/sigsum-go/pkg/client"
	"sigsum.org/sigsum-go/pkg/crypto"
	"sigsum.org/sigsum-go/pkg/merkle"
	"sigsum.org/sigsum-go/pkg/requests"
	"sigsum.org/sigsum-go/pkg/types"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "sigsum-submit-checkpoint:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("sigsum-submit-checkpoint", flag.ContinueOnError)
	seedHex := fs.String("seed", "", "the log's Ed25519 private key seed, 64 hex digits")
	printKey := fs.Bool("print-log-key", false, "print the log's origin and verifier key and exit")
	witnessURL := fs.String("witness", "", "the witness's submission prefix URL (add-checkpoint is appended)")
	witnessKey := fs.String("witness-key", "", "the witness's cosignature/v1 verifier key")
	submit := fs.String("submit", "", "comma-separated OLD:NEW sizes to submit in order")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var seed crypto.PrivateKey
	if b, err := hex.DecodeString(*seedHex); err != nil || len(b) != len(seed) {
		return errors.New("-seed: want 64 hex digits")
	} else {
		copy(seed[:], b)
	}
	signer := crypto.NewEd25519Signer(&seed)
	pub := signer.Public()
	origin := types.SigsumCheckpointOrigin(&pub)
	logKey := checkpoint.NewNoteVerifier(origin, checkpoint.SigTypeEd25519, &pub)
	if *printKey {
		fmt.Println(origin)
		fmt.Println(logKey.String())
		return nil
	}

	var wk checkpoint.NoteVerifier
	if err := wk.FromString(*witnessKey); err != nil {
		return fmt.Errorf("-witness-key: %w", err)
	} else if wk.Type != checkpoint.SigTypeCosignature {
		return errors.New("-witness-key: not a cosignature/v1 key")
	} else if wk.KeyId != checkpoint.NewWitnessKeyId(wk.Name, &wk.PublicKey) {
		return errors.New("-witness-key: the key hash does not match the name and key")
	}
	if *witnessURL == "" {
		return errors.New("-witness: missing")
	}
	pairs, err := parsePairs(*submit)
	if err != nil {
		return fmt.Errorf("-submit: %w", err)
	}

	var largest uint64
	for _, p := range pairs {
		largest = max(largest, p[1])
	}
	leaves, err := buildLeaves(&seed, largest)
	if err != nil {
		return err
	}
	cli := client.New(client.Config{
		UserAgent:  "sigsum-submit-checkpoint (sigsum-go v0.14.1)",
		URL:        *witnessURL,
		HTTPClient: &http.Client{Timeout: 10 * time.Second},
	})
	for _, p := range pairs {
		if err := submitOne(cli, signer, origin, &pub, leaves, p[0], p[1], &wk); err != nil {
			return fmt.Errorf("old %d, size %d: %w", p[0], p[1], err)
		}
	}
	return nil
}

// parsePairs reads "0:5,5:12".
func parsePairs(s string) ([][2]uint64, error) {
	if s == "" {
		return nil, errors.New("missing")
	}
	var out [][2]uint64
	for _, f := range strings.Split(s, ",") {
		a, b, ok := strings.Cut(f, ":")
		if !ok {
			return nil, fmt.Errorf("%q: want OLD:NEW", f)
		}
		o, err1 := strconv.ParseUint(a, 10, 63)
		n, err2 := strconv.ParseUint(b, 10, 63)
		if err1 != nil || err2 != nil || o > n || n == 0 {
			return nil, fmt.Errorf("%q: want OLD:NEW with 0 <= OLD <= NEW, NEW > 0", f)
		}
		out = append(out, [2]uint64{o, n})
	}
	return out, nil
}

// buildLeaves makes the leaf hashes of a Sigsum log of size leaves: each
// leaf is a Sigsum leaf (a checksum signed by a submitter key), all
// derived from the log's seed.
func buildLeaves(seed *crypto.PrivateKey, size uint64) ([]crypto.Hash, error) {
	subSeed := crypto.PrivateKey(sha256.Sum256(append([]byte("submitter "), seed[:]...)))
	submitter := crypto.NewEd25519Signer(&subSeed)
	subPub := submitter.Public()
	var leaves []crypto.Hash
	for i := range size {
		msg := crypto.HashBytes(fmt.Appendf(nil, "omadata interop leaf %d", i))
		checksum := crypto.HashBytes(msg[:])
		sig, err := types.SignLeafChecksum(submitter, &checksum)
		if err != nil {
			return nil, err
		}
		leaf := types.Leaf{Checksum: checksum, Signature: sig, KeyHash: crypto.HashBytes(subPub[:])}
		leaves = append(leaves, leaf.ToHash())
	}
	return leaves, nil
}

// submitOne sends one add-checkpoint request and verifies the answer.
func submitOne(cli *client.Client, signer crypto.Signer, origin string, pub *crypto.PublicKey,
	leaves []crypto.Hash, old, size uint64, wk *checkpoint.NoteVerifier) error {
	// The tree of size leaves: a prefix of the full one.
	th, path, err := prefix(leaves, old, size)
	if err != nil {
		return err
	}
	sth, err := th.Sign(signer)
	if err != nil {
		return err
	}
	cp := checkpoint.Checkpoint{SignedTreeHead: sth, Origin: origin, KeyId: checkpoint.NewLogKeyId(origin, pub)}
	if err := cp.Verify(pub); err != nil {
		return fmt.Errorf("own checkpoint: %w", err)
	}
	req := requests.AddCheckpoint{OldSize: old, Proof: types.ConsistencyProof{Path: path}, Checkpoint: cp}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	lines, err := cli.AddCheckpoint(ctx, req)
	if err != nil {
		if known, ok := api.ErrorConflictOldSize(err); ok {
			return fmt.Errorf("refused: status 409, the witness holds size %d", known)
		}
		return fmt.Errorf("refused: status %d: %w", api.ErrorStatusCode(err), err)
	}
	var mine []checkpoint.CosignatureLine
	for _, l := range lines {
		if l.KeyName == wk.Name && l.KeyId == wk.KeyId {
			mine = append(mine, l)
		}
	}
	if len(mine) == 0 {
		return fmt.Errorf("no cosignature by %s among %d lines", wk.Name, len(lines))
	}
	cs, err := cp.VerifyCosignatureByKey(mine, &wk.PublicKey)
	if err != nil {
		return fmt.Errorf("cosignature by %s: %w", wk.Name, err)
	}
	if t := time.Unix(int64(cs.Timestamp), 0); time.Since(t).Abs() > 10*time.Minute {
		return fmt.Errorf("cosignature time %s is not now", t.UTC())
	}
	var buf bytes.Buffer
	for _, l := range mine {
		if err := l.ToASCII(&buf); err != nil {
			return err
		}
	}
	fmt.Printf("cosigned %d (old %d) time %d\n%s", size, old, cs.Timestamp, buf.String())
	return nil
}

// prefix returns the tree head of the first size leaves and the
// consistency proof from old to size (none when old is 0 or size), both
// computed by sigsum-go's merkle package.
func prefix(leaves []crypto.Hash, old, size uint64) (types.TreeHead, []crypto.Hash, error) {
	if size > uint64(len(leaves)) {
		return types.TreeHead{}, nil, fmt.Errorf("size %d beyond the log's %d leaves", size, len(leaves))
	}
	t := merkle.NewTree()
	for i := range size {
		if !t.AddLeafHash(&leaves[i]) {
			return types.TreeHead{}, nil, fmt.Errorf("leaf %d: duplicate", i)
		}
	}
	th := types.TreeHead{Size: size, RootHash: t.GetRootHash()}
	if old == 0 || old == size {
		return th, nil, nil
	}
	path, err := t.ProveConsistency(old, size)
	if err != nil {
		return types.TreeHead{}, nil, fmt.Errorf("consistency proof: %w", err)
	}
	return th, path, nil
}
