// SPDX-License-Identifier: Apache-2.0

package web_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/archive"
	"github.com/omadata/omadata/internal/sqlite"
	"github.com/omadata/omadata/internal/store"
	"github.com/omadata/omadata/internal/store/storetest"
	"github.com/omadata/omadata/internal/web"
	"github.com/omadata/omadata/internal/witness"
)

// testMaxBody is the body limit of test servers, small enough to exceed cheaply.
const testMaxBody = 64 << 10

// env is a server on a fresh SQLite database, seeded with two approved
// services A and B (both source and sink) that own data groups,
// processings and credentials, and a pending service.
type env struct {
	url   string
	srv   *web.Server
	store *store.Store
	db    *store.DB
	raw   *sql.DB // a second connection, for dumping the database
	logs  *lockedBuffer
	// cosigner is the operator's witness key.
	cosigner *witness.Cosigner

	admin, adminID string // an admin bearer token and its ID

	org, org2          string
	svcA, svcB, svcPen string
	purpose            string
	dgA, dgSpecial     string // A's data groups; dgSpecial is special-category
	dgB                string
	procA              string // A's processing, version 1 published
	procDraft          string // A's processing, version 1 a draft
	procB              string // B's processing, version 1 published
	ai                 string
	app                string // a registered app (storetest.CreateApp)

	credA, credB                    string // credential IDs
	tokA, tokARead, tokAWrite, tokB string // A: read+write, read only, write only; B: read+write
}

func adminCtx() context.Context {
	return omadata.NewContextWithCaller(context.Background(), omadata.Caller{Kind: omadata.CallerAdmin, TokenID: "adm_test"})
}

// newEnv boots a seeded server; edit adjusts its options.
func newEnv(t testing.TB, edit func(*web.Options)) *env {
	t.Helper()
	path := filepath.Join(t.TempDir(), "omadata.db")
	st := storetest.OpenURL(t, "sqlite:"+path)
	db := st.DB()
	raw, err := sqlite.Open("file:"+path, "busy_timeout(10000)", "query_only(1)")
	if err != nil {
		t.Fatalf("open raw: %v", err)
	}
	t.Cleanup(func() { raw.Close() })

	e := &env{store: st, db: db, raw: raw, logs: &lockedBuffer{}}
	o := web.Options{
		Organisations: st, Services: st, Credentials: st, DataGroups: st, Purposes: st,
		Processings: st, AISystems: st, Catalogue: st, SigningKeys: st,
		Residents: st, Representations: st, Consents: st,
		Decisions: st, Grants: st,
		Webhooks:       st,
		Log:            st,
		Usage:          st,
		Requests:       st,
		Backlog:        st,
		Apps:           st,
		AppTokens:      st,
		LogVerifierKey: storetest.LogVerifierKey(t, st),
		Health:         db.Ping,
		Logger:         slog.New(slog.NewJSONHandler(e.logs, nil)),
		Metrics:        prometheus.NewRegistry(),
		MaxBodyBytes:   testMaxBody,
		Version:        "test",
		Operator: web.OperatorInfo{
			ID: "omadata-test", Name: "Test City", BusinessID: "0201256-6", Email: "mydata@example.fi",
			PublicURL: "https://omadata.example.fi",
		},
	}
	o.Archives = &archive.Builder{Requests: st, Signer: storetest.RecordSigner(t, st), OperatorID: o.Operator.ID, PublicURL: o.Operator.PublicURL}
	// The operator as a witness, with no witnesses of its own log.
	o.Witness = st
	o.Witnessed = &witness.Own{Log: st, Store: st, Source: witnesses(nil), LogKey: o.LogVerifierKey, LogURL: o.Operator.PublicURL + "/api/v1/public/log", Quorum: -1}
	e.cosigner = testCosigner(t, omadata.WitnessName(o.Operator.PublicURL))
	o.WitnessHandler = &witness.Handler{State: st, Cosigner: e.cosigner, Logger: o.Logger}
	o.WitnessVerifierKey = e.cosigner.VerifierKey()
	if edit != nil {
		edit(&o)
	}
	e.srv = web.New(o)
	hs := httptest.NewServer(conform(t, e.srv))
	t.Cleanup(hs.Close)
	e.url = hs.URL
	e.seed(t)
	// The seed's admin changes are in the log; sign them into a checkpoint,
	// as the server's checkpointer would right after start-up.
	if _, err := st.IntegrateLog(storetest.Admin()); err != nil {
		t.Fatalf("integrate log: %v", err)
	}
	return e
}

// witnesses is a fixed list of the witnesses of the operator's log.
type witnesses []omadata.WitnessRef

func (ws witnesses) Witnesses(context.Context) ([]omadata.WitnessRef, error) { return ws, nil }

// testCosigner is a witness named name with a new key.
func testCosigner(t testing.TB, name string) *witness.Cosigner {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := witness.NewCosigner(name, priv)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// must fails the test on a store error during seeding.
func must(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("seed %s: %v", what, err)
	}
}

func text(s string) omadata.Text { return omadata.Text{"fi": s + " fi", "sv": s + " sv", "en": s} }

// businessID returns a valid business ID with the given seven digits.
func businessID(digits string) string {
	weights := []int{7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(digits[i]-'0') * w
	}
	r := sum % 11
	if r == 1 {
		panic("business ID digits with remainder 1 are never issued: " + digits)
	} else if r > 1 {
		r = 11 - r
	}
	return fmt.Sprintf("%s-%d", digits, r)
}

func organisation(kind, name, bid string) *omadata.Organisation {
	return &omadata.Organisation{
		Kind: kind, Name: omadata.Text{"fi": name}, BusinessID: bid, Email: "kirjaamo@example.fi",
		PrivacyPolicyURL: "https://example.fi/privacy", DPO: omadata.Contact{Name: "DPO", Email: "dpo@example.fi"},
	}
}

func dataGroup(svc, code string, special bool) *omadata.DataGroup {
	cat := "pd:ServiceConsumptionBehavior"
	if special {
		cat = "pd:HealthRecord"
	}
	return &omadata.DataGroup{ServiceID: svc, Code: code, Name: text(code), Description: text(code + " description"),
		SpecialCategory: special, PersonalDataCategories: []string{cat}, Retention: "P5Y"}
}

func (e *env) processing(t testing.TB, svc, code, dg string, publish bool) string {
	t.Helper()
	ctx := adminCtx()
	p, err := e.store.CreateProcessing(ctx, &omadata.ProcessingDraft{
		ServiceID: svc, Code: code, Title: text(code), Description: text(code + " description"),
		PurposeID: e.purpose, DataGroupIDs: []string{dg}, LegalBasis: omadata.BasisConsent, Retention: "P1Y",
		Recipients: []omadata.Recipient{{Name: "Test City", Role: omadata.RecipientController}},
	})
	must(t, "processing "+code, err)
	if !publish {
		return p.ID
	}
	for _, lang := range omadata.Languages {
		_, err := e.store.PutNotice(ctx, p.ID, 1, &omadata.Notice{Language: lang, Title: code + " " + lang, Body: "Notice " + lang})
		must(t, "notice "+lang, err)
	}
	_, err = e.store.PublishVersion(ctx, p.ID, 1)
	must(t, "publish "+code, err)
	return p.ID
}

func (e *env) credential(t testing.TB, svc string, scopes ...string) (id, token string) {
	t.Helper()
	c := &omadata.Credential{ServiceID: svc, Name: "test " + strings.Join(scopes, "+"), Scopes: scopes}
	must(t, "credential", e.store.CreateCredential(adminCtx(), c))
	return c.ID, c.Token
}

func (e *env) seed(t testing.TB) {
	t.Helper()
	ctx := adminCtx()
	tok, err := e.store.CreateAdminToken(ctx, "test admin")
	must(t, "admin token", err)
	e.admin, e.adminID = tok.Token, tok.ID

	org := organisation(omadata.OrgCity, "Helsinki", businessID("0201256"))
	must(t, "organisation", e.store.CreateOrganisation(ctx, org))
	org2 := organisation(omadata.OrgCompany, "Yritys Oy", businessID("1234567"))
	must(t, "organisation 2", e.store.CreateOrganisation(ctx, org2))
	e.org, e.org2 = org.ID, org2.ID

	svc := func(name, orgID string, approve bool) string {
		s := &omadata.Service{OrganisationID: orgID, Name: text(name), Description: text(name), Roles: []string{omadata.RoleSource, omadata.RoleSink}}
		must(t, "service "+name, e.store.CreateService(ctx, s))
		if approve {
			_, err := e.store.SetServiceStatus(ctx, s.ID, omadata.ServiceApproved)
			must(t, "approve "+name, err)
		}
		return s.ID
	}
	e.svcA, e.svcB, e.svcPen = svc("Library", e.org, true), svc("Partner", e.org2, true), svc("Pending", e.org, false)

	p := &omadata.Purpose{Code: "test-research", Name: text("Research"), Description: text("Research use"),
		DPVPurposes: []string{"dpv:ResearchAndDevelopment"}, LegalBases: []string{omadata.BasisConsent, omadata.BasisPublicTask}}
	must(t, "purpose", e.store.CreatePurpose(ctx, p))
	e.purpose = p.ID

	for _, g := range []struct {
		id        *string
		svc, code string
		special   bool
	}{{&e.dgA, e.svcA, "library-loans", false}, {&e.dgSpecial, e.svcA, "health-visits", true}, {&e.dgB, e.svcB, "school-meals", false}} {
		dg := dataGroup(g.svc, g.code, g.special)
		must(t, "data group "+g.code, e.store.CreateDataGroup(ctx, dg))
		*g.id = dg.ID
	}
	e.procA = e.processing(t, e.svcA, "loan-research", e.dgA, true)
	e.procDraft = e.processing(t, e.svcA, "loan-draft", e.dgA, false)
	e.procB = e.processing(t, e.svcB, "meal-research", e.dgB, true)

	ai := &omadata.AISystem{OrganisationID: e.org, Name: text("Chatbot"), Description: text("Answers questions"),
		Purpose: text("Customer service"), HumanOversight: text("Staff review answers"), LegalBasis: omadata.BasisPublicTask,
		RiskLevel: "limited", Status: "in_use", Contact: omadata.Contact{Name: "AI team", Email: "ai@example.fi"},
		ProcessingIDs: []string{}, DataGroupIDs: []string{}}
	must(t, "AI system", e.store.CreateAISystem(ctx, ai))
	e.ai = ai.ID
	e.app = storetest.CreateApp(t, e.store).ID

	e.credA, e.tokA = e.credential(t, e.svcA, omadata.ScopeCatalogueRead, omadata.ScopeCatalogueWrite)
	_, e.tokARead = e.credential(t, e.svcA, omadata.ScopeCatalogueRead)
	_, e.tokAWrite = e.credential(t, e.svcA, omadata.ScopeCatalogueWrite)
	e.credB, e.tokB = e.credential(t, e.svcB, omadata.ScopeCatalogueRead, omadata.ScopeCatalogueWrite)
}

// response is what a test request got back.
type response struct {
	status int
	header http.Header
	body   []byte
}

// apiError is the error shape.
type apiError struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	Field     string `json:"field"`
	RequestID string `json:"request_id"`
}

func (r response) err(t *testing.T) apiError {
	t.Helper()
	var b struct {
		Error *apiError `json:"error"`
	}
	if err := json.Unmarshal(r.body, &b); err != nil || b.Error == nil {
		t.Fatalf("not an error body (status %d): %s", r.status, r.body)
	}
	return *b.Error
}

func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// call sends a request with a raw body and content type.
func (e *env) call(t *testing.T, method, path, token, contentType string, body io.Reader, header ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, e.url+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// do sends body (a string is sent as is, anything else as JSON) as JSON.
func (e *env) do(t *testing.T, method, path, token string, body any) response {
	t.Helper()
	switch b := body.(type) {
	case nil:
		return e.call(t, method, path, token, "", nil)
	case string:
		return e.call(t, method, path, token, "application/json", strings.NewReader(b))
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		return e.call(t, method, path, token, "application/json", bytes.NewReader(j))
	}
}

// wantStatus fails the test unless r has status want.
func wantStatus(t *testing.T, r response, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("got status %d, want %d; body %s", r.status, want, r.body)
	}
}

// dump returns every row of every table, in a stable order, so that a test
// can show that a refused request changed nothing.
func (e *env) dump(t *testing.T) string {
	t.Helper()
	rows, err := e.raw.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	if len(tables) == 0 {
		t.Fatal("dump: no tables")
	}
	var b strings.Builder
	for _, table := range tables {
		fmt.Fprintf(&b, "== %s\n", table)
		var n int
		if err := e.raw.QueryRow(`SELECT COUNT(*) FROM pragma_table_info(?)`, table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		order := make([]string, n)
		for i := range order {
			order[i] = fmt.Sprint(i + 1)
		}
		// Every column in the sort, so that tables without a key dump stably too.
		rows, err := e.raw.Query(`SELECT * FROM "` + table + `" ORDER BY ` + strings.Join(order, ", "))
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				if bs, ok := v.([]byte); ok {
					v = string(bs)
				}
				fmt.Fprintf(&b, "%s=%v\t", cols[i], v)
			}
			b.WriteString("\n")
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	return b.String()
}

// lockedBuffer lets the server's goroutines share a log buffer with the test.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func newJSONLogger(w io.Writer) *slog.Logger { return slog.New(slog.NewJSONHandler(w, nil)) }
