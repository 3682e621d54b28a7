// SPDX-License-Identifier: Apache-2.0

package peer

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/omadata/omadata/internal/federation"
)

// Members lists the network's active members: the entity IDs of the
// trust anchor's list endpoint (OIDF §8.2; docs/network.md §2.2), found
// in the anchor's entity configuration verified with its pinned keys.
// Each member is still resolved before anything is believed from it.
type Members struct {
	AnchorID   string
	AnchorKeys *jose.JSONWebKeySet
	Client     *http.Client // nil: http.DefaultClient with a 10 s timeout per call
	// Anchor returns the anchor's verified configuration from a cache;
	// nil: fetched for each List.
	Anchor func(ctx context.Context) (*federation.Statement, error)
}

// List returns the members' entity IDs.
func (m *Members) List(ctx context.Context) ([]string, error) {
	c := m.Client
	if c == nil {
		c = http.DefaultClient
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var st *federation.Statement
	var err error
	if m.Anchor != nil {
		st, err = m.Anchor(ctx)
	} else {
		st, err = federation.FetchAnchor(ctx, c, m.AnchorID, m.AnchorKeys, time.Now())
	}
	if err != nil {
		return nil, err
	}
	var fe struct {
		List string `json:"federation_list_endpoint"`
	}
	if raw, ok := st.Metadata[federation.MetadataFederation]; !ok || json.Unmarshal(raw, &fe) != nil || fe.List == "" {
		return nil, fmt.Errorf("the anchor's configuration has no federation_list_endpoint")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fe.List, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	res, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("list members: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("list members: %s", res.Status)
	}
	var ids []string
	if err := json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(&ids); err != nil {
		return nil, fmt.Errorf("list members: %w", err)
	}
	for _, id := range ids {
		if err := federation.ValidEntityID("members", id); err != nil {
			return nil, fmt.Errorf("list members: %w", err)
		}
	}
	return ids, nil
}
