// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"text/tabwriter"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/conformance"
	"github.com/omadata/omadata/internal/federation"
)

func init() {
	networkSubcommands = append(networkSubcommands, func(m *Main) subcommand {
		return subcommand{"conformance", newNetworkConformanceCommand(m).Run}
	})
}

// NetworkConformanceCommand checks a member of the network against
// docs/network.md, as a member itself.
type NetworkConformanceCommand struct {
	m  *Main
	fs *flag.FlagSet

	peer, entity, keyFile, anchor, anchorJWKS, listen string
	rulebook                                          int
	wait                                              time.Duration
}

func newNetworkConformanceCommand(m *Main) *NetworkConformanceCommand {
	c := &NetworkConformanceCommand{m: m, fs: flag.NewFlagSet("network conformance", flag.ContinueOnError)}
	c.fs.StringVar(&c.peer, "peer", "", "the operator ID (URL) of the member to check (required)")
	c.fs.StringVar(&c.entity, "entity", "", "the checker's own entity ID (URL), admitted at the anchor (required)")
	c.fs.StringVar(&c.keyFile, "key", "", "the checker's Ed25519 private JWK; created (0600) when missing (required)")
	c.fs.StringVar(&c.anchor, "anchor", "", "the trust anchor's entity ID (URL) (required)")
	c.fs.StringVar(&c.anchorJWKS, "anchor-jwks", "", "the trust anchor's keys: a JWK set file, as \"omadata network anchor keys\" prints it (required)")
	c.fs.StringVar(&c.listen, "listen", "", "where to serve the checker's entity configuration (default: --entity's host and port)")
	c.fs.IntVar(&c.rulebook, "rulebook", 0, "the network's rulebook version the peer's trust mark must carry (default: any)")
	c.fs.DurationVar(&c.wait, "wait", 2*time.Minute, "how long to wait for the anchor to admit the checker")
	return c
}

// Usage prints the subcommand's help.
func (c *NetworkConformanceCommand) Usage() {
	fmt.Fprint(c.m.Stdout, `Usage: omadata network conformance --peer URL --entity URL --key FILE --anchor URL --anchor-jwks FILE [flags]

Runs every protocol check of docs/network.md against the member at --peer
and prints a table: the check, the section of docs/network.md (and of the
standard) it comes from, PASS, FAIL or SKIP, and why. It exits with
status 1 if any check fails.

To make signed calls the checker is itself a member: it serves the entity
configuration of --entity, signed with --key, on --listen, and waits up to
--wait for the anchor to admit it:

	omadata network anchor admit --db DB --reason "conformance run" ENTITY
`)
	printFlags(c.m.Stdout, c.fs)
}

// Run runs the checks and prints the table.
func (c *NetworkConformanceCommand) Run(ctx context.Context, args []string) error {
	if err := parseFlags(c.fs, args, c.Usage, 0); err != nil {
		return err
	}
	for _, f := range []struct{ name, v string }{{"peer", c.peer}, {"entity", c.entity}, {"key", c.keyFile}, {"anchor", c.anchor}, {"anchor-jwks", c.anchorJWKS}} {
		if f.v == "" {
			return usageErrorf("network conformance: --%s is required (run \"omadata network conformance -h\" for usage)", f.name)
		}
	}
	key, err := loadOrCreateJWK(c.keyFile)
	if err != nil {
		return err
	}
	anchorKeys, err := loadJWKS(c.anchorJWKS)
	if err != nil {
		return err
	}
	listen := c.listen
	if listen == "" {
		u, err := url.Parse(c.entity)
		if err != nil || u.Port() == "" {
			return omadata.Invalidf("listen", "--listen is required when --entity names no port")
		}
		listen = u.Host
	}
	fmt.Fprintf(c.m.Stderr, "Serving the entity configuration of %s on %s; waiting up to %s for the anchor to admit it.\n", c.entity, listen, c.wait)
	results, err := conformance.Run(ctx, conformance.Config{
		Peer: c.peer, Entity: c.entity, Key: key, Anchor: c.anchor, AnchorJWKS: anchorKeys,
		Rulebook: c.rulebook, Listen: listen, AdmissionWait: c.wait,
	})
	if err != nil {
		return err
	}
	return printConformance(c.m.Stdout, results)
}

// printConformance prints the results as a table and a count, and
// returns an error if any check failed.
func printConformance(w io.Writer, results []conformance.Result) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "CHECK\tSECTION\tRESULT\tREASON")
	n := map[conformance.Status]int{}
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Check, r.Section, r.Status, r.Reason)
		n[r.Status]++
	}
	tw.Flush()
	fmt.Fprintf(w, "%d checks: %d passed, %d failed, %d skipped.\n", len(results), n[conformance.Pass], n[conformance.Fail], n[conformance.Skip])
	if n[conformance.Fail] > 0 {
		return fmt.Errorf("%d of %d checks failed", n[conformance.Fail], len(results))
	}
	return nil
}

// loadOrCreateJWK reads an Ed25519 private JWK from path, or creates one
// there (0600) when the file does not exist.
func loadOrCreateJWK(path string) (*jose.JSONWebKey, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		k, err := conformance.NewKey()
		if err != nil {
			return nil, err
		}
		b, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
			return nil, fmt.Errorf("create key: %w", err)
		}
		return k, nil
	} else if err != nil {
		return nil, fmt.Errorf("read key: %w", err)
	}
	var k jose.JSONWebKey
	if err := json.Unmarshal(b, &k); err != nil {
		return nil, omadata.Invalidf("key", "%s is not a JWK: %s", path, err)
	}
	return &k, nil
}

// loadJWKS reads the anchor's JWK set from path with federation.ParseJWKS,
// as OMADATA_NETWORK_ANCHOR_JWKS is read (docs/network.md §1).
func loadJWKS(path string) (*jose.JSONWebKeySet, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read anchor keys: %w", err)
	}
	set, err := federation.ParseJWKS(b)
	if err != nil {
		return nil, omadata.Invalidf("anchor_jwks", "%s: %s", path, err)
	}
	return set, nil
}
