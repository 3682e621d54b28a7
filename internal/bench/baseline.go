// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/omadata/omadata/internal/store"
)

// BareHTTP serves a bare net/http handler that answers every request with a
// small JSON document: the ceiling any HTTP workload is measured against.
// It returns the server's base URL and a function that stops it.
func BareHTTP() (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	body := []byte(`{"decision":"permit","evidence_id":"dec_00000000000000000000000000"}`)
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			w.Write(body)
		}),
		ReadHeaderTimeout: 5 * time.Second,
	}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() { srv.Close() }, nil
}

// Client is an HTTP client tuned for load generation on loopback: enough
// idle connections that keep-alive holds under concurrency.
func Client() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns, t.MaxIdleConnsPerHost = 1024, 1024
	return &http.Client{Transport: t, Timeout: 30 * time.Second}
}

// PostOp returns an Op that POSTs body (made per operation by bodyFor) to
// url with the given headers and fails on any status but want.
func PostOp(c *http.Client, url string, headers map[string]string, want int, bodyFor func(i int) []byte) Op {
	return func(ctx context.Context, i int) error {
		req, err := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(bodyFor(i)))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		resp, err := c.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	}
}

// BareInsert returns an Op that inserts one small row in its own write
// transaction on db and returns after the commit: the ceiling of any write
// workload on the same engine, with the same durability settings.
func BareInsert(ctx context.Context, db *store.DB) (Op, error) {
	if err := db.Exec(ctx, `CREATE TABLE IF NOT EXISTS bench_baseline (id TEXT PRIMARY KEY, payload TEXT NOT NULL, created_at TEXT NOT NULL)`); err != nil {
		return nil, err
	}
	run := fmt.Sprintf("%d", time.Now().UnixNano())
	return func(ctx context.Context, i int) error {
		return db.Exec(ctx, `INSERT INTO bench_baseline (id, payload, created_at) VALUES (?, ?, ?)`,
			fmt.Sprintf("%s-%d", run, i), `{"status":"given"}`, time.Now().UTC().Format(time.RFC3339Nano))
	}, nil
}
