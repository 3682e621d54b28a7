// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata/internal/sqlite"
	"github.com/omadata/omadata/internal/store"
)

var update = flag.Bool("update", false, "rewrite golden files")

// noEnv is an empty environment, so that the machine's OMADATA_* variables
// do not leak into tests.
func noEnv(string) (string, bool) { return "", false }

func envOf(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
}

// server is a running "omadata serve".
type server struct {
	URL    string
	Dir    string
	cancel context.CancelFunc
	done   chan error
	stdout *bytes.Buffer
	stderr *bytes.Buffer
}

// startServe boots serve --demo on 127.0.0.1:0 with a SQLite file in dir.
func startServe(t *testing.T, dir string) *server {
	t.Helper()
	ready := make(chan net.Addr, 1)
	s := &server{Dir: dir, done: make(chan error, 1), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
	m := &Main{Stdout: s.stdout, Stderr: s.stderr, LookupEnv: noEnv, Ready: func(a net.Addr) { ready <- a }}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go func() {
		s.done <- m.Run(ctx, []string{"serve", "--demo", "--listen", "127.0.0.1:0",
			"--database", "sqlite:" + filepath.Join(dir, "omadata.db"), "--log-level", "warn"})
	}()
	select {
	case addr := <-ready:
		s.URL = "http://" + addr.String()
	case err := <-s.done:
		t.Fatalf("serve stopped before listening: %v\n%s", err, s.stderr)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("serve did not start in 30 s")
	}
	return s
}

// stop cancels serve's context and waits for a graceful shutdown.
func (s *server) stop(t *testing.T) {
	t.Helper()
	s.cancel()
	select {
	case err := <-s.done:
		if err != nil {
			t.Fatalf("serve: got %v, want a clean shutdown", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not shut down in 30 s")
	}
}

func readToken(t *testing.T, path string) string {
	t.Helper()
	buf, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(buf))
}

// call makes a request and decodes a JSON response into out, if given.
func call(t *testing.T, method, url, token, body string, out any) int {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil {
		if err := json.Unmarshal(buf, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, url, err, buf)
		}
	}
	return resp.StatusCode
}

func TestServe(t *testing.T) {
	dir := t.TempDir()
	s := startServe(t, dir)
	admin := readToken(t, filepath.Join(dir, "omadata.demo-token"))
	service := readToken(t, filepath.Join(dir, "omadata.demo-service-token"))

	t.Run("Healthz", func(t *testing.T) {
		var body struct{ Status string }
		if code := call(t, "GET", s.URL+"/healthz", "", "", &body); code != 200 || body.Status != "ok" {
			t.Fatalf("got %d %q, want 200 ok", code, body.Status)
		}
	})
	t.Run("PublicCatalogue", func(t *testing.T) {
		var body struct{ Items []json.RawMessage }
		if code := call(t, "GET", s.URL+"/api/v1/public/catalogue", "", "", &body); code != 200 || len(body.Items) != 3 {
			t.Fatalf("got %d with %d entries, want 200 with 3", code, len(body.Items))
		}
	})
	t.Run("OpenAPI", func(t *testing.T) {
		var body struct{ OpenAPI string }
		if code := call(t, "GET", s.URL+"/openapi.json", "", "", &body); code != 200 || body.OpenAPI == "" {
			t.Fatalf("got %d, openapi %q; want 200 and a version", code, body.OpenAPI)
		}
	})
	t.Run("AdminWhoami", func(t *testing.T) {
		var body struct{ Kind string }
		if code := call(t, "GET", s.URL+"/api/v1/whoami", admin, "", &body); code != 200 || body.Kind != "admin" {
			t.Fatalf("got %d %q, want 200 admin", code, body.Kind)
		}
	})
	t.Run("AdminList", func(t *testing.T) {
		var body struct{ Items []json.RawMessage }
		if code := call(t, "GET", s.URL+"/api/v1/organisations", admin, "", &body); code != 200 || len(body.Items) != 9 {
			t.Fatalf("got %d with %d organisations, want 200 with 9", code, len(body.Items))
		}
	})
	t.Run("NoToken", func(t *testing.T) {
		if code := call(t, "GET", s.URL+"/api/v1/organisations", "", "", nil); code != 401 {
			t.Fatalf("got %d, want 401", code)
		}
	})
	t.Run("ServiceWhoami", func(t *testing.T) {
		var body struct {
			Kind      string
			ServiceID string `json:"service_id"`
		}
		if code := call(t, "GET", s.URL+"/api/v1/whoami", service, "", &body); code != 200 || body.Kind != "service" || body.ServiceID == "" {
			t.Fatalf("got %d %q %q, want 200 service", code, body.Kind, body.ServiceID)
		}
	})

	t.Run("UnknownPath", func(t *testing.T) {
		// A browser gets the portal's page in its language, an API client JSON.
		for _, tc := range []struct{ accept, wantType, want string }{
			{"text/html", "text/html", `<html lang="sv">`},
			{"application/json", "application/json", `"not_found"`},
		} {
			req, _ := http.NewRequest("GET", s.URL+"/no-such-page", nil)
			req.Header.Set("Accept", tc.accept)
			req.Header.Set("Accept-Language", "sv")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 404 || !strings.HasPrefix(resp.Header.Get("Content-Type"), tc.wantType) || !strings.Contains(string(b), tc.want) {
				t.Errorf("Accept %s: got %d %s, want 404 %s with %q", tc.accept, resp.StatusCode, resp.Header.Get("Content-Type"), tc.wantType, tc.want)
			}
		}
	})

	t.Run("OperatorDescriptionLinks", func(t *testing.T) {
		// Every URL the operator description advertises answers.
		var d map[string]any
		if code := call(t, "GET", s.URL+"/.well-known/mydata/operatordescription", "", "", &d); code != 200 {
			t.Fatalf("got %d, want 200", code)
		}
		var urls []string
		var walk func(v any)
		walk = func(v any) {
			switch x := v.(type) {
			case map[string]any:
				for _, c := range x {
					walk(c)
				}
			case []any:
				for _, c := range x {
					walk(c)
				}
			case string:
				if strings.HasPrefix(x, "http://") || strings.HasPrefix(x, "https://") {
					urls = append(urls, x)
				}
			}
		}
		walk(d)
		if len(urls) < 2 {
			t.Fatalf("got URLs %v, want at least the domain and the JWKS", urls)
		}
		for _, u := range urls {
			if !strings.HasPrefix(u, s.URL) {
				t.Errorf("%s is not under the server's URL %s", u, s.URL)
				continue
			}
			if code := call(t, "GET", u, "", "", nil); code == 404 || code >= 500 {
				t.Errorf("GET %s: got %d", u, code)
			}
		}
	})

	s.stop(t)
	out := s.stdout.String()
	for _, want := range []string{s.URL + "/api/v1/public/catalogue", s.URL + "/openapi.json", s.URL + "/healthz", admin, "curl -H"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if _, err := http.Get(s.URL + "/healthz"); err == nil {
		t.Error("server still answers after shutdown")
	}

	t.Run("Restart", func(t *testing.T) {
		// The second start reuses the secret key, the signing key, the demo
		// catalogue and the demo tokens.
		again := startServe(t, dir)
		defer again.stop(t)
		if got := readToken(t, filepath.Join(dir, "omadata.demo-token")); got != admin {
			t.Error("the demo admin token changed on restart")
		}
		var body struct{ Kind string }
		if code := call(t, "GET", again.URL+"/api/v1/whoami", admin, "", &body); code != 200 || body.Kind != "admin" {
			t.Fatalf("got %d %q, want 200 admin", code, body.Kind)
		}
		var cat struct{ Items []json.RawMessage }
		if code := call(t, "GET", again.URL+"/api/v1/public/catalogue", "", "", &cat); code != 200 || len(cat.Items) != 3 {
			t.Fatalf("got %d with %d entries, want 200 with 3", code, len(cat.Items))
		}
	})
}

func TestVersion(t *testing.T) {
	var stdout bytes.Buffer
	m := &Main{Stdout: &stdout, Stderr: io.Discard, LookupEnv: noEnv}
	if err := m.Run(context.Background(), []string{"version"}); err != nil {
		t.Fatal(err)
	}
	if got := stdout.String(); !strings.HasPrefix(got, "omadata dev (go") || !strings.HasSuffix(got, ")\n") {
		t.Fatalf("got %q, want omadata dev (go…)", got)
	} else if !strings.Contains(got, ", SQLite driver "+sqlite.Driver) {
		t.Fatalf("got %q, want the SQLite driver %s named", got, sqlite.Driver)
	}
}

func TestTokenCommands(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "omadata.db")
	run := func(args ...string) (string, string, int) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		m := &Main{Stdout: &stdout, Stderr: &stderr, LookupEnv: envOf(map[string]string{"OMADATA_DATABASE_URL": db})}
		code := m.Exit(m.Run(context.Background(), args))
		return stdout.String(), stderr.String(), code
	}
	if _, stderr, code := run("migrate"); code != 0 {
		t.Fatalf("migrate: exit %d: %s", code, stderr)
	}
	token, stderr, code := run("token", "create", "--name", "ci")
	if code != 0 || !strings.HasPrefix(token, "oma_adm_") || !strings.Contains(stderr, "Created admin token adm_") {
		t.Fatalf("create: exit %d, stdout %q, stderr %q", code, token, stderr)
	}
	id := strings.Fields(strings.TrimPrefix(stderr, "Created admin token "))[0]

	list, _, code := run("token", "list")
	if code != 0 || !strings.Contains(list, id) || !strings.Contains(list, "ci") || !strings.HasPrefix(list, "ID ") {
		t.Fatalf("list: exit %d:\n%s", code, list)
	}
	if out, stderr, code := run("token", "revoke", id); code != 0 || out != "Revoked admin token "+id+" (\"ci\").\n" {
		t.Fatalf("revoke: exit %d, %q %q", code, out, stderr)
	}
	if _, stderr, code := run("token", "revoke", id); code != 1 || stderr != "omadata: revoked_at: The token is already revoked.\n" {
		t.Fatalf("second revoke: exit %d, %q", code, stderr)
	}
	if list, _, _ := run("token", "list"); strings.Contains(strings.SplitN(list, "\n", 3)[1], " - ") {
		t.Fatalf("list after revoke shows no revocation time:\n%s", list)
	}
}

// TestGolden runs CLI commands whose output does not depend on the clock,
// random IDs or the version, and compares stdout and stderr with
// testdata/<command>/<case>/. Run with -update to rewrite them. $TMP in
// args, environment and output stands for the test's temporary directory.
func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		dir   string
		args  []string
		env   map[string]string
		setup func(t *testing.T, tmp string)
		code  int
	}{
		{dir: "main/help", args: []string{"-h"}},
		{dir: "main/no-command", code: 2},
		{dir: "main/unknown-command", args: []string{"frobnicate"}, code: 2},

		{dir: "migrate/fresh", args: []string{"migrate", "--database", "sqlite:$TMP/omadata.db"}},
		{dir: "migrate/up-to-date", args: []string{"migrate", "--database", "sqlite:$TMP/omadata.db"}, setup: migrated},
		{dir: "migrate/newer", args: []string{"migrate", "--database", "sqlite:$TMP/omadata.db"}, setup: migratedByNewer},
		{dir: "migrate/diverged", args: []string{"migrate", "--database", "sqlite:$TMP/omadata.db"}, setup: diverged, code: 1},
		{dir: "migrate/help", args: []string{"migrate", "-h"}},
		{dir: "migrate/empty-database-url", args: []string{"migrate"}, env: map[string]string{"OMADATA_DATABASE_URL": ""}, code: 1},
		{dir: "migrate/extra-argument", args: []string{"migrate", "now"}, code: 2},

		{dir: "token/help", args: []string{"token", "-h"}},
		{dir: "token/no-subcommand", args: []string{"token"}, code: 2},
		{dir: "token/unknown-subcommand", args: []string{"token", "frobnicate"}, code: 2},
		{dir: "token/create-help", args: []string{"token", "create", "-h"}},
		{dir: "token/create-without-name", args: []string{"token", "create"}, code: 2},
		{dir: "token/create-bad-flag", args: []string{"token", "create", "--nmae", "x"}, code: 2},
		{dir: "token/create-no-database", args: []string{"token", "create", "--name", "x", "--database", "sqlite:$TMP/missing.db"}, code: 1},
		{dir: "token/list-empty", args: []string{"token", "list", "--database", "sqlite:$TMP/omadata.db"}, setup: migrated},
		{dir: "token/revoke-without-id", args: []string{"token", "revoke"}, code: 2},
		{dir: "token/revoke-bad-id", args: []string{"token", "revoke", "nope"}, code: 2},
		{dir: "token/revoke-unknown", args: []string{"token", "revoke", "--database", "sqlite:$TMP/omadata.db", "adm_00000000000000000000000000"}, setup: migrated, code: 1},

		{dir: "staff/help", args: []string{"staff", "-h"}},
		{dir: "staff/no-subcommand", args: []string{"staff"}, code: 2},
		{dir: "staff/add-help", args: []string{"staff", "add", "-h"}},
		{dir: "staff/add-without-role", args: []string{"staff", "add", "--name", "X"}, code: 2},
		{dir: "staff/add-no-demo-key", args: []string{"staff", "add", "--name", "X", "--role", "auditor", "--demo", "--database", "sqlite:$TMP/omadata.db"},
			setup: migrated, code: 1},
		{dir: "staff/remove-bad-id", args: []string{"staff", "remove", "olli"}, code: 2},
		{dir: "staff/list-empty", args: []string{"staff", "list", "--database", "sqlite:$TMP/omadata.db"}, setup: migrated},

		{dir: "demo/help", args: []string{"demo", "-h"}},
		{dir: "demo/no-subcommand", args: []string{"demo"}, code: 2},
		{dir: "demo/network-help", args: []string{"demo", "network", "-h"}},
		{dir: "demo/network-bad-port", args: []string{"demo", "network", "--base-port", "65534"}, code: 2},

		{dir: "network/help", args: []string{"network", "-h"}},
		{dir: "network/anchor-help", args: []string{"network", "anchor", "-h"}},
		{dir: "network/anchor-serve-no-db", args: []string{"network", "anchor", "serve"}, code: 2},
		{dir: "network/anchor-admit-without-reason", args: []string{"network", "anchor", "admit", "--db", "$TMP/anchor.db", "https://helsinki.example"}, code: 1},
		{dir: "network/anchor-list-empty", args: []string{"network", "anchor", "list", "--db", "$TMP/anchor.db"}},
		{dir: "network/anchor-keys-help", args: []string{"network", "anchor", "keys", "-h"}},

		{dir: "backup/help", args: []string{"backup", "-h"}},
		{dir: "backup/no-out", args: []string{"backup", "--database", "sqlite:$TMP/omadata.db"}, code: 2},
		{dir: "backup/no-database", args: []string{"backup", "--out", "$TMP/backup", "--database", "sqlite:$TMP/missing.db"}, code: 1},
		{dir: "backup/out-not-empty", args: []string{"backup", "--out", "$TMP", "--database", "sqlite:$TMP/omadata.db"}, setup: migrated, code: 1},
		{dir: "restore/help", args: []string{"restore", "-h"}},
		{dir: "restore/no-from", args: []string{"restore", "--database", "sqlite:$TMP/omadata.db"}, code: 2},
		{dir: "restore/no-manifest", args: []string{"restore", "--from", "$TMP", "--database", "sqlite:$TMP/restored.db"}, code: 1},
		{dir: "restore/engine-mismatch", args: []string{"restore", "--from", "$TMP/backup", "--database", "postgres://omadata@127.0.0.1:1/omadata"}, code: 1,
			env: map[string]string{"OMADATA_SECRET_KEY": "b21hZGF0YSB0ZXN0IHNlY3JldCBrZXksIDMyIGIuLiE="}, setup: backedUp},

		{dir: "serve/help", args: []string{"serve", "-h"}},
		{dir: "serve/no-secret-key", args: []string{"serve", "--database", "sqlite:$TMP/omadata.db"}, code: 1,
			env: map[string]string{"OMADATA_OPERATOR_BUSINESS_ID": "0201256-6", "OMADATA_OPERATOR_EMAIL": "mydata@example.fi"}},
		{dir: "serve/no-operator", args: []string{"serve", "--database", "sqlite:$TMP/omadata.db"}, code: 1},
		{dir: "serve/bad-listen", args: []string{"serve"}, env: map[string]string{"OMADATA_LISTEN": "8080"}, code: 1},
		{dir: "serve/bad-listen-flag", args: []string{"serve", "--listen", "localhost:http"}, code: 1},
		{dir: "serve/bad-business-id", args: []string{"serve"}, env: map[string]string{"OMADATA_OPERATOR_BUSINESS_ID": "0201256-7"}, code: 1},
		{dir: "serve/bad-secret-key", args: []string{"serve"}, env: map[string]string{"OMADATA_SECRET_KEY": "c2hvcnQ="}, code: 1},
		{dir: "serve/unknown-setting-in-file", args: []string{"serve", "--config", "$TMP/omadata.conf"}, code: 1,
			setup: func(t *testing.T, tmp string) {
				writeFile(t, filepath.Join(tmp, "omadata.conf"), "# omadata\nOMADATA_LISTEN=127.0.0.1:9000\nOMADATA_LISTNE=127.0.0.1:9001\n")
			}},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			tmp := t.TempDir()
			if tc.setup != nil {
				tc.setup(t, tmp)
			}
			env := map[string]string{}
			for k, v := range tc.env {
				env[k] = strings.ReplaceAll(v, "$TMP", tmp)
			}
			args := make([]string, len(tc.args))
			for i, a := range tc.args {
				args[i] = strings.ReplaceAll(a, "$TMP", tmp)
			}
			var stdout, stderr bytes.Buffer
			m := &Main{Stdout: &stdout, Stderr: &stderr, Stdin: strings.NewReader("120475-931B\n"), LookupEnv: envOf(env)}
			if code := m.Exit(m.Run(context.Background(), args)); code != tc.code {
				t.Errorf("exit code: got %d, want %d; stderr:\n%s", code, tc.code, stderr.String())
			}
			golden(t, filepath.Join("testdata", tc.dir, "stdout"), strings.ReplaceAll(stdout.String(), tmp, "$TMP"))
			golden(t, filepath.Join("testdata", tc.dir, "stderr"), strings.ReplaceAll(stderr.String(), tmp, "$TMP"))
		})
	}
}

// backedUp leaves a backup of a migrated SQLite database in $TMP/backup.
func backedUp(t *testing.T, tmp string) {
	t.Helper()
	migrated(t, tmp)
	m := &Main{Stdout: io.Discard, Stderr: io.Discard, LookupEnv: noEnv}
	if err := m.Run(context.Background(), []string{"backup", "--out", filepath.Join(tmp, "backup"), "--database", "sqlite:" + filepath.Join(tmp, "omadata.db")}); err != nil {
		t.Fatal(err)
	}
}

// migrated leaves a migrated SQLite database at $TMP/omadata.db.
func migrated(t *testing.T, tmp string) {
	t.Helper()
	m := &Main{Stdout: io.Discard, Stderr: io.Discard, LookupEnv: noEnv}
	if err := m.Run(context.Background(), []string{"migrate", "--database", "sqlite:" + filepath.Join(tmp, "omadata.db")}); err != nil {
		t.Fatal(err)
	}
}

// migratedByNewer is a database a newer version migrated: it has a
// migration this version does not know.
func migratedByNewer(t *testing.T, tmp string) {
	t.Helper()
	migrated(t, tmp)
	execSQLite(t, tmp, `INSERT INTO schema_migrations (name, applied_at) VALUES ('999_future.sql', '2030-01-01T00:00:00Z')`)
}

// diverged is a database a newer version migrated that lacks the first
// migration this version knows.
func diverged(t *testing.T, tmp string) {
	t.Helper()
	migratedByNewer(t, tmp)
	execSQLite(t, tmp, `DELETE FROM schema_migrations WHERE name = '001_catalogue.sql'`)
}

func execSQLite(t *testing.T, tmp, query string) {
	t.Helper()
	db, err := store.Open(context.Background(), "sqlite:"+filepath.Join(tmp, "omadata.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Exec(context.Background(), query); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// golden compares got with the file at path, or rewrites it with -update.
func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, path, got)
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s: got\n%s\nwant\n%s", path, got, want)
	}
}
