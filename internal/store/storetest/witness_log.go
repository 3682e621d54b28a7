// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// TestLog is a log built in a test for a witness to witness: a real
// RFC 6962 tree whose checkpoints (C2SP tlog-checkpoint) are signed with a
// real signed-note Ed25519 key.
type TestLog struct {
	Origin      string
	VerifierKey string
	signer      note.Signer
	tag         string
	hashes      []tlog.Hash // the stored hashes of the tree (tlog.StoredHashIndex)
	size        int64
}

// NewTestLog returns an empty log of origin with a new key.
func NewTestLog(t testing.TB, origin string) *TestLog {
	t.Helper()
	return newTestLog(t, origin, rand.Reader)
}

// NewFixedTestLog returns an empty log of origin whose key is made from a
// fixed seed, for golden files.
func NewFixedTestLog(t testing.TB, origin string) *TestLog {
	t.Helper()
	return newTestLog(t, origin, bytes.NewReader(bytes.Repeat([]byte{18}, 32)))
}

func newTestLog(t testing.TB, origin string, r io.Reader) *TestLog {
	t.Helper()
	skey, vkey, err := note.GenerateKey(r, origin)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return &TestLog{Origin: origin, VerifierKey: vkey, signer: signer, tag: "a"}
}

// Fork returns a second history of the log signed with the same key: the
// first size leaves of l, then leaves of its own.
func (l *TestLog) Fork(size int64) *TestLog {
	f := *l
	f.tag = l.tag + "'"
	f.hashes = append([]tlog.Hash(nil), l.hashes[:tlog.StoredHashCount(size)]...)
	f.size = size
	return &f
}

// Append adds n leaves.
func (l *TestLog) Append(t testing.TB, n int) {
	t.Helper()
	for range n {
		hs, err := tlog.StoredHashes(l.size, fmt.Appendf(nil, "leaf %d of history %s", l.size, l.tag), l.reader())
		if err != nil {
			t.Fatal(err)
		}
		l.hashes = append(l.hashes, hs...)
		l.size++
	}
}

// Size is how many leaves the log has.
func (l *TestLog) Size() int64 { return l.size }

func (l *TestLog) reader() tlog.HashReader {
	return tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			if x >= int64(len(l.hashes)) {
				return nil, fmt.Errorf("hash %d not stored", x)
			}
			out[i] = l.hashes[x]
		}
		return out, nil
	})
}

// Root returns the tree hash of the first n leaves.
func (l *TestLog) Root(t testing.TB, n int64) tlog.Hash {
	t.Helper()
	h, err := tlog.TreeHash(n, l.reader())
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// Checkpoint returns the signed checkpoint of the first n leaves.
func (l *TestLog) Checkpoint(t testing.TB, n int64) string {
	t.Helper()
	b, err := note.Sign(&note.Note{Text: fmt.Sprintf("%s\n%d\n%s\n", l.Origin, n, l.Root(t, n))}, l.signer)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Proof returns the consistency proof from the first old leaves to the
// first n (RFC 6962 §2.1.2).
func (l *TestLog) Proof(t testing.TB, old, n int64) tlog.TreeProof {
	t.Helper()
	if old == 0 || old == n {
		return nil
	}
	p, err := tlog.ProveTree(n, old, l.reader())
	if err != nil {
		t.Fatal(err)
	}
	return p
}
