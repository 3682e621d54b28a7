// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/omadata/omadata/internal/bench"
	"github.com/omadata/omadata/internal/store"
)

// BenchCommand runs the performance workloads on freshly loaded databases.
type BenchCommand struct {
	m         *Main
	fs        *flag.FlagSet
	engine    string
	database  string
	dir       string
	records   string
	workloads string
	probe     time.Duration
	warmup    time.Duration
	closed    time.Duration
	profile   string
	mutex     string
	block     string
	trace     string
	breakdown bool
	keep      string
	reuse     string
	peer      string
	peerLoad  time.Duration
	peerPath  string
}

func newBenchCommand(m *Main) *BenchCommand {
	c := &BenchCommand{m: m, fs: flag.NewFlagSet("bench", flag.ContinueOnError)}
	c.fs.StringVar(&c.engine, "engine", "sqlite", "database engine: sqlite or postgres")
	c.fs.StringVar(&c.database, "database", "", "postgres: `URL` of a database in which a fresh schema is made and dropped")
	c.fs.StringVar(&c.dir, "dir", "", "sqlite: `directory` for the temporary database file (default the system's)")
	c.fs.StringVar(&c.records, "records", "1e4,1e6", "consent records to load, a comma-separated `list`")
	c.fs.StringVar(&c.workloads, "workloads", strings.Join(bench.Workloads, ","), "workloads to run, a comma-separated `list`")
	c.fs.DurationVar(&c.probe, "probe", 3*time.Second, "length of each probe of a rate search and of the write workloads' closed loops")
	c.fs.DurationVar(&c.warmup, "warmup", 3*time.Second, "W1: unmeasured warm-up before each closed loop")
	c.fs.DurationVar(&c.closed, "closed", 10*time.Second, "W1: length of each measured closed loop (16 clients)")
	c.fs.StringVar(&c.profile, "cpuprofile", "", "write CPU profiles of W1's measured windows (not the bare handler's) and of each other workload to `prefix`-<engine>-<records>-<window>.prof")
	c.fs.StringVar(&c.mutex, "mutexprofile", "", "write the mutex profile of W1's closed loop to `prefix`-<engine>-<records>-W1-closed.prof")
	c.fs.StringVar(&c.block, "blockprofile", "", "write the block profile of W1's closed loop to `prefix`-<engine>-<records>-W1-closed.prof")
	c.fs.StringVar(&c.trace, "trace", "", "write a runtime trace of 3 s of W1 in open loop to `prefix`-<engine>-<records>-W1-open.trace")
	c.fs.BoolVar(&c.breakdown, "breakdown", false, "W1: time each decision's phases (HTTP, auth, decode, query, leaf, write, respond) with 1 and 16 clients")
	c.fs.StringVar(&c.keep, "keep", "", "keep each loaded dataset under `directory`/<engine>-<records> with a manifest, instead of deleting it")
	c.fs.StringVar(&c.reuse, "reuse", "", "run on the datasets kept under `directory` by --keep, without loading")
	c.fs.StringVar(&c.peer, "peer", "", "also ask W1's questions of `openfga=PATH`, an openfga binary, on its sqlite and memory engines")
	c.fs.DurationVar(&c.peerLoad, "peer-load-timeout", 10*time.Minute, "longest an OpenFGA engine may take to start and load a size; then it is reported unmeasured")
	return c
}

// Run loads a database for each size, runs the workloads on it, and prints
// a Markdown report on Stdout; progress shows on Stderr when it is a
// terminal.
func (c *BenchCommand) Run(ctx context.Context, args []string) error {
	if err := parseFlags(c.fs, args, c.Usage, 0); err != nil {
		return err
	}
	sizes, workloads, err := c.check()
	if err != nil {
		return err
	}
	var peer *bench.PeerOptions
	if c.peer != "" {
		peer = &bench.PeerOptions{OpenFGA: c.peerPath, LoadTimeout: c.peerLoad, Dir: c.dir}
	}
	// Ctrl-C stops the run and still deletes the database it made.
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	out := c.m.Stdout
	p := newProgress(c.m.Stderr)
	defer p.Done()
	fmt.Fprintf(out, "## omadata bench\n\n- Command: `omadata bench %s`\n- Machine: %s\n- omadata %s\n\n", strings.Join(c.shownArgs(args), " "), bench.Machine(), version)
	for _, n := range sizes {
		lo := bench.LoadOptions{Engine: c.engine, PostgresURL: c.database, Dir: c.dir, Records: n, Pool: bench.PoolFor(c.probe), Log: p,
			Keep: c.keep, Reuse: c.reuse}
		var d *bench.Dataset
		if c.reuse != "" {
			d, err = bench.Reuse(ctx, lo)
		} else {
			d, err = bench.Load(ctx, lo)
		}
		if err != nil {
			return err
		}
		r, err := bench.Run(ctx, d, bench.RunOptions{Probe: c.probe, Warmup: c.warmup, Closed: c.closed, Workloads: workloads, Log: p,
			CPUProfile: c.profile, MutexProfile: c.mutex, BlockProfile: c.block, Trace: c.trace, Breakdown: c.breakdown, Peer: peer})
		p.Done()
		if r != nil {
			r.Markdown(out)
		}
		if cerr := d.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// shownArgs returns the arguments to print, with the password of a
// database URL masked.
func (c *BenchCommand) shownArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if c.database != "" && strings.Contains(a, c.database) {
			a = strings.ReplaceAll(a, c.database, store.SafeURL(c.database))
		}
		out[i] = a
	}
	return out
}

// check validates the flags and returns the sizes and workloads.
func (c *BenchCommand) check() ([]int, []string, error) {
	switch c.engine {
	case "sqlite":
		if c.database != "" {
			return nil, nil, usageErrorf("bench: --database is for postgres; sqlite makes a temporary file (see --dir)")
		}
	case "postgres":
		if !strings.HasPrefix(c.database, "postgres://") && !strings.HasPrefix(c.database, "postgresql://") {
			return nil, nil, usageErrorf("bench: --engine postgres needs --database postgres://…")
		}
	default:
		return nil, nil, usageErrorf("bench: --engine must be sqlite or postgres")
	}
	var sizes []int
	for _, s := range strings.Split(c.records, ",") {
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || f != math.Trunc(f) || f < 100 || f > 1e8 {
			return nil, nil, usageErrorf("bench: --records wants whole numbers from 100 to 1e8, such as 1e4,1e6; got %q", s)
		}
		sizes = append(sizes, int(f))
	}
	var workloads []string
	for _, w := range strings.Split(c.workloads, ",") {
		w = strings.TrimSpace(w)
		if !slices.Contains(bench.Workloads, w) {
			return nil, nil, usageErrorf("bench: unknown workload %q; choose from %s", w, strings.Join(bench.Workloads, ","))
		}
		workloads = append(workloads, w)
	}
	if c.probe < 10*time.Millisecond || c.probe > time.Minute {
		return nil, nil, usageErrorf("bench: --probe must be between 10ms and 1m")
	}
	if c.warmup < 0 || c.warmup > 10*time.Minute {
		return nil, nil, usageErrorf("bench: --warmup must be between 0 and 10m")
	}
	if c.closed < 10*time.Millisecond || c.closed > 10*time.Minute {
		return nil, nil, usageErrorf("bench: --closed must be between 10ms and 10m")
	}
	if c.keep != "" && c.reuse != "" {
		return nil, nil, usageErrorf("bench: --keep and --reuse do not go together; a reused dataset stays kept")
	}
	if c.reuse != "" {
		if fi, err := os.Stat(c.reuse); err != nil || !fi.IsDir() {
			return nil, nil, usageErrorf("bench: --reuse must be an existing directory")
		}
	}
	if c.peer != "" {
		path, err := bench.ParsePeer(c.peer)
		if err != nil {
			return nil, nil, usageErrorf("bench: --peer: %v", err)
		}
		if !slices.Contains(workloads, bench.W1) {
			return nil, nil, usageErrorf("bench: --peer asks W1's questions; add W1 to --workloads")
		}
		if c.peerLoad <= 0 {
			return nil, nil, usageErrorf("bench: --peer-load-timeout must be positive")
		}
		c.peerPath = path
	}
	if c.dir != "" {
		if fi, err := os.Stat(c.dir); err != nil || !fi.IsDir() {
			return nil, nil, usageErrorf("bench: --dir must be an existing directory")
		}
	}
	return sizes, workloads, nil
}

// Usage prints the command's help.
func (c *BenchCommand) Usage() {
	fmt.Fprint(c.m.Stdout, `Usage: omadata bench [flags]

Measures the workloads of docs/performance.md on a fresh database per
size: it creates a catalogue through the store, bulk-loads residents and
consents, starts the operator on it (timing the start-up), and runs

	W1       decisions over HTTP, half permit and half deny, beside a bare
	         net/http handler measured right before and after
	W1-eval  the decision rule alone, in process
	W2       a resident gives consent, with 1 and 32 clients
	W3       a resident withdraws and the sink asks at once; stale permits
	         are counted
	W4       a grant and the transfer under it

W2, W3 and W4 are shown beside a bare synced single-row insert on the same
engine with as many clients, measured right before each. It prints a
Markdown report on stdout and progress on stderr, and deletes the database
(the SQLite file, or the PostgreSQL schema) when done, unless --keep keeps
it for --reuse.

W1's figures (issue 19): its closed loop with 16 clients after a warm-up,
beside the bare handler's right before and after; its open-loop capacity
at p99 ≤ 5 ms as a share of that closed loop; with --breakdown, where each
decision's time goes. Every run ends with a short stale-permit probe
(withdraw, then decide at once) whatever workloads were chosen.

With --peer openfga=PATH, W1's questions also go to that OpenFGA binary,
started on its sqlite and then its memory engine with the decision mix
written as tuples; the report gives omadata's W1 over each, closed loop
and open-loop capacity, measured in turn.
`)
	printFlags(c.m.Stdout, c.fs)
}
