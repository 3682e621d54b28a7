// SPDX-License-Identifier: Apache-2.0

//go:build unix

package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	md := strings.Join([]string{
		"# Title",
		"<!-- readme-check: skip: needs a terminal -->",
		"```sh",
		"top",
		"```",
		"```json",
		"{}",
		"```",
		"```sh",
		"echo a",
		"echo b",
		"```",
		"",
		"```",
		"a",
		"b…",
		"```",
		"<!-- readme-check: serve postgres -->",
		"```sh",
		"go run ./cmd/omadata serve",
		"```",
		"",
	}, "\n")
	got, err := parse(md)
	if err != nil {
		t.Fatal(err)
	}
	want := []block{
		{Line: 3, Text: "top\n", Directives: []string{"skip"}, Reason: "needs a terminal"},
		{Line: 9, Text: "echo a\necho b\n", Want: "a\nb…\n", HasWant: true},
		{Line: 19, Text: "go run ./cmd/omadata serve\n", Directives: []string{"serve", "postgres"}},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d blocks %+v, want %d", len(got), got, len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Line != w.Line || g.Text != w.Text || !slices.Equal(g.Directives, w.Directives) || g.Reason != w.Reason || g.Want != w.Want || g.HasWant != w.HasWant {
			t.Errorf("block %d: got %+v, want %+v", i, g, w)
		}
	}

	for name, md := range map[string]string{
		"Unclosed":          "```sh\necho\n",
		"UnknownDirective":  "<!-- readme-check: sometimes -->\n```sh\necho\n```\n",
		"SkipWithoutReason": "<!-- readme-check: skip -->\n```sh\necho\n```\n",
		"MalformedComment":  "<!-- readme-check skip: x -->\n```sh\necho\n```\n",
	} {
		if _, err := parse(md); err == nil {
			t.Errorf("%s: got no error", name)
		}
	}
}

func TestMatch(t *testing.T) {
	for _, tc := range []struct {
		got, want string
		ok        bool
	}{
		{"permit consent\n", "permit consent\n", true},
		{"permit consent  \n", "permit consent\n", true},
		{"deny consent_withdrawn\n", "permit consent\n", false},
		{"oma_adm_x1\n", "oma_adm_…\n", true},
		{"oma_svc_x1\n", "oma_adm_…\n", false},
		{"a\nb\n", "a\n", false},
		{"a.b\n", "a.b\n", true},
		{"axb\n", "a.b\n", false}, // no regular expressions but …
	} {
		if err := match(tc.got, tc.want); (err == nil) != tc.ok {
			t.Errorf("match(%q, %q): got %v, want ok %t", tc.got, tc.want, err, tc.ok)
		}
	}
}

// TestShell: variables last from block to block; a failing command, a
// failing command in a pipeline or substitution, and an HTTP error status
// of curl each fail the block.
func TestShell(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ok" {
			http.Error(w, `{"error":"not found"}`, http.StatusNotFound)
			return
		}
		w.Write([]byte(`{"id":"x1"}`))
	}))
	defer srv.Close()
	for _, tc := range []struct {
		name, block string
		ok          bool
	}{
		{"Pass", "echo hello", true},
		{"Fail", "false; echo not reached", false},
		{"Pipeline", "false | cat", false},
		{"Substitution", "X=$(false | cat)", false},
		{"CurlOK", "ID=$(curl -s " + srv.URL + "/ok | cut -c1-4)", true},
		{"CurlNotFound", "curl -s " + srv.URL + "/missing", false},
		{"CurlNotFoundInPipeline", "X=$(curl -s " + srv.URL + "/missing | cat)", false},
		{"StdinIsNotTheScript", "cat; echo after", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			// A block that read the session's script would hang it.
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			sh, err := startShell(ctx, dir, os.Environ())
			if err != nil {
				t.Fatal(err)
			}
			defer sh.close()
			if _, err := sh.run(0, "V=kept\n", dir); err != nil {
				t.Fatal(err)
			}
			_, err = sh.run(1, tc.block+"\n", dir)
			if (err == nil) != tc.ok {
				t.Fatalf("got %v, want ok %t", err, tc.ok)
			}
			if !tc.ok {
				return
			}
			out, err := sh.run(2, "echo \"$V\"\n", dir)
			if err != nil || string(out) != "kept\n" {
				t.Fatalf("got %q, %v; want the variable of the first block", out, err)
			}
		})
	}
}
