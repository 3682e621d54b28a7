// SPDX-License-Identifier: Apache-2.0

package network

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"time"
)

// MaxAnswer is the largest answer a Client reads (network.md §7): a
// catalogue of the counts ImportPeerCatalogue allows fits well within it.
const MaxAnswer = 4 << 20

// noRedirects is the default HTTP client: an answer comes from the URL
// called, never from where a redirect points.
var noRedirects = &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// Client calls other operators: it signs each call with this operator's
// federation key and verifies each answer with the callee's keys.
type Client struct {
	OperatorID string             // this operator, the caller
	KeyID      string             // the kid of Key
	Key        ed25519.PrivateKey // this operator's federation key
	Keys       Keys               // the callees' keys, from their resolved chains
	HTTP       *http.Client       // nil: a client that follows no redirect
	Now        func() time.Time   // nil: time.Now
}

// Response is a callee's answer: its status and header and, for a 2xx
// answer other than 204 and 304, the verified signed answer.
type Response struct {
	Status int
	Header http.Header
	Answer *Answer
}

// Do sends body (JSON; none if nil) to url of the operator peer with
// method, signed, and returns the verified answer. A refusal is a
// *Refusal with the callee's reason, status and detail; an answer that
// does not check is an *AnswerError.
func (c *Client) Do(ctx context.Context, peer, method, url string, body []byte) (*Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return c.Send(req, peer, body)
}

// Send is Do for a request the caller made, with headers of its own
// (If-None-Match for a catalogue).
func (c *Client) Send(req *http.Request, peer string, body []byte) (*Response, error) {
	if c.OperatorID == "" || len(c.Key) != ed25519.PrivateKeySize || c.Keys == nil {
		return nil, errors.New("network: the Client needs its operator ID, key and Keys")
	}
	now := time.Now()
	if c.Now != nil {
		now = c.Now()
	}
	nonce, err := sign(req, body, c.OperatorID, c.KeyID, c.Key, now)
	if err != nil {
		return nil, fmt.Errorf("network: sign the call: %w", err)
	}
	hc := c.HTTP
	if hc == nil {
		hc = noRedirects
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxAnswer+1))
	if err != nil {
		return nil, fmt.Errorf("network: read the answer of %s: %w", peer, err)
	} else if len(data) > MaxAnswer {
		return nil, fmt.Errorf("network: the answer of %s is over %d bytes", peer, MaxAnswer)
	}
	out := &Response{Status: resp.StatusCode, Header: resp.Header}
	switch {
	case resp.StatusCode == http.StatusNoContent || resp.StatusCode == http.StatusNotModified:
		return out, nil
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		var p Problem
		if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == problemContentType && json.Unmarshal(data, &p) == nil && p.Reason != "" {
			return out, &Refusal{Reason: p.Reason, Status: resp.StatusCode, Detail: p.Detail, Field: p.Field, claimed: peer}
		}
		return out, fmt.Errorf("network: %s answered %d", peer, resp.StatusCode)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != AnswerContentType {
		return out, &AnswerError{"jws"}
	}
	keys, err := c.Keys.CallerKeys(req.Context(), peer)
	if err != nil {
		return out, fmt.Errorf("network: the keys of %s: %w", peer, err)
	}
	a, err := VerifyAnswer(string(bytes.TrimSpace(data)), keys, peer, c.OperatorID, nonce, now)
	if err != nil {
		return out, err
	}
	out.Answer = a
	return out, nil
}
