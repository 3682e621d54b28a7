// SPDX-License-Identifier: Apache-2.0

package web_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata/internal/store/storetest"
)

var updateMatrix = flag.Bool("update-matrix", false, "rewrite testdata/authz-matrix.tsv's API rows with the answers got (review the diff!)")

// matrixFile is the table of expected answers: operation, caller, owner,
// expected answer, note. The console's rows are checked by package admin.
const matrixFile = "testdata/authz-matrix.tsv"

// apiCallers are the kinds of caller, in the order the matrix runs them
// (admin last: some of its calls change what others see). Organisation
// admins and auditors have no API credential: they call with their
// console session's token, which the API does not take (their rows of
// substance are the console's).
// app-read and app-write are alice's own apps, with DPoP-bound tokens of
// scope me:read and of me:read and me:write.
var apiCallers = []string{"anonymous", "orgadmin-same", "orgadmin-other", "auditor", "resident", "guardian", "mandate", "stranger",
	"app-read", "app-write", "sink", "source", "admin"}

type matrixKey struct{ op, caller, owner string }

type matrixRow struct {
	matrixKey
	want, note string
}

// readMatrix reads the table; lines starting with # and blank ones are
// comments.
func readMatrix(t *testing.T, path string) ([]string, map[matrixKey]matrixRow) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	rows := map[matrixKey]matrixRow{}
	for i, line := range strings.Split(string(b), "\n") {
		lines = append(lines, line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) < 4 {
			t.Fatalf("%s:%d: want operation, caller, owner, expected[, note]; got %q", path, i+1, line)
		}
		r := matrixRow{matrixKey: matrixKey{f[0], f[1], f[2]}, want: f[3]}
		if len(f) > 4 {
			r.note = f[4]
		}
		if _, dup := rows[r.matrixKey]; dup {
			t.Fatalf("%s:%d: row given twice: %v", path, i+1, r.matrixKey)
		}
		rows[r.matrixKey] = r
	}
	return lines, rows
}

// answer classifies a status: "ok" for any 2xx, else the status.
func answer(status int) string {
	if status >= 200 && status < 300 {
		return "ok"
	}
	return strconv.Itoa(status)
}

func refusal(want string) bool { return want == "401" || want == "403" || want == "404" }

// servedOperations returns "METHOD /path" of every operation in the served
// /openapi.json, sorted.
func servedOperations(t *testing.T, e *env) []string {
	t.Helper()
	r := e.do(t, "GET", "/openapi.json", "", nil)
	wantStatus(t, r, 200)
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	r.decode(t, &doc)
	var ops []string
	for path, item := range doc.Paths {
		for m := range item {
			switch m {
			case "get", "put", "post", "patch", "delete":
				ops = append(ops, strings.ToUpper(m)+" "+path)
			}
		}
	}
	slices.Sort(ops)
	return ops
}

// TestAuthorizationMatrix runs every operation of the served OpenAPI
// document as every kind of API caller against records of each owner, and
// checks the answer against testdata/authz-matrix.tsv: allowed ("ok"),
// 401, 403, 404 or another status a reviewer can read there. A refused
// call must change nothing in the database. An operation without rows
// fails the test, so a new route needs its rows.
func TestAuthorizationMatrix(t *testing.T) {
	lines, table := readMatrix(t, matrixFile)
	shared := newWorld(t) // for the reads, which change nothing
	ops := servedOperations(t, shared.env)
	// The check that a refused call changed nothing must see a change.
	v := shared.dataVersion(t)
	wantStatus(t, shared.do(t, "PATCH", "/api/v1/purposes/"+shared.purpose, shared.admin, map[string]any{"name": text("Research, renamed")}), 200)
	if shared.dataVersion(t) == v {
		t.Fatal("data_version did not change after a write: the matrix could not tell a refused call that changed something")
	}
	got := map[matrixKey]string{}
	var missing []string
	for _, op := range ops {
		method, _, _ := strings.Cut(op, " ")
		t.Run(op, func(t *testing.T) {
			w := shared
			if method != "GET" {
				w = newWorld(t)
			}
			version := w.dataVersion(t)
			for _, caller := range apiCallers {
				for _, owner := range ownersOf(op) {
					k := matrixKey{op, caller, owner}
					row, ok := table[k]
					if !ok && !*updateMatrix {
						missing = append(missing, fmt.Sprintf("%s\t%s\t%s", op, caller, owner))
						continue
					}
					method, path, body := w.matrixRequest(t, op, owner)
					var before string
					if strings.HasPrefix(caller, "app-") {
						before = w.dumpWithoutProofs(t)
					}
					r := w.callAs(t, caller, method, path, body)
					got[k] = answer(r.status)
					if *updateMatrix {
						continue
					}
					if got[k] != row.want {
						t.Errorf("%s as %s on %s's: got %d, want %s; body %.300s", op, caller, owner, r.status, row.want, r.body)
					}
					after := w.dataVersion(t)
					changed := after != version
					if changed && strings.HasPrefix(caller, "app-") && w.dumpWithoutProofs(t) == before {
						changed = false // only the record of the call's DPoP proof
					}
					if refusal(got[k]) && changed {
						t.Errorf("%s as %s on %s's was refused (%d) but changed the database", op, caller, owner, r.status)
					}
					version = after
				}
			}
		})
	}
	if *updateMatrix {
		writeMatrix(t, lines, ops, got)
		return
	}
	if len(missing) > 0 {
		t.Errorf("%d cases have no row in %s; add them (with the answer they should get):\n%s", len(missing), matrixFile, strings.Join(missing, "\n"))
	}
	for k := range table {
		if strings.Contains(k.op, " /admin/") {
			continue
		}
		if !slices.Contains(ops, k.op) || !slices.Contains(apiCallers, k.caller) || !slices.Contains(ownersOf(k.op), k.owner) {
			t.Errorf("row %v names no operation, caller or owner the matrix runs", k)
		}
	}
}

// writeMatrix rewrites the API rows with the answers got, keeping notes and
// the console's rows.
func writeMatrix(t *testing.T, lines, ops []string, got map[matrixKey]string) {
	t.Helper()
	_, old := readMatrix(t, matrixFile)
	var b strings.Builder
	for _, l := range lines {
		if strings.HasPrefix(l, "#") {
			b.WriteString(l + "\n")
		}
	}
	for _, op := range ops {
		b.WriteString("\n")
		for _, caller := range apiCallers {
			for _, owner := range ownersOf(op) {
				k := matrixKey{op, caller, owner}
				line := op + "\t" + caller + "\t" + owner + "\t" + got[k]
				if r, ok := old[k]; ok && r.note != "" {
					line += "\t" + r.note
				}
				b.WriteString(line + "\n")
			}
		}
	}
	// The console's rows, as they were (TestConsoleAuthorizationMatrix
	// rewrites them).
	prev := ""
	for _, l := range lines {
		op, _, _ := strings.Cut(l, "\t")
		if strings.HasPrefix(l, "#") || !strings.Contains(op, " /admin/") {
			continue
		}
		if op != prev {
			b.WriteString("\n")
			prev = op
		}
		b.WriteString(l + "\n")
	}
	if err := os.WriteFile(matrixFile, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// ownersOf lists whose records an operation is tried on: "-" for an
// operation on no one's record (lists, public documents, creations that
// name no owner); A and B for service A's (the sink caller's) and service
// B's (the source caller's) catalogue records and organisations; self,
// alice and kid for a resident's own, alice's (whose mandate mona holds)
// and kid's (greta's ward) personal records; alice-out for alice's consent
// under a purpose her mandate does not cover.
func ownersOf(op string) []string {
	_, path, _ := strings.Cut(op, " ")
	switch {
	case strings.HasPrefix(path, "/api/v1/public/"), !strings.HasPrefix(path, "/api/v1/"):
		return []string{"-"}
	case op == "GET /api/v1/me", op == "GET /api/v1/me/representations", op == "POST /api/v1/me/representations", op == "GET /api/v1/me/apps":
		return []string{"self"} // the caller's own, whoever they represent
	case op == "DELETE /api/v1/me/apps/{id}":
		return []string{"alice"} // alice's connection of the app-read app
	case strings.HasPrefix(path, "/api/v1/me/consents/{id}"):
		return []string{"alice", "alice-out", "kid"}
	case strings.HasPrefix(path, "/api/v1/me"), op == "POST /api/v1/requests", op == "GET /api/v1/requests":
		return []string{"self", "alice", "kid"}
	case strings.HasPrefix(path, "/api/v1/requests/{id}"), strings.HasPrefix(path, "/api/v1/representations/{id}"):
		return []string{"alice", "kid"}
	case strings.HasPrefix(path, "/api/v1/services/{id}"), strings.HasPrefix(path, "/api/v1/organisations/{id}"),
		strings.HasPrefix(path, "/api/v1/data-groups/{id}"), strings.HasPrefix(path, "/api/v1/processings/{id}"),
		strings.HasPrefix(path, "/api/v1/consents/{id}"),
		op == "POST /api/v1/data-groups", op == "POST /api/v1/processings":
		return []string{"A", "B"}
	}
	return []string{"-"}
}

// dataVersion is SQLite's data_version as seen by the test's own
// connection: it changes when the server commits a change to the database
// and only then, which makes "nothing changed" cheap to check after each
// call. (TestRouteAuth and TestInvalidInputChangesNothing compare whole
// dumps.)
func (w *world) dataVersion(t *testing.T) int64 {
	t.Helper()
	var v int64
	if err := w.conn.QueryRowContext(context.Background(), `PRAGMA data_version`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// matrixRequest builds the request of an operation on owner's record: a
// path with the owner's IDs and, for writes, a body an allowed caller gets
// through with.
func (w *world) matrixRequest(t *testing.T, op, owner string) (method, path string, body any) {
	t.Helper()
	method, pattern, _ := strings.Cut(op, " ")
	pick := func(a, b string) string {
		if owner == "B" {
			return b
		}
		return a
	}
	svc := pick(w.svcA, w.svcB)
	proc := pick(w.procDraft, w.procDraftB) // drafts: editable
	switch {
	case strings.HasSuffix(pattern, "/retire"), strings.HasSuffix(pattern, "/versions") && method == "POST":
		proc = pick(w.procA, w.procB) // published
	case strings.HasSuffix(pattern, "/approve") && strings.Contains(pattern, "/versions/"):
		proc = pick(w.procTaskDraft, w.procTaskB)
	case strings.HasSuffix(pattern, "/publish"):
		proc = pick(w.procReadyA, w.procReadyB) // drafts with their notices
	case method == "GET":
		proc = pick(w.procA, w.procB)
	}
	resident := map[string]string{"alice": w.alice, "alice-out": w.alice, "kid": w.kid}[owner]
	consent := map[string]string{"A": w.consA, "B": w.consB, "alice": w.consA, "alice-out": w.consAOut, "kid": w.consKid}[owner]
	ids := map[string]string{
		"organisations":   pick(w.org, w.org2),
		"services":        svc,
		"purposes":        w.purpose,
		"data-groups":     pick(w.dgA, w.dgB),
		"processings":     proc,
		"ai-systems":      w.ai,
		"admin-tokens":    w.adminID,
		"consents":        consent,
		"representations": map[string]string{"alice": w.repMandate, "kid": w.repGuardian}[owner],
		"requests":        map[string]string{"alice": w.reqAlice, "kid": w.reqKid}[owner],
		"deliveries":      "evt_0000000000000000000000000a",
		"grants":          "grt_0000000000000000000000000a",
		"request-tasks":   "rqt_0000000000000000000000000a",
		"apps":            w.app,
		"forks":           "wfk_0000000000000000000000000a",
	}
	if strings.HasPrefix(pattern, "/api/v1/me/apps/") {
		ids["apps"] = w.appConn
	}
	path = fillPattern(t, pattern, ids, map[string]string{
		"{credential_id}": pick(w.credA, w.credB), // not the callers' own
		"{processing_id}": w.procA,
		"{size}":          w.checkpointSize(t),
	})
	q := patternQuery(pattern)
	if method == "GET" && resident != "" && strings.HasPrefix(pattern, "/api/v1/me") && !strings.HasPrefix(pattern, "/api/v1/me/consents/{id}") {
		q.Set("on_behalf_of", resident)
	}
	if op == "GET /api/v1/requests" && resident != "" {
		q.Set("resident_id", resident)
	}
	if op == "DELETE /api/v1/admin/witness/logs" {
		q.Set("origin", matrixWitnessedOrigin)
		q.Set("reason", "the matrix")
	}
	// /me/consents/{id} takes no on_behalf_of: the store finds the consent
	// among those the caller may see, its own or a principal's.
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	if method == "GET" {
		return method, path, nil
	}
	return method, path, w.matrixBody(op, owner, resident, svc)
}

// checkpointSize is the size of the log's latest checkpoint.
func (w *world) checkpointSize(t *testing.T) string {
	t.Helper()
	cp, err := w.store.LatestCheckpoint(adminCtx())
	if err != nil {
		t.Fatal(err)
	}
	return strconv.FormatInt(cp.Size, 10)
}

// matrixBody is a body an allowed caller gets through with.
func (w *world) matrixBody(op, owner, resident, svc string) any {
	dg := w.dgA
	if owner == "B" {
		dg = w.dgB
	}
	until := time.Now().AddDate(1, 0, 0).UTC().Format(time.RFC3339)
	switch op {
	case "POST /api/v1/organisations":
		return map[string]any{"kind": "company", "name": map[string]string{"fi": "Uusi Oy"}, "business_id": businessID("7654321"),
			"email": "info@example.fi", "privacy_policy_url": "https://example.fi/privacy", "dpo": map[string]string{"name": "DPO", "email": "dpo@example.fi"}}
	case "PATCH /api/v1/organisations/{id}":
		return map[string]any{"email": "kirjaamo2@example.fi"}
	case "POST /api/v1/services":
		return map[string]any{"organisation_id": w.org, "name": text("New service"), "roles": []string{"sink"}}
	case "PATCH /api/v1/services/{id}":
		return map[string]any{"description": text("Changed description")}
	case "POST /api/v1/services/{id}/credentials":
		return map[string]any{"name": "matrix", "scopes": []string{"catalogue:read"}}
	case "POST /api/v1/purposes":
		return map[string]any{"code": "matrix-purpose", "name": text("Matrix"), "description": text("Matrix purpose"),
			"dpv_purposes": []string{"dpv:ResearchAndDevelopment"}, "legal_bases": []string{"A6-1-a"}}
	case "PATCH /api/v1/purposes/{id}":
		return map[string]any{"name": text("Research renamed")}
	case "POST /api/v1/data-groups":
		return map[string]any{"service_id": svc, "code": "matrix-group", "name": text("Matrix group"), "description": text("Matrix group"),
			"special_category": false, "personal_data_categories": []string{"pd:ServiceConsumptionBehavior"}, "retention": "P5Y"}
	case "PATCH /api/v1/data-groups/{id}":
		return map[string]any{"retention": "P3Y"}
	case "POST /api/v1/processings":
		return w.processingBody(map[string]any{"service_id": svc, "data_group_ids": []string{dg}})
	case "POST /api/v1/processings/{id}/versions":
		return map[string]any{"compatible_with_previous": true}
	case "PATCH /api/v1/processings/{id}/versions/{version}":
		return map[string]any{"retention": "P2Y"}
	case "PUT /api/v1/processings/{id}/versions/{version}/notices/{language}":
		return map[string]any{"title": "Otsikko", "body": "Selosteen teksti."}
	case "POST /api/v1/ai-systems":
		return map[string]any{"organisation_id": w.org, "name": text("Matrix AI"), "description": text("Sorts mail"), "purpose": text("Mail"),
			"human_oversight": text("Staff check"), "legal_basis": "A6-1-e", "risk_level": "minimal", "status": "in_use",
			"contact": map[string]string{"name": "AI team", "email": "ai@example.fi"}, "processing_ids": []string{}, "data_group_ids": []string{}}
	case "PATCH /api/v1/ai-systems/{id}":
		return map[string]any{"description": text("Answers more questions")}
	case "POST /api/v1/admin-tokens":
		return map[string]any{"name": "matrix"}
	case "POST /api/v1/admin/witness/logs":
		return map[string]any{"origin": "new.example.org/log", "verifier_keys": []string{w.newLogKey}, "label": "New", "reason": "the matrix"}
	case "POST /api/v1/admin/witness/forks/{id}/resolve":
		return map[string]any{"keep": "old", "reason": "the matrix"}
	case "POST /api/v1/apps":
		return map[string]any{"name": text("Matrix app"), "publisher": "Matrix Oy", "redirect_uris": []string{"https://app.example/cb"}, "scopes": []string{"me:read"}}
	case "PATCH /api/v1/apps/{id}":
		return map[string]any{"publisher": "Matrix Oy"}
	case "POST /api/v1/me/consents", "POST /api/v1/me/consents/refusals":
		return map[string]any{"processing_id": w.procFree, "version": 1, "language": "fi", "on_behalf_of": resident}
	case "POST /api/v1/consent-requests":
		return map[string]any{"processing_id": w.procFree, "pseudonym": w.pseudonymSam}
	case "POST /api/v1/consents/paper":
		return map[string]any{"identity_code": w.samCode, "status": "given", "processing_id": w.procFree, "version": 1, "language": "fi", "evidence": "HEL 2026-1"}
	case "POST /api/v1/decisions":
		return map[string]any{"source_id": w.svcA, "pseudonym": w.pseudonymSam, "data_group_ids": []string{w.dgA}, "purpose_id": w.purpose}
	case "POST /api/v1/decisions/batch":
		return map[string]any{"requests": []any{map[string]any{"source_id": w.svcA, "pseudonym": w.pseudonymSam, "data_group_ids": []string{w.dgA}, "purpose_id": w.purpose}}}
	case "POST /api/v1/requests":
		// An objection to a processing under a purpose alice's mandate
		// does not cover.
		return map[string]any{"kind": "objection", "processing_id": w.procTask, "details": "I object.", "on_behalf_of": resident}
	case "POST /api/v1/consents/{id}/revoke":
		return map[string]any{"reason": "The resident asked by phone."}
	case "POST /api/v1/requests/{id}/resolve":
		return map[string]any{"status": "lifted", "note": "Lifted."}
	case "POST /api/v1/requests/{id}/extend":
		return map[string]any{"months": 2, "reason": "Many sources hold data about the resident."}
	case "POST /api/v1/request-tasks/{id}/answer":
		return map[string]any{"status": "completed", "note": "Done."}
	case "POST /api/v1/residents/link":
		return map[string]any{"identity_code": w.samCode}
	case "POST /api/v1/residents/rekey":
		return map[string]any{"old_identity_code": w.samCode, "new_identity_code": codeBornOn(1970, 1, 2)}
	case "POST /api/v1/representations":
		return map[string]any{"kind": "mandate", "representative_identity_code": w.samCode, "principal_identity_code": storetest.AdultCode,
			"scope": []string{"test-research"}, "basis": "mandate code 456", "valid_until": until}
	case "POST /api/v1/me/representations":
		return map[string]any{"representative_identity_code": w.samCode, "scope": []string{"test-research"}, "valid_until": until}
	case "PUT /api/v1/services/{id}/representation-kinds":
		return map[string]any{"kinds": []string{"guardian"}}
	case "POST /api/v1/grants", "POST /api/v1/transfers":
		return map[string]any{} // needs a DPoP proof or a grant: refused as bad input even when allowed
	}
	return nil
}
