// SPDX-License-Identifier: Apache-2.0

package witness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// maxAnswerSize bounds a witness's answer (docs/witnessing.md §8).
const maxAnswerSize = 64 << 10

// Client asks witnesses for cosignatures (tlog-witness §add-checkpoint,
// the log's side; docs/witnessing.md §3).
type Client struct {
	HTTP *http.Client // nil: http.DefaultClient's transport; redirects are never followed
}

// ConflictError is a witness's 409: Size is the size of the latest
// checkpoint it cosigned, from the text/x.tlog.size body.
type ConflictError struct {
	Size int64
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("witness: 409, the witness holds size %d", e.Size)
}

// StatusError is a witness's answer other than 200 and a well-formed 409;
// Body is its first line, for the log and the console.
type StatusError struct {
	Status int
	Body   string
}

func (e *StatusError) Error() string {
	if e.Body == "" {
		return fmt.Sprintf("witness: %d", e.Status)
	}
	return fmt.Sprintf("witness: %d: %s", e.Status, e.Body)
}

// AddCheckpoint posts req to "{prefixURL}/add-checkpoint" and returns the
// note signature lines of a 200 answer, each with its "\n", unverified
// (tlog-witness §add-checkpoint). A 409 is a *ConflictError, any other
// answer a *StatusError. Answers are read up to 64 KiB and redirects are
// not followed.
func (c *Client) AddCheckpoint(ctx context.Context, prefixURL string, req *Request) ([]string, error) {
	u := strings.TrimSuffix(prefixURL, "/") + "/add-checkpoint"
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(req.Marshal()))
	if err != nil {
		return nil, fmt.Errorf("witness request: %w", err)
	}
	hr.Header.Set("Content-Type", "text/plain; charset=utf-8")
	resp, err := c.httpClient().Do(hr)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerSize+1))
	if err != nil {
		return nil, fmt.Errorf("witness answer: %w", err)
	}
	if len(body) > maxAnswerSize {
		return nil, fmt.Errorf("witness answer: larger than %d bytes", maxAnswerSize)
	}
	switch resp.StatusCode {
	case http.StatusOK:
		return parseCosignatureLines(body)
	case http.StatusConflict:
		mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
		if mt == "text/x.tlog.size" && bytes.HasSuffix(body, []byte("\n")) {
			if n, err := parseSize(string(body[:len(body)-1])); err == nil {
				return nil, &ConflictError{Size: n}
			}
		}
	}
	return nil, &StatusError{Status: resp.StatusCode, Body: firstLine(body)}
}

// httpClient returns a copy of c.HTTP that follows no redirect.
func (c *Client) httpClient() *http.Client {
	hc := http.Client{}
	if c != nil && c.HTTP != nil {
		hc = *c.HTTP
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &hc
}

// firstLine returns the first line of an answer, at most 200 bytes, for
// the log and the console.
func firstLine(body []byte) string {
	first, _, _ := strings.Cut(string(body), "\n")
	if len(first) > 200 {
		first = first[:200]
	}
	return strings.ToValidUTF8(first, "?")
}

// parseCosignatureLines splits a 200 answer into note signature lines,
// each "— {name} {base64}\n" (tlog-witness §add-checkpoint).
func parseCosignatureLines(body []byte) ([]string, error) {
	if len(body) == 0 || !bytes.HasSuffix(body, []byte("\n")) {
		return nil, errors.New("witness answer: not note signature lines")
	}
	var lines []string
	for _, l := range strings.SplitAfter(string(body[:len(body)-1]), "\n") {
		l = strings.TrimSuffix(l, "\n") + "\n"
		name, b64, ok := strings.Cut(strings.TrimPrefix(l[:len(l)-1], "— "), " ")
		if !strings.HasPrefix(l, "— ") || !ok || !validName(name) || b64 == "" {
			return nil, fmt.Errorf("witness answer: %q is not a note signature line", l)
		}
		lines = append(lines, l)
	}
	return lines, nil
}
