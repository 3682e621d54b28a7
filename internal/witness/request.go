// SPDX-License-Identifier: Apache-2.0

package witness

import (
	"bytes"
	"encoding/base64"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/omadata/omadata"
)

// Limits of an add-checkpoint request (tlog-witness §add-checkpoint,
// docs/witnessing.md §8).
const (
	MaxRequestSize = 64 << 10
	MaxProofLines  = 63
)

// Request is an add-checkpoint request body (tlog-witness §add-checkpoint).
type Request struct {
	OldSize    int64
	Proof      tlog.TreeProof
	Checkpoint []byte // the signed note, verbatim
}

// ParseRequest parses an add-checkpoint body (tlog-witness
// §add-checkpoint, docs/witnessing.md §2): a line "old {size}" (ASCII
// decimal, no leading zeroes), at most 63 lines of one base64 hash each,
// an empty line, then the signed checkpoint; every line ends in "\n", and
// the whole is at most 64 KiB. It also refuses what makes the request bad
// whatever the witness holds: an old size greater than the checkpoint's,
// and proof lines when the old size is 0. It does not verify signatures.
func ParseRequest(body []byte) (*Request, error) {
	if len(body) > MaxRequestSize {
		return nil, omadata.Invalidf("body", "The request is larger than %d bytes.", MaxRequestSize)
	}
	line, rest, ok := cutLine(body)
	if !ok || !bytes.HasPrefix(line, []byte("old ")) {
		return nil, omadata.Invalidf("old", "The request must start with a line \"old {size}\".")
	}
	old, err := parseSize(string(line[len("old "):]))
	if err != nil {
		return nil, omadata.Invalidf("old", "The old size is not a decimal size without leading zeroes.")
	}
	r := &Request{OldSize: old}
	for {
		line, rest, ok = cutLine(rest)
		if !ok {
			return nil, omadata.Invalidf("proof", "The proof must end with an empty line.")
		}
		if len(line) == 0 {
			break
		}
		if len(r.Proof) == MaxProofLines {
			return nil, omadata.Invalidf("proof", "The proof has more than %d lines.", MaxProofLines)
		}
		h, err := parseHash(string(line))
		if err != nil {
			return nil, omadata.Invalidf("proof", "Proof line %d is not a base64 SHA-256 hash.", len(r.Proof)+1)
		}
		r.Proof = append(r.Proof, h)
	}
	if old == 0 && len(r.Proof) > 0 {
		return nil, omadata.Invalidf("proof", "The proof must be empty when the old size is 0.")
	}
	text, _, err := splitNote(rest)
	if err != nil {
		return nil, err
	}
	cp, err := ParseCheckpoint(text)
	if err != nil {
		return nil, err
	}
	if old > cp.Size {
		return nil, omadata.Invalidf("old", "The old size %d is greater than the checkpoint's size %d.", old, cp.Size)
	}
	r.Checkpoint = rest
	return r, nil
}

// Marshal encodes the request as tlog-witness §add-checkpoint writes it
// and ParseRequest reads it.
func (r *Request) Marshal() []byte {
	var b strings.Builder
	b.WriteString("old " + strconv.FormatInt(r.OldSize, 10) + "\n")
	for _, h := range r.Proof {
		b.WriteString(base64.StdEncoding.EncodeToString(h[:]) + "\n")
	}
	b.WriteString("\n")
	b.Write(r.Checkpoint)
	return []byte(b.String())
}

// cutLine cuts the first "\n"-terminated line of b, without its "\n".
func cutLine(b []byte) (line, rest []byte, ok bool) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return nil, b, false
	}
	return b[:i], b[i+1:], true
}
