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
}
