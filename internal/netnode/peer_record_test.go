// SPDX-License-Identifier: Apache-2.0

package netnode_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/federation"
	"github.com/omadata/omadata/internal/keys"
	"github.com/omadata/omadata/internal/store/storetest"
)

// testPeerRecordFork: home, a witness of peer's log, checks the
// checkpoint peer answers with its record (docs/witnessing.md §4,
// network.md §5.5) against the checkpoint of peer's log it cosigned last.
// Nothing held and an earlier checkpoint held pass (the consistency
// proof fetched from peer's log_endpoint); a checkpoint of the same size
// with another root, signed with peer's log key, is a fork: recorded with
// both notes, reported (the ERROR line), and the record not checked.
func testPeerRecordFork(t *testing.T, home, peer *operator, record string) {
	ctx := storetest.Admin()
	origin := omadata.LogOrigin(peer.URL)
	if _, err := peer.Store.IntegrateLog(ctx); err != nil {
		t.Fatal(err)
	}
	// home witnesses the members' logs as its sync puts them.
	if _, err := home.Node.WitnessLogs.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	l, err := home.Store.WitnessedLog(ctx, origin)
	if err != nil || !l.Active || l.Size != 0 {
		t.Fatalf("home's witnessed log of %s: %+v, %v", origin, l, err)
	}
	if _, err := home.Node.Client.PeerProof(ctx, peer.URL, record); err != nil {
		t.Fatalf("nothing cosigned yet: %v", err)
	}

	// An earlier checkpoint of peer's log held, of half its size, signed
	// with peer's log key: consistent.
	sealer, err := keys.NewSealer(storetest.SecretKey)
	if err != nil {
		t.Fatal(err)
	}
	signer, _, err := keys.LogSigner(ctx, peer.Store, sealer, origin)
	if err != nil {
		t.Fatal(err)
	}
	latest, err := peer.Store.LatestCheckpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	size := latest.Size / 2
	var stored []tlog.Hash
	hashes := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = stored[x]
		}
		return out, nil
	})
	for i := range size {
		e, err := peer.Store.LogEntryAt(ctx, i)
		if err != nil {
			t.Fatal(err)
		}
		data, err := base64.StdEncoding.DecodeString(e.LeafData)
		if err != nil {
			t.Fatal(err)
		}
		hs, err := tlog.StoredHashes(i, data, hashes)
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, hs...)
	}
	root, err := tlog.TreeHash(size, hashes)
	if err != nil {
		t.Fatal(err)
	}
	earlier, err := note.Sign(&note.Note{Text: fmt.Sprintf("%s\n%d\n%s\n", origin, size, root)}, signer)
	if err != nil {
		t.Fatal(err)
	}
	if err := home.Store.AdvanceWitness(ctx, omadata.WitnessAdvance{Origin: origin, Size: size, RootHash: root.String(), Checkpoint: string(earlier)}); err != nil {
		t.Fatal(err)
	}
	if _, err := home.Node.Client.PeerProof(ctx, peer.URL, record); err != nil {
		t.Fatalf("an earlier checkpoint cosigned (size %d): %v", size, err)
	}
	if forks, err := home.Store.FindWitnessForks(ctx); err != nil || len(forks) != 0 {
		t.Fatalf("forks after honest checks: %+v, %v", forks, err)
	}

	// home cosigned a checkpoint of the latest size with another root,
	// signed with peer's log key: the one peer answers with is a fork.
	last := []string{fmt.Sprint(latest.Size)}
	var other [32]byte
	copy(other[:], "another history, the same size")
	forged, err := note.Sign(&note.Note{Text: fmt.Sprintf("%s\n%s\n%s\n", origin, last[0], base64.StdEncoding.EncodeToString(other[:]))}, signer)
	if err != nil {
		t.Fatal(err)
	}
	held, err := home.Store.WitnessedLog(ctx, origin)
	if err != nil {
		t.Fatal(err)
	}
	size = latest.Size
	if err := home.Store.AdvanceWitness(ctx, omadata.WitnessAdvance{Origin: origin, OldSize: held.Size, OldRoot: held.RootHash,
		Size: size, RootHash: base64.StdEncoding.EncodeToString(other[:]), Checkpoint: string(forged)}); err != nil {
		t.Fatal(err)
	}
	_, err = home.Node.Client.PeerProof(ctx, peer.URL, record)
	if omadata.ErrorCode(err) != omadata.EINVALID || omadata.ErrorField(err) != "record" {
		t.Fatalf("a forked checkpoint: %v, want the record not checked (invalid record)", err)
	}
	forks, ferr := home.Store.FindWitnessForks(ctx)
	if ferr != nil || len(forks) != 1 || forks[0].Origin != origin || forks[0].Seen != omadata.ForkSeenPeerRecord ||
		forks[0].Known != string(forged) || !strings.HasPrefix(forks[0].Conflicting, origin+"\n"+last[0]+"\n") {
		t.Fatalf("fork evidence: %+v, %v", forks, ferr)
	}
	// The same line as the witness's own (witness.LogFork,
	// docs/witnessing.md §4): sizes and roots, not the notes.
	if got := home.log.String(); !strings.Contains(got, "level=ERROR msg=\"witness: fork\" id="+forks[0].ID+" origin="+origin+" seen=peer_record known_size=") ||
		!strings.Contains(got, " known_root=") || !strings.Contains(got, " conflicting_size=") || !strings.Contains(got, " conflicting_root=") {
		t.Errorf("no ERROR line for the fork in home's log, as witness.LogFork writes it:\n%s", got)
	}
	if l, err := home.Store.WitnessedLog(ctx, origin); err != nil || !l.Forked {
		t.Errorf("the origin is not frozen: %+v, %v", l, err)
	}
	// Frozen, the record is still not checked; no second evidence.
	if _, err := home.Node.Client.PeerProof(ctx, peer.URL, record); omadata.ErrorCode(err) != omadata.EINVALID {
		t.Errorf("checked again while frozen: %v", err)
	}
	if forks, _ := home.Store.FindWitnessForks(ctx); len(forks) != 1 {
		t.Errorf("%d forks after a second check, want 1", len(forks))
	}
}

// TestEntityConfigurationAnyOrigin: a member's entity configuration is
// readable from any page (Access-Control-Allow-Origin: *), for the
// resident's browser that builds the trust chain to check a proof
// (docs/witnessing.md §5).
func TestEntityConfigurationAnyOrigin(t *testing.T) {
	a := startAnchor(t)
	op := startOperator(t, a, "Helsinki")
	res, err := http.Get(op.URL + federation.WellKnownPath)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("GET %s: %d, Access-Control-Allow-Origin %q", federation.WellKnownPath, res.StatusCode, res.Header.Get("Access-Control-Allow-Origin"))
	}
}
