// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/omadata/omadata"
)

var _ omadata.OwnAccessService = (*Store)(nil)

// ownAccessCaller is the caller ID of the decisions the operator makes for
// itself: no service asked them.
const ownAccessCaller = "operator"

// ownAccessNote is the statute a resident's own access rests on, beside
// the operator's legal obligation (Art 6(1)(c)).
const ownAccessNote = "GDPR Art 15 and 20"

// FindOwnDataGroups implements omadata.OwnAccessService.
func (s *Store) FindOwnDataGroups(ctx context.Context, residentID string) ([]*omadata.OwnDataGroup, error) {
	r := s.db.reader()
	ids, err := ownDataGroupIDs(ctx, r, residentID, "", s.db.Now())
	if err != nil {
		return nil, err
	}
	out := make([]*omadata.OwnDataGroup, 0, len(ids))
	services := map[string]*omadata.OwnDataGroup{}
	for _, id := range ids {
		g, err := findDataGroupByID(ctx, r, id)
		if err != nil {
			return nil, err
		}
		og := &omadata.OwnDataGroup{DataGroup: g, LegalGround: g.LegalBasis}
		if seen := services[g.ServiceID]; seen != nil {
			og.Service, og.Controller = seen.Service, seen.Controller
		} else {
			if og.Service, err = findServiceByID(ctx, r, g.ServiceID); err != nil {
				return nil, err
			}
			org, err := findOrganisationByID(ctx, r, og.Service.OrganisationID)
			if err != nil {
				return nil, err
			}
			og.Controller = org.Name.In("fi")
			services[g.ServiceID] = og
		}
		out = append(out, og)
	}
	return out, nil
}

// ownDataGroupIDs returns the data groups (only dataGroupID, if given) of
// the approved sources that know residentID by a pseudonym, as far as the
// caller may see them: a resident their own, a representative those
// Authority.Allows(RepOwnData, purpose) for the purpose of a published
// processing using the group. Anyone else, or a resident the caller does
// not represent, gets ENOTFOUND.
func ownDataGroupIDs(ctx context.Context, q querier, residentID, dataGroupID string, now time.Time) ([]string, error) {
	c := omadata.CallerFromContext(ctx)
	if c.Kind != omadata.CallerResident {
		return nil, omadata.NotFound("Resident")
	}
	scope := omadata.RepresentationScope{AllPurposes: true}
	if c.ResidentID != residentID {
		a, err := authorityOver(ctx, q, c.ResidentID, residentID, now)
		if err != nil {
			return nil, err
		}
		scope = allowedScope(a, omadata.RepOwnData)
	}
	w := &where{}
	w.add("p.resident_id = ?", residentID)
	w.add("sv.status = 'approved'")
	w.add(`sv.roles LIKE '%"source"%'`)
	if dataGroupID != "" {
		w.add("dg.id = ?", dataGroupID)
	}
	if !scope.AllPurposes {
		cond, codes := scopeCondition(scope, "pu.code")
		w.add(`dg.id IN (SELECT vg.data_group_id FROM processing_version_data_groups vg
			JOIN processing_versions pv ON pv.id = vg.version_id JOIN purposes pu ON pu.id = pv.purpose_id
			WHERE pv.status = 'published' AND `+cond+`)`, codes...)
	}
	rows, err := q.query(ctx, `SELECT dg.id FROM pseudonyms p JOIN services sv ON sv.id = p.service_id
		JOIN data_groups dg ON dg.service_id = sv.id `+w.String()+` ORDER BY sv.id, dg.code`, w.args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(row interface{ Scan(...any) error }) (string, error) {
		var id string
		return id, row.Scan(&id)
	})
}

// IssueOwnAccessGrant implements omadata.OwnAccessService: in one
// transaction a permitting decision on the statutory ground and a grant
// to the source of the group, both logged, signed for the operator's own
// DPoP key jkt.
func (s *Store) IssueOwnAccessGrant(ctx context.Context, residentID, dataGroupID, jkt string) (*omadata.OwnAccessGrant, error) {
	if !omadata.ValidID(omadata.PrefixDataGroup, dataGroupID) {
		return nil, omadata.NotFound("Data group")
	} else if len(jkt) != 43 {
		return nil, omadata.Invalidf("jkt", "Not a key thumbprint.")
	} else if s.signer == nil {
		return nil, errors.New("store: no signer configured for grants")
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	ids, err := ownDataGroupIDs(ctx, tx, residentID, dataGroupID, tx.now)
	if err != nil {
		return nil, err
	} else if len(ids) == 0 {
		return nil, omadata.NotFound("Data group")
	}
	dg, err := findDataGroupByID(ctx, tx, dataGroupID)
	if err != nil {
		return nil, err
	}
	sv, err := findServiceByID(ctx, tx, dg.ServiceID)
	if err != nil {
		return nil, err
	}
	sub, err := pseudonym(ctx, tx, sv.ID, residentID)
	if err != nil {
		return nil, err
	}
	groups := []string{dg.ID}
	q := &question{callerID: ownAccessCaller, sinkID: sv.ID, sourceID: sv.ID, residentID: residentID,
		purposeID: omadata.OwnAccessPurposeID, groups: groups}
	v := &verdict{permit: true, legalBasis: omadata.BasisLegalObligation, ground: &omadata.Ground{
		Kind: "legal_basis", LegalBasis: omadata.BasisLegalObligation, LegalBasisIRI: omadata.LegalBasisIRI(omadata.BasisLegalObligation),
		Note: ownAccessNote,
	}}
	d, err := insertDecision(ctx, tx, q, v)
	if err != nil {
		return nil, err
	} else if err := s.appendLog(ctx, tx, permitLeaf(q, v, d)); err != nil {
		return nil, err
	}
	g := &omadata.Grant{Decision: d, SinkID: sv.ID, SourceID: sv.ID, DataGroupIDs: groups, PurposeID: omadata.OwnAccessPurposeID,
		ID: omadata.NewID(omadata.PrefixGrant), IssuedAt: tx.now, ExpiresAt: tx.now.Add(omadata.GrantTTL)}
	if _, err := tx.exec(ctx, `INSERT INTO grants (id, decision_id, sink_id, source_id, resident_id, processing_id, purpose_id, data_group_ids,
		consent_id, jkt, issued_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		g.ID, d.EvidenceID, g.SinkID, g.SourceID, residentID, "", g.PurposeID, jsonValue{groups}, "", jkt, g.IssuedAt, g.ExpiresAt); err != nil {
		return nil, err
	}
	if err := s.appendLog(ctx, tx, logAppend{
		kind: omadata.LeafGrantIssued, recordKind: omadata.RecordGrant, recordID: g.ID,
		recordSHA256: grantDigest(g.ID, d.EvidenceID, g.SinkID, g.SourceID, residentID, "", g.PurposeID, groups, "", jkt, g.IssuedAt, g.ExpiresAt),
		sinkID:       g.SinkID, sourceIDs: []string{g.SourceID}, residentID: residentID,
	}); err != nil {
		return nil, err
	}
	if g.Token, err = s.signGrant(g, sub, jkt); err != nil {
		return nil, fmt.Errorf("sign grant: %w", err)
	}
	return &omadata.OwnAccessGrant{Grant: g, Source: sv, DataGroup: dg}, tx.Commit()
}

// RecordOwnAccess implements omadata.OwnAccessService: the transfer of
// an own-access grant's data to the resident, logged. No webhook goes
// out: no other service took part.
func (s *Store) RecordOwnAccess(ctx context.Context, grantID string) (*omadata.Transfer, error) {
	if !omadata.ValidID(omadata.PrefixGrant, grantID) {
		return nil, omadata.NotFound("Grant")
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var g grantRow
	err = tx.queryRow(ctx, `SELECT id, decision_id, sink_id, source_id, resident_id, data_group_ids, expires_at FROM grants
		WHERE id = ? AND purpose_id = ? AND revoked_at IS NULL`, grantID, omadata.OwnAccessPurposeID).
		Scan(&g.id, &g.decisionID, &g.sinkID, &g.sourceID, &g.residentID, jsonScan{&g.groups}, Time{&g.expiresAt})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, omadata.NotFound("Grant")
	} else if err != nil {
		return nil, err
	}
	// The caller must see the grant's group of the grant's resident now.
	for _, id := range g.groups {
		ids, err := ownDataGroupIDs(ctx, tx, g.residentID, id, tx.now)
		if omadata.ErrorCode(err) == omadata.ENOTFOUND || err == nil && !slices.Contains(ids, id) {
			return nil, omadata.NotFound("Grant")
		} else if err != nil {
			return nil, err
		}
	}
	if !tx.now.Before(g.expiresAt) {
		return nil, omadata.Conflictf("grant_id", "The grant has expired.")
	}
	t := &omadata.Transfer{ID: omadata.NewID(omadata.PrefixTransfer), GrantID: g.id, DecisionID: g.decisionID, SinkID: g.sinkID,
		SourceID: g.sourceID, DataGroupIDs: g.groups, TransferredAt: tx.now}
	if _, err := tx.exec(ctx, `INSERT INTO transfers (id, grant_id, decision_id, sink_id, source_id, resident_id, data_group_ids, x_road_id,
		x_road_request_hash, transferred_at) VALUES (?, ?, ?, ?, ?, ?, ?, '', '', ?)`,
		t.ID, t.GrantID, t.DecisionID, t.SinkID, t.SourceID, g.residentID, jsonValue{t.DataGroupIDs}, t.TransferredAt); err != nil {
		return nil, err
	}
	if err := s.appendLog(ctx, tx, logAppend{
		kind: omadata.LeafTransferRecorded, recordKind: omadata.RecordTransfer, recordID: t.ID,
		recordSHA256: transferDigest(t.ID, t.GrantID, t.DecisionID, t.SinkID, t.SourceID, g.residentID, t.DataGroupIDs, "", "", t.TransferredAt),
		sinkID:       g.sinkID, sourceIDs: []string{g.sourceID}, residentID: g.residentID,
	}); err != nil {
		return nil, err
	}
	return t, tx.Commit()
}
