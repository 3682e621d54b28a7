// SPDX-License-Identifier: Apache-2.0

// Package skips tells, in one line per package, which tests skipped for
// want of PostgreSQL or a browser and how to run them. A plain
// "go test ./..." prints nothing of a package that passes but its "ok"
// line, so a skip's own message is never seen; the line is.
//
// A package whose tests may skip so has
//
//	func TestMain(m *testing.M) { os.Exit(skips.Main(m)) }
//
// and its helpers skip with Skip (storetest.PostgresDSN and
// browsertest.Require do). The line goes to standard output with -v, and
// otherwise to the terminal (/dev/tty) if there is one, since go test
// keeps a passing package's output to itself; with no terminal, as in CI,
// to standard output. Where OMADATA_TEST_REQUIRE names a kind (CI sets
// "postgres,chromium,oidc"), Skip fails the test instead and nothing is
// printed.
package skips

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Kind is a reason tests skip: what is missing and how to provide it.
type Kind struct {
	Name string // "PostgreSQL"
	How  string // "set OMADATA_TEST_POSTGRES_DSN (see docs/development.md)"
	Key  string // its name in OMADATA_TEST_REQUIRE: "postgres"
}

// The kinds of skip.
var (
	Postgres = Kind{"PostgreSQL", "set OMADATA_TEST_POSTGRES_DSN (see docs/development.md)", "postgres"}
	Browser  = Kind{"browser", "install Chromium and run npm ci --prefix tools/browser (see docs/development.md)", "chromium"}
	OIDC     = Kind{"OpenID provider", "make go build ./tools/testop work (see docs/development.md)", "oidc"}
	History  = Kind{"git history", "run in a git checkout with its history (git fetch --unshallow), so that the previous version can be built (see docs/store.md)", "history"}
	OpenFGA  = Kind{"OpenFGA", "set OMADATA_TEST_OPENFGA to an openfga binary (see docs/performance.md)", "openfga"}
)

// Required reports whether OMADATA_TEST_REQUIRE, a comma-separated list
// of keys, names k: then its tests may not skip.
func Required(k Kind) bool {
	for _, key := range strings.Split(os.Getenv("OMADATA_TEST_REQUIRE"), ",") {
		if strings.TrimSpace(key) == k.Key {
			return true
		}
	}
	return false
}

var (
	mu     sync.Mutex
	counts = map[Kind]int{}
	kinds  []Kind // in the order first seen
)

// Skip notes that t skips for want of k, then skips it with why; where k
// is Required, it fails t instead.
func Skip(t testing.TB, k Kind, why string) {
	t.Helper()
	if Required(k) {
		t.Fatalf("OMADATA_TEST_REQUIRE=%s but %s", k.Key, why)
	}
	mu.Lock()
	if counts[k] == 0 {
		kinds = append(kinds, k)
	}
	counts[k]++
	mu.Unlock()
	t.Skip(why)
}

// Main runs the package's tests, prints the package's line if any test
// skipped, and returns the exit code for os.Exit.
func Main(m *testing.M) int {
	code := m.Run()
	if line := Summary(packagePath()); line != "" {
		report(line)
	}
	return code
}

// Summary is the line of a package: "omadata: internal/store: 3
// PostgreSQL tests skipped: set …"; "" when nothing skipped.
func Summary(pkg string) string {
	mu.Lock()
	defer mu.Unlock()
	var parts []string
	for _, k := range kinds {
		test := "tests"
		if counts[k] == 1 {
			test = "test"
		}
		parts = append(parts, fmt.Sprintf("%d %s %s skipped: %s", counts[k], k.Name, test, k.How))
	}
	if len(parts) == 0 {
		return ""
	}
	return "omadata: " + pkg + ": " + strings.Join(parts, "; ")
}

// reset forgets the skips noted so far, for tests.
func reset() {
	mu.Lock()
	defer mu.Unlock()
	clear(counts)
	kinds = nil
}

func report(line string) {
	var w io.Writer = os.Stdout
	if !testing.Verbose() {
		if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
			defer tty.Close()
			w = tty
		}
	}
	fmt.Fprintln(w, line)
}

// packagePath is the directory go test runs the package in, relative to
// the module's root.
func packagePath() string {
	wd, err := os.Getwd()
	if err != nil {
		return "?"
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			rel, err := filepath.Rel(dir, wd)
			if err != nil || rel == "." {
				return "."
			}
			return filepath.ToSlash(rel)
		} else if filepath.Dir(dir) == dir {
			return filepath.Base(wd)
		}
	}
}
