// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/keys"
)

// KeysCommand lists and rotates the operator's signing keys. Retired keys
// stay published in /.well-known/jwks.json, so what they signed (receipts,
// grants) stays verifiable.
type KeysCommand struct {
	m *Main
}

func newKeysCommand(m *Main) *KeysCommand { return &KeysCommand{m: m} }

// Run runs the keys subcommand named by args[0].
func (c *KeysCommand) Run(ctx context.Context, args []string) error {
	return runSubcommand(ctx, "keys", args, c.Usage, []subcommand{
		{"list", newKeysListCommand(c.m).Run},
		{"rotate", newKeysRotateCommand(c.m).Run},
	})
}

// Usage prints the command's help.
func (c *KeysCommand) Usage() {
	fmt.Fprint(c.m.Stdout, `Usage: omadata keys <subcommand> [flags]

Manages the operator's signing keys, which sign consent receipts and
grants. Their public halves are published at /.well-known/jwks.json.

The subcommands are:

	list      list the keys, retired ones too
	rotate    make a new active key and retire the current one; the retired
	          key stays published, so what it signed still verifies.
	          Running operator processes sign with the new key within
	          a few seconds, without a restart.

Run "omadata keys <subcommand> -h" for a subcommand's flags.
`)
}

// KeysListCommand lists signing keys.
type KeysListCommand struct {
	m  *Main
	fs *flag.FlagSet
	cf *configFlags
}

func newKeysListCommand(m *Main) *KeysListCommand {
	c := &KeysListCommand{m: m, fs: flag.NewFlagSet("keys list", flag.ContinueOnError)}
	c.cf = newConfigFlags(c.fs, "OMADATA_DATABASE_URL")
	return c
}

// Run prints a table of keys, newest first.
func (c *KeysListCommand) Run(ctx context.Context, args []string) error {
	if err := parseFlags(c.fs, args, c.Usage, 0); err != nil {
		return err
	}
	cfg, err := c.cf.load(c.m.LookupEnv)
	if err != nil {
		return err
	}
	db, s, ctx, err := openTokenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	ks, err := s.FindSigningKeys(ctx)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(c.m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tPURPOSE\tALG\tSTATUS\tCREATED\tRETIRED")
	for _, k := range ks {
		retired := "-"
		if k.RetiredAt != nil {
			retired = k.RetiredAt.Format(time.RFC3339)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Purpose, k.Algorithm, k.Status, k.CreatedAt.Format(time.RFC3339), retired)
	}
	return w.Flush()
}

// Usage prints the command's help.
func (c *KeysListCommand) Usage() {
	fmt.Fprint(c.m.Stdout, "Usage: omadata keys list [flags]\n\nLists the operator's signing keys, newest first.\n")
	printFlags(c.m.Stdout, c.fs)
}

// KeysRotateCommand makes a new active signing key.
type KeysRotateCommand struct {
	m  *Main
	fs *flag.FlagSet
	cf *configFlags
}

func newKeysRotateCommand(m *Main) *KeysRotateCommand {
	c := &KeysRotateCommand{m: m, fs: flag.NewFlagSet("keys rotate", flag.ContinueOnError)}
	c.cf = newConfigFlags(c.fs, "OMADATA_DATABASE_URL", "OMADATA_DEMO")
	return c
}

// Run rotates the records signing key. It needs the secret key, which
// seals the new private key, from OMADATA_SECRET_KEY(_FILE), or with --demo
// the demo's key file beside the database.
func (c *KeysRotateCommand) Run(ctx context.Context, args []string) error {
	// The purpose is optional and comes first: "keys rotate" alone
	// rotates the records key.
	purpose := omadata.KeyPurposeRecords
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		purpose, args = args[0], args[1:]
	}
	if err := parseFlags(c.fs, args, c.Usage, 0); err != nil {
		return err
	}
	if purpose != omadata.KeyPurposeRecords && purpose != omadata.KeyPurposeFederation && purpose != omadata.KeyPurposeWitness {
		return usageErrorf("keys rotate: %q is not a key purpose to rotate: records, federation or witness (the log key is never rotated: its checkpoints name it)", purpose)
	}
	cfg, err := c.cf.load(c.m.LookupEnv)
	if err != nil {
		return err
	} else if err := cfg.existingSecretKey(); err != nil {
		return err
	}
	sealer, err := keys.NewSealer(cfg.SecretKey)
	if err != nil {
		return err
	}
	db, s, ctx, err := openTokenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	k, err := keys.Rotate(ctx, s, sealer, purpose)
	if err != nil {
		return err
	}
	if purpose == omadata.KeyPurposeFederation {
		jwk, err := keys.FederationJWK(k)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.m.Stdout, "New federation key %s (kid %s), listed in the entity configuration beside the previous one.\nThe operator signs with it once the trust anchor's statement about it lists it (docs/network.md §2.5).\n", k.ID, jwk.KeyID)
		return nil
	}
	if purpose == omadata.KeyPurposeWitness {
		fmt.Fprintf(c.m.Stdout, "New witness key %s; the previous one is retired. omadata serve cosigns with the key active when it starts: restart it.\nLogs that trust this witness need its new verifier key: the network's members read it from the entity configuration\n(witness_verifier_key), outside logs must be told.\n", k.ID)
		return nil
	}
	fmt.Fprintf(c.m.Stdout, "New active signing key %s; the previous one is retired and stays published.\nRunning operator processes sign with the new key within a few seconds.\n", k.ID)
	return nil
}

// Usage prints the command's help.
func (c *KeysRotateCommand) Usage() {
	fmt.Fprint(c.m.Stdout, `Usage: omadata keys rotate [records|federation|witness] [flags]

With federation, it rotates the key that signs the operator's entity
configuration and its calls to other operators of the network
(docs/network.md §2.5); with witness, the key with which the operator, as
a witness, cosigns other logs' checkpoints (docs/witnessing.md §1);
without, the records key that signs receipts and grants.

Makes a new active signing key, sealed with the secret key
(OMADATA_SECRET_KEY or OMADATA_SECRET_KEY_FILE, or --demo for the demo
key), and retires the current one. Retired keys stay in
/.well-known/jwks.json.
`)
	printFlags(c.m.Stdout, c.fs)
}
