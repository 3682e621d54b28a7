// SPDX-License-Identifier: Apache-2.0

package web_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestSlowBody: a body trickled slower than the server's read timeout gets
// 408 in the error shape, one log line at warn (no error), and a count in
// /metrics.
func TestSlowBody(t *testing.T) {
	e := newEnv(t, nil)
	hs := httptest.NewUnstartedServer(e.srv)
	hs.Config.ReadTimeout = 300 * time.Millisecond
	hs.Start()
	t.Cleanup(hs.Close)
	before := e.logs.String()

	conn, err := net.Dial("tcp", hs.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"name":{"fi":"Hidas"}}`
	fmt.Fprintf(conn, "POST /api/v1/purposes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", e.admin, len(body))
	// One byte at a time, each after the deadline would have passed for
	// the whole body; stop writing once the server answers.
	go func() {
		for i := range body {
			if _, err := conn.Write([]byte{body[i]}); err != nil {
				return
			}
			time.Sleep(150 * time.Millisecond)
		}
	}()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	buf, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusRequestTimeout {
		t.Fatalf("got %d %s, want 408", res.StatusCode, buf)
	}
	var got struct {
		Error struct{ Code, Field, Message string }
	}
	if err := json.Unmarshal(buf, &got); err != nil || got.Error.Code != "timeout" || got.Error.Field != "body" {
		t.Fatalf("got %s, want the error shape with code timeout on body", buf)
	}

	logs := strings.TrimPrefix(e.logs.String(), before)
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(logs), "\n") {
		if strings.Contains(l, "/api/v1/purposes") || strings.Contains(l, `"level":"ERROR"`) {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 || !strings.Contains(lines[0], `"level":"WARN"`) || !strings.Contains(lines[0], `"status":408`) {
		t.Errorf("got log lines\n%s\nwant one at WARN with status 408", strings.Join(lines, "\n"))
	}
	r := e.do(t, "GET", "/metrics", "", nil)
	for _, want := range []string{
		"omadata_http_read_timeouts_total 1",
		`omadata_http_requests_total{code="408",method="POST",route="/api/v1/purposes"} 1`,
	} {
		if !strings.Contains(string(r.body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
