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
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/omadata/omadata/internal/keys"
	"github.com/omadata/omadata/internal/store"
)

// RestoreCommand restores a backup into a new database.
type RestoreCommand struct {
	m    *Main
	fs   *flag.FlagSet
	cf   *configFlags
	from string
	key  string
}

func newRestoreCommand(m *Main) *RestoreCommand {
	c := &RestoreCommand{m: m, fs: flag.NewFlagSet("restore", flag.ContinueOnError)}
	c.fs.StringVar(&c.from, "from", "", "the backup's directory, as omadata backup wrote it (required)")
	c.fs.StringVar(&c.key, "key", "", "the log's verifier key, as /.well-known/mydata/log-key publishes it (default: the keys stored in the copy)")
	c.cf = newConfigFlags(c.fs, "OMADATA_DATABASE_URL")
	return c
}

// Run checks the copy against its manifest, restores it, checks that its
// log verifies and that the secret key opens its signing keys, and keeps
// it only then.
func (c *RestoreCommand) Run(ctx context.Context, args []string) error {
	if err := parseFlags(c.fs, args, c.Usage, 0); err != nil {
		return err
	} else if c.from == "" {
		return usageErrorf("restore: --from is required (run \"omadata restore -h\" for usage)")
	}
	cfg, err := c.cf.load(c.m.LookupEnv)
	if err != nil {
		return err
	}
	man, file, err := readBackup(c.from)
	if err != nil {
		return err
	}
	if len(cfg.SecretKey) == 0 {
		return errors.New("no secret key: set OMADATA_SECRET_KEY or OMADATA_SECRET_KEY_FILE to the secret key the operator ran with when the backup was made; without it the copy's signing keys cannot be opened, and restore refuses the copy")
	}
	target, isSQLite := sqlitePath(cfg.DatabaseURL)
	if want := map[bool]string{true: "sqlite", false: "postgres"}[isSQLite]; man.Engine != want {
		return fmt.Errorf("--database: the backup is of a %s database, the target is %s; restore it into a database of its engine", man.Engine, want)
	}
	p := newProgress(c.m.Stderr)
	var rep *restoreReport
	if isSQLite {
		p.Printf("Restoring %s into %s…", file, target)
		rep, err = c.restoreSQLite(ctx, man, file, target, cfg.SecretKey)
	} else {
		p.Printf("Restoring %s with pg_restore…", file)
		rep, err = c.restorePostgres(ctx, man, file, cfg.DatabaseURL, cfg.SecretKey)
	}
	p.Done()
	if err != nil {
		return err
	}
	w := c.m.Stdout
	fmt.Fprintf(w, "Restored the %s database of %s (schema %s) into %s.\n", man.Engine, man.CreatedAt.Format("2006-01-02 15:04:05Z07:00"), man.SchemaVersion, store.SafeURL(cfg.DatabaseURL))
	fmt.Fprintf(w, "The log verifies: %d leaves, %d checkpoints, %d records linked", rep.log.Leaves, rep.log.Checkpoints, rep.log.Records)
	if man.Checkpoint != nil {
		fmt.Fprintf(w, "; it holds the backup's checkpoint of size %d", man.Checkpoint.Size)
	}
	fmt.Fprintf(w, ".\nThe secret key opens the copy's %d signing keys.\n", rep.keys)
	return nil
}

// sha256Hex is a manifest's hash.
var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// readBackup reads the manifest of the backup in dir and checks the file it
// describes: its path, size and SHA-256.
func readBackup(dir string) (*backupManifest, string, error) {
	b, err := os.ReadFile(filepath.Join(dir, manifestFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", fmt.Errorf("--from %s: no %s: not a finished backup of omadata backup", dir, manifestFile)
	} else if err != nil {
		return nil, "", fmt.Errorf("--from: %w", err)
	}
	var man backupManifest
	if err := json.Unmarshal(b, &man); err != nil {
		return nil, "", fmt.Errorf("--from %s: %s does not parse: %s", dir, manifestFile, err.Error())
	}
	switch {
	case man.Engine != "sqlite" && man.Engine != "postgres":
		return nil, "", fmt.Errorf("--from %s: %s: engine %q is neither sqlite nor postgres", dir, manifestFile, man.Engine)
	case man.File == "" || man.File != filepath.Base(man.File) || strings.HasPrefix(man.File, "."):
		return nil, "", fmt.Errorf("--from %s: %s: file %q is not a file name beside it", dir, manifestFile, man.File)
	case !sha256Hex.MatchString(man.SHA256):
		return nil, "", fmt.Errorf("--from %s: %s: sha256 is not 64 hexadecimal digits", dir, manifestFile)
	case man.SchemaVersion == "":
		return nil, "", fmt.Errorf("--from %s: %s: no schema_version", dir, manifestFile)
	}
	file := filepath.Join(dir, man.File)
	size, sum, err := hashFile(file)
	if err != nil {
		return nil, "", fmt.Errorf("--from %s: %w", dir, err)
	}
	if size != man.Size || sum != man.SHA256 {
		return nil, "", fmt.Errorf("--from %s: the copy is damaged: %s has %d bytes and SHA-256 %s, %s says %d bytes and %s; restore another backup",
			dir, man.File, size, sum, manifestFile, man.Size, man.SHA256)
	}
	return &man, file, nil
}

// restoreSQLite copies the file beside the target under a temporary name,
// checks it there, and only then links it into place: a refused or
// interrupted restore leaves no database at the target.
func (c *RestoreCommand) restoreSQLite(ctx context.Context, man *backupManifest, file, target string, secret []byte) (*restoreReport, error) {
	for _, p := range []string{target, target + "-wal", target + "-shm"} {
		if _, err := os.Lstat(p); !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("--database: %s exists; restore never overwrites a database, give a new path", p)
		}
	}
	tmp := target + ".restoring"
	removeTmp := func() {
		for _, p := range []string{tmp, tmp + "-wal", tmp + "-shm"} {
			os.Remove(p)
		}
	}
	if _, err := os.Lstat(tmp); !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("--database: %s exists, left by a restore that did not finish: remove it first", tmp)
	}
	if err := copyFileSynced(file, tmp); err != nil {
		removeTmp()
		return nil, err
	}
	db, err := store.Open(ctx, "sqlite:"+tmp)
	if err != nil {
		removeTmp()
		return nil, err
	}
	rep, err := c.check(ctx, db, man, secret)
	if cerr := db.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		removeTmp()
		return nil, err
	}
	// A link, unlike a rename, fails when the target appeared meanwhile.
	if err := os.Link(tmp, target); err != nil {
		removeTmp()
		return nil, fmt.Errorf("--database: %w", err)
	}
	removeTmp()
	return rep, syncDir(filepath.Dir(target))
}

// restorePostgres restores the dump into an empty database with
// pg_restore, in one transaction, checks it, and drops what it restored
// when the check refuses it.
func (c *RestoreCommand) restorePostgres(ctx context.Context, man *backupManifest, file, dbURL string, secret []byte) (*restoreReport, error) {
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if n, err := db.Objects(ctx); err != nil {
		return nil, err
	} else if n > 0 {
		return nil, fmt.Errorf("--database: the database is not empty (%d tables, sequences, views and functions in its schema); restore never overwrites a database, give an empty one", n)
	}
	if err := pgRestore(ctx, dbURL, file); err != nil {
		return nil, err
	}
	rep, err := c.check(ctx, db, man, secret)
	if err != nil {
		if derr := db.DropObjects(context.WithoutCancel(ctx)); derr != nil {
			return nil, fmt.Errorf("%w; and dropping what was restored failed, drop the database's tables by hand: %w", err, derr)
		}
		return nil, err
	}
	return rep, nil
}

// restoreReport is what the checks of a restored copy found.
type restoreReport struct {
	log  *store.LogReport
	keys int // signing keys opened
}

// check refuses a restored copy that is not the backup the manifest
// describes, whose signing keys the secret key does not open, or whose log
// does not verify, naming what is wrong.
func (c *RestoreCommand) check(ctx context.Context, db *store.DB, man *backupManifest, secret []byte) (*restoreReport, error) {
	if v, err := db.SchemaVersion(ctx); err != nil {
		return nil, fmt.Errorf("the copy has no schema: %w", err)
	} else if v != man.SchemaVersion {
		return nil, fmt.Errorf("the copy's schema is %s, %s says %s: not the backup it describes", v, manifestFile, man.SchemaVersion)
	}
	sealer, err := keys.NewSealer(secret)
	if err != nil {
		return nil, err
	}
	ctx = cliAdmin(ctx)
	ks, err := store.New(db).FindSigningKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the copy's signing keys: %w", err)
	}
	for _, k := range ks {
		if _, err := keys.Signer(k, sealer); err != nil {
			return nil, fmt.Errorf("the secret key does not open the copy's %s signing key %s: give the secret key the operator ran with when the backup was made (OMADATA_SECRET_KEY or OMADATA_SECRET_KEY_FILE)", k.Purpose, k.ID)
		}
	}
	kr, err := keys.NewKeyring(secret)
	if err != nil {
		return nil, err
	}
	o := store.VerifyLogOptions{Keyring: kr}
	if c.key != "" {
		o.VerifierKeys = []string{c.key}
	}
	lr, err := store.VerifyLog(ctx, db, o)
	var lp *store.LogProblem
	if errors.As(err, &lp) {
		return nil, fmt.Errorf("the copy's log does not verify: %s", lp.What)
	} else if err != nil {
		return nil, fmt.Errorf("verify the copy's log: %w", err)
	}
	if cp := man.Checkpoint; cp != nil {
		rows, err := db.QueryStrings(ctx, `SELECT root_hash, note FROM log_checkpoints WHERE size = ?`, cp.Size)
		if err != nil {
			return nil, err
		}
		found := false
		for _, r := range rows {
			found = found || (r[0] == cp.RootHash && r[1] == cp.Note)
		}
		if !found {
			return nil, fmt.Errorf("the copy's log has no checkpoint of size %d with root %s, which %s records: not the backup it describes", cp.Size, cp.RootHash, manifestFile)
		}
	}
	return &restoreReport{log: lr, keys: len(ks)}, nil
}

// copyFileSynced copies src to a new file dst, mode 0600, synced.
func copyFileSynced(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("--database: %w", err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// Usage prints the command's help.
func (c *RestoreCommand) Usage() {
	fmt.Fprint(c.m.Stdout, `Usage: omadata restore --from DIR --database URL [flags]

Restores a backup of omadata backup into a new SQLite file or an empty
PostgreSQL database (pg_restore must be on PATH). It checks the copy's
size and SHA-256 against manifest.json, restores it, and keeps it only if
the secret key (OMADATA_SECRET_KEY or OMADATA_SECRET_KEY_FILE, as serve
takes it) opens every signing key in it and its transparency log verifies
as omadata log verify checks it, with the backup's checkpoint in it.
Otherwise it says why and leaves no database behind: for SQLite the copy
is checked beside the target and linked into place last; for PostgreSQL
what pg_restore restored is dropped. It never overwrites a database.
`)
	printFlags(c.m.Stdout, c.fs)
}
