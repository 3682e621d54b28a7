// SPDX-License-Identifier: Apache-2.0

package skips_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/omadata/omadata/internal/skips"
	"github.com/omadata/omadata/internal/store/storetest"
	"github.com/omadata/omadata/internal/web/webui/browsertest"
)

func TestMain(m *testing.M) { os.Exit(skips.Main(m)) }

// TestHelperSkip is run by TestLine in a child process: it skips as the
// store suite and the browser tests do.
func TestHelperSkip(t *testing.T) {
	if os.Getenv("SKIPS_HELPER") == "" {
		t.Skip("run by TestLine")
	}
	t.Run("Postgres1", func(t *testing.T) { storetest.PostgresDSN(t) })
	t.Run("Postgres2", func(t *testing.T) { storetest.PostgresDSN(t) })
	t.Run("Browser", func(t *testing.T) { browsertest.Require(t) })
}

// TestLine: a package run prints one line for all its skips, with how to
// run them; under OMADATA_TEST_REQUIRE the same tests fail and no line is
// printed.
func TestLine(t *testing.T) {
	const (
		pg      = "2 PostgreSQL tests skipped: set OMADATA_TEST_POSTGRES_DSN (see docs/development.md)"
		browser = "1 browser test skipped: install Chromium and run npm ci --prefix tools/browser (see docs/development.md)"
	)
	for _, tc := range []struct {
		name, require string
		fail          bool
		line          string // "" for none
	}{
		{"Skipped", "", false, pg + "; " + browser},
		{"RequirePostgres", "postgres", true, browser},
		{"RequireBoth", "postgres,chromium", true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperSkip$", "-test.v")
			var env []string
			for _, kv := range os.Environ() {
				if !strings.HasPrefix(kv, "OMADATA_") && !strings.HasPrefix(kv, "PATH=") {
					env = append(env, kv)
				}
			}
			// No PATH: no Chromium is found.
			cmd.Env = append(env, "SKIPS_HELPER=1", "OMADATA_TEST_REQUIRE="+tc.require)
			out, err := cmd.CombinedOutput()
			if (err != nil) != tc.fail {
				t.Fatalf("got %v, want failed %t:\n%s", err, tc.fail, out)
			}
			lines := strings.Count(string(out), "omadata: internal/skips:")
			if want := "\nomadata: internal/skips: " + tc.line + "\n"; tc.line != "" && (lines != 1 || !strings.Contains(string(out), want)) {
				t.Errorf("got\n%s\nwant the line once:%s", out, want)
			} else if tc.line == "" && lines != 0 {
				t.Errorf("got\n%s\nwant no line", out)
			}
			if tc.fail && !strings.Contains(string(out), "OMADATA_TEST_REQUIRE=postgres but") {
				t.Errorf("got\n%s\nwant the failure to name OMADATA_TEST_REQUIRE", out)
			}
		})
	}
}

// TestRequired: OMADATA_TEST_REQUIRE names kinds by their key, whole.
func TestRequired(t *testing.T) {
	for env, want := range map[string][3]bool{
		"":                       {false, false, false},
		"postgres,chromium,oidc": {true, true, true},
		" oidc , postgres":       {true, false, true},
		"postgresql,chrome":      {false, false, false},
	} {
		t.Setenv("OMADATA_TEST_REQUIRE", env)
		got := [3]bool{skips.Required(skips.Postgres), skips.Required(skips.Browser), skips.Required(skips.OIDC)}
		if got != want {
			t.Errorf("OMADATA_TEST_REQUIRE=%q: postgres, chromium, oidc required = %v, want %v", env, got, want)
		}
	}
}
