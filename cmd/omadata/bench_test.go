// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata/internal/bench"
)

// TestBenchGolden checks bench's help and its refusals of bad flags, which
// never load anything, against testdata/bench/<case>/.
func TestBenchGolden(t *testing.T) {
	for _, tc := range []struct {
		dir  string
		args []string
		code int
	}{
		{dir: "bench/help", args: []string{"bench", "-h"}},
		{dir: "bench/unknown-flag", args: []string{"bench", "--record", "1e4"}, code: 2},
		{dir: "bench/extra-argument", args: []string{"bench", "now"}, code: 2},
		{dir: "bench/bad-engine", args: []string{"bench", "--engine", "mysql"}, code: 2},
		{dir: "bench/postgres-without-database", args: []string{"bench", "--engine", "postgres"}, code: 2},
		{dir: "bench/database-with-sqlite", args: []string{"bench", "--database", "postgres://u:secret@db/x"}, code: 2},
		{dir: "bench/bad-records", args: []string{"bench", "--records", "1e4,lots"}, code: 2},
		{dir: "bench/too-few-records", args: []string{"bench", "--records", "10"}, code: 2},
		{dir: "bench/fractional-records", args: []string{"bench", "--records", "1e4,150.5"}, code: 2},
		{dir: "bench/unknown-workload", args: []string{"bench", "--workloads", "W1,W9"}, code: 2},
		{dir: "bench/bad-probe", args: []string{"bench", "--probe", "1ms"}, code: 2},
		{dir: "bench/missing-dir", args: []string{"bench", "--dir", "/nonexistent/omadata-bench"}, code: 2},
		{dir: "bench/bad-warmup", args: []string{"bench", "--warmup", "-1s"}, code: 2},
		{dir: "bench/bad-closed", args: []string{"bench", "--closed", "1ms"}, code: 2},
		{dir: "bench/keep-and-reuse", args: []string{"bench", "--keep", "/tmp", "--reuse", "/tmp"}, code: 2},
		{dir: "bench/missing-reuse", args: []string{"bench", "--reuse", "/nonexistent/omadata-bench"}, code: 2},
		{dir: "bench/unknown-peer", args: []string{"bench", "--peer", "spicedb=/bin/sh"}, code: 2},
		{dir: "bench/missing-peer", args: []string{"bench", "--peer", "openfga=/nonexistent/openfga"}, code: 2},
		{dir: "bench/peer-without-W1", args: []string{"bench", "--peer", "openfga=/bin/sh", "--workloads", "W2"}, code: 2},
		{dir: "bench/bad-peer-load-timeout", args: []string{"bench", "--peer", "openfga=/bin/sh", "--peer-load-timeout", "0s"}, code: 2},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			m := &Main{Stdout: &stdout, Stderr: &stderr, LookupEnv: noEnv}
			if code := m.Exit(m.Run(context.Background(), tc.args)); code != tc.code {
				t.Errorf("exit code: got %d, want %d; stderr:\n%s", code, tc.code, stderr.String())
			}
			golden(t, filepath.Join("testdata", tc.dir, "stdout"), stdout.String())
			golden(t, filepath.Join("testdata", tc.dir, "stderr"), stderr.String())
		})
	}
}

// TestBenchSmoke runs every workload on a small SQLite dataset with short
// probes: the report must have every figure, stale permits must be zero,
// and no operation may have failed.
func TestBenchSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a database and runs every workload")
	}
	t.Parallel()
	var stdout, stderr bytes.Buffer
	m := &Main{Stdout: &stdout, Stderr: &stderr, LookupEnv: noEnv}
	if err := m.Run(context.Background(), []string{"bench", "--records", "1000", "--probe", "200ms", "--warmup", "100ms", "--closed", "200ms", "--dir", t.TempDir()}); err != nil {
		t.Fatalf("bench: %v\n%s", err, stderr.String())
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr, not a terminal: got %q, want no progress", stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{
		"### sqlite, 1e3 consent records",
		"| Start-up |", "| W1 decisions over HTTP | closed loop, 16 clients", "| W1 decisions over HTTP | open-loop capacity at p99 ≤ 5 ms",
		"| Bare handler, for context |", "| W1-eval decision rule in process |", "| Stale permits | 200 withdrawals", "- W1 closed loop, 16 clients", "| W2 give consent | 1 client(s)",
		"| W2 give consent | 32 client(s)", "| W3 withdraw, then decide at once |", "| W4 grant + transfer |", "| Memory |",
		"| W3 stale permits | permits after an acknowledged withdrawal | 0 |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	for _, bad := range []string{"first failed operation", "operations failed"} {
		if strings.Contains(out, bad) {
			t.Errorf("report says %q:\n%s", bad, out)
		}
	}
}

// TestBenchInstruments runs W1 with every instrument on a small SQLite
// dataset it keeps, then runs again on the kept dataset without loading,
// and refuses it once its manifest no longer matches.
func TestBenchInstruments(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a database and runs W1 twice")
	}
	t.Parallel()
	dir, keep := t.TempDir(), t.TempDir()
	prefix := filepath.Join(dir, "p")
	var stdout, stderr bytes.Buffer
	m := &Main{Stdout: &stdout, Stderr: &stderr, LookupEnv: noEnv}
	if err := m.Run(context.Background(), []string{"bench", "--records", "1000", "--workloads", "W1", "--probe", "100ms", "--warmup", "50ms",
		"--closed", "200ms", "--breakdown", "--cpuprofile", prefix, "--mutexprofile", prefix + "-mutex", "--blockprofile", prefix + "-block",
		"--trace", prefix, "--keep", keep}); err != nil {
		t.Fatalf("bench: %v\n%s", err, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{
		"#### Per-decision breakdown", "| query (facts) |", "| write (writer wait, commit, sync) |", "permit, 1 client(s) | deny, 1 client(s) | permit, 16 client(s)",
		"The timer's cost: W1 with 16 clients and timing on ran", "- W1 closed loop, 16 clients, 200ms: read syscalls", "WAL file",
		"| Stale permits | 200 withdrawals", "keep/sqlite-1e3/omadata.db",
	} {
		if !strings.Contains(out, strings.ReplaceAll(want, "keep/", filepath.Base(keep)+"/")) && !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	for _, f := range []string{"p-sqlite-1e3-W1-closed.prof", "p-sqlite-1e3-W1-open.prof", "p-mutex-sqlite-1e3-W1-closed.prof",
		"p-block-sqlite-1e3-W1-closed.prof", "p-sqlite-1e3-W1-open.trace"} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: got %v, want a profile", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "p-sqlite-1e3-bare.prof")); err == nil {
		t.Errorf("the bare handler was profiled")
	}
	// The kept dataset runs again without loading; the probe's 200
	// withdrawals of each run are gone from the pool.
	stdout.Reset()
	if err := m.Run(context.Background(), []string{"bench", "--records", "1e3", "--workloads", "W1-eval", "--probe", "50ms", "--reuse", keep}); err != nil {
		t.Fatalf("bench --reuse: %v\n%s", err, stderr.String())
	}
	if out := stdout.String(); !strings.Contains(out, "Not loaded: kept by an earlier run") || !strings.Contains(out, fmt.Sprintf("and %d in the withdrawal pool", bench.PoolFor(100*time.Millisecond)-200)) ||
		!strings.Contains(out, "| Stale permits | 200 withdrawals") {
		t.Errorf("reused report:\n%s", out)
	}
	manifest := filepath.Join(keep, "sqlite-1e3", "manifest.json")
	b, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(manifest, bytes.Replace(b, []byte(`"records": 1000`), []byte(`"records": 999`), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	err = m.Run(context.Background(), []string{"bench", "--records", "1e3", "--workloads", "W1-eval", "--reuse", keep})
	if err == nil || !strings.Contains(err.Error(), "records is 999 there, 1000 here") {
		t.Fatalf("got %v, want the records mismatch named", err)
	}
	// Keeping again over a kept dataset is refused, not overwritten.
	err = m.Run(context.Background(), []string{"bench", "--records", "1e3", "--workloads", "W1-eval", "--keep", keep})
	if err == nil || !strings.Contains(err.Error(), "already holds a kept dataset") {
		t.Fatalf("got %v, want a refusal to overwrite the kept dataset", err)
	}
}

func TestBenchMasksThePassword(t *testing.T) {
	c := newBenchCommand(&Main{})
	c.database = "postgres://omadata:s3cret@127.0.0.1:5432/bench"
	got := strings.Join(c.shownArgs([]string{"--engine", "postgres", "--database", c.database, "--database=" + c.database}), " ")
	if strings.Contains(got, "s3cret") || !strings.Contains(got, "omadata:xxxxx@127.0.0.1") {
		t.Fatalf("got %q, want the password masked", got)
	}
}
