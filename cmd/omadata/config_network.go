// SPDX-License-Identifier: Apache-2.0

package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/federation"
	"github.com/omadata/omadata/internal/network"
)

// NetworkConfig is how the operator joins a network of operators
// (docs/network.md). Without an Anchor the operator is in no network:
// nothing of the network runs and /network/v1 answers 404.
type NetworkConfig struct {
	// Anchor is the trust anchor's entity identifier (docs/network.md §1).
	Anchor string
	// AnchorKeys are the anchor's federation keys, pinned: the anchor's
	// entity configuration must verify with one of them (§2.4 step 1).
	AnchorKeys jose.JSONWebKeySet
	// Rulebook is the rulebook version members must hold a trust mark
	// for (§2.4 step 6).
	Rulebook int
	// Name is the operator's name in fi, sv and en in its entity
	// configuration's metadata; a missing language falls back to
	// OMADATA_OPERATOR_NAME.
	Name omadata.Text
	// SyncInterval is how often the catalogue sync worker fetches the
	// members' catalogues (each only once its mirrored copy expires).
	SyncInterval time.Duration
	// CatalogueMaxAge is how long members may mirror this operator's
	// catalogue before they ask again; 0: 300 s.
	CatalogueMaxAge time.Duration
}

// Enabled reports whether the operator is a member of a network.
func (n *NetworkConfig) Enabled() bool { return n.Anchor != "" }

// defaultNetworkSyncInterval is how often the catalogue sync worker looks
// for expired mirrors; a catalogue's own max-age is 300 s (§7).
const defaultNetworkSyncInterval = time.Minute

// networkSettings are the OMADATA_NETWORK_* keys.
func networkSettings() []setting {
	name := func(lang string) setting {
		return setting{"OMADATA_NETWORK_NAME_" + strings.ToUpper(lang), "", "", func(c *Config, v string) error {
			if strings.TrimSpace(v) == "" {
				return errors.New("must not be empty")
			} else if err := plainText(v, 200); err != nil {
				return err
			}
			if c.Network.Name == nil {
				c.Network.Name = omadata.Text{}
			}
			c.Network.Name[lang] = v
			return nil
		}}
	}
	return []setting{
		{"OMADATA_NETWORK_ANCHOR", "", "", func(c *Config, v string) error {
			if err := checkEntityID(v); err != nil {
				return err
			}
			c.Network.Anchor = v
			return nil
		}},
		{"OMADATA_NETWORK_ANCHOR_JWKS", "", "", func(c *Config, v string) error {
			ks, err := parseAnchorJWKS(v)
			if err != nil {
				return err
			}
			c.Network.AnchorKeys = ks
			return nil
		}},
		{"OMADATA_NETWORK_RULEBOOK", "", "", func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 1_000_000 {
				return fmt.Errorf("%q is not a rulebook version from 1 to 1000000", v)
			}
			c.Network.Rulebook = n
			return nil
		}},
		name("fi"),
		name("sv"),
		name("en"),
		{"OMADATA_NETWORK_SYNC_INTERVAL", "", "", func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < time.Second || d > time.Hour {
				return fmt.Errorf("%q is not a duration from 1s to 1h, such as 1m", v)
			}
			c.Network.SyncInterval = d
			return nil
		}},
		{"OMADATA_NETWORK_CATALOGUE_MAX_AGE", "", "", func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < time.Second || d > network.MaxCatalogueAge || d%time.Second != 0 {
				return fmt.Errorf("%q is not a whole number of seconds from 1s to 300s, such as 5m", v)
			}
			c.Network.CatalogueMaxAge = d
			return nil
		}},
	}
}

// validateNetwork checks the network settings as a whole: an anchor needs
// its keys and the rulebook version, and neither means anything without
// an anchor.
func (c *Config) validateNetwork() error {
	n := &c.Network
	if !n.Enabled() {
		switch {
		case len(n.AnchorKeys.Keys) > 0:
			return errors.New("OMADATA_NETWORK_ANCHOR_JWKS: needs OMADATA_NETWORK_ANCHOR")
		case n.Rulebook != 0:
			return errors.New("OMADATA_NETWORK_RULEBOOK: needs OMADATA_NETWORK_ANCHOR")
		case len(n.Name) > 0:
			return errors.New("OMADATA_NETWORK_NAME_FI, _SV, _EN: need OMADATA_NETWORK_ANCHOR")
		}
		return nil
	}
	switch {
	case checkEntityID(n.Anchor) != nil:
		return fmt.Errorf("OMADATA_NETWORK_ANCHOR: %w", checkEntityID(n.Anchor))
	case len(n.AnchorKeys.Keys) == 0:
		return errors.New("OMADATA_NETWORK_ANCHOR_JWKS: required with OMADATA_NETWORK_ANCHOR: the trust anchor's federation keys, a JWK set inline or in a file")
	case n.Rulebook < 1:
		return errors.New("OMADATA_NETWORK_RULEBOOK: required with OMADATA_NETWORK_ANCHOR: the rulebook version the network's trust marks name")
	case n.SyncInterval < 0:
		return errors.New("OMADATA_NETWORK_SYNC_INTERVAL: must not be negative")
	}
	return nil
}

// networkName is the operator's name in the network's three languages.
func (c *Config) networkName() omadata.Text {
	t := omadata.Text{}
	for _, l := range omadata.Languages {
		if t[l] = c.Network.Name[l]; t[l] == "" {
			t[l] = c.OperatorName
		}
	}
	return t
}

// checkEntityID accepts an entity identifier as docs/network.md §1
// defines it, with federation.ValidEntityID (https; http only on
// 127.0.0.1 or [::1]; no query, fragment, user or trailing slash).
func checkEntityID(v string) error {
	if err := federation.ValidEntityID("entity_id", v); err != nil {
		return fmt.Errorf("%q is not an entity identifier: an https URL (http only on 127.0.0.1 or [::1]) without query, fragment or trailing slash", v)
	}
	return nil
}

// parseAnchorJWKS reads the trust anchor's pinned keys: a JWK set inline
// (the value starts with "{") or in the file the value names, such as the
// output of "omadata network anchor keys". federation.ParseJWKS checks it
// (docs/network.md §1: Ed25519 public signing keys, kid the thumbprint).
func parseAnchorJWKS(v string) (jose.JSONWebKeySet, error) {
	buf := []byte(v)
	if !strings.HasPrefix(strings.TrimSpace(v), "{") {
		var err error
		if buf, err = os.ReadFile(v); err != nil {
			return jose.JSONWebKeySet{}, fmt.Errorf("cannot read the JWK set file: %w", err)
		}
	}
	ks, err := federation.ParseJWKS(buf)
	if err != nil {
		return jose.JSONWebKeySet{}, err
	}
	return *ks, nil
}
