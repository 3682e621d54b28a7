// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
)

// manifestName is the file beside a kept dataset that describes it.
const manifestName = "manifest.json"

// manifestVersion changes when a kept dataset can no longer be read.
const manifestVersion = 1

// manifest is what a kept dataset needs to be run again without loading:
// how it was made (seed, sizes, catalogue), and how much of each write
// pool earlier runs used.
type manifest struct {
	Version  int    `json:"version"`
	Engine   string `json:"engine"`
	Records  int    `json:"records"`
	Database string `json:"database"` // postgres: the URL without its password; sqlite: ""
	Schema   string `json:"schema,omitempty"`

	Seed      uint64    `json:"seed"`
	IDMillis  uint64    `json:"id_millis"`
	Base      time.Time `json:"base"`
	SecretKey []byte    `json:"secret_key"`

	Mix            int   `json:"mix"`
	Pool           int   `json:"pool"`
	GiveUsed       int64 `json:"give_pool_used"`
	WithdrawUsed   int64 `json:"withdrawal_pool_used"`
	Residents      int   `json:"residents"`
	Consents       int   `json:"consents"`
	ConsentRecords int   `json:"consent_records"`
	LoadTime       int64 `json:"load_ms"`

	Sink            *omadata.Service    `json:"sink"`
	Source          *omadata.Service    `json:"source"`
	Loans           *omadata.DataGroup  `json:"loans"`
	Recommendations *omadata.Purpose    `json:"recommendations"`
	OtherPurpose    *omadata.Purpose    `json:"other_purpose"`
	Processing      *omadata.Processing `json:"processing"`
	OtherProcessing *omadata.Processing `json:"other_processing"`
	SinkToken       string              `json:"sink_token"`
}

// KeptDir is where --keep and --reuse hold the dataset of one engine and
// size under dir.
func KeptDir(dir, engine string, records int) string {
	return filepath.Join(dir, engine+"-"+sizeName(records))
}

// keep sets up d to be kept in dir instead of deleted: the SQLite file
// goes there, the PostgreSQL schema stays, and the manifest is written now
// and again on Close.
func (d *Dataset) keep(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, manifestName)); err == nil {
		return fmt.Errorf("bench: %s already holds a kept dataset; reuse it with --reuse, or delete it", dir)
	}
	return os.MkdirAll(dir, 0o700)
}

// save writes d's manifest into its kept directory.
func (d *Dataset) save() error {
	m := manifest{Version: manifestVersion, Engine: d.Engine, Records: d.Records, Seed: d.ids.seed, IDMillis: d.ids.ms, Base: d.base, SecretKey: d.SecretKey,
		Mix: d.Mix, Pool: d.Pool, GiveUsed: min(d.nextGive.Load(), int64(d.Pool)), WithdrawUsed: min(d.nextWithdraw.Load(), int64(d.Pool)),
		Residents: d.Residents, Consents: d.Consents, ConsentRecords: d.ConsentRecords, LoadTime: d.LoadTime.Milliseconds(),
		Sink: d.Sink, Source: d.Source, Loans: d.Loans, Recommendations: d.Recommendations, OtherPurpose: d.OtherPurpose,
		Processing: d.Processing, OtherProcessing: d.OtherProcessing, SinkToken: d.SinkToken}
	if d.Engine == "postgres" {
		u, err := url.Parse(d.URL)
		if err != nil {
			return err
		}
		m.Schema = u.Query().Get("search_path")
		m.Database = databaseName(d.URL)
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(d.kept, manifestName+".new")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(d.kept, manifestName))
}

// Reuse opens the dataset kept in o.Reuse for o.Engine and o.Records,
// without loading anything. It refuses a dataset made for another engine,
// size or database, naming the field that differs.
func Reuse(ctx context.Context, o LoadOptions) (*Dataset, error) {
	dir := KeptDir(o.Reuse, o.Engine, o.Records)
	b, err := os.ReadFile(filepath.Join(dir, manifestName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("bench: no %s dataset of %s records kept in %s (looked for %s); make one with --keep", o.Engine, sizeName(o.Records), o.Reuse,
			filepath.Join(dir, manifestName))
	} else if err != nil {
		return nil, err
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("bench: %s: %w", filepath.Join(dir, manifestName), err)
	}
	mismatch := func(field string, got, want any) error {
		return fmt.Errorf("bench: the dataset kept in %s does not match: %s is %v there, %v here", dir, field, got, want)
	}
	switch {
	case m.Version != manifestVersion:
		return nil, mismatch("version", m.Version, manifestVersion)
	case m.Engine != o.Engine:
		return nil, mismatch("engine", m.Engine, o.Engine)
	case m.Records != o.Records:
		return nil, mismatch("records", m.Records, o.Records)
	case o.Engine == "postgres" && m.Database != databaseName(o.PostgresURL):
		return nil, mismatch("database", m.Database, databaseName(o.PostgresURL))
	case m.Sink == nil || m.Source == nil || m.Loans == nil || m.Recommendations == nil || m.OtherPurpose == nil || m.Processing == nil ||
		m.Processing.Current() == nil || m.OtherProcessing == nil || m.SinkToken == "" || len(m.SecretKey) == 0:
		return nil, mismatch("catalogue", "incomplete", "complete")
	}
	d := &Dataset{Engine: m.Engine, Records: m.Records, Mix: m.Mix, Pool: m.Pool, SecretKey: m.SecretKey, Residents: m.Residents, Consents: m.Consents,
		ConsentRecords: m.ConsentRecords, LoadTime: time.Duration(m.LoadTime) * time.Millisecond, Sink: m.Sink, Source: m.Source, Loans: m.Loans,
		Recommendations: m.Recommendations, OtherPurpose: m.OtherPurpose, Processing: m.Processing, OtherProcessing: m.OtherProcessing,
		SinkToken: m.SinkToken, ids: idGen{ms: m.IDMillis, seed: m.Seed}, base: m.Base, kept: dir, Reused: true}
	d.nextGive.Store(m.GiveUsed)
	d.nextWithdraw.Store(m.WithdrawUsed)
	switch o.Engine {
	case "sqlite":
		d.URL = "sqlite:" + filepath.Join(dir, "omadata.db")
		if _, err := os.Stat(filepath.Join(dir, "omadata.db")); err != nil {
			return nil, fmt.Errorf("bench: the kept SQLite database: %w", err)
		}
	case "postgres":
		u, err := url.Parse(o.PostgresURL)
		if err != nil {
			return nil, fmt.Errorf("database URL: %w", err)
		}
		q := u.Query()
		q.Set("search_path", m.Schema)
		u.RawQuery = q.Encode()
		d.URL = u.String()
	}
	d.Size = d.size(ctx)
	return d, nil
}

// PoolLeft returns how many residents are left in the give and the
// withdrawal pools.
func (d *Dataset) PoolLeft() (give, withdraw int) {
	return max(0, d.Pool-int(d.nextGive.Load())), max(0, d.Pool-int(d.nextWithdraw.Load()))
}

// databaseName returns a PostgreSQL URL as a manifest records it: without
// its password and search_path, its parameters in order.
func databaseName(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return store.SafeURL(dsn)
	}
	q := u.Query()
	q.Del("search_path")
	u.RawQuery = q.Encode()
	return store.SafeURL(u.String())
}
