// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store/storetest"
)

// TestTwoProcessesWithdrawal runs two "omadata serve" processes on one
// PostgreSQL database. A resident withdraws through one; the very next
// decision asked of the other must deny (product invariant 2: no cache may
// serve a stale permit). It alternates which process takes which role.
func TestTwoProcessesWithdrawal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and starts two processes")
	}
	dsn := storetest.PostgresSchema(t, storetest.PostgresDSN(t))
	s := storetest.OpenURL(t, dsn) // migrates, and seals the signing key with storetest.SecretKey
	n := storetest.CreateNetwork(t, s)
	ctx := storetest.Admin()
	cred := &omadata.Credential{ServiceID: n.Sink.ID, Name: "decisions", Scopes: []string{omadata.ScopeDecisions}}
	if err := s.CreateCredential(ctx, cred); err != nil {
		t.Fatal(err)
	}
	resident := storetest.CreateResident(t, s, storetest.AdultCode)
	session, err := s.CreateSession(ctx, resident.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	pseudonym, err := s.Pseudonym(ctx, n.Sink.ID, resident.ID)
	if err != nil {
		t.Fatal(err)
	}

	bin, keyFile := buildServer(t)
	a, b := startProcess(t, bin, dsn, keyFile), startProcess(t, bin, dsn, keyFile)

	question := map[string]any{"source_id": n.Source.ID, "pseudonym": pseudonym, "data_group_ids": []string{n.Loans.ID}, "purpose_id": n.Recommendations.ID}
	for round := range 20 {
		give, decide := a, b
		if round%2 == 1 {
			give, decide = b, a
		}
		var c omadata.Consent
		callJSON(t, give, "POST", "/api/v1/me/consents", session.Token, map[string]any{
			"processing_id": n.Processing.ID, "version": 1, "language": "fi"}, 201, &c)
		var d omadata.Decision
		callJSON(t, decide, "POST", "/api/v1/decisions", cred.Token, question, 200, &d)
		if !d.Permit() {
			t.Fatalf("round %d: got %s (%s) after giving consent, want permit", round, d.Decision, d.Reason)
		}
		// The withdrawal is acknowledged by one process ...
		callJSON(t, give, "POST", "/api/v1/me/consents/"+c.ID+"/withdraw", session.Token, nil, 200, &c)
		// ... and the other's very next decision denies.
		callJSON(t, decide, "POST", "/api/v1/decisions", cred.Token, question, 200, &d)
		if d.Permit() || d.Reason != omadata.DenyConsentWithdrawn {
			t.Fatalf("round %d: got %s (%s) right after the withdrawal, want deny consent_withdrawn", round, d.Decision, d.Reason)
		}
	}
}

// buildServer builds the omadata binary and writes the secret key the
// store suite seals signing keys with to a file, for spawnProcess.
func buildServer(t *testing.T) (bin, keyFile string) {
	t.Helper()
	bin = filepath.Join(t.TempDir(), "omadata")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	keyFile = filepath.Join(t.TempDir(), "secret.key")
	if err := os.WriteFile(keyFile, []byte(base64.StdEncoding.EncodeToString(storetest.SecretKey)), 0o600); err != nil {
		t.Fatal(err)
	}
	return bin, keyFile
}

// startProcess starts "omadata serve" as its own process and returns its
// base URL once it listens; the process is killed when the test ends.
func startProcess(t *testing.T, bin, dsn, keyFile string) string {
	t.Helper()
	return spawnProcess(t, bin, dsn, keyFile).wait(t)
}

// process is an "omadata serve" started by spawnProcess.
type process struct {
	url    chan string // its base URL, once it listens
	exited chan error  // closed when it exits, after err is set
	err    error
	stderr *bytes.Buffer
	cmd    *exec.Cmd
}

// spawnProcess starts "omadata serve" as its own process without waiting
// for it to listen, with env added to its environment (its log level is
// warn unless env sets OMADATA_LOG_LEVEL); the process is killed when the
// test ends.
func spawnProcess(t *testing.T, bin, dsn, keyFile string, env ...string) *process {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	args := []string{"serve", "--listen", "127.0.0.1:0", "--database", dsn}
	if !slices.ContainsFunc(env, func(e string) bool { return strings.HasPrefix(e, "OMADATA_LOG_LEVEL=") }) {
		args = append(args, "--log-level", "warn")
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(append(os.Environ(), "OMADATA_SECRET_KEY_FILE="+keyFile, "OMADATA_OPERATOR_BUSINESS_ID=0201256-6",
		"OMADATA_OPERATOR_EMAIL=mydata@example.fi", "OMADATA_WEBHOOK_WORKERS=0"), env...)
	p := &process{url: make(chan string, 1), exited: make(chan error), stderr: &bytes.Buffer{}, cmd: cmd}
	cmd.Stderr = p.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if _, after, ok := strings.Cut(sc.Text(), " is serving "); ok {
				p.url <- strings.TrimSpace(after)
			}
		}
		io.Copy(io.Discard, out)
		p.err = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() { cancel(); <-p.exited })
	return p
}

// wait returns the process's base URL once it listens, and fails the test
// when it exits first or does not listen within a minute.
func (p *process) wait(t *testing.T) string {
	t.Helper()
	select {
	case u := <-p.url:
		return u
	case <-p.exited:
		t.Fatalf("omadata serve exited before listening: %v\n%s", p.err, p.stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("omadata serve did not start:\n%s", p.stderr.String())
	}
	return ""
}

func callJSON(t *testing.T, base, method, path, token string, body any, want int, out any) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, base+path, r)
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		t.Fatalf("%s %s: got %d, want %d: %s", method, path, res.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
}
