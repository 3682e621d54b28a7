// SPDX-License-Identifier: Apache-2.0

package browsertest

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// outcome records how a check ended: failed, skipped, or neither.
type outcome struct {
	testing.TB
	failed, skipped string
}

func (o *outcome) Helper() {}
func (o *outcome) Fatalf(format string, args ...any) {
	o.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (o *outcome) Skip(args ...any) {
	o.skipped = fmt.Sprint(args...)
	runtime.Goexit()
}

func run(t *testing.T, f func(testing.TB)) *outcome {
	o := &outcome{TB: t}
	done := make(chan struct{})
	go func() { defer close(done); f(o) }()
	<-done
	return o
}

// TestMustRequire: without Chromium the browser tests skip, but what a
// flag asked for (the screenshots) fails, and so do the tests where
// OMADATA_TEST_REQUIRE=chromium.
func TestMustRequire(t *testing.T) {
	t.Setenv("OMADATA_CHROMIUM", filepath.Join(t.TempDir(), "no-chromium"))
	t.Setenv("OMADATA_TEST_REQUIRE", "")
	if o := run(t, func(tb testing.TB) { Require(tb) }); o.skipped == "" || o.failed != "" {
		t.Errorf("Require without Chromium: failed %q, skipped %q; want a skip", o.failed, o.skipped)
	}
	if o := run(t, func(tb testing.TB) { MustRequire(tb) }); !strings.Contains(o.failed, "no Chromium") || o.skipped != "" {
		t.Errorf("MustRequire without Chromium: failed %q, skipped %q; want a failure naming Chromium", o.failed, o.skipped)
	}
	// A browser, but no axe-core.
	t.Setenv("OMADATA_CHROMIUM", os.Args[0])
	defer func(p string) { axePath = p }(axePath)
	axePath = filepath.Join(t.TempDir(), "axe.min.js")
	if o := run(t, func(tb testing.TB) { MustRequire(tb) }); !strings.Contains(o.failed, "axe-core") {
		t.Errorf("MustRequire without axe-core: failed %q, skipped %q; want a failure naming axe-core", o.failed, o.skipped)
	}
	t.Setenv("OMADATA_TEST_REQUIRE", "chromium")
	if o := run(t, func(tb testing.TB) { Require(tb) }); o.failed == "" {
		t.Errorf("Require without Chromium under OMADATA_TEST_REQUIRE=chromium: skipped %q, want a failure", o.skipped)
	}
}
