// SPDX-License-Identifier: Apache-2.0

// Package witness implements transparency log witnessing (docs/witnessing.md):
// the C2SP tlog-witness protocol on both sides, tlog-cosignature
// cosignatures, the Sigsum policy grammar that says when a checkpoint
// counts as witnessed, and fork evidence.
package witness

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/omadata/omadata"
)

// maxSignatures is how many signature lines of a submitted checkpoint are
// considered (docs/witnessing.md §8); later ones are ignored.
const maxSignatures = 16

// Checkpoint is a parsed C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint).
type Checkpoint struct {
	Origin string
	Size   int64
	Root   tlog.Hash
	Text   string // the note text, "\n"-terminated, extension lines included
}

// ParseCheckpoint parses a checkpoint's note text as tlog-checkpoint
// §Note text defines it: the origin line, the tree size in decimal with no
// leading zeroes, the root hash in standard base64, then optional
// non-empty extension lines, every line ending in "\n".
func ParseCheckpoint(text string) (*Checkpoint, error) {
	if !strings.HasSuffix(text, "\n") || strings.Count(text, "\n") < 3 {
		return nil, omadata.Invalidf("checkpoint", "The checkpoint must have an origin, a size and a root hash line, each ending in a newline.")
	}
	if !noteTextOK(text) {
		return nil, omadata.Invalidf("checkpoint", "The checkpoint must be UTF-8 with no control characters but newlines.")
	}
	lines := strings.SplitN(text, "\n", 4)
	if lines[0] == "" {
		return nil, omadata.Invalidf("checkpoint", "The checkpoint's origin line is empty.")
	}
	size, err := parseSize(lines[1])
	if err != nil {
		return nil, omadata.Invalidf("checkpoint", "The checkpoint's size line is not a decimal size without leading zeroes.")
	}
	root, err := parseHash(lines[2])
	if err != nil {
		return nil, omadata.Invalidf("checkpoint", "The checkpoint's root hash line is not a base64 SHA-256 hash.")
	}
	for rest := lines[3]; rest != ""; {
		line, after, _ := strings.Cut(rest, "\n")
		if line == "" {
			return nil, omadata.Invalidf("checkpoint", "The checkpoint has an empty extension line.")
		}
		rest = after
	}
	return &Checkpoint{Origin: lines[0], Size: size, Root: root, Text: text}, nil
}

// RootHash returns the root hash in standard base64, as tlog-checkpoint
// writes it and the store keeps it.
func (c *Checkpoint) RootHash() string { return base64.StdEncoding.EncodeToString(c.Root[:]) }

// OpenCheckpoint verifies a signed checkpoint (a C2SP signed note) with any
// one of the log's verifier keys and parses its text. Signatures of other
// keys are ignored (tlog-witness §add-checkpoint), and only the first 16
// signature lines are considered (docs/witnessing.md §8).
func OpenCheckpoint(signed []byte, logKeys []string) (*Checkpoint, *note.Note, error) {
	text, sigs, err := splitNote(signed)
	if err != nil {
		return nil, nil, err
	}
	cp, err := ParseCheckpoint(text)
	if err != nil {
		return nil, nil, err
	}
	var vs []note.Verifier
	for _, k := range logKeys {
		v, err := note.NewVerifier(k)
		if err != nil {
			return nil, nil, fmt.Errorf("log verifier key %q: %w", k, err)
		}
		vs = append(vs, v)
	}
	if len(sigs) > maxSignatures {
		sigs = sigs[:maxSignatures]
	}
	n, err := note.Open(joinNote(text, sigs), note.VerifierList(vs...))
	if err != nil {
		var unverified *note.UnverifiedNoteError
		if errors.As(err, &unverified) {
			return nil, nil, omadata.Errorf(omadata.EFORBIDDEN, "No signature of the checkpoint verifies with a key trusted for %q.", cp.Origin)
		}
		return nil, nil, omadata.Errorf(omadata.EFORBIDDEN, "The checkpoint's signature does not verify: %s.", err.Error())
	}
	return cp, n, nil
}

// splitNote splits a signed note into its text and its signature lines
// (each with its "\n"), as signed-note §Format and note.Open do: the text
// ends at the last blank line.
func splitNote(signed []byte) (string, []string, error) {
	i := bytes.LastIndex(signed, []byte("\n\n"))
	if i < 0 || !bytes.HasSuffix(signed, []byte("\n")) || i+2 == len(signed) {
		return "", nil, omadata.Invalidf("checkpoint", "The checkpoint is not a signed note: text, a blank line, then signature lines.")
	}
	text := string(signed[:i+1])
	var sigs []string
	for rest := string(signed[i+2:]); rest != ""; {
		j := strings.IndexByte(rest, '\n')
		sigs = append(sigs, rest[:j+1])
		rest = rest[j+1:]
	}
	return text, sigs, nil
}

func joinNote(text string, sigs []string) []byte {
	return []byte(text + "\n" + strings.Join(sigs, ""))
}

// noteTextOK reports whether s is UTF-8 with no control characters but
// newlines (signed-note §Format).
func noteTextOK(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 && r != '\n' {
			return false
		}
	}
	return true
}

// parseSize parses a tree size in ASCII decimal with no leading zeroes
// ("0" only for zero), as tlog-checkpoint and tlog-witness write it.
func parseSize(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || s != strconv.FormatInt(n, 10) {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return n, nil
}

// parseHash parses a hash in canonical standard base64.
func parseHash(s string) (tlog.Hash, error) {
	var h tlog.Hash
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || len(b) != tlog.HashSize || base64.StdEncoding.EncodeToString(b) != s {
		return h, fmt.Errorf("bad hash %q", s)
	}
	copy(h[:], b)
	return h, nil
}
