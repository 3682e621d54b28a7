// SPDX-License-Identifier: Apache-2.0

package store_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
	"github.com/omadata/omadata/internal/store/storetest"
	"github.com/omadata/omadata/internal/witness"
	"github.com/omadata/omadata/internal/worker"
)

// witnessBenchInterval is how often the collector runs while witnessing
// is on (serve's default is 10 s, docs/witnessing.md §3): short, so that
// every checkpoint the checkpointer signs is cosigned while the writes run.
var witnessBenchInterval = flag.Duration("witness-interval", 100*time.Millisecond, "BenchmarkWitnessedWrites: the collector's interval")

// witnessBenchClients is how many residents give and withdraw at once.
var witnessBenchClients = flag.Int("witness-clients", 16, "BenchmarkWitnessedWrites: residents writing at once")

// witnessBenchAA runs "on" chunks without the collector too: an A/A run
// whose on/off shows how far the machine's noise alone moves the ratio.
var witnessBenchAA = flag.Bool("witness-aa", false, "BenchmarkWitnessedWrites: no witnessing in either mode (the noise floor)")

// witnessBenchChunk is how many give-and-withdraw pairs run before the
// other mode's turn: the modes alternate (ABBA) all through the run.
const witnessBenchChunk = 100

// BenchmarkWitnessedWrites measures consent writes per second with
// witnessing on and off, in the same run (docs/performance.md,
// "Witnessing (issue 18)"; the target is on ≥ 0.95 of off). Residents
// give and withdraw consent through the store (one operation is the two
// writes, each answered after its synced commit) while serve's
// checkpointer signs a checkpoint every 500 ms (its default). With witnessing on, the
// collector also runs every -witness-interval against two real witnesses:
// witness.Handler over its own store (on the same engine), each an
// httptest server on 127.0.0.1 with its own cosigning key, witnessing the
// operator's log; with it off, the collector is stopped. The modes
// alternate in chunks of witnessBenchChunk pairs (on, off, off, on, …)
// so that the shared machine's other load falls on both alike; each
// mode's rate is its writes over the wall time of its own chunks, and
// on/off-median the median over the rounds of the ratio of a round's two
// adjacent chunks, which one neighbour's burst moves less. The
// witnesses run in this process and share its CPUs, so their work counts
// against "on": a pessimistic arrangement.
//
// Reported: off-writes/s, on-writes/s, on/off, on/off-median, and how
// many checkpoints both witnesses cosigned during the run (the benchmark
// fails if none in a run of at least four chunks).
//
// SQLite always; PostgreSQL when OMADATA_TEST_POSTGRES_DSN is set.
func BenchmarkWitnessedWrites(b *testing.B) {
	for _, engine := range []struct {
		name string
		open func(testing.TB) *store.Store
	}{{"SQLite", storetest.OpenSQLite}, {"PostgreSQL", storetest.OpenPostgres}} {
		b.Run(engine.name, func(b *testing.B) {
			benchWitnessedWrites(b, engine.open)
		})
	}
}

func benchWitnessedWrites(b *testing.B, open func(testing.TB) *store.Store) {
	s := open(b)
	n := storetest.CreateNetwork(b, s)
	var residents []string
	for i := range *witnessBenchClients {
		code := storetest.ChildBornOn(time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i))
		residents = append(residents, storetest.CreateResident(b, s, code).ID)
	}
	ctx, cancel := context.WithCancel(storetest.Admin())
	defer cancel()

	// serve's checkpointer, in both modes.
	cpDone := make(chan struct{})
	go func() {
		(&worker.Checkpointer{Log: s}).Run(ctx)
		close(cpDone)
	}()
	defer func() { cancel(); <-cpDone }()

	// Stopping the collector cancels its round: not worth a log line.
	quiet := slog.New(slog.DiscardHandler)

	// Two witnesses, each over its own store.
	logKey := storetest.LogVerifierKey(b, s)
	var refs []omadata.WitnessRef
	for _, name := range []string{"espoo.test/witness", "turku.test/witness"} {
		ws := open(b)
		if err := ws.PutWitnessedLog(storetest.Admin(), &omadata.WitnessedLog{
			Origin: storetest.LogOrigin, VerifierKeys: []string{logKey}, Source: omadata.WitnessLogAdmin, Active: true, Reason: "benchmark",
		}); err != nil {
			b.Fatal(err)
		}
		_, key, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			b.Fatal(err)
		}
		cos, err := witness.NewCosigner(name, key)
		if err != nil {
			b.Fatal(err)
		}
		mux := http.NewServeMux()
		mux.Handle("POST /witness/v1/add-checkpoint", &witness.Handler{State: ws, Cosigner: cos, Logger: quiet})
		srv := httptest.NewServer(mux)
		b.Cleanup(srv.Close)
		refs = append(refs, omadata.WitnessRef{Name: name, VerifierKey: cos.VerifierKey(), URL: srv.URL + "/witness/v1"})
	}
	collector := &witness.Collector{Log: s, Store: s, Witnesses: staticWitnesses(refs), Client: &witness.Client{HTTP: pooledClient()}, Logger: quiet}

	var on, off writeStats
	// Client i is resident i, who has at most one live consent.
	write := func(i int) error {
		rctx := storetest.AsResident(residents[i])
		c, err := s.GiveConsent(rctx, &omadata.ConsentInput{ProcessingID: n.Processing.ID, Version: 1, Language: "fi"})
		if err != nil {
			return err
		}
		_, err = s.ChangeConsent(rctx, c.ID, omadata.ConsentWithdrawn, "")
		return err
	}
	witnessing := func(chunk func()) {
		if *witnessBenchAA {
			chunk()
			return
		}
		wctx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { collector.Run(wctx, *witnessBenchInterval); close(done) }()
		chunk()
		stop()
		<-done
	}
	var ratios []float64 // on/off of each round's two adjacent chunks
	b.ResetTimer()
	for done, round := 0, 0; done < b.N; round++ {
		k := min(witnessBenchChunk, b.N-done)
		var onRate, offRate float64
		if round%2 == 0 {
			witnessing(func() { onRate = on.run(b, k, write) })
			offRate = off.run(b, k, write)
		} else {
			offRate = off.run(b, k, write)
			witnessing(func() { onRate = on.run(b, k, write) })
		}
		ratios = append(ratios, onRate/offRate)
		done += k
	}
	b.StopTimer()
	slices.Sort(ratios)

	cosigned := cosignedByAll(b, s, refs)
	if cosigned == 0 && b.N >= 4*witnessBenchChunk && !*witnessBenchAA {
		b.Fatal("no checkpoint was cosigned by both witnesses: witnessing did not run")
	}
	offRate, onRate := off.rate(), on.rate()
	b.ReportMetric(offRate, "off-writes/s")
	b.ReportMetric(onRate, "on-writes/s")
	b.ReportMetric(onRate/offRate, "on/off")
	b.ReportMetric(ratios[len(ratios)/2], "on/off-median")
	b.ReportMetric(float64(cosigned), "cosigned-checkpoints")
}

// staticWitnesses is a fixed list of witnesses.
type staticWitnesses []omadata.WitnessRef

func (w staticWitnesses) Witnesses(context.Context) ([]omadata.WitnessRef, error) { return w, nil }

// pooledClient keeps connections to the witnesses open, as serve's does.
func pooledClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 4
	return &http.Client{Transport: t, Timeout: 10 * time.Second}
}

// cosignedByAll counts the operator's checkpoints that carry a
// cosignature of every witness in refs.
func cosignedByAll(b *testing.B, s *store.Store, refs []omadata.WitnessRef) int {
	b.Helper()
	sizes, err := s.CosignedSizes(storetest.Admin(), 1<<20)
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for _, size := range sizes {
		cs, err := s.FindCosignatures(storetest.Admin(), size)
		if err != nil {
			b.Fatal(err)
		}
		seen := map[string]bool{}
		for _, c := range cs {
			seen[c.Witness] = true
		}
		all := true
		for _, r := range refs {
			all = all && seen[r.Name]
		}
		if all {
			n++
		}
	}
	return n
}

// writeStats is what one mode measured: its writes and the wall time of
// its chunks.
type writeStats struct {
	writes int
	wall   time.Duration
}

// run makes k give-and-withdraw pairs with witnessBenchClients clients,
// stops the benchmark at the first error, and returns the chunk's
// writes/s.
func (p *writeStats) run(b *testing.B, k int, pair func(client int) error) float64 {
	var (
		next atomic.Int64
		wg   sync.WaitGroup
		fail atomic.Pointer[error]
	)
	start := time.Now()
	for i := range *witnessBenchClients {
		wg.Go(func() {
			for next.Add(1) <= int64(k) {
				if err := pair(i); err != nil {
					fail.CompareAndSwap(nil, &err)
					return
				}
			}
		})
	}
	wg.Wait()
	wall := time.Since(start)
	p.wall += wall
	p.writes += 2 * k
	if err := fail.Load(); err != nil {
		b.Fatal(fmt.Errorf("consent write: %w", *err))
	}
	return float64(2*k) / wall.Seconds()
}

func (p *writeStats) rate() float64 { return float64(p.writes) / p.wall.Seconds() }
