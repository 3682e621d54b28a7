// SPDX-License-Identifier: Apache-2.0

// Package client is the Go SDK of the omadata API for sinks and sources,
// and for residents' own apps.
//
// A sink asks release decisions (Decide, DecideBatch), obtains a grant bound
// to its own DPoP key (RequestGrant) and calls a source with it
// (DPoPRequest). A source protects its endpoints with a Verifier, which
// checks the grant, the DPoP proof and the grant's live status at the
// operator, and reports what it released (ReportTransfer).
//
// A resident's own app calls /api/v1/me with tokens from the operator's
// OAuth 2.0 authorization server, bound to its key: DPoPTransport under a
// golang.org/x/oauth2 client adds the DPoP proofs (see docs/apps.md).
//
// Errors from the API and refusals by a Verifier are *Error values.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Client calls an omadata operator's API with a service credential.
type Client struct {
	baseURL string
	token   string
	hc      *http.Client
	now     func() time.Time
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient makes the Client send its requests with hc.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// WithClock makes the Client take the time of its DPoP proofs from now.
func WithClock(now func() time.Time) Option { return func(c *Client) { c.now = now } }

// New returns a Client of the operator at baseURL (such as
// https://omadata.example.fi) that authenticates with a service
// credential's bearer token.
func New(baseURL, token string, opts ...Option) *Client {
	c := &Client{baseURL: strings.TrimRight(baseURL, "/"), token: token, hc: &http.Client{Timeout: 30 * time.Second}, now: time.Now}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Error is an error answer of the API, or a Verifier's refusal of a
// request. Message is safe to show to the caller.
type Error struct {
	Status    int    // the HTTP status the API answered, or that a source should answer
	Code      string // an omadata error code, such as "invalid" or "not_found"
	Message   string
	Field     string // the offending input field, if any
	RequestID string // the operator's request ID, for its logs
	Reason    string // why a grant is no longer active, from its live status
	Cause     error  // for a Verifier's 503: the failure reaching the operator
}

// Unwrap returns the cause of a Verifier's failure to reach the operator.
func (e *Error) Unwrap() error { return e.Cause }

// Error implements the error interface.
func (e *Error) Error() string {
	s := fmt.Sprintf("omadata: %d %s: %s", e.Status, e.Code, e.Message)
	if e.Field != "" {
		s += " (field " + e.Field + ")"
	}
	if e.Reason != "" {
		s += " (reason " + e.Reason + ")"
	}
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s
}

// ErrorCode returns the code of the *Error in err's chain, or "".
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// do sends a JSON request to the API and decodes a 2xx answer into out.
func (c *Client) do(ctx context.Context, method, path string, header http.Header, in, out any) (int, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.baseURL+path, body)
	if err != nil {
		return 0, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 16<<20))
	if err != nil {
		return res.StatusCode, err
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return res.StatusCode, apiError(res.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return res.StatusCode, fmt.Errorf("omadata: decode %s %s answer: %w", method, path, err)
		}
	}
	return res.StatusCode, nil
}

// apiError reads the API's error shape; anything else still becomes an
// *Error with the status.
func apiError(status int, body []byte) error {
	var b struct {
		Error *struct {
			Code      string `json:"code"`
			Message   string `json:"message"`
			Field     string `json:"field"`
			RequestID string `json:"request_id"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &b); err != nil || b.Error == nil {
		return &Error{Status: status, Code: "internal", Message: http.StatusText(status)}
	}
	return &Error{Status: status, Code: b.Error.Code, Message: b.Error.Message, Field: b.Error.Field, RequestID: b.Error.RequestID}
}
