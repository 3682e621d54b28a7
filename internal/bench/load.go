// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/keys"
	"github.com/omadata/omadata/internal/store"
)

// LoadOptions says what database Load prepares.
type LoadOptions struct {
	Engine      string // "sqlite" or "postgres"
	PostgresURL string // postgres: the database in which a fresh schema is made
	Dir         string // sqlite: where the database file goes; os.TempDir() if empty
	Records     int    // consent records in the decision mix
	Pool        int    // residents in each of the two write pools
	Log         io.Writer
	// Keep, if set, is a directory under which the dataset is kept
	// (KeptDir) with a manifest instead of deleted; Reuse is one to run
	// on again without loading.
	Keep, Reuse string
}

// Dataset is a freshly migrated database holding a catalogue made through
// the store and bulk-loaded residents and consents.
//
// Residents are numbered k = 0, 1, … in the order they were loaded. The
// first Mix of them (a multiple of 8) are the decision mix, by k mod 8:
// 0–3 hold a given, valid consent on Processing; 4 one whose window has
// passed while its status is still given (as before the expiry job runs);
// 5 a withdrawn one; 6 a given, valid one but are asked about Other's
// purpose; 7 have pseudonyms and no consent. Then come Pool residents
// without a consent (for giving, W2) and Pool with a given, valid consent
// (for withdrawing, W3). Every resident has a pseudonym of the sink and of
// the source. IDs and pseudonyms are derived from k, so nothing per
// resident is held in memory.
type Dataset struct {
	Engine    string
	URL       string // for store.Open
	SecretKey []byte // the operator secret key the identities are sealed with

	Records, Mix, Pool                  int
	Residents, Consents, ConsentRecords int // rows bulk-loaded
	SetupTime, LoadTime                 time.Duration
	Size                                int64 // bytes on disk after the load, -1 if unknown

	Sink, Source                  *omadata.Service
	Loans                         *omadata.DataGroup
	Recommendations, OtherPurpose *omadata.Purpose
	Processing, OtherProcessing   *omadata.Processing
	SinkToken                     string // a credential of the sink with the decisions scope

	ids          idGen
	notice       *omadata.Notice // the notice the loaded consents were given on
	base         time.Time
	nextGive     atomic.Int64
	nextWithdraw atomic.Int64
	drop         func() error
	kept         string // the directory of a kept dataset's manifest
	// Reused is set when the dataset was loaded by an earlier run.
	Reused bool
}

// Load prepares a Dataset: a fresh database, migrated, with the catalogue
// created through the store API, then the residents and consents written
// directly in large transactions.
func Load(ctx context.Context, o LoadOptions) (*Dataset, error) {
	if o.Records < 8 {
		return nil, fmt.Errorf("bench: at least 8 records")
	}
	d := &Dataset{Engine: o.Engine, Records: o.Records, Pool: o.Pool, SecretKey: make([]byte, keys.SecretKeySize)}
	rand.Read(d.SecretKey)
	// The mix has 7 consents in every 8 residents.
	d.Mix = (o.Records*8/7 + 7) / 8 * 8
	d.ids = newIDGen()
	d.base = time.Now().UTC().Truncate(time.Microsecond)
	logf := func(format string, args ...any) {
		if o.Log != nil {
			fmt.Fprintf(o.Log, format+"\n", args...)
		}
	}
	var err error
	if o.Keep != "" {
		d.kept = KeptDir(o.Keep, o.Engine, o.Records)
		if err := d.keep(d.kept); err != nil {
			return nil, err
		}
	}
	switch o.Engine {
	case "sqlite":
		dir := o.Dir
		if dir == "" {
			dir = os.TempDir()
		}
		if d.kept != "" {
			dir = d.kept
		} else if dir, err = os.MkdirTemp(dir, "omadata-bench-"); err != nil {
			return nil, err
		}
		d.URL = "sqlite:" + filepath.Join(dir, "omadata.db")
		d.drop = func() error { return os.RemoveAll(dir) }
	case "postgres":
		if d.URL, d.drop, err = freshSchema(ctx, o.PostgresURL); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("bench: unknown engine %q", o.Engine)
	}
	start := time.Now()
	if err := d.setup(ctx); err != nil {
		return nil, errors.Join(err, d.Close())
	}
	d.SetupTime = time.Since(start)
	logf("%s: catalogue created through the store in %v", o.Engine, d.SetupTime.Round(time.Millisecond))

	start = time.Now()
	if err := d.bulkLoad(ctx, logf); err != nil {
		return nil, errors.Join(fmt.Errorf("bulk load: %w", err), d.Close())
	}
	d.LoadTime = time.Since(start)
	d.Size = d.size(ctx)
	logf("%s: %d residents, %d consents and %d consent records loaded in %v, %s on disk", o.Engine, d.Residents, d.Consents, d.ConsentRecords,
		d.LoadTime.Round(time.Millisecond), bytesText(d.Size))
	if d.kept != "" {
		if err := d.save(); err != nil {
			return nil, errors.Join(err, d.Close())
		}
		d.drop = nil
	}
	return d, nil
}

// Close deletes the database (the SQLite file or the PostgreSQL schema),
// or, when it is kept, writes its manifest with what the pools have left.
func (d *Dataset) Close() error {
	if d.drop == nil {
		if d.kept != "" {
			return d.save()
		}
		return nil
	}
	err := d.drop()
	d.drop = nil
	return err
}

// size returns the bytes the database takes on disk: the SQLite file, or
// the PostgreSQL schema's tables with their indexes.
func (d *Dataset) size(ctx context.Context) int64 {
	if d.Engine == "sqlite" {
		fi, err := os.Stat(strings.TrimPrefix(d.URL, "sqlite:"))
		if err != nil {
			return -1
		}
		return fi.Size()
	}
	db, err := store.Open(ctx, d.URL)
	if err != nil {
		return -1
	}
	defer db.Close()
	rows, err := db.QueryStrings(ctx, `SELECT SUM(pg_total_relation_size(c.oid)) FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'`)
	if err != nil || len(rows) != 1 {
		return -1
	}
	n, err := strconv.ParseInt(rows[0][0], 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// OpenStore opens the dataset's database as omadata serve does (open,
// migrate, signing key, keyring) and returns the store.
func (d *Dataset) OpenStore(ctx context.Context) (*store.Store, error) {
	db, err := store.Open(ctx, d.URL)
	if err != nil {
		return nil, err
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	kr, err := keys.NewKeyring(d.SecretKey)
	if err != nil {
		db.Close()
		return nil, err
	}
	sealer, err := keys.NewSealer(d.SecretKey)
	if err != nil {
		db.Close()
		return nil, err
	}
	k, err := keys.Ensure(admin(ctx), store.New(db), sealer, omadata.KeyPurposeRecords)
	if err != nil {
		db.Close()
		return nil, err
	}
	signer, err := keys.NewRecordSigner(k, sealer)
	if err != nil {
		db.Close()
		return nil, err
	}
	logSigner, _, err := keys.LogSigner(admin(ctx), store.New(db), sealer, omadata.LogOrigin("https://omadata.bench"))
	if err != nil {
		db.Close()
		return nil, err
	}
	return store.New(db, store.WithKeyring(kr), store.WithSigner(signer), store.WithIssuer("https://omadata.bench"), store.WithLog(logSigner)), nil
}

func admin(ctx context.Context) context.Context {
	return omadata.NewContextWithCaller(ctx, omadata.Caller{Kind: omadata.CallerAdmin, TokenID: "adm_bench"})
}

// setup migrates the database and creates the catalogue through the store.
func (d *Dataset) setup(ctx context.Context) error {
	s, err := d.OpenStore(ctx)
	if err != nil {
		return err
	}
	defer s.DB().Close()
	ctx = admin(ctx)
	city, err := createOrganisation(ctx, s, omadata.OrgCity, "0201256")
	if err != nil {
		return err
	}
	company, err := createOrganisation(ctx, s, omadata.OrgCompany, "2345678")
	if err != nil {
		return err
	}
	if d.Source, err = createService(ctx, s, city.ID, omadata.RoleSource); err != nil {
		return err
	}
	if d.Sink, err = createService(ctx, s, company.ID, omadata.RoleSink); err != nil {
		return err
	}
	d.Loans = &omadata.DataGroup{
		ServiceID: d.Source.ID, Code: "library-loans", Name: text("Library loans"), Description: text("Books you have borrowed."),
		PersonalDataCategories: []string{"pd:ServiceConsumptionBehavior"}, Retention: "P2Y",
	}
	if err := s.CreateDataGroup(ctx, d.Loans); err != nil {
		return err
	}
	purposes, err := s.FindPurposes(ctx)
	if err != nil {
		return err
	}
	for _, p := range purposes {
		switch p.Code {
		case "recommendations":
			d.Recommendations = p
		case "marketing-cooperation":
			d.OtherPurpose = p
		}
	}
	if d.Recommendations == nil || d.OtherPurpose == nil {
		return errors.New("bench: the seeded purposes are missing")
	}
	if d.Processing, err = publish(ctx, s, d.Sink.ID, "recommendations", d.Recommendations.ID, d.Loans.ID); err != nil {
		return err
	}
	if d.OtherProcessing, err = publish(ctx, s, d.Sink.ID, "partner-offers", d.OtherPurpose.ID, d.Loans.ID); err != nil {
		return err
	}
	for _, n := range d.Processing.Current().Notices {
		if n.Language == "fi" {
			d.notice = n
		}
	}
	cred := &omadata.Credential{ServiceID: d.Sink.ID, Name: "bench decisions", Scopes: []string{omadata.ScopeDecisions}}
	if err := s.CreateCredential(ctx, cred); err != nil {
		return err
	}
	d.SinkToken = cred.Token
	return nil
}

func text(s string) omadata.Text { return omadata.Text{"fi": s + " (fi)", "sv": s + " (sv)", "en": s} }

// createOrganisation creates an organisation whose business ID is the
// seven digits with their check digit.
func createOrganisation(ctx context.Context, s *store.Store, kind, digits string) (*omadata.Organisation, error) {
	sum := 0
	for i, w := range []int{7, 9, 10, 5, 8, 4, 2} {
		sum += int(digits[i]-'0') * w
	}
	check := (11 - sum%11) % 11
	o := &omadata.Organisation{
		Kind: kind, Name: text("Bench " + kind), BusinessID: fmt.Sprintf("%s-%d", digits, check),
		Email: "kirjaamo@example.fi", PrivacyPolicyURL: "https://example.fi/tietosuoja",
		Address: omadata.Address{Street: "Pohjoisesplanadi 11-13", PostalCode: "00170", City: "Helsinki", Country: "FI"},
		DPO:     omadata.Contact{Name: "Tietosuojavastaava", Email: "tietosuoja@example.fi"},
	}
	return o, s.CreateOrganisation(ctx, o)
}

func createService(ctx context.Context, s *store.Store, orgID, role string) (*omadata.Service, error) {
	sv := &omadata.Service{
		OrganisationID: orgID, Name: text("Bench " + role), Description: text("A service under load."), Roles: []string{role},
		Endpoints: omadata.ServiceEndpoints{API: "https://api.example.fi/v1", Webhook: "https://api.example.fi/hooks"},
	}
	if err := s.CreateService(ctx, sv); err != nil {
		return nil, err
	}
	return s.SetServiceStatus(ctx, sv.ID, omadata.ServiceApproved)
}

// publish creates a consent-based processing with notices and publishes it.
func publish(ctx context.Context, s *store.Store, sinkID, code, purposeID, groupID string) (*omadata.Processing, error) {
	p, err := s.CreateProcessing(ctx, &omadata.ProcessingDraft{
		ServiceID: sinkID, Code: code, Title: text("Bench " + code), Description: text("Used under load."),
		PurposeID: purposeID, DataGroupIDs: []string{groupID}, LegalBasis: omadata.BasisConsent, Retention: "P1Y",
		Recipients: []omadata.Recipient{{Name: "Bench Oy", Role: omadata.RecipientController}},
	})
	if err != nil {
		return nil, err
	}
	for _, l := range omadata.Languages {
		n := &omadata.Notice{Language: l, Title: "Notice " + l, Body: "What we do with your data, in " + l + "."}
		if _, err := s.PutNotice(ctx, p.ID, 1, n); err != nil {
			return nil, err
		}
	}
	if _, err := s.PublishVersion(ctx, p.ID, 1); err != nil {
		return nil, err
	}
	return s.FindProcessingByID(ctx, p.ID)
}

// safeURL names a database for reports without its password.
func safeURL(u string) string {
	if strings.HasPrefix(u, "sqlite:") {
		return u
	}
	return store.SafeURL(u)
}
