// SPDX-License-Identifier: Apache-2.0

package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/omadata/omadata"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the HTTP metrics, registered on the registry in Options.
type metrics struct {
	requests     *prometheus.CounterVec
	duration     *prometheus.HistogramVec
	readTimeouts prometheus.Counter
}

func newMetrics(reg *prometheus.Registry, version string) *metrics {
	register(reg, prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "omadata_build_info",
		Help:        "Always 1; the version label names the running build.",
		ConstLabels: prometheus.Labels{"version": version},
	})).Set(1)
	return &metrics{
		requests: register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "omadata_http_requests_total",
			Help: "HTTP requests served, by method, route pattern and status code.",
		}, []string{"method", "route", "code"})),
		duration: register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "omadata_http_request_duration_seconds",
			Help:    "Time to serve HTTP requests, by method and route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "route"})),
		readTimeouts: register(reg, prometheus.NewCounter(prometheus.CounterOpts{
			Name: "omadata_http_read_timeouts_total",
			Help: "Requests whose headers or body did not arrive within the server's timeouts (a body: answered 408).",
		})),
	}
}

// register registers c, or returns the collector already registered in its
// place, so that two servers may share a registry.
func register[C prometheus.Collector](reg *prometheus.Registry, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic(err) // a name clash with another metric: a bug
	}
	return c
}

// observe records one request. Labels are bounded: the route is a
// registered pattern, never a raw path, and odd methods are lumped together.
func (m *metrics) observe(method, route string, status int, d time.Duration) {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
	default:
		method = "other"
	}
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(method, route).Observe(d.Seconds())
}

// metricsHandler serves the registry in the Prometheus text format.
func (s *Server) metricsHandler() http.Handler {
	return promhttp.HandlerFor(s.opts.Metrics, promhttp.HandlerOpts{})
}

// requestDeadlines is a collector of the open data-subject requests due
// soon and overdue, counted from the database at each scrape, so that
// every instance reports the same.
type requestDeadlines struct {
	requests omadata.RequestService
	log      *slog.Logger
	open     *prometheus.Desc
	dueSoon  *prometheus.Desc
	overdue  *prometheus.Desc
}

func newRequestDeadlines(requests omadata.RequestService, log *slog.Logger) *requestDeadlines {
	return &requestDeadlines{
		requests: requests, log: log,
		open:    prometheus.NewDesc("omadata_requests_open", "Open data-subject requests.", nil, nil),
		dueSoon: prometheus.NewDesc("omadata_requests_due_soon", "Open data-subject requests due within 7 days, not yet overdue.", nil, nil),
		overdue: prometheus.NewDesc("omadata_requests_overdue", "Open data-subject requests past their deadline.", nil, nil),
	}
}

func (c *requestDeadlines) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.open
	ch <- c.dueSoon
	ch <- c.overdue
}

// Collect counts as the operator's admin caller, within a few seconds; a
// failed count leaves the gauges out of that scrape and is logged.
func (c *requestDeadlines) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(omadata.NewContextWithCaller(context.Background(),
		omadata.Caller{Kind: omadata.CallerAdmin, TokenID: "metrics"}), 5*time.Second)
	defer cancel()
	d, err := c.requests.RequestDeadlines(ctx)
	if err != nil {
		c.log.Error("count request deadlines", "err", err)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.open, prometheus.GaugeValue, float64(d.Open))
	ch <- prometheus.MustNewConstMetric(c.dueSoon, prometheus.GaugeValue, float64(d.DueSoon))
	ch <- prometheus.MustNewConstMetric(c.overdue, prometheus.GaugeValue, float64(d.Overdue))
}

// backlogGauges is a collector of the work waiting in the database: the
// log's leaves not yet in a checkpoint and the latest checkpoint's age,
// the webhook outbox's pending, due and dead deliveries. Counted at each
// scrape like requestDeadlines, so every instance reports the same.
type backlogGauges struct {
	backlog omadata.BacklogService
	log     *slog.Logger
	now     func() time.Time

	checkpointSize, checkpointAge, unintegrated *prometheus.Desc
	pending, due, oldestDue, dead               *prometheus.Desc
	stalePermits                                *prometheus.Desc
}

func newBacklogGauges(b omadata.BacklogService, log *slog.Logger) *backlogGauges {
	return &backlogGauges{
		backlog: b, log: log, now: time.Now,
		checkpointSize: prometheus.NewDesc("omadata_log_checkpoint_size", "Leaves in the transparency log's latest checkpoint.", nil, nil),
		checkpointAge:  prometheus.NewDesc("omadata_log_checkpoint_age_seconds", "Seconds since the latest checkpoint was signed; absent before the first.", nil, nil),
		unintegrated:   prometheus.NewDesc("omadata_log_unintegrated_leaves", "Log leaves appended but in no checkpoint yet.", nil, nil),
		pending:        prometheus.NewDesc("omadata_webhook_pending", "Webhook deliveries neither delivered nor given up.", nil, nil),
		due:            prometheus.NewDesc("omadata_webhook_due", "Pending webhook deliveries due now or overdue.", nil, nil),
		oldestDue:      prometheus.NewDesc("omadata_webhook_oldest_due_seconds", "How long the most overdue pending webhook delivery has been due; 0 when none is.", nil, nil),
		dead:           prometheus.NewDesc("omadata_webhook_dead_letters", "Webhook deliveries given up (dead letters), until redelivered.", nil, nil),
		stalePermits:   prometheus.NewDesc("omadata_decision_stale_permits", "The stale-permit canary: permits decided over 10 s after their consent's withdrawal or revocation, among those of the last hour. Always 0 unless a decision read a stale state.", nil, nil),
	}
}

func (c *backlogGauges) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.checkpointSize, c.checkpointAge, c.unintegrated, c.pending, c.due, c.oldestDue, c.dead, c.stalePermits} {
		ch <- d
	}
}

// Collect counts as the operator's admin caller, within a few seconds; a
// failed count leaves the gauges out of that scrape and is logged.
func (c *backlogGauges) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(omadata.NewContextWithCaller(context.Background(),
		omadata.Caller{Kind: omadata.CallerAdmin, TokenID: "metrics"}), 5*time.Second)
	defer cancel()
	b, err := c.backlog.Backlog(ctx)
	if err != nil {
		c.log.Error("count the backlog", "err", err)
		return
	}
	now := c.now()
	gauge := func(d *prometheus.Desc, v float64) { ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v) }
	gauge(c.checkpointSize, float64(b.CheckpointSize))
	if !b.CheckpointAt.IsZero() {
		gauge(c.checkpointAge, max(0, now.Sub(b.CheckpointAt).Seconds()))
	}
	gauge(c.unintegrated, float64(b.UnintegratedLeaves))
	gauge(c.pending, float64(b.WebhookPending))
	gauge(c.due, float64(b.WebhookDue))
	oldest := 0.0
	if !b.WebhookOldestDue.IsZero() {
		oldest = max(0, now.Sub(b.WebhookOldestDue).Seconds())
	}
	gauge(c.oldestDue, oldest)
	gauge(c.dead, float64(b.WebhookDead))
	gauge(c.stalePermits, float64(b.StalePermits))
}
