// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/keys"
	"github.com/omadata/omadata/internal/store"
)

// checkpoint is a checkpoint as a third party reads it: opened with the
// published verifier key by golang.org/x/mod/sumdb/note, parsed line by
// line as C2SP tlog-checkpoint says.
type checkpoint struct {
	size int64
	root tlog.Hash
}

// OpenCheckpoint verifies a signed checkpoint note with vkey and parses it,
// using golang.org/x/mod/sumdb/note and tlog only.
func OpenCheckpoint(signed []byte, vkey, origin string) (size int64, root tlog.Hash, err error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return 0, root, err
	}
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		return 0, root, err
	}
	lines := strings.SplitN(n.Text, "\n", 4)
	if len(lines) != 4 || lines[0] != origin || lines[3] != "" {
		return 0, root, fmt.Errorf("checkpoint text %q: want origin %q, size, root and nothing else", n.Text, origin)
	}
	if size, err = strconv.ParseInt(lines[1], 10, 64); err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return 0, root, fmt.Errorf("checkpoint size %q", lines[1])
	}
	root, err = tlog.ParseHash(lines[2])
	return size, root, err
}

func openCheckpoint(t *testing.T, s *store.Store) checkpoint {
	t.Helper()
	cp := must[*omadata.Checkpoint](t)(s.LatestCheckpoint(Public()))
	size, root, err := OpenCheckpoint([]byte(cp.Note), LogVerifierKey(t, s), LogOrigin)
	ok(t, err)
	if size != cp.Size || root.String() != cp.RootHash {
		t.Fatalf("checkpoint note says %d %s, the store %d %s", size, root, cp.Size, cp.RootHash)
	}
	return checkpoint{size, root}
}

// checkInclusion verifies a served inclusion proof of the leaf at index
// against a checkpoint, with tlog only.
func checkInclusion(t *testing.T, p *omadata.InclusionProof, leaf []byte, cp checkpoint) {
	t.Helper()
	if p.Size != cp.size {
		t.Fatalf("proof for size %d, checkpoint of %d", p.Size, cp.size)
	}
	var proof tlog.RecordProof
	for _, h := range p.Hashes {
		proof = append(proof, must[tlog.Hash](t)(tlog.ParseHash(h)))
	}
	if err := tlog.CheckRecord(proof, cp.size, cp.root, p.Index, tlog.RecordHash(leaf)); err != nil {
		t.Fatalf("leaf %d: %v", p.Index, err)
	}
}

// integrate puts every appended leaf into the tree. On PostgreSQL the
// integrator waits for leaves of transactions older than every running
// one, and other tests run transactions in the same database, so it may
// take a few rounds.
func integrate(t *testing.T, s *store.Store) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := s.IntegrateLog(Admin())
		ok(t, err)
		pending := queryInts(t, s, `SELECT COUNT(*) FROM log_leaves l WHERE NOT EXISTS (SELECT 1 FROM log_index i WHERE i.leaf_seq = l.seq)`)[0]
		_, err = s.LatestCheckpoint(Public())
		if pending == 0 && err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d leaves still wait for a checkpoint", pending)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// testLogProofs appends through real service calls, then verifies the
// checkpoints, every leaf's inclusion and the consistency of two
// checkpoints with golang.org/x/mod/sumdb/tlog and note only.
func testLogProofs(t *testing.T, s *store.Store) {
	f := newDecisionFixture(t, s)
	integrate(t, s)
	first := openCheckpoint(t, s)
	if first.size == 0 {
		t.Fatal("the catalogue's admin changes appended no leaves")
	}

	r, psn := f.resident(t)
	c := f.give(t, r.ID, f.n.Processing)
	sink, source := As(f.n.Sink.ID), As(f.n.Source.ID)
	d := must[*omadata.Decision](t)(s.Decide(sink, f.question(psn)))
	g := must[*omadata.Grant](t)(s.IssueGrant(sink, f.grantInput(t, psn)))
	tr := must[*omadata.Transfer](t)(s.RecordTransfer(source, &omadata.TransferInput{GrantID: g.ID, DataGroupIDs: []string{f.n.Loans.ID},
		XRoadID: "FI/GOV/0201256-6/loans/1", XRoadRequestHash: "c2hhMjU2"}))
	must[*omadata.Consent](t)(s.ChangeConsent(AsResident(r.ID), c.ID, omadata.ConsentWithdrawn, ""))
	deny := must[*omadata.Decision](t)(s.Decide(sink, f.question(psn)))
	if !d.Permit() || deny.Permit() {
		t.Fatalf("got %s then %s, want permit then deny", d.Decision, deny.Decision)
	}

	// Before integration the leaves wait, without an index.
	pending := queryInts(t, s, `SELECT COUNT(*) FROM log_leaves l WHERE NOT EXISTS (SELECT 1 FROM log_index i WHERE i.leaf_seq = l.seq)`)[0]
	if pending != 6 { // given, permit, grant's permit, grant, transfer, withdrawn
		t.Fatalf("got %d leaves waiting, want 6", pending)
	}
	integrate(t, s)
	cp := openCheckpoint(t, s)
	if cp.size != first.size+6 {
		t.Fatalf("got a tree of %d, want %d", cp.size, first.size+6)
	}

	// Every leaf: served bytes hash to the stored leaf hash, its proof checks.
	records := map[string]string{}
	for i := range cp.size {
		e := must[*omadata.LogEntry](t)(s.LogEntryAt(Public(), i))
		leaf := must[[]byte](t)(base64.StdEncoding.DecodeString(e.LeafData))
		if got := tlog.RecordHash(leaf).String(); got != e.LeafHash {
			t.Fatalf("leaf %d hashes to %s, served %s", i, got, e.LeafHash)
		}
		checkInclusion(t, must[*omadata.InclusionProof](t)(s.ProveInclusion(Public(), i, 0)), leaf, cp)
		byHash := must[*omadata.InclusionProof](t)(s.ProveInclusionByHash(Public(), e.LeafHash, 0))
		if byHash.Index != i {
			t.Fatalf("leaf hash of %d found at %d", i, byHash.Index)
		}
		for _, secret := range []string{r.ID, psn, AdultCode, r.IdentityCode} {
			if secret != "" && strings.Contains(string(leaf), secret) {
				t.Fatalf("leaf %d holds %q: %s", i, secret, leaf)
			}
		}
		records[e.Leaf.Record] = e.Leaf.Kind
	}
	for id, kind := range map[string]string{
		c.Records[0].ID: "consent.given", d.EvidenceID: omadata.LeafDecisionPermit, g.ID: omadata.LeafGrantIssued,
		tr.ID: omadata.LeafTransferRecorded,
	} {
		if records[id] != kind {
			t.Errorf("record %s: got leaf %q, want %q", id, records[id], kind)
		}
	}
	if _, ok := records[deny.EvidenceID]; ok {
		t.Error("a deny decision appended a leaf")
	}

	// The old checkpoint is a prefix of the new one.
	cons := must[*omadata.ConsistencyProof](t)(s.ProveConsistency(Public(), first.size, 0))
	var proof tlog.TreeProof
	for _, h := range cons.Hashes {
		proof = append(proof, must[tlog.Hash](t)(tlog.ParseHash(h)))
	}
	if err := tlog.CheckTree(proof, cp.size, cp.root, first.size, first.root); err != nil {
		t.Fatalf("consistency %d -> %d: %v", first.size, cp.size, err)
	}
	if err := tlog.CheckTree(proof, cp.size, cp.root, first.size, tlog.Hash{1}); err == nil {
		t.Fatal("a consistency proof checked against a wrong old root")
	}

	// Who used my data: the permit, the grant and the transfer, newest first.
	usage, next := usagePage(t)(s.FindUsage(AsResident(r.ID), omadata.UsageFilter{ResidentID: r.ID}))
	var kinds []string
	for _, u := range usage {
		kinds = append(kinds, u.Kind)
		if u.SinkID != f.n.Sink.ID || u.SourceID != f.n.Source.ID || u.PurposeID != f.n.Recommendations.ID || u.ConsentID != c.ID ||
			len(u.DataGroupIDs) != 1 || u.DataGroupIDs[0] != f.n.Loans.ID || u.Log.Proof == nil {
			t.Errorf("usage %+v: want sink, source, loans, recommendations on consent %s, with a proof", u, c.ID)
			continue
		}
		checkInclusion(t, u.Log.Proof, must[[]byte](t)(base64.StdEncoding.DecodeString(u.Log.LeafData)), cp)
	}
	if strings.Join(kinds, ",") != "transfer.recorded,grant.issued,decision.permit,decision.permit" || next != "" {
		t.Fatalf("got usage %v (next %q), want the transfer, the grant and two permits, newest first", kinds, next)
	}
	page, next := usagePage(t)(s.FindUsage(AsResident(r.ID), omadata.UsageFilter{ResidentID: r.ID, Limit: 3}))
	if len(page) != 3 || next == "" {
		t.Fatalf("got %d usage and cursor %q, want 3 and a cursor", len(page), next)
	}
	before := must[int64](t)(strconv.ParseInt(next, 10, 64))
	rest, next := usagePage(t)(s.FindUsage(AsResident(r.ID), omadata.UsageFilter{ResidentID: r.ID, Before: before, Limit: 3}))
	if len(rest) != 1 || next != "" || rest[0].RecordID != usage[3].RecordID {
		t.Fatalf("second page %d entries (next %q), want the oldest permit", len(rest), next)
	}
	other, _ := f.resident(t)
	_, _, err := s.FindUsage(AsResident(other.ID), omadata.UsageFilter{ResidentID: r.ID})
	wantCode(t, err, omadata.ENOTFOUND)
	_, _, err = s.FindUsage(sink, omadata.UsageFilter{ResidentID: r.ID})
	wantCode(t, err, omadata.ENOTFOUND)

	// A service sees its own events; another service's are not found.
	events, _, err := s.FindLogEvents(sink, omadata.LogEventFilter{ServiceID: f.n.Sink.ID, Limit: 100})
	ok(t, err)
	seen := map[string]bool{}
	for _, e := range events {
		seen[e.Leaf.Record] = true
	}
	if !seen[g.ID] || !seen[tr.ID] || !seen[c.Records[0].ID] {
		t.Fatalf("the sink's log view misses its grant, transfer or consent: %v", seen)
	}
	_, _, err = s.FindLogEvents(sink, omadata.LogEventFilter{ServiceID: f.n.Source.ID})
	wantCode(t, err, omadata.ENOTFOUND)
	// The leaves of one record: the grant's grant.issued, and none of a
	// record the service is no party to.
	events, next, err = s.FindLogEvents(sink, omadata.LogEventFilter{ServiceID: f.n.Sink.ID, RecordID: g.ID})
	ok(t, err)
	if len(events) != 1 || next != "" || events[0].Leaf.Kind != omadata.LeafGrantIssued || events[0].Leaf.Record != g.ID {
		t.Fatalf("the grant's leaves: %d (next %q), want its grant.issued", len(events), next)
	}
	events, _, err = s.FindLogEvents(sink, omadata.LogEventFilter{ServiceID: f.n.Sink.ID, RecordID: omadata.NewID(omadata.PrefixGrant)})
	ok(t, err)
	if len(events) != 0 {
		t.Fatalf("an unknown record has %d leaves", len(events))
	}
	// An admin sees any service's events; an unknown or malformed service
	// is not found, as FindServiceByID says, not an empty list.
	_, _, err = s.FindLogEvents(Admin(), omadata.LogEventFilter{ServiceID: f.n.Source.ID})
	ok(t, err)
	for _, id := range []string{omadata.NewID(omadata.PrefixService), "not-an-id"} {
		_, _, err = s.FindLogEvents(Admin(), omadata.LogEventFilter{ServiceID: id})
		wantCode(t, err, omadata.ENOTFOUND)
	}

	// Bad questions name their field.
	_, err = s.ProveInclusion(Public(), cp.size, 0)
	wantField(t, err, omadata.EINVALID, "index")
	_, err = s.ProveInclusion(Public(), 0, cp.size+1)
	wantField(t, err, omadata.EINVALID, "size")
	_, err = s.ProveConsistency(Public(), 0, 0)
	wantField(t, err, omadata.EINVALID, "old")
	_, err = s.ProveInclusionByHash(Public(), "not-a-hash", 0)
	wantField(t, err, omadata.EINVALID, "leaf_hash")
	_, err = s.ProveInclusionByHash(Public(), tlog.RecordHash([]byte("nothing")).String(), 0)
	wantCode(t, err, omadata.ENOTFOUND)
	_, err = s.LogEntryAt(Public(), cp.size)
	wantCode(t, err, omadata.ENOTFOUND)
}

func usagePage(t *testing.T) func([]*omadata.Usage, string, error) ([]*omadata.Usage, string) {
	return func(a []*omadata.Usage, b string, err error) ([]*omadata.Usage, string) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return a, b
	}
}

// testLogAppendOnly: the database itself refuses to change or remove
// anything in the log.
func testLogAppendOnly(t *testing.T, s *store.Store) {
	f := newDecisionFixture(t, s)
	r, _ := f.resident(t)
	f.give(t, r.ID, f.n.Processing)
	integrate(t, s)
	ctx := context.Background()
	for _, stmt := range []string{
		`UPDATE log_leaves SET data = '{}'`,
		`DELETE FROM log_leaves`,
		`UPDATE log_index SET leaf_hash = 'x'`,
		`DELETE FROM log_index`,
		`UPDATE log_leaf_keys SET hash_key = 0`,
		`DELETE FROM log_leaf_keys`,
		`UPDATE log_hashes SET id = id + 1000000`,
		`DELETE FROM log_hashes`,
		`UPDATE log_checkpoints SET size = 0`,
		`DELETE FROM log_checkpoints`,
		`UPDATE log_parties SET service_id = 'x'`,
		`DELETE FROM log_parties`,
		`UPDATE admin_changes SET action = 'x'`,
		`DELETE FROM admin_changes`,
	} {
		if err := s.DB().Exec(ctx, stmt); err == nil {
			t.Errorf("%s: the database allowed it", stmt)
		}
	}
	openCheckpoint(t, s)
}

// testLogConcurrent: leaves appended by concurrent transactions, while the
// integrator runs, all end up in the tree exactly once.
func testLogConcurrent(t *testing.T, s *store.Store) {
	f := newDecisionFixture(t, s)
	const residents = 12
	var ids []string
	for range residents {
		r, _ := f.resident(t)
		ids = append(ids, r.ID)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	integrated := make(chan error, 1)
	go func() {
		var err error
		for {
			select {
			case <-stop:
				integrated <- err
				return
			default:
			}
			if _, e := s.IntegrateLog(Admin()); e != nil && err == nil {
				err = e
			}
		}
	}()
	errs := make(chan error, residents)
	for _, id := range ids {
		wg.Go(func() {
			cur := must[*omadata.Processing](t)(s.FindProcessingByID(Admin(), f.n.Processing.ID)).Current()
			c, err := s.GiveConsent(AsResident(id), &omadata.ConsentInput{ProcessingID: f.n.Processing.ID, Version: cur.Version, Language: "fi"})
			if err == nil {
				_, err = s.ChangeConsent(AsResident(id), c.ID, omadata.ConsentWithdrawn, "")
			}
			errs <- err
		})
	}
	wg.Wait()
	close(stop)
	ok(t, <-integrated)
	close(errs)
	for err := range errs {
		ok(t, err)
	}
	integrate(t, s)
	cp := openCheckpoint(t, s)
	leaves := queryInts(t, s, `SELECT COUNT(*) FROM log_leaves`)[0]
	n := queryInts(t, s, `SELECT COUNT(*), COUNT(DISTINCT leaf_seq) FROM log_index`)
	indexed, distinct := n[0], n[1]
	if cp.size != leaves || indexed != leaves || distinct != leaves {
		t.Fatalf("%d leaves, %d indexed (%d distinct), checkpoint of %d: want all equal", leaves, indexed, distinct, cp.size)
	}
	checkInclusion(t, must[*omadata.InclusionProof](t)(s.ProveInclusion(Public(), cp.size-1, 0)),
		must[[]byte](t)(base64.StdEncoding.DecodeString(must[*omadata.LogEntry](t)(s.LogEntryAt(Public(), cp.size-1)).LeafData)), cp)
}

// queryInts returns the first row of a query of whole numbers.
func queryInts(t *testing.T, s *store.Store, query string, args ...any) []int64 {
	t.Helper()
	rows := must[[][]string](t)(s.DB().QueryStrings(context.Background(), query, args...))
	if len(rows) == 0 {
		t.Fatalf("%s: no rows", query)
	}
	out := make([]int64, len(rows[0]))
	for i, v := range rows[0] {
		out[i] = must[int64](t)(strconv.ParseInt(v, 10, 64))
	}
	return out
}

// LogRecords names records of a populated log, for tamper tests.
type LogRecords struct {
	ResidentID, SinkID                                    string
	ConsentRecord, Decision, Grant, Transfer, AdminChange string
}

// PopulateLog runs a resident's consent, a permitting decision, a grant, a
// transfer and a withdrawal through the store, on top of the catalogue's
// admin changes, and signs them into checkpoints (two of them, so that
// there is an older one to be consistent with).
func PopulateLog(t *testing.T, s *store.Store) LogRecords {
	t.Helper()
	f := newDecisionFixture(t, s)
	integrate(t, s)
	r, psn := f.resident(t)
	c := f.give(t, r.ID, f.n.Processing)
	sink, source := As(f.n.Sink.ID), As(f.n.Source.ID)
	d := must[*omadata.Decision](t)(s.Decide(sink, f.question(psn)))
	g := must[*omadata.Grant](t)(s.IssueGrant(sink, f.grantInput(t, psn)))
	tr := must[*omadata.Transfer](t)(s.RecordTransfer(source, &omadata.TransferInput{GrantID: g.ID, DataGroupIDs: []string{f.n.Loans.ID},
		XRoadID: "FI/GOV/0201256-6/loans/1", XRoadRequestHash: "c2hhMjU2"}))
	must[*omadata.Consent](t)(s.ChangeConsent(AsResident(r.ID), c.ID, omadata.ConsentWithdrawn, ""))
	f.processing(t, "loan-statistics", "research", omadata.BasisPublicTask, f.n.Loans.ID) // approved, then published
	integrate(t, s)
	admin := must[[][]string](t)(s.DB().QueryStrings(context.Background(), `SELECT id FROM admin_changes ORDER BY id LIMIT 1`))
	return LogRecords{ResidentID: r.ID, SinkID: f.n.Sink.ID, ConsentRecord: c.Records[0].ID, Decision: d.EvidenceID, Grant: g.ID, Transfer: tr.ID, AdminChange: admin[0][0]}
}

// testLogVerify: an untouched log verifies, leaves, records, checkpoints
// and commitments all accounted for.
func testLogVerify(t *testing.T, s *store.Store) {
	PopulateLog(t, s)
	kr, err := keys.NewKeyring(SecretKey)
	ok(t, err)
	rep, err := store.VerifyLog(context.Background(), s.DB(), store.VerifyLogOptions{VerifierKeys: []string{LogVerifierKey(t, s)}, Keyring: kr})
	ok(t, err)
	if got := queryStrings(t, s, `SELECT COUNT(*) FROM log_leaves WHERE kind = 'admin.processing.version_approved'`); got[0] != "1" {
		t.Fatalf("got %s approval leaves, want the one the verifier checked", got[0])
	}
	cp := openCheckpoint(t, s)
	if rep.Leaves != cp.size || rep.Size != cp.size || rep.RootHash != cp.root.String() || rep.Records != rep.Leaves ||
		rep.Commitments != 6 || rep.Pending != 0 || rep.Checkpoints < 2 || rep.Origin != LogOrigin {
		t.Fatalf("got %+v, want every leaf, record and the 6 resident commitments checked against %d %s", rep, cp.size, cp.root)
	}
}

// testLogCheckpoints: the checkpoints are listed newest first, page by
// page, each a signed note of its size.
func testLogCheckpoints(t *testing.T, s *store.Store) {
	for range 3 {
		CreateOrganisation(t, s, omadata.OrgCity) // an admin change: a leaf
		integrate(t, s)
	}
	var all []*omadata.Checkpoint
	after := ""
	for {
		list, next, err := s.FindCheckpoints(Public(), omadata.CheckpointFilter{After: after, Limit: 1})
		ok(t, err)
		all = append(all, list...)
		if next == "" {
			break
		}
		if len(list) != 1 {
			t.Fatalf("a page of %d checkpoints, want 1", len(list))
		}
		after = next
	}
	if len(all) < 3 {
		t.Fatalf("%d checkpoints, want at least 3", len(all))
	}
	latest, err := s.LatestCheckpoint(Public())
	ok(t, err)
	if all[0].Note != latest.Note {
		t.Fatal("the first listed checkpoint is not the latest")
	}
	vkey, origin := LogVerifierKey(t, s), LogOrigin
	for i, cp := range all {
		size, _, err := OpenCheckpoint([]byte(cp.Note), vkey, origin)
		ok(t, err)
		if size != cp.Size || cp.Origin != origin {
			t.Fatalf("checkpoint %d: listed size %d origin %q, signed %d %q", i, cp.Size, cp.Origin, size, origin)
		}
		if i > 0 && cp.Size > all[i-1].Size {
			t.Fatalf("checkpoint %d (size %d) after one of size %d: not newest first", i, cp.Size, all[i-1].Size)
		}
	}
	if _, _, err := s.FindCheckpoints(Public(), omadata.CheckpointFilter{After: "x"}); omadata.ErrorCode(err) != omadata.EINVALID || omadata.ErrorField(err) != "after" {
		t.Fatalf("bad cursor: %v, want invalid after", err)
	}
}
