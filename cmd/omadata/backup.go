// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
)

// manifestFile is the backup's description, written last: a directory
// without one holds no finished backup.
const manifestFile = "manifest.json"

// backupManifest describes a backup (docs/operations.md, "Back up and
// restore").
type backupManifest struct {
	Engine        string            `json:"engine"` // sqlite or postgres
	File          string            `json:"file"`   // beside the manifest
	Size          int64             `json:"size"`
	SHA256        string            `json:"sha256"`         // of File, hex
	SchemaVersion string            `json:"schema_version"` // the last migration applied
	Checkpoint    *backupCheckpoint `json:"checkpoint"`     // null: the log had none yet
	CreatedAt     time.Time         `json:"created_at"`
	Version       string            `json:"omadata_version"`
}

// backupCheckpoint is the log's latest checkpoint at backup time: every
// leaf below Size, and so every record it commits to, is in the copy.
type backupCheckpoint struct {
	Size     int64  `json:"size"`
	RootHash string `json:"root_hash"`
	Note     string `json:"note"`
}

// BackupCommand writes a consistent copy of the database.
type BackupCommand struct {
	m   *Main
	fs  *flag.FlagSet
	cf  *configFlags
	out string
}

func newBackupCommand(m *Main) *BackupCommand {
	c := &BackupCommand{m: m, fs: flag.NewFlagSet("backup", flag.ContinueOnError)}
	c.fs.StringVar(&c.out, "out", "", "the directory to write the backup into: new or empty (required)")
	c.cf = newConfigFlags(c.fs, "OMADATA_DATABASE_URL")
	return c
}

// Run writes the copy, then its manifest.
func (c *BackupCommand) Run(ctx context.Context, args []string) error {
	if err := parseFlags(c.fs, args, c.Usage, 0); err != nil {
		return err
	} else if c.out == "" {
		return usageErrorf("backup: --out is required (run \"omadata backup -h\" for usage)")
	}
	cfg, err := c.cf.load(c.m.LookupEnv)
	if err != nil {
		return err
	}
	if ents, err := os.ReadDir(c.out); err == nil && len(ents) > 0 {
		return fmt.Errorf("--out %s: the directory is not empty; a backup never overwrites one, give a new directory", c.out)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("--out: %w", err)
	}
	db, s, ctx, err := openTokenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := os.MkdirAll(c.out, 0o700); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	p := newProgress(c.m.Stderr)
	p.Printf("Backing up the %s database…", db.Engine())
	man, err := c.backup(ctx, db, s, cfg.DatabaseURL)
	p.Done()
	if err != nil {
		// Leave no part of a backup that could pass for one.
		os.Remove(filepath.Join(c.out, manifestFile+".tmp"))
		if man != nil {
			os.Remove(filepath.Join(c.out, man.File))
		}
		return err
	}
	w := c.m.Stdout
	fmt.Fprintf(w, "Backed up the %s database into %s: %s, %d bytes, SHA-256 %s, schema %s.\n",
		man.Engine, c.out, man.File, man.Size, man.SHA256, man.SchemaVersion)
	if man.Checkpoint != nil {
		fmt.Fprintf(w, "The copy holds the log up to its checkpoint of size %d, root %s.\n", man.Checkpoint.Size, man.Checkpoint.RootHash)
	} else {
		fmt.Fprintln(w, "The log had no checkpoint yet.")
	}
	fmt.Fprintln(w, "Keep the secret key (OMADATA_SECRET_KEY or OMADATA_SECRET_KEY_FILE) apart from the backup: restore needs it.")
	return nil
}

// backup writes the copy and the manifest. The manifest it returns, even
// with an error, names the file to remove.
func (c *BackupCommand) backup(ctx context.Context, db *store.DB, s *store.Store, dbURL string) (*backupManifest, error) {
	man := &backupManifest{Engine: db.Engine(), Version: version, CreatedAt: time.Now().UTC().Truncate(time.Second)}
	var err error
	if man.SchemaVersion, err = db.SchemaVersion(ctx); err != nil {
		return nil, err
	}
	path := ""
	switch man.Engine {
	case "sqlite":
		man.File = "omadata.db"
		path = filepath.Join(c.out, man.File)
		if err := db.BackupInto(ctx, path); err != nil {
			return nil, err
		}
		// The checkpoint is read from the copy itself: it is the copy's.
		cp, err := store.Open(ctx, "sqlite:"+path)
		if err != nil {
			return man, err
		}
		man.Checkpoint, err = latestBackupCheckpoint(ctx, store.New(cp))
		cp.Close()
		if err != nil {
			return man, err
		}
	case "postgres":
		man.File = "omadata.dump"
		path = filepath.Join(c.out, man.File)
		// Read before pg_dump takes its snapshot, so the checkpoint and
		// every leaf below it are in the dump.
		if man.Checkpoint, err = latestBackupCheckpoint(ctx, s); err != nil {
			return nil, err
		}
		if err := pgDump(ctx, dbURL, path); err != nil {
			return man, err
		}
	default:
		return nil, fmt.Errorf("backup: engine %s has no backup", man.Engine)
	}
	// The copy holds what the database holds: the owner's alone.
	if err := os.Chmod(path, 0o600); err != nil {
		return man, err
	}
	if man.Size, man.SHA256, err = hashFile(path); err != nil {
		return man, err
	}
	b, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return man, err
	}
	return man, writeFileSynced(filepath.Join(c.out, manifestFile), append(b, '\n'))
}

// latestBackupCheckpoint is the log's newest checkpoint, nil when none.
func latestBackupCheckpoint(ctx context.Context, s *store.Store) (*backupCheckpoint, error) {
	cp, err := s.LatestCheckpoint(ctx)
	if omadata.ErrorCode(err) == omadata.ENOTFOUND {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("read the log's checkpoint: %w", err)
	}
	return &backupCheckpoint{Size: cp.Size, RootHash: cp.RootHash, Note: cp.Note}, nil
}

// hashFile returns the file's size and hex SHA-256.
func hashFile(path string) (int64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, "", fmt.Errorf("hash %s: %w", path, err)
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// writeFileSynced writes a new file under a temporary name, syncs it and
// renames it into place, so that a crash leaves it whole or absent.
func writeFileSynced(path string, b []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Usage prints the command's help.
func (c *BackupCommand) Usage() {
	fmt.Fprint(c.m.Stdout, `Usage: omadata backup --out DIR [flags]

Writes a consistent copy of the database into DIR, a new or empty
directory, while omadata serve runs: for SQLite a copy made with VACUUM
INTO in one read transaction (omadata.db), for PostgreSQL a dump made by
pg_dump --format=custom (omadata.dump; pg_dump must be on PATH). Then it
writes manifest.json: the engine, the file's size and SHA-256, the schema
version, the log's checkpoint at backup time, the time and the omadata
version. It never overwrites a backup. The secret key is not in the
backup: keep it apart; omadata restore needs it (docs/operations.md).
`)
	printFlags(c.m.Stdout, c.fs)
}
