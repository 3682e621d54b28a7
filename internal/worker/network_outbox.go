// SPDX-License-Identifier: Apache-2.0

package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/network"
	"github.com/omadata/omadata/internal/peer"
)

// Network outbox delivery: how often it looks for due messages, how many
// it claims at once, and for how long a claim hides them from the other
// instances (longer than a delivery can take: the client's timeout).
const (
	DefaultNetworkOutboxInterval = 2 * time.Second
	networkOutboxBatch           = 20
	networkOutboxLease           = time.Minute
)

// ConsentEventSender sends a consent event to the sink's operator
// (peer.Client).
type ConsentEventSender interface {
	SendConsentEvent(ctx context.Context, p *omadata.Peer, ev *omadata.NetworkConsentEvent) error
}

// NetworkOutbox delivers the network outbox's messages to peers
// (docs/network.md §5.2): it claims due messages, so that two instances
// never send one at the same time, sends each signed, and marks it
// delivered once the peer acknowledged it, refused when the peer refused
// it for good (a reason docs/network.md §6 says not to retry), or failed,
// which the store retries with backoff.
type NetworkOutbox struct {
	Outbox   omadata.NetworkOutbox
	Peers    peer.Resolver
	Send     ConsentEventSender
	Interval time.Duration // 0 means DefaultNetworkOutboxInterval
	Logger   *slog.Logger
	Metrics  *OutboxMetrics // nil counts nothing
}

// Run delivers until ctx ends. ctx must carry the operator's admin caller.
// When ctx ends, the message being sent is finished and the rest of the
// batch is handed back (ReleaseNetworkMessage).
func (o *NetworkOutbox) Run(ctx context.Context) {
	every(ctx, o.Interval, DefaultNetworkOutboxInterval, o.Logger, "deliver network messages", "network messages delivered",
		func(work context.Context) (int, error) { return o.deliver(work, ctx) })
}

// Deliver claims the due messages and sends them; it returns how many
// the peers acknowledged.
func (o *NetworkOutbox) Deliver(ctx context.Context) (int, error) { return o.deliver(ctx, ctx) }

// deliver is Deliver that stops sending when stop ends, and hands the
// messages not sent back.
func (o *NetworkOutbox) deliver(ctx, stop context.Context) (int, error) {
	msgs, err := o.Outbox.ClaimNetworkMessages(ctx, networkOutboxBatch, networkOutboxLease)
	if err != nil {
		return 0, fmt.Errorf("claim: %w", err)
	}
	o.Metrics.claimed(len(msgs))
	n := 0
	for i, m := range msgs {
		if stop.Err() != nil {
			// Shutting down: hand the messages not sent yet back, so that
			// another instance sends them now, not after the lease. The
			// one in flight has finished.
			o.release(context.WithoutCancel(ctx), msgs[i:])
			return n, nil
		}
		if err := o.send(ctx, m); network.Final(err) {
			// The peer refused it for good (docs/network.md §6): sending
			// it again would meet the same refusal.
			o.Metrics.outcome("refused")
			if o.Logger != nil {
				o.Logger.Error("network message refused for good, not sent again", "id", m.ID, "operator", m.OperatorID, "attempts", m.Attempts+1, "error", err.Error())
			}
			if err := o.Outbox.NetworkMessageRefused(ctx, m.ID, err.Error()); err != nil {
				return n, fmt.Errorf("mark %s refused: %w", m.ID, err)
			}
			continue
		} else if err != nil {
			o.Metrics.outcome("failed")
			if o.Logger != nil {
				o.Logger.Warn("network message not delivered", "id", m.ID, "operator", m.OperatorID, "attempts", m.Attempts+1, "error", err.Error())
			}
			if err := o.Outbox.NetworkMessageFailed(ctx, m.ID, err.Error()); err != nil {
				return n, fmt.Errorf("mark %s failed: %w", m.ID, err)
			}
			continue
		}
		if err := o.Outbox.NetworkMessageDelivered(ctx, m.ID); err != nil {
			return n, fmt.Errorf("mark %s delivered: %w", m.ID, err)
		}
		o.Metrics.outcome("delivered")
		n++
	}
	return n, nil
}

// release hands claimed messages back, due at once.
func (o *NetworkOutbox) release(ctx context.Context, msgs []*omadata.NetworkMessage) {
	for _, m := range msgs {
		err := o.Outbox.ReleaseNetworkMessage(ctx, m.ID, m.LockedUntil)
		if o.Logger == nil {
			continue
		} else if err != nil {
			o.Logger.Error("release network message", "id", m.ID, "error", err.Error())
		} else {
			o.Logger.Info("network message handed back", "id", m.ID, "operator", m.OperatorID)
		}
	}
}

func (o *NetworkOutbox) send(ctx context.Context, m *omadata.NetworkMessage) error {
	if m.Kind != omadata.NetworkKindConsentEvent {
		return fmt.Errorf("unknown kind %q", m.Kind)
	}
	var ev omadata.NetworkConsentEvent
	if err := json.Unmarshal(m.Body, &ev); err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	p, err := o.Peers.Resolve(ctx, m.OperatorID)
	if err != nil {
		return fmt.Errorf("resolve: %w", err)
	}
	return o.Send.SendConsentEvent(ctx, p, &ev)
}

// OutboxMetrics are the network outbox's gauge and counter.
type OutboxMetrics struct {
	due        prometheus.Gauge
	deliveries *prometheus.CounterVec
}

// NewOutboxMetrics registers the network outbox's metrics on reg (network.Register).
func NewOutboxMetrics(reg prometheus.Registerer) *OutboxMetrics {
	m := &OutboxMetrics{
		due: network.Register(reg, prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "omadata_network_outbox_claimed",
			Help: "Network messages due to peers that this instance's last run of the outbox claimed.",
		})),
		deliveries: network.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "omadata_network_outbox_deliveries_total",
			Help: "Attempts to deliver network messages to peers, by outcome (delivered, failed, refused: for good, not sent again).",
		}, []string{"outcome"})),
	}
	return m
}

func (m *OutboxMetrics) claimed(n int) {
	if m != nil {
		m.due.Set(float64(n))
	}
}

func (m *OutboxMetrics) outcome(o string) {
	if m != nil {
		m.deliveries.WithLabelValues(o).Inc()
	}
}
