// SPDX-License-Identifier: Apache-2.0

package witness

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/omadata/omadata"
)

// ConsistencyProof fetches the consistency proof from old to new from an
// omadata log's public API, logEndpoint being its log_endpoint
// ("https://helsinki.example/api/v1/public/log"): "GET
// {logEndpoint}/proofs/consistency?old=&new=" (docs/transparency-log.md,
// API). For Handler.FetchProof and CheckSeen (docs/witnessing.md §4). The
// proof is not checked here: whoever uses it checks it against two signed
// checkpoints. Answers are read up to 64 KiB; redirects are not followed.
func (c *Client) ConsistencyProof(ctx context.Context, logEndpoint string, old, new int64) (tlog.TreeProof, error) {
	u := strings.TrimSuffix(logEndpoint, "/") + "/proofs/consistency?" + url.Values{
		"old": {strconv.FormatInt(old, 10)}, "new": {strconv.FormatInt(new, 10)},
	}.Encode()
	hr, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("consistency proof request: %w", err)
	}
	hr.Header.Set("Accept", "application/json")
	resp, err := c.httpClient().Do(hr)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerSize+1))
	if err != nil {
		return nil, fmt.Errorf("consistency proof: %w", err)
	} else if len(body) > maxAnswerSize {
		return nil, fmt.Errorf("consistency proof: larger than %d bytes", maxAnswerSize)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &StatusError{Status: resp.StatusCode, Body: firstLine(body)}
	}
	var p omadata.ConsistencyProof
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, fmt.Errorf("consistency proof: %w", err)
	}
	if p.Old != old || p.New != new || len(p.Hashes) > MaxProofLines {
		return nil, fmt.Errorf("consistency proof: got %d to %d with %d hashes, asked %d to %d", p.Old, p.New, len(p.Hashes), old, new)
	}
	proof := make(tlog.TreeProof, 0, len(p.Hashes))
	for _, s := range p.Hashes {
		h, err := parseHash(s)
		if err != nil {
			return nil, fmt.Errorf("consistency proof: %w", err)
		}
		proof = append(proof, h)
	}
	return proof, nil
}
