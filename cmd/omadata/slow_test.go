// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeReadTimeout: OMADATA_READ_TIMEOUT reaches the server; a body
// slower than it gets 408.
func TestServeReadTimeout(t *testing.T) {
	dir := t.TempDir()
	base := startServeEnv(t, map[string]string{
		"OMADATA_DATABASE_URL": "sqlite:" + filepath.Join(dir, "omadata.db"),
		"OMADATA_DEMO":         "true",
		"OMADATA_READ_TIMEOUT": "500ms",
	})
	token := readToken(t, filepath.Join(dir, "omadata.demo-token"))
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"code":"slow"}`
	fmt.Fprintf(conn, "POST /api/v1/purposes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{", token, len(body))
	start := time.Now()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(b), `"code":"timeout"`) {
		t.Fatalf("got %d %s, want 408 timeout", res.StatusCode, b)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("answered after %v, want about 500ms", d)
	}
	conn.Close()
	time.Sleep(100 * time.Millisecond)
	res, err = http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ = io.ReadAll(res.Body)
	if want := "omadata_http_read_timeouts_total 1\n"; !strings.Contains(string(b), want) {
		t.Errorf("metrics lack %q, counted once:\n%s", want, grepLines(string(b), "read_timeouts"))
	}
}

// TestServeHeaderTimeout: the header timeout is OMADATA_READ_TIMEOUT when
// that is shorter than 10 s; a request whose headers trickle in past it
// is cut off (Go's server cannot answer JSON to a request it could not
// read: nothing for a header line, its plain-text 400 for a request line)
// and counted in omadata_http_read_timeouts_total with body timeouts.
func TestServeHeaderTimeout(t *testing.T) {
	dir := t.TempDir()
	base := startServeEnv(t, map[string]string{
		"OMADATA_DATABASE_URL": "sqlite:" + filepath.Join(dir, "omadata.db"),
		"OMADATA_DEMO":         "true",
		"OMADATA_READ_TIMEOUT": "500ms",
	})
	trickle := func(start string) (string, time.Duration) {
		t.Helper()
		conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		begin := time.Now()
		io.WriteString(conn, start)
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			for {
				select {
				case <-stop:
					return
				case <-time.After(100 * time.Millisecond):
					if _, err := io.WriteString(conn, "a"); err != nil {
						return
					}
				}
			}
		}()
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		b, _ := io.ReadAll(conn)
		return string(b), time.Since(begin)
	}
	// Requests that arrive in time are not counted, on a kept-alive
	// connection or one the client closes.
	for _, close := range []bool{false, false, true} {
		req, _ := http.NewRequest("GET", base+"/livez", nil)
		req.Close = close
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	got, d := trickle("GET /livez HTTP/1.1\r\nHost: x\r\nX-Slow: ")
	if got != "" || d > 5*time.Second {
		t.Fatalf("trickled header: got %q after %v, want the connection closed after about 500ms", got, d)
	}
	got, d = trickle("GET /livez")
	if !strings.HasPrefix(got, "HTTP/1.1 400 ") || d > 5*time.Second {
		t.Fatalf("trickled request line: got %q after %v, want Go's 400 after about 500ms", got, d)
	}
	// A connection that never sends a byte of its first request times out
	// too.
	silent, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	time.Sleep(time.Second)

	res, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if want := "omadata_http_read_timeouts_total 3\n"; !strings.Contains(string(b), want) {
		t.Errorf("metrics lack %q:\n%s", want, grepLines(string(b), "read_timeouts"))
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
