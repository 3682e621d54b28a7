// SPDX-License-Identifier: Apache-2.0

package netnode_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
	"github.com/omadata/omadata/internal/store/storetest"
)

// benchResidents is how many residents consent at Helsinki, each to both
// sinks' processings: a batch asks about every one of them.
const benchResidents = 100

// benchClients is how many sink clients call at once, on either path
// (-clients): a 2-core machine serves the clients, Espoo and Helsinki in
// this process.
var benchClients = flag.Int("clients", 4, "BenchmarkNetworkDecisions: sink clients calling at once")

// benchChunk is how many calls of one path run before the other path's
// turn: the two alternate (ABBA) all through the run.
const benchChunk = 50

// BenchmarkNetworkDecisions measures decisions across operators beside
// decisions at one operator, in the same run (docs/performance.md,
// "Decisions across operators"). A trust anchor, Helsinki (home of the
// residents and of the source) and Espoo (the sink's operator) run as
// HTTP servers on 127.0.0.1 with their own stores; 100 Helsinki residents
// consent to Helsinki's own sink's processing and to Espoo's sink's, and
// the consent events reach Espoo through Helsinki's outbox.
//
//   - single: Helsinki's sink asks Helsinki POST /api/v1/decisions (or
//     /batch, 100 questions) with its credential: the baseline.
//   - cross: Espoo's sink asks Espoo the same about Helsinki's source;
//     Espoo relays to Helsinki as a signed call (network.md §3, §5.3),
//     Helsinki verifies it with Espoo's chain from its cache, decides
//     with its evidence, the nonce recorded in the decision's transaction,
//     and signs the answer, which Espoo verifies and keeps with its own
//     evidence.
//
// Every answer is checked to be a permit. b.N is the number of calls of
// each path; the paths alternate in chunks of benchChunk calls, each
// chunk run by benchClients clients, so that a neighbour's load on the
// shared machine falls on both alike. Reported: decisions/s and p50/p99
// of each path, and cross/single (the target is at least 0.5).
//
// SQLite always; PostgreSQL when OMADATA_TEST_POSTGRES_DSN is set.
func BenchmarkNetworkDecisions(b *testing.B) {
	for _, engine := range []struct {
		name string
		open func(testing.TB) *store.Store
	}{{"SQLite", storetest.OpenSQLite}, {"PostgreSQL", storetest.OpenPostgres}} {
		b.Run(engine.name, func(b *testing.B) {
			n := startBenchNetwork(b, engine.open)
			b.Run("One", func(b *testing.B) {
				alternate(b, 1, n.ask(n.hki, n.hkiToken, "/api/v1/decisions", n.hkiQuestions[:1]), n.ask(n.esp, n.espToken, "/api/v1/decisions", n.espQuestions[:1]))
			})
			b.Run("Batch100", func(b *testing.B) {
				alternate(b, benchResidents, n.ask(n.hki, n.hkiToken, "/api/v1/decisions/batch", n.hkiQuestions), n.ask(n.esp, n.espToken, "/api/v1/decisions/batch", n.espQuestions))
			})
		})
	}
}

// benchNetwork is the network a benchmark runs on.
type benchNetwork struct {
	hki, esp                   *operator
	hkiToken, espToken         string
	hkiQuestions, espQuestions []map[string]any
	client                     *http.Client
}

// pooled is an HTTP client that keeps a connection per client open, so
// that neither path pays for connections.
func pooled() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 2 * *benchClients
	return &http.Client{Transport: t, Timeout: 30 * time.Second}
}

func startBenchNetwork(b *testing.B, open func(testing.TB) *store.Store) *benchNetwork {
	b.Helper()
	a := startAnchor(b)
	hki := startOperatorOn(b, a, "Helsinki", open, nil)
	esp := startOperatorOn(b, a, "Espoo", open, nil)
	admit(b, a, hki, esp)
	admin := storetest.Admin()
	h := storetest.CreateNetwork(b, hki.Store)
	mirror(b, hki, esp)
	org := storetest.CreateOrganisation(b, esp.Store, omadata.OrgCompany)
	sink := storetest.CreateService(b, esp.Store, org.ID, true, omadata.RoleSink)
	p, err := esp.Store.CreateProcessing(admin, storetest.NewDraft(sink.ID, "espoo-reading", h.Recommendations.ID, h.Loans.ID))
	if err != nil {
		b.Fatal(err)
	}
	storetest.PutNotices(b, esp.Store, p.ID, 1)
	if _, err := esp.Store.PublishVersion(admin, p.ID, 1); err != nil {
		b.Fatal(err)
	}
	mirror(b, esp, hki)

	n := &benchNetwork{hki: hki, esp: esp, client: pooled()}
	question := func(psn string) map[string]any {
		return map[string]any{"source_id": h.Source.ID, "pseudonym": psn, "data_group_ids": []string{h.Loans.ID}, "purpose_id": h.Recommendations.ID}
	}
	born := time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range benchResidents {
		r := storetest.CreateResident(b, hki.Store, storetest.ChildBornOn(born.AddDate(0, 0, i)))
		for _, pid := range []string{h.Processing.ID, p.ID} {
			if _, err := hki.Store.GiveConsent(storetest.AsResident(r.ID), &omadata.ConsentInput{ProcessingID: pid, Version: 1, Language: "fi"}); err != nil {
				b.Fatal(err)
			}
		}
		psn, err := hki.Store.Pseudonym(admin, h.Sink.ID, r.ID)
		if err != nil {
			b.Fatal(err)
		}
		n.hkiQuestions = append(n.hkiQuestions, question(psn))
	}
	for {
		sent, err := hki.Node.Outbox.Deliver(admin)
		if err != nil {
			b.Fatal(err)
		} else if sent == 0 {
			break
		}
	}
	rows, err := esp.Store.DB().QueryStrings(admin, `SELECT id FROM residents WHERE home_operator_id = ?`, hki.URL)
	if err != nil {
		b.Fatal(err)
	} else if len(rows) != benchResidents {
		b.Fatalf("Espoo knows %d of Helsinki's residents, want %d", len(rows), benchResidents)
	}
	for _, r := range rows {
		psn, err := esp.Store.Pseudonym(admin, sink.ID, r[0])
		if err != nil {
			b.Fatal(err)
		}
		n.espQuestions = append(n.espQuestions, question(psn))
	}
	credential := func(s *store.Store, serviceID string) string {
		c := &omadata.Credential{ServiceID: serviceID, Name: "benchmark", Scopes: []string{omadata.ScopeDecisions}}
		if err := s.CreateCredential(admin, c); err != nil {
			b.Fatal(err)
		}
		return c.Token
	}
	n.hkiToken, n.espToken = credential(hki.Store, h.Sink.ID), credential(esp.Store, sink.ID)
	return n
}

// ask returns a call of a sink to op: one question, or a batch of them;
// it fails unless every answer is a permit.
func (n *benchNetwork) ask(op *operator, token, path string, questions []map[string]any) func() error {
	var body []byte
	if len(questions) == 1 && path == "/api/v1/decisions" {
		body, _ = json.Marshal(questions[0])
	} else {
		body, _ = json.Marshal(map[string]any{"requests": questions})
	}
	return func() error {
		req, err := http.NewRequest("POST", op.URL+path, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		res, err := n.client.Do(req)
		if err != nil {
			return err
		}
		defer res.Body.Close()
		buf, err := io.ReadAll(res.Body)
		if err != nil {
			return err
		} else if res.StatusCode != 200 {
			return fmt.Errorf("%s %s: %d %s", op.URL, path, res.StatusCode, buf)
		}
		var a struct {
			Decisions []omadata.Decision `json:"decisions"`
			omadata.Decision
		}
		if err := json.Unmarshal(buf, &a); err != nil {
			return err
		}
		if len(a.Decisions) == 0 {
			a.Decisions = []omadata.Decision{a.Decision}
		}
		if len(a.Decisions) != len(questions) {
			return fmt.Errorf("%s %s: %d answers to %d questions", op.URL, path, len(a.Decisions), len(questions))
		}
		for _, d := range a.Decisions {
			if !d.Permit() {
				return fmt.Errorf("%s %s: got %+v, want a permit", op.URL, path, d)
			}
		}
		return nil
	}
}

// alternate runs b.N calls of single and b.N of cross, alternating in
// chunks (single, cross, cross, single, …), each chunk by benchClients
// clients at once, and reports each path's decisions/s (perCall
// decisions a call), its p50 and p99 latency of a call, and cross/single.
func alternate(b *testing.B, perCall int, single, cross func() error) {
	var s, c pathStats
	b.ResetTimer()
	for done, round := 0, 0; done < b.N; round++ {
		k := min(benchChunk, b.N-done)
		if round%2 == 0 {
			s.run(b, k, single)
			c.run(b, k, cross)
		} else {
			c.run(b, k, cross)
			s.run(b, k, single)
		}
		done += k
	}
	b.StopTimer()
	sr, cr := s.rate(perCall), c.rate(perCall)
	b.ReportMetric(sr, "single-decisions/s")
	b.ReportMetric(cr, "cross-decisions/s")
	b.ReportMetric(cr/sr, "cross/single")
	b.ReportMetric(s.quantile(0.50), "single-p50-ms")
	b.ReportMetric(s.quantile(0.99), "single-p99-ms")
	b.ReportMetric(c.quantile(0.50), "cross-p50-ms")
	b.ReportMetric(c.quantile(0.99), "cross-p99-ms")
}

// pathStats is what one path measured: its calls, their latencies, and
// the wall time of its chunks.
type pathStats struct {
	calls     int
	wall      time.Duration
	latencies []time.Duration
}

// run makes k calls with benchClients clients and stops the benchmark
// at the first error.
func (p *pathStats) run(b *testing.B, k int, call func() error) {
	var (
		next atomic.Int64
		mu   sync.Mutex
		wg   sync.WaitGroup
		fail atomic.Pointer[error]
	)
	start := time.Now()
	for range *benchClients {
		wg.Go(func() {
			var own []time.Duration
			for next.Add(1) <= int64(k) {
				t := time.Now()
				if err := call(); err != nil {
					fail.CompareAndSwap(nil, &err)
					return
				}
				own = append(own, time.Since(t))
			}
			mu.Lock()
			p.latencies = append(p.latencies, own...)
			mu.Unlock()
		})
	}
	wg.Wait()
	p.wall += time.Since(start)
	p.calls += k
	if err := fail.Load(); err != nil {
		b.Fatal(*err)
	}
}

func (p *pathStats) rate(perCall int) float64 {
	return float64(p.calls*perCall) / p.wall.Seconds()
}

// quantile is the q-quantile of the latencies in milliseconds (nearest
// rank).
func (p *pathStats) quantile(q float64) float64 {
	l := slices.Clone(p.latencies)
	slices.Sort(l)
	i := min(len(l)-1, int(q*float64(len(l))))
	return float64(l[i]) / float64(time.Millisecond)
}
