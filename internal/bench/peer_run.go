// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// peerTarget is the target: W1 closed loop at least twice OpenFGA
// on SQLite (at 1e6).
const peerTarget = 2.0

// runPeers starts OpenFGA on each of its engines, loads the decision mix
// into it, and asks W1's questions of it with the same generator and
// client as omadata's W1 at base, alternating the targets: closed loop
// (omadata, each engine, omadata again), then the open-loop capacity at
// p99 ≤ 5 ms. The figures are omadata over OpenFGA. An engine that does
// not load within o.LoadTimeout is reported so and not measured.
func runPeers(ctx context.Context, r *Report, d *Dataset, base string, probe time.Duration, o *PeerOptions) error {
	tag := sizeName(d.Records)
	r.Notes = append(r.Notes, fmt.Sprintf("Peer: %s, %s; each engine started with its HTTP and gRPC servers on loopback, playground and metrics off, log level warn, "+
		"request timeout %s, the rest at its defaults (check cache off); SQLite with busy_timeout 10 s", o.OpenFGA, fgaVersion(ctx, o.OpenFGA), o.LoadTimeout))
	var servers []*fgaServer
	var unloaded []Figure // added after the figures of the engines measured
	defer func() {
		for _, s := range servers {
			s.stop()
		}
	}()
	for _, engine := range fgaEngines {
		s, err := loadOpenFGA(ctx, d, o, engine, tag)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, errNotLoaded):
			r.Notes = append(r.Notes, fmt.Sprintf("OpenFGA %s: not measured, the load did not finish within %s: %v", engine, o.LoadTimeout, err))
			unloaded = append(unloaded, Figure{Workload: "W1 / OpenFGA " + engine, Measure: fmt.Sprintf("not measured: not loaded within %s", o.LoadTimeout),
				Target: fgaTargetText(engine), Met: fgaMet(engine, false)})
			continue
		case err != nil:
			return err
		}
		servers = append(servers, s)
		r.Notes = append(r.Notes, fmt.Sprintf("OpenFGA %s: %d tuples (the decision mix's given, valid consents) written in %s, %.0f/s, %d a write with %d writes in flight; log %s",
			engine, s.tuples, dur(s.load), float64(s.tuples)/s.load.Seconds(), s.batch, s.writers, s.logPath))
	}
	defer func() { r.Figures = append(r.Figures, unloaded...) }()
	if len(servers) == 0 {
		return nil
	}

	c := Client()
	var w1Err firstError
	w1 := w1Err.wrap(DecisionOp(c, base, d.SinkToken, d))
	ops := make([]Op, len(servers))
	errs := make([]firstError, len(servers))
	for i, s := range servers {
		ops[i] = errs[i].wrap(s.CheckOp(c, d))
	}
	closed := func(name string, op Op) Result {
		ClosedLoop(ctx, peerClients, o.warmup(probe), op)
		res := ClosedLoop(ctx, peerClients, o.window(probe), op)
		r.probe("peer comparison, %s closed loop, %d clients for %s after %s of warm-up: %v", name, peerClients, o.window(probe), o.warmup(probe), res)
		return res
	}
	before := closed("omadata W1", w1)
	fgaClosed := make([]Result, len(servers))
	for i, s := range servers {
		fgaClosed[i] = closed("OpenFGA "+s.engine, ops[i])
	}
	after := closed("omadata W1 (again)", w1)
	w1Closed := Result{Achieved: (before.Achieved + after.Achieved) / 2, P50: max(before.P50, after.P50), P99: max(before.P99, after.P99),
		Errors: before.Errors + after.Errors}

	open := func(name string, op Op, cal Result) Result {
		best, probes := Sustained(ctx, max(50, cal.Achieved/4), probe, maxP99, maxInFlight, op)
		for _, p := range probes {
			r.probe("peer comparison, %s open loop: %v", name, p)
		}
		return best
	}
	w1Open := open("omadata W1", w1, w1Closed)
	for i, s := range servers {
		fgaOpen := open("OpenFGA "+s.engine, ops[i], fgaClosed[i])
		f := Figure{Workload: "W1 / OpenFGA " + s.engine, Measure: fmt.Sprintf("closed loop, %d clients: omadata W1 (mean of before and after)", peerClients),
			Value: w1Closed.Achieved, Unit: "/s", P50: w1Closed.P50, P99: w1Closed.P99,
			Baseline: fgaClosed[i].Achieved, BaselineName: "OpenFGA " + s.engine + " check", P99Baseline: fgaClosed[i].P99,
			Target: fgaTargetText(s.engine)}
		f.Met = fgaMet(s.engine, f.Baseline > 0 && f.Ratio() >= peerTarget && w1Closed.Errors == 0 && fgaClosed[i].Errors == 0)
		r.add(f)
		f = Figure{Workload: "W1 / OpenFGA " + s.engine, Measure: "sustained rate at p99 ≤ 5 ms: omadata W1",
			Value: w1Open.Target, Unit: "/s", P50: w1Open.P50, P99: w1Open.P99,
			Baseline: fgaOpen.Target, BaselineName: "OpenFGA " + s.engine + " check", P99Baseline: fgaOpen.P99}
		var none []string
		if w1Open.Target == 0 {
			none = append(none, "omadata W1")
		}
		if fgaOpen.Target == 0 {
			none = append(none, "OpenFGA "+s.engine)
		}
		if len(none) > 0 {
			f.Note = strings.Join(none, " and ") + " kept no rate at p99 ≤ 5 ms without errors"
		}
		r.add(f)
		errs[i].note(r, "OpenFGA "+s.engine)
	}
	w1Err.note(r, "omadata W1 beside OpenFGA")
	return nil
}

// errNotLoaded is what loadOpenFGA returns when the engine did not start
// and load within the time allowed.
var errNotLoaded = errors.New("not loaded in time")

// loadOpenFGA starts OpenFGA on engine and writes the decision mix into
// it, within o.LoadTimeout; on failure the child is already stopped.
func loadOpenFGA(ctx context.Context, d *Dataset, o *PeerOptions, engine, tag string) (_ *fgaServer, err error) {
	lctx, cancel := context.WithTimeout(ctx, o.LoadTimeout)
	defer cancel()
	defer func() {
		if err != nil && ctx.Err() == nil && lctx.Err() != nil {
			err = fmt.Errorf("%w: %w", errNotLoaded, err)
		}
	}()
	s, err := startOpenFGA(lctx, o.OpenFGA, engine, o.Dir, tag, o.LoadTimeout)
	if err != nil {
		return nil, err
	}
	if err := s.loadMix(lctx, d); err != nil {
		s.stop()
		return nil, fmt.Errorf("openfga %s (log %s): %w", engine, s.logPath, err)
	}
	// Every kind of resident answers as the mix says before anything is
	// measured.
	c := Client()
	for k := range min(16, d.Mix) {
		if err := s.check(ctx, c, d, k); err != nil {
			s.stop()
			return nil, fmt.Errorf("openfga %s (log %s): %w", engine, s.logPath, err)
		}
	}
	return s, nil
}

func fgaTargetText(engine string) string {
	if engine == "sqlite" {
		return "≥ 2× OpenFGA sqlite (at 1e6)"
	}
	return ""
}

func fgaMet(engine string, ok bool) int {
	if engine != "sqlite" {
		return 0
	}
	return met(ok)
}

// fgaVersion returns what bin version says, without its log prefix.
func fgaVersion(ctx context.Context, bin string) string {
	out, err := command(ctx, bin, "version").CombinedOutput()
	if err != nil {
		return fmt.Sprintf("openfga version failed: %v", err)
	}
	v := strings.TrimSpace(string(out))
	if i := strings.Index(v, "OpenFGA version"); i >= 0 {
		v = v[i:]
	}
	return v
}

// freeAddr returns a loopback address with a port free at the moment.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
