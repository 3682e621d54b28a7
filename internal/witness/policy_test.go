// SPDX-License-Identifier: Apache-2.0

package witness_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/witness"
)

// testCosigners returns n cosigners named w0.example/witness, ….
func testCosigners(t testing.TB, n int) []*witness.Cosigner {
	t.Helper()
	var cs []*witness.Cosigner
	for i := range n {
		c, err := witness.NewCosigner(fmt.Sprintf("w%d.example/witness", i), testKey(byte(100+i)))
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	return cs
}

// cosigned returns the log's latest checkpoint with a line from each of cs.
func cosigned(t testing.TB, note string, cs ...*witness.Cosigner) []byte {
	t.Helper()
	text, _, _ := strings.Cut(note, "\n\n")
	out := note
	for _, c := range cs {
		line, err := c.Cosign(text + "\n")
		if err != nil {
			t.Fatal(err)
		}
		out += line
	}
	return []byte(out)
}

func TestPolicyVerify(t *testing.T) {
	ctx := context.Background()
	l := testLog(t, "city.example/log", 5)
	cp, _ := l.LatestCheckpoint(ctx)
	w := testCosigners(t, 6)
	file := fmt.Sprintf(`# two levels, as in sigsum-go doc/policy.md
log %s https://city.example/api/v1/public/log
witness X1 %s
witness X2 %s https://x2.example/witness/v1
	witness X3 %s
group X 2 X1 X2 X3
witness Y1 %s
witness Y2 %s
group Y any Y1 Y2
group XY all X Y
quorum XY
`, l.VerifierKey, w[0].VerifierKey(), w[1].VerifierKey(), w[2].VerifierKey(), w[3].VerifierKey(), w[4].VerifierKey())
	p, err := witness.ParsePolicy([]byte(file))
	if err != nil {
		t.Fatalf("ParsePolicy: %v", err)
	}
	if len(p.Logs) != 1 || len(p.Witnesses) != 5 || len(p.Groups) != 3 || p.Quorum != "XY" || p.Groups[2].K != -1 || p.Groups[1].K != 1 {
		t.Fatalf("parsed %+v", p)
	}
	again, err := witness.ParsePolicy(p.Marshal())
	if err != nil || string(again.Marshal()) != string(p.Marshal()) {
		t.Fatalf("Marshal does not round-trip: %v\n%s", err, p.Marshal())
	}
	for _, c := range []struct {
		name      string
		cosigners []*witness.Cosigner
		met       bool
		labels    string
	}{
		{"none", nil, false, ""},
		{"X only", []*witness.Cosigner{w[0], w[1], w[2]}, false, "X1 X2 X3"},
		{"Y only", []*witness.Cosigner{w[3], w[4]}, false, "Y1 Y2"},
		{"one X one Y", []*witness.Cosigner{w[0], w[3]}, false, "X1 Y1"},
		{"two X one Y", []*witness.Cosigner{w[3], w[2], w[0]}, true, "X1 X3 Y1"},
		{"one X twice and Y: a witness counts once", []*witness.Cosigner{w[0], w[0], w[4]}, false, "X1 Y2"},
		{"unknown witness ignored", []*witness.Cosigner{w[5], w[0], w[1], w[4]}, true, "X1 X2 Y2"},
	} {
		t.Run(c.name, func(t *testing.T) {
			v, err := p.Verify(cosigned(t, cp.Note, c.cosigners...))
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			var labels []string
			for _, w := range v.Cosigners {
				labels = append(labels, w.Label)
			}
			if v.Met != c.met || strings.Join(labels, " ") != c.labels {
				t.Fatalf("got met %v by %v, want %v by %s", v.Met, labels, c.met, c.labels)
			}
			if v.Checkpoint.Size != 5 || v.Checkpoint.Origin != "city.example/log" {
				t.Fatalf("checkpoint %+v", v.Checkpoint)
			}
		})
	}
	// A bad cosignature line of a known witness fails that witness only.
	good := cosigned(t, cp.Note, w[0], w[2], w[3])
	bad := cosigned(t, strings.Replace(cp.Note, "city.example/log\n5\n", "city.example/log\n6\n", 1), w[1])
	_, badLine, _ := strings.Cut(string(bad), "\n\n")
	badLine = badLine[strings.LastIndex(strings.TrimSuffix(badLine, "\n"), "\n")+1:]
	v, err := p.Verify(append(good, badLine...))
	if err != nil || !v.Met || len(v.Cosigners) != 3 {
		t.Fatalf("with a bad line: %+v, %v", v, err)
	}
	// Another log's checkpoint: an error.
	other := testLog(t, "city.example/log", 5)
	ocp, _ := other.LatestCheckpoint(ctx)
	if _, err := p.Verify(cosigned(t, ocp.Note, w[0], w[1], w[3])); err == nil {
		t.Fatal("Verify accepted a checkpoint no log key signed")
	}
}

func TestPolicyQuorumNoneAndSingle(t *testing.T) {
	ctx := context.Background()
	l := testLog(t, "city.example/log", 3)
	cp, _ := l.LatestCheckpoint(ctx)
	w := testCosigners(t, 2)
	none, err := witness.ParsePolicy([]byte(fmt.Sprintf("log %s\nwitness a %s\nquorum none\n", l.VerifierKey, w[0].VerifierKey())))
	if err != nil {
		t.Fatal(err)
	}
	if v, err := none.Verify([]byte(cp.Note)); err != nil || !v.Met {
		t.Fatalf("quorum none: %+v, %v", v, err)
	}
	single, err := witness.ParsePolicy([]byte(fmt.Sprintf("log %s\nwitness a %s\nwitness b %s\nquorum b\n", l.VerifierKey, w[0].VerifierKey(), w[1].VerifierKey())))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := single.Verify(cosigned(t, cp.Note, w[0])); v.Met {
		t.Fatal("quorum b met by a")
	}
	if v, _ := single.Verify(cosigned(t, cp.Note, w[1])); !v.Met {
		t.Fatal("quorum b not met by b")
	}
}

func TestParsePolicyRefuses(t *testing.T) {
	l := testLog(t, "city.example/log", 1)
	w := testCosigners(t, 3)
	logLine := "log " + l.VerifierKey + "\n"
	wl := func(label string, i int) string { return "witness " + label + " " + w[i].VerifierKey() + "\n" }
	// The key of w[0] under another name: one witness, not two.
	alias, err := witness.NewCosigner("alias.example/witness", testKey(100))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, file, line string }{
		{"no quorum", logLine + wl("a", 0), "no quorum"},
		{"one public key under two names", logLine + wl("a", 0) + "witness b " + alias.VerifierKey() + "\nquorum a\n", "Line 3"},
		{"no log", wl("a", 0) + "quorum a\n", "no log"},
		{"two quorums", logLine + wl("a", 0) + "quorum a\nquorum none\n", "Line 4"},
		{"quorum undefined", logLine + "quorum b\n", "Line 2"},
		{"quorum before its witness", logLine + "quorum a\n" + wl("a", 0), "Line 2"},
		{"duplicate witness label", logLine + wl("a", 0) + wl("a", 1) + "quorum a\n", "Line 3"},
		{"group label of a witness", logLine + wl("a", 0) + "group a 1 a\nquorum a\n", "Line 3"},
		{"duplicate group label", logLine + wl("a", 0) + wl("b", 1) + "group g 1 a\ngroup g 1 b\nquorum g\n", "Line 5"},
		{"duplicate witness key", logLine + wl("a", 0) + wl("b", 0) + "quorum a\n", "Line 3"},
		{"duplicate log key", logLine + logLine + wl("a", 0) + "quorum a\n", "Line 2"},
		{"unknown member", logLine + wl("a", 0) + "group g 1 a b\nquorum g\n", "Line 3"},
		{"cycle: a group of itself", logLine + wl("a", 0) + "group g 1 a g\nquorum g\n", "Line 3"},
		{"member before its group", logLine + wl("a", 0) + "group g 1 h\ngroup h 1 a\nquorum g\n", "Line 3"},
		{"member twice in a group", logLine + wl("a", 0) + "group g 1 a a\nquorum g\n", "Line 3"},
		{"member of two groups", logLine + wl("a", 0) + wl("b", 1) + "group g 1 a\ngroup h 1 a b\nquorum h\n", "Line 5"},
		{"none as member", logLine + wl("a", 0) + "group g 1 a none\nquorum g\n", "Line 3"},
		{"none as label", logLine + wl("none", 0) + "quorum none\n", "Line 2"},
		{"k zero", logLine + wl("a", 0) + "group g 0 a\nquorum g\n", "Line 3"},
		{"k above n", logLine + wl("a", 0) + "group g 2 a\nquorum g\n", "Line 3"},
		{"k with leading zero", logLine + wl("a", 0) + "group g 01 a\nquorum g\n", "Line 3"},
		{"k a word", logLine + wl("a", 0) + "group g most a\nquorum g\n", "Line 3"},
		{"group without members", logLine + wl("a", 0) + "group g 1\nquorum a\n", "Line 3"},
		{"bad log key", "log example.org+00000000+AAAA\n" + wl("a", 0) + "quorum a\n", "Line 1"},
		{"log key as witness key", logLine + "witness a " + l.VerifierKey + "\nquorum a\n", "Line 2"},
		{"witness key as log key", "log " + w[0].VerifierKey() + "\n" + wl("a", 1) + "quorum a\n", "Line 1"},
		{"witness without key", logLine + "witness a\nquorum none\n", "Line 2"},
		{"witness with extra field", logLine + "witness a " + w[0].VerifierKey() + " https://x y\nquorum none\n", "Line 2"},
		{"unknown keyword", logLine + "witnesses a\nquorum none\n", "Line 2"},
		{"control character", logLine + "quorum none\r\n", "Line 2"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := witness.ParsePolicy([]byte(c.file))
			if err == nil {
				t.Fatalf("ParsePolicy(%q): no error", c.file)
			}
			if omadata.ErrorCode(err) != omadata.EINVALID || omadata.ErrorField(err) != "policy" || !strings.Contains(omadata.ErrorMessage(err), c.line) {
				t.Fatalf("got %v (%s, field %q), want invalid policy naming %q", err, omadata.ErrorCode(err), omadata.ErrorField(err), c.line)
			}
		})
	}
}

func TestNewPolicy(t *testing.T) {
	ctx := context.Background()
	l := testLog(t, "city.example/log", 4)
	cp, _ := l.LatestCheckpoint(ctx)
	w := testCosigners(t, 3)
	ws := []witness.PolicyWitness{
		{Label: "a", VerifierKey: w[0].VerifierKey(), URL: "https://a.example/witness/v1"},
		{Label: "b", VerifierKey: w[1].VerifierKey()},
		{Label: "witnesses", VerifierKey: w[2].VerifierKey()},
	}
	for _, c := range []struct {
		name   string
		ws     []witness.PolicyWitness
		k      int
		quorum string // the group line, or "none"
		need   int    // cosigners needed
	}{
		{"default: all but one", ws, -1, "group witnesses-2 2 a b witnesses", 2},
		{"default with one witness", ws[:1], -1, "group witnesses 1 a", 1},
		{"default with two", ws[:2], -1, "group witnesses 1 a b", 1},
		{"k 3", ws, 3, "group witnesses-2 3 a b witnesses", 3},
		{"k above n", ws[:2], 5, "group witnesses 2 a b", 2},
		{"k 0", ws, 0, "none", 0},
		{"no witness", nil, -1, "none", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := witness.NewPolicy(l.VerifierKey, "https://city.example/api/v1/public/log", c.ws, c.k)
			file := string(p.Marshal())
			if _, err := witness.ParsePolicy(p.Marshal()); err != nil {
				t.Fatalf("NewPolicy made a policy ParsePolicy refuses: %v\n%s", err, file)
			}
			if c.quorum == "none" {
				if !strings.HasSuffix(file, "quorum none\n") || strings.Contains(file, "group") {
					t.Fatalf("policy:\n%s", file)
				}
			} else if !strings.Contains(file, "\n"+c.quorum+"\n") {
				t.Fatalf("policy has no line %q:\n%s", c.quorum, file)
			}
			if !strings.HasPrefix(file, "log "+l.VerifierKey+" https://city.example/api/v1/public/log\n") {
				t.Fatalf("policy:\n%s", file)
			}
			if k, _ := p.QuorumSize(); k != c.need {
				t.Fatalf("QuorumSize k = %d, want %d", k, c.need)
			}
			if c.need > 0 {
				var signers []*witness.Cosigner
				for _, pw := range c.ws {
					for _, x := range w {
						if x.VerifierKey() == pw.VerifierKey {
							signers = append(signers, x)
						}
					}
				}
				if v, _ := p.Verify(cosigned(t, cp.Note, signers[:c.need-1]...)); v.Met {
					t.Fatalf("met with %d cosigners", c.need-1)
				}
				if v, _ := p.Verify(cosigned(t, cp.Note, signers[:c.need]...)); !v.Met {
					t.Fatalf("not met with %d cosigners", c.need)
				}
			}
		})
	}
}
