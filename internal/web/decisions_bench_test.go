// SPDX-License-Identifier: Apache-2.0

package web_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkDecisionRoute measures one permitting decision through the real
// handler in process (middleware, credential check, JSON in and out, the
// store on SQLite), without a network: allocations and the process's CPU
// time per call.
//
//	go test ./internal/web -run '^$' -bench DecisionRoute -benchtime 2s
func BenchmarkDecisionRoute(b *testing.B) {
	e := newReleaseEnv(b)
	body, err := json.Marshal(e.question(e.psn))
	if err != nil {
		b.Fatal(err)
	}
	for _, par := range []int{1, 16} {
		b.Run(map[int]string{1: "serial", 16: "parallel"}[par], func(b *testing.B) {
			b.SetParallelism(par)
			b.ReportAllocs()
			cpu := processCPU()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					r := httptest.NewRequest("POST", "/api/v1/decisions", strings.NewReader(string(body)))
					r.Header.Set("Authorization", "Bearer "+e.sinkTok)
					r.Header.Set("Content-Type", "application/json")
					w := httptest.NewRecorder()
					e.srv.ServeHTTP(w, r)
					if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"permit"`) {
						b.Fatalf("%d %s", w.Code, w.Body)
					}
				}
			})
			b.ReportMetric(float64((processCPU()-cpu).Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
}

// processCPU returns the user and system CPU time of the process so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
