// SPDX-License-Identifier: Apache-2.0

package deploycheck

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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

var servingLine = regexp.MustCompile(`is serving (http://\S+)`)

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

func startServer(bin string) (string, func(), error) {
	dir, err := os.MkdirTemp("", "omadata-deploycheck-")
	if err != nil {
		return "", nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "serve", "--demo", "--listen", "127.0.0.1:0",
		"--database", "sqlite:"+filepath.Join(dir, "omadata.db"), "--log-level", "warn")
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
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := servingLine.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
				break
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	select {
	case u := <-found:
		return u, stop, nil
	case <-time.After(2 * time.Minute):
		stop()
		return "", nil, fmt.Errorf("omadata serve --demo did not start within 2 minutes:\n%s", stderr.String())
	}
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
