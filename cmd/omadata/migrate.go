// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/omadata/omadata/internal/store"
)

// MigrateCommand applies the database migrations.
type MigrateCommand struct {
	m  *Main
	fs *flag.FlagSet
	cf *configFlags
}

func newMigrateCommand(m *Main) *MigrateCommand {
	c := &MigrateCommand{m: m, fs: flag.NewFlagSet("migrate", flag.ContinueOnError)}
	c.cf = newConfigFlags(c.fs, "OMADATA_DATABASE_URL")
	return c
}

// Run applies every migration not yet applied and prints their names.
func (c *MigrateCommand) Run(ctx context.Context, args []string) error {
	if err := parseFlags(c.fs, args, c.Usage, 0); err != nil {
		return err
	}
	cfg, err := c.cf.load(c.m.LookupEnv)
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	p := newProgress(c.m.Stderr)
	p.Printf("Migrating the %s database…", db.Engine())
	applied, err := db.Migrate(ctx)
	p.Done()
	for _, name := range applied {
		fmt.Fprintf(c.m.Stdout, "Applied %s\n", name)
	}
	if err != nil {
		return err
	}
	if _, unknown, err := db.MigrationStatus(ctx); err != nil {
		return err
	} else if len(unknown) > 0 {
		// A newer version migrated it; this one runs on it unchanged.
		fmt.Fprintf(c.m.Stdout, "The %s database was migrated by a newer version (%s); this version applies nothing and runs on it.\n",
			db.Engine(), strings.Join(unknown, ", "))
		return nil
	}
	fmt.Fprintf(c.m.Stdout, "The %s database is up to date.\n", db.Engine())
	return nil
}

// Usage prints the command's help.
func (c *MigrateCommand) Usage() {
	fmt.Fprint(c.m.Stdout, `Usage: omadata migrate [flags]

Applies the database migrations that have not run yet, each in its own
transaction, and prints their names. It is safe to run again, and to run
while other instances migrate. omadata serve migrates on start-up too,
unless OMADATA_MIGRATE=false.
`)
	printFlags(c.m.Stdout, c.fs)
}
