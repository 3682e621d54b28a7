// SPDX-License-Identifier: Apache-2.0

package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/omadata/omadata"
)

// DefaultBackoff is the Standard Webhooks schedule: the wait before each
// attempt, the first immediate. After the last attempt fails the delivery
// is dead, about three days after the event.
var DefaultBackoff = []time.Duration{0, 5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour,
	5 * time.Hour, 10 * time.Hour, 14 * time.Hour, 20 * time.Hour, 24 * time.Hour}

// Defaults of Options.
const (
	DefaultTimeout      = 15 * time.Second
	DefaultWorkers      = 4
	DefaultPollInterval = time.Second
	// maxRetryAfter caps how long a receiver's Retry-After may defer an attempt.
	maxRetryAfter = 24 * time.Hour
)

// Options configures a Deliverer. Only Queue is required.
type Options struct {
	Queue omadata.DeliveryQueue
	// Client sends the requests; nil means NewClient(DefaultTimeout).
	Client *http.Client
	// Workers bounds how many deliveries are in flight at once.
	Workers int
	// PollInterval is how long Run waits when nothing is due.
	PollInterval time.Duration
	// Backoff is the wait before each attempt; nil means DefaultBackoff.
	Backoff []time.Duration
	// Jitter spreads a wait, so that many failed deliveries do not all
	// retry in the same second; nil means ±10 % at random.
	Jitter func(time.Duration) time.Duration
	// Lease is how long a claimed delivery stays ours; it must outlast a
	// request. Zero means four times the client's timeout.
	Lease time.Duration
	// Now is the clock of webhook-timestamp and Retry-After dates.
	Now func() time.Time
	// Logger receives one line per failed attempt; nil discards.
	Logger *slog.Logger
	// Metrics, if set, receives the delivery counters.
	Metrics prometheus.Registerer
}

// Deliverer sends outbox rows to webhooks.
type Deliverer struct {
	o        Options
	attempts *prometheus.CounterVec
	duration prometheus.Histogram
	// waiting are the services whose events wait because they cannot take
	// deliveries now (no webhook URL, no secret, not approved), with why:
	// said once at INFO, not as a failed delivery at every attempt.
	waiting sync.Map
	// aborted ends the sends in flight (Abort); their rows are released.
	aborted context.Context
	abort   context.CancelFunc
}

// NewClient returns the HTTP client of deliveries: a timeout, and no
// redirects, since a 3xx is a failed delivery (Standard Webhooks).
func NewClient(timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// New returns a Deliverer with defaults filled in.
func New(o Options) *Deliverer {
	if o.Client == nil {
		o.Client = NewClient(DefaultTimeout)
	}
	if o.Workers <= 0 {
		o.Workers = DefaultWorkers
	}
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultPollInterval
	}
	if len(o.Backoff) == 0 {
		o.Backoff = DefaultBackoff
	}
	if o.Jitter == nil {
		o.Jitter = func(d time.Duration) time.Duration { return d + time.Duration((rand.Float64()*0.2-0.1)*float64(d)) }
	}
	if o.Lease <= 0 {
		timeout := o.Client.Timeout
		if timeout <= 0 {
			timeout = DefaultTimeout
		}
		o.Lease = 4 * timeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	d := &Deliverer{
		o: o,
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "omadata_webhook_attempts_total",
			Help: "Webhook delivery attempts, by outcome: delivered, retry or dead.",
		}, []string{"outcome"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "omadata_webhook_request_duration_seconds",
			Help:    "Time for a receiver to answer a webhook request.",
			Buckets: prometheus.DefBuckets,
		}),
	}
	d.aborted, d.abort = context.WithCancel(context.Background())
	// Every outcome from the start, at 0, so that an alert on increase()
	// sees the first dead letter after a restart too.
	for _, outcome := range []string{"delivered", "retry", "dead"} {
		d.attempts.WithLabelValues(outcome)
	}
	if o.Metrics != nil {
		o.Metrics.MustRegister(d.attempts, d.duration)
	}
	return d
}

// Run delivers until ctx ends: it claims due rows while a worker is free,
// and polls when nothing is due. When ctx ends it stops claiming and
// returns once the deliveries in flight have finished and been recorded,
// or, after Abort, been handed back. ctx must carry the operator's admin
// caller.
func (d *Deliverer) Run(ctx context.Context) {
	// In-flight sends outlive ctx: that is the drain. Each is bounded by
	// the client's timeout, and ends at once on Abort.
	work, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	defer context.AfterFunc(d.aborted, cancel)()
	var wg sync.WaitGroup
	defer wg.Wait() // before cancel
	slots := make(chan struct{}, d.o.Workers)
	for {
		select {
		case slots <- struct{}{}: // wait for a free worker
		case <-ctx.Done():
			return
		}
		n := 1
	more:
		for n < d.o.Workers {
			select {
			case slots <- struct{}{}:
				n++
			default:
				break more
			}
		}
		batch, err := d.o.Queue.ClaimDeliveries(ctx, n, d.o.Lease)
		if err != nil && ctx.Err() == nil {
			d.o.Logger.Error("claim webhook deliveries", "err", err)
		}
		for _, dl := range batch {
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-slots }()
				d.deliver(work, dl)
			}()
		}
		for range n - len(batch) {
			<-slots
		}
		if len(batch) < n {
			// Nothing more is due now (or the claim failed): wait.
			t := time.NewTimer(d.o.PollInterval)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return
			}
		}
	}
}

// Abort ends the sends in flight of Run, for a shutdown that cannot wait
// for them: each delivery not yet answered is released, not counted as an
// attempt, so that the next claim (another instance's) takes it at once.
// A receiver may have got a request that was cut short; it dedupes by the
// webhook-id header, as Standard Webhooks asks.
func (d *Deliverer) Abort() { d.abort() }

// RunOnce claims one batch of due deliveries, up to Workers, sends them
// and returns how many it sent. Tests and one-shot tools use it.
func (d *Deliverer) RunOnce(ctx context.Context) (int, error) {
	batch, err := d.o.Queue.ClaimDeliveries(ctx, d.o.Workers, d.o.Lease)
	if err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	for _, dl := range batch {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.deliver(ctx, dl)
		}()
	}
	wg.Wait()
	return len(batch), nil
}

// deliver makes one attempt and records its outcome.
func (d *Deliverer) deliver(ctx context.Context, dl *omadata.Delivery) {
	res, noTarget := d.attempt(ctx, dl)
	if ctx.Err() != nil && (res == nil || res.Status != omadata.DeliveryDelivered) && dl.LockedUntil != nil {
		// Aborted: hand the row back instead of recording an attempt.
		if err := d.o.Queue.ReleaseDelivery(context.WithoutCancel(ctx), dl.ID, *dl.LockedUntil); err != nil {
			d.o.Logger.Error("release webhook delivery", "delivery", dl.ID, "err", err)
		} else {
			d.o.Logger.Info("webhook delivery handed back", "delivery", dl.ID, "service", dl.ServiceID)
		}
		return
	}
	if res == nil {
		return // an outage, logged: the lease runs out and the row is tried again
	}
	if dl.LockedUntil != nil {
		res.Lease = *dl.LockedUntil
	}
	outcome := map[string]string{omadata.DeliveryDelivered: "delivered", omadata.DeliveryPending: "retry", omadata.DeliveryDead: "dead"}[res.Status]
	d.attempts.WithLabelValues(outcome).Inc()
	log := d.o.Logger.With("delivery", dl.ID, "service", dl.ServiceID, "attempt", dl.Attempts+1)
	switch {
	case noTarget && res.Status == omadata.DeliveryPending:
		// Nothing was sent: the service is not ready for deliveries.
		if prev, ok := d.waiting.Swap(dl.ServiceID, res.Error); !ok || prev != res.Error {
			log.Info("webhook deliveries wait until the service can take them", "reason", res.Error)
		}
	case res.Status == omadata.DeliveryPending:
		d.waiting.Delete(dl.ServiceID)
		log.Warn("webhook delivery failed; will retry", "status", res.HTTPStatus, "err", res.Error, "retry_in", res.RetryIn.String())
	case res.Status == omadata.DeliveryDead:
		log.Error("webhook delivery dead", "status", res.HTTPStatus, "err", res.Error)
	default:
		d.waiting.Delete(dl.ServiceID)
	}
	if err := d.o.Queue.CompleteDelivery(context.WithoutCancel(ctx), dl.ID, *res); err != nil {
		log.Error("record webhook delivery", "err", err)
	}
}

// attempt sends one delivery and says what to record, or nil when the
// operator itself failed and nothing should be recorded; noTarget when
// nothing was sent because the service cannot take deliveries now.
func (d *Deliverer) attempt(ctx context.Context, dl *omadata.Delivery) (res *omadata.DeliveryResult, noTarget bool) {
	target, secret, err := d.o.Queue.WebhookTarget(ctx, dl.ServiceID)
	switch code := omadata.ErrorCode(err); code {
	case "":
	case omadata.ECONFLICT, omadata.ENOTFOUND:
		// The service cannot take deliveries now: wait on the schedule.
		return d.failed(dl, 0, omadata.ErrorMessage(err), 0), true
	default:
		d.o.Logger.Error("webhook target", "delivery", dl.ID, "service", dl.ServiceID, "err", err)
		return nil, false
	}
	return d.send(ctx, dl, target, secret), false
}

// send posts one delivery to target, signed with secret.
func (d *Deliverer) send(ctx context.Context, dl *omadata.Delivery, target string, secret []byte) *omadata.DeliveryResult {
	if u, err := url.Parse(target); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return d.failed(dl, 0, "The webhook URL is not an absolute http or https URL.", 0)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(dl.Payload))
	if err != nil {
		return d.failed(dl, 0, "The webhook URL cannot be requested.", 0)
	}
	req.Header.Set("Content-Type", "application/cloudevents+json")
	req.Header.Set("User-Agent", "omadata-webhooks")
	req.Header.Set(HeaderID, dl.ID)
	ts := d.o.Now()
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set(HeaderSignature, Sign(secret, dl.ID, ts, dl.Payload))

	start := time.Now()
	resp, err := d.o.Client.Do(req)
	d.duration.Observe(time.Since(start).Seconds())
	if err != nil {
		return d.failed(dl, 0, transportError(err), 0)
	}
	// Read a little so the connection can be reused; the body is not kept.
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	resp.Body.Close()
	switch s := resp.StatusCode; {
	case s >= 200 && s < 300:
		return &omadata.DeliveryResult{Status: omadata.DeliveryDelivered, HTTPStatus: s}
	case s == http.StatusGone:
		return &omadata.DeliveryResult{Status: omadata.DeliveryDead, HTTPStatus: s, Error: "HTTP 410 Gone: the receiver asked for no more deliveries."}
	case s >= 300 && s < 400:
		return d.failed(dl, s, fmt.Sprintf("HTTP %d: redirects are not followed; set the webhook URL to the final address.", s), 0)
	case s == http.StatusTooManyRequests || s == http.StatusServiceUnavailable:
		return d.failed(dl, s, fmt.Sprintf("HTTP %d.", s), retryAfter(resp.Header.Get("Retry-After"), d.o.Now()))
	default:
		return d.failed(dl, s, fmt.Sprintf("HTTP %d.", s), 0)
	}
}

// failed is the result of a failed attempt: retry on the schedule, never
// sooner than the receiver asked, or dead after the last attempt.
func (d *Deliverer) failed(dl *omadata.Delivery, status int, msg string, notBefore time.Duration) *omadata.DeliveryResult {
	next := dl.Attempts + 1 // the attempt after this one, counting from 0
	if next >= len(d.o.Backoff) {
		return &omadata.DeliveryResult{Status: omadata.DeliveryDead, HTTPStatus: status,
			Error: fmt.Sprintf("%s Gave up after %d attempts.", msg, next)}
	}
	wait := max(d.o.Jitter(d.o.Backoff[next]), notBefore)
	return &omadata.DeliveryResult{Status: omadata.DeliveryPending, HTTPStatus: status, Error: msg, RetryIn: wait}
}

// retryAfter parses a Retry-After header, in seconds or as an HTTP date,
// capped at a day; 0 if absent or unreadable.
func retryAfter(h string, now time.Time) time.Duration {
	if h == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.Atoi(h); err == nil {
		d = time.Duration(min(max(n, 0), int(maxRetryAfter/time.Second))) * time.Second
	} else if t, err := http.ParseTime(h); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}

// transportError describes a failed request without its URL, which may
// carry a token of the receiver's.
func transportError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return "The receiver did not answer in time."
		}
		err = ue.Err
	}
	return "Request failed: " + err.Error()
}
