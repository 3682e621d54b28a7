// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/skips"
	"github.com/omadata/omadata/internal/store"
	"github.com/omadata/omadata/internal/store/storetest"
)

// TestUpgradeSideBySide is a rolling upgrade on one PostgreSQL database:
// the previous version (the commit in testdata/upgrade-from, built from
// git history) migrates a fresh schema and serves; the current version
// starts on the same schema and migrates it forward; then both serve side
// by side (the previous one on a schema newer than it knows, ready), and a
// consent given or withdrawn through either is seen by the very next
// decision through the other. Building the previous version is the long
// part (about a minute with a warm module cache).
func TestUpgradeSideBySide(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two versions of the binary and starts two processes")
	}
	dsn := storetest.PostgresSchema(t, storetest.PostgresDSN(t))
	commit := previousVersion(t)
	oldBin := buildCommit(t, commit)
	newBin, keyFile := buildServer(t)

	old := startProcess(t, oldBin, dsn, keyFile)
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	before, _, err := db.MigrationStatus(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(before) == 0 {
		t.Fatalf("the previous version %s left no migration of this version pending: pick an older commit in testdata/upgrade-from", commit)
	}
	cur := startProcess(t, newBin, dsn, keyFile)
	if pending, unknown, err := db.MigrationStatus(context.Background()); err != nil || len(pending) != 0 || len(unknown) != 0 {
		t.Fatalf("after the current version started: pending %v, unknown %v, %v; want it migrated forward", pending, unknown, err)
	}
	for name, base := range map[string]string{"previous": old, "current": cur} {
		res, err := http.Get(base + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("the %s version's /readyz: got %d on the migrated schema, want 200", name, res.StatusCode)
		}
	}

	origin, err := store.New(db).LogOriginInUse(storetest.Admin())
	if err != nil {
		t.Fatal(err)
	}
	s := storetest.OpenURLWithLogOrigin(t, dsn, origin)
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
	question := map[string]any{"source_id": n.Source.ID, "pseudonym": pseudonym, "data_group_ids": []string{n.Loans.ID}, "purpose_id": n.Recommendations.ID}
	for round := range 6 {
		give, decide := old, cur
		if round%2 == 1 {
			give, decide = cur, old
		}
		var c omadata.Consent
		callJSON(t, give, "POST", "/api/v1/me/consents", session.Token, map[string]any{
			"processing_id": n.Processing.ID, "version": 1, "language": "fi"}, 201, &c)
		var d omadata.Decision
		callJSON(t, decide, "POST", "/api/v1/decisions", cred.Token, question, 200, &d)
		if !d.Permit() {
			t.Fatalf("round %d: got %s (%s) after giving consent, want permit", round, d.Decision, d.Reason)
		}
		callJSON(t, give, "POST", "/api/v1/me/consents/"+c.ID+"/withdraw", session.Token, nil, 200, &c)
		callJSON(t, decide, "POST", "/api/v1/decisions", cred.Token, question, 200, &d)
		if d.Permit() || d.Reason != omadata.DenyConsentWithdrawn {
			t.Fatalf("round %d: got %s (%s) right after the withdrawal, want deny consent_withdrawn", round, d.Decision, d.Reason)
		}
	}
	t.Logf("previous version %.12s (%d migrations behind) and the current one served side by side", commit, len(before))
}

// previousVersion is the commit named in testdata/upgrade-from; the test
// is skipped when the checkout has no history to build it from.
func previousVersion(t *testing.T) string {
	t.Helper()
	f, err := os.Open("testdata/upgrade-from")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var commit string
	for sc := bufio.NewScanner(f); sc.Scan(); {
		if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
			commit = line
			break
		}
	}
	if commit == "" {
		t.Fatal("testdata/upgrade-from names no commit")
	}
	if out, err := exec.Command("git", "cat-file", "-e", commit+"^{commit}").CombinedOutput(); err != nil {
		skips.Skip(t, skips.History, fmt.Sprintf("the previous version %.12s is not in this checkout's git history (a shallow clone or a source archive?): %v %s",
			commit, err, strings.TrimSpace(string(out))))
	}
	return commit
}

// buildCommit builds cmd/omadata of commit, taken out of git history into
// a temporary directory.
func buildCommit(t *testing.T, commit string) string {
	t.Helper()
	dir := t.TempDir()
	start := time.Now()
	top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Fatal(err)
	}
	archive := exec.Command("git", "archive", "--format=tar", commit) // the whole tree, not this directory's
	archive.Dir = strings.TrimSpace(string(top))
	var stderr bytes.Buffer
	archive.Stderr = &stderr
	pipe, err := archive.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := archive.Start(); err != nil {
		t.Fatal(err)
	}
	untar := exec.Command("tar", "-x", "-C", dir)
	untar.Stdin = pipe
	if out, err := untar.CombinedOutput(); err != nil {
		t.Fatalf("tar: %v %s", err, out)
	}
	if err := archive.Wait(); err != nil {
		t.Fatalf("git archive %s: %v %s", commit, err, stderr.Bytes())
	}
	bin := filepath.Join(t.TempDir(), "omadata-previous")
	build := exec.Command("go", "build", "-o", bin, "./cmd/omadata")
	build.Dir = dir
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build of %s: %v\n%s", commit, err, out)
	}
	t.Logf("built the previous version %.12s in %s", commit, time.Since(start).Round(time.Second))
	return bin
}
