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
	profile   string
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
	c.fs.DurationVar(&c.probe, "probe", 3*time.Second, "length of each probe of a rate search and of each closed loop")
	c.fs.StringVar(&c.profile, "cpuprofile", "", "write each workload's CPU profile to `prefix`-<engine>-<records>-<workload>.prof")
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
		d, err := bench.Load(ctx, bench.LoadOptions{Engine: c.engine, PostgresURL: c.database, Dir: c.dir, Records: n,
			Pool: bench.PoolFor(c.probe), Log: p})
		if err != nil {
			return err
		}
		r, err := bench.Run(ctx, d, bench.RunOptions{Probe: c.probe, Workloads: workloads, Log: p, CPUProfile: c.profile, Peer: peer})
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
(the SQLite file, or the PostgreSQL schema) when done.

With --peer openfga=PATH, W1's questions also go to that OpenFGA binary,
started on its sqlite and then its memory engine with the decision mix
written as tuples; the report gives omadata's W1 over each, closed loop
and open-loop capacity, measured in turn.
`)
	printFlags(c.m.Stdout, c.fs)
}
