// SPDX-License-Identifier: Apache-2.0

package witness

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/omadata/omadata"
)

// QuorumNone is the predefined name of the quorum that needs no
// cosignature (Sigsum policy §Defining the quorum).
const QuorumNone = "none"

// PolicyLog is a policy's "log {vkey} [{url}]" line.
type PolicyLog struct {
	VerifierKey string // a signed-note verifier key
	URL         string
}

// PolicyWitness is a policy's "witness {label} {vkey} [{url}]" line.
type PolicyWitness struct {
	Label       string
	VerifierKey string // a cosignature/v1 verifier key
	URL         string
}

// PolicyGroup is a policy's "group {label} {k|all|any} {member}…" line.
type PolicyGroup struct {
	Label   string
	K       int // -1: all
	Members []string
}

// Policy says when a checkpoint counts as witnessed: the Sigsum policy
// grammar with signed-note verifier keys in place of hex keys
// (docs/witnessing.md §5; sigsum-go doc/policy.md).
type Policy struct {
	Logs      []PolicyLog
	Witnesses []PolicyWitness
	Groups    []PolicyGroup
	Quorum    string // QuorumNone or a witness or group label
}

// ParsePolicy parses a policy file (Sigsum policy §Policy file syntax and
// structure, docs/witnessing.md §5): fields separated by spaces and tabs,
// "#" comment lines; names defined before use (so no cycles), each name a
// group member at most once, no duplicate labels or keys, exactly one
// quorum line and at least one log. Errors name the line.
func ParsePolicy(b []byte) (*Policy, error) {
	p := &Policy{}
	quorumSet := false
	for i, line := range strings.Split(string(b), "\n") {
		n := i + 1
		if err := checkPolicyLine(line); err != nil {
			return nil, policyErr(n, "%s", err.Error())
		}
		f := strings.FieldsFunc(line, func(r rune) bool { return r == ' ' || r == '\t' })
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		switch f[0] {
		case "log":
			if len(f) < 2 || len(f) > 3 {
				return nil, policyErr(n, "A log line is \"log {verifier key} [{url}]\".")
			}
			p.Logs = append(p.Logs, PolicyLog{VerifierKey: f[1], URL: at(f, 2)})
		case "witness":
			if len(f) < 3 || len(f) > 4 {
				return nil, policyErr(n, "A witness line is \"witness {label} {verifier key} [{url}]\".")
			}
			p.Witnesses = append(p.Witnesses, PolicyWitness{Label: f[1], VerifierKey: f[2], URL: at(f, 3)})
		case "group":
			if len(f) < 4 {
				return nil, policyErr(n, "A group line is \"group {label} {k|all|any} {member}…\".")
			}
			g := PolicyGroup{Label: f[1], Members: f[3:]}
			switch f[2] {
			case "all":
				g.K = -1
			case "any":
				g.K = 1
			default:
				k, err := strconv.Atoi(f[2])
				if err != nil || f[2] != strconv.Itoa(k) {
					return nil, policyErr(n, "The threshold %q is not a number, \"all\" or \"any\".", f[2])
				}
				g.K = k
			}
			p.Groups = append(p.Groups, g)
		case "quorum":
			if len(f) != 2 {
				return nil, policyErr(n, "A quorum line is \"quorum {label}\" or \"quorum none\".")
			}
			if quorumSet {
				return nil, policyErr(n, "The policy has a second quorum line.")
			}
			quorumSet = true
			p.Quorum = f[1]
		default:
			return nil, policyErr(n, "Unknown keyword %q.", f[0])
		}
		// Checking as lines come keeps "defined before use" and names the line.
		if err := p.check(n, f[0]); err != nil {
			return nil, err
		}
	}
	if !quorumSet {
		return nil, omadata.Invalidf("policy", "The policy has no quorum line.")
	}
	if len(p.Logs) == 0 {
		return nil, omadata.Invalidf("policy", "The policy has no log line.")
	}
	return p, nil
}

func at(f []string, i int) string {
	if i < len(f) {
		return f[i]
	}
	return ""
}

func policyErr(line int, format string, args ...any) error {
	return omadata.Invalidf("policy", "Line %d: %s", line, fmt.Sprintf(format, args...))
}

// checkPolicyLine allows tab, 0x20-0x7E and octets from 0x80 (Sigsum
// policy §Character set).
func checkPolicyLine(line string) error {
	for i := 0; i < len(line); i++ {
		c := line[i]
		if c != '\t' && (c < 0x20 || c == 0x7f) {
			return fmt.Errorf("Invalid control character 0x%02x.", c)
		}
	}
	return nil
}

// check checks the last line added, of kind, against those before it.
func (p *Policy) check(n int, kind string) error {
	switch kind {
	case "log":
		l := p.Logs[len(p.Logs)-1]
		if _, err := note.NewVerifier(l.VerifierKey); err != nil {
			return policyErr(n, "The log key is not a signed-note verifier key: %s.", err.Error())
		}
		for _, o := range p.Logs[:len(p.Logs)-1] {
			if o.VerifierKey == l.VerifierKey {
				return policyErr(n, "The log key is listed twice.")
			}
		}
	case "witness":
		w := p.Witnesses[len(p.Witnesses)-1]
		if err := p.checkLabel(n, w.Label, len(p.Witnesses)-1, len(p.Groups)); err != nil {
			return err
		}
		if _, err := NewCosignatureVerifier(w.VerifierKey); err != nil {
			return policyErr(n, "Witness %q: %s", w.Label, omadata.ErrorMessage(err))
		}
		for _, o := range p.Witnesses[:len(p.Witnesses)-1] {
			if CosignaturePublicKey(o.VerifierKey) == CosignaturePublicKey(w.VerifierKey) {
				return policyErr(n, "The key of witness %q is also witness %q's.", w.Label, o.Label)
			}
		}
	case "group":
		g := p.Groups[len(p.Groups)-1]
		if err := p.checkLabel(n, g.Label, len(p.Witnesses), len(p.Groups)-1); err != nil {
			return err
		}
		if g.K == 0 || g.K < -1 || g.K > len(g.Members) {
			return policyErr(n, "Group %q: the threshold must be from 1 to its %d members.", g.Label, len(g.Members))
		}
		for _, m := range g.Members {
			if m == QuorumNone {
				return policyErr(n, "Group %q: %q cannot be a member.", g.Label, m)
			}
			if !p.defined(m, len(p.Witnesses), len(p.Groups)-1) {
				return policyErr(n, "Group %q: %q is not a witness or group defined before.", g.Label, m)
			}
			if parent := p.parentOf(m, len(p.Groups)); parent != "" {
				return policyErr(n, "Group %q: %q is already a member of %q.", g.Label, m, parent)
			}
		}
	case "quorum":
		if p.Quorum != QuorumNone && !p.defined(p.Quorum, len(p.Witnesses), len(p.Groups)) {
			return policyErr(n, "The quorum %q is not a witness or group defined before.", p.Quorum)
		}
	}
	return nil
}

// checkLabel refuses a label already used by the first nw witnesses or ng
// groups, and the reserved "none".
func (p *Policy) checkLabel(n int, label string, nw, ng int) error {
	if label == QuorumNone {
		return policyErr(n, "The label %q is reserved.", label)
	}
	if p.defined(label, nw, ng) {
		return policyErr(n, "The label %q is defined twice.", label)
	}
	return nil
}

func (p *Policy) defined(label string, nw, ng int) bool {
	for _, w := range p.Witnesses[:nw] {
		if w.Label == label {
			return true
		}
	}
	for _, g := range p.Groups[:ng] {
		if g.Label == label {
			return true
		}
	}
	return false
}

// parentOf returns the first of the first ng groups that has label as a
// member, more than once counting for the last of them, or "".
func (p *Policy) parentOf(label string, ng int) string {
	for i, g := range p.Groups[:ng] {
		count := 0
		for _, m := range g.Members {
			if m == label {
				count++
			}
		}
		if count > 1 || count == 1 && i < ng-1 {
			return g.Label
		}
	}
	return ""
}

// Validate checks a policy built in Go as ParsePolicy checks a file.
func (p *Policy) Validate() error {
	_, err := ParsePolicy(p.Marshal())
	return err
}

// Marshal writes the policy file: logs, witnesses, groups, then the
// quorum (docs/witnessing.md §5).
func (p *Policy) Marshal() []byte {
	var b strings.Builder
	for _, l := range p.Logs {
		b.WriteString(joinFields("log", l.VerifierKey, l.URL))
	}
	for _, w := range p.Witnesses {
		b.WriteString(joinFields("witness", w.Label, w.VerifierKey, w.URL))
	}
	for _, g := range p.Groups {
		k := strconv.Itoa(g.K)
		if g.K == -1 {
			k = "all"
		}
		b.WriteString(joinFields(append([]string{"group", g.Label, k}, g.Members...)...))
	}
	q := p.Quorum
	if q == "" {
		q = QuorumNone
	}
	b.WriteString("quorum " + q + "\n")
	return []byte(b.String())
}

func joinFields(f ...string) string {
	for len(f) > 0 && f[len(f)-1] == "" {
		f = f[:len(f)-1]
	}
	return strings.Join(f, " ") + "\n"
}

// NewPolicy returns omadata's policy (docs/witnessing.md §5): the log,
// the witnesses, and a group "witnesses" of k of them as the quorum. k -1
// means all but one, at least one; k greater than the witnesses means all
// of them; k 0, or no witness, means "quorum none".
func NewPolicy(logKey, logURL string, ws []PolicyWitness, k int) *Policy {
	p := &Policy{Logs: []PolicyLog{{VerifierKey: logKey, URL: logURL}}, Witnesses: ws, Quorum: QuorumNone}
	if k < 0 {
		k = max(len(ws)-1, 1)
	}
	k = min(k, len(ws))
	if k == 0 {
		return p
	}
	label := "witnesses"
	for i := 2; p.defined(label, len(ws), 0); i++ {
		label = "witnesses-" + strconv.Itoa(i)
	}
	g := PolicyGroup{Label: label, K: k}
	for _, w := range ws {
		g.Members = append(g.Members, w.Label)
	}
	p.Groups = []PolicyGroup{g}
	p.Quorum = label
	return p
}

// QuorumSize returns k and n of the quorum: how many of how many named
// witnesses or groups it needs (0 and the witnesses for "quorum none", 1
// and 1 for a single witness).
func (p *Policy) QuorumSize() (k, n int) {
	if p.Quorum == QuorumNone || p.Quorum == "" {
		return 0, len(p.Witnesses)
	}
	for _, g := range p.Groups {
		if g.Label == p.Quorum {
			if g.K == -1 {
				return len(g.Members), len(g.Members)
			}
			return g.K, len(g.Members)
		}
	}
	return 1, 1
}
