// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/omadata/omadata/internal/dpop"
)

// TestRun: the first run makes the key, later ones reuse it; the proof
// checks for its method, URL and token, and names the key -jkt prints.
func TestRun(t *testing.T) {
	key := filepath.Join(t.TempDir(), "app.key")
	out := func(args ...string) string {
		t.Helper()
		var b bytes.Buffer
		if err := run(&b, append([]string{"-key", key}, args...)); err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(b.String())
	}
	jkt := out("-jkt")
	if again := out("-jkt"); again != jkt || len(jkt) != 43 {
		t.Fatalf("thumbprints %q and %q", jkt, again)
	}
	url := "http://127.0.0.1:8080/api/v1/me"
	proof := out("-method", "GET", "-url", url, "-token", "oma_app_x")
	p, err := (&dpop.Verifier{}).Verify(context.Background(), []string{proof}, "GET", url, "oma_app_x")
	if err != nil {
		t.Fatal(err)
	} else if p.JKT != jkt {
		t.Fatalf("proof of key %s, want %s", p.JKT, jkt)
	}
	if _, err := (&dpop.Verifier{}).Verify(context.Background(), []string{proof}, "GET", url, "oma_app_y"); err == nil {
		t.Fatal("a proof for another token checks")
	}
	if err := run(&bytes.Buffer{}, []string{"-key", key}); err == nil {
		t.Fatal("no -url: no error")
	}
}
