// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
	"github.com/omadata/omadata/internal/witness/witnesstest"
)

const witnessOrigin = "log.example.org/test"

// snapshotWitness returns everything the witness's writes may change.
func snapshotWitness(t *testing.T, s *store.Store) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT origin, verifier_keys, source, operator_id, label, active, forked, size, root_hash, checkpoint FROM witness_logs ORDER BY origin`,
		`SELECT id, resolution, reason FROM witness_forks ORDER BY id`,
		`SELECT COUNT(*) FROM admin_changes`, `SELECT COUNT(*) FROM outbox`,
		`SELECT size, witness, line FROM log_cosignatures ORDER BY size, witness`,
		`SELECT witness, size, last_error FROM log_witness_progress ORDER BY witness`,
	} {
		rows, err := s.DB().QueryStrings(context.Background(), q)
		ok(t, err)
		for _, r := range rows {
			b.WriteString(strings.Join(r, "|") + "\n")
		}
	}
	return b.String()
}

func adminLog(l *TestLog, reason string) *omadata.WitnessedLog {
	return &omadata.WitnessedLog{Origin: l.Origin, VerifierKeys: []string{l.VerifierKey}, Source: omadata.WitnessLogAdmin, Label: "Test log", Active: true, Reason: reason}
}

// auditActions returns the actions of the admin changes about target.
func auditActions(t *testing.T, s *store.Store, target string) []string {
	t.Helper()
	rows, err := s.DB().QueryStrings(context.Background(), `SELECT action, actor_id FROM admin_changes WHERE target_id = ? ORDER BY created_at, id`, target)
	ok(t, err)
	var out []string
	for _, r := range rows {
		out = append(out, r[0]+" by "+r[1])
	}
	return out
}

func testWitnessLogs(t *testing.T, s *store.Store) {
	ctx := Admin()
	l := NewTestLog(t, witnessOrigin)
	other := NewTestLog(t, "other.example.org/log")
	before := snapshotWitness(t, s)
	for _, c := range []struct {
		name, field string
		change      func(*omadata.WitnessedLog)
	}{
		{"no origin", "origin", func(w *omadata.WitnessedLog) { w.Origin = "" }},
		{"space in origin", "origin", func(w *omadata.WitnessedLog) { w.Origin = "log.example.org/a b" }},
		{"newline in origin", "origin", func(w *omadata.WitnessedLog) { w.Origin = "log.example.org/a\nb" }},
		{"no key", "verifier_keys", func(w *omadata.WitnessedLog) { w.VerifierKeys = nil }},
		{"not a key", "verifier_keys", func(w *omadata.WitnessedLog) { w.VerifierKeys = []string{"log.example.org/test+abcd+AAAA"} }},
		{"key of another origin", "verifier_keys", func(w *omadata.WitnessedLog) { w.VerifierKeys = []string{other.VerifierKey} }},
		{"unknown source", "source", func(w *omadata.WitnessedLog) { w.Source = "outside" }},
		{"no reason", "reason", func(w *omadata.WitnessedLog) { w.Reason = " " }},
		{"label of two lines", "label", func(w *omadata.WitnessedLog) { w.Label = "a\nb" }},
		{"admin log with operator", "operator_id", func(w *omadata.WitnessedLog) { w.OperatorID = "https://x.example" }},
		{"peer log without operator", "operator_id", func(w *omadata.WitnessedLog) { w.Source, w.Reason = omadata.WitnessLogPeer, "" }},
	} {
		w := adminLog(l, "Added for the test.")
		c.change(w)
		err := s.PutWitnessedLog(ctx, w)
		if omadata.ErrorField(err) != c.field {
			t.Errorf("%s: got %v (field %q), want field %q", c.name, err, omadata.ErrorField(err), c.field)
		}
		wantCode(t, err, omadata.EINVALID)
	}
	// Only an admin adds a log.
	wantCode(t, s.PutWitnessedLog(As("svc_x"), adminLog(l, "Added.")), omadata.EFORBIDDEN)
	wantCode(t, s.PutWitnessedLog(Public(), adminLog(l, "Added.")), omadata.EFORBIDDEN)
	// An admin's log is removed with RemoveWitnessedLog, not put inactive.
	w := adminLog(l, "Removed.")
	w.Active = false
	wantField(t, s.PutWitnessedLog(ctx, w), omadata.EINVALID, "active")
	// Removing a log never added.
	wantCode(t, s.RemoveWitnessedLog(ctx, l.Origin, "Removed."), omadata.ENOTFOUND)
	if got := snapshotWitness(t, s); got != before {
		t.Fatalf("refused puts changed the store:\n%s\nwant\n%s", got, before)
	}
	_, err := s.WitnessedLog(ctx, l.Origin)
	wantCode(t, err, omadata.ENOTFOUND)

	ok(t, s.PutWitnessedLog(ctx, adminLog(l, "The city's partner log.")))
	got := must[*omadata.WitnessedLog](t)(s.WitnessedLog(Public(), l.Origin))
	if !got.Active || got.Forked || got.Source != omadata.WitnessLogAdmin || got.Label != "Test log" || !slices.Equal(got.VerifierKeys, []string{l.VerifierKey}) ||
		got.Size != 0 || got.RootHash != "" || got.Checkpoint != "" || got.CosignedAt != nil || got.UpdatedAt.IsZero() {
		t.Fatalf("added log: got %+v", got)
	}
	// Its state is kept when the log is removed; added back, it starts
	// afresh (testWitnessReset).
	l.Append(t, 3)
	ok(t, s.AdvanceWitness(ctx, omadata.WitnessAdvance{Origin: l.Origin, Size: 3, RootHash: l.Root(t, 3).String(), Checkpoint: l.Checkpoint(t, 3)}))
	// Only an admin removes a log, saying why.
	wantCode(t, s.RemoveWitnessedLog(As("svc_x"), l.Origin, "Removed."), omadata.EFORBIDDEN)
	wantCode(t, s.RemoveWitnessedLog(Public(), l.Origin, "Removed."), omadata.EFORBIDDEN)
	wantField(t, s.RemoveWitnessedLog(ctx, l.Origin, " "), omadata.EINVALID, "reason")
	wantField(t, s.RemoveWitnessedLog(ctx, "a b", "Removed."), omadata.EINVALID, "origin")
	if got := must[*omadata.WitnessedLog](t)(s.WitnessedLog(ctx, l.Origin)); !got.Active {
		t.Fatalf("a refused removal removed the log")
	}
	ok(t, s.RemoveWitnessedLog(ctx, l.Origin, "No longer witnessed."))
	if got := must[*omadata.WitnessedLog](t)(s.WitnessedLog(ctx, l.Origin)); got.Active || got.Size != 3 {
		t.Fatalf("removed log: got active %v size %d, want inactive, size 3", got.Active, got.Size)
	}
	w = adminLog(l, "Witnessed again.")
	w.Label = "Renamed"
	ok(t, s.PutWitnessedLog(ctx, w))
	if got := must[*omadata.WitnessedLog](t)(s.WitnessedLog(ctx, l.Origin)); !got.Active || got.Size != 0 || got.Label != "Renamed" || got.Checkpoint != "" {
		t.Fatalf("added back: got %+v", got)
	}
	if got, want := auditActions(t, s, l.Origin), []string{"witness.log_added by admin:adm_test", "witness.log_removed by admin:adm_test", "witness.log_added by admin:adm_test"}; !slices.Equal(got, want) {
		t.Fatalf("audited: got %q, want %q", got, want)
	}
	rows, err := s.DB().QueryStrings(ctx, `SELECT details FROM admin_changes WHERE target_id = ? AND action = 'witness.log_removed'`, l.Origin)
	ok(t, err)
	if len(rows) != 1 || !strings.Contains(rows[0][0], `"reason":"No longer witnessed."`) {
		t.Fatalf("removal's audit details: got %v, want the reason", rows)
	}
	// The admin leaves pass omadata log verify.
	integrate(t, s)
	rep, err := store.VerifyLog(context.Background(), s.DB(), store.VerifyLogOptions{VerifierKeys: []string{LogVerifierKey(t, s)}})
	if err != nil || rep.Pending != 0 || rep.Records != rep.Leaves || rep.Leaves < 3 {
		t.Fatalf("log verify after witness changes: %+v, %v", rep, err)
	}
	// A log is not its own witness: the operator's own log cannot be added.
	ownKey := LogVerifierKey(t, s)
	own := &omadata.WitnessedLog{Origin: strings.SplitN(ownKey, "+", 2)[0], VerifierKeys: []string{ownKey}, Source: omadata.WitnessLogAdmin,
		Label: "Ourselves", Active: true, Reason: "A test."}
	before = snapshotWitness(t, s)
	wantField(t, s.PutWitnessedLog(ctx, own), omadata.ECONFLICT, "origin")
	if got := snapshotWitness(t, s); got != before {
		t.Fatalf("a refused put of the own log changed the store:\n%s\nwant\n%s", got, before)
	}

	// A peer's log: written by the network worker, as the operator's
	// admin, with no audit; no one else puts it.
	p := NewTestLog(t, "peer.example.org/log")
	changes := countRows(t, s, "admin_changes")
	peer := &omadata.WitnessedLog{Origin: p.Origin, VerifierKeys: []string{p.VerifierKey}, Source: omadata.WitnessLogPeer, OperatorID: "https://peer.example.org", Label: "Peer", Active: true}
	wantCode(t, s.PutWitnessedLog(context.Background(), peer), omadata.EFORBIDDEN)
	wantCode(t, s.PutWitnessedLog(As("svc_x"), peer), omadata.EFORBIDDEN)
	ok(t, s.PutWitnessedLog(ctx, peer))
	if n := countRows(t, s, "admin_changes"); n != changes {
		t.Fatalf("a peer log was audited: %s changes, want %s", n, changes)
	}
	// An admin does not take over an active peer's log, nor a peer an admin's.
	err = s.PutWitnessedLog(ctx, adminLog(p, "Mine now."))
	wantField(t, err, omadata.ECONFLICT, "source")
	peerOverAdmin := &omadata.WitnessedLog{Origin: l.Origin, VerifierKeys: []string{l.VerifierKey}, Source: omadata.WitnessLogPeer, OperatorID: "https://x.example", Active: true}
	wantField(t, s.PutWitnessedLog(ctx, peerOverAdmin), omadata.ECONFLICT, "source")
	all := must[[]*omadata.WitnessedLog](t)(s.FindWitnessedLogs(ctx))
	if len(all) != 2 || all[0].Origin != l.Origin || all[1].Origin != p.Origin || all[1].OperatorID != "https://peer.example.org" {
		t.Fatalf("FindWitnessedLogs: got %d logs %+v", len(all), all)
	}
	// A member's log is the network's: an admin does not remove it, and
	// does not take it over once the member is suspended (its sync would
	// fail every round, and a readmitted member would find its origin
	// taken).
	wantField(t, s.RemoveWitnessedLog(ctx, p.Origin, "Not mine."), omadata.ECONFLICT, "origin")
	suspended := *peer
	suspended.Active = false
	wantCode(t, s.PutWitnessedLog(Public(), &suspended), omadata.EFORBIDDEN)
	if got := must[*omadata.WitnessedLog](t)(s.WitnessedLog(ctx, p.Origin)); !got.Active {
		t.Fatalf("a member's log stopped by a caller who is not the admin")
	}
	ok(t, s.PutWitnessedLog(ctx, &suspended))
	before = snapshotWitness(t, s)
	changes = countRows(t, s, "admin_changes")
	err = s.PutWitnessedLog(ctx, adminLog(p, "Mine now."))
	wantField(t, err, omadata.ECONFLICT, "origin")
	if !strings.Contains(omadata.ErrorMessage(err), p.Origin) {
		t.Errorf("the conflict does not name the origin: %v", err)
	}
	wantField(t, s.RemoveWitnessedLog(ctx, p.Origin, "Not mine."), omadata.ECONFLICT, "origin")
	if got := snapshotWitness(t, s); got != before || countRows(t, s, "admin_changes") != changes {
		t.Fatalf("refused changes of a member's log changed the store:\n%s\nwant\n%s", got, before)
	}
	// Readmitted, the member's log is witnessed again.
	ok(t, s.PutWitnessedLog(ctx, peer))
	if got := must[*omadata.WitnessedLog](t)(s.WitnessedLog(ctx, p.Origin)); !got.Active || got.Source != omadata.WitnessLogPeer {
		t.Fatalf("readmitted member's log: %+v", got)
	}
}

func advance(l *TestLog, t *testing.T, old *omadata.WitnessedLog, n int64) omadata.WitnessAdvance {
	return omadata.WitnessAdvance{Origin: l.Origin, OldSize: old.Size, OldRoot: old.RootHash, Size: n, RootHash: l.Root(t, n).String(), Checkpoint: l.Checkpoint(t, n)}
}

func testWitnessAdvance(t *testing.T, s *store.Store) {
	ctx := Admin()
	l := NewTestLog(t, witnessOrigin)
	l.Append(t, 10)
	empty := &omadata.WitnessedLog{}
	wantCode(t, s.AdvanceWitness(ctx, advance(l, t, empty, 5)), omadata.ENOTFOUND)
	ok(t, s.PutWitnessedLog(ctx, adminLog(l, "Test.")))
	before := snapshotWitness(t, s)
	for _, c := range []struct {
		name, field string
		change      func(*omadata.WitnessAdvance)
	}{
		{"no origin", "origin", func(a *omadata.WitnessAdvance) { a.Origin = "" }},
		{"negative old size", "old_size", func(a *omadata.WitnessAdvance) { a.OldSize = -1 }},
		{"shrinking", "size", func(a *omadata.WitnessAdvance) { a.OldSize = 6 }},
		{"bad old root", "old_root", func(a *omadata.WitnessAdvance) { a.OldRoot = "AAAA" }},
		{"no checkpoint", "checkpoint", func(a *omadata.WitnessAdvance) { a.Checkpoint = "" }},
		{"checkpoint over 64 KiB", "checkpoint", func(a *omadata.WitnessAdvance) { a.Checkpoint += strings.Repeat("— x AAAA\n", 8000) }},
		{"checkpoint of another size", "checkpoint", func(a *omadata.WitnessAdvance) { a.Checkpoint = l.Checkpoint(t, 4) }},
		{"root not the checkpoint's", "checkpoint", func(a *omadata.WitnessAdvance) { a.RootHash = l.Root(t, 4).String() }},
	} {
		a := advance(l, t, empty, 5)
		c.change(&a)
		err := s.AdvanceWitness(ctx, a)
		if omadata.ErrorField(err) != c.field {
			t.Errorf("%s: got %v (field %q), want field %q", c.name, err, omadata.ErrorField(err), c.field)
		}
		wantCode(t, err, omadata.EINVALID)
	}
	if got := snapshotWitness(t, s); got != before {
		t.Fatalf("refused advances changed the store:\n%s\nwant\n%s", got, before)
	}

	ok(t, s.AdvanceWitness(Public(), advance(l, t, empty, 5)))
	st := must[*omadata.WitnessedLog](t)(s.WitnessedLog(ctx, l.Origin))
	if st.Size != 5 || st.RootHash != l.Root(t, 5).String() || st.Checkpoint != l.Checkpoint(t, 5) || st.CosignedAt == nil {
		t.Fatalf("after advancing to 5: got %+v", st)
	}
	// A stale old state: the size held now.
	var conflict *omadata.WitnessConflict
	if err := s.AdvanceWitness(ctx, advance(l, t, empty, 7)); !errors.As(err, &conflict) || conflict.Size != 5 {
		t.Fatalf("stale advance: got %v, want a conflict at size 5", err)
	}
	wrongRoot := &omadata.WitnessedLog{Size: 5, RootHash: l.Root(t, 4).String()}
	if err := s.AdvanceWitness(ctx, advance(l, t, wrongRoot, 7)); !errors.As(err, &conflict) || conflict.Size != 5 {
		t.Fatalf("advance from another root: got %v, want a conflict at size 5", err)
	}
	// Re-cosigning the checkpoint held, then advancing.
	ok(t, s.AdvanceWitness(ctx, advance(l, t, st, 5)))
	ok(t, s.AdvanceWitness(ctx, advance(l, t, st, 10)))
	if st := must[*omadata.WitnessedLog](t)(s.WitnessedLog(ctx, l.Origin)); st.Size != 10 || st.RootHash != l.Root(t, 10).String() {
		t.Fatalf("after advancing to 10: got %d %s", st.Size, st.RootHash)
	}
	// An inactive log is not witnessed.
	ok(t, s.RemoveWitnessedLog(ctx, l.Origin, "Removed."))
	st = must[*omadata.WitnessedLog](t)(s.WitnessedLog(ctx, l.Origin))
	wantCode(t, s.AdvanceWitness(ctx, advance(l, t, st, 10)), omadata.ENOTFOUND)
}

func forkOf(t *testing.T, l, f *TestLog, known, conflicting int64) *omadata.WitnessFork {
	var proof []string
	if known < conflicting {
		for _, h := range f.Proof(t, known, conflicting) {
			proof = append(proof, h.String())
		}
	}
	return &omadata.WitnessFork{Origin: l.Origin, Seen: omadata.ForkSeenAddCheckpoint, Known: l.Checkpoint(t, known), Conflicting: f.Checkpoint(t, conflicting), Proof: proof}
}

func testWitnessFork(t *testing.T, s *store.Store) {
	ctx := Admin()
	org := CreateOrganisation(t, s, omadata.OrgCity)
	hooked := CreateService(t, s, org.ID, true, omadata.RoleSink)
	CreateService(t, s, org.ID, false, omadata.RoleSink) // not approved: not told
	l := NewTestLog(t, witnessOrigin)
	l.Append(t, 8)
	f := l.Fork(4)
	f.Append(t, 6)
	ok(t, s.PutWitnessedLog(ctx, adminLog(l, "Test.")))
	ok(t, s.AdvanceWitness(ctx, advance(l, t, &omadata.WitnessedLog{}, 8)))

	before := snapshotWitness(t, s)
	other := NewTestLog(t, "other.example.org/log")
	for _, c := range []struct {
		name, field string
		change      func(*omadata.WitnessFork)
	}{
		{"no origin", "origin", func(w *omadata.WitnessFork) { w.Origin = "" }},
		{"not a fork ID", "id", func(w *omadata.WitnessFork) { w.ID = "cns_01" }},
		{"unknown seen", "seen", func(w *omadata.WitnessFork) { w.Seen = "gossip" }},
		{"known not a checkpoint", "known", func(w *omadata.WitnessFork) { w.Known = "hello\n" }},
		{"conflicting of another origin", "conflicting", func(w *omadata.WitnessFork) { other.Append(t, 1); w.Conflicting = other.Checkpoint(t, 1) }},
		{"the same twice", "conflicting", func(w *omadata.WitnessFork) { w.Conflicting = w.Known }},
		{"bad proof hash", "proof", func(w *omadata.WitnessFork) { w.Proof = []string{"AAAA"} }},
	} {
		w := forkOf(t, l, f, 8, 10)
		c.change(w)
		err := s.RecordWitnessFork(ctx, w)
		if omadata.ErrorField(err) != c.field {
			t.Errorf("%s: got %v (field %q), want field %q", c.name, err, omadata.ErrorField(err), c.field)
		}
		wantCode(t, err, omadata.EINVALID)
	}
	if got := snapshotWitness(t, s); got != before {
		t.Fatalf("refused forks changed the store:\n%s\nwant\n%s", got, before)
	}

	// The same size with another root, and later an inconsistent proof.
	first := forkOf(t, l, f, 8, 8)
	ok(t, s.RecordWitnessFork(Public(), first))
	if !omadata.ValidID(omadata.PrefixWitnessFork, first.ID) || first.DetectedAt.IsZero() {
		t.Fatalf("recorded fork: got ID %q at %v", first.ID, first.DetectedAt)
	}
	st := must[*omadata.WitnessedLog](t)(s.WitnessedLog(ctx, l.Origin))
	if !st.Forked || st.Size != 8 {
		t.Fatalf("after a fork: got forked %v size %d, want frozen at 8", st.Forked, st.Size)
	}
	// Frozen: nothing advances, not even a re-cosignature.
	wantCode(t, s.AdvanceWitness(ctx, advance(l, t, st, 8)), omadata.EFORBIDDEN)
	second := forkOf(t, l, f, 8, 10)
	second.Seen = omadata.ForkSeenPeerRecord
	named := omadata.NewID(omadata.PrefixWitnessFork)
	second.ID = named
	ok(t, s.RecordWitnessFork(ctx, second))
	if second.ID != named {
		t.Fatalf("a fork named by the witness: recorded as %s, want %s", second.ID, named)
	}

	// Reported to every approved service with a webhook, in the fork's
	// transaction.
	rows, err := s.DB().QueryStrings(ctx, `SELECT service_id, type, payload FROM outbox WHERE type = ? ORDER BY created_at, id`, omadata.EventLogForkDetected)
	ok(t, err)
	if len(rows) != 2 || rows[0][0] != hooked.ID || rows[1][0] != hooked.ID {
		t.Fatalf("fork events: got %v, want one to %s per fork", rows, hooked.ID)
	}
	var ev struct {
		Type, Subject string
		Data          map[string]string
	}
	ok(t, json.Unmarshal([]byte(rows[0][2]), &ev))
	if ev.Type != "fi.omadata."+omadata.EventLogForkDetected || ev.Subject != first.ID || ev.Data["fork_id"] != first.ID || ev.Data["origin"] != l.Origin ||
		ev.Data["known"] != first.Known || ev.Data["conflicting"] != first.Conflicting {
		t.Fatalf("fork event: got %+v", ev)
	}

	forks := must[[]*omadata.WitnessFork](t)(s.FindWitnessForks(ctx))
	if len(forks) != 2 || forks[0].ID != second.ID || forks[1].ID != first.ID || forks[0].Seen != omadata.ForkSeenPeerRecord ||
		!slices.Equal(forks[0].Proof, second.Proof) || len(forks[1].Proof) != 0 || forks[1].Known != first.Known || forks[1].ResolvedAt != nil {
		t.Fatalf("FindWitnessForks: got %+v", forks)
	}

	// Evidence is kept: the database refuses to change or delete it.
	for _, q := range []string{
		`UPDATE witness_forks SET known = 'x' WHERE id = ?`,
		`UPDATE witness_forks SET conflicting = 'x' WHERE id = ?`,
		`UPDATE witness_forks SET proof = '[]' WHERE id = ?`,
		`UPDATE witness_forks SET origin = origin || 'x' WHERE id = ?`,
		`DELETE FROM witness_forks WHERE id = ?`,
	} {
		if err := s.DB().Exec(ctx, q, second.ID); err == nil {
			t.Errorf("%s: the database allowed it", q)
		}
	}

	// Resolving: an admin's, with a reason.
	before = snapshotWitness(t, s)
	wantCode(t, s.ResolveWitnessFork(As("svc_x"), first.ID, "old", "Explained."), omadata.EFORBIDDEN)
	wantCode(t, s.ResolveWitnessFork(ctx, "wfk_nope", "old", "Explained."), omadata.ENOTFOUND)
	wantCode(t, s.ResolveWitnessFork(ctx, omadata.NewID(omadata.PrefixWitnessFork), "old", "Explained."), omadata.ENOTFOUND)
	wantField(t, s.ResolveWitnessFork(ctx, first.ID, "both", "Explained."), omadata.EINVALID, "keep")
	wantField(t, s.ResolveWitnessFork(ctx, first.ID, "old", ""), omadata.EINVALID, "reason")
	if got := snapshotWitness(t, s); got != before {
		t.Fatalf("refused resolutions changed the store:\n%s\nwant\n%s", got, before)
	}
	// One of two forks resolved: still frozen.
	ok(t, s.ResolveWitnessFork(ctx, first.ID, "old", "The operator explained the fault."))
	wantField(t, s.ResolveWitnessFork(ctx, first.ID, "new", "Again."), omadata.ECONFLICT, "id")
	if st := must[*omadata.WitnessedLog](t)(s.WitnessedLog(ctx, l.Origin)); !st.Forked || st.Size != 8 || st.RootHash != l.Root(t, 8).String() {
		t.Fatalf("after resolving one of two forks: got forked %v, size %d", st.Forked, st.Size)
	}
	// The other, keeping the new checkpoint: it is the state from now on.
	ok(t, s.ResolveWitnessFork(ctx, second.ID, "new", "The log's operator rotated its key and republished."))
	st = must[*omadata.WitnessedLog](t)(s.WitnessedLog(ctx, l.Origin))
	if st.Forked || st.Size != 10 || st.RootHash != f.Root(t, 10).String() || st.Checkpoint != second.Conflicting || st.CosignedAt != nil {
		t.Fatalf("after keeping the new checkpoint: got %+v", st)
	}
	f.Append(t, 2)
	ok(t, s.AdvanceWitness(ctx, advance(f, t, st, 12)))

	forks = must[[]*omadata.WitnessFork](t)(s.FindWitnessForks(ctx))
	if r := forks[1]; r.ID != first.ID || r.ResolvedAt == nil || r.ResolvedBy != "admin:adm_test" || r.Resolution != "old" || r.Reason != "The operator explained the fault." || r.Known != first.Known {
		t.Fatalf("resolved fork: got %+v", r)
	}
	if r := forks[0]; r.Resolution != "new" || r.Conflicting != second.Conflicting {
		t.Fatalf("resolved fork: got %+v", r)
	}
	if got, want := auditActions(t, s, first.ID), []string{"witness.fork_resolved by admin:adm_test"}; !slices.Equal(got, want) {
		t.Fatalf("resolution audited: got %q, want %q", got, want)
	}
	// A resolution is written once; the evidence stays after it.
	if err := s.DB().Exec(ctx, `UPDATE witness_forks SET reason = 'rewritten' WHERE id = ?`, first.ID); err == nil {
		t.Error("a resolution was rewritten")
	}
	if err := s.DB().Exec(ctx, `DELETE FROM witness_forks WHERE id = ?`, first.ID); err == nil {
		t.Error("resolved evidence was deleted")
	}
	// A fork of an origin the witness does not know.
	x := NewTestLog(t, "unknown.example.org/log")
	x.Append(t, 1)
	y := x.Fork(0)
	y.Append(t, 1)
	o := forkOf(t, x, y, 1, 1)
	wantCode(t, s.RecordWitnessFork(ctx, o), omadata.ENOTFOUND)
}

func testWitnessCosignatures(t *testing.T, s *store.Store) {
	ctx := Admin()
	// The operator's own checkpoints.
	integrate(t, s)
	cp := must[*omadata.Checkpoint](t)(s.LatestCheckpoint(ctx))
	at := must[*omadata.Checkpoint](t)(s.CheckpointAt(ctx, cp.Size))
	if at.Note != cp.Note || at.Origin != LogOrigin || at.RootHash != cp.RootHash {
		t.Fatalf("CheckpointAt(%d): got %+v, want %+v", cp.Size, at, cp)
	}
	_, err := s.CheckpointAt(ctx, cp.Size+1000)
	wantCode(t, err, omadata.ENOTFOUND)

	signed := time.Date(2026, 12, 7, 5, 0, 0, 0, time.UTC)
	cos := func(size int64, witness, sig string) *omadata.Cosignature {
		return &omadata.Cosignature{Size: size, Witness: witness, KeyHash: 0xfedcba98, Time: signed, Line: "— " + witness + " " + sig + "\n"}
	}
	before := snapshotWitness(t, s)
	for _, c := range []struct {
		name, field string
		c           *omadata.Cosignature
	}{
		{"no witness", "witness", cos(3, "", "AAAA")},
		{"no time", "time", &omadata.Cosignature{Witness: "w.example/witness", Line: "— w.example/witness AAAA\n"}},
		{"line of another witness", "line", &omadata.Cosignature{Witness: "w.example/witness", Time: signed, Line: "— v.example/witness AAAA\n"}},
		{"two lines", "line", &omadata.Cosignature{Witness: "w.example/witness", Time: signed, Line: "— w.example/witness AAAA\n— w.example/witness BBBB\n"}},
	} {
		// A bad one among good ones: nothing is stored.
		err := s.AddCosignatures(ctx, 3, []*omadata.Cosignature{cos(3, "a.example/witness", "AAAA"), c.c})
		wantField(t, err, omadata.EINVALID, c.field)
	}
	wantField(t, s.AddCosignatures(ctx, -1, nil), omadata.EINVALID, "size")
	wantField(t, s.SetWitnessProgress(ctx, &omadata.WitnessProgress{Witness: "a b"}), omadata.EINVALID, "witness")
	wantField(t, s.SetWitnessProgress(ctx, &omadata.WitnessProgress{Witness: "a.example/witness", Size: -1}), omadata.EINVALID, "size")
	_, err = s.CosignedSizes(ctx, 0)
	wantField(t, err, omadata.EINVALID, "limit")
	if got := snapshotWitness(t, s); got != before {
		t.Fatalf("refused writes changed the store:\n%s\nwant\n%s", got, before)
	}

	ok(t, s.AddCosignatures(ctx, 3, []*omadata.Cosignature{cos(3, "b.example/witness", "BBBB"), cos(3, "a.example/witness", "AAAA")}))
	ok(t, s.AddCosignatures(ctx, 5, []*omadata.Cosignature{cos(5, "a.example/witness", "CCCC")}))
	// A witness's second line for one size replaces nothing.
	ok(t, s.AddCosignatures(ctx, 3, []*omadata.Cosignature{cos(3, "a.example/witness", "DDDD")}))
	got := must[[]*omadata.Cosignature](t)(s.FindCosignatures(ctx, 3))
	if len(got) != 2 || got[0].Witness != "a.example/witness" || got[0].Line != "— a.example/witness AAAA\n" || got[0].KeyHash != 0xfedcba98 ||
		!got[0].Time.Equal(signed) || got[0].Size != 3 || got[0].ReceivedAt.IsZero() || got[1].Witness != "b.example/witness" {
		t.Fatalf("FindCosignatures(3): got %+v", got)
	}
	if got := must[[]*omadata.Cosignature](t)(s.FindCosignatures(ctx, 4)); len(got) != 0 {
		t.Fatalf("FindCosignatures(4): got %+v, want none", got)
	}
	if got := must[[]int64](t)(s.CosignedSizes(ctx, 10)); !slices.Equal(got, []int64{5, 3}) {
		t.Fatalf("CosignedSizes(10): got %v, want [5 3]", got)
	}
	if got := must[[]int64](t)(s.CosignedSizes(ctx, 1)); !slices.Equal(got, []int64{5}) {
		t.Fatalf("CosignedSizes(1): got %v, want [5]", got)
	}

	tried := signed.Add(time.Minute)
	ok(t, s.SetWitnessProgress(ctx, &omadata.WitnessProgress{Witness: "b.example/witness", Size: 0, LastError: "connection refused", TriedAt: &tried}))
	ok(t, s.SetWitnessProgress(ctx, &omadata.WitnessProgress{Witness: "a.example/witness", Size: 3, CosignedAt: &signed, TriedAt: &signed}))
	ok(t, s.SetWitnessProgress(ctx, &omadata.WitnessProgress{Witness: "a.example/witness", Size: 5, CosignedAt: &tried, TriedAt: &tried}))
	ps := must[[]*omadata.WitnessProgress](t)(s.WitnessProgress(ctx))
	if len(ps) != 2 || ps[0].Witness != "a.example/witness" || ps[0].Size != 5 || !ps[0].CosignedAt.Equal(tried) || ps[0].LastError != "" ||
		ps[1].Size != 0 || ps[1].CosignedAt != nil || ps[1].LastError != "connection refused" || !ps[1].TriedAt.Equal(tried) {
		t.Fatalf("WitnessProgress: got %+v %+v", ps[0], ps[1])
	}
}

// testWitnessResolveRace: a fork recorded while an admin resolves another
// fork of the same origin keeps the origin frozen, whichever commits
// first.
func testWitnessResolveRace(t *testing.T, s *store.Store) {
	ctx := Admin()
	l := NewTestLog(t, witnessOrigin)
	l.Append(t, 4)
	ok(t, s.PutWitnessedLog(ctx, adminLog(l, "Test.")))
	ok(t, s.AdvanceWitness(ctx, advance(l, t, &omadata.WitnessedLog{}, 4)))
	second := SecondInstance(t, s)
	for i := range 20 {
		f := l.Fork(2)
		f.tag = "race" + strconv.Itoa(i)
		f.Append(t, 2)
		first := forkOf(t, l, f, 4, 4)
		ok(t, s.RecordWitnessFork(ctx, first))
		g := l.Fork(2)
		g.tag = "race" + strconv.Itoa(i) + "b"
		g.Append(t, 2)
		next := forkOf(t, l, g, 4, 4)
		var wg sync.WaitGroup
		var errs [2]error
		wg.Go(func() { errs[0] = s.ResolveWitnessFork(ctx, first.ID, "old", "Race.") })
		wg.Go(func() { errs[1] = second.RecordWitnessFork(ctx, next) })
		wg.Wait()
		ok(t, errs[0])
		ok(t, errs[1])
		if st := must[*omadata.WitnessedLog](t)(s.WitnessedLog(ctx, l.Origin)); !st.Forked {
			t.Fatalf("round %d: a fork recorded during another's resolution left the origin unfrozen", i)
		}
		ok(t, s.ResolveWitnessFork(ctx, next.ID, "old", "Race."))
	}
}

// testWitnessCheckService: the witness's shared behaviour check
// (internal/witness/witnesstest), which internal/witness runs on its
// in-memory state, holds on the database.
func testWitnessCheckService(t *testing.T, s *store.Store) {
	witnesstest.CheckWitnessService(t, Admin(), s)
}
