// SPDX-License-Identifier: Apache-2.0

package deploycheck

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

const unitPath = "deploy/systemd/omadata.service"

// TestSystemdUnit checks the unit with systemd's own tools: it verifies
// (with ExecStart pointed at a real omadata binary, since verify wants the
// program to exist), its hardening rates at most 2.0 on
// `systemd-analyze security` (0 is best, 10 worst), and it has the
// settings docs/operations.md promises. Without systemd-analyze (not
// Debian's systemd) it skips, unless OMADATA_TEST_REQUIRE names systemd.
func TestSystemdUnit(t *testing.T) {
	unit, err := os.ReadFile(filepath.Join(repo, unitPath))
	if err != nil {
		t.Fatal(err)
	}
	settings := parseUnit(t, unit)
	want := map[string]string{
		"DynamicUser": "yes", "ProtectSystem": "strict", "StateDirectory": "omadata", "NoNewPrivileges": "yes",
		"PrivateTmp": "yes", "CapabilityBoundingSet": "", "MemoryDenyWriteExecute": "yes", "ProtectHome": "yes",
		"RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX", "SystemCallFilter": "@system-service",
		"EnvironmentFile": "/etc/omadata/secrets.env", "KillSignal": "SIGTERM",
	}
	for k, v := range want {
		if got, ok := settings[k]; !ok || got[0] != v {
			t.Errorf("%s=%q, want %q", k, got, v)
		}
	}
	// The stop timeout covers the server's shutdown bound (25 s).
	if d, err := strconv.Atoi(strings.TrimSuffix(first(settings["TimeoutStopSec"]), "s")); err != nil || d <= 25 {
		t.Errorf("TimeoutStopSec=%q, want more than the 25 s shutdown bound", settings["TimeoutStopSec"])
	}
	exec0 := strings.Fields(first(settings["ExecStart"]))
	if len(exec0) < 2 || exec0[0] != "/usr/local/bin/omadata" || exec0[1] != "serve" {
		t.Errorf("ExecStart=%q, want /usr/local/bin/omadata serve", settings["ExecStart"])
	}

	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if strings.Contains(os.Getenv("OMADATA_TEST_REQUIRE"), "systemd") {
			t.Fatal("systemd-analyze is missing (apt-get install systemd)")
		}
		t.Skip("systemd-analyze is missing: the unit's syntax is not verified")
	}
	bin := serverBinary(t)
	dir := t.TempDir()
	local := filepath.Join(dir, "omadata.service")
	if err := os.WriteFile(local, bytes.ReplaceAll(unit, []byte("/usr/local/bin/omadata"), []byte(bin)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", local).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	out, err = exec.Command(analyze, "security", "--offline=true", "--threshold=20", local).CombinedOutput()
	if err != nil {
		t.Errorf("systemd-analyze security: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`Overall exposure level for omadata.service: ([0-9.]+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("systemd-analyze security said:\n%s", out)
	}
	if level, _ := strconv.ParseFloat(string(m[1]), 64); level > 2.0 {
		t.Errorf("exposure level %.1f, want at most 2.0:\n%s", level, out)
	}
}

// parseUnit reads the [Service] section's settings; a key given twice
// keeps every value in order.
func parseUnit(t *testing.T, b []byte) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "["):
			section = line
		case section == "[Service]":
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				t.Fatalf("not KEY=value: %q", line)
			}
			out[k] = append(out[k], v)
		}
	}
	return out
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}
