// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/keys"
	"github.com/omadata/omadata/internal/netnode"
	"github.com/omadata/omadata/internal/store"
	"github.com/omadata/omadata/internal/web"
	"github.com/omadata/omadata/internal/web/netapi"
)

// joinNetwork builds the operator's part in the network of
// OMADATA_NETWORK_ANCHOR (docs/network.md): it makes the federation key on
// first start, and assembles the entity configuration, the network routes
// and the peer client, and names its witness (witnessKey) in its
// metadata. nil without an anchor: then nothing of the network runs.
func joinNetwork(ctx context.Context, cfg Config, s *store.Store, sealer *keys.Sealer, operatorID, origin, logKey, witnessKey string,
	log *slog.Logger, metrics *prometheus.Registry) (*netnode.Node, error) {
	if !cfg.Network.Enabled() {
		return nil, nil
	}
	if err := checkEntityID(operatorID); err != nil {
		return nil, fmt.Errorf("OMADATA_OPERATOR_ID (or OMADATA_PUBLIC_URL): in a network the operator ID is its entity identifier: %w", err)
	}
	k, err := keys.Ensure(ctx, s, sealer, omadata.KeyPurposeFederation)
	if err != nil {
		return nil, fmt.Errorf("federation key: %w", err)
	}
	fk := &federationKeys{svc: s, sealer: sealer, refresh: keyRefreshInterval}
	node, err := netnode.New(netnode.Options{
		Metadata: omadata.OperatorMetadata{
			OperatorID: operatorID, Name: cfg.networkName(), BaseURL: operatorID,
			NetworkEndpoint:   operatorID + netapi.Prefix,
			CatalogueEndpoint: operatorID + netapi.Prefix + "/catalogue",
			LogEndpoint:       operatorID + "/api/v1/public/log",
			LogOrigin:         origin, LogVerifierKey: logKey,
			// Its witness (docs/witnessing.md §1).
			WitnessEndpoint:    operatorID + web.WitnessPrefix,
			WitnessVerifierKey: witnessKey,
		},
		OrganizationName: cfg.OperatorName,
		AnchorID:         cfg.Network.Anchor, AnchorKeys: &cfg.Network.AnchorKeys, Rulebook: cfg.Network.Rulebook,
		Keys: fk.Keys, Store: s, SyncInterval: cfg.Network.SyncInterval,
		CatalogueMaxAge: cfg.Network.CatalogueMaxAge,
		Logger:          log, Metrics: metrics,
	})
	if err != nil {
		return nil, err
	}
	log.Info("joining the network", "anchor", cfg.Network.Anchor, "rulebook", cfg.Network.Rulebook, "federation_key", k.ID)
	return node, nil
}
