// SPDX-License-Identifier: Apache-2.0

package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/omadata/omadata/internal/witness"
)

// testWitnessKey is the cosignature/v1 verifier key of a new witness
// named name.
func testWitnessKey(t *testing.T, name string) string {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	c, err := witness.NewCosigner(name, priv)
	if err != nil {
		t.Fatal(err)
	}
	return c.VerifierKey()
}

func TestConfigWitness(t *testing.T) {
	t.Run("Defaults", func(t *testing.T) {
		c, err := loadConfig(t, nil)
		if err != nil {
			t.Fatal(err)
		}
		if w := c.Witness; w.Interval != 10*time.Second || w.Quorum != -1 || len(w.Outside) != 0 {
			t.Errorf("got %+v, want every 10s, all but one, no outside witness", w)
		}
	})
	k1, k2 := testWitnessKey(t, "witness.example.org"), testWitnessKey(t, "sigsum.example/w1")
	t.Run("Set", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "witnesses")
		writeFile(t, path, "# outside the network\n\nwitness glasklar "+k1+" https://witness.example.org/witness/v1\n"+
			"  witness   sigsum\t"+k2+" http://127.0.0.1:9000/w1  \n")
		c, err := loadConfig(t, map[string]string{"OMADATA_WITNESSES": path, "OMADATA_WITNESS_INTERVAL": "2s", "OMADATA_WITNESS_QUORUM": "1"})
		if err != nil {
			t.Fatal(err)
		}
		w := c.Witness
		if w.Interval != 2*time.Second || w.Quorum != 1 || len(w.Outside) != 2 {
			t.Fatalf("got %+v", w)
		}
		a, b := w.Outside[0], w.Outside[1]
		if a.Name != "witness.example.org" || a.VerifierKey != k1 || a.URL != "https://witness.example.org/witness/v1" ||
			a.Label["fi"] != "glasklar" || a.Label["sv"] != "glasklar" || a.Label["en"] != "glasklar" {
			t.Errorf("first = %+v", a)
		}
		if b.Name != "sigsum.example/w1" || b.URL != "http://127.0.0.1:9000/w1" || b.Label["en"] != "sigsum" {
			t.Errorf("second = %+v", b)
		}
	})

	_, logKey, err := note.GenerateKey(rand.Reader, "log.example.org")
	if err != nil {
		t.Fatal(err)
	}
	file := func(content string) string {
		path := filepath.Join(t.TempDir(), "witnesses")
		writeFile(t, path, content)
		return path
	}
	ok := "witness a " + k1 + " https://a.example/witness/v1\n"
	for _, tc := range []struct {
		name, key, value, want string
	}{
		{"FileMissing", "OMADATA_WITNESSES", "/nonexistent/witnesses", "cannot read the witnesses file"},
		{"NotAWitnessLine", "OMADATA_WITNESSES", file(ok + "quorum a\n"), ":2: \"quorum\": want a line"},
		{"NoURL", "OMADATA_WITNESSES", file("witness a " + k1 + "\n"), ":1: want \"witness {label} {verifier key} {URL}\""},
		{"LogKey", "OMADATA_WITNESSES", file("witness a " + logKey + " https://a.example/witness/v1\n"), ":1: \"log.example.org+"},
		{"BadKey", "OMADATA_WITNESSES", file("witness a nokey https://a.example/witness/v1\n"), "is not a cosignature/v1 verifier key"},
		{"TrailingSlash", "OMADATA_WITNESSES", file("witness a " + k1 + " https://a.example/witness/v1/\n"), "trailing slash"},
		{"NotHTTP", "OMADATA_WITNESSES", file("witness a " + k1 + " ftp://a.example/w\n"), "not an http(s) URL"},
		{"Query", "OMADATA_WITNESSES", file("witness a " + k1 + " https://a.example/w?x=1\n"), "not an http(s) URL"},
		{"LabelTwice", "OMADATA_WITNESSES", file(ok + "witness a " + k2 + " https://b.example/witness/v1\n"), ":2: the label \"a\" is also on line 1"},
		{"WitnessTwice", "OMADATA_WITNESSES", file(ok + "witness b " + k1 + " https://b.example/witness/v1\n"), ":2: the witness \"witness.example.org\" is also on line 1"},
		{"LabelNone", "OMADATA_WITNESSES", file("witness none " + k1 + " https://a.example/witness/v1\n"), "the label \"none\""},
		{"IntervalShort", "OMADATA_WITNESS_INTERVAL", "500ms", "from 1s to 1h"},
		{"IntervalLong", "OMADATA_WITNESS_INTERVAL", "2h", "from 1s to 1h"},
		{"IntervalNoUnit", "OMADATA_WITNESS_INTERVAL", "10", "from 1s to 1h"},
		{"QuorumNegative", "OMADATA_WITNESS_QUORUM", "-1", "from 0 to 32"},
		{"QuorumWord", "OMADATA_WITNESS_QUORUM", "all", "from 0 to 32"},
		{"QuorumLarge", "OMADATA_WITNESS_QUORUM", "33", "from 0 to 32"},
		{"QuorumPlus", "OMADATA_WITNESS_QUORUM", "+2", "from 0 to 32"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadConfig(t, map[string]string{tc.key: tc.value})
			if err == nil {
				t.Fatalf("got nil error, want one containing %q", tc.want)
			} else if !strings.HasPrefix(err.Error(), tc.key+": ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %q, want %s: …%s…", err, tc.key, tc.want)
			}
		})
	}
	t.Run("TooMany", func(t *testing.T) {
		var b strings.Builder
		for i := range maxWitnesses + 1 {
			name := "w" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + ".example"
			b.WriteString("witness " + name + " " + testWitnessKey(t, name) + " https://" + name + "/witness/v1\n")
		}
		_, err := loadConfig(t, map[string]string{"OMADATA_WITNESSES": file(b.String())})
		if err == nil || !strings.Contains(err.Error(), ":33: more than 32 witnesses") {
			t.Errorf("got %v, want the 33rd line refused", err)
		}
	})
}
