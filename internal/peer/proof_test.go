// SPDX-License-Identifier: Apache-2.0

package peer

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/omadata/omadata"
)

// testLog is a peer's log of n leaves with a signed checkpoint.
type testLog struct {
	origin, vkey string
	signer       note.Signer
	leaves       [][]byte
	hashes       map[int64]tlog.Hash
}

func newTestLog(t *testing.T, origin string, n int) *testLog {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	l := &testLog{origin: origin, vkey: vkey, signer: s, hashes: map[int64]tlog.Hash{}}
	for i := range n {
		leaf := &omadata.LogLeaf{Kind: omadata.LeafGrantIssued, Record: fmt.Sprintf("gr_%d", i), RecordKind: omadata.RecordGrant,
			RecordSHA256: "x", Time: "2026-12-07T00:00:00Z", Version: 1, Peer: &omadata.LeafPeer{Origin: "espoo.example/log", Record: "rly_1"}}
		data := leaf.Bytes()
		hs, err := tlog.StoredHashes(int64(i), data, tlog.HashReaderFunc(l.read))
		if err != nil {
			t.Fatal(err)
		}
		for j, h := range hs {
			l.hashes[tlog.StoredHashIndex(0, int64(i))+int64(j)] = h
		}
		l.leaves = append(l.leaves, data)
	}
	return l
}

func (l *testLog) read(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		out[i] = l.hashes[x]
	}
	return out, nil
}

// record returns the answer a peer gives for leaf i.
func (l *testLog) record(t *testing.T, i int64) *Record {
	t.Helper()
	size := int64(len(l.leaves))
	root, err := tlog.TreeHash(size, tlog.HashReaderFunc(l.read))
	if err != nil {
		t.Fatal(err)
	}
	signed, err := note.Sign(&note.Note{Text: fmt.Sprintf("%s\n%d\n%s\n", l.origin, size, root)}, l.signer)
	if err != nil {
		t.Fatal(err)
	}
	proof, err := tlog.ProveRecord(size, i, tlog.HashReaderFunc(l.read))
	if err != nil {
		t.Fatal(err)
	}
	var hs []string
	for _, h := range proof {
		hs = append(hs, h.String())
	}
	leaf, err := omadata.ParseLogLeaf(l.leaves[i])
	if err != nil {
		t.Fatal(err)
	}
	return &Record{
		Entry: &omadata.LogEvent{
			LogEntry: omadata.LogEntry{Index: &i, Leaf: leaf, LeafData: base64.StdEncoding.EncodeToString(l.leaves[i])},
			Proof:    &omadata.InclusionProof{Index: i, Size: size, Hashes: hs},
		},
		Checkpoint: &omadata.Checkpoint{Origin: l.origin, Size: size, RootHash: root.String(), Note: string(signed)},
	}
}

func TestVerifyRecord(t *testing.T) {
	log := newTestLog(t, "helsinki.example/log", 7)
	other := newTestLog(t, "helsinki.example/log", 7) // same origin, another key
	peer := &omadata.Peer{OperatorMetadata: omadata.OperatorMetadata{OperatorID: "https://helsinki.example", LogOrigin: log.origin, LogVerifierKey: log.vkey}}

	if err := VerifyRecord(peer, "gr_3", log.record(t, 3)); err != nil {
		t.Fatalf("a good record: %v", err)
	}
	for _, tc := range []struct {
		name   string
		record string
		rec    func() *Record
		peer   *omadata.Peer
	}{
		{"OtherRecord", "gr_4", func() *Record { return log.record(t, 3) }, peer},
		{"CheckpointOfAnotherKey", "gr_3", func() *Record {
			r := log.record(t, 3)
			r.Checkpoint = other.record(t, 3).Checkpoint
			return r
		}, peer},
		{"LeafChanged", "gr_3", func() *Record {
			r := log.record(t, 3)
			r.Entry.LeafData = base64.StdEncoding.EncodeToString(log.leaves[2])
			return r
		}, peer},
		{"ProofOfAnotherLeaf", "gr_3", func() *Record {
			r := log.record(t, 3)
			r.Entry.Proof = log.record(t, 2).Entry.Proof
			return r
		}, peer},
		{"NoProof", "gr_3", func() *Record {
			r := log.record(t, 3)
			r.Entry.Proof = nil
			return r
		}, peer},
		{"PeerOfAnotherOrigin", "gr_3", func() *Record { return log.record(t, 3) },
			&omadata.Peer{OperatorMetadata: omadata.OperatorMetadata{OperatorID: "https://helsinki.example", LogOrigin: "espoo.example/log", LogVerifierKey: log.vkey}}},
		{"PeerWithoutKey", "gr_3", func() *Record { return log.record(t, 3) },
			&omadata.Peer{OperatorMetadata: omadata.OperatorMetadata{OperatorID: "https://helsinki.example", LogOrigin: log.origin}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := VerifyRecord(tc.peer, tc.record, tc.rec()); err == nil {
				t.Error("got nil error, want the record refused")
			}
		})
	}
}
