// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
	"github.com/omadata/omadata/internal/web"
	"github.com/omadata/omadata/internal/worker"
)

// Targets of the consent issue, and of issue 19 for memory and start-up.
const (
	maxP99          = 5 * time.Millisecond // W1 over HTTP
	maxInFlight     = 512
	evalTarget      = 1e6 // in-process decisions per second
	oneClientRatio  = 0.8 // W2, W3 with one client, of the bare synced insert
	maxMemory       = 300 << 20
	maxStartup      = 100 * time.Millisecond
	evalSample      = 1024 // questions whose facts W1-eval evaluates
	bigClients      = 32
	sqliteBigTarget = 15000.0
	pgBigTarget     = 10000.0
	staleProbeOps   = 200 // withdrawals of the stale-permit probe
)

// RunOptions configures Run.
type RunOptions struct {
	Probe     time.Duration // each probe of a rate search, and the write workloads' closed loops
	Warmup    time.Duration // before each of W1's closed loops, not measured
	Closed    time.Duration // each of W1's measured closed loops
	Workloads []string      // of Workloads
	Log       io.Writer     // progress; nil discards it
	// CPUProfile, if set, is a path prefix: W1's measured windows go to
	// <prefix>-<engine>-<records>-W1-closed.prof and -W1-open.prof (not
	// the bare handler's), other workloads' to <prefix>-…-<workload>.prof.
	CPUProfile string
	// MutexProfile and BlockProfile, if set, are path prefixes for the
	// mutex and block profiles of W1's closed loop.
	MutexProfile, BlockProfile string
	// Trace, if set, is a path prefix for a runtime trace of a few seconds
	// of W1 in open loop at its capacity.
	Trace string
	// Breakdown measures W1 again with phase timing on, with 1 and with
	// 16 clients, and reports where each decision's time goes.
	Breakdown bool
	Peer      *PeerOptions // if set, W1's questions go to OpenFGA too (peer_run.go)
}

// PoolFor returns how many residents each write pool needs so that W2 and
// W3 with one and with 32 clients are unlikely to run out in probe.
func PoolFor(probe time.Duration) int { return int(probe.Seconds()*25000) + 1000 }

// Run measures the chosen workloads on a loaded dataset. It starts the
// operator on the dataset as omadata serve would, timing it, and serves
// W1 from it.
func Run(ctx context.Context, d *Dataset, o RunOptions) (*Report, error) {
	logf := func(format string, args ...any) {
		if o.Log != nil {
			fmt.Fprintf(o.Log, "%s %s: %s\n", d.Engine, sizeName(d.Records), fmt.Sprintf(format, args...))
		}
	}
	r := &Report{Engine: d.Engine, Database: safeURL(d.URL), Records: d.Records, SetupTime: d.SetupTime, LoadTime: d.LoadTime,
		Dataset: fmt.Sprintf("%d residents (%d in the decision mix, %d in each write pool), %d consents, %d consent records, loaded with %s; %s on disk",
			d.Residents, d.Mix, d.Pool, d.Consents, d.ConsentRecords, map[string]string{"sqlite": "multi-row INSERTs", "postgres": "COPY"}[d.Engine],
			bytesText(d.Size))}
	if d.Reused {
		give, withdraw := d.PoolLeft()
		r.Dataset += fmt.Sprintf("; kept from an earlier run and reused, %d left in the give pool and %d in the withdrawal pool", give, withdraw)
	}
	r.Memory = append(r.Memory, fmt.Sprintf("after the load, Go heap in use %s and peak RSS %s (the loader's)",
		bytesText(int64(heapInUse())), bytesText(procStatus("VmHWM"))))
	if err := resetPeakRSS(); err != nil {
		r.Notes = append(r.Notes, "Could not reset the peak RSS after the load, so the serving peak includes the load: "+err.Error())
	}

	start := time.Now()
	rec := newRecorder()
	s, base, stop, err := serve(ctx, d, rec)
	if err != nil {
		return nil, fmt.Errorf("start-up: %w", err)
	}
	defer stop()
	r.Startup = time.Since(start)
	r.add(Figure{Workload: "Start-up", Measure: "open, migrate, keys, web.New, listen, first /healthz", Value: float64(r.Startup.Milliseconds()),
		Unit: " ms", Target: "< 100 ms (at 1e7)", Met: met(r.Startup < maxStartup)})
	r.Durability = durability(ctx, s)
	logf("serving after %v", r.Startup.Round(time.Millisecond))

	for _, w := range Workloads {
		if !slices.Contains(o.Workloads, w) {
			continue
		}
		logf("running %s", w)
		stopProfile := func() {}
		if w != W1 {
			var err error
			if stopProfile, err = startProfiles(RunOptions{CPUProfile: o.CPUProfile}, d, w); err != nil {
				return r, err
			}
		}
		var err error
		switch w {
		case W1:
			err = runDecisions(ctx, r, s, d, base, o, rec)
		case W1Eval:
			err = runEval(ctx, r, s, d, o.Probe)
		case W2:
			err = runWrites(ctx, r, s, d, o.Probe, W2)
		case W3:
			err = runWrites(ctx, r, s, d, o.Probe, W3)
		case W4:
			err = runGrants(ctx, r, s, d, o.Probe)
		}
		stopProfile()
		if err == nil && w == W1 && o.Peer != nil {
			peer := *o.Peer
			peer.Warmup, peer.Window = o.Warmup, o.Closed // the same loops as W1's
			err = runPeers(ctx, r, d, base, o.Probe, &peer)
		}
		if err != nil {
			return r, fmt.Errorf("%s: %w", w, err)
		}
	}

	if err := staleProbe(ctx, r, s, d); err != nil {
		return r, err
	}

	rss, peak := procStatus("VmRSS"), procStatus("VmHWM")
	r.Memory = append(r.Memory, fmt.Sprintf("after the runs, Go heap in use %s, RSS %s, peak RSS since start-up %s (server and load generator in one process)",
		bytesText(int64(heapInUse())), bytesText(rss), bytesText(peak)))
	r.add(Figure{Workload: "Memory", Measure: "peak RSS from start-up to the end of the runs", Value: float64(peak >> 20), Unit: " MiB",
		Target: "< 300 MiB (at 1e7)", Met: met(peak >= 0 && peak < maxMemory)})
	return r, nil
}

// serve starts the operator on the dataset as omadata serve does and
// returns once /healthz answers.
func serve(ctx context.Context, d *Dataset, rec *recorder) (*store.Store, string, func(), error) {
	s, err := d.OpenStore(ctx)
	if err != nil {
		return nil, "", nil, err
	}
	h := web.New(web.Options{
		Organisations: s, Services: s, Credentials: s, DataGroups: s, Purposes: s, Processings: s, AISystems: s, Catalogue: s,
		SigningKeys: s, Residents: s, Representations: s, Consents: s, Decisions: s, Grants: s, Webhooks: s, Log: s, Usage: s, Requests: s,
		Apps: s, AppTokens: s, Health: s.DB().Ping, Version: "bench",
		Operator: web.OperatorInfo{ID: "https://omadata.bench", Name: "omadata bench", BusinessID: "0201256-6", Email: "mydata@example.fi",
			PublicURL: "http://127.0.0.1"},
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.DB().Close()
		return nil, "", nil, err
	}
	srv := &http.Server{Handler: rec.wrap(h), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	// The log integrator runs as serve runs it: every permit's leaf is
	// integrated and a checkpoint signed every 500 ms, holding the writer
	// while it writes, so its pauses are in every figure.
	ictx, stopIntegrator := context.WithCancel(context.WithoutCancel(ctx))
	integrated := make(chan struct{})
	go func() {
		defer close(integrated)
		(&worker.Checkpointer{Log: s, Logger: slog.New(slog.DiscardHandler)}).Run(ictx)
	}()
	stop := func() { srv.Close(); stopIntegrator(); <-integrated; s.DB().Close() }
	base := "http://" + ln.Addr().String()
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, base, stop, nil
			}
		}
		select {
		case <-ctx.Done():
			stop()
			return nil, "", nil, ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
}

// durability describes when a commit is durable on the store's engine, as
// a connection of the store's read pool reports it (both pools open with
// the same settings).
func durability(ctx context.Context, s *store.Store) string {
	settings := map[string][]string{
		"sqlite":   {"journal_mode", "synchronous"},
		"postgres": {"synchronous_commit", "fsync"},
	}[s.DB().Engine()]
	var out []string
	for _, name := range settings {
		stmt := "SHOW " + name
		if s.DB().Engine() == "sqlite" {
			stmt = "PRAGMA " + name
		}
		v := "?"
		if rows, err := s.DB().QueryStrings(ctx, stmt); err == nil && len(rows) == 1 && len(rows[0]) == 1 {
			v = rows[0][0]
		}
		if name == "synchronous" {
			v = map[string]string{"0": "OFF", "1": "NORMAL", "2": "FULL", "3": "EXTRA"}[v]
		}
		out = append(out, name+"="+v)
	}
	return strings.Join(out, ", ")
}

// firstError wraps op to keep the first error it returns, for the report.
type firstError struct {
	once sync.Once
	err  error
}

func (f *firstError) wrap(op Op) Op {
	return func(ctx context.Context, i int) error {
		err := op(ctx, i)
		if err != nil && !errors.Is(err, ErrExhausted) {
			f.once.Do(func() { f.err = err })
		}
		return err
	}
}

func (f *firstError) note(r *Report, what string) {
	if f.err != nil {
		r.Notes = append(r.Notes, fmt.Sprintf("%s: first failed operation: %v", what, f.err))
	}
}

// runEval measures the decision rule alone on the facts of a sample of the
// mix, read once, with testing.Benchmark on every CPU.
func runEval(ctx context.Context, r *Report, s *store.Store, d *Dataset, probe time.Duration) error {
	sink := asService(ctx, d.Sink.ID, omadata.ScopeDecisions)
	now := time.Now()
	facts := make([]*store.DecisionFacts, evalSample)
	permits := 0
	for j := range facts {
		k := d.pick(uint64(j) + 1<<40)
		q, permit, reason := d.Question(k)
		f, err := s.LoadDecisionFacts(sink, q)
		if err != nil {
			return err
		}
		if p, why := f.Evaluate(now); p != permit || why != reason {
			return fmt.Errorf("resident %d: evaluated %v %q, want %v %q", k, p, why, permit, reason)
		}
		if permit {
			permits++
		}
		facts[j] = f
	}
	var permitted atomic.Int64
	res := benchmark(probe, func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			n, i := int64(0), 0
			for pb.Next() {
				if p, _ := facts[i%evalSample].Evaluate(now); p {
					n++
				}
				i++
			}
			permitted.Add(n)
		})
	})
	perSec := float64(res.N) / res.T.Seconds()
	r.probe("W1-eval: %d evaluations in %v (%d ns/op, %d allocs/op), %d permits; sample of %d questions, %d permits", res.N, res.T, res.NsPerOp(), res.AllocsPerOp(), permitted.Load(),
		evalSample, permits)
	r.add(Figure{Workload: "W1-eval decision rule in process", Measure: fmt.Sprintf("evaluations on %d CPUs", runtime.GOMAXPROCS(0)),
		Value: perSec, Unit: "/s", Target: "> 1 M/s", Met: met(perSec > evalTarget),
		Note: fmt.Sprintf("%.0f ns and %d allocations per evaluation per CPU", float64(res.T.Nanoseconds())*float64(runtime.GOMAXPROCS(0))/float64(res.N), res.AllocsPerOp())})
	return nil
}

// benchmark runs testing.Benchmark for about d instead of its default 1 s.
func benchmark(d time.Duration, fn func(b *testing.B)) testing.BenchmarkResult {
	testing.Init() // registers -test.benchtime, which testing.Benchmark reads
	if f := flag.Lookup("test.benchtime"); f != nil {
		old := f.Value.String()
		f.Value.Set(d.String())
		defer f.Value.Set(old)
	}
	return testing.Benchmark(fn)
}

// staleProbe withdraws consents and has the sink decide at once after
// each acknowledgement, as W3 does, on every run whatever workloads were
// chosen: a permit then is a stale permit, and there must be none.
func staleProbe(ctx context.Context, r *Report, s *store.Store, d *Dataset) error {
	var stale, left atomic.Int64
	left.Store(staleProbeOps)
	var errs firstError
	withdraw := WithdrawOp(s, d, &stale)
	op := errs.wrap(func(ctx context.Context, i int) error {
		if left.Add(-1) < 0 {
			return ErrExhausted
		}
		return withdraw(ctx, i)
	})
	res := ClosedLoop(ctx, 4, time.Minute, op)
	r.probe("stale-permit probe, 4 clients: %v", res)
	errs.note(r, "stale-permit probe")
	n := stale.Load()
	f := Figure{Workload: "Stale permits", Measure: fmt.Sprintf("%d withdrawals, each followed at once by a decision (4 clients)", res.Ops), Value: float64(n),
		Target: "0, ever", Met: met(n == 0 && res.Ops > 0)}
	if res.Errors > 0 {
		f.Note = fmt.Sprintf("%d of %d operations failed", res.Errors, res.Ops)
	}
	if res.Ops < staleProbeOps {
		f.Note = join(f.Note, "the withdrawal pool ran out; load a fresh dataset")
	}
	r.add(f)
	return nil
}
