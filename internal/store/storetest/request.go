// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/keys"
	"github.com/omadata/omadata/internal/store"
)

// requestFixture is a decision fixture with a public-task processing of
// the sink beside its consent-based one.
type requestFixture struct {
	*decisionFixture
	task *omadata.Processing
}

func newRequestFixture(t *testing.T, s *store.Store) *requestFixture {
	t.Helper()
	f := &requestFixture{decisionFixture: newDecisionFixture(t, s)}
	f.task = f.processing(t, "research-task", "research", omadata.BasisPublicTask, f.n.Loans.ID)
	return f
}

// askTask asks whether the sink may receive loans for research, answered
// on the public-task processing.
func (f *requestFixture) askTask(t *testing.T, psn string) *omadata.Decision {
	t.Helper()
	q := f.question(psn)
	q.PurposeID = Purpose(t, f.s, "research").ID
	return must[*omadata.Decision](t)(f.s.Decide(As(f.n.Sink.ID), q))
}

// leafKinds returns the kinds of the log leaves that commit to the
// records of a request, in order.
func leafKinds(t *testing.T, s *store.Store, requestID string) []string {
	t.Helper()
	rows := must[[][]string](t)(s.DB().QueryStrings(context.Background(),
		`SELECT l.kind FROM log_leaves l JOIN request_records r ON r.id = l.record_id WHERE r.request_id = ? AND l.record_kind = ? ORDER BY l.seq`,
		requestID, omadata.RecordRequest))
	var out []string
	for _, r := range rows {
		out = append(out, r[0])
	}
	return out
}

func wantKinds(t *testing.T, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("got leaves %v, want %v", got, want)
	}
}

func scalar(t *testing.T, s *store.Store, query string, args ...any) string {
	t.Helper()
	rows := must[[][]string](t)(s.DB().QueryStrings(context.Background(), query, args...))
	if len(rows) == 0 {
		return ""
	}
	return rows[0][0]
}

// testRequestObjection: an objection to a public-task processing makes its
// decisions deny from the moment it is made until it is resolved, and the
// log shows each step.
func testRequestObjection(t *testing.T, s *store.Store) {
	f := newRequestFixture(t, s)
	r, psn := f.resident(t)
	wantDecision(t, s, f.askTask(t, psn), "permit", "")

	q := must[*omadata.Request](t)(s.CreateRequest(AsResident(r.ID), &omadata.RequestInput{
		Kind: omadata.RequestObjection, ProcessingID: f.task.ID, Details: "I do not want my loans used for research.",
	}))
	if q.Status != omadata.RequestPending || q.ResidentID != r.ID || len(q.Records) != 1 {
		t.Fatalf("got %+v, want a pending objection with one record", q)
	}
	if due := omadata.RequestDue(q.CreatedAt, 1); !q.DueAt.Equal(due) {
		t.Fatalf("got due %v, want %v", q.DueAt, due)
	}
	wantDecision(t, s, f.askTask(t, psn), "deny", omadata.DenyObjection)
	wantKinds(t, leafKinds(t, s, q.ID), "request.objection.pending")
	if n := scalar(t, s, `SELECT COUNT(*) FROM outbox WHERE service_id = ? AND type = ?`, f.n.Sink.ID, "request.objection.pending"); n != "1" {
		t.Fatalf("got %s webhooks to the sink, want 1", n)
	}

	// A second one on the same processing is a conflict; the first stands.
	_, err := s.CreateRequest(AsResident(r.ID), &omadata.RequestInput{Kind: omadata.RequestObjection, ProcessingID: f.task.ID})
	wantField(t, err, omadata.ECONFLICT, "processing_id")

	// Only an admin resolves; the resident may lift.
	_, err = s.ResolveRequest(AsResident(r.ID), q.ID, &omadata.RequestResolution{Status: omadata.RequestUpheld})
	wantCode(t, err, omadata.EFORBIDDEN)
	q = must[*omadata.Request](t)(s.ResolveRequest(Admin(), q.ID, &omadata.RequestResolution{Status: omadata.RequestUpheld, Note: "Art 21(1): no compelling grounds."}))
	wantDecision(t, s, f.askTask(t, psn), "deny", omadata.DenyObjection)
	_, err = s.ResolveRequest(Admin(), q.ID, &omadata.RequestResolution{Status: omadata.RequestRejected})
	wantField(t, err, omadata.ECONFLICT, "status")
	q = must[*omadata.Request](t)(s.ResolveRequest(AsResident(r.ID), q.ID, &omadata.RequestResolution{Status: omadata.RequestLifted}))
	wantDecision(t, s, f.askTask(t, psn), "permit", "")
	wantKinds(t, leafKinds(t, s, q.ID), "request.objection.pending", "request.objection.upheld", "request.objection.lifted")
	if len(q.Records) != 3 || q.Records[2].Status != omadata.RequestLifted || q.Records[2].ActorKind != "resident" {
		t.Fatalf("got records %+v, want three ending lifted by the resident", q.Records)
	}

	t.Run("restriction rejected", func(t *testing.T) {
		r, psn := f.resident(t)
		q := must[*omadata.Request](t)(s.CreateRequest(AsResident(r.ID), &omadata.RequestInput{Kind: omadata.RequestRestriction, ProcessingID: f.task.ID}))
		wantDecision(t, s, f.askTask(t, psn), "deny", omadata.DenyRestriction)
		must[*omadata.Request](t)(s.ResolveRequest(Admin(), q.ID, &omadata.RequestResolution{Status: omadata.RequestRejected}))
		wantDecision(t, s, f.askTask(t, psn), "permit", "")
		wantKinds(t, leafKinds(t, s, q.ID), "request.restriction.pending", "request.restriction.rejected")
	})

	t.Run("restriction upheld blocks until lifted", func(t *testing.T) {
		r, psn := f.resident(t)
		q := must[*omadata.Request](t)(s.CreateRequest(AsResident(r.ID), &omadata.RequestInput{Kind: omadata.RequestRestriction, ProcessingID: f.task.ID}))
		wantDecision(t, s, f.askTask(t, psn), "deny", omadata.DenyRestriction)
		must[*omadata.Request](t)(s.ResolveRequest(Admin(), q.ID, &omadata.RequestResolution{Status: omadata.RequestUpheld, Note: "Accuracy contested."}))
		wantDecision(t, s, f.askTask(t, psn), "deny", omadata.DenyRestriction)
		must[*omadata.Request](t)(s.ResolveRequest(Admin(), q.ID, &omadata.RequestResolution{Status: omadata.RequestLifted, Note: "Corrected."}))
		wantDecision(t, s, f.askTask(t, psn), "permit", "")
	})

	t.Run("bad input changes nothing", func(t *testing.T) {
		r, _ := f.resident(t)
		before := rowCount(t, s, "requests")
		beforeObj := rowCount(t, s, "objections")
		beforeLeaves := rowCount(t, s, "log_leaves")
		for _, tt := range []struct {
			name  string
			in    omadata.RequestInput
			code  string
			field string
		}{
			{"no kind", omadata.RequestInput{}, omadata.EINVALID, "kind"},
			{"bad kind", omadata.RequestInput{Kind: "delete"}, omadata.EINVALID, "kind"},
			{"no processing", omadata.RequestInput{Kind: omadata.RequestObjection}, omadata.EINVALID, "processing_id"},
			{"processing on access", omadata.RequestInput{Kind: omadata.RequestAccess, ProcessingID: f.task.ID}, omadata.EINVALID, "processing_id"},
			{"consent processing", omadata.RequestInput{Kind: omadata.RequestObjection, ProcessingID: f.n.Processing.ID}, omadata.EINVALID, "processing_id"},
			{"unknown processing", omadata.RequestInput{Kind: omadata.RequestObjection, ProcessingID: omadata.NewID(omadata.PrefixProcessing)}, omadata.ENOTFOUND, "processing_id"},
			{"rectification without details", omadata.RequestInput{Kind: omadata.RequestRectification}, omadata.EINVALID, "details"},
			{"identity code in details", omadata.RequestInput{Kind: omadata.RequestAccess, Details: "I am " + AdultCode}, omadata.EINVALID, "details"},
			{"someone else", omadata.RequestInput{Kind: omadata.RequestAccess, OnBehalfOf: f.n.Sink.ID}, omadata.EINVALID, "on_behalf_of"},
			{"not represented", omadata.RequestInput{Kind: omadata.RequestAccess, OnBehalfOf: "res_00000000000000000000000000"}, omadata.ENOTFOUND, "on_behalf_of"},
		} {
			_, err := s.CreateRequest(AsResident(r.ID), &tt.in)
			wantField(t, err, tt.code, tt.field)
		}
		_, err := s.CreateRequest(As(f.n.Sink.ID), &omadata.RequestInput{Kind: omadata.RequestAccess})
		wantCode(t, err, omadata.EFORBIDDEN)
		if rowCount(t, s, "requests") != before || rowCount(t, s, "objections") != beforeObj || rowCount(t, s, "log_leaves") != beforeLeaves {
			t.Fatal("a refused request changed something")
		}
	})
}

// testRequestVisibility: residents see their own requests and those of
// people they represent; services see only their tasks.
func testRequestVisibility(t *testing.T, s *store.Store) {
	n := CreateNetwork(t, s)
	child := ChildBornOn(time.Date(2015, 3, 4, 0, 0, 0, 0, time.UTC))
	must[*omadata.Representation](t)(s.CreateRepresentation(Admin(), &omadata.RepresentationInput{
		Kind: omadata.RepGuardian, RepresentativeIdentityCode: AdultCode, PrincipalIdentityCode: child, Basis: "population register",
	}))
	guardian, ward, other := CreateResident(t, s, AdultCode), CreateResident(t, s, child), CreateResident(t, s, AdultCode2)
	q := must[*omadata.Request](t)(s.CreateRequest(AsResident(guardian.ID), &omadata.RequestInput{Kind: omadata.RequestAccess, OnBehalfOf: ward.ID}))
	if q.ResidentID != ward.ID || q.Records[0].ActorID != guardian.ID {
		t.Fatalf("got %+v, want the ward's request made by the guardian", q)
	}
	must[*omadata.Request](t)(s.FindRequestByID(AsResident(ward.ID), q.ID))
	must[*omadata.Request](t)(s.FindRequestByID(Admin(), q.ID))
	for name, ctx := range map[string]context.Context{"other resident": AsResident(other.ID), "service": As(n.Source.ID)} {
		if _, err := s.FindRequestByID(ctx, q.ID); omadata.ErrorCode(err) != omadata.ENOTFOUND {
			t.Fatalf("%s: got %v, want not found", name, err)
		}
	}
	list, _, err := s.FindRequests(AsResident(guardian.ID), omadata.RequestFilter{ResidentID: &ward.ID})
	if err != nil || len(list) != 1 {
		t.Fatalf("guardian's list of the ward: %v, %v", list, err)
	}
	if list, _, _ := s.FindRequests(AsResident(other.ID), omadata.RequestFilter{}); len(list) != 0 {
		t.Fatalf("got %d requests of another resident, want none", len(list))
	}
	_, _, err = s.FindRequests(AsResident(other.ID), omadata.RequestFilter{ResidentID: &ward.ID})
	wantField(t, err, omadata.ENOTFOUND, "resident_id")
	_, _, err = s.FindRequests(As(n.Sink.ID), omadata.RequestFilter{})
	wantCode(t, err, omadata.EFORBIDDEN)
	_, err = s.ExportResident(AsResident(other.ID), q.ID)
	wantCode(t, err, omadata.ENOTFOUND)
}

// testRequestRectification: a rectification goes to the sources that hold
// the resident's data, and completes when they have answered.
func testRequestRectification(t *testing.T, s *store.Store) {
	f := newRequestFixture(t, s)
	r, _ := f.resident(t)
	srcPsn := f.pseudonym(t, f.n.Source.ID, r.ID)
	_, err := s.CreateRequest(AsResident(r.ID), &omadata.RequestInput{Kind: omadata.RequestRectification, Details: "My loans list a book I never borrowed.",
		SourceIDs: []string{f.source2.ID}})
	wantField(t, err, omadata.EINVALID, "source_ids")
	q := must[*omadata.Request](t)(s.CreateRequest(AsResident(r.ID), &omadata.RequestInput{Kind: omadata.RequestRectification, Details: "My loans list a book I never borrowed."}))
	if q.Status != omadata.RequestInProgress || len(q.Tasks) != 1 || q.Tasks[0].ServiceID != f.n.Source.ID || q.Tasks[0].Pseudonym != srcPsn {
		t.Fatalf("got %+v, want one task to the source with its pseudonym", q)
	}
	task := q.Tasks[0]
	if tasks, _, _ := s.FindRequestTasks(As(f.n.Sink.ID), omadata.RequestTaskFilter{}); len(tasks) != 0 {
		t.Fatalf("the sink sees %d tasks, want none", len(tasks))
	}
	_, err = s.AnswerRequestTask(As(f.n.Sink.ID), task.ID, &omadata.TaskAnswer{Status: omadata.TaskCompleted})
	wantCode(t, err, omadata.ENOTFOUND)
	tasks := must2t(t)(s.FindRequestTasks(As(f.n.Source.ID), omadata.RequestTaskFilter{}))
	if len(tasks) != 1 || tasks[0].Details == "" {
		t.Fatalf("got tasks %+v, want the source's one with the details", tasks)
	}
	_, err = s.AnswerRequestTask(As(f.n.Source.ID), task.ID, &omadata.TaskAnswer{Status: "done"})
	wantField(t, err, omadata.EINVALID, "status")
	got := must[*omadata.RequestTask](t)(s.AnswerRequestTask(As(f.n.Source.ID), task.ID, &omadata.TaskAnswer{Status: omadata.TaskCompleted, Note: "Corrected."}))
	if got.Pseudonym != "" || got.CompletedAt == nil {
		t.Fatalf("got %+v, want an answered task without the pseudonym", got)
	}
	_, err = s.AnswerRequestTask(As(f.n.Source.ID), task.ID, &omadata.TaskAnswer{Status: omadata.TaskCompleted})
	wantField(t, err, omadata.ECONFLICT, "status")
	q = must[*omadata.Request](t)(s.FindRequestByID(AsResident(r.ID), q.ID))
	if q.Status != omadata.RequestCompleted {
		t.Fatalf("got status %s, want completed", q.Status)
	}
	wantKinds(t, leafKinds(t, s, q.ID), "request.rectification.received", "request.rectification.in_progress", "request.rectification.completed")
}

func must2t(t *testing.T) func([]*omadata.RequestTask, string, error) []*omadata.RequestTask {
	return func(v []*omadata.RequestTask, _ string, err error) []*omadata.RequestTask {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// checkProof verifies a served inclusion proof of the leaf whose bytes
// are leafData (base64, as served) against a checkpoint whose note it
// opens with the published key: golang.org/x/mod only.
func checkProof(t *testing.T, s *store.Store, p *omadata.InclusionProof, leafData string, cp *omadata.Checkpoint) {
	t.Helper()
	size, root, err := OpenCheckpoint([]byte(cp.Note), LogVerifierKey(t, s), LogOrigin)
	ok(t, err)
	leaf, err := base64.StdEncoding.DecodeString(leafData)
	ok(t, err)
	checkInclusion(t, p, leaf, checkpoint{size, root})
}

// verifyWholeLog integrates the log and checks every leaf's inclusion.
func verifyWholeLog(t *testing.T, s *store.Store) *omadata.Checkpoint {
	t.Helper()
	ctx := context.Background()
	integrate(t, s)
	cp := must[*omadata.Checkpoint](t)(s.LatestCheckpoint(ctx))
	for i := int64(0); i < cp.Size; i++ {
		leaf := must[*omadata.LogEntry](t)(s.LogEntryAt(ctx, i)).LeafData
		checkProof(t, s, must[*omadata.InclusionProof](t)(s.ProveInclusion(ctx, i, cp.Size)), leaf, cp)
	}
	// And what omadata log verify checks: every leaf, record and commitment.
	kr, err := keys.NewKeyring(SecretKey)
	ok(t, err)
	rep, err := store.VerifyLog(ctx, s.DB(), store.VerifyLogOptions{VerifierKeys: []string{LogVerifierKey(t, s)}, Keyring: kr})
	ok(t, err)
	if rep.Leaves != cp.Size || rep.Records != rep.Leaves {
		t.Fatalf("verify: %+v, want %d leaves with their records", rep, cp.Size)
	}
	return cp
}

// testRequestErasure: erasing a resident shreds their log key and identity,
// redacts what names their pseudonyms, sends every service that knew them a
// task, completes when all have answered, and leaves the log verifiable.
func testRequestErasure(t *testing.T, s *store.Store) {
	ctx := context.Background()
	f := newRequestFixture(t, s)
	r := CreateResident(t, s, AdultCode)
	psn := f.pseudonym(t, f.n.Sink.ID, r.ID)
	srcPsn := f.pseudonym(t, f.n.Source.ID, r.ID)
	c := f.give(t, r.ID, f.n.Processing)
	wantDecision(t, s, must[*omadata.Decision](t)(s.Decide(As(f.n.Sink.ID), f.question(psn))), "permit", "")
	must[*omadata.Representation](t)(s.CreateRepresentation(Admin(), &omadata.RepresentationInput{
		Kind: omadata.RepGuardian, RepresentativeIdentityCode: AdultCode, PrincipalIdentityCode: ChildBornOn(time.Date(2015, 3, 4, 0, 0, 0, 0, time.UTC)), Basis: "population register",
	}))
	must[*omadata.Session](t)(s.CreateSession(Admin(), r.ID, time.Hour))
	app := CreateApp(t, s)
	appTok := must[*omadata.AppToken](t)(s.ExchangeToken(ctx, codeRequest(app, authorize(t, s, r.ID, omadata.AuthorizationRequest{AppID: app.ID, RedirectURI: "http://127.0.0.1:5000/callback"}))))
	integrate(t, s)
	if n := scalar(t, s, `SELECT COUNT(*) FROM log_subjects WHERE resident_id = ?`, r.ID); n == "0" {
		t.Fatal("no log subjects before erasure")
	}
	if n := scalar(t, s, `SELECT COUNT(*) FROM outbox WHERE payload LIKE ?`, "%"+psn+"%"); n == "0" {
		t.Fatal("no outbox row names the sink's pseudonym before erasure")
	}

	q := must[*omadata.Request](t)(s.CreateRequest(AsResident(r.ID), &omadata.RequestInput{Kind: omadata.RequestErasure, Details: "Forget me."}))
	if q.Status != omadata.RequestInProgress || len(q.Tasks) != 2 {
		t.Fatalf("got %+v, want in progress with two tasks", q)
	}
	for _, tt := range []struct{ query, want string }{
		{`SELECT COUNT(*) FROM resident_log_keys WHERE resident_id = ?`, "0"},
		{`SELECT COUNT(*) FROM log_subjects WHERE resident_id = ?`, "0"},
		{`SELECT COUNT(*) FROM pseudonyms WHERE resident_id = ?`, "0"},
		{`SELECT COUNT(*) FROM sessions WHERE resident_id = ?`, "0"},
		{`SELECT COUNT(*) FROM app_connections WHERE resident_id = ?`, "0"},
		{`SELECT COUNT(*) FROM resident_identity_history WHERE resident_id = ?`, "0"},
		{`SELECT COUNT(*) FROM representations WHERE representative_id = ?`, "0"},
		{`SELECT identity_sealed || name_sealed FROM residents WHERE id = ?`, ""},
		{`SELECT COUNT(*) FROM residents WHERE id = ? AND identity_hash LIKE 'erased:%' AND erased_at IS NOT NULL`, "1"},
		{`SELECT COUNT(*) FROM requests WHERE resident_id = ? AND details <> ''`, "0"},
		{`SELECT COUNT(*) FROM consent_records WHERE consent_id IN (SELECT id FROM consents WHERE resident_id = ?) AND receipt <> 'redacted:erased'`, "0"},
	} {
		if got := scalar(t, s, tt.query, r.ID); got != tt.want {
			t.Fatalf("%s: got %q, want %q", tt.query, got, tt.want)
		}
	}
	wantAppAuth(t, s, appTok.AccessToken, false)
	_, err := s.FindResidentByIdentityCode(Admin(), AdultCode)
	wantCode(t, err, omadata.ENOTFOUND)
	_, err = s.FindResidentByID(Admin(), r.ID)
	wantCode(t, err, omadata.ENOTFOUND)
	_, err = s.Pseudonym(Admin(), f.n.Sink.ID, r.ID)
	wantCode(t, err, omadata.ENOTFOUND)
	if d, err := s.Decide(As(f.n.Sink.ID), f.question(psn)); err == nil && d.Decision == "permit" {
		t.Fatal("a decision on an erased resident's pseudonym permits")
	}

	// The consent chain still verifies: receipts are outside its hashes.
	full := must[*omadata.Consent](t)(s.FindConsentByID(Admin(), c.ID))
	ok(t, omadata.VerifyConsentChain(r.ID, full.Records))
	// Its live consents ended with the erasure: revoked by the system,
	// citing the request, the receipt redacted like the others.
	last := full.Records[len(full.Records)-1]
	if full.Status != omadata.ConsentRevoked || last.Status != omadata.ConsentRevoked || last.ActorKind != omadata.ActorSystem ||
		!strings.Contains(last.Reason, q.ID) || last.Receipt != omadata.ReceiptRedacted {
		t.Fatalf("the erased resident's consent: %s, last record %+v", full.Status, last)
	}
	if n := scalar(t, s, `SELECT COUNT(*) FROM consents WHERE resident_id = ? AND status IN ('requested', 'given', 'suspended')`, r.ID); n != "0" {
		t.Fatalf("%s live consents after erasure", n)
	}
	if full.Records[0].Receipt != omadata.ReceiptRedacted {
		t.Fatalf("got receipt %q, want the redaction marker", full.Records[0].Receipt)
	}
	// The trigger allows that one update and nothing else.
	if err := s.DB().Exec(ctx, `UPDATE consent_records SET receipt = 'x' WHERE consent_id = ?`, c.ID); err == nil {
		t.Fatal("updated a receipt to something else than the marker")
	}
	if err := s.DB().Exec(ctx, `UPDATE consent_records SET reason = 'x', receipt = 'redacted:erased' WHERE consent_id = ?`, c.ID); err == nil {
		t.Fatal("updated a consent record's reason with its receipt")
	}

	// Only the open tasks and their webhooks name the pseudonyms.
	for _, p := range []string{psn, srcPsn} {
		if got := scalar(t, s, `SELECT COUNT(*) FROM outbox WHERE payload LIKE ? AND type <> 'request.erasure'`, "%"+p+"%"); got != "0" {
			t.Fatalf("%s outbox rows still name a pseudonym", got)
		}
	}
	tasks := map[string]*omadata.RequestTask{}
	for _, task := range q.Tasks {
		tasks[task.ServiceID] = task
	}
	if tasks[f.n.Sink.ID].Pseudonym != psn || tasks[f.n.Sink.ID].Role != omadata.RoleSink ||
		tasks[f.n.Source.ID].Pseudonym != srcPsn || tasks[f.n.Source.ID].Role != omadata.RoleSource {
		t.Fatalf("got tasks %+v, want one per service with its own pseudonym", q.Tasks)
	}
	if got := scalar(t, s, `SELECT COUNT(*) FROM outbox WHERE type = 'request.erasure'`); got != "2" {
		t.Fatalf("got %s erasure webhooks, want 2", got)
	}
	_, err = s.ResolveRequest(Admin(), q.ID, &omadata.RequestResolution{Status: omadata.RequestCompleted})
	wantField(t, err, omadata.ECONFLICT, "status")

	must[*omadata.RequestTask](t)(s.AnswerRequestTask(As(f.n.Sink.ID), tasks[f.n.Sink.ID].ID, &omadata.TaskAnswer{Status: omadata.TaskCompleted}))
	if q = must[*omadata.Request](t)(s.FindRequestByID(Admin(), q.ID)); q.Status != omadata.RequestInProgress {
		t.Fatalf("got %s after one answer, want in_progress", q.Status)
	}
	must[*omadata.RequestTask](t)(s.AnswerRequestTask(As(f.n.Source.ID), tasks[f.n.Source.ID].ID, &omadata.TaskAnswer{Status: omadata.TaskCompleted}))
	if q = must[*omadata.Request](t)(s.FindRequestByID(Admin(), q.ID)); q.Status != omadata.RequestCompleted {
		t.Fatalf("got %s after every answer, want completed", q.Status)
	}
	wantKinds(t, leafKinds(t, s, q.ID), "request.erasure.received", "request.erasure.in_progress", "request.erasure.in_progress", "request.erasure.completed")

	// Nothing stored links a pseudonym to anything any more, and no leaf
	// names the resident, a pseudonym or their identity code.
	for _, p := range []string{psn, srcPsn} {
		for _, query := range []string{`SELECT COUNT(*) FROM outbox WHERE payload LIKE ?`, `SELECT COUNT(*) FROM request_tasks WHERE pseudonym LIKE ?`} {
			if got := scalar(t, s, query, "%"+p+"%"); got != "0" {
				t.Fatalf("%s: %s rows still name a pseudonym", query, got)
			}
		}
	}
	for _, needle := range []string{r.ID, psn, srcPsn, AdultCode} {
		if got := scalar(t, s, `SELECT COUNT(*) FROM log_leaves WHERE data LIKE ?`, "%"+needle+"%"); got != "0" {
			t.Fatalf("%s leaves contain %q", got, needle)
		}
	}
	verifyWholeLog(t, s)

	// Signing in again with the same code is a new resident.
	again := CreateResident(t, s, AdultCode)
	if again.ID == r.ID {
		t.Fatal("the erased resident came back")
	}
}

// testRequestExport: an access request's export holds the profile, the
// consents with their records and receipts, representations, requests and
// log entries with inclusion proofs.
func testRequestExport(t *testing.T, s *store.Store) {
	f := newRequestFixture(t, s)
	r := CreateResident(t, s, AdultCode)
	psn := f.pseudonym(t, f.n.Sink.ID, r.ID)
	c := f.give(t, r.ID, f.n.Processing)
	wantDecision(t, s, must[*omadata.Decision](t)(s.Decide(As(f.n.Sink.ID), f.question(psn))), "permit", "")
	must[*omadata.Representation](t)(s.CreateRepresentation(Admin(), &omadata.RepresentationInput{
		Kind: omadata.RepGuardian, RepresentativeIdentityCode: AdultCode, PrincipalIdentityCode: ChildBornOn(time.Date(2015, 3, 4, 0, 0, 0, 0, time.UTC)), Basis: "population register",
	}))
	obj := must[*omadata.Request](t)(s.CreateRequest(AsResident(r.ID), &omadata.RequestInput{Kind: omadata.RequestObjection, ProcessingID: f.task.ID}))
	q := must[*omadata.Request](t)(s.CreateRequest(AsResident(r.ID), &omadata.RequestInput{Kind: omadata.RequestAccess}))
	if q.Status != omadata.RequestReceived {
		t.Fatalf("got %s, want received", q.Status)
	}
	integrate(t, s)

	_, err := s.ExportResident(AsResident(r.ID), obj.ID)
	wantField(t, err, omadata.EINVALID, "kind")
	e := must[*omadata.ResidentExport](t)(s.ExportResident(AsResident(r.ID), q.ID))
	if e.Resident == nil || e.Resident.ID != r.ID || e.Resident.IdentityCode != AdultCode || e.Resident.Name == "" {
		t.Fatalf("got profile %+v, want the resident's own with code and name", e.Resident)
	}
	if len(e.Consents) != 1 || e.Consents[0].ID != c.ID || len(e.Consents[0].Records) == 0 || e.Consents[0].Records[0].Receipt == "" {
		t.Fatalf("got consents %+v, want the consent with its records and receipts", e.Consents)
	}
	if len(e.Representations) != 1 || e.Representations[0].RepresentativeID != r.ID {
		t.Fatalf("got representations %+v, want the guardianship", e.Representations)
	}
	kinds := map[string]string{}
	for _, x := range e.Requests {
		kinds[x.Kind] = x.Status
		if len(x.Records) == 0 {
			t.Fatalf("request %s has no history", x.ID)
		}
	}
	if kinds[omadata.RequestObjection] != omadata.RequestPending || kinds[omadata.RequestAccess] != omadata.RequestCompleted {
		t.Fatalf("got requests %v, want the pending objection and the completed access request", kinds)
	}
	if len(e.Usage) != 1 || e.Usage[0].Kind != omadata.LeafDecisionPermit || e.Usage[0].Log.Proof == nil {
		t.Fatalf("got usage %+v, want the permit with its proof", e.Usage)
	}
	if e.Checkpoint == nil {
		t.Fatal("no checkpoint in the export")
	}
	proven := map[string]bool{}
	for _, le := range e.LogEntries {
		if le.Proof != nil {
			checkProof(t, s, le.Proof, le.LeafData, e.Checkpoint)
			proven[le.Leaf.Kind] = true
		} else if le.Index != nil && *le.Index < e.Checkpoint.Size {
			t.Fatalf("entry %d is in the checkpoint but has no proof", *le.Index)
		}
	}
	for _, k := range []string{"consent.given", omadata.LeafDecisionPermit, "request.objection.pending", "request.access.received"} {
		if !proven[k] {
			t.Fatalf("no proven log entry of kind %s in %v", k, proven)
		}
	}
	if got := must[*omadata.Request](t)(s.FindRequestByID(AsResident(r.ID), q.ID)); got.Status != omadata.RequestCompleted {
		t.Fatalf("got %s, want completed", got.Status)
	}
	wantKinds(t, leafKinds(t, s, q.ID), "request.access.received", "request.access.completed")
}

// testRequestExportRecords: a resident downloads the same export without
// a request, and so does their guardian for the ward; no request is
// recorded, and anyone else gets not found.
func testRequestExportRecords(t *testing.T, s *store.Store) {
	f := newRequestFixture(t, s)
	child := ChildBornOn(time.Date(2015, 3, 4, 0, 0, 0, 0, time.UTC))
	must[*omadata.Representation](t)(s.CreateRepresentation(Admin(), &omadata.RepresentationInput{
		Kind: omadata.RepGuardian, RepresentativeIdentityCode: AdultCode, PrincipalIdentityCode: child, Basis: "population register",
	}))
	r, ward, other := CreateResident(t, s, AdultCode), CreateResident(t, s, child), CreateResident(t, s, AdultCode2)
	c := f.give(t, r.ID, f.n.Processing)
	integrate(t, s)

	e := must[*omadata.ResidentExport](t)(s.ExportResidentRecords(AsResident(r.ID), r.ID))
	if e.RequestID != "" || e.Resident == nil || e.Resident.ID != r.ID {
		t.Fatalf("got request %q and profile %+v, want no request and the resident's own profile", e.RequestID, e.Resident)
	}
	if len(e.Consents) != 1 || e.Consents[0].ID != c.ID || len(e.Consents[0].Records) == 0 || e.Consents[0].Records[0].Receipt == "" {
		t.Fatalf("got consents %+v, want the consent with its records and receipts", e.Consents)
	}
	if e.Checkpoint == nil || len(e.LogEntries) == 0 || e.LogEntries[0].Proof == nil {
		t.Fatalf("got log entries %+v and checkpoint %v, want them proven", e.LogEntries, e.Checkpoint)
	}
	if list, _, _ := s.FindRequests(AsResident(r.ID), omadata.RequestFilter{}); len(list) != 0 {
		t.Fatalf("got requests %+v, want none recorded by a download", list)
	}
	w := must[*omadata.ResidentExport](t)(s.ExportResidentRecords(AsResident(r.ID), ward.ID))
	if w.Resident == nil || w.Resident.ID != ward.ID {
		t.Fatalf("got %+v, want the ward's export", w.Resident)
	}
	for name, ctx := range map[string]context.Context{"other resident": AsResident(other.ID), "ward": AsResident(ward.ID), "admin": Admin(), "service": As(f.n.Source.ID)} {
		if _, err := s.ExportResidentRecords(ctx, r.ID); omadata.ErrorCode(err) != omadata.ENOTFOUND {
			t.Fatalf("%s: got %v, want not found", name, err)
		}
	}
}

// testRequestErasureEndsConsents: a consent a sink requested and the
// resident never answered lapses when the resident is erased; one given on
// another processing is revoked (testRequestErasure).
func testRequestErasureEndsConsents(t *testing.T, s *store.Store) {
	e := newConsentEnv(t, s)
	r := e.adult(t)
	req := e.request(t, r, e.n.Processing)
	q := must[*omadata.Request](t)(s.CreateRequest(AsResident(r.ID), &omadata.RequestInput{Kind: omadata.RequestErasure}))
	got := must[*omadata.Consent](t)(s.FindConsentByID(Admin(), req.ID))
	last := got.Records[len(got.Records)-1]
	if got.Status != omadata.ConsentExpired || last.ActorKind != omadata.ActorSystem || !strings.Contains(last.Reason, q.ID) {
		t.Fatalf("a requested consent after erasure: %s, %+v", got.Status, last)
	}
	ok(t, omadata.VerifyConsentChain(r.ID, got.Records))
}
