// SPDX-License-Identifier: Apache-2.0

package deploycheck

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// repo is the omadata checkout this module sits in.
const repo = "../.."

var (
	binOnce    sync.Once
	binDir     string
	binErr     error
	serverOnce sync.Once
	serverURL  string
	serverErr  error
	serverStop func()
)

// server builds omadata from this checkout and starts `serve --demo` on a
// free port, once for the test binary; the same process answers every
// test that asks. It is stopped by TestMain.
func server(t *testing.T) string {
	t.Helper()
	bin := serverBinary(t)
	serverOnce.Do(func() { serverURL, serverStop, serverErr = startServer(bin) })
	if serverErr != nil {
		t.Fatal(serverErr)
	}
	return serverURL
}

// serverBinary builds omadata from this checkout once for the test binary.
func serverBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "omadata-deploycheck-")
		if binErr != nil {
			return
		}
		build := exec.Command("go", "build", "-o", filepath.Join(binDir, "omadata"), "./cmd/omadata")
		build.Dir = repo
		if out, err := build.CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build ./cmd/omadata: %w\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return filepath.Join(binDir, "omadata")
}

// startServer starts `omadata demo network` on four free consecutive
// ports: Helsinki, Espoo and Turku, each its own serve process in a
// network with witnesses, and the trust anchor. Helsinki is the server the
// tests ask, a serve with every part on (network, witnesses, webhooks).
func startServer(bin string) (string, func(), error) {
	dir, err := os.MkdirTemp("", "omadata-deploycheck-")
	if err != nil {
		return "", nil, err
	}
	base, err := freePorts(4)
	if err != nil {
		return "", nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "demo", "network", "--base-port", strconv.Itoa(base), "--dir", dir)
	cmd.Dir = dir
	cmd.Env = withoutOmadataEnv(os.Environ())
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 30 * time.Second
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		return "", nil, err
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		cancel()
		return "", nil, err
	}
	stop := func() {
		cancel()
		cmd.Wait()
		os.RemoveAll(dir)
	}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "Stop with Ctrl-C") {
				close(ready)
				break
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	select {
	case <-ready:
		return "http://127.0.0.1:" + strconv.Itoa(base), stop, nil
	case <-time.After(3 * time.Minute):
		stop()
		return "", nil, fmt.Errorf("omadata demo network did not start within 3 minutes:\n%s", stderr.String())
	}
}

// freePorts returns the first of count consecutive ports free now.
func freePorts(count int) (int, error) {
	for range 50 {
		base := 20000 + rand.IntN(30000)
		var lns []net.Listener
		for i := range count {
			ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(base+i))
			if err != nil {
				break
			}
			lns = append(lns, ln)
		}
		for _, ln := range lns {
			ln.Close()
		}
		if len(lns) == count {
			return base, nil
		}
	}
	return 0, errors.New("no free consecutive ports")
}

// withoutOmadataEnv drops the caller's OMADATA_* settings (CI sets some for
// the test suite), so that the server runs as the docs say.
func withoutOmadataEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "OMADATA_") {
			out = append(out, kv)
		}
	}
	return out
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestMain(m *testing.M) {
	code := m.Run()
	if serverStop != nil {
		serverStop()
	}
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}
