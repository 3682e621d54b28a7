// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestProgress: on a terminal each line replaces the one before, a long
// line is cut to fit, and Done clears the last one.
func TestProgress(t *testing.T) {
	var buf bytes.Buffer
	p := &progress{w: &buf}
	p.Printf("Verifying the log…")
	p.Write([]byte("100000 leaves "))
	p.Write([]byte("checked\n"))
	if got, want := buf.String(), "\r\x1b[KVerifying the log…\r\x1b[K100000 leaves checked"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	buf.Reset()
	p.Printf("%s", strings.Repeat("é", 100))
	if got, want := buf.String(), "\r\x1b[K"+strings.Repeat("é", progressWidth-1)+"…"; got != want {
		t.Fatalf("long line: got %q, want %q", got, want)
	}
	buf.Reset()
	p.Done()
	p.Done()
	if got, want := buf.String(), "\r\x1b[K"; got != want {
		t.Fatalf("done: got %q, want %q once", got, want)
	}
}

// TestProgressQuiet: to a pipe, a file or /dev/null, progress writes
// nothing.
func TestProgressQuiet(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf)
	p.Printf("Migrating the sqlite database…")
	p.Done()
	if buf.Len() != 0 {
		t.Errorf("buffer: got %q, want nothing", buf.String())
	}
	path := filepath.Join(t.TempDir(), "stderr")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	for _, w := range []*os.File{f, null, os.Stdout /* go test captures it */} {
		if isTerminal(w) {
			t.Errorf("%s: got a terminal, want none", w.Name())
		}
		p := newProgress(w)
		p.Printf("Verifying the log: %d leaves checked…", 100000)
		p.Done()
	}
	f.Close()
	if b, err := os.ReadFile(path); err != nil || len(b) != 0 {
		t.Errorf("file: got %q, %v; want nothing", b, err)
	}
}

// TestIsTerminal: a pseudo-terminal is one.
func TestIsTerminal(t *testing.T) {
	f, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skip("no pseudo-terminals here:", err)
	}
	defer f.Close()
	if !isTerminal(f) {
		t.Error("/dev/ptmx: got no terminal, want one")
	}
}

// TestMigrateQuiet: migrate's output, when it is not a terminal, is its
// result and nothing else.
func TestMigrateQuiet(t *testing.T) {
	var stdout, stderr bytes.Buffer
	m := &Main{Stdout: &stdout, Stderr: &stderr, LookupEnv: noEnv}
	if err := m.Run(context.Background(), []string{"migrate", "--database", "sqlite:" + filepath.Join(t.TempDir(), "omadata.db")}); err != nil {
		t.Fatal(err)
	}
	if stderr.Len() != 0 || !strings.HasSuffix(stdout.String(), "The sqlite database is up to date.\n") {
		t.Fatalf("got stdout %q, stderr %q", stdout.String(), stderr.String())
	}
}
