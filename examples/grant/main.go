// SPDX-License-Identifier: Apache-2.0

// Command grant is the sink's side of a grant, with the Go SDK: it makes a
// DPoP key, asks the operator for a grant bound to it and prints the answer
// as JSON, as POST /api/v1/grants gives it. A grant needs a DPoP proof
// signed with the sink's private key, which curl cannot make; the README's
// full cycle runs this program for that step:
//
//	go run ./examples/grant -token-file omadata.demo-service-token \
//	  -source svc_… -pseudonym psn_… -data-group dg_… -purpose pur_…
//
// It exits 1 when the operator denies, printing the decision all the same.
package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/client"
)

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "grant:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("grant", flag.ContinueOnError)
	operator := fs.String("operator", "http://127.0.0.1:8080", "the operator's public URL")
	tokenFile := fs.String("token-file", "omadata.demo-service-token", "file holding the sink's credential (scope grants)")
	in := &omadata.GrantInput{}
	fs.StringVar(&in.SourceID, "source", "", "the source service (svc_…)")
	fs.StringVar(&in.Pseudonym, "pseudonym", "", "the sink's pseudonym of the resident (psn_…)")
	group := fs.String("data-group", "", "the data group to receive (dg_…)")
	fs.StringVar(&in.PurposeID, "purpose", "", "the purpose (pur_…)")
	if err := fs.Parse(args); err != nil {
		return err
	} else if in.SourceID == "" || in.Pseudonym == "" || *group == "" || in.PurposeID == "" {
		return errors.New("-source, -pseudonym, -data-group and -purpose are required")
	}
	in.DataGroupIDs = []string{*group}
	token, err := os.ReadFile(*tokenFile)
	if err != nil {
		return err
	}
	// The sink's DPoP key. A real sink keeps it for as long as it uses the
	// grant: every request to the source is signed with it.
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	c := client.New(*operator, strings.TrimSpace(string(token)))
	g, err := c.RequestGrant(ctx, in, key)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(g); err != nil {
		return err
	} else if !g.Decision.Permit() {
		return fmt.Errorf("denied: %s", g.Decision.Reason)
	}
	return nil
}
