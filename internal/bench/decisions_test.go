// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"net/http"
	"net/http/httptest"
	"runtime/metrics"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata/internal/phase"
)

func TestRecorderJoinsTheClientAndTheServer(t *testing.T) {
	// The wrapped handler marks its phases; the client's total less the
	// server's is the HTTP row, and permits and denies stay apart.
	rec := newRecorder()
	h := rec.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(2 * time.Millisecond)
		phase.Mark(r.Context(), phase.Query)
		if r.URL.Path == "/permit" {
			time.Sleep(3 * time.Millisecond)
			phase.Mark(r.Context(), phase.Write)
		}
	}))
	phase.Enable(true)
	defer phase.Enable(false)
	for n, path := range []string{"/permit", "/deny", "/permit", "/untimed"} {
		req := httptest.NewRequest("POST", path, nil)
		if path != "/untimed" {
			req.Header.Set(seqHeader, strconv.Itoa(n))
		}
		start := time.Now()
		h.ServeHTTP(httptest.NewRecorder(), req)
		total := time.Since(start) + time.Millisecond // the network, notionally
		if path != "/untimed" {
			rec.client[uint64(n)] = clientSample{total: total, permit: path == "/permit"}
		}
	}
	permits, denies := rec.collect(true), rec.collect(false)
	if permits.n != 2 || denies.n != 1 {
		t.Fatalf("got %d permits and %d denies, want 2 and 1", permits.n, denies.n)
	}
	query, write, httpRow := 1+int(phase.Query), 1+int(phase.Write), 0
	if permits.mean[write] < 3*time.Millisecond || denies.mean[write] != 0 || denies.mean[query] < 2*time.Millisecond {
		t.Fatalf("got permits %v and denies %v, want the write in permits only", permits.mean, denies.mean)
	}
	if h := permits.mean[httpRow]; h < time.Millisecond || h > 2*time.Millisecond {
		t.Fatalf("got HTTP %v, want the client's extra millisecond", h)
	}
	var sum time.Duration
	for _, d := range permits.mean[:len(phaseRows)-1] {
		sum += d
	}
	if total := permits.mean[len(phaseRows)-1]; sum < total-time.Microsecond || sum > total+time.Microsecond {
		t.Fatalf("the rows add up to %v, the client's total is %v", sum, total)
	}
	rec.reset()
	if rec.collect(true).n != 0 {
		t.Fatal("reset kept samples")
	}
}

func TestHistogramSum(t *testing.T) {
	h := &metrics.Float64Histogram{Counts: []uint64{2, 0, 1}, Buckets: []float64{0, 0.001, 0.002, 0.004}}
	if got := histogramSum(h); got != 2*500*time.Microsecond+3*time.Millisecond {
		t.Fatalf("got %v, want 4ms", got)
	}
}

func TestDatabaseNameOfAKeptDataset(t *testing.T) {
	a := databaseName("postgres://u:secret@db:5432/x?sslmode=disable&application_name=b&search_path=bench_1")
	b := databaseName("postgres://u:other@db:5432/x?application_name=b&sslmode=disable")
	if a != b || strings.Contains(a, "secret") || strings.Contains(a, "search_path") {
		t.Fatalf("got %q and %q, want one name without password or schema", a, b)
	}
	if databaseName("postgres://u@db:5432/y?sslmode=disable") == b {
		t.Fatal("another database got the same name")
	}
}
