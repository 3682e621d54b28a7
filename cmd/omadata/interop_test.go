// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The outside implementations of C2SP tlog-witness that the interop tests
// run as processes of their own (docs/witnessing.md §7), built from the
// module tools/witnessinterop with its own go.mod.
const (
	litewitnessPkg = "filippo.io/torchwood/cmd/litewitness"
	witnessctlPkg  = "filippo.io/torchwood/cmd/witnessctl"
	sigsumPkg      = "./cmd/sigsum-submit-checkpoint"
)

// buildInterop builds pkgs of tools/witnessinterop into a temporary
// directory and returns it. A build that fails fails the test: the
// modules are in the Go module cache or the proxy wherever the tests run.
func buildInterop(t *testing.T, pkgs ...string) string {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command("go", append([]string{"build", "-o", dir + string(os.PathSeparator)}, pkgs...)...)
	cmd.Dir = filepath.Join("..", "..", "tools", "witnessinterop")
	cmd.Env = append(os.Environ(), "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s in tools/witnessinterop: %v\n%s", strings.Join(pkgs, " "), err, out)
	}
	return dir
}

// litewitness is a running litewitness (filippo.io/torchwood v0.6.1).
type litewitness struct {
	URL  string // its submission prefix: add-checkpoint is at the root
	Name string // its witness name
	VKey string // the verifier key it printed
	DB   string // its SQLite database, which witnessctl edits
	bin  string
	out  *syncBuffer
}

// startLitewitness starts an ssh-agent holding a new Ed25519 key, as
// litewitness's own tests do (cmd/litewitness/testdata/litewitness.txt),
// and litewitness signing with it, on a free port; both are stopped when
// the test ends. It returns once litewitness listens and has printed its
// verifier key, which must be the agent's key.
func startLitewitness(t *testing.T, bin, name string) *litewitness {
	t.Helper()
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "witness_key")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "litewitness", "-f", keyFile).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	pub := sshEd25519Public(t, keyFile+".pub")

	sock := filepath.Join(dir, "agent.sock")
	agent := startChild(t, "ssh-agent", nil, "ssh-agent", "-D", "-a", sock)
	waitUntil(t, 10*time.Second, "ssh-agent's socket", func() bool {
		_, err := os.Stat(sock)
		return err == nil
	}, agent)
	add := exec.Command("ssh-add", keyFile)
	add.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("ssh-add: %v\n%s", err, out)
	}

	addr := "127.0.0.1:" + strconv.Itoa(freePorts(t, 1))
	h := sha256.Sum256(pub)
	w := &litewitness{URL: "http://" + addr, Name: name, DB: filepath.Join(dir, "litewitness.db"), bin: bin}
	w.out = startChild(t, "litewitness", nil, filepath.Join(bin, "litewitness"),
		"-ssh-agent", sock, "-name", name, "-key", hex.EncodeToString(h[:]), "-db", w.DB, "-listen", addr)
	waitUntil(t, 30*time.Second, "litewitness to listen", func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil && strings.Contains(w.out.String(), "vkey=")
	}, w.out)
	_, after, _ := strings.Cut(w.out.String(), "vkey=")
	w.VKey, _, _ = strings.Cut(strings.TrimSpace(after), "\n")
	w.VKey = strings.TrimSpace(w.VKey)

	// The printed key is name+hash+base64(0x04 || the agent's key)
	// (tlog-cosignature §Format).
	parts := strings.SplitN(w.VKey, "+", 3)
	if len(parts) != 3 || parts[0] != name {
		t.Fatalf("litewitness printed verifier key %q, want one named %s", w.VKey, name)
	}
	if raw, err := base64.StdEncoding.DecodeString(parts[2]); err != nil || !bytes.Equal(raw, append([]byte{0x04}, pub...)) {
		t.Fatalf("litewitness's verifier key %q is not of the agent's key %x", w.VKey, pub)
	}
	return w
}

// ctl runs witnessctl on the witness's database.
func (w *litewitness) ctl(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(filepath.Join(w.bin, "witnessctl"), append([]string{args[0], "-db", w.DB}, args[1:]...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("witnessctl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// sshEd25519Public reads the 32-byte key of an OpenSSH ssh-ed25519
// public key file (RFC 8709 §4: string "ssh-ed25519", string key).
func sshEd25519Public(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b))
	if len(f) < 2 || f[0] != "ssh-ed25519" {
		t.Fatalf("%s: not an ssh-ed25519 key: %q", path, b)
	}
	wire, err := base64.StdEncoding.DecodeString(f[1])
	if err != nil || len(wire) != 4+11+4+32 || string(wire[4:15]) != "ssh-ed25519" {
		t.Fatalf("%s: bad key blob: %v", path, err)
	}
	return wire[len(wire)-32:]
}

// startChild starts a process whose standard output and error go to the
// buffer it returns; it is interrupted (then killed) when the test ends,
// and its output is logged if the test failed.
func startChild(t *testing.T, what string, env []string, name string, args ...string) *syncBuffer {
	t.Helper()
	out := &syncBuffer{}
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", what, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", what, out.String())
		}
	})
	return out
}

// waitUntil polls ok every 100 ms and fails the test, with the child's
// output, when it does not hold within d.
func waitUntil(t *testing.T, d time.Duration, what string, ok func() bool, out *syncBuffer) {
	t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("waited %s for %s:\n%s", d, what, out.String())
}

// spawnServe starts "omadata serve" (bin) as a process of its own with
// args after "serve" and env added to the test's environment, and returns
// its base URL once it listens; it is stopped when the test ends.
func spawnServe(t *testing.T, bin string, env []string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, append([]string{"serve", "--listen", "127.0.0.1:0", "--log-level", "warn"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	p := &process{url: make(chan string, 1), exited: make(chan error), stderr: &bytes.Buffer{}}
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if _, after, ok := strings.Cut(sc.Text(), " is serving "); ok {
				p.url <- strings.TrimSpace(after)
			}
		}
		io.Copy(io.Discard, out)
		p.err = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		cancel()
		<-p.exited
		if t.Failed() {
			t.Logf("omadata serve's standard error:\n%s", stderr.String())
		}
	})
	select {
	case u := <-p.url:
		return u
	case <-p.exited:
		t.Fatalf("omadata serve exited before listening: %v\n%s", p.err, stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("omadata serve did not start:\n%s", stderr.String())
	}
	return ""
}

// getText GETs base+path and returns the body of a 200 answer, or
// "" and the status of any other.
func getText(t *testing.T, base, path string) (string, int) {
	t.Helper()
	res, err := http.Get(base + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	if res.StatusCode != http.StatusOK {
		return "", res.StatusCode
	}
	return string(b), res.StatusCode
}

// runOmadata runs the omadata binary with args and returns its standard
// output; a non-zero exit fails the test.
func runOmadata(t *testing.T, bin string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("omadata %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out)
}

var _ = fmt.Sprintf
