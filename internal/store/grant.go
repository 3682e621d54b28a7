// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/omadata/omadata"
)

var _ omadata.GrantService = (*Store)(nil)

// dpopProofRetention is how long a DPoP proof's jti is remembered: longer
// than the API accepts a proof (its iat within a minute either way).
const dpopProofRetention = 5 * time.Minute

// IssueGrant decides for the calling sink and, on permit, stores and signs
// a grant bound to the sink's DPoP key. On deny it commits the evidence and
// returns the decision without a token.
func (s *Store) IssueGrant(ctx context.Context, in *omadata.GrantInput) (*omadata.Grant, error) {
	c := omadata.CallerFromContext(ctx)
	if c.Kind != omadata.CallerService || !c.HasScope(omadata.ScopeGrants) {
		return nil, omadata.Errorf(omadata.EFORBIDDEN, "Only a sink with the grants scope may ask for grants.")
	} else if in == nil {
		return nil, omadata.Invalidf("body", "Send a grant request.")
	} else if err := in.Validate(); err != nil {
		return nil, err
	} else if s.signer == nil {
		return nil, errors.New("store: no signer configured for grants")
	}
	// A source mirrored from the resident's home operator: that operator
	// decides and grants (docs/network.md §5.4).
	if rt, err := s.findRelayTarget(ctx, s.db.reader(), c.ServiceID, in.SourceID, in.Pseudonym); err != nil {
		return nil, err
	} else if rt != nil {
		return s.relayGrant(ctx, c, in, rt)
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if in.ProofJTI != "" {
		if err := rememberProof(ctx, tx, in.JKT, in.ProofJTI); err != nil {
			return nil, err
		}
	}
	// The caller is the sink; the decision leaves the same evidence as one
	// asked through Decide.
	d, q, err := s.decideTx(ctx, tx, c, &omadata.DecisionInput{
		SinkID: c.ServiceID, SourceID: in.SourceID, Pseudonym: in.Pseudonym, DataGroupIDs: in.DataGroupIDs, PurposeID: in.PurposeID,
	})
	if err != nil {
		return nil, err
	}
	g := &omadata.Grant{Decision: d, SinkID: c.ServiceID, SourceID: in.SourceID, DataGroupIDs: in.DataGroupIDs, PurposeID: in.PurposeID}
	if !d.Permit() {
		return g, tx.Commit()
	}
	if err := s.issueGrant(ctx, tx, g, q.residentID, in.JKT, nil); err != nil {
		return nil, err
	}
	return g, tx.Commit()
}

// issueGrant stores, logs and signs the grant g of a permitting decision
// about the resident, bound to the key jkt, and tells the source. peer is
// the release's leaf at the sink's operator when the sink is a peer's.
func (s *Store) issueGrant(ctx context.Context, tx *Tx, g *omadata.Grant, residentID, jkt string, peer *omadata.LeafPeer) error {
	d := g.Decision
	sub, err := pseudonym(ctx, tx, g.SourceID, residentID)
	if err != nil {
		return err
	}
	g.ID, g.IssuedAt, g.ExpiresAt = omadata.NewID(omadata.PrefixGrant), tx.now, tx.now.Add(omadata.GrantTTL)
	if _, err := tx.exec(ctx, `INSERT INTO grants (id, decision_id, sink_id, source_id, resident_id, processing_id, purpose_id, data_group_ids,
		consent_id, jkt, issued_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		g.ID, d.EvidenceID, g.SinkID, g.SourceID, residentID, d.ProcessingID, g.PurposeID, jsonValue{g.DataGroupIDs},
		d.Ground.ConsentID, jkt, g.IssuedAt, g.ExpiresAt); err != nil {
		return err
	}
	if err := s.appendLog(ctx, tx, logAppend{
		kind: omadata.LeafGrantIssued, recordKind: omadata.RecordGrant, recordID: g.ID,
		recordSHA256: grantDigest(g.ID, d.EvidenceID, g.SinkID, g.SourceID, residentID, d.ProcessingID, g.PurposeID, g.DataGroupIDs,
			d.Ground.ConsentID, jkt, g.IssuedAt, g.ExpiresAt),
		processingID: d.ProcessingID, sinkID: g.SinkID, sourceIDs: []string{g.SourceID}, residentID: residentID, peer: peer,
	}); err != nil {
		return err
	}
	if g.Token, err = s.signGrant(g, sub, jkt); err != nil {
		return fmt.Errorf("sign grant: %w", err)
	}
	if err := s.enqueue(ctx, tx, omadata.EventGrantIssued, g.ID, []recipient{{g.SourceID, map[string]any{
		"grant_id": g.ID, "pseudonym": sub, "sink_id": g.SinkID, "data_group_ids": g.DataGroupIDs,
		"purpose_id": g.PurposeID, "expires_at": g.ExpiresAt,
	}}}); err != nil {
		return fmt.Errorf("enqueue grant.issued: %w", err)
	}
	return nil
}

// rememberProof records a DPoP proof's jti, or refuses one already seen.
// The row commits with the grant request it came with, so a refused request
// leaves the jti free, and a replay on another instance finds it.
func rememberProof(ctx context.Context, tx *Tx, jkt, jti string) error {
	fresh, err := useProof(ctx, tx, jkt, jti, tx.now.Add(dpopProofRetention))
	if err != nil {
		return err
	} else if !fresh {
		return omadata.Invalidf("DPoP", "This DPoP proof was used before; sign a new proof for every request.")
	}
	return nil
}

// useProof records the DPoP proof of key jkt with jti until the given
// time in tx; false for one recorded before. The one table of proofs seen
// serves grant requests and residents' apps alike.
func useProof(ctx context.Context, tx *Tx, jkt, jti string, until time.Time) (bool, error) {
	if _, err := tx.exec(ctx, `DELETE FROM dpop_proofs WHERE expires_at < ?`, tx.now); err != nil {
		return false, err
	}
	res, err := tx.exec(ctx, `INSERT INTO dpop_proofs (jkt, jti, expires_at) VALUES (?, ?, ?) ON CONFLICT (jkt, jti) DO NOTHING`,
		jkt, jti, until)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// grantRow is a grant as stored.
type grantRow struct {
	id, decisionID, sinkID, sourceID, residentID, processingID, purposeID, consentID string
	groups                                                                           []string
	expiresAt                                                                        time.Time
	revokedAt                                                                        *time.Time
}

// findGrant returns a grant visible to the caller: to its source with the
// transfers scope and to its sink with the grants scope. Anyone else gets
// ENOTFOUND, as for a grant that does not exist.
func findGrant(ctx context.Context, q querier, c omadata.Caller, id string) (*grantRow, error) {
	var parties []string
	args := []any{id}
	if c.Kind == omadata.CallerService && c.HasScope(omadata.ScopeTransfers) {
		parties, args = append(parties, "source_id = ?"), append(args, c.ServiceID)
	}
	if c.Kind == omadata.CallerService && c.HasScope(omadata.ScopeGrants) {
		parties, args = append(parties, "sink_id = ?"), append(args, c.ServiceID)
	}
	if len(parties) == 0 || !omadata.ValidID(omadata.PrefixGrant, id) {
		return nil, omadata.NotFound("Grant")
	}
	var g grantRow
	err := q.queryRow(ctx, `SELECT id, decision_id, sink_id, source_id, resident_id, processing_id, purpose_id, consent_id, data_group_ids, expires_at, revoked_at
		FROM grants WHERE id = ? AND (`+strings.Join(parties, " OR ")+`)`, args...).
		Scan(&g.id, &g.decisionID, &g.sinkID, &g.sourceID, &g.residentID, &g.processingID, &g.purposeID, &g.consentID,
			jsonScan{&g.groups}, Time{&g.expiresAt}, NullTime{&g.revokedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, omadata.NotFound("Grant")
	}
	return &g, err
}

// grantStatus re-decides a grant at now. A grant is active while it is
// neither revoked nor expired and a decision now permits on the same
// ground it was issued on; a new consent means a new grant.
func grantStatus(ctx context.Context, q querier, g *grantRow, now time.Time) (*omadata.GrantStatus, error) {
	switch {
	case g.revokedAt != nil:
		return &omadata.GrantStatus{Reason: omadata.GrantRevoked}, nil
	case !now.Before(g.expiresAt):
		return &omadata.GrantStatus{Reason: omadata.GrantExpired}, nil
	case g.purposeID == omadata.OwnAccessPurposeID:
		// The operator's own-access grant rests on its legal obligation,
		// which no withdrawal ends.
		return &omadata.GrantStatus{Active: true}, nil
	}
	v, err := evaluate(ctx, q, &question{sinkID: g.sinkID, sourceID: g.sourceID, residentID: g.residentID, purposeID: g.purposeID, groups: g.groups}, now)
	switch {
	case err != nil:
		return nil, err
	case !v.permit:
		return &omadata.GrantStatus{Reason: v.reason}, nil
	case v.processingID != g.processingID || v.ground.ConsentID != g.consentID:
		return &omadata.GrantStatus{Reason: omadata.GrantGroundChanged}, nil
	}
	return &omadata.GrantStatus{Active: true}, nil
}

// GrantStatus re-decides a grant now and records nothing.
func (s *Store) GrantStatus(ctx context.Context, grantID string) (*omadata.GrantStatus, error) {
	r := s.db.reader()
	g, err := findGrant(ctx, r, omadata.CallerFromContext(ctx), grantID)
	if err != nil {
		return nil, err
	}
	return grantStatus(ctx, r, g, s.db.Now().UTC())
}

// RecordTransfer records a release by the grant's source while the grant
// is active, and tells the sink.
func (s *Store) RecordTransfer(ctx context.Context, in *omadata.TransferInput) (*omadata.Transfer, error) {
	c := omadata.CallerFromContext(ctx)
	if c.Kind != omadata.CallerService || !c.HasScope(omadata.ScopeTransfers) {
		return nil, omadata.Errorf(omadata.EFORBIDDEN, "Only a source with the transfers scope may record transfers.")
	} else if in == nil {
		return nil, omadata.Invalidf("body", "Send a transfer.")
	} else if err := in.Validate(); err != nil {
		return nil, err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	g, err := findGrant(ctx, tx, c, in.GrantID)
	if err != nil {
		return nil, err
	} else if g.sourceID != c.ServiceID {
		return nil, omadata.Errorf(omadata.EFORBIDDEN, "Only the grant's source records its transfers.")
	}
	for _, id := range in.DataGroupIDs {
		if !slices.Contains(g.groups, id) {
			return nil, omadata.Invalidf("data_group_ids", "Data group %s is not in the grant.", id)
		}
	}
	st, err := grantStatus(ctx, tx, g, tx.now)
	if err != nil {
		return nil, err
	} else if !st.Active {
		return nil, omadata.Conflictf("grant_id", "The grant is no longer active (%s).", st.Reason)
	}
	t := &omadata.Transfer{ID: omadata.NewID(omadata.PrefixTransfer), GrantID: g.id, DecisionID: g.decisionID, SinkID: g.sinkID,
		SourceID: g.sourceID, DataGroupIDs: in.DataGroupIDs, TransferredAt: tx.now}
	if _, err := tx.exec(ctx, `INSERT INTO transfers (id, grant_id, decision_id, sink_id, source_id, resident_id, data_group_ids, x_road_id,
		x_road_request_hash, transferred_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.GrantID, t.DecisionID, t.SinkID, t.SourceID, g.residentID, jsonValue{t.DataGroupIDs}, in.XRoadID, in.XRoadRequestHash,
		t.TransferredAt); err != nil {
		return nil, err
	}
	if err := s.appendLog(ctx, tx, logAppend{
		kind: omadata.LeafTransferRecorded, recordKind: omadata.RecordTransfer, recordID: t.ID,
		recordSHA256: transferDigest(t.ID, t.GrantID, t.DecisionID, t.SinkID, t.SourceID, g.residentID, t.DataGroupIDs,
			in.XRoadID, in.XRoadRequestHash, t.TransferredAt),
		processingID: g.processingID, sinkID: g.sinkID, sourceIDs: []string{g.sourceID}, residentID: g.residentID,
	}); err != nil {
		return nil, err
	}
	sinkPseudonym, err := pseudonym(ctx, tx, g.sinkID, g.residentID)
	if err != nil {
		return nil, err
	}
	if err := s.enqueue(ctx, tx, omadata.EventReleaseRecorded, t.ID, []recipient{{g.sinkID, map[string]any{
		"transfer_id": t.ID, "grant_id": g.id, "pseudonym": sinkPseudonym, "source_id": g.sourceID,
		"data_group_ids": t.DataGroupIDs, "transferred_at": t.TransferredAt,
	}}}); err != nil {
		return nil, fmt.Errorf("enqueue release.recorded: %w", err)
	}
	return t, tx.Commit()
}
