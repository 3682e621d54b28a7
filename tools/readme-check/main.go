// SPDX-License-Identifier: Apache-2.0

//go:build unix

// Command readme-check runs the shell examples of the README as a new user
// would, and fails on the first one that fails. It copies the working tree
// (tracked and unignored files, as a fresh clone has them) to a temporary
// directory, starts the demo there with "go run ./cmd/omadata serve --demo",
// and runs every ```sh block in order in one bash session, so that a
// variable set in one block is there in the next:
//
//	go run ./tools/readme-check [-postgres] [-v] [README.md]
//
// A block fails when a command exits non-zero (bash -e, with pipefail);
// curl runs with --fail-with-body, so an HTTP error status fails it too.
// When a plain ``` block follows a ```sh block, it is the output the block
// must print, line by line, where … stands for any text.
//
// An HTML comment on the line before a block changes how it runs:
//
//	<!-- readme-check: skip: reason -->   not run
//	<!-- readme-check: serve -->          starts a server that runs until
//	                                      stopped: it must answer /healthz,
//	                                      then it is stopped
//	<!-- readme-check: serve postgres --> the same, only with -postgres
//	                                      (the database it names must exist)
//
// The demo listens on a free port rather than 127.0.0.1:8080, which the
// blocks name: the check replaces that address, so that it never talks to
// a server someone else is running there.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"
)

// README's address of the demo, which the check replaces.
const readmeAddr = "127.0.0.1:8080"

// demoCommand starts the demo, as the README's first block says.
const demoCommand = "go run ./cmd/omadata serve --demo"

func main() {
	// Ctrl-C stops the blocks and still stops the servers, which run in
	// process groups of their own.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		stop()
		fmt.Fprintln(os.Stderr, "readme-check:", err)
		os.Exit(1)
	}
}

type options struct {
	postgres bool
	verbose  bool
	keep     bool
	timeout  time.Duration
}

func run(ctx context.Context, args []string, w io.Writer) error {
	fs := flag.NewFlagSet("readme-check", flag.ContinueOnError)
	var o options
	fs.BoolVar(&o.postgres, "postgres", false, "also run the blocks marked postgres (the database they name must exist, empty or made by them)")
	fs.BoolVar(&o.verbose, "v", false, "print each block's output")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directory")
	fs.DurationVar(&o.timeout, "timeout", 3*time.Minute, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return err
	}
	// The tree is the repository of the working directory; the README is
	// its own unless another file is named.
	root, err := gitRoot(".")
	if err != nil {
		return err
	}
	readme := filepath.Join(root, "README.md")
	if fs.NArg() > 0 {
		readme = fs.Arg(0)
	}
	src, err := os.ReadFile(readme)
	if err != nil {
		return err
	}
	blocks, err := parse(string(src))
	if err != nil {
		return fmt.Errorf("%s: %w", readme, err)
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()

	dir, err := os.MkdirTemp("", "readme-check-")
	if err != nil {
		return err
	}
	if o.keep {
		fmt.Fprintln(w, "readme-check: working in", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	work := filepath.Join(dir, "clone")
	if err := copyTree(root, work); err != nil {
		return err
	}
	outDir := filepath.Join(dir, "out")
	if err := os.Mkdir(outDir, 0o700); err != nil {
		return err
	}
	env := cleanEnv(os.Environ())
	addr, err := freeAddr()
	if err != nil {
		return err
	}

	start := time.Now()
	demo, err := startServer(ctx, work, demoCommand, append(env, "OMADATA_LISTEN="+addr), addr, filepath.Join(outDir, "demo"))
	if err != nil {
		return fmt.Errorf("start the demo (%s): %w", demoCommand, err)
	}
	defer demo.stop()
	fmt.Fprintf(w, "readme-check: demo up on %s in %s\n", addr, time.Since(start).Round(100*time.Millisecond))

	sh, err := startShell(ctx, work, env)
	if err != nil {
		return err
	}
	defer sh.close()
	ran, skipped := 0, 0
	for i, b := range blocks {
		at := fmt.Sprintf("%s:%d", filepath.Base(readme), b.Line)
		text := strings.ReplaceAll(b.Text, readmeAddr, addr)
		t0 := time.Now()
		switch {
		case b.has("skip"):
			fmt.Fprintf(w, "skip %s: %s\n", at, b.Reason)
			skipped++
			continue
		case b.has("postgres") && !o.postgres:
			fmt.Fprintf(w, "skip %s: needs PostgreSQL (run with -postgres)\n", at)
			skipped++
			continue
		case b.has("serve"):
			other, err := freeAddr()
			if err != nil {
				return err
			}
			s, err := startServer(ctx, work, text, append(env, "OMADATA_LISTEN="+other), other, filepath.Join(outDir, fmt.Sprint(i)))
			if err != nil {
				return fmt.Errorf("%s: %w", at, err)
			}
			s.stop()
		default:
			out, err := sh.run(i, text, outDir)
			if o.verbose {
				w.Write(out)
			}
			if err != nil {
				errText, _ := os.ReadFile(filepath.Join(outDir, fmt.Sprintf("%d.err", i)))
				return fmt.Errorf("%s: %w\n--- the block\n%s--- its output\n%s--- its errors\n%s", at, err, b.Text, out, errText)
			}
			if b.HasWant {
				if err := match(string(out), strings.ReplaceAll(b.Want, readmeAddr, addr)); err != nil {
					return fmt.Errorf("%s: %w", at, err)
				}
			}
		}
		ran++
		fmt.Fprintf(w, "ok   %s (%s)\n", at, time.Since(t0).Round(100*time.Millisecond))
	}
	fmt.Fprintf(w, "readme-check: %d blocks ran, %d skipped, in %s\n", ran, skipped, time.Since(start).Round(100*time.Millisecond))
	return nil
}

// block is a ```sh block of the README.
type block struct {
	Line       int      // of the opening fence
	Text       string   // the commands, ending in a newline
	Directives []string // from a readme-check comment on the line before
	Reason     string   // why a skipped block is skipped
	Want       string   // the output, from a plain ``` block right after
	HasWant    bool
}

func (b block) has(d string) bool { return slices.Contains(b.Directives, d) }

var directive = regexp.MustCompile(`^<!-- readme-check: (.*?) -->$`)

// parse returns the README's ```sh blocks, with their directives and
// expected output.
func parse(md string) ([]block, error) {
	lines := strings.Split(md, "\n")
	var out []block
	for i := 0; i < len(lines); i++ {
		fence, ok := strings.CutPrefix(lines[i], "```")
		if !ok {
			continue
		}
		end := slices.Index(lines[i+1:], "```")
		if end < 0 {
			return nil, fmt.Errorf("line %d: the block is not closed", i+1)
		}
		body := lines[i+1 : i+1+end]
		if fence != "sh" {
			i += end + 1
			continue
		}
		b := block{Line: i + 1, Text: strings.Join(body, "\n") + "\n"}
		if i > 0 {
			if m := directive.FindStringSubmatch(lines[i-1]); m != nil {
				words, reason, _ := strings.Cut(m[1], ":")
				b.Directives, b.Reason = strings.Fields(words), strings.TrimSpace(reason)
				for _, d := range b.Directives {
					if d != "skip" && d != "serve" && d != "postgres" {
						return nil, fmt.Errorf("line %d: unknown readme-check directive %q", i, d)
					}
				}
				if b.has("skip") && b.Reason == "" {
					return nil, fmt.Errorf("line %d: say why the block is skipped: <!-- readme-check: skip: reason -->", i)
				}
			} else if strings.Contains(lines[i-1], "readme-check") {
				return nil, fmt.Errorf("line %d: want <!-- readme-check: directives -->", i)
			}
		}
		i += end + 1
		// The output: a plain block after blank lines only.
		j := i + 1
		for j < len(lines) && strings.TrimSpace(lines[j]) == "" {
			j++
		}
		if j < len(lines) && lines[j] == "```" {
			wend := slices.Index(lines[j+1:], "```")
			if wend < 0 {
				return nil, fmt.Errorf("line %d: the block is not closed", j+1)
			}
			b.Want, b.HasWant = strings.Join(lines[j+1:j+1+wend], "\n")+"\n", true
			i = j + 1 + wend
		}
		out = append(out, b)
	}
	return out, nil
}

// match compares a block's output with the README's, line by line; … in
// the README stands for any text.
func match(got, want string) error {
	g := strings.Split(strings.TrimRight(got, "\n"), "\n")
	w := strings.Split(strings.TrimRight(want, "\n"), "\n")
	ok := len(g) == len(w)
	for i := 0; ok && i < len(w); i++ {
		parts := strings.Split(w[i], "…")
		for k := range parts {
			parts[k] = regexp.QuoteMeta(parts[k])
		}
		ok = regexp.MustCompile(`^` + strings.Join(parts, `.*`) + `$`).MatchString(strings.TrimRight(g[i], " \t"))
	}
	if !ok {
		return fmt.Errorf("got output\n%s\nwant, as the README shows it,\n%s", got, want)
	}
	return nil
}

// shell is one bash session that runs the blocks in turn.
type shell struct {
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Scanner
	done chan error
}

// prelude makes bash stop at the first failing command, in pipelines and
// command substitutions too, and makes curl fail on an HTTP error status.
const prelude = `set -euo pipefail
shopt -s inherit_errexit
curl() { command curl --fail-with-body --show-error "$@"; }
`

func startShell(ctx context.Context, dir string, env []string) (*shell, error) {
	cmd := exec.CommandContext(ctx, "bash", "--noprofile", "--norc", "-s")
	cmd.Dir, cmd.Env, cmd.Stderr = dir, env, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &shell{cmd: cmd, in: in, out: bufio.NewScanner(out), done: make(chan error, 1)}
	if _, err := io.WriteString(in, prelude); err != nil {
		return nil, err
	}
	return s, nil
}

// run runs block i and returns what it printed on standard output. The
// block's streams go to files, so that its variables stay in the session
// (a pipe would run it in a subshell), and it reads no standard input,
// which is the session's script.
func (s *shell) run(i int, text, outDir string) ([]byte, error) {
	outFile := filepath.Join(outDir, fmt.Sprintf("%d.out", i))
	errFile := filepath.Join(outDir, fmt.Sprintf("%d.err", i))
	sentinel := fmt.Sprintf("readme-check: block %d done", i)
	script := fmt.Sprintf("{\n%s} </dev/null >%s 2>%s\necho '%s'\n", text, quote(outFile), quote(errFile), sentinel)
	if _, err := io.WriteString(s.in, script); err != nil {
		return nil, fmt.Errorf("the shell is gone: %w", err)
	}
	for s.out.Scan() {
		if s.out.Text() == sentinel {
			out, err := os.ReadFile(outFile)
			return out, err
		}
	}
	out, _ := os.ReadFile(outFile)
	err := s.cmd.Wait()
	if err == nil {
		err = errors.New("the shell stopped")
	}
	return out, err
}

func (s *shell) close() {
	s.in.Close()
	s.cmd.Wait()
}

// quote quotes a path for bash.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// server is a process that serves until it is stopped.
type server struct {
	cmd    *exec.Cmd
	exited chan struct{}
}

// startServer runs script with bash in its own process group and waits
// until http://addr/healthz answers 200, or fails with what it logged.
func startServer(ctx context.Context, dir, script string, env []string, addr, logPrefix string) (*server, error) {
	stdout, err := os.Create(logPrefix + ".out")
	if err != nil {
		return nil, err
	}
	defer stdout.Close()
	stderr, err := os.Create(logPrefix + ".err")
	if err != nil {
		return nil, err
	}
	defer stderr.Close()
	cmd := exec.Command("bash", "--noprofile", "--norc", "-euo", "pipefail", "-c", script)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = dir, env, stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, exited: make(chan struct{})}
	go func() { cmd.Wait(); close(s.exited) }()
	fail := func(why string) (*server, error) {
		s.stop()
		logged, _ := os.ReadFile(logPrefix + ".err")
		return nil, fmt.Errorf("%s; it logged:\n%s", why, tail(logged, 20))
	}
	for {
		select {
		case <-s.exited:
			return fail(fmt.Sprintf("the server stopped (%s)", cmd.ProcessState))
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.Canceled) {
				return fail("interrupted")
			}
			return fail("the server did not answer /healthz in time")
		case <-time.After(200 * time.Millisecond):
		}
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
	}
}

// stop interrupts the server's process group, as Ctrl-C would, and kills
// it if it has not stopped after 30 s.
func (s *server) stop() {
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGINT)
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.exited
	}
}

func tail(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// cleanEnv drops the OMADATA_* settings of the caller's environment, which
// a new user does not have.
func cleanEnv(env []string) []string {
	return slices.DeleteFunc(slices.Clone(env), func(kv string) bool { return strings.HasPrefix(kv, "OMADATA_") })
}

// freeAddr returns a loopback address with a port nobody listens on now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func gitRoot(dir string) (string, error) {
	out, err := exec.Command("git", "-C", dir, "rev-parse", "--show-toplevel").Output()
	if err != nil {
		return "", fmt.Errorf("find the repository: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// copyTree copies the files a fresh clone of the working tree has: the
// tracked ones as they are now, and new ones that are not ignored.
func copyTree(root, dst string) error {
	out, err := exec.Command("git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		return fmt.Errorf("list the repository's files: %w", err)
	}
	for name := range strings.SplitSeq(strings.TrimRight(string(out), "\x00"), "\x00") {
		from := filepath.Join(root, name)
		fi, err := os.Lstat(from)
		if errors.Is(err, os.ErrNotExist) {
			continue // deleted in the working tree
		} else if err != nil {
			return err
		} else if !fi.Mode().IsRegular() {
			continue
		}
		to := filepath.Join(dst, name)
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			return err
		}
		buf, err := os.ReadFile(from)
		if err != nil {
			return err
		}
		if err := os.WriteFile(to, buf, fi.Mode().Perm()); err != nil {
			return err
		}
	}
	return nil
}
