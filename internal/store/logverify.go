// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/keys"
)

// LogProblem is the first thing VerifyLog found wrong, naming the entry.
type LogProblem struct {
	What  string
	index int64 // the leaf it is about; -1 for none
}

func (p *LogProblem) Error() string { return p.What }

func problemf(format string, args ...any) error {
	return &LogProblem{What: fmt.Sprintf(format, args...), index: -1}
}

// leafProblemf is a problem with the leaf at index.
func leafProblemf(index int64, format string, args ...any) error {
	return &LogProblem{What: fmt.Sprintf("leaf %d: ", index) + fmt.Sprintf(format, args...), index: index}
}

// LogReport is what VerifyLog checked.
type LogReport struct {
	Leaves      int64 // in the tree
	Pending     int64 // appended, waiting for the next checkpoint
	Checkpoints int64
	Records     int64 // records whose digest matched their leaf
	Commitments int64 // subject commitments recomputed (with the keyring)
	Unlinkable  int64 // leaves whose resident's key was erased
	Origin      string
	Size        int64 // of the latest checkpoint
	RootHash    string
}

// VerifyLogOptions configure VerifyLog.
type VerifyLogOptions struct {
	// VerifierKeys verify the checkpoints' signatures (note verifier keys,
	// as /.well-known/mydata/log-key publishes them). Empty: the log keys
	// stored in the database, which proves less (whoever can change the
	// database can change them).
	VerifierKeys []string
	// Keyring, if set, recomputes each leaf's commitment to its resident
	// from the resident's stored key.
	Keyring omadata.Keyring
	// Progress, if set, hears how many leaves were checked so far.
	Progress func(leaves int64)
}

// VerifyLog recomputes the tree from the stored leaves and checks every
// stored hash, every checkpoint (signature, size, root), the link between
// each leaf and the record it commits to, and the keys that find leaves by
// hash. It reads only. It returns a *LogProblem naming the first bad entry.
func VerifyLog(ctx context.Context, db *DB, o VerifyLogOptions) (*LogReport, error) {
	r := db.reader()
	rep := &LogReport{}
	verifiers, err := logVerifiers(ctx, db, o.VerifierKeys)
	if err != nil {
		return nil, err
	}

	// The leaves, in tree order, with the stored hashes beside them.
	var hashes []tlog.Hash // every stored hash, recomputed, by stored index
	mem := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			if x < 0 || x >= int64(len(hashes)) {
				return nil, fmt.Errorf("hash %d not computed", x)
			}
			out[i] = hashes[x]
		}
		return out, nil
	})
	stored, err := r.query(ctx, `SELECT id, hash FROM log_hashes ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer stored.Close()
	nextStored := func() (int64, []byte, error) {
		if !stored.Next() {
			if err := stored.Err(); err != nil {
				return 0, nil, err
			}
			return -1, nil, nil
		}
		var id int64
		var h []byte
		err := stored.Scan(&id, &h)
		return id, h, err
	}
	leaves, err := r.query(ctx, `SELECT i.idx, i.leaf_seq, i.leaf_hash, l.data, l.kind, l.record_kind, l.record_id
		FROM log_index i LEFT JOIN log_leaves l ON l.seq = i.leaf_seq ORDER BY i.idx`)
	if err != nil {
		return nil, err
	}
	defer leaves.Close()
	// The records are checked beside the tree, batch by batch, in order;
	// of a tree problem and a record problem the earlier leaf's is named.
	batches := make(chan []*leafRecord, 4)
	recordsDone := make(chan error, 1)
	go func() {
		var first error
		for b := range batches {
			if first == nil {
				first = verifyRecords(ctx, r, o.Keyring, b, rep)
			}
		}
		recordsDone <- first
	}()
	treeErr := verifyTree(ctx, leaves, nextStored, &hashes, mem, batches, rep, o.Progress)
	close(batches)
	recErr := <-recordsDone
	switch {
	case treeErr != nil && recErr != nil:
		var tp, rp *LogProblem
		if errors.As(treeErr, &tp) && errors.As(recErr, &rp) && rp.index < tp.index {
			return nil, recErr
		}
		return nil, treeErr
	case treeErr != nil:
		return nil, treeErr
	case recErr != nil:
		return nil, recErr
	}

	// The checkpoints: gapless, signed, and each the root of its prefix.
	cps, err := r.query(ctx, `SELECT seq, size, root_hash, note FROM log_checkpoints ORDER BY seq`)
	if err != nil {
		return nil, err
	}
	defer cps.Close()
	var last int64 = -1
	for cps.Next() {
		var seq, size int64
		var root, text string
		if err := cps.Scan(&seq, &size, &root, &text); err != nil {
			return nil, err
		}
		if seq != rep.Checkpoints {
			return nil, problemf("checkpoint %d: missing (the next stored one is %d)", rep.Checkpoints, seq)
		}
		n, err := note.Open([]byte(text), verifiers)
		if err != nil {
			return nil, problemf("checkpoint %d: signature: %v", seq, err)
		}
		lines := strings.SplitN(n.Text, "\n", 4)
		if len(lines) != 4 || lines[3] != "" || lines[1] != strconv.FormatInt(size, 10) || lines[2] != root {
			return nil, problemf("checkpoint %d: its note says %q, its columns size %d root %s", seq, n.Text, size, root)
		}
		if rep.Origin == "" {
			rep.Origin = lines[0]
		} else if lines[0] != rep.Origin {
			return nil, problemf("checkpoint %d: origin %q, earlier ones %q", seq, lines[0], rep.Origin)
		}
		if size < last {
			return nil, problemf("checkpoint %d: size %d is smaller than the one before (%d)", seq, size, last)
		}
		if size > rep.Leaves {
			return nil, problemf("checkpoint %d: covers %d leaves, the tree has %d: leaf %d is missing", seq, size, rep.Leaves, rep.Leaves)
		}
		want, err := treeHash(size, mem)
		if err != nil {
			return nil, err
		}
		if want.String() != root {
			return nil, problemf("checkpoint %d: root %s is not the root of the first %d leaves (%s)", seq, root, size, want)
		}
		last, rep.Size, rep.RootHash = size, size, root
		rep.Checkpoints++
	}
	if err := cps.Err(); err != nil {
		return nil, err
	}
	if rep.Checkpoints == 0 && rep.Leaves > 0 {
		return nil, problemf("checkpoint 0: missing, yet %d leaves are in the tree", rep.Leaves)
	}
	if rep.Size != rep.Leaves {
		return nil, problemf("checkpoint %d: missing: the latest stored one covers %d leaves, the tree has %d", rep.Checkpoints, rep.Size, rep.Leaves)
	}
	if id, _, err := nextStored(); err != nil {
		return nil, err
	} else if id >= 0 {
		return nil, problemf("stored tree hash %d belongs to no leaf", id)
	}
	if err := verifyLeafKeys(ctx, r, hashes, rep.Leaves); err != nil {
		return nil, err
	}
	if err := r.queryRow(ctx, `SELECT COUNT(*) FROM log_leaves l WHERE NOT EXISTS (SELECT 1 FROM log_index i WHERE i.leaf_seq = l.seq)`).Scan(&rep.Pending); err != nil {
		return nil, err
	}
	return rep, nil
}

// logVerifiers are the note verifiers of the given keys, or of the log
// keys stored in the database under the log's origin.
func logVerifiers(ctx context.Context, db *DB, vkeys []string) (note.Verifiers, error) {
	if len(vkeys) == 0 {
		origin, err := firstOrigin(ctx, db.reader())
		if err != nil || origin == "" {
			return note.VerifierList(), err
		}
		admin := omadata.NewContextWithCaller(ctx, omadata.Caller{Kind: omadata.CallerAdmin})
		ks, err := New(db).FindSigningKeys(admin)
		if err != nil {
			return nil, err
		}
		if vkeys, err = keys.LogVerifierKeys(ks, origin); err != nil {
			return nil, err
		}
	}
	var vs []note.Verifier
	for _, k := range vkeys {
		v, err := note.NewVerifier(strings.TrimSpace(k))
		if err != nil {
			return nil, fmt.Errorf("verifier key %q: %w", k, err)
		}
		vs = append(vs, v)
	}
	return note.VerifierList(vs...), nil
}

// verifyBatch is how many leaves' records are read in one query per kind.
const verifyBatch = 500

type leafRecord struct {
	index int64
	leaf  *omadata.LogLeaf
}

// verifyRecords reads the records a batch of leaves commits to and checks
// each digest, and with a keyring each commitment to a resident.
func verifyRecords(ctx context.Context, r reader, kr omadata.Keyring, batch []*leafRecord, rep *LogReport) error {
	byKind := map[string][]*leafRecord{}
	for _, lr := range batch {
		byKind[lr.leaf.RecordKind] = append(byKind[lr.leaf.RecordKind], lr)
	}
	keys := map[string][]byte{} // resident → log key; nil when erased
	for kind, list := range byKind {
		ids := make([]any, len(list))
		for i, lr := range list {
			ids[i] = lr.leaf.Record
		}
		digests, residents, err := recordDigests(ctx, r, kind, ids)
		if err != nil {
			return err
		}
		for _, lr := range list {
			d, ok := digests[lr.leaf.Record]
			if !ok {
				return leafProblemf(lr.index, "its %s %s is missing", kind, lr.leaf.Record)
			} else if d != lr.leaf.RecordSHA256 {
				return leafProblemf(lr.index, "its %s %s is altered (digest %s, the leaf committed to %s)", kind, lr.leaf.Record, d, lr.leaf.RecordSHA256)
			}
			rep.Records++
			if kr == nil || lr.leaf.Subject == "" {
				continue
			}
			rid := residents[lr.leaf.Record]
			key, seen := keys[rid]
			if !seen {
				if key, err = findResidentLogKey(ctx, r, kr, rid); err != nil {
					return err
				}
				keys[rid] = key
			}
			if key == nil {
				rep.Unlinkable++
				continue
			}
			if omadata.SubjectCommitment(key, lr.leaf.Record) != lr.leaf.Subject {
				return leafProblemf(lr.index, "its commitment does not match the resident of %s %s", kind, lr.leaf.Record)
			}
			rep.Commitments++
		}
	}
	return nil
}

// recordDigests recomputes the digests of records of one kind, and names
// the resident of each.
func recordDigests(ctx context.Context, r reader, kind string, ids []any) (map[string]string, map[string]string, error) {
	in := "(" + placeholders(len(ids)) + ")"
	digests, residents := map[string]string{}, map[string]string{}
	var query string
	var scan func(row interface{ Scan(...any) error }) error
	switch kind {
	case omadata.RecordConsent:
		query = `SELECT id, consent_id, seq, status, prev_hash, hash, actor_kind, actor_id, actor_role, subject_id, notice_sha256, notice_language,
			collection_method, valid_from, valid_until, reason, created_at FROM consent_records WHERE id IN ` + in
		scan = func(row interface{ Scan(...any) error }) error {
			var rec omadata.ConsentRecord
			var subject string
			if err := row.Scan(&rec.ID, &rec.ConsentID, &rec.Seq, &rec.Status, &rec.PrevHash, &rec.Hash, &rec.ActorKind, &rec.ActorID, &rec.ActorRole,
				&subject, &rec.NoticeSHA256, &rec.NoticeLanguage, &rec.CollectionMethod, NullTime{&rec.ValidFrom}, NullTime{&rec.ValidUntil},
				&rec.Reason, Time{&rec.CreatedAt}); err != nil {
				return err
			}
			d := omadata.ConsentRecordHash(subject, &rec)
			if d != rec.Hash {
				d = "altered:" + d // the chain hash itself no longer matches the row
			}
			digests[rec.ID], residents[rec.ID] = d, subject
			return nil
		}
	case omadata.RecordDecision:
		query = `SELECT id, decided_at, caller_id, sink_id, source_id, resident_id, purpose_id, data_group_ids, processing_id, version_id,
			permit, consent_id, legal_basis, reason FROM decisions WHERE id IN ` + in
		scan = func(row interface{ Scan(...any) error }) error {
			var id, caller, sink, source, resident, purpose, processing, version, consent, basis, reason string
			var at time.Time
			var groups []string
			var permit bool
			if err := row.Scan(&id, Time{&at}, &caller, &sink, &source, &resident, &purpose, jsonScan{&groups}, &processing, &version,
				&permit, &consent, &basis, &reason); err != nil {
				return err
			}
			digests[id] = decisionDigest(id, at, caller, sink, source, resident, purpose, groups, processing, version, permit, consent, basis, reason)
			residents[id] = resident
			return nil
		}
	case omadata.RecordGrant:
		query = `SELECT id, decision_id, sink_id, source_id, resident_id, processing_id, purpose_id, data_group_ids, consent_id, jkt,
			issued_at, expires_at FROM grants WHERE id IN ` + in
		scan = func(row interface{ Scan(...any) error }) error {
			var id, decision, sink, source, resident, processing, purpose, consent, jkt string
			var groups []string
			var issued, expires time.Time
			if err := row.Scan(&id, &decision, &sink, &source, &resident, &processing, &purpose, jsonScan{&groups}, &consent, &jkt,
				Time{&issued}, Time{&expires}); err != nil {
				return err
			}
			digests[id] = grantDigest(id, decision, sink, source, resident, processing, purpose, groups, consent, jkt, issued, expires)
			residents[id] = resident
			return nil
		}
	case omadata.RecordTransfer:
		query = `SELECT id, grant_id, decision_id, sink_id, source_id, resident_id, data_group_ids, x_road_id, x_road_request_hash,
			transferred_at FROM transfers WHERE id IN ` + in
		scan = func(row interface{ Scan(...any) error }) error {
			var id, grant, decision, sink, source, resident, xroad, xhash string
			var groups []string
			var at time.Time
			if err := row.Scan(&id, &grant, &decision, &sink, &source, &resident, jsonScan{&groups}, &xroad, &xhash, Time{&at}); err != nil {
				return err
			}
			digests[id] = transferDigest(id, grant, decision, sink, source, resident, groups, xroad, xhash, at)
			residents[id] = resident
			return nil
		}
	case omadata.RecordRelay:
		query = `SELECT r.id, r.operator_id, r.kind, r.sink_id, r.source_id, r.resident_id, r.purpose_id, r.data_group_ids, r.decision, r.reason,
			r.peer_record, c.body, r.created_at FROM network_relays r JOIN network_calls c ON c.id = r.call_id WHERE r.id IN ` + in
		scan = func(row interface{ Scan(...any) error }) error {
			var id, operator, kind, sink, source, resident, purpose, decision, reason, peerRecord, answer string
			var groups []string
			var at time.Time
			if err := row.Scan(&id, &operator, &kind, &sink, &source, &resident, &purpose, jsonScan{&groups}, &decision, &reason, &peerRecord,
				&answer, Time{&at}); err != nil {
				return err
			}
			digests[id] = relayDigest(id, operator, kind, sink, source, resident, purpose, groups, decision, reason, peerRecord, answer, at, nil)
			residents[id] = resident
			return nil
		}
	case omadata.RecordAdminChange:
		query = `SELECT id, actor_id, action, target_kind, target_id, details, created_at FROM admin_changes WHERE id IN ` + in
		scan = func(row interface{ Scan(...any) error }) error {
			var id, actor, action, targetKind, targetID, details string
			var at time.Time
			if err := row.Scan(&id, &actor, &action, &targetKind, &targetID, &details, Time{&at}); err != nil {
				return err
			}
			digests[id] = adminChangeDigest(id, actor, action, targetKind, targetID, details, at)
			return nil
		}
	case omadata.RecordRequest:
		query = `SELECT r.id, r.request_id, r.seq, q.kind, r.status, r.step, r.due_at, r.actor_kind, r.actor_id, r.task_id, q.processing_id, r.created_at, q.resident_id
			FROM request_records r JOIN requests q ON q.id = r.request_id WHERE r.id IN ` + in
		scan = func(row interface{ Scan(...any) error }) error {
			var id, request, kind, status, step, actorKind, actorID, task, resident string
			var processing sql.NullString
			var seq int
			var at time.Time
			var due *time.Time
			if err := row.Scan(&id, &request, &seq, &kind, &status, &step, NullTime{&due}, &actorKind, &actorID, &task, &processing, Time{&at}, &resident); err != nil {
				return err
			}
			digests[id] = requestRecordDigest(id, request, seq, kind, status, actorKind, actorID, task, processing.String, at)
			if step != "" && due != nil {
				digests[id] = requestStepDigest(id, request, seq, kind, status, step, actorKind, actorID, processing.String, *due, at)
			}
			residents[id] = resident
			return nil
		}
	default:
		return nil, nil, fmt.Errorf("no digest for record kind %q", kind) // leafKindKnown refused it first
	}
	rows, err := r.query(ctx, query, ids...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return nil, nil, err
		}
	}
	return digests, residents, rows.Err()
}

// verifyLeafKeys checks that log_leaf_keys, which finds leaves by hash,
// has exactly one row per leaf in the tree, with its leaf hash's key. It
// reads the table in key order, so it names the lowest leaf it finds wrong.
func verifyLeafKeys(ctx context.Context, r reader, hashes []tlog.Hash, leaves int64) error {
	rows, err := r.query(ctx, `SELECT part, hash_key, idx FROM log_leaf_keys`)
	if err != nil {
		return err
	}
	defer rows.Close()
	seen := make([]bool, leaves)
	var first *LogProblem // about the lowest leaf
	var stray error       // a row of no leaf in the tree
	keep := func(p error) {
		if lp := p.(*LogProblem); first == nil || lp.index < first.index {
			first = lp
		}
	}
	for rows.Next() {
		var k leafKey
		if err := rows.Scan(&k.part, &k.hashKey, &k.idx); err != nil {
			return err
		}
		switch {
		case k.idx < 0 || k.idx >= leaves:
			if stray == nil {
				stray = problemf("hash key %d names leaf %d; the tree has %d leaves", k.hashKey, k.idx, leaves)
			}
		case seen[k.idx]:
			keep(leafProblemf(k.idx, "its hash key appears twice"))
		case k != newLeafKey(k.idx, hashes[tlog.StoredHashIndex(0, k.idx)]):
			keep(leafProblemf(k.idx, "its hash key (%d in part %d) is not its leaf hash's", k.hashKey, k.part))
		default:
			seen[k.idx] = true
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if i := slices.Index(seen, false); i >= 0 {
		keep(leafProblemf(int64(i), "its hash key is missing"))
	}
	if first != nil {
		return first
	}
	return stray
}

// verifyTree walks the indexed leaves in order, recomputing the stored
// hashes, and hands their records to batches.
func verifyTree(ctx context.Context, leaves *sql.Rows, nextStored func() (int64, []byte, error), hashesp *[]tlog.Hash, mem tlog.HashReader,
	batches chan<- []*leafRecord, rep *LogReport, progress func(int64)) error {
	var batch []*leafRecord
	for leaves.Next() {
		var idx, seq int64
		var hash string
		var data, kind, recordKind, recordID sql.NullString
		if err := leaves.Scan(&idx, &seq, &hash, &data, &kind, &recordKind, &recordID); err != nil {
			return err
		}
		n := rep.Leaves
		if idx != n {
			return leafProblemf(n, "missing from the tree (the next indexed leaf is %d)", idx)
		}
		if !data.Valid {
			return leafProblemf(n, "its stored leaf (sequence %d) is missing", seq)
		}
		leafHash := tlog.RecordHash([]byte(data.String))
		if leafHash.String() != hash {
			return leafProblemf(n, "altered: its bytes hash to %s, the index says %s", leafHash, hash)
		}
		leaf, err := omadata.ParseLogLeaf([]byte(data.String))
		if err != nil {
			return leafProblemf(n, "%v", err)
		}
		if leaf.Kind != kind.String || leaf.RecordKind != recordKind.String || leaf.Record != recordID.String {
			return leafProblemf(n, "its columns (%s %s %s) disagree with its bytes", kind.String, recordKind.String, recordID.String)
		}
		if !leafKindKnown(leaf) {
			return leafProblemf(n, "its kind %q (record kind %q) is unknown to this version of omadata, which cannot check it; verify with the version that wrote it", leaf.Kind, leaf.RecordKind)
		}
		computed, err := tlog.StoredHashes(n, []byte(data.String), mem)
		if err != nil {
			return err
		}
		for _, h := range computed {
			id, b, err := nextStored()
			if err != nil {
				return err
			}
			want := int64(len(*hashesp))
			switch {
			case id < 0 || id > want:
				return leafProblemf(n, "stored tree hash %d is missing", want)
			case id < want:
				return leafProblemf(n, "stored tree hash %d appears twice", id)
			case string(b) != string(h[:]):
				return leafProblemf(n, "stored tree hash %d is altered", id)
			}
			*hashesp = append(*hashesp, h)
		}
		batch = append(batch, &leafRecord{index: n, leaf: leaf})
		if len(batch) == verifyBatch {
			batches <- batch
			batch = nil
		}
		rep.Leaves++
		if progress != nil && rep.Leaves%100000 == 0 {
			progress(rep.Leaves)
		}
	}
	if err := leaves.Err(); err != nil {
		return err
	}
	if len(batch) > 0 {
		batches <- batch
	}
	return nil
}

// Leaf kinds by family: consent leaves are "consent." and the record's
// status, request leaves "request." and the request's kind and status,
// admin leaves "admin." and the change's action.
var (
	leafConsentStatuses = []string{omadata.ConsentRequested, omadata.ConsentGiven, omadata.ConsentRefused, omadata.ConsentSuspended,
		omadata.ConsentWithdrawn, omadata.ConsentRevoked, omadata.ConsentExpired}
	leafRequestStatuses = []string{omadata.RequestReceived, omadata.RequestInProgress, omadata.RequestCompleted, omadata.RequestRejected,
		omadata.RequestPending, omadata.RequestUpheld, omadata.RequestLifted}
	// leafRequestSteps are the steps of a request that are not moves.
	leafRequestSteps = []string{"extended"}
)

// leafKindKnown reports whether this version writes leaves of l's kind
// and record kind, and so knows how to check the record behind it. A leaf
// it does not know fails verification rather than passing unchecked.
func leafKindKnown(l *omadata.LogLeaf) bool {
	family, rest, _ := strings.Cut(l.Kind, ".")
	switch l.RecordKind {
	case omadata.RecordConsent:
		return family == "consent" && slices.Contains(leafConsentStatuses, rest)
	case omadata.RecordDecision:
		return l.Kind == omadata.LeafDecisionPermit
	case omadata.RecordGrant:
		return l.Kind == omadata.LeafGrantIssued
	case omadata.RecordTransfer:
		return l.Kind == omadata.LeafTransferRecorded
	case omadata.RecordRequest:
		kind, status, _ := strings.Cut(rest, ".")
		return family == "request" && slices.Contains(requestKinds, kind) && (slices.Contains(leafRequestStatuses, status) || slices.Contains(leafRequestSteps, status))
	case omadata.RecordRelay:
		return l.Kind == omadata.LeafGrantRelayed || l.Kind == omadata.LeafDecisionRelayed
	case omadata.RecordAdminChange:
		// Actions are words joined by dots (service.created,
		// signing_key.rotated); the record's digest covers the action.
		return family == "admin" && adminAction(rest)
	}
	return false
}

func adminAction(s string) bool {
	for _, w := range strings.Split(s, ".") {
		if w == "" || strings.Trim(w, "abcdefghijklmnopqrstuvwxyz_") != "" {
			return false
		}
	}
	return true
}
