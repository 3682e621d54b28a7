// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
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

	"golang.org/x/mod/sumdb/note"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/demo"
	"github.com/omadata/omadata/internal/keys"
	"github.com/omadata/omadata/internal/store"
	"github.com/omadata/omadata/internal/store/storetest"
	"github.com/omadata/omadata/internal/witness"
)

// The outside implementations of C2SP tlog-witness that the interop tests
// run as processes of their own (docs/witnessing.md §7), built from the
// module tools/witnessinterop with its own go.mod.
const (
	litewitnessPkg = "filippo.io/torchwood/cmd/litewitness"
	witnessctlPkg  = "filippo.io/torchwood/cmd/witnessctl"
	sigsumPkg      = "./cmd/sigsum-submit-checkpoint"
)

// TestOutsideWitness: litewitness (filippo.io/torchwood v0.6.1), a C2SP
// tlog-witness we did not write, run as its own process, cosigns
// omadata's checkpoints (docs/witnessing.md §7). Its admin adds
// omadata's log with witnessctl, from the origin and key the operator
// publishes at /.well-known/mydata/log-key; an "omadata serve" process
// names litewitness in OMADATA_WITNESSES, and its collector gets a
// cosignature for its checkpoint, then for a larger one with a
// consistency proof. Each cosignature is verified here with the
// witness's key as litewitness printed it (witness.NewCosignatureVerifier,
// not torchwood's code), in the checkpoint the operator publishes.
func TestOutsideWitness(t *testing.T) {
	if testing.Short() {
		t.Skip("builds litewitness and omadata and runs them as processes")
	}
	tools := buildInterop(t, litewitnessPkg, witnessctlPkg)
	lw := startLitewitness(t, tools, "litewitness.interop.test/witness")

	bin, keyFile := buildServer(t)
	dir := t.TempDir()
	witnesses := filepath.Join(dir, "witnesses")
	if err := os.WriteFile(witnesses, []byte("# docs/witnessing.md §3\nwitness litewitness "+lw.VKey+" "+lw.URL+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := spawnServe(t, bin, []string{"OMADATA_SECRET_KEY_FILE=" + keyFile, "OMADATA_OPERATOR_BUSINESS_ID=0201256-6",
		"OMADATA_OPERATOR_EMAIL=mydata@example.fi", "OMADATA_WEBHOOK_WORKERS=0",
		"OMADATA_WITNESSES=" + witnesses, "OMADATA_WITNESS_INTERVAL=1s"},
		"--demo", "--database", "sqlite:"+filepath.Join(dir, "omadata.db"))

	// The witness's admin adds the log, as §7 step 1 says.
	status, logKey := getText(t, base+"/.well-known/mydata/log-key")
	logKey = strings.TrimSpace(logKey)
	if status != http.StatusOK {
		t.Fatalf("GET /.well-known/mydata/log-key: %d", status)
	}
	logVerifier, err := note.NewVerifier(logKey)
	if err != nil {
		t.Fatalf("/.well-known/mydata/log-key %q: %v", logKey, err)
	}
	origin := logVerifier.Name()
	lw.ctl(t, "add-log", "-origin", origin)
	lw.ctl(t, "add-key", "-origin", origin, "-key", logKey)

	cosVerifier, err := witness.NewCosignatureVerifier(lw.VKey)
	if err != nil {
		t.Fatalf("litewitness's key %q: %v", lw.VKey, err)
	}
	first := waitCosigned(t, base, logVerifier, cosVerifier, 0, lw)

	// The log grows (an admin creates a credential, an audited change with
	// its leaf); litewitness cosigns the larger checkpoint only after
	// checking the consistency proof from the one it cosigned.
	admin := readToken(t, filepath.Join(dir, demo.AdminTokenFile))
	var services struct{ Items []omadata.Service }
	callJSON(t, base, "GET", "/api/v1/services", admin, nil, 200, &services)
	if len(services.Items) == 0 {
		t.Fatal("the demo has no services")
	}
	for i := range 3 {
		callJSON(t, base, "POST", "/api/v1/services/"+services.Items[0].ID+"/credentials", admin,
			map[string]any{"name": fmt.Sprintf("interop %d", i), "scopes": []string{omadata.ScopeDecisions}}, 201, nil)
	}
	second := waitCosigned(t, base, logVerifier, cosVerifier, first, lw)
	t.Logf("litewitness cosigned %s at sizes %d (old 0) and %d (with a consistency proof)", origin, first, second)

	// With litewitness the only witness, the default policy (all but one,
	// at least one) needs its cosignature: the witnessed checkpoint
	// carries it, and the published policy names its key.
	status, policy := getText(t, base+"/api/v1/public/log/witness-policy")
	if status != http.StatusOK || !strings.Contains(policy, " "+lw.VKey+" ") {
		t.Errorf("witness-policy: got %d\n%s\nwant litewitness's key %s", status, policy, lw.VKey)
	}
	status, witnessed := getText(t, base+"/api/v1/public/log/checkpoint?witnessed=true")
	if status != http.StatusOK {
		t.Fatalf("GET /api/v1/public/log/checkpoint?witnessed=true: %d", status)
	}
	if n, err := note.Open([]byte(witnessed), note.VerifierList(logVerifier, cosVerifier)); err != nil || len(n.Sigs) != 2 {
		t.Errorf("the witnessed checkpoint: %v, want the log's signature and litewitness's cosignature\n%s", err, witnessed)
	}

	// litewitness's own state says the same.
	logs := lw.ctl(t, "list-logs")
	if !strings.Contains(logs, origin) || !strings.Contains(logs, fmt.Sprintf(`"size":%d`, second)) {
		t.Errorf("witnessctl list-logs: got\n%s\nwant %s at size %d", logs, origin, second)
	}
}

// waitCosigned polls the operator's published checkpoint until it is
// larger than after and carries a cosignature that verifies with cos; it
// returns that checkpoint's size.
func waitCosigned(t *testing.T, base string, logV, cos note.Verifier, after int64, lw *litewitness) int64 {
	t.Helper()
	var last string
	for end := time.Now().Add(60 * time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		status, body := getText(t, base+"/api/v1/public/log/checkpoint")
		if status != http.StatusOK {
			t.Fatalf("GET /api/v1/public/log/checkpoint: %d", status)
		}
		last = body
		n, err := note.Open([]byte(body), note.VerifierList(logV, cos))
		if err != nil {
			t.Fatalf("the published checkpoint does not verify with the log's key: %v\n%s", err, body)
		}
		cp, err := witness.ParseCheckpoint(n.Text)
		if err != nil {
			t.Fatal(err)
		}
		if cp.Size <= after {
			continue
		}
		for _, sig := range n.Sigs {
			if sig.Name != cos.Name() || sig.Hash != cos.KeyHash() {
				continue
			}
			// note.Open verified it with cos: the cosignature/v1
			// message over this checkpoint's text.
			when, err := witness.CosignatureTime(sig)
			if err != nil {
				t.Fatal(err)
			}
			if d := time.Since(when); d < -time.Minute || d > 5*time.Minute {
				t.Errorf("cosignature time %s, want about now", when)
			}
			return cp.Size
		}
	}
	t.Fatalf("no checkpoint after size %d cosigned by %s in 60 s; last published:\n%s\nlitewitness:\n%s", after, cos.Name(), last, lw.out.String())
	return 0
}

// TestOutsideClient: a witness client we did not write, sigsum-go
// v0.14.1's (its pkg/client AddCheckpoint, run as its own process by
// tools/witnessinterop's sigsum-submit-checkpoint), submits checkpoints
// of a Sigsum log to an "omadata serve" process's witness and verifies
// the cosignatures with sigsum-go's own check. omadata's admin adds the
// Sigsum log with "omadata witness add-log" (origin and signed-note
// verifier key). The client sends old 0, then a larger checkpoint with
// a consistency proof; then a stale old size, which omadata answers with
// 409 and its size as sigsum-go parses it; and a client holding another
// witness key refuses omadata's cosignature.
func TestOutsideClient(t *testing.T) {
	if testing.Short() {
		t.Skip("builds sigsum-go's client and omadata and runs them as processes")
	}
	tools := buildInterop(t, sigsumPkg)
	submit := filepath.Join(tools, "sigsum-submit-checkpoint")
	bin, keyFile := buildServer(t)
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "omadata.db")
	env := []string{"OMADATA_SECRET_KEY_FILE=" + keyFile, "OMADATA_OPERATOR_BUSINESS_ID=0201256-6",
		"OMADATA_OPERATOR_EMAIL=mydata@example.fi", "OMADATA_WEBHOOK_WORKERS=0"}
	base := spawnServe(t, bin, env, "--database", db)

	seed := make([]byte, 32)
	rand.Read(seed)
	sigsum := func(args ...string) (string, error) {
		out, err := exec.Command(submit, append([]string{"-seed", hex.EncodeToString(seed)}, args...)...).CombinedOutput()
		return string(out), err
	}
	out, err := sigsum("-print-log-key")
	if err != nil {
		t.Fatalf("sigsum-submit-checkpoint -print-log-key: %v\n%s", err, out)
	}
	origin, logKey, _ := strings.Cut(strings.TrimSpace(out), "\n")
	runOmadata(t, bin, env, "witness", "add-log", "--database", db, "--origin", origin, "--key", logKey,
		"--label", "sigsum interop", "--reason", "TestOutsideClient")

	witnessKey := ownWitnessKey(t, base, db)
	prefix := base + "/witness/v1"
	out, err = sigsum("-witness", prefix, "-witness-key", witnessKey, "-submit", "0:5,5:12")
	if err != nil {
		t.Fatalf("sigsum-go's client, old 0 then 5 to 12: %v\n%s", err, out)
	}
	if got := strings.Count(out, "— "+witnessName(witnessKey)+" "); got != 2 {
		t.Errorf("got %d cosignature lines, want 2:\n%s", got, out)
	}

	// A stale old size: 409 with the size omadata holds, as
	// text/x.tlog.size (sigsum-go checks the content type).
	out, err = sigsum("-witness", prefix, "-witness-key", witnessKey, "-submit", "5:13")
	if err == nil || !strings.Contains(out, "status 409, the witness holds size 12") {
		t.Errorf("old 5 after 12: got %v\n%s\nwant a 409 with size 12", err, out)
	}

	// A client that trusts another key for omadata's witness name finds
	// no cosignature of it: the check can fail.
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	cs, err := witness.NewCosigner(witnessName(witnessKey), other)
	if err != nil {
		t.Fatal(err)
	}
	out, err = sigsum("-witness", prefix, "-witness-key", cs.VerifierKey(), "-submit", "12:13")
	if err == nil || !strings.Contains(out, "no cosignature by") {
		t.Errorf("another witness key: got %v\n%s\nwant the cosignature refused", err, out)
	}
}

// ownWitnessKey returns the verifier key of the witness of the operator
// at base, whose database is db: what its admin hands to a log that wants
// its cosignatures. It is read from the operator's signing keys with the
// secret key, as serve reads it (the key of purpose witness, made on
// first use), under the name serve gives it (omadata.WitnessName).
func ownWitnessKey(t *testing.T, base, db string) string {
	t.Helper()
	ctx := context.Background()
	sdb, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	sealer, err := keys.NewSealer(storetest.SecretKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := witness.NewCosignerFromKeys(storetest.Admin(), store.New(sdb), sealer, omadata.WitnessName(base))
	if err != nil {
		t.Fatal(err)
	}
	return c.VerifierKey()
}

// witnessName is the name of a verifier key.
func witnessName(vkey string) string {
	name, _, _ := strings.Cut(vkey, "+")
	return name
}

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
	cmd.Env = append(append(os.Environ(), "OMADATA_SHUTDOWN_DELAY=0s"), env...)
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
	cmd.Env = append(append(os.Environ(), "OMADATA_SHUTDOWN_DELAY=0s"), env...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	p := &process{url: make(chan string, 1), exited: make(chan error)}
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

// runOmadata runs the omadata binary with args and returns its standard
// output; a non-zero exit fails the test.
func runOmadata(t *testing.T, bin string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(append(os.Environ(), "OMADATA_SHUTDOWN_DELAY=0s"), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("omadata %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out)
}
