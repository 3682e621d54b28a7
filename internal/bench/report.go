// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Figure is one measured figure beside the baseline measured in the same
// run, and the target it is held to.
type Figure struct {
	Workload string  // "W1 decisions over HTTP"
	Measure  string  // what Value is: "sustained rate at p99 ≤ 5 ms"
	Value    float64 // operations per second, or a count
	Unit     string  // "/s", "", "ms"…
	P50, P99 time.Duration

	Baseline     float64 // 0: none
	BaselineName string
	P99Baseline  time.Duration

	Target string // "" when the issue sets none
	Met    int    // 1 met, -1 missed, 0 no target
	Note   string
}

// Ratio returns Value over Baseline, or 0 without a baseline.
func (f Figure) Ratio() float64 {
	if f.Baseline == 0 {
		return 0
	}
	return f.Value / f.Baseline
}

// Report is what Run measured on one dataset.
type Report struct {
	Engine     string
	Database   string // URL without password
	Durability string // the engine's sync settings as the store's connections see them
	Records    int
	Dataset    string // rows and layout
	SetupTime  time.Duration
	LoadTime   time.Duration
	Startup    time.Duration

	Figures  []Figure
	Counters []string // what each measured window did, labelled
	Sections []Section
	Memory   []string // labelled measurements
	Probes   []string // every probe, raw
	Notes    []string
}

// Section is a titled block of Markdown after the figures.
type Section struct{ Title, Body string }

func (r *Report) add(f Figure) { r.Figures = append(r.Figures, f) }

// counted keeps what a measured window did.
func (r *Report) counted(window, what string) {
	r.Counters = append(r.Counters, window+": "+what)
}

func (r *Report) probe(format string, args ...any) {
	r.Probes = append(r.Probes, fmt.Sprintf(format, args...))
}

// Markdown writes the report as a Markdown section.
func (r *Report) Markdown(w io.Writer) {
	fmt.Fprintf(w, "### %s, %s consent records\n\n", r.Engine, sizeName(r.Records))
	fmt.Fprintf(w, "- Database: `%s`; %s\n", r.Database, r.Durability)
	fmt.Fprintf(w, "- Dataset: %s\n", r.Dataset)
	if r.SetupTime > 0 {
		fmt.Fprintf(w, "- Catalogue through the store in %s; bulk load in %s\n", dur(r.SetupTime), dur(r.LoadTime))
	} else {
		fmt.Fprintf(w, "- Not loaded: kept by an earlier run, whose bulk load took %s\n", dur(r.LoadTime))
	}
	if r.Startup > 0 {
		fmt.Fprintf(w, "- Start-up (open, migrate, keys, web.New, listen, first /healthz): %s\n", dur(r.Startup))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| Workload | Measure | Result | p50 | p99 | Baseline, same run | Ratio | Target | Met |")
	fmt.Fprintln(w, "|---|---|--:|--:|--:|---|--:|---|---|")
	for _, f := range r.Figures {
		value := rate(f.Value) + f.Unit
		if f.Unit != "/s" {
			value = fmt.Sprintf("%.0f%s", f.Value, f.Unit)
		}
		base, ratio := "—", "—"
		if f.Baseline > 0 {
			base = fmt.Sprintf("%s/s %s", rate(f.Baseline), f.BaselineName)
			if f.P99Baseline > 0 {
				base += fmt.Sprintf(" (p99 %s)", dur(f.P99Baseline))
			}
			ratio = fmt.Sprintf("%.2f", f.Ratio())
		}
		met := map[int]string{1: "met", -1: "**missed**", 0: "—"}[f.Met]
		measure := f.Measure
		if f.Note != "" {
			measure += " (" + f.Note + ")"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", f.Workload, measure, value, lat(f.P50), lat(f.P99), base, ratio,
			orDash(f.Target), met)
	}
	if len(r.Memory) > 0 {
		fmt.Fprintf(w, "\nMemory: %s.\n", strings.Join(r.Memory, "; "))
	}
	if len(r.Counters) > 0 {
		fmt.Fprintf(w, "\nCounters (read syscalls include the sockets'; storage bytes are those that missed the OS page cache; SQLite's own page-cache misses are not read):\n\n")
		for _, c := range r.Counters {
			fmt.Fprintf(w, "- %s\n", c)
		}
	}
	for _, s := range r.Sections {
		fmt.Fprintf(w, "\n#### %s\n\n%s", s.Title, s.Body)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "\n- %s", n)
	}
	if len(r.Notes) > 0 {
		fmt.Fprintln(w)
	}
	if len(r.Probes) > 0 {
		fmt.Fprintf(w, "\n<details><summary>Every probe</summary>\n\n```\n%s\n```\n</details>\n", strings.Join(r.Probes, "\n"))
	}
	fmt.Fprintln(w)
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// sizeName writes 10000 as 1e4 and other numbers as they are.
func sizeName(n int) string {
	for e, p := 1, 10; e <= 9; e, p = e+1, p*10 {
		if n == p {
			return fmt.Sprintf("1e%d", e)
		}
	}
	return fmt.Sprint(n)
}

func rate(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2f M", v/1e6)
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

func lat(d time.Duration) string {
	if d == 0 {
		return "—"
	}
	return dur(d)
}

// dur rounds a duration for reading: µs under a millisecond, else to 0.01 ms
// or to the second.
func dur(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	case d < time.Minute:
		return d.Round(10 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

func met(ok bool) int {
	if ok {
		return 1
	}
	return -1
}
