// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"time"

	"github.com/omadata/omadata"
)

// candidate is the current published version of one of the sink's
// processings that covers the purpose and every requested data group.
type candidate struct {
	versionID, processingID string
	version                 int
	legalBasis, note        string
}

// factsQuery reads, in one statement, everything judge needs: the
// resident (from the caller's pseudonym, or given), both parties if they
// are approved, how many requested data groups the source holds, and one
// row per candidate processing with the resident's most recent consent on
// it, whether an objection is open for a non-consent basis, and whether a
// restriction is open on it, whatever its basis (Art 18 restricts the
// processing, not one ground of it). A question with no candidate still gives one row, with NULL
// candidate columns. One statement is one round trip on PostgreSQL and one
// read snapshot on both engines. The latest consent's ID is found in the
// materialised x and the consent joined by its key outside it, as in
// consentsQuery.
//
// resident is the first join: by pseudonym (two arguments) or by ID (one).
func factsQuery(resident string, groups int) string {
	in := placeholders(groups)
	return `WITH x AS MATERIALIZED (SELECT r.resident_id AS resident_id, sk.roles AS sink_roles, so.roles AS source_roles,
		(SELECT COUNT(*) FROM data_groups WHERE service_id = ? AND id IN (` + in + `)) AS held,
		v.id AS v_id, v.processing_id AS v_processing, v.version AS v_version, v.legal_basis AS v_basis, v.legal_basis_note AS v_note,
		CASE WHEN v.legal_basis <> '` + omadata.BasisConsent + `' THEN EXISTS (SELECT 1 FROM objections o WHERE o.resident_id = r.resident_id
			AND o.processing_id = v.processing_id AND o.kind = 'objection' AND o.status IN ('pending', 'upheld')) END AS objection,
		CASE WHEN v.id IS NOT NULL THEN EXISTS (SELECT 1 FROM objections o WHERE o.resident_id = r.resident_id
			AND o.processing_id = v.processing_id AND o.kind = 'restriction' AND o.status IN ('pending', 'upheld')) END AS restriction,
		CASE WHEN v.legal_basis = '` + omadata.BasisConsent + `' THEN ` + latestConsent("r.resident_id", "v.processing_id") + ` END AS latest
	FROM (SELECT 1 AS one) one
	LEFT JOIN ` + resident + `
	LEFT JOIN services sk ON sk.id = ? AND sk.status = 'approved'
	LEFT JOIN services so ON so.id = ? AND so.status = 'approved'
	LEFT JOIN (SELECT v.id, v.processing_id, v.version, v.legal_basis, v.legal_basis_note
		FROM processing_versions v JOIN processings p ON p.id = v.processing_id
		WHERE p.service_id = ? AND v.status = 'published' AND v.purpose_id = ?
		AND (v.legal_basis = '` + omadata.BasisConsent + `' OR EXISTS (SELECT 1 FROM processing_version_approvals a WHERE a.version_id = v.id))
		AND (SELECT COUNT(*) FROM processing_version_data_groups g WHERE g.version_id = v.id AND g.data_group_id IN (` + in + `)) = ?
	) v ON r.resident_id IS NOT NULL
	)
	SELECT x.resident_id, x.sink_roles, x.source_roles, x.held, x.v_id, x.v_processing, x.v_version, x.v_basis, x.v_note,
		x.objection, x.restriction, c.id, c.status, c.valid_from, c.valid_until, c.source_ids, cv.version
	FROM x
	LEFT JOIN consents c ON c.id = x.latest
	LEFT JOIN processing_versions cv ON cv.id = c.version_id
	ORDER BY x.v_processing`
}

// latestConsent is a scalar subquery: the ID of the resident's most recent
// consent on the processing, the one decisions rest on. It reads one entry
// of the index consents_latest (resident_id, processing_id, created_at,
// id) from its end, so its cost does not grow with the history; a
// NOT EXISTS over newer consents compared each consent with every newer
// one.
func latestConsent(resident, processing string) string {
	return `(SELECT n.id FROM consents n WHERE n.resident_id = ` + resident + ` AND n.processing_id = ` + processing + `
		ORDER BY n.created_at DESC, n.id DESC LIMIT 1)`
}

const (
	residentByPseudonymJoin = `pseudonyms r ON r.service_id = ? AND r.pseudonym = ?`
	residentByIDJoin        = `(SELECT CAST(? AS TEXT) AS resident_id) r ON 1 = 1`
)

// readFacts resolves the caller's pseudonym and reads the facts of a
// question in one statement. It returns nil facts when the pseudonym names
// nobody (the resident ID in qu is then "").
func readFacts(ctx context.Context, q querier, qu *question, pseudonym string) (*facts, error) {
	return readFactsWith(ctx, q, qu, residentByPseudonymJoin, qu.callerID, pseudonym)
}

// loadFacts reads the facts of a question about a known resident.
func loadFacts(ctx context.Context, q querier, qu *question) (*facts, error) {
	return readFactsWith(ctx, q, qu, residentByIDJoin, qu.residentID)
}

func readFactsWith(ctx context.Context, q querier, qu *question, resident string, residentArgs ...any) (*facts, error) {
	groups := make([]any, len(qu.groups))
	for i, g := range qu.groups {
		groups[i] = g
	}
	args := make([]any, 0, 2*len(groups)+9)
	args = append(append(append(args, qu.sourceID), groups...), residentArgs...)
	args = append(args, qu.sinkID, qu.sourceID, qu.sinkID, qu.purposeID)
	args = append(append(args, groups...), len(groups))
	rows, err := q.query(ctx, factsQuery(resident, len(groups)), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var f *facts
	for rows.Next() {
		var (
			residentID, sinkRoles, sourceRoles sql.NullString
			held                               int
			vID, vProc, vBasis, vNote          sql.NullString
			vVersion, cVersion                 sql.NullInt64
			objection, restriction             sql.NullBool
			cID, cStatus, cSources             sql.NullString
			from, until                        *time.Time
		)
		if err := rows.Scan(&residentID, &sinkRoles, &sourceRoles, &held, &vID, &vProc, &vVersion, &vBasis, &vNote,
			&objection, &restriction, &cID, &cStatus, NullTime{&from}, NullTime{&until}, &cSources, &cVersion); err != nil {
			return nil, err
		}
		if !residentID.Valid {
			continue // the pseudonym names nobody: the one row has nothing else
		}
		if f == nil {
			qu.residentID = residentID.String
			f = &facts{
				partiesOK: hasRole(sinkRoles, omadata.RoleSink) && hasRole(sourceRoles, omadata.RoleSource),
				holder:    held == len(groups),
			}
		}
		if !vID.Valid {
			continue
		}
		cf := &candidateFacts{candidate: &candidate{versionID: vID.String, processingID: vProc.String, version: int(vVersion.Int64),
			legalBasis: vBasis.String, note: vNote.String}}
		if objection.Bool {
			cf.objections = append(cf.objections, "objection")
		}
		if restriction.Bool {
			cf.objections = append(cf.objections, "restriction")
		}
		if cID.Valid {
			c := &consentFacts{id: cID.String, status: cStatus.String, from: from, until: until, version: int(cVersion.Int64)}
			if err := json.Unmarshal([]byte(cSources.String), &c.sources); err != nil {
				return nil, err
			}
			cf.consent = c
		}
		f.cands = append(f.cands, cf)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	if f == nil {
		return nil, nil
	}
	if !f.partiesOK || !f.holder {
		f.cands = nil // judge stops before them
	}
	// A consent on an earlier version needs the chain of versions since
	// (rare: only after a processing publishes a new version).
	for _, cf := range f.cands {
		if c := cf.consent; c != nil && c.status == omadata.ConsentGiven && c.version != cf.version {
			if c.versions, err = versionChain(ctx, q, cf.processingID); err != nil {
				return nil, err
			}
		}
	}
	return f, nil
}

// hasRole reports whether roles, a service's JSON role list (NULL when the
// service is missing or not approved), has role.
func hasRole(roles sql.NullString, role string) bool {
	if !roles.Valid {
		return false
	}
	var rs []string
	if json.Unmarshal([]byte(roles.String), &rs) != nil {
		return false
	}
	return slices.Contains(rs, role)
}
