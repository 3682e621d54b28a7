// SPDX-License-Identifier: Apache-2.0

package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
	"github.com/omadata/omadata/internal/store/storetest"
	"github.com/omadata/omadata/internal/webhook"
)

// receiver is a service's webhook endpoint that does what receivers
// should: verify the signature over the raw body before anything else, and
// act once per webhook-id however often it arrives.
type receiver struct {
	*httptest.Server
	secret []byte
	now    func() time.Time

	mu          sync.Mutex
	statuses    []int // answers in order; the last one repeats; none means 204
	header      http.Header
	requests    int
	bad         int            // requests that failed verification
	seen        map[string]int // requests per webhook-id
	processed   []string       // webhook-ids acted on, once each
	bodies      map[string][]byte
	contentType string
	inFlight    int
	maxInFlight int
	arrived     chan string   // if set, gets each webhook-id on arrival
	hold        chan struct{} // if set, requests wait for it to close
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	r := &receiver{statuses: statuses, now: time.Now, seen: map[string]int{}, bodies: map[string][]byte{}, header: http.Header{}}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.requests++
	r.inFlight++
	r.maxInFlight = max(r.maxInFlight, r.inFlight)
	arrived, hold := r.arrived, r.hold
	r.mu.Unlock()
	defer func() { r.mu.Lock(); r.inFlight--; r.mu.Unlock() }()
	if arrived != nil {
		arrived <- req.Header.Get(webhook.HeaderID)
	}
	if hold != nil {
		<-hold
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	if err := webhook.Verify(r.secret, req.Header, body, r.now(), 5*time.Minute); err != nil {
		r.bad++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	id := req.Header.Get(webhook.HeaderID)
	r.contentType = req.Header.Get("Content-Type")
	status := http.StatusNoContent
	if n := len(r.statuses); n > 0 {
		status = r.statuses[min(r.seen[id], n-1)]
	}
	r.seen[id]++
	if status/100 == 2 && r.bodies[id] == nil {
		r.processed = append(r.processed, id)
		r.bodies[id] = body
	}
	for k, v := range r.header {
		w.Header()[k] = v
	}
	w.WriteHeader(status)
}

func (r *receiver) stats() (requests, bad int, processed []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests, r.bad, append([]string(nil), r.processed...)
}

// fixture is a store whose sink takes webhooks at a receiver.
type fixture struct {
	st   *store.Store
	sink *omadata.Service
	rcv  *receiver
}

func newFixture(t *testing.T, st *store.Store, rcv *receiver) *fixture {
	t.Helper()
	n := storetest.CreateNetwork(t, st)
	sec, err := st.RotateWebhookSecret(storetest.Admin(), n.Sink.ID)
	if err != nil {
		t.Fatal(err)
	}
	rcv.secret = secretBytes(t, sec.Secret)
	eps := omadata.ServiceEndpoints{Webhook: rcv.URL}
	if _, err := st.UpdateService(storetest.Admin(), n.Sink.ID, omadata.ServiceUpdate{Endpoints: &eps}); err != nil {
		t.Fatal(err)
	}
	return &fixture{st: st, sink: n.Sink, rcv: rcv}
}

func (f *fixture) enqueue(t *testing.T) string {
	return storetest.InsertDelivery(t, f.st, f.sink.ID, omadata.EventConsentWithdrawn, f.st.DB().Now())
}

func (f *fixture) delivery(t *testing.T, id string) *omadata.Delivery {
	t.Helper()
	ds, _, err := f.st.FindDeliveries(storetest.Admin(), omadata.DeliveryFilter{ServiceID: &f.sink.ID, Limit: store.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.ID == id {
			return d
		}
	}
	t.Fatalf("delivery %s not found", id)
	return nil
}

func noJitter(d time.Duration) time.Duration { return d }

func deliverer(f *fixture, o webhook.Options) *webhook.Deliverer {
	o.Queue = f.st
	if o.Jitter == nil {
		o.Jitter = noJitter
	}
	return webhook.New(o)
}

func runOnce(t *testing.T, d *webhook.Deliverer, want int) {
	t.Helper()
	n, err := d.RunOnce(storetest.Admin())
	if err != nil {
		t.Fatal(err)
	} else if n != want {
		t.Fatalf("sent %d deliveries, want %d", n, want)
	}
}

func TestDeliverSuccess(t *testing.T) {
	f := newFixture(t, storetest.OpenSQLite(t), newReceiver(t))
	id := f.enqueue(t)
	reg := prometheus.NewRegistry()
	d := deliverer(f, webhook.Options{Metrics: reg})
	runOnce(t, d, 1)
	runOnce(t, d, 0)

	requests, bad, processed := f.rcv.stats()
	if requests != 1 || bad != 0 || len(processed) != 1 || processed[0] != id {
		t.Fatalf("receiver got %d requests, %d bad, processed %v; want one good request for %s", requests, bad, processed, id)
	}
	f.rcv.mu.Lock()
	defer f.rcv.mu.Unlock()
	if f.rcv.contentType != "application/cloudevents+json" {
		t.Errorf("got Content-Type %q, want application/cloudevents+json", f.rcv.contentType)
	}
	got := f.delivery(t, id)
	var ce struct{ ID string }
	if err := json.Unmarshal(f.rcv.bodies[id], &ce); err != nil || ce.ID != id || string(f.rcv.bodies[id]) != string(got.Payload) {
		t.Errorf("got body %s, want the stored CloudEvent with id %s", f.rcv.bodies[id], id)
	}
	if got.Status != omadata.DeliveryDelivered || got.Attempts != 1 || got.LastStatus != 204 || got.DeliveredAt == nil {
		t.Fatalf("got %+v, want delivered on the first attempt with 204", got)
	}
	if n := attempts(t, reg, "delivered"); n != 1 {
		t.Errorf("got %v delivered in the metrics, want 1", n)
	}
}

// attempts returns the attempts counter of an outcome in reg.
func attempts(t *testing.T, reg *prometheus.Registry, outcome string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "omadata_webhook_attempts_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "outcome" && l.GetValue() == outcome {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// TestDeliverRetryBackoff fails once, then succeeds on the schedule: the
// second attempt is not made before 5 s have passed on the store's clock,
// and carries the same webhook-id with a fresh timestamp.
func TestDeliverRetryBackoff(t *testing.T) {
	st := storetest.OpenSQLite(t)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := t0
	st.DB().Now = func() time.Time { return clock }
	rcv := newReceiver(t, 500, 200)
	rcv.now = func() time.Time { return clock }
	f := newFixture(t, st, rcv)
	id := f.enqueue(t)
	d := deliverer(f, webhook.Options{Now: func() time.Time { return clock }})

	runOnce(t, d, 1)
	got := f.delivery(t, id)
	if got.Status != omadata.DeliveryPending || got.Attempts != 1 || got.LastStatus != 500 || !got.NextAttemptAt.Equal(t0.Add(5*time.Second)) {
		t.Fatalf("after a 500 got %+v, want pending, 1 attempt, next at +5 s", got)
	}
	clock = t0.Add(4 * time.Second)
	runOnce(t, d, 0)
	clock = t0.Add(5 * time.Second)
	runOnce(t, d, 1)
	got = f.delivery(t, id)
	if got.Status != omadata.DeliveryDelivered || got.Attempts != 2 || got.LastStatus != 200 || got.LastError != "" {
		t.Fatalf("got %+v, want delivered on attempt 2", got)
	}
	requests, bad, processed := rcv.stats()
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if requests != 2 || bad != 0 || rcv.seen[id] != 2 || len(processed) != 1 {
		t.Fatalf("receiver got %d requests (%d bad), %d with id %s, processed %v; want 2 signed tries of one event, acted on once",
			requests, bad, rcv.seen[id], id, processed)
	}
}

func TestDeliverOutcomes(t *testing.T) {
	tests := []struct {
		name       string
		statuses   []int
		header     http.Header
		wantStatus string
		wantHTTP   int
		wantRetry  time.Duration // after the first attempt
		wantError  string
	}{
		{"gone", []int{410}, nil, omadata.DeliveryDead, 410, 0, "410"},
		{"client error retries", []int{400}, nil, omadata.DeliveryPending, 400, 5 * time.Second, "HTTP 400"},
		{"too many requests, Retry-After later than the schedule", []int{429}, http.Header{"Retry-After": {"120"}}, omadata.DeliveryPending, 429, 2 * time.Minute, "HTTP 429"},
		{"unavailable, Retry-After sooner than the schedule", []int{503}, http.Header{"Retry-After": {"1"}}, omadata.DeliveryPending, 503, 5 * time.Second, "HTTP 503"},
		{"unavailable, Retry-After as a date", []int{503}, http.Header{"Retry-After": {"Sun, 01 Mar 2026 13:00:00 GMT"}}, omadata.DeliveryPending, 503, time.Hour, "HTTP 503"},
		{"Retry-After capped at a day", []int{429}, http.Header{"Retry-After": {"99999999999"}}, omadata.DeliveryPending, 429, 24 * time.Hour, "HTTP 429"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := storetest.OpenSQLite(t)
			t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
			st.DB().Now = func() time.Time { return t0 }
			rcv := newReceiver(t, tt.statuses...)
			rcv.now = func() time.Time { return t0 }
			rcv.header = tt.header
			f := newFixture(t, st, rcv)
			id := f.enqueue(t)
			runOnce(t, deliverer(f, webhook.Options{Now: func() time.Time { return t0 }}), 1)
			got := f.delivery(t, id)
			if got.Status != tt.wantStatus || got.LastStatus != tt.wantHTTP || !strings.Contains(got.LastError, tt.wantError) {
				t.Fatalf("got %s, HTTP %d, error %q; want %s, HTTP %d, error with %q", got.Status, got.LastStatus, got.LastError, tt.wantStatus, tt.wantHTTP, tt.wantError)
			}
			if tt.wantStatus == omadata.DeliveryPending && !got.NextAttemptAt.Equal(t0.Add(tt.wantRetry)) {
				t.Fatalf("got next attempt at %s, want %s", got.NextAttemptAt, t0.Add(tt.wantRetry))
			}
		})
	}
}

// TestDeliverRedirect: a 3xx is a failed attempt; the redirect is not followed.
func TestDeliverRedirect(t *testing.T) {
	elsewhere := newReceiver(t)
	st := storetest.OpenSQLite(t)
	redirect := httptest.NewServer(http.RedirectHandler(elsewhere.URL, http.StatusFound))
	t.Cleanup(redirect.Close)
	f := newFixture(t, st, newReceiver(t))
	eps := omadata.ServiceEndpoints{Webhook: redirect.URL}
	if _, err := st.UpdateService(storetest.Admin(), f.sink.ID, omadata.ServiceUpdate{Endpoints: &eps}); err != nil {
		t.Fatal(err)
	}
	id := f.enqueue(t)
	runOnce(t, deliverer(f, webhook.Options{}), 1)
	got := f.delivery(t, id)
	if got.Status != omadata.DeliveryPending || got.LastStatus != 302 || !strings.Contains(got.LastError, "redirect") {
		t.Fatalf("got %+v, want a failed attempt with 302", got)
	}
	if requests, _, _ := elsewhere.stats(); requests != 0 {
		t.Fatalf("the redirect target got %d requests, want none", requests)
	}
}

// TestDeliverGivesUp: after the last attempt of the schedule the delivery
// is dead; a refused connection counts as a failed attempt.
func TestDeliverGivesUp(t *testing.T) {
	st := storetest.OpenSQLite(t)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := t0
	st.DB().Now = func() time.Time { return clock }
	f := newFixture(t, st, newReceiver(t))
	f.rcv.Close() // nobody listens any more
	id := f.enqueue(t)
	d := deliverer(f, webhook.Options{Backoff: []time.Duration{0, time.Second, time.Minute}})
	for i, wait := range []time.Duration{0, time.Second, time.Minute} {
		clock = clock.Add(wait)
		runOnce(t, d, 1)
		got := f.delivery(t, id)
		if got.Attempts != i+1 || got.LastStatus != 0 || !strings.Contains(got.LastError, "Request failed") {
			t.Fatalf("attempt %d: got %+v, want a failed connection recorded", i+1, got)
		}
	}
	got := f.delivery(t, id)
	if got.Status != omadata.DeliveryDead || !strings.Contains(got.LastError, "Gave up after 3 attempts") {
		t.Fatalf("got %+v, want dead after 3 attempts", got)
	}
	clock = clock.Add(24 * time.Hour)
	runOnce(t, d, 0)
}

// TestDeliverWaitsForTarget: events for a service without a secret or URL
// wait on the schedule, with the reason recorded, until it has them.
func TestDeliverWaitsForTarget(t *testing.T) {
	st := storetest.OpenSQLite(t)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := t0
	st.DB().Now = func() time.Time { return clock }
	rcv := newReceiver(t)
	f := newFixture(t, st, rcv)
	eps := omadata.ServiceEndpoints{}
	if _, err := st.UpdateService(storetest.Admin(), f.sink.ID, omadata.ServiceUpdate{Endpoints: &eps}); err != nil {
		t.Fatal(err)
	}
	id := f.enqueue(t)
	logs := &bytes.Buffer{}
	var mu sync.Mutex
	d := deliverer(f, webhook.Options{Logger: slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logs.Write(p)
	}), nil))})
	runOnce(t, d, 1)
	if got := f.delivery(t, id); got.Status != omadata.DeliveryPending || got.LastStatus != 0 || !strings.Contains(got.LastError, "no webhook URL") {
		t.Fatalf("got %+v, want pending with the missing URL recorded", got)
	}
	// Waiting for a URL is said once, at INFO, not as a failure each
	// attempt (issue 17 review: the demo's sinks have no webhook URL).
	clock = clock.Add(5 * time.Second)
	runOnce(t, d, 1)
	mu.Lock()
	out := logs.String()
	mu.Unlock()
	if strings.Count(out, "level=INFO msg=\"webhook deliveries wait") != 1 || strings.Contains(out, "level=WARN") {
		t.Fatalf("log of two attempts without a URL:\n%s", out)
	}
	eps.Webhook = rcv.URL
	if _, err := st.UpdateService(storetest.Admin(), f.sink.ID, omadata.ServiceUpdate{Endpoints: &eps}); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(time.Hour)
	runOnce(t, d, 1)
	if got := f.delivery(t, id); got.Status != omadata.DeliveryDelivered || got.Attempts != 3 {
		t.Fatalf("got %+v, want delivered once the URL is set", got)
	}
}

// TestRunBoundedPool: Run sends everything due, never more at once than
// it has workers.
func TestRunBoundedPool(t *testing.T) {
	rcv := newReceiver(t)
	f := newFixture(t, storetest.OpenSQLite(t), rcv)
	var want []string
	for range 7 {
		want = append(want, f.enqueue(t))
	}
	d := deliverer(f, webhook.Options{Workers: 2, PollInterval: 10 * time.Millisecond})
	ctx, cancel := context.WithCancel(storetest.Admin())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, _, processed := rcv.stats(); len(processed) == len(want) {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("processed %d of %d in 10 s", len(processed), len(want))
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if rcv.maxInFlight > 2 || rcv.bad != 0 || rcv.requests != len(want) {
		t.Fatalf("got %d requests (%d bad), up to %d at once; want %d, at most 2 at once", rcv.requests, rcv.bad, rcv.maxInFlight, len(want))
	}
}

// TestRunDrains: cancelling Run stops claiming, but a send in flight
// finishes and is recorded before Run returns.
func TestRunDrains(t *testing.T) {
	rcv := newReceiver(t)
	rcv.arrived = make(chan string, 10)
	rcv.hold = make(chan struct{})
	f := newFixture(t, storetest.OpenSQLite(t), rcv)
	id := f.enqueue(t)
	d := deliverer(f, webhook.Options{Workers: 1, PollInterval: 10 * time.Millisecond})
	ctx, cancel := context.WithCancel(storetest.Admin())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	select {
	case got := <-rcv.arrived:
		if got != id {
			t.Fatalf("got webhook-id %s, want %s", got, id)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no delivery arrived in 10 s")
	}
	later := f.enqueue(t) // due, but Run must not claim it after cancel
	cancel()
	select {
	case <-done:
		t.Fatal("Run returned with a send in flight")
	case <-time.After(100 * time.Millisecond):
	}
	close(rcv.hold)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after the send finished")
	}
	if got := f.delivery(t, id); got.Status != omadata.DeliveryDelivered {
		t.Fatalf("the drained delivery is %s, want delivered", got.Status)
	}
	if got := f.delivery(t, later); got.Status != omadata.DeliveryPending || got.Attempts != 0 {
		t.Fatalf("the later delivery is %s after %d attempts, want pending and untried", got.Status, got.Attempts)
	}
}

// TestRunAbortReleases: a shutdown that cannot wait for a send in flight
// aborts it; the row is handed back with no attempt counted, and another
// deliverer (another instance) claims and delivers it at once, long before
// the first one's lease would have run out.
func TestRunAbortReleases(t *testing.T) {
	rcv := newReceiver(t)
	rcv.arrived = make(chan string, 10)
	rcv.hold = make(chan struct{})
	f := newFixture(t, storetest.OpenSQLite(t), rcv)
	id := f.enqueue(t)
	d := deliverer(f, webhook.Options{Workers: 1, PollInterval: 10 * time.Millisecond, Lease: time.Hour})
	ctx, cancel := context.WithCancel(storetest.Admin())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	select {
	case <-rcv.arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("no delivery arrived in 10 s")
	}
	cancel()
	d.Abort()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after Abort")
	}
	if got := f.delivery(t, id); got.Status != omadata.DeliveryPending || got.Attempts != 0 || got.LockedUntil != nil {
		t.Fatalf("the aborted delivery is %s after %d attempts, lease %v; want pending, untried, released", got.Status, got.Attempts, got.LockedUntil)
	}
	rcv.mu.Lock()
	hold := rcv.hold
	rcv.hold, rcv.arrived = nil, nil
	rcv.mu.Unlock()
	close(hold) // the cut-short request's handler ends
	runOnce(t, deliverer(f, webhook.Options{}), 1)
	if got := f.delivery(t, id); got.Status != omadata.DeliveryDelivered {
		t.Fatalf("after the other deliverer the delivery is %s, want delivered", got.Status)
	}
}

// TestTwoDeliverers runs two deliverers on one database, as two operator
// processes would: every event arrives exactly once. On PostgreSQL (when
// OMADATA_TEST_POSTGRES_DSN is set) this exercises FOR UPDATE SKIP LOCKED.
func TestTwoDeliverers(t *testing.T) {
	engines := map[string]func(t *testing.T) *store.Store{
		"sqlite":   func(t *testing.T) *store.Store { return storetest.OpenSQLite(t) },
		"postgres": func(t *testing.T) *store.Store { return storetest.OpenPostgres(t) },
	}
	for name, open := range engines {
		t.Run(name, func(t *testing.T) {
			rcv := newReceiver(t)
			f := newFixture(t, open(t), rcv)
			want := map[string]bool{}
			for range 40 {
				want[f.enqueue(t)] = true
			}
			ctx, cancel := context.WithCancel(storetest.Admin())
			var wg sync.WaitGroup
			for range 2 {
				d := deliverer(f, webhook.Options{Workers: 4, PollInterval: 5 * time.Millisecond})
				wg.Add(1)
				go func() { defer wg.Done(); d.Run(ctx) }()
			}
			deadline := time.Now().Add(20 * time.Second)
			for {
				if _, _, processed := rcv.stats(); len(processed) == len(want) {
					break
				} else if time.Now().After(deadline) {
					t.Fatalf("processed %d of %d in 20 s", len(processed), len(want))
				}
				time.Sleep(5 * time.Millisecond)
			}
			cancel()
			wg.Wait()
			rcv.mu.Lock()
			defer rcv.mu.Unlock()
			for id, n := range rcv.seen {
				if n != 1 || !want[id] {
					t.Errorf("event %s arrived %d times, want once", id, n)
				}
			}
			if rcv.bad != 0 {
				t.Errorf("%d requests failed verification", rcv.bad)
			}
		})
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// TestMetricsFromZero: every outcome is exposed from the start, at 0.
func TestMetricsFromZero(t *testing.T) {
	reg := prometheus.NewRegistry()
	webhook.New(webhook.Options{Metrics: reg})
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, mf := range mfs {
		if mf.GetName() == "omadata_webhook_attempts_total" {
			n = len(mf.GetMetric())
		}
	}
	if n != 3 || attempts(t, reg, "dead") != 0 {
		t.Errorf("%d outcomes, want delivered, retry and dead at 0", n)
	}
}
