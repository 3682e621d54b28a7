// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/witness"
)

// WitnessConfig is how the operator has its own log witnessed
// (docs/witnessing.md §3, §5). The network's witnesses (its peers and its
// trust anchor) come from the network; these settings add witnesses from
// outside it, and say how often they are asked and how many must cosign.
type WitnessConfig struct {
	// Outside are the witnesses of the file OMADATA_WITNESSES names.
	Outside []omadata.WitnessRef
	// Interval is how often the collector asks the witnesses to cosign
	// the latest checkpoint.
	Interval time.Duration
	// Quorum is k of the witness policy; -1: all but one, at least one;
	// 0: none.
	Quorum int
}

// Defaults and bounds of the witness settings.
const (
	defaultWitnessInterval = 10 * time.Second
	maxWitnesses           = 32 // docs/witnessing.md §8
)

// witnessSettings are the OMADATA_WITNESS* keys.
func witnessSettings() []setting {
	return []setting{
		{"OMADATA_WITNESSES", "", "", func(c *Config, v string) error {
			ws, err := loadWitnesses(v)
			if err != nil {
				return err
			}
			c.Witness.Outside = ws
			return nil
		}},
		{"OMADATA_WITNESS_INTERVAL", "", "", func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < time.Second || d > time.Hour {
				return fmt.Errorf("%q is not a duration from 1s to 1h, such as 10s", v)
			}
			c.Witness.Interval = d
			return nil
		}},
		{"OMADATA_WITNESS_QUORUM", "", "", func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > maxWitnesses || strconv.Itoa(n) != v {
				return fmt.Errorf("%q is not a number of witnesses from 0 to %d", v, maxWitnesses)
			}
			c.Witness.Quorum = n
			return nil
		}},
	}
}

// loadWitnesses reads the file of outside witnesses: lines
// "witness {label} {verifier key} {URL}" in the witness policy's own
// syntax (docs/witnessing.md §5), # comments and blank lines; the URL is
// the witness's tlog-witness submission prefix. The error names the line.
func loadWitnesses(path string) ([]omadata.WitnessRef, error) {
	buf, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the witnesses file: %w", err)
	}
	return parseWitnesses(path, buf)
}

func parseWitnesses(path string, buf []byte) ([]omadata.WitnessRef, error) {
	var ws []omadata.WitnessRef
	labels, names := map[string]int{}, map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(buf))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		w, err := parseWitnessLine(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		if first, dup := labels[w.Label["en"]]; dup {
			return nil, fmt.Errorf("%s:%d: the label %q is also on line %d", path, n, w.Label["en"], first)
		} else if first, dup := names[w.Name]; dup {
			return nil, fmt.Errorf("%s:%d: the witness %q is also on line %d", path, n, w.Name, first)
		} else if len(ws) == maxWitnesses {
			return nil, fmt.Errorf("%s:%d: more than %d witnesses", path, n, maxWitnesses)
		}
		labels[w.Label["en"]], names[w.Name] = n, n
		ws = append(ws, w)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ws, nil
}

// parseWitnessLine parses "witness {label} {verifier key} {URL}".
func parseWitnessLine(line string) (omadata.WitnessRef, error) {
	f := strings.Fields(line)
	if f[0] != "witness" {
		return omadata.WitnessRef{}, fmt.Errorf("%q: want a line \"witness {label} {verifier key} {URL}\"", omadata.Truncate(f[0], 40))
	} else if len(f) != 4 {
		return omadata.WitnessRef{}, errors.New("want \"witness {label} {verifier key} {URL}\": the URL of its submission prefix is required")
	}
	label, vkey, u := f[1], f[2], f[3]
	if err := omadata.CheckText("label", label, 100); err != nil || label == "none" {
		return omadata.WitnessRef{}, fmt.Errorf("the label %q is not a word of at most 100 characters", omadata.Truncate(label, 40))
	}
	v, err := witness.NewCosignatureVerifier(vkey)
	if err != nil {
		return omadata.WitnessRef{}, fmt.Errorf("%q is not a cosignature/v1 verifier key: %w", omadata.Truncate(vkey, 80), err)
	}
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" || p.User != nil || p.RawQuery != "" || p.Fragment != "" || strings.HasSuffix(p.Path, "/") {
		return omadata.WitnessRef{}, fmt.Errorf("%q is not an http(s) URL without query, fragment or trailing slash (the submission prefix, such as https://witness.example/witness/v1)", omadata.Truncate(u, 80))
	}
	return omadata.WitnessRef{Name: v.Name(), VerifierKey: vkey, URL: u, Label: omadata.Text{"fi": label, "sv": label, "en": label}}, nil
}
