// SPDX-License-Identifier: Apache-2.0

package oidctest

import (
	"errors"
	"fmt"
	"runtime"
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

// TestRequire: a provider that does not build skips the test, or fails
// it where OMADATA_TEST_REQUIRE contains oidc; one that builds does
// neither.
func TestRequire(t *testing.T) {
	noGo := errors.New(`exec: "go": executable file not found in $PATH`)
	t.Setenv("OMADATA_TEST_REQUIRE", "postgres,chromium")
	if o := run(t, func(tb testing.TB) { require(tb, noGo) }); o.skipped == "" || o.failed != "" {
		t.Errorf("without oidc required: failed %q, skipped %q; want a skip", o.failed, o.skipped)
	}
	t.Setenv("OMADATA_TEST_REQUIRE", "postgres,chromium,oidc")
	if o := run(t, func(tb testing.TB) { require(tb, noGo) }); o.failed == "" || o.skipped != "" {
		t.Errorf("with oidc required: failed %q, skipped %q; want a failure", o.failed, o.skipped)
	}
	if o := run(t, func(tb testing.TB) { require(tb, nil) }); o.failed != "" || o.skipped != "" {
		t.Errorf("a provider that builds: failed %q, skipped %q; want neither", o.failed, o.skipped)
	}
}
