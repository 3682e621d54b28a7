// SPDX-License-Identifier: Apache-2.0

package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/federation"
	"github.com/omadata/omadata/internal/network"
	"github.com/omadata/omadata/internal/peer"
)

// DefaultCatalogueSyncInterval is how often the catalogue sync looks for
// members' catalogues to fetch again.
const DefaultCatalogueSyncInterval = time.Minute

// DefaultCatalogueSyncParallel is how many members' catalogues the sync
// fetches at once, and DefaultCatalogueSyncPeerTimeout how long it gives
// one member (resolving it, fetching and importing its catalogue): a slow
// or hanging member delays no other.
const (
	DefaultCatalogueSyncParallel    = 8
	DefaultCatalogueSyncPeerTimeout = 10 * time.Second
)

// PeerCatalogues is what the catalogue sync needs of the store.
type PeerCatalogues interface {
	PeerCatalogueState(ctx context.Context, operatorID string) (etag string, expires time.Time, err error)
	RenewPeerCatalogue(ctx context.Context, operatorID, etag string, expires time.Time) error
	ImportPeerCatalogue(ctx context.Context, p *omadata.Peer, c *omadata.NetworkCatalogue, etag string, expires time.Time) error
	SuspendPeerServices(ctx context.Context, operatorID, reason string) (int, error)
	MirroredPeers(ctx context.Context) ([]string, error)
}

// CatalogueFetcher fetches a peer's catalogue (peer.Client).
type CatalogueFetcher interface {
	FetchCatalogue(ctx context.Context, p *omadata.Peer, etag string) (*peer.Catalogue, error)
}

// CatalogueSync mirrors the catalogues of the network's members
// (docs/network.md §5.1): every Interval it asks the anchor for the
// members, and fetches the catalogue of each whose mirror expired, with
// If-None-Match, several members at once, each within PeerTimeout. Instances on one database may all run it: an import is
// one transaction that replaces the mirror, and a conditional fetch of
// an unchanged catalogue costs the peer a 304.
type CatalogueSync struct {
	Self     string // this operator's ID, skipped in the member list
	Members  func(ctx context.Context) ([]string, error)
	Peers    peer.Resolver
	Fetch    CatalogueFetcher
	Store    PeerCatalogues
	Interval time.Duration // 0 means DefaultCatalogueSyncInterval
	// Parallel bounds the members synced at once (0: DefaultCatalogueSyncParallel);
	// PeerTimeout bounds each (0: DefaultCatalogueSyncPeerTimeout).
	Parallel    int
	PeerTimeout time.Duration
	Logger      *slog.Logger
	Metrics     *SyncMetrics // nil counts nothing
	Now         func() time.Time
}

// Run syncs until ctx ends. ctx must carry the operator's admin caller.
// A failure is logged when it starts or changes, not on every run: a
// member that is down for an hour is one warning, and a line when it
// recovers.
func (s *CatalogueSync) Run(ctx context.Context) {
	last := ""
	every(ctx, s.Interval, DefaultCatalogueSyncInterval, s.Logger, "sync members' catalogues", "members' catalogues imported", func(ctx context.Context) (int, error) {
		n, err := s.Sync(ctx)
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		if msg != last && s.Logger != nil {
			if err != nil {
				s.Logger.Warn("members' catalogues not all synced", "error", msg)
			} else {
				s.Logger.Info("members' catalogues all synced again")
			}
		}
		last = msg
		return n, nil
	})
}

// Sync fetches every member's catalogue whose mirror expired and returns
// how many it imported. A member that fails is logged and counted, and
// does not stop the others.
func (s *CatalogueSync) Sync(ctx context.Context) (int, error) {
	members, err := s.Members(ctx)
	if err != nil {
		return 0, fmt.Errorf("members: %w", err)
	}
	// A peer whose services we mirror but that the anchor no longer lists
	// is resolved too: if it is no longer a member, its services are
	// suspended (docs/network.md §2.6).
	mirrored, err := s.Store.MirroredPeers(ctx)
	if err != nil {
		return 0, fmt.Errorf("mirrored peers: %w", err)
	}
	listed := len(members)
	for _, id := range mirrored {
		if !slices.Contains(members, id) {
			members = append(members, id)
		}
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	par, timeout := s.Parallel, s.PeerTimeout
	if par <= 0 {
		par = DefaultCatalogueSyncParallel
	}
	if timeout <= 0 {
		timeout = DefaultCatalogueSyncPeerTimeout
	}
	// Members are synced concurrently, at most par at once, each within
	// timeout; results are kept in the members' order, so that the error
	// of a run is the same text while the same members fail.
	type result struct {
		n   int
		err error
	}
	results := make([]result, len(members))
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	for i, id := range members {
		if id == s.Self {
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			pctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			n, err := s.syncOne(pctx, id, now(), i < listed)
			results[i] = result{n, err}
		})
	}
	wg.Wait()
	imported, fresh := 0, 0
	var errs []error
	for i, id := range members {
		if id == s.Self {
			continue
		} else if err := results[i].err; err != nil {
			s.Metrics.failed(id)
			errs = append(errs, fmt.Errorf("%s: %w", id, err))
			continue
		}
		imported += results[i].n
		fresh++
	}
	s.Metrics.set(fresh, len(errs))
	return imported, errors.Join(errs...)
}

// syncOne syncs the catalogue of member id; one the anchor did not list
// (but whose services are mirrored here) is resolved even while its
// mirror is fresh, to learn whether it is still a member.
func (s *CatalogueSync) syncOne(ctx context.Context, id string, now time.Time, listed bool) (int, error) {
	etag, expires, err := s.Store.PeerCatalogueState(ctx, id)
	if err != nil && omadata.ErrorCode(err) != omadata.ENOTFOUND {
		return 0, err
	}
	fresh := err == nil && now.Before(expires)
	if fresh && listed {
		return 0, nil
	}
	p, err := s.Peers.Resolve(ctx, id)
	if err != nil {
		// No longer a member, or its chain no longer validates (not merely
		// unreachable): what we mirror of it is no longer offered.
		if reason := federation.Reason(err); reason != network.ReasonUnavailable {
			if n, serr := s.Store.SuspendPeerServices(ctx, id, reason); serr != nil {
				return 0, fmt.Errorf("resolve: %w; suspend its services: %w", err, serr)
			} else if n > 0 && s.Logger != nil {
				s.Logger.Warn("peer's mirrored services suspended", "peer", id, "reason", reason, "services", n)
			}
		}
		return 0, fmt.Errorf("resolve: %w", err)
	} else if fresh {
		return 0, nil // unlisted but still a member, its mirror fresh
	}
	c, err := s.Fetch.FetchCatalogue(ctx, p, etag)
	if err != nil {
		return 0, err
	}
	if c.NotModified {
		// The mirror is current for the answer's max-age: ask again then.
		return 0, s.Store.RenewPeerCatalogue(ctx, id, etag, c.Expires)
	}
	err = s.Store.ImportPeerCatalogue(ctx, p, c.Catalogue, c.ETag, c.Expires)
	var refused *omadata.RefusedItems
	if errors.As(err, &refused) {
		// Imported, but items that changed a published version were
		// refused, the mirror keeping the old text (docs/network.md §5.1).
		for _, it := range refused.Items {
			if s.Logger != nil {
				s.Logger.Warn("catalogue item refused: a published version is immutable", "peer", id,
					"processing", it.ProcessingID, "version", it.Version, "field", it.Field)
			}
			s.Metrics.refusedItem(id)
		}
		return 1, nil
	} else if err != nil {
		return 0, fmt.Errorf("import: %w", err)
	}
	return 1, nil
}

// SyncMetrics are the catalogue sync's gauges and counters.
type SyncMetrics struct {
	fresh    prometheus.Gauge
	failing  prometheus.Gauge
	failures *prometheus.CounterVec
	refused  *prometheus.CounterVec
	lastRun  prometheus.Gauge
}

// NewSyncMetrics registers the catalogue sync's metrics on reg (network.Register).
func NewSyncMetrics(reg prometheus.Registerer) *SyncMetrics {
	m := &SyncMetrics{
		fresh: network.Register(reg, prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "omadata_network_catalogues_synced",
			Help: "Members whose catalogue the last sync mirrored or found current.",
		})),
		failing: network.Register(reg, prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "omadata_network_catalogues_failing",
			Help: "Members whose catalogue the last sync could not fetch or import.",
		})),
		failures: network.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "omadata_network_catalogue_sync_failures_total",
			Help: "Failed fetches or imports of a member's catalogue, by member.",
		}, []string{"peer"})),
		refused: network.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "omadata_network_catalogue_items_refused_total",
			Help: "Items of a member's catalogue refused because they changed a published version, by member.",
		}, []string{"peer"})),
		lastRun: network.Register(reg, prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "omadata_network_catalogue_sync_last_run_timestamp_seconds",
			Help: "When the catalogue sync last ran to the end.",
		})),
	}
	return m
}

func (m *SyncMetrics) failed(peer string) {
	if m != nil {
		m.failures.WithLabelValues(peer).Inc()
	}
}

func (m *SyncMetrics) refusedItem(peer string) {
	if m != nil {
		m.refused.WithLabelValues(peer).Inc()
	}
}

func (m *SyncMetrics) set(fresh, failing int) {
	if m != nil {
		m.fresh.Set(float64(fresh))
		m.failing.Set(float64(failing))
		m.lastRun.SetToCurrentTime()
	}
}
