// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
	"github.com/omadata/omadata/internal/store/storetest"
)

// witnessFixture is a migrated database at $TMP/omadata.db whose clock is
// fixed, with the log of witnessFixtureOrigin witnessed up to size 5 and,
// with fork, a fork of it caught. It returns the placeholders of the
// golden cases' arguments: $VKEY and $PEERKEY, the logs' verifier keys,
// and forkPlaceholder, the fork's ID.
func witnessFixture(t *testing.T, tmp string, fork bool) map[string]string {
	t.Helper()
	migrated(t, tmp)
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(tmp, "omadata.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.Now = func() time.Time { return time.Date(2026, 12, 7, 5, 0, 0, 0, time.UTC) }
	s := store.New(db)
	admin := cliAdmin(ctx)
	l := storetest.NewFixedTestLog(t, witnessFixtureOrigin)
	l.Append(t, 7)
	if err := s.PutWitnessedLog(admin, &omadata.WitnessedLog{Origin: l.Origin, VerifierKeys: []string{l.VerifierKey}, Source: omadata.WitnessLogAdmin,
		Label: "Partner log", Active: true, Reason: "Fixture."}); err != nil {
		t.Fatal(err)
	}
	peer := storetest.NewFixedTestLog(t, "espoo.example/log")
	if err := s.PutWitnessedLog(admin, &omadata.WitnessedLog{Origin: peer.Origin, VerifierKeys: []string{peer.VerifierKey}, Source: omadata.WitnessLogPeer,
		OperatorID: "https://espoo.example", Label: "Espoo", Active: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.AdvanceWitness(ctx, omadata.WitnessAdvance{Origin: l.Origin, Size: 5, RootHash: l.Root(t, 5).String(), Checkpoint: l.Checkpoint(t, 5)}); err != nil {
		t.Fatal(err)
	}
	subst := map[string]string{"$VKEY": l.VerifierKey, "$PEERKEY": peer.VerifierKey}
	if fork {
		f := l.Fork(3)
		f.Append(t, 3)
		wf := &omadata.WitnessFork{Origin: l.Origin, Seen: omadata.ForkSeenAddCheckpoint, Known: l.Checkpoint(t, 5), Conflicting: f.Checkpoint(t, 6)}
		for _, h := range f.Proof(t, 5, 6) {
			wf.Proof = append(wf.Proof, h.String())
		}
		if err := s.RecordWitnessFork(ctx, wf); err != nil {
			t.Fatal(err)
		}
		subst[forkPlaceholder] = wf.ID
	}
	return subst
}

const witnessFixtureOrigin = "partner.example.org/log"

// forkPlaceholder stands for the fixture's fork ID in the golden cases'
// arguments and output; as long as an ID, it keeps tables aligned.
var forkPlaceholder = "wfk_" + strings.Repeat("F", 26)

// TestGoldenWitness: the output of omadata witness, case by case, in
// testdata/witness (-update rewrites it).
func TestGoldenWitness(t *testing.T) {
	db := []string{"--database", "sqlite:$TMP/omadata.db"}
	withDB := func(args ...string) []string { return append(args, db...) }
	logs := func(t *testing.T, tmp string) map[string]string { return witnessFixture(t, tmp, false) }
	forked := func(t *testing.T, tmp string) map[string]string { return witnessFixture(t, tmp, true) }
	empty := func(t *testing.T, tmp string) map[string]string { migrated(t, tmp); return nil }
	// Espoo suspended: its log no longer witnessed, but still the network's.
	suspended := func(t *testing.T, tmp string) map[string]string {
		subst := witnessFixture(t, tmp, false)
		db, err := store.Open(context.Background(), "sqlite:"+filepath.Join(tmp, "omadata.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := store.New(db).PutWitnessedLog(cliAdmin(context.Background()), &omadata.WitnessedLog{Origin: "espoo.example/log", VerifierKeys: []string{subst["$PEERKEY"]},
			Source: omadata.WitnessLogPeer, OperatorID: "https://espoo.example", Label: "Espoo", Active: false}); err != nil {
			t.Fatal(err)
		}
		return subst
	}
	for _, tc := range []struct {
		dir   string
		args  []string
		setup func(t *testing.T, tmp string) map[string]string
		code  int
	}{
		{dir: "help", args: []string{"witness", "-h"}},
		{dir: "no-subcommand", args: []string{"witness"}, code: 2},
		{dir: "add-log-help", args: []string{"witness", "add-log", "-h"}},
		{dir: "add-log-without-reason", args: []string{"witness", "add-log", "--origin", "x.example/log", "--key", "k"}, code: 2},
		{dir: "add-log-bad-key", args: withDB("witness", "add-log", "--origin", "x.example/log", "--key", "x.example/log+01234567+AAAA", "--reason", "Test."), setup: empty, code: 1},
		{dir: "add-log-other-origin", args: withDB("witness", "add-log", "--origin", "x.example/log", "--key", "$VKEY", "--reason", "Test."), setup: logs, code: 1},
		{dir: "add-log-space-in-origin", args: withDB("witness", "add-log", "--origin", "x.example/a log", "--key", "$VKEY", "--reason", "Test."), setup: logs, code: 1},
		{dir: "add-log-peer", args: withDB("witness", "add-log", "--origin", "espoo.example/log", "--key", "$PEERKEY", "--reason", "Test."), setup: logs, code: 1},
		{dir: "add-log-suspended-peer", args: withDB("witness", "add-log", "--origin", "espoo.example/log", "--key", "$PEERKEY", "--reason", "Test."), setup: suspended, code: 1},
		{dir: "add-log", args: withDB("witness", "add-log", "--origin", witnessFixtureOrigin, "--key", "$VKEY", "--label", "Renamed", "--reason", "Test."), setup: logs},
		{dir: "list-empty", args: withDB("witness", "list"), setup: empty},
		{dir: "list", args: withDB("witness", "list"), setup: forked},
		{dir: "remove-log", args: withDB("witness", "remove-log", "--origin", witnessFixtureOrigin, "--reason", "The partnership ended."), setup: logs},
		{dir: "remove-log-unknown", args: withDB("witness", "remove-log", "--origin", "nobody.example/log", "--reason", "Test."), setup: logs, code: 1},
		{dir: "remove-log-peer", args: withDB("witness", "remove-log", "--origin", "espoo.example/log", "--reason", "Test."), setup: logs, code: 1},
		{dir: "forks-empty", args: withDB("witness", "forks"), setup: logs},
		{dir: "forks", args: withDB("witness", "forks"), setup: forked},
		{dir: "forks-show", args: withDB("witness", "forks", "--show", forkPlaceholder), setup: forked},
		{dir: "resolve-help", args: []string{"witness", "resolve", "-h"}},
		{dir: "resolve-without-keep", args: []string{"witness", "resolve", "wfk_x", "--reason", "Test."}, code: 2},
		{dir: "resolve-bad-keep", args: withDB("witness", "resolve", forkPlaceholder, "--keep", "both", "--reason", "Test."), setup: forked, code: 1},
		{dir: "resolve-unknown", args: withDB("witness", "resolve", "wfk_00000000000000000000000000", "--keep", "old", "--reason", "Test."), setup: logs, code: 1},
		{dir: "resolve-old", args: withDB("witness", "resolve", forkPlaceholder, "--keep", "old", "--reason", "The operator explained the fault."), setup: forked},
		{dir: "resolve-new", args: []string{"witness", "resolve", "--keep", "new", "--reason", "Key rotated.", "--database", "sqlite:$TMP/omadata.db", forkPlaceholder}, setup: forked},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			tmp := t.TempDir()
			subst := map[string]string{}
			if tc.setup != nil {
				subst = tc.setup(t, tmp)
			}
			args := make([]string, len(tc.args))
			for i, a := range tc.args {
				a = strings.ReplaceAll(a, "$TMP", tmp)
				for k, v := range subst {
					a = strings.ReplaceAll(a, k, v)
				}
				args[i] = a
			}
			var stdout, stderr bytes.Buffer
			m := &Main{Stdout: &stdout, Stderr: &stderr, LookupEnv: noEnv}
			if code := m.Exit(m.Run(context.Background(), args)); code != tc.code {
				t.Errorf("exit code: got %d, want %d; stderr:\n%s", code, tc.code, stderr.String())
			}
			fix := func(s string) string {
				s = strings.ReplaceAll(s, tmp, "$TMP")
				for k, v := range subst {
					s = strings.ReplaceAll(s, v, k)
				}
				return s
			}
			golden(t, filepath.Join("testdata", "witness", tc.dir, "stdout"), fix(stdout.String()))
			golden(t, filepath.Join("testdata", "witness", tc.dir, "stderr"), fix(stderr.String()))
		})
	}
}

// TestWitnessCommands: an admin adds a log, the witness catches a fork of
// it, the admin lists and resolves the fork and removes the log, each
// change audited as the command line's; the witness key rotates.
func TestWitnessCommands(t *testing.T) {
	tmp := t.TempDir()
	migrated(t, tmp)
	dbURL := "sqlite:" + filepath.Join(tmp, "omadata.db")
	env := map[string]string{"OMADATA_DATABASE_URL": dbURL, "OMADATA_SECRET_KEY": base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))}
	run := func(args ...string) (string, string, int) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		m := &Main{Stdout: &stdout, Stderr: &stderr, LookupEnv: envOf(env)}
		code := m.Exit(m.Run(context.Background(), args))
		return stdout.String(), stderr.String(), code
	}
	ctx := context.Background()
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := store.New(db)

	l := storetest.NewTestLog(t, "city.example.org/log")
	l.Append(t, 4)
	if out, errOut, code := run("witness", "add-log", "--origin", l.Origin, "--key", l.VerifierKey, "--label", "City", "--reason", "Our partner."); code != 0 || !strings.Contains(out, "Witnessing "+l.Origin) {
		t.Fatalf("add-log: exit %d, %q %q", code, out, errOut)
	}
	got, err := s.WitnessedLog(ctx, l.Origin)
	if err != nil || !got.Active || got.Source != omadata.WitnessLogAdmin || got.Label != "City" || got.VerifierKeys[0] != l.VerifierKey {
		t.Fatalf("after add-log: %+v, %v", got, err)
	}
	if err := s.AdvanceWitness(ctx, omadata.WitnessAdvance{Origin: l.Origin, Size: 4, RootHash: l.Root(t, 4).String(), Checkpoint: l.Checkpoint(t, 4)}); err != nil {
		t.Fatal(err)
	}
	f := l.Fork(2)
	f.Append(t, 2)
	fork := &omadata.WitnessFork{Origin: l.Origin, Seen: omadata.ForkSeenAddCheckpoint, Known: l.Checkpoint(t, 4), Conflicting: f.Checkpoint(t, 4)}
	if err := s.RecordWitnessFork(ctx, fork); err != nil {
		t.Fatal(err)
	}
	out, _, code := run("witness", "list")
	if code != 0 || !regexp.MustCompile(`city.example.org/log\s+admin\s+forked\s+4\s`).MatchString(out) {
		t.Fatalf("list with a fork: exit %d\n%s", code, out)
	}
	out, _, code = run("witness", "forks")
	if code != 0 || !strings.Contains(out, fork.ID) || !strings.Contains(out, "no: frozen") {
		t.Fatalf("forks: exit %d\n%s", code, out)
	}
	out, _, code = run("witness", "forks", "--show", fork.ID)
	if code != 0 || !strings.Contains(out, fork.Known) || !strings.Contains(out, fork.Conflicting) {
		t.Fatalf("forks --show: exit %d\n%s", code, out)
	}
	// Bad input names the field and changes nothing.
	if _, errOut, code := run("witness", "resolve", fork.ID, "--keep", "both", "--reason", "x"); code != 1 || !strings.Contains(errOut, "keep") {
		t.Fatalf("resolve --keep both: exit %d, %q", code, errOut)
	}
	if got, _ := s.WitnessedLog(ctx, l.Origin); !got.Forked {
		t.Fatal("a refused resolution unfroze the log")
	}
	out, errOut, code := run("witness", "resolve", fork.ID, "--keep", "old", "--reason", "The operator explained the fault.")
	if code != 0 || !strings.Contains(out, "witnessed again from its checkpoint of size 4") {
		t.Fatalf("resolve: exit %d, %q %q", code, out, errOut)
	}
	if got, _ := s.WitnessedLog(ctx, l.Origin); got.Forked || got.Size != 4 || got.RootHash != l.Root(t, 4).String() {
		t.Fatalf("after resolve: %+v", got)
	}
	if out, _, code := run("witness", "forks"); code != 0 || !strings.Contains(out, "kept old") {
		t.Fatalf("forks after resolve: exit %d\n%s", code, out)
	}
	if out, errOut, code := run("witness", "remove-log", "--origin", l.Origin, "--reason", "The partnership ended."); code != 0 || !strings.Contains(out, "No longer witnessing") {
		t.Fatalf("remove-log: exit %d, %q %q", code, out, errOut)
	}
	if got, _ := s.WitnessedLog(ctx, l.Origin); got.Active || got.Size != 4 {
		t.Fatalf("after remove-log: %+v", got)
	}
	rows, err := db.QueryStrings(ctx, `SELECT action, actor_id FROM admin_changes WHERE action LIKE 'witness.%' ORDER BY created_at, id`)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, r := range rows {
		actions = append(actions, r[0]+" by "+r[1])
	}
	if want := "witness.log_added by admin:cli witness.fork_resolved by admin:cli witness.log_removed by admin:cli"; strings.Join(actions, " ") != want {
		t.Fatalf("audited: got %q, want %q", actions, want)
	}

	// The witness key rotates like the others.
	for range 2 {
		if out, errOut, code := run("keys", "rotate", "witness"); code != 0 || !strings.HasPrefix(out, "New witness key key_") {
			t.Fatalf("keys rotate witness: exit %d, %q %q", code, out, errOut)
		}
	}
	list, _, _ := run("keys", "list")
	if n, m := regexp.MustCompile(`witness\s+\S+\s+active`).FindAllString(list, -1), regexp.MustCompile(`witness\s+\S+\s+retired`).FindAllString(list, -1); len(n) != 1 || len(m) != 1 {
		t.Fatalf("keys after rotating the witness key twice:\n%s", list)
	}
}
