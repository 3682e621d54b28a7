// SPDX-License-Identifier: Apache-2.0

// Package oidctest runs tools/testop, a real OpenID provider, as a process
// of its own for a test, and logs people in through it as a browser
// would. Tests that need it skip when tools/testop cannot be built, and
// fail instead when OMADATA_TEST_REQUIRE names "oidc" (CI).
package oidctest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/omadata/omadata/internal/skips"
	"github.com/omadata/omadata/tools/testop/config"
)

// The configuration of tools/testop.
type (
	Config    = config.Config
	Client    = config.Client
	User      = config.User
	Misbehave = config.Misbehave
)

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// build compiles tools/testop once per test binary. Every test binary
// writes the same file in the temporary directory, through a rename, so
// runs leave one copy behind and packages testing in parallel do not
// trip over each other.
func build() (string, error) {
	buildOnce.Do(func() {
		dir := filepath.Join(os.TempDir(), "omadata-testop")
		if buildErr = os.MkdirAll(dir, 0o755); buildErr != nil {
			return
		}
		tmp, err := os.CreateTemp(dir, "build-*")
		if err != nil {
			buildErr = err
			return
		}
		tmp.Close()
		out, err := exec.Command("go", "build", "-o", tmp.Name(), "github.com/omadata/omadata/tools/testop").CombinedOutput()
		if err != nil {
			os.Remove(tmp.Name())
			buildErr = fmt.Errorf("go build ./tools/testop: %w\n%s", err, out)
			return
		}
		binary = filepath.Join(dir, "testop")
		buildErr = os.Rename(tmp.Name(), binary)
	})
	return binary, buildErr
}

// require skips t when the provider did not build (err), or fails it
// where OMADATA_TEST_REQUIRE names "oidc".
func require(t testing.TB, err error) {
	t.Helper()
	if err == nil {
		return
	}
	skips.Skip(t, skips.OIDC, fmt.Sprintf("the OpenID provider does not build: %v", err))
}

// OP is a running provider.
type OP struct {
	Addr   string // host:port
	Issuer string // as configured, with {addr} replaced
}

// Start runs the provider with cfg until the test ends. "{addr}" in the
// issuer and the clients' URIs stands for the provider's address; Start
// returns once discovery answers.
func Start(t testing.TB, cfg Config) *OP {
	t.Helper()
	bin, err := build()
	require(t, err)
	buf, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "testop.json")
	if err := os.WriteFile(path, buf, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "-config", path)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
	})
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			line <- sc.Text()
		}
		close(line)
	}()
	var addr string
	select {
	case l, ok := <-line:
		if !ok {
			cmd.Wait()
			t.Fatalf("testop stopped before listening:\n%s", stderr.String())
		}
		addr = l
	case <-time.After(30 * time.Second):
		t.Fatal("testop did not start in 30 s")
	}
	op := &OP{Addr: addr, Issuer: strings.ReplaceAll(cfg.Issuer, "{addr}", addr)}
	op.waitDiscovery(t)
	return op
}

// DiscoveryURL is where the provider's discovery document is: the issuer
// without a trailing "/", then /.well-known/openid-configuration (OpenID
// Connect Discovery 1.0 §4).
func (op *OP) DiscoveryURL() string {
	return strings.TrimSuffix(op.Issuer, "/") + "/.well-known/openid-configuration"
}

func (op *OP) waitDiscovery(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := httpClient.Get(op.DiscoveryURL())
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("discovery at %s did not answer: %v", op.DiscoveryURL(), err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
