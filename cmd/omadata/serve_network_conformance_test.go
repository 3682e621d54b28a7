// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata/internal/federation"
)

// TestServeConformance: "omadata network conformance" passes against
// omadata serve as a member of a network that "omadata network anchor
// serve" runs.
func TestServeConformance(t *testing.T) {
	dir := t.TempDir()
	anchor, db := confStartAnchor(t, dir)
	jwks := filepath.Join(dir, "anchor.jwks")
	confAnchorKeys(t, db, jwks)
	url := startNetworkServe(t, t.TempDir(), map[string]string{
		"OMADATA_NETWORK_ANCHOR": anchor, "OMADATA_NETWORK_ANCHOR_JWKS": jwks, "OMADATA_NETWORK_RULEBOOK": "1",
	})
	confAdmit(t, db, url)
	// The operator carries its trust mark after its next membership
	// refresh (every 5 s until the anchor vouches for it).
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := http.Get(url + federation.WellKnownPath)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		buf.ReadFrom(res.Body)
		res.Body.Close()
		var st federation.Statement
		if federation.Unverified(buf.String(), &st) == nil && len(st.TrustMarks) > 0 {
			break
		} else if time.Now().After(deadline) {
			t.Fatal("the operator carries no trust mark 20 s after its admission")
		}
		time.Sleep(250 * time.Millisecond)
	}

	entity := "http://" + freeAddr(t)
	var stdout, stderr bytes.Buffer
	m := &Main{Stdout: &stdout, Stderr: &stderr, LookupEnv: noEnv}
	done := make(chan error, 1)
	go func() {
		done <- m.Run(context.Background(), []string{"network", "conformance", "--peer", url, "--entity", entity,
			"--key", filepath.Join(t.TempDir(), "checker.jwk"), "--anchor", anchor, "--anchor-jwks", jwks, "--rulebook", "1", "--wait", "20s"})
	}()
	confAdmit(t, db, entity)
	err := <-done
	t.Log("\n" + stdout.String())
	if err != nil {
		t.Fatalf("conformance against omadata: %v\n%s", err, &stderr)
	} else if !strings.Contains(stdout.String(), " 0 failed") {
		t.Error("a check failed")
	}
}
