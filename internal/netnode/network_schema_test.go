// SPDX-License-Identifier: Apache-2.0

package netnode_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store/storetest"
)

// exchange is one network call as it crossed the wire.
type exchange struct {
	method, path string
	request      []byte
	status       int
	contentType  string
	answer       []byte
}

// wireRecorder records every call to a /network/v1/ path it carries.
type wireRecorder struct {
	mu  sync.Mutex
	all []exchange
}

func (w *wireRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		var err error
		if body, err = io.ReadAll(r.Body); err != nil {
			return nil, err
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	res, err := http.DefaultTransport.RoundTrip(r)
	if err != nil || !strings.Contains(r.URL.Path, "/network/v1/") {
		return res, err
	}
	answer, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	res.Body = io.NopCloser(bytes.NewReader(answer))
	w.mu.Lock()
	defer w.mu.Unlock()
	w.all = append(w.all, exchange{method: r.Method, path: r.URL.Path[strings.Index(r.URL.Path, "/network/v1/")+len("/network/v1/"):],
		request: body, status: res.StatusCode, contentType: res.Header.Get("Content-Type"), answer: answer})
	return res, nil
}

// networkSchemas compiles the JSON Schemas of docs/network/, each by its
// $id, which must be https://omadata.fi/schemas/network/ and its file name.
func networkSchemas(t *testing.T) map[string]*jsonschema.Schema {
	t.Helper()
	const base = "https://omadata.fi/schemas/network/"
	files, err := filepath.Glob("../../docs/network/*.schema.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no schemas in docs/network: %v", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		m, _ := doc.(map[string]any)
		if m["$schema"] != "https://json-schema.org/draft/2020-12/schema" || m["$id"] != base+filepath.Base(f) {
			t.Fatalf("%s: $schema %v, $id %v; want draft 2020-12 and %s", f, m["$schema"], m["$id"], base+filepath.Base(f))
		}
		if err := c.AddResource(base+filepath.Base(f), doc); err != nil {
			t.Fatal(err)
		}
	}
	out := map[string]*jsonschema.Schema{}
	for _, f := range files {
		s, err := c.Compile(base + filepath.Base(f))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".schema.json")] = s
	}
	return out
}

// validateJSON validates raw against the schema called name.
func validateJSON(t *testing.T, schemas map[string]*jsonschema.Schema, name, what string, raw []byte) {
	t.Helper()
	s := schemas[name]
	if s == nil {
		t.Fatalf("no schema %s.schema.json for %s", name, what)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("%s: not JSON: %v: %s", what, err, raw)
	}
	if err := s.Validate(v); err != nil {
		t.Errorf("%s does not match %s.schema.json: %v\n%s", what, name, err, raw)
	}
}

// jwsPart decodes part i (0 header, 1 payload) of a compact JWS.
func jwsPart(t *testing.T, jws string, i int) []byte {
	t.Helper()
	parts := strings.Split(jws, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS: %.80s", jws)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[i])
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestNetworkMessageSchemas: the messages two operators exchange in a
// release (catalogue, consent event, decisions, grant on permit and on
// deny, log record, a refusal) match the JSON Schemas of docs/network/,
// which docs/network.md §4–§6 publish, so the contract cannot drift from
// the code. The log record's leaf hashes and proves as §5.5 says.
func TestNetworkMessageSchemas(t *testing.T) {
	schemas := networkSchemas(t)
	rec := &wireRecorder{}
	client := &http.Client{Timeout: 10 * time.Second, Transport: rec}
	a := startAnchor(t)
	hki := startOperatorOn(t, a, "Helsinki", storetest.OpenSQLite, client)
	esp := startOperatorOn(t, a, "Espoo", storetest.OpenSQLite, client)
	admit(t, a, hki, esp)
	admin := storetest.Admin()
	h := storetest.CreateNetwork(t, hki.Store)
	mirror(t, hki, esp)
	org := storetest.CreateOrganisation(t, esp.Store, omadata.OrgCompany)
	sink := storetest.CreateService(t, esp.Store, org.ID, true, omadata.RoleSink)
	p, err := esp.Store.CreateProcessing(admin, storetest.NewDraft(sink.ID, "espoo-reading", h.Recommendations.ID, h.Loans.ID))
	if err != nil {
		t.Fatal(err)
	}
	storetest.PutNotices(t, esp.Store, p.ID, 1)
	if _, err := esp.Store.PublishVersion(admin, p.ID, 1); err != nil {
		t.Fatal(err)
	}
	mirror(t, esp, hki)
	r := storetest.CreateResident(t, hki.Store, storetest.ChildBornOn(time.Date(1980, 3, 1, 0, 0, 0, 0, time.UTC)))
	c, err := hki.Store.GiveConsent(storetest.AsResident(r.ID), &omadata.ConsentInput{ProcessingID: p.ID, Version: 1, Language: "fi"})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := hki.Node.Outbox.Deliver(admin); err != nil || n != 1 {
		t.Fatalf("deliver: got %d, %v; want the consent event delivered", n, err)
	}
	espResident := query(t, esp, `SELECT id FROM residents WHERE home_operator_id = ?`, hki.URL)[0]
	psn, err := esp.Store.Pseudonym(admin, sink.ID, espResident)
	if err != nil {
		t.Fatal(err)
	}
	g, err := esp.Store.IssueGrant(storetest.As(sink.ID), &omadata.GrantInput{SourceID: h.Source.ID, Pseudonym: psn,
		DataGroupIDs: []string{h.Loans.ID}, PurposeID: h.Recommendations.ID, JKT: newJKT(t), ProofJTI: omadata.NewID("jti")})
	if err != nil || !g.Decision.Permit() {
		t.Fatalf("grant: got %+v, %v; want a permit", g, err)
	}
	if _, err := esp.Store.DecideBatch(storetest.As(sink.ID), []*omadata.DecisionInput{{SourceID: h.Source.ID, Pseudonym: psn,
		DataGroupIDs: []string{h.Loans.ID}, PurposeID: h.Recommendations.ID}}); err != nil {
		t.Fatal(err)
	}
	if _, err := hki.Store.IntegrateLog(admin); err != nil {
		t.Fatal(err)
	}
	if _, err := esp.Node.Client.PeerProof(admin, hki.URL, g.ID); err != nil {
		t.Fatal(err)
	}
	hp, err := esp.Node.Resolver.Resolve(admin, hki.URL)
	if err != nil {
		t.Fatal(err)
	}
	esp.Node.Client.RelayDecisions(admin, hp.Peer, []*omadata.NetworkQuestion{{SinkID: sink.ID, SourceID: h.Source.ID,
		Pseudonym: omadata.NewID(omadata.PrefixPeerPseudonym), DataGroupIDs: []string{h.Loans.ID}, PurposeID: h.Recommendations.ID, RelayID: omadata.NewID(omadata.PrefixRelay)}})
	if _, err := hki.Store.ChangeConsent(storetest.AsResident(r.ID), c.ID, omadata.ConsentWithdrawn, ""); err != nil {
		t.Fatal(err)
	}
	hki.skew.Store(int64(time.Minute))
	if n, err := hki.Node.Outbox.Deliver(admin); err != nil || n != 1 {
		t.Fatalf("deliver the withdrawal: got %d, %v", n, err)
	}
	if g, err := esp.Store.IssueGrant(storetest.As(sink.ID), &omadata.GrantInput{SourceID: h.Source.ID, Pseudonym: psn,
		DataGroupIDs: []string{h.Loans.ID}, PurposeID: h.Recommendations.ID, JKT: newJKT(t), ProofJTI: omadata.NewID("jti")}); err != nil || g.Decision.Permit() {
		t.Fatalf("grant after the withdrawal: got %+v, %v; want a deny", g, err)
	}

	seen := map[string]int{}
	for _, x := range rec.all {
		what := x.method + " " + x.path
		kind := x.path
		if strings.HasPrefix(kind, "log/records/") {
			kind = "log/records"
		}
		request, answer := map[string]string{"consent-events": "consent-event", "decisions": "decisions-request", "grants": "grant-request"}[kind],
			map[string]string{"catalogue": "catalogue-answer", "consent-events": "consent-event-answer", "decisions": "decisions-answer",
				"grants": "grant-answer", "log/records": "log-record-answer"}[kind]
		if answer == "" {
			t.Errorf("%s: a call the schemas do not cover", what)
			continue
		}
		if request != "" {
			validateJSON(t, schemas, request, what+" request", x.request)
		} else if len(x.request) != 0 {
			t.Errorf("%s: got a body, want none", what)
		}
		if x.contentType == "application/problem+json" {
			validateJSON(t, schemas, "problem", what+" refusal", x.answer)
			seen["problem"]++
			continue
		} else if x.status != http.StatusOK || x.contentType != "application/jwt" {
			t.Errorf("%s: got %d %s, want 200 application/jwt", what, x.status, x.contentType)
			continue
		}
		validateJSON(t, schemas, "answer-header", what+" answer header", jwsPart(t, string(x.answer), 0))
		payload := jwsPart(t, string(x.answer), 1)
		validateJSON(t, schemas, answer, what+" answer", payload)
		var m struct {
			Grant *struct {
				Token    string            `json:"token"`
				Decision *omadata.Decision `json:"decision"`
			} `json:"grant"`
			Entry *omadata.LogEvent   `json:"entry"`
			Check *omadata.Checkpoint `json:"checkpoint"`
		}
		if err := json.Unmarshal(payload, &m); err != nil {
			t.Fatal(err)
		}
		switch {
		case m.Grant != nil && m.Grant.Token != "":
			validateJSON(t, schemas, "grant-token", what+" grant token", jwsPart(t, m.Grant.Token, 1))
			kind = "grants/permit"
		case m.Grant != nil:
			kind = "grants/deny"
		case m.Entry != nil:
			checkLogRecord(t, schemas, m.Entry, m.Check)
		}
		seen[kind]++
	}
	for _, k := range []string{"catalogue", "consent-events", "decisions", "grants/permit", "grants/deny", "log/records", "problem"} {
		if seen[k] == 0 {
			t.Errorf("no %s message crossed the wire; got %v", k, seen)
		}
	}
}

// checkLogRecord checks a log record answer as network.md §5.5 describes
// it: leaf_data is the leaf's canonical JSON, leaf_hash its RFC 6962
// leaf hash, and the proof proves it in the checkpoint's tree, whose note
// carries the size and root hash.
func checkLogRecord(t *testing.T, schemas map[string]*jsonschema.Schema, e *omadata.LogEvent, cp *omadata.Checkpoint) {
	t.Helper()
	data, err := base64.StdEncoding.DecodeString(e.LeafData)
	if err != nil {
		t.Fatalf("leaf_data is not standard base64: %v", err)
	}
	validateJSON(t, schemas, "log-leaf", "the leaf's bytes", data)
	if !bytes.Equal(data, e.Leaf.Bytes()) {
		t.Errorf("leaf_data %s is not the leaf's canonical JSON %s", data, e.Leaf.Bytes())
	}
	h := sha256.Sum256(append([]byte{0}, data...))
	if rh := tlog.RecordHash(data); e.LeafHash != base64.StdEncoding.EncodeToString(h[:]) || h != rh {
		t.Errorf("leaf_hash %s is not SHA-256(0x00 || leaf bytes)", e.LeafHash)
	}
	if e.Leaf.Peer == nil || e.Proof == nil || cp == nil || e.Index == nil {
		t.Fatalf("got entry %+v, checkpoint %+v; want the peer reference, an index, a proof and a checkpoint", e, cp)
	}
	root, err := base64.StdEncoding.DecodeString(cp.RootHash)
	if err != nil || len(root) != 32 {
		t.Fatalf("root_hash %q", cp.RootHash)
	}
	proof := make(tlog.RecordProof, len(e.Proof.Hashes))
	for i, s := range e.Proof.Hashes {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(b) != 32 {
			t.Fatalf("proof hash %q", s)
		}
		copy(proof[i][:], b)
	}
	if e.Proof.Size != cp.Size || e.Proof.Index != *e.Index {
		t.Errorf("proof of %d in %d, want %d in the checkpoint's %d", e.Proof.Index, e.Proof.Size, *e.Index, cp.Size)
	}
	if err := tlog.CheckRecord(proof, cp.Size, tlog.Hash(root), *e.Index, h); err != nil {
		t.Errorf("the inclusion proof does not check: %v", err)
	}
	if head := cp.Origin + "\n" + strconv.FormatInt(cp.Size, 10) + "\n" + cp.RootHash + "\n\n"; !strings.HasPrefix(cp.Note, head) {
		t.Errorf("the note %q does not begin with %q", cp.Note, head)
	}
}

// TestNetworkDocExamples: every JSON example of docs/network.md is JSON,
// and each one marked <!-- schema: NAME --> matches NAME.schema.json.
func TestNetworkDocExamples(t *testing.T) {
	schemas := networkSchemas(t)
	doc, err := os.ReadFile("../../docs/network.md")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(doc), "\n")
	marked := 0
	for i := 0; i < len(lines); i++ {
		if lines[i] != "```json" {
			continue
		}
		j := i + 1
		for j < len(lines) && lines[j] != "```" {
			j++
		}
		block := []byte(strings.Join(lines[i+1:j], "\n"))
		what := "the example at docs/network.md:" + strconv.Itoa(i+1)
		if !json.Valid(block) {
			t.Errorf("%s is not JSON", what)
		} else if name, ok := strings.CutPrefix(lines[i-1], "<!-- schema: "); ok {
			validateJSON(t, schemas, strings.TrimSuffix(name, " -->"), what, block)
			marked++
		}
		i = j
	}
	if marked < 6 {
		t.Errorf("got %d examples marked with their schema, want at least 6", marked)
	}
}
