// SPDX-License-Identifier: Apache-2.0

package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store/storetest"
	"github.com/omadata/omadata/internal/web"
)

func TestErrorShapeAndRequestID(t *testing.T) {
	e := newEnv(t, nil)
	tests := []struct {
		name      string
		method    string
		path      string
		requestID string // sent as X-Request-ID
		status    int
		code      string
		echoed    bool // whether the sent ID comes back
	}{
		{"unknown path", "GET", "/nope", "", 404, "not_found", false},
		{"unknown API path", "GET", "/api/v1/public/nope", "abc-123", 404, "not_found", true},
		{"method not allowed", "DELETE", "/api/v1/public/services", "trace.1_2", 405, "unsupported", true},
		{"missing record", "GET", "/api/v1/public/ai-systems/ai_00000000000000000000000000", strings.Repeat("a", 64), 404, "not_found", true},
		{"request ID too long", "GET", "/nope", strings.Repeat("a", 65), 404, "not_found", false},
		{"request ID with odd characters", "GET", "/nope", "a b<script>", 404, "not_found", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.call(t, tt.method, tt.path, "", "", nil, "X-Request-ID", tt.requestID)
			wantStatus(t, r, tt.status)
			if ct := r.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("got Content-Type %q, want application/json", ct)
			}
			var raw map[string]map[string]any
			if err := json.Unmarshal(r.body, &raw); err != nil {
				t.Fatalf("body %s: %v", r.body, err)
			}
			for k := range raw["error"] {
				if k != "code" && k != "message" && k != "request_id" {
					t.Errorf("got error member %q, want only code, message and request_id", k)
				}
			}
			got := r.err(t)
			if got.Code != tt.code {
				t.Errorf("got code %q, want %q", got.Code, tt.code)
			}
			id := r.header.Get("X-Request-ID")
			if id == "" || got.RequestID != id {
				t.Errorf("got request_id %q and header %q, want them equal and set", got.RequestID, id)
			}
			if (id == tt.requestID) != tt.echoed {
				t.Errorf("got X-Request-ID %q for %q, want echoed %v", id, tt.requestID, tt.echoed)
			}
		})
	}
	r := e.call(t, "DELETE", "/api/v1/public/services", "", "", nil)
	if got := r.header.Get("Allow"); !strings.Contains(got, "GET") {
		t.Errorf("405: got Allow %q, want GET in it", got)
	}
}

func TestHealthz(t *testing.T) {
	var healthErr error
	e := newEnv(t, func(o *web.Options) {
		o.Health = func(context.Context) error { return healthErr }
	})
	r := e.do(t, "GET", "/healthz", "", nil)
	wantStatus(t, r, 200)
	if got := string(r.body); got != `{"status":"ok"}`+"\n" {
		t.Errorf("got %s, want status ok", got)
	}
	healthErr = errors.New("database is on fire")
	r = e.do(t, "GET", "/healthz", "", nil)
	wantStatus(t, r, 503)
	if got := string(r.body); got != `{"status":"unavailable"}`+"\n" {
		t.Errorf("got %s, want status unavailable", got)
	}
	if strings.Contains(string(r.body), "fire") {
		t.Errorf("the cause leaked to the client: %s", r.body)
	}
}

// TestLivezReadyz: /livez answers 200 whatever the checks say; /readyz
// answers 200 only while every check passes, names each result and keeps
// the causes out of the body.
func TestLivezReadyz(t *testing.T) {
	var dbErr, migrationsErr error
	e := newEnv(t, func(o *web.Options) {
		o.Ready = []web.ReadyCheck{
			{Name: "database", Check: func(context.Context) error { return dbErr }},
			{Name: "migrations", Check: func(context.Context) error { return migrationsErr }},
		}
	})
	ready := func(status int, want string) {
		t.Helper()
		r := e.do(t, "GET", "/readyz", "", nil)
		wantStatus(t, r, status)
		if got := string(r.body); got != want+"\n" {
			t.Errorf("got %s, want %s", got, want)
		}
		if cc := r.header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("got Cache-Control %q, want no-store", cc)
		}
		r = e.do(t, "GET", "/livez", "", nil)
		wantStatus(t, r, 200)
		if got := string(r.body); got != `{"status":"ok"}`+"\n" {
			t.Errorf("livez: got %s, want status ok", got)
		}
	}
	ready(200, `{"checks":{"database":"ok","migrations":"ok"},"status":"ok"}`)
	migrationsErr = errors.New("2 pending: 016_x.sql")
	ready(503, `{"checks":{"database":"ok","migrations":"unavailable"},"status":"unavailable"}`)
	dbErr = errors.New("connection refused")
	ready(503, `{"checks":{"database":"unavailable","migrations":"unavailable"},"status":"unavailable"}`)
}

func TestMetrics(t *testing.T) {
	e := newEnv(t, nil)
	wantStatus(t, e.do(t, "GET", "/api/v1/public/organisations/"+e.org, "", nil), 200)
	wantStatus(t, e.do(t, "GET", "/api/v1/whoami", "", nil), 401)
	wantStatus(t, e.do(t, "GET", "/no/such/path/"+e.org, "", nil), 404)
	r := e.do(t, "GET", "/metrics", "", nil)
	wantStatus(t, r, 200)
	body := string(r.body)
	for _, want := range []string{
		`omadata_http_requests_total{code="200",method="GET",route="/api/v1/public/organisations/{id}"} 1`,
		`omadata_http_requests_total{code="401",method="GET",route="/api/v1/whoami"} 1`,
		`omadata_http_requests_total{code="404",method="GET",route="unmatched"} 1`,
		`omadata_http_request_duration_seconds_count{method="GET",route="/api/v1/public/organisations/{id}"} 1`,
		`omadata_build_info{version="test"} 1`,
		"omadata_requests_open 0",
		"omadata_requests_due_soon 0",
		"omadata_requests_overdue 0",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, e.org) {
		t.Errorf("metrics carry a record ID; routes must be patterns")
	}
}

func TestAccessLog(t *testing.T) {
	e := newEnv(t, nil)
	// An unknown query parameter is refused, and its value is not logged.
	r := e.call(t, "GET", "/api/v1/organisations?kind=city&secret=hunter2", e.tokA, "", nil, "X-Request-ID", "log-test-1")
	wantStatus(t, r, 400)
	var entry map[string]any
	for _, line := range strings.Split(e.logs.String(), "\n") {
		if strings.Contains(line, `"request_id":"log-test-1"`) {
			if err := json.Unmarshal([]byte(line), &entry); err != nil {
				t.Fatal(err)
			}
		}
	}
	if entry == nil {
		t.Fatalf("no access log line with the request ID in:\n%s", e.logs.String())
	}
	want := map[string]any{"method": "GET", "route": "/api/v1/organisations", "status": 400.0,
		"caller_kind": "service", "token_id": e.credA}
	for k, v := range want {
		if entry[k] != v {
			t.Errorf("log %s: got %v, want %v", k, entry[k], v)
		}
	}
	for _, k := range []string{"duration_ms", "bytes"} {
		if _, ok := entry[k]; !ok {
			t.Errorf("log lacks %s", k)
		}
	}
	if logs := e.logs.String(); strings.Contains(logs, "hunter2") || strings.Contains(logs, e.tokA) {
		t.Errorf("the log carries the query string or a token:\n%s", logs)
	}
}

func TestBodyLimitDefault(t *testing.T) {
	e := newEnv(t, func(o *web.Options) { o.MaxBodyBytes = 0 })
	big := `{"name":"` + strings.Repeat("x", web.DefaultMaxBodyBytes) + `"}`
	r := e.do(t, "POST", "/api/v1/admin-tokens", e.admin, big)
	wantStatus(t, r, 413)
	if got := r.err(t); got.Code != "too_large" || got.Field != "body" {
		t.Errorf("got %+v, want too_large on body", got)
	}
	// Just under the limit is decoded (and then refused by the store for its length).
	r = e.do(t, "POST", "/api/v1/admin-tokens", e.admin, `{"name":"`+strings.Repeat("x", 1000)+`"}`)
	wantStatus(t, r, 400)
}

func TestWellKnown(t *testing.T) {
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	e := newEnv(t, func(o *web.Options) { o.Operator.CreatedAt = created })
	ctx := adminCtx()
	stored, err := e.store.FindSigningKeys(ctx)
	must(t, "signing keys", err)
	var before []*omadata.SigningKey // JWKS has the records keys; the log's key is a note key
	for _, k := range stored {
		if k.Purpose == omadata.KeyPurposeRecords {
			before = append(before, k)
		}
	}
	for _, id := range []string{"key_00000000000000000000000001", "key_00000000000000000000000002"} {
		k := &omadata.SigningKey{ID: id, Purpose: omadata.KeyPurposeRecords, Algorithm: "EdDSA",
			PublicJWK:  `{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","d":"must-not-leak"}`,
			PrivateKey: []byte("sealed-private-key")}
		must(t, "signing key", e.store.RotateSigningKey(ctx, k))
	}

	r := e.do(t, "GET", "/.well-known/jwks.json", "", nil)
	wantStatus(t, r, 200)
	var jwks struct{ Keys []map[string]any }
	r.decode(t, &jwks)
	if len(jwks.Keys) != len(before)+2 {
		t.Fatalf("got %d keys, want %d (active and retired): %s", len(jwks.Keys), len(before)+2, r.body)
	}
	for _, k := range jwks.Keys {
		if k["kty"] != "OKP" || k["alg"] != "EdDSA" || k["kid"] == nil {
			t.Errorf("got key %v, want an OKP EdDSA key with a kid", k)
		}
	}
	if s := string(r.body); strings.Contains(s, "must-not-leak") || strings.Contains(s, "sealed") || strings.Contains(s, `"d"`) {
		t.Errorf("JWKS carries private material: %s", s)
	}

	r = e.do(t, "GET", "/.well-known/mydata/operatordescription", "", nil)
	wantStatus(t, r, 200)
	var d map[string]any
	r.decode(t, &d)
	base := "https://omadata.example.fi"
	checks := []struct {
		name string
		got  any
		want any
	}{
		{"operatorId", d["operatorId"], "omadata-test"},
		{"createdByUserId", d["createdByUserId"], "omadata-test"},
		{"operatorservicedescriptionVersion", d["operatorservicedescriptionVersion"], "1"},
		{"createdOnDate", d["createdOnDate"], float64(created.Unix())},
		{"serviceProvider.businessId", sub(d, "serviceProvider", "businessId"), "0201256-6"},
		{"serviceProvider.country", sub(d, "serviceProvider", "country"), "FI"},
		{"serviceProvider.email", sub(d, "serviceProvider", "email"), "mydata@example.fi"},
		{"cert.x5u", sub(d, "cert", "x5u"), base + "/.well-known/jwks.json"},
		{"operatorUrls.domain", sub(d, "operatorUrls", "domain"), base},
		{"operatorUrls.linkingRedirectUri", sub(d, "operatorUrls", "linkingRedirectUri"), nil}, // no such route
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
	if p, _ := d["supportedProfiles"].([]any); len(p) != 3 {
		t.Errorf("supportedProfiles: got %v, want consenting, notification, objection", d["supportedProfiles"])
	}
}

func sub(m map[string]any, keys ...string) any {
	var v any = m
	for _, k := range keys {
		mm, _ := v.(map[string]any)
		v = mm[k]
	}
	return v
}

func TestOpenAPI(t *testing.T) {
	e := newEnv(t, nil)
	r := e.do(t, "GET", "/openapi.json", "", nil)
	wantStatus(t, r, 200)
	if !json.Valid(r.body) {
		t.Errorf("/openapi.json is not JSON: %.200s", r.body)
	}
}

// panicking is an organisation service that panics, to test recovery.
type panicking struct{ omadata.OrganisationService }

func (panicking) FindOrganisations(context.Context, omadata.OrganisationFilter) ([]*omadata.Organisation, string, error) {
	panic("boom")
}

func TestPanicRecovered(t *testing.T) {
	logs := &lockedBuffer{}
	e := newEnv(t, func(o *web.Options) {
		o.Organisations = panicking{o.Organisations}
		o.Logger = newJSONLogger(logs)
	})
	res, err := http.Get(e.url + "/api/v1/public/organisations")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 500 {
		t.Fatalf("got status %d, want 500", res.StatusCode)
	}
	var b struct{ Error apiError }
	if err := json.NewDecoder(res.Body).Decode(&b); err != nil {
		t.Fatal(err)
	}
	if b.Error.Code != "internal" || b.Error.Message != "Internal error." {
		t.Errorf("got %+v, want internal with a generic message", b.Error)
	}
	if l := logs.String(); !strings.Contains(l, "boom") || !strings.Contains(l, `"status":500`) {
		t.Errorf("want the panic and a 500 in the log, got:\n%s", l)
	}
}

// TestPagination walks a list one record at a time.
func TestPagination(t *testing.T) {
	e := newEnv(t, nil)
	var seen []string
	path := "/api/v1/public/organisations?limit=1"
	for range 10 {
		r := e.do(t, "GET", path, "", nil)
		wantStatus(t, r, 200)
		var page struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
			NextCursor *string `json:"next_cursor"`
		}
		r.decode(t, &page)
		if len(page.Items) > 1 {
			t.Fatalf("got %d items, want at most 1", len(page.Items))
		}
		for _, it := range page.Items {
			seen = append(seen, it.ID)
		}
		if page.NextCursor == nil {
			break
		}
		path = "/api/v1/public/organisations?limit=1&cursor=" + *page.NextCursor
	}
	if len(seen) != 2 || seen[0] == seen[1] {
		t.Errorf("got %v, want the two organisations once each", seen)
	}
}

// TestMetricsRequestDeadlines: the request gauges count from the database
// what is open, due within a week and overdue.
func TestMetricsRequestDeadlines(t *testing.T) {
	e := newEnv(t, nil)
	_, tok := e.residentSession(t, storetest.AdultCode)
	e.db.Now = func() time.Time { return time.Now().AddDate(0, -2, 0) }
	wantStatus(t, e.do(t, "POST", "/api/v1/requests", tok, map[string]any{"kind": "access"}), 201)
	e.db.Now = func() time.Time { return time.Now().AddDate(0, -1, 3) }
	wantStatus(t, e.do(t, "POST", "/api/v1/requests", tok, map[string]any{"kind": "access"}), 201)
	e.db.Now = time.Now
	wantStatus(t, e.do(t, "POST", "/api/v1/requests", tok, map[string]any{"kind": "access"}), 201)
	body := string(e.do(t, "GET", "/metrics", "", nil).body)
	for _, want := range []string{"omadata_requests_open 3", "omadata_requests_due_soon 1", "omadata_requests_overdue 1"} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestMetricsBacklog: the backlog gauges count from the database the log's
// leaves waiting for a checkpoint, the checkpoint's age and the webhook
// outbox.
func TestMetricsBacklog(t *testing.T) {
	e := newEnv(t, nil)
	admin := storetest.Admin()
	if _, err := e.store.IntegrateLog(admin); err != nil {
		t.Fatal(err)
	}
	storetest.CreateOrganisation(t, e.store, omadata.OrgCity) // a leaf after the checkpoint
	storetest.InsertDelivery(t, e.store, e.svcA, omadata.EventConsentGiven, time.Now().Add(-90*time.Second))
	storetest.InsertDelivery(t, e.store, e.svcA, omadata.EventConsentGiven, time.Now().Add(time.Hour))
	body := string(e.do(t, "GET", "/metrics", "", nil).body)
	value := func(name string) float64 {
		t.Helper()
		for _, line := range strings.Split(body, "\n") {
			if v, ok := strings.CutPrefix(line, name+" "); ok {
				f, err := strconv.ParseFloat(v, 64)
				if err != nil {
					t.Fatalf("%s: %v", line, err)
				}
				return f
			}
		}
		t.Fatalf("metrics lack %s", name)
		return 0
	}
	if v := value("omadata_log_unintegrated_leaves"); v != 1 {
		t.Errorf("omadata_log_unintegrated_leaves %v, want 1", v)
	}
	if v := value("omadata_log_checkpoint_size"); v < 1 {
		t.Errorf("omadata_log_checkpoint_size %v, want the leaves of the fixture", v)
	}
	if v := value("omadata_log_checkpoint_age_seconds"); v < 0 || v > 60 {
		t.Errorf("omadata_log_checkpoint_age_seconds %v, want the seconds since the integration", v)
	}
	if p, d := value("omadata_webhook_pending"), value("omadata_webhook_due"); p < 2 || d < 1 || d >= p {
		t.Errorf("omadata_webhook_pending %v, _due %v: want both deliveries pending, one not due", p, d)
	}
	if v := value("omadata_webhook_oldest_due_seconds"); v < 90 || v > 3600 {
		t.Errorf("omadata_webhook_oldest_due_seconds %v, want about 90", v)
	}
	if v := value("omadata_webhook_dead_letters"); v != 0 {
		t.Errorf("omadata_webhook_dead_letters %v, want 0", v)
	}
	if v := value("omadata_decision_stale_permits"); v != 0 {
		t.Errorf("omadata_decision_stale_permits %v, want 0", v)
	}
}
