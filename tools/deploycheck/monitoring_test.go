// SPDX-License-Identifier: Apache-2.0

package deploycheck

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

const (
	rulesPath     = "deploy/prometheus/alerts.yml"
	rulesTestPath = "deploy/prometheus/alerts_test.yml"
	dashboardPath = "deploy/grafana/omadata.json"
	runbookPath   = "docs/operations.md"
)

// notOnMetrics are the series a rule or a panel may use that a running
// server does not show on /metrics at start-up, each with the reason. The
// test still finds each one's registration in the Go source, so a renamed
// metric fails it.
var notOnMetrics = map[string]string{
	"up":                          "made by Prometheus for each scrape, not by the server",
	"omadata_witness_forks_total": "counted by the forked log's origin, so it has no series until the witness catches a fork",
}

type rules struct {
	Groups []struct {
		Name  string `json:"name"`
		Rules []struct {
			Alert       string            `json:"alert"`
			Record      string            `json:"record"`
			Expr        string            `json:"expr"`
			For         string            `json:"for"`
			Labels      map[string]string `json:"labels"`
			Annotations map[string]string `json:"annotations"`
		} `json:"rules"`
	} `json:"groups"`
}

type dashboard struct {
	UID    string  `json:"uid"`
	Title  string  `json:"title"`
	Panels []panel `json:"panels"`
}

type panel struct {
	ID      int    `json:"id"`
	Type    string `json:"type"`
	Title   string `json:"title"`
	Targets []struct {
		Expr  string `json:"expr"`
		RefID string `json:"refId"`
	} `json:"targets"`
	Panels []panel `json:"panels"`
}

func readRules(t *testing.T) *rules {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repo, rulesPath))
	if err != nil {
		t.Fatal(err)
	}
	var r rules
	if err := yaml.UnmarshalStrict(b, &r); err != nil {
		t.Fatalf("%s: %v", rulesPath, err)
	}
	return &r
}

// dashboardExprs returns every panel's queries, by panel title.
func dashboardExprs(t *testing.T) map[string][]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repo, dashboardPath))
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v", dashboardPath, err)
	}
	if d.UID == "" || d.Title == "" {
		t.Errorf("%s: no uid or title", dashboardPath)
	}
	out := map[string][]string{}
	ids := map[int]bool{}
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			if ids[p.ID] {
				t.Errorf("%s: panel id %d twice", dashboardPath, p.ID)
			}
			ids[p.ID] = true
			if p.Type != "row" && len(p.Targets) == 0 {
				t.Errorf("%s: panel %q has no query", dashboardPath, p.Title)
			}
			for _, tg := range p.Targets {
				out[p.Title] = append(out[p.Title], tg.Expr)
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	return out
}

// metricName finds the series names in a PromQL expression: identifiers
// that are not followed by "(" (functions), not label names inside
// braces or by/on/without lists, not keywords, not strings.
var (
	promString   = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	promBraces   = regexp.MustCompile(`\{[^}]*\}`)
	promGrouping = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	promRange    = regexp.MustCompile(`\[[^\]]*\]`)
	promIdent    = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)
	promKeywords = []string{"and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right",
		"offset", "bool", "le", "inf", "nan", "Inf", "NaN"}
)

func metricNames(expr string) []string {
	e := promString.ReplaceAllString(expr, `""`)
	e = promBraces.ReplaceAllString(e, "")
	e = promGrouping.ReplaceAllString(e, "")
	e = promRange.ReplaceAllString(e, "")
	var out []string
	for _, loc := range promIdent.FindAllStringIndex(e, -1) {
		name := e[loc[0]:loc[1]]
		rest := strings.TrimLeft(e[loc[1]:], " \t\n")
		if strings.HasPrefix(rest, "(") || slices.Contains(promKeywords, name) {
			continue
		}
		if loc[0] > 0 && (e[loc[0]-1] == '.' || e[loc[0]-1] >= '0' && e[loc[0]-1] <= '9') {
			continue // part of a number such as 1e3
		}
		out = append(out, name)
	}
	return out
}

func TestMetricNames(t *testing.T) {
	got := metricNames(`histogram_quantile(0.99, sum by (le) (rate(omadata_x_bucket{route=~"/a(/b)?", code="5xx"}[5m]))) > 0.05
		and on () max(omadata_y) - on() group_right max by (witness) (omadata_z) > 1e3`)
	want := []string{"omadata_x_bucket", "omadata_y", "omadata_z"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestMonitoringMetrics: every series an alerting rule or a dashboard
// panel uses is on a running server's /metrics (the demo network's
// Helsinki, with witnesses, webhooks and the network on).
func TestMonitoringMetrics(t *testing.T) {
	uses := map[string][]string{} // metric name: where
	for _, g := range readRules(t).Groups {
		for _, r := range g.Rules {
			for _, n := range metricNames(r.Expr) {
				uses[n] = append(uses[n], "alert "+r.Alert)
			}
		}
	}
	for title, exprs := range dashboardExprs(t) {
		for _, e := range exprs {
			for _, n := range metricNames(e) {
				uses[n] = append(uses[n], "panel "+title)
			}
		}
	}
	if len(uses) < 15 {
		t.Fatalf("only %d metrics used: %v", len(uses), uses)
	}
	base := server(t)
	// One call a peer would make, unsigned: refused and counted.
	if code, _ := get(t, base+"/network/v1/catalogue"); code < 400 {
		t.Fatalf("an unsigned network call answered %d", code)
	}
	var missing []string
	deadline := time.Now().Add(90 * time.Second)
	for {
		exposed := exposedNames(t, base)
		missing = missing[:0]
		for n := range uses {
			if _, ok := notOnMetrics[n]; !ok && !exposed[n] {
				missing = append(missing, n)
			}
		}
		// The witnesses' first round and the first catalogue sync take a
		// few seconds after start-up.
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(2 * time.Second)
	}
	sort.Strings(missing)
	for _, n := range missing {
		t.Errorf("%s is used by %s but not on /metrics", n, strings.Join(uses[n], ", "))
	}
	for n, why := range notOnMetrics {
		if n != "up" && !registered(t, n) {
			t.Errorf("%s (%s) is registered nowhere in the Go source", n, why)
		}
	}
}

// exposedNames are the sample names on /metrics.
func exposedNames(t *testing.T, base string) map[string]bool {
	t.Helper()
	code, body := get(t, base+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics answered %d", code)
	}
	names := map[string]bool{}
	for _, line := range strings.Split(body, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if i := strings.IndexAny(line, "{ "); i > 0 {
			names[line[:i]] = true
		}
	}
	return names
}

// registered reports whether the Go source outside tools/ names metric.
func registered(t *testing.T, metric string) bool {
	t.Helper()
	want := []byte(`"` + metric + `"`)
	found := false
	filepath.WalkDir(repo, func(p string, d fs.DirEntry, err error) error {
		if err != nil || found {
			return err
		}
		if d.IsDir() && (d.Name() == "tools" || d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") {
			b, err := os.ReadFile(p)
			if err == nil && bytes.Contains(b, want) {
				found = true
			}
		}
		return nil
	})
	return found
}

// TestAlertRules: each alert has a severity, a summary, a description and
// a runbook link to a heading of docs/operations.md; promtool, when
// installed (Debian's prometheus package; required in CI), checks the
// rules, runs their unit tests, and checks every dashboard query too.
func TestAlertRules(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join(repo, runbookPath))
	if err != nil {
		t.Fatal(err)
	}
	anchors := headingAnchors(string(doc))
	n := 0
	for _, g := range readRules(t).Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			n++
			if r.Labels["severity"] == "" || r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
				t.Errorf("%s: needs a severity, a summary and a description", r.Alert)
			}
			u := r.Annotations["runbook_url"]
			_, anchor, _ := strings.Cut(u, "#")
			if !strings.HasPrefix(u, "https://github.com/omadata/omadata/blob/main/"+runbookPath+"#") || !anchors[anchor] {
				t.Errorf("%s: runbook_url %q is not a heading of %s", r.Alert, u, runbookPath)
			}
		}
	}
	if n < 10 {
		t.Errorf("%d alerts, want those of the issue", n)
	}

	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if strings.Contains(os.Getenv("OMADATA_TEST_REQUIRE"), "promtool") {
			t.Fatal("promtool is missing (apt-get install prometheus)")
		}
		t.Skip("promtool is missing: the rules' PromQL is not checked")
	}
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command(promtool, args...)
		cmd.Dir = repo
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	run("check", "rules", rulesPath)
	run("test", "rules", rulesTestPath)
	// The dashboard's queries, as recording rules, so that promtool parses
	// each one.
	var b strings.Builder
	b.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	i := 0
	for title, exprs := range dashboardExprs(t) {
		for _, e := range exprs {
			i++
			q, _ := json.Marshal(e)
			fmt.Fprintf(&b, "      # %s\n      - record: dashboard:query_%d\n        expr: %s\n", strings.ReplaceAll(title, "\n", " "), i, q)
		}
	}
	f := filepath.Join(t.TempDir(), "dashboard.yml")
	if err := os.WriteFile(f, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(f)
	run("check", "rules", abs)
}

// headingAnchors are the GitHub anchors of a Markdown file's headings.
func headingAnchors(md string) map[string]bool {
	out := map[string]bool{}
	strip := regexp.MustCompile(`[^a-z0-9 _-]`)
	for _, line := range strings.Split(md, "\n") {
		if !strings.HasPrefix(line, "#") {
			continue
		}
		h := strings.ToLower(strings.TrimSpace(strings.TrimLeft(line, "#")))
		h = strip.ReplaceAllString(h, "")
		out[strings.ReplaceAll(h, " ", "-")] = true
	}
	return out
}
