// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/keys"
	"github.com/omadata/omadata/internal/netnode"
	"github.com/omadata/omadata/internal/network"
	"github.com/omadata/omadata/internal/store"
	"github.com/omadata/omadata/internal/witness"
)

// witnessing is the operator's part in witnessed logs (docs/witnessing.md):
// its witness of other logs (§2), the collector of its own log's
// cosignatures (§3) and what counts as witnessed (§5).
type witnessing struct {
	Cosigner  *witness.Cosigner
	Handler   *witness.Handler
	Own       *witness.Own
	Collector *witness.Collector
	Interval  time.Duration
}

// newWitnessCosigner is the operator's witness: named after its log
// origin (omadata.WitnessName of the operator ID), with its key of
// purpose witness, made on first start.
func newWitnessCosigner(ctx context.Context, s *store.Store, sealer *keys.Sealer, operatorID string) (*witness.Cosigner, error) {
	c, err := witness.NewCosignerFromKeys(ctx, s, sealer, omadata.WitnessName(operatorID))
	if err != nil {
		return nil, fmt.Errorf("witness: %w", err)
	}
	return c, nil
}

// newWitnessing assembles the witness and the collector. node, when the
// operator is in a network, gives the network's witnesses.
func newWitnessing(cfg Config, s *store.Store, cosigner *witness.Cosigner, node *netnode.Node, logKey, publicURL string,
	log *slog.Logger, reg prometheus.Registerer) *witnessing {
	m := newWitnessMetrics(reg)
	list := witnessList{outside: cfg.Witness.Outside, self: cosigner.VerifierKey(), logger: log, warned: &sync.Map{}}
	if node != nil {
		list.network = node
	}
	return &witnessing{
		Cosigner: cosigner,
		Handler: &witness.Handler{State: s, Cosigner: cosigner, Logger: log,
			// A failed proof is a fork only if the peer's log cannot prove
			// it either (docs/witnessing.md §4).
			FetchProof: witness.PeerLogProofs(s, &witness.Client{HTTP: &http.Client{
				Timeout:       witness.DefaultTimeout,
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			}}),
			OnFork: func(f *omadata.WitnessFork) { m.forks.WithLabelValues(f.Origin).Inc() },
			OnAnswer: func(status int) {
				m.requests.WithLabelValues(fmt.Sprint(status)).Inc()
			}},
		Own: &witness.Own{Log: s, Store: s, Source: list, LogKey: logKey, LogURL: publicURL + "/api/v1/public/log", Quorum: cfg.Witness.Quorum, Network: node != nil,
			CacheFor: time.Second},
		Collector: &witness.Collector{Log: s, Store: countedProgress{WitnessService: s, m: m}, Witnesses: list, Logger: log,
			Client: &witness.Client{HTTP: &http.Client{
				Timeout: 2 * witness.DefaultTimeout,
				// An answer comes from the URL asked, never from where a
				// redirect points.
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			}}},
		Interval: cfg.Witness.Interval,
	}
}

// witnessList is the witnesses of the operator's log, in the order of
// docs/witnessing.md §3: the network's (its members', then its trust
// anchor's), then those of OMADATA_WITNESSES; at most 32. A witness is
// one name and one public key: of two with the same name or the same
// public key only one is asked, and the trust anchor's and the
// configured ones come before the members' (a member's witness that
// clashes with one of them is left out, with a WARN line), so that no
// member drops another witness by reusing its name or key.
type witnessList struct {
	network witness.WitnessSource // nil outside a network
	outside []omadata.WitnessRef
	// self is the operator's own witness key: a log does not witness
	// itself, so a witness with it (or its name) is left out.
	self   string
	logger *slog.Logger // nil: no warnings
	warned *sync.Map    // the clashes warned of, once each; nil: every time
}

func (l witnessList) Witnesses(ctx context.Context) ([]omadata.WitnessRef, error) {
	var all []omadata.WitnessRef
	if l.network != nil {
		ws, err := l.network.Witnesses(ctx)
		if err != nil {
			return nil, err
		}
		all = append(all, ws...)
	}
	all = append(all, l.outside...)
	// First the anchor's and the configured witnesses (no operator ID),
	// then the members': the first to claim a name or a key keeps it.
	keep := make([]bool, len(all))
	byName, byKey := map[string]int{}, map[string]int{}
	if l.self != "" {
		// The operator's own witness, at index -1: never asked.
		all = append([]omadata.WitnessRef{{Name: strings.SplitN(l.self, "+", 2)[0], VerifierKey: l.self}}, all...)
		keep = append([]bool{false}, keep...)
		byName[all[0].Name], byKey[witness.CosignaturePublicKey(l.self)] = 0, 0
	}
	for _, members := range []bool{false, true} {
		for i, w := range all {
			if (w.OperatorID != "") != members || l.self != "" && i == 0 {
				continue
			}
			key := witness.CosignaturePublicKey(w.VerifierKey)
			j, clash := byName[w.Name]
			if !clash && key != "" {
				j, clash = byKey[key]
			}
			if clash {
				if o := all[j]; l.self != "" && j == 0 || o.Name != w.Name || witness.CosignaturePublicKey(o.VerifierKey) != key {
					l.warn(ctx, w, o)
				}
				continue
			}
			keep[i], byName[w.Name] = true, i
			if key != "" {
				byKey[key] = i
			}
		}
	}
	out := make([]omadata.WitnessRef, 0, len(all))
	for i, w := range all {
		if keep[i] && len(out) < maxWitnesses {
			out = append(out, w)
		}
	}
	return out, nil
}

// warn logs that the witness left was left out for clashing with kept.
func (l witnessList) warn(ctx context.Context, left, kept omadata.WitnessRef) {
	if l.logger == nil {
		return
	}
	if l.warned != nil {
		if _, done := l.warned.LoadOrStore(left.Name+" "+left.VerifierKey+" "+kept.VerifierKey, true); done {
			return
		}
	}
	l.logger.WarnContext(ctx, "witness: left out, its name or key is another witness's", "witness", left.Name, "operator", left.OperatorID,
		"verifier_key", left.VerifierKey, "kept", kept.Name, "kept_verifier_key", kept.VerifierKey)
}

// witnessMetrics are the witness's and the collector's metrics
// (docs/witnessing.md §4, docs/transparency-log.md).
type witnessMetrics struct {
	requests     *prometheus.CounterVec
	forks        *prometheus.CounterVec
	cosignatures *prometheus.CounterVec
	lastSize     *prometheus.GaugeVec
}

// newWitnessMetrics registers the metrics once per registry
// (network.Register): instances in one process share them.
func newWitnessMetrics(reg prometheus.Registerer) *witnessMetrics {
	return &witnessMetrics{
		requests: network.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "omadata_witness_requests_total",
			Help: "add-checkpoint requests the operator's witness answered, by HTTP status.",
		}, []string{"status"})),
		forks: network.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "omadata_witness_forks_total",
			Help: "Forks the operator's witness caught and recorded, by log origin.",
		}, []string{"origin"})),
		cosignatures: network.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "omadata_witness_cosignatures_total",
			Help: "The collector's requests for a cosignature of the operator's log, by witness and result (ok: stored; failed: refused, unanswered or not verifying).",
		}, []string{"witness", "result"})),
		lastSize: network.Register(reg, prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "omadata_witness_last_cosigned_size",
			Help: "The size of the operator's latest checkpoint each witness cosigned.",
		}, []string{"witness"})),
	}
}

// countedProgress counts the collector's outcomes as it records them.
type countedProgress struct {
	omadata.WitnessService
	m *witnessMetrics
}

func (c countedProgress) SetWitnessProgress(ctx context.Context, p *omadata.WitnessProgress) error {
	if p.LastError != "" {
		c.m.cosignatures.WithLabelValues(p.Witness, "failed").Inc()
	} else {
		c.m.cosignatures.WithLabelValues(p.Witness, "ok").Inc()
		c.m.lastSize.WithLabelValues(p.Witness).Set(float64(p.Size))
	}
	return c.WitnessService.SetWitnessProgress(ctx, p)
}
