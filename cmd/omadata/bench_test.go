// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
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
	if err := m.Run(context.Background(), []string{"bench", "--records", "1000", "--probe", "200ms", "--dir", t.TempDir()}); err != nil {
		t.Fatalf("bench: %v\n%s", err, stderr.String())
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr, not a terminal: got %q, want no progress", stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{
		"### sqlite, 1e3 consent records",
		"| Start-up |", "| W1 decisions over HTTP |", "| W1-eval decision rule in process |", "| W2 give consent | 1 client(s)",
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

func TestBenchMasksThePassword(t *testing.T) {
	c := newBenchCommand(&Main{})
	c.database = "postgres://omadata:s3cret@127.0.0.1:5432/bench"
	got := strings.Join(c.shownArgs([]string{"--engine", "postgres", "--database", c.database, "--database=" + c.database}), " ")
	if strings.Contains(got, "s3cret") || !strings.Contains(got, "omadata:xxxxx@127.0.0.1") {
		t.Fatalf("got %q, want the password masked", got)
	}
}
