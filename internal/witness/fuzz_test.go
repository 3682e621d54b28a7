// SPDX-License-Identifier: Apache-2.0

package witness_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/omadata/omadata/internal/witness"
)

// FuzzParseCheckpoint: ParseCheckpoint never panics, and what it parses
// has the lines of tlog-checkpoint.
func FuzzParseCheckpoint(f *testing.F) {
	f.Add(cpText)
	f.Add(cpTextExt)
	f.Add("o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n")
	f.Fuzz(func(t *testing.T, text string) {
		cp, err := witness.ParseCheckpoint(text)
		if err != nil {
			return
		}
		want := fmt.Sprintf("%s\n%d\n%s\n", cp.Origin, cp.Size, cp.RootHash())
		if !strings.HasPrefix(text, want) || cp.Text != text || cp.Size < 0 {
			t.Fatalf("ParseCheckpoint(%q) = %+v", text, cp)
		}
	})
}

// FuzzParsePolicy: ParsePolicy never panics, and what it parses marshals
// to a policy that parses to the same.
func FuzzParsePolicy(f *testing.F) {
	l := testLog(f, "city.example/log", 1)
	w := testCosigners(f, 3)
	f.Add(fmt.Sprintf("log %s u\nwitness a %s\nwitness b %s\n# c\ngroup g any a b\nwitness c %s\ngroup h all g c\nquorum h\n", l.VerifierKey, w[0].VerifierKey(), w[1].VerifierKey(), w[2].VerifierKey()))
	f.Add(fmt.Sprintf("log %s\nquorum none\n", l.VerifierKey))
	f.Fuzz(func(t *testing.T, file string) {
		p, err := witness.ParsePolicy([]byte(file))
		if err != nil {
			return
		}
		out := p.Marshal()
		again, err := witness.ParsePolicy(out)
		if err != nil {
			t.Fatalf("Marshal made a policy that does not parse: %v\n%s", err, out)
		}
		if string(again.Marshal()) != string(out) {
			t.Fatalf("Marshal is not stable:\n%s\n%s", out, again.Marshal())
		}
		if k, n := p.QuorumSize(); k < 0 || k > n && p.Quorum != witness.QuorumNone {
			t.Fatalf("QuorumSize %d of %d", k, n)
		}
	})
}
