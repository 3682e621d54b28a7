// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/omadata/omadata"
)

// catalogue is an in-memory copy of what decisions read from the catalogue
// (services, data groups, published processing versions) as of one count
// of catalogue_version. A decision uses it only after reading the same
// count in the statement that reads the resident's consents, so it never
// decides on a catalogue older than the database's. Consents are never
// copied: they are read by every decision.
type catalogue struct {
	version  int64
	services map[string][]string // approved services and their roles
	mirrored map[string]bool     // approved services mirrored from a peer
	holders  map[string]string   // data group → the service that holds it
	versions []*publishedVersion // ordered by processing ID
}

// publishedVersion is a published processing version with what makes it a
// candidate for a question.
type publishedVersion struct {
	candidate
	sinkID, purposeID string
	groups            []string
}

// catalogueCache holds the latest catalogue loaded.
type catalogueCache struct {
	mu  sync.Mutex // serialises loads
	cur atomic.Pointer[catalogue]
}

// load reads the committed catalogue in one read snapshot and keeps it
// unless a newer one is kept already.
func (c *catalogueCache) load(ctx context.Context, db *DB) (*catalogue, error) {
	tx, err := db.read.BeginTx(ctx, db.d.snapshot())
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	cat := &catalogue{services: map[string][]string{}, holders: map[string]string{}, mirrored: map[string]bool{}}
	if err := tx.QueryRowContext(ctx, `SELECT n FROM catalogue_version`).Scan(&cat.version); err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, roles, CASE WHEN operator_id IS NULL THEN 0 ELSE 1 END FROM services WHERE status = 'approved'`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id, roles string
		var rs []string
		var mirrored int
		if err := rows.Scan(&id, &roles, &mirrored); err != nil {
			rows.Close()
			return nil, err
		} else if err := json.Unmarshal([]byte(roles), &rs); err != nil {
			rows.Close()
			return nil, err
		}
		cat.services[id] = rs
		cat.mirrored[id] = mirrored == 1
	}
	if err := closeRows(rows); err != nil {
		return nil, err
	}
	if rows, err = tx.QueryContext(ctx, `SELECT id, service_id FROM data_groups`); err != nil {
		return nil, err
	}
	for rows.Next() {
		var id, svc string
		if err := rows.Scan(&id, &svc); err != nil {
			rows.Close()
			return nil, err
		}
		cat.holders[id] = svc
	}
	if err := closeRows(rows); err != nil {
		return nil, err
	}
	if rows, err = tx.QueryContext(ctx, `SELECT v.id, v.processing_id, v.version, v.legal_basis, v.legal_basis_note, p.service_id, v.purpose_id, g.data_group_id
		FROM processing_versions v JOIN processings p ON p.id = v.processing_id
		LEFT JOIN processing_version_data_groups g ON g.version_id = v.id
		WHERE v.status = 'published'
			AND (v.legal_basis = '`+omadata.BasisConsent+`' OR EXISTS (SELECT 1 FROM processing_version_approvals a WHERE a.version_id = v.id))
		ORDER BY v.processing_id, v.id`); err != nil {
		return nil, err
	}
	for rows.Next() {
		var pv publishedVersion
		var group sql.NullString
		if err := rows.Scan(&pv.versionID, &pv.processingID, &pv.version, &pv.legalBasis, &pv.note, &pv.sinkID, &pv.purposeID, &group); err != nil {
			rows.Close()
			return nil, err
		}
		if n := len(cat.versions); n == 0 || cat.versions[n-1].versionID != pv.versionID {
			cat.versions = append(cat.versions, &pv)
		}
		if group.Valid {
			last := cat.versions[len(cat.versions)-1]
			last.groups = append(last.groups, group.String)
		}
	}
	if err := closeRows(rows); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cur := c.cur.Load(); cur != nil && cur.version >= cat.version {
		return cur, nil
	}
	c.cur.Store(cat)
	return cat, nil
}

func closeRows(rows *sql.Rows) error {
	err := rows.Err()
	rows.Close()
	return err
}

// facts returns what the catalogue says about a question: the parties,
// the holder and the candidate processings, as the facts query would.
func (cat *catalogue) facts(qu *question) *facts {
	f := &facts{
		partiesOK: slices.Contains(cat.services[qu.sinkID], omadata.RoleSink) && slices.Contains(cat.services[qu.sourceID], omadata.RoleSource),
		holder:    countIn(qu.groups, func(g string) bool { return cat.holders[g] == qu.sourceID }) == len(qu.groups),
	}
	if !f.partiesOK || !f.holder {
		return f
	}
	for _, pv := range cat.versions {
		if pv.sinkID == qu.sinkID && pv.purposeID == qu.purposeID &&
			countIn(qu.groups, func(g string) bool { return slices.Contains(pv.groups, g) }) == len(qu.groups) {
			f.cands = append(f.cands, &candidateFacts{candidate: &pv.candidate})
		}
	}
	return f
}

// countIn counts the distinct values of list for which ok holds, as a SQL
// COUNT(*) … IN (list) does.
func countIn(list []string, ok func(string) bool) int {
	n := 0
	for i, v := range list {
		if ok(v) && !slices.Contains(list[:i], v) {
			n++
		}
	}
	return n
}

// readFactsCached reads the facts of a question with the catalogue from
// memory: one statement reads the catalogue count, resolves the pseudonym
// and reads the resident's latest consent on each candidate processing.
// When the count is not that of the copy in memory it loads the catalogue
// again, and when the database is still ahead of every committed copy (a
// catalogue change in the same SQLite batch, not yet committed) it reads
// everything from the database. Candidates with a basis other than consent
// are read from the database too.
func (s *Store) readFactsCached(ctx context.Context, q querier, qu *question, pseudonym string) (*facts, error) {
	return s.readFactsCachedWith(ctx, q, qu, residentByPseudonymJoin, qu.callerID, pseudonym)
}

// loadFactsCached is readFactsCached for a question about a known
// resident (a peer's, network.md §5.3), as loadFacts is readFacts.
func (s *Store) loadFactsCached(ctx context.Context, q querier, qu *question) (*facts, error) {
	return s.readFactsCachedWith(ctx, q, qu, residentByIDJoin, qu.residentID)
}

// readFactsCachedWith finds the resident with the join resident and its
// arguments (residentByPseudonymJoin, residentByIDJoin).
func (s *Store) readFactsCachedWith(ctx context.Context, q querier, qu *question, resident string, residentArgs ...any) (*facts, error) {
	// Loading takes a connection of the read pool. Inside a PostgreSQL
	// transaction, which holds one of the same pool, it could wait for
	// ever once every connection is held so; read from the database then.
	tx, inTx := q.(*Tx)
	mayLoad := !inTx || tx.group != nil
	cat := s.cat.cur.Load()
	for attempt := 0; ; attempt++ {
		qu.residentID, qu.residentKey = "", nil
		if attempt > 0 || cat == nil {
			if !mayLoad || attempt > 1 {
				return readFactsWith(ctx, q, qu, resident, residentArgs...)
			}
			var err error
			if cat, err = s.cat.load(ctx, s.db); err != nil {
				return nil, err
			}
		}
		f := cat.facts(qu)
		if slices.ContainsFunc(f.cands, func(cf *candidateFacts) bool { return cf.legalBasis != omadata.BasisConsent }) {
			return readFactsWith(ctx, q, qu, resident, residentArgs...)
		}
		version, ok, err := readConsents(ctx, q, qu, f, resident, residentArgs...)
		if err != nil {
			return nil, err
		} else if version == cat.version {
			if !ok {
				return nil, nil // the pseudonym names nobody
			}
			return f, nil
		}
	}
}

// consentsQuery reads the catalogue count, the resident (the join
// resident, with its arguments) and, for each of n candidate processings (n arguments),
// the resident's latest consent on it. Each latest consent is found by a
// seek to the end of its pair in consents_latest, then joined by its key,
// so the cost does not grow with the history. The IDs are computed in a
// materialised x: in the join condition PostgreSQL would evaluate the
// subquery for every consent (a hash join) instead of using the key.
func consentsQuery(resident string, n int) string {
	k := consentsQueryKey{resident, n}
	if q, ok := consentsQueries.Load(k); ok {
		return q.(string)
	}
	q := buildConsentsQuery(resident, n)
	consentsQueries.Store(k, q)
	return q
}

// consentsQueries holds the text of consentsQuery by its arguments: one of
// two joins, and a number of candidates no larger than the catalogue's
// processings.
var consentsQueries sync.Map

type consentsQueryKey struct {
	resident string
	n        int
}

func buildConsentsQuery(resident string, n int) string {
	latest, candidates := `NULL`, ``
	if n > 0 {
		latest = latestConsent("r.resident_id", "p.column1")
		candidates = `LEFT JOIN (VALUES ` + strings.Repeat(`(CAST(? AS TEXT)), `, n-1) + `(CAST(? AS TEXT))) p ON r.resident_id IS NOT NULL`
	}
	return `WITH x AS MATERIALIZED (SELECT (SELECT n FROM catalogue_version) AS version, r.resident_id AS resident_id, ` + latest + ` AS latest
		FROM (SELECT 1 AS one) one
		LEFT JOIN ` + resident + `
		` + candidates + `)
	SELECT x.version, x.resident_id, k.key_sealed, c.processing_id, c.id, c.status, c.valid_from, c.valid_until, c.source_ids, cv.version
	FROM x
	LEFT JOIN resident_log_keys k ON k.resident_id = x.resident_id
	LEFT JOIN consents c ON c.id = x.latest
	LEFT JOIN processing_versions cv ON cv.id = c.version_id`
}

// readConsents reads the catalogue count, finds the resident (the join
// resident) into qu.residentID and puts the resident's latest consent on
// each candidate of f into it. ok is false when no resident is found.
func readConsents(ctx context.Context, q querier, qu *question, f *facts, resident string, residentArgs ...any) (version int64, ok bool, err error) {
	args := slices.Clone(residentArgs)
	for _, cf := range f.cands {
		args = append(args, cf.processingID)
	}
	rows, err := q.query(ctx, consentsQuery(resident, len(f.cands)), args...)
	if err != nil {
		return 0, false, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			residentID, key, proc, cID, cStatus, cSources sql.NullString
			cVersion                                      sql.NullInt64
			from, until                                   *time.Time
		)
		if err := rows.Scan(&version, &residentID, &key, &proc, &cID, &cStatus, NullTime{&from}, NullTime{&until}, &cSources, &cVersion); err != nil {
			return 0, false, err
		}
		if !residentID.Valid {
			continue
		}
		ok, qu.residentID, qu.residentKey = true, residentID.String, &key.String
		if !cID.Valid {
			continue
		}
		c := &consentFacts{id: cID.String, status: cStatus.String, from: from, until: until, version: int(cVersion.Int64)}
		if err := json.Unmarshal([]byte(cSources.String), &c.sources); err != nil {
			return 0, false, err
		}
		for _, cf := range f.cands {
			if cf.processingID == proc.String {
				cf.consent = c
			}
		}
	}
	if err := rows.Err(); err != nil {
		return 0, false, err
	}
	rows.Close()
	for _, cf := range f.cands {
		if c := cf.consent; c != nil && c.status == omadata.ConsentGiven && c.version != cf.version {
			if c.versions, err = versionChain(ctx, q, cf.processingID); err != nil {
				return 0, false, err
			}
		}
	}
	return version, ok, nil
}
