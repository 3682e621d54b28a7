// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"database/sql"
	"strings"
	"sync/atomic"

	"golang.org/x/mod/sumdb/note"

	"github.com/omadata/omadata"
)

// Store implements omadata's services on a DB. Each method is one
// transaction; the caller in the context decides what is visible.
type Store struct {
	db      *DB
	keyring omadata.Keyring // blind indexes and sealing of personal data
	signer  omadata.Signer  // receipts and grants
	issuer  string          // "iss" of what the operator signs
	prefix  string          // reverse-DNS prefix of event types

	logSigner        note.Signer      // signs the transparency log's checkpoints
	consentCatalogue consentCatalogue // what gives and changes rest on
	cat              catalogueCache   // what decisions read of the catalogue
	creds            credentialCache  // callers of checked service tokens (credential.go)
	relayer          omadata.Relayer  // asks a resident's home operator (network_release.go)
	peerResidents    int              // new residents a peer may name per hour (network_release.go)
	nonces           atomic.Uint64    // peers' nonces spent in decisions' transactions, for pruning
}

// Option configures a Store.
type Option func(*Store)

// WithKeyring gives the store the keys for personal data; without it,
// resident operations fail.
func WithKeyring(k omadata.Keyring) Option { return func(s *Store) { s.keyring = k } }

// WithSigner gives the store the operator's record signing key.
func WithSigner(sg omadata.Signer) Option { return func(s *Store) { s.signer = sg } }

// WithIssuer sets the operator ID put in receipts, grants and events.
func WithIssuer(iss string) Option { return func(s *Store) { s.issuer = iss } }

// WithEventPrefix sets the reverse-DNS prefix of event types.
func WithEventPrefix(p string) Option { return func(s *Store) { s.prefix = p } }

// New returns a Store on db.
func New(db *DB, opts ...Option) *Store {
	s := &Store{db: db, issuer: "omadata", prefix: "fi.omadata"}
	for _, o := range opts {
		o(s)
	}
	return s
}

// DB returns the underlying database.
func (s *Store) DB() *DB { return s.db }

var (
	_ omadata.OrganisationService = (*Store)(nil)
	_ omadata.ServiceRegistry     = (*Store)(nil)
	_ omadata.CredentialService   = (*Store)(nil)
	_ omadata.DataGroupService    = (*Store)(nil)
	_ omadata.PurposeService      = (*Store)(nil)
	_ omadata.ProcessingService   = (*Store)(nil)
	_ omadata.AISystemService     = (*Store)(nil)
)

// Page sizes.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

func pageLimit(n int) int {
	if n <= 0 {
		return DefaultLimit
	} else if n > MaxLimit {
		return MaxLimit
	}
	return n
}

// where collects the conditions and arguments of a query with filters.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return "WHERE " + strings.Join(w.conds, " AND ")
}

// requireAdmin returns EFORBIDDEN unless the caller is an operator admin.
// Services know the catalogue's public records exist, so forbidden, not
// not-found, is the honest answer here.
func requireAdmin(ctx context.Context) error {
	if !omadata.CallerFromContext(ctx).IsAdmin() {
		return omadata.Errorf(omadata.EFORBIDDEN, "Only an operator admin may do this.")
	}
	return nil
}

// requireWrite returns EFORBIDDEN unless the caller may write the catalogue:
// an admin, an organisation admin, or a service whose credential has
// catalogue:write. Each write then finds its target through the caller's
// visibility, so a service or an organisation admin reaches only its own.
func requireWrite(ctx context.Context) error {
	c := omadata.CallerFromContext(ctx)
	if c.IsAdmin() || c.Kind == omadata.CallerOrganisation || c.Kind == omadata.CallerService && c.HasScope(omadata.ScopeCatalogueWrite) {
		return nil
	}
	return omadata.Errorf(omadata.EFORBIDDEN, "This credential may not change the catalogue.")
}

// organisationServices is a subquery of the IDs of the services an
// organisation admin of org looks after: their organisation's and its
// divisions' (a city's admin looks after its divisions' services too).
const organisationServices = `SELECT id FROM services WHERE organisation_id IN (SELECT id FROM organisations WHERE id = ? OR parent_id = ?)`

// page trims rows fetched with limit+1 and returns the next cursor.
func page[T any](rows []T, limit int, id func(T) string) ([]T, string) {
	if len(rows) > limit {
		rows = rows[:limit]
		return rows, id(rows[len(rows)-1])
	}
	return rows, ""
}

// prefixed qualifies a column list with a table alias.
func prefixed(alias, columns string) string {
	cols := strings.Split(columns, ", ")
	for i, c := range cols {
		cols[i] = alias + "." + c
	}
	return strings.Join(cols, ", ")
}

// collect scans every row with scan and closes rows.
func collect[T any](rows *sql.Rows, scan func(interface{ Scan(...any) error }) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func count(ctx context.Context, q querier, query string, args ...any) (int, error) {
	var n int
	err := q.queryRow(ctx, query, args...).Scan(&n)
	return n, err
}

// With returns a new Store on the same database with s's keys, issuer
// and event prefix, and then opts applied: an operator of a test network
// is a store with its own issuer and log origin.
func (s *Store) With(opts ...Option) *Store {
	n := New(s.db, WithKeyring(s.keyring), WithSigner(s.signer), WithIssuer(s.issuer), WithEventPrefix(s.prefix), WithLog(s.logSigner), WithRelayer(s.relayer),
		WithPeerResidentsPerHour(s.peerResidents))
	for _, o := range opts {
		o(n)
	}
	return n
}
