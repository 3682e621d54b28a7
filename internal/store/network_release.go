// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/omadata/omadata"
)

var _ omadata.NetworkService = (*Store)(nil)

// WithRelayer gives the store what asks a resident's home operator about
// a source mirrored from it (docs/network.md §5.3, §5.4). Without one
// such a question denies with omadata.DenyPeerUnavailable.
func WithRelayer(r omadata.Relayer) Option { return func(s *Store) { s.relayer = r } }

// DefaultPeerResidentsPerHour is how many residents new here one peer's
// consent events may name in an hour (docs/network.md §7).
const DefaultPeerResidentsPerHour = 10000

// WithPeerResidentsPerHour sets how many residents new here one peer's
// consent events may name in an hour; 0 or less keeps the default.
func WithPeerResidentsPerHour(n int) Option { return func(s *Store) { s.peerResidents = n } }

// peerPseudonym returns the pairwise pseudonym of one of our residents
// for a peer operator, issuing it on first use (docs/network.md §1).
func peerPseudonym(ctx context.Context, tx *Tx, operatorID, residentID string) (string, error) {
	const find = `SELECT pseudonym FROM peer_pseudonyms WHERE operator_id = ? AND resident_id = ?`
	var p string
	err := tx.queryRow(ctx, find, operatorID, residentID).Scan(&p)
	if err == nil {
		return p, nil
	} else if !errors.Is(err, sql.ErrNoRows) {
		return "", err
	}
	if _, err := tx.exec(ctx, `INSERT INTO peer_pseudonyms (operator_id, resident_id, pseudonym, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (operator_id, resident_id) DO NOTHING`, operatorID, residentID, omadata.NewID(omadata.PrefixPeerPseudonym), tx.now); err != nil {
		return "", err
	}
	err = tx.queryRow(ctx, find, operatorID, residentID).Scan(&p)
	return p, err
}

// networkConsentEvent returns the write of the consent event a record of
// a consent to a peer's processing sends the sink's operator (docs/
// network.md §5.2), in the record's transaction, issuing the resident's
// pairwise pseudonym for that operator on the first.
func networkConsentEvent(ctx context.Context, tx *Tx, c *consentRow, parts *consentParts, rec *omadata.ConsentRecord, rests omadata.Notice) (writeStmt, error) {
	op := parts.sink.Operator.ID
	ppn, err := peerPseudonym(ctx, tx, op, c.residentID)
	if err != nil {
		return writeStmt{}, err
	}
	notice := omadata.Notice{SHA256: rec.NoticeSHA256, Language: rec.NoticeLanguage}
	if notice.SHA256 == "" {
		notice = rests
	}
	ev := omadata.NetworkConsentEvent{
		ID: omadata.NewID(omadata.PrefixNetworkEvent), Pseudonym: ppn, ProcessingID: c.ProcessingID, Version: c.Version, ConsentID: c.ID,
		Status: rec.Status, NoticeSHA256: notice.SHA256, Language: notice.Language, Time: rec.CreatedAt,
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return writeStmt{}, err
	}
	return writeStmt{query: `INSERT INTO network_outbox (id, operator_id, kind, body, attempts, next_attempt_at, last_error, created_at)
		VALUES (?, ?, ?, ?, 0, ?, '', ?)`, args: []any{ev.ID, op, omadata.NetworkKindConsentEvent, string(body), rec.CreatedAt, rec.CreatedAt}, rows: 1}, nil
}

// ReceiveConsentEvent implements omadata.NetworkService at the sink's
// operator (docs/network.md §5.2).
func (s *Store) ReceiveConsentEvent(ctx context.Context, ev *omadata.NetworkConsentEvent) error {
	c := omadata.CallerFromContext(ctx)
	if err := omadata.AuthorizePeerEvent(c, true); err != nil {
		return err
	} else if err := validConsentEvent(ev); err != nil {
		return err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if n, err := count(ctx, tx, `SELECT COUNT(*) FROM peers WHERE operator_id = ?`, c.OperatorID); err != nil {
		return err
	} else if err := omadata.AuthorizePeerEvent(c, n > 0); err != nil {
		return err
	}
	// The processing is ours, and the version one we published: a consent
	// is given only on the published version; a later change may concern
	// one retired since.
	var versionID, sinkID, vStatus string
	err = tx.queryRow(ctx, `SELECT v.id, p.service_id, v.status FROM processing_versions v JOIN processings p ON p.id = v.processing_id
		JOIN services s ON s.id = p.service_id
		WHERE p.id = ? AND v.version = ? AND s.operator_id IS NULL AND v.status <> 'draft'`, ev.ProcessingID, ev.Version).Scan(&versionID, &sinkID, &vStatus)
	if errors.Is(err, sql.ErrNoRows) {
		if n, err := count(ctx, tx, `SELECT COUNT(*) FROM processings p JOIN services s ON s.id = p.service_id WHERE p.id = ? AND s.operator_id IS NULL`, ev.ProcessingID); err != nil {
			return err
		} else if n == 0 {
			return omadata.Invalidf("processing_id", "No processing of this operator has this ID.")
		}
		return omadata.Invalidf("version", "The processing has no published version %d.", ev.Version)
	} else if err != nil {
		return err
	} else if vStatus != omadata.VersionPublished && ev.Status == omadata.ConsentGiven {
		return omadata.Invalidf("version", "Version %d of the processing is no longer published.", ev.Version)
	}
	var sha string
	if err := tx.queryRow(ctx, `SELECT sha256 FROM notices WHERE version_id = ? AND language = ?`, versionID, ev.Language).Scan(&sha); errors.Is(err, sql.ErrNoRows) {
		return omadata.Invalidf("language", "The version has no notice in %s.", ev.Language)
	} else if err != nil {
		return err
	} else if sha != ev.NoticeSHA256 {
		return omadata.Invalidf("notice_sha256", "This is not the hash of the notice published in %s.", ev.Language)
	}
	if err := claimPeerConsent(ctx, tx, c.OperatorID, ev); err != nil {
		return err
	}
	res, err := tx.exec(ctx, `INSERT INTO network_inbox (id, operator_id, received_at) VALUES (?, ?, ?) ON CONFLICT (operator_id, id) DO NOTHING`,
		ev.ID, c.OperatorID, tx.now)
	if err != nil {
		return err
	} else if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return nil // delivered before: changes nothing
	}
	residentID, err := s.peerResident(ctx, tx, c.OperatorID, ev.Pseudonym)
	if err != nil {
		return err
	}
	psn, err := pseudonym(ctx, tx, sinkID, residentID)
	if err != nil {
		return err
	}
	// The sink hears as of a local consent, under its own pseudonym; the
	// record hash is the home operator's, which it keeps.
	if err := s.enqueue(ctx, tx, statusEvent("", ev.Status), ev.ConsentID, []recipient{{sinkID, &consentEvent{
		ConsentID: ev.ConsentID, ProcessingID: ev.ProcessingID, Pseudonym: psn, Status: ev.Status, Version: ev.Version,
	}}}); err != nil {
		return fmt.Errorf("enqueue consent event: %w", err)
	}
	return tx.Commit()
}

// claimPeerConsent ties the event's consent ID to the operator that sent
// it and the pseudonym it names (docs/network.md §5.2): a consent ID is
// known per (sending operator, pseudonym), its first event must begin a
// consent (requested or given), and every later one must come from the
// same operator about the same pseudonym. Anything else is refused on
// consent_id and creates nothing.
func claimPeerConsent(ctx context.Context, tx *Tx, operatorID string, ev *omadata.NetworkConsentEvent) error {
	var op, ppn string
	err := tx.queryRow(ctx, `SELECT operator_id, pseudonym FROM network_consents WHERE consent_id = ?`, ev.ConsentID).Scan(&op, &ppn)
	switch {
	case err == nil && (op != operatorID || ppn != ev.Pseudonym):
		return omadata.Invalidf("consent_id", "This consent was announced by another operator or for another resident.")
	case err == nil:
		return nil
	case !errors.Is(err, sql.ErrNoRows):
		return err
	case ev.Status != omadata.ConsentGiven && ev.Status != omadata.ConsentRequested:
		return omadata.Invalidf("consent_id", "No consent with this ID was given or requested here; a %s event cannot begin one.", ev.Status)
	}
	_, err = tx.exec(ctx, `INSERT INTO network_consents (consent_id, operator_id, pseudonym, created_at) VALUES (?, ?, ?, ?)`,
		ev.ConsentID, operatorID, ev.Pseudonym, tx.now)
	return err
}

func validConsentEvent(ev *omadata.NetworkConsentEvent) error {
	switch {
	case ev == nil:
		return omadata.Invalidf("body", "Send a consent event.")
	case !omadata.ValidID(omadata.PrefixNetworkEvent, ev.ID):
		return omadata.Invalidf("id", "Not a network event ID.")
	case !omadata.ValidID(omadata.PrefixPeerPseudonym, ev.Pseudonym):
		return omadata.Invalidf("pseudonym", "Not a pairwise pseudonym.")
	case !omadata.ValidID(omadata.PrefixProcessing, ev.ProcessingID):
		return omadata.Invalidf("processing_id", "Not a processing ID.")
	case ev.Version < 1:
		return omadata.Invalidf("version", "Not a version.")
	case !omadata.ValidID(omadata.PrefixConsent, ev.ConsentID):
		return omadata.Invalidf("consent_id", "Not a consent ID.")
	case !validConsentStatus(ev.Status):
		return omadata.Invalidf("status", "Not a consent status.")
	case !validHex(ev.NoticeSHA256, 64):
		return omadata.Invalidf("notice_sha256", "Give the notice's SHA-256 in hex.")
	case !omadata.ValidLanguage(ev.Language):
		return omadata.Invalidf("language", "Use fi, sv or en.")
	case ev.Time.IsZero():
		return omadata.Invalidf("time", "Give the event's time.")
	}
	return nil
}

// peerResident finds or creates the resident a peer (their home operator)
// names by its pairwise pseudonym. Such a resident has no identity code
// here: identity_hash is "peer:" and the resident's random ID, unique and
// derived from nothing about them, and identity_sealed is empty.
//
// peer_pseudonyms holds both directions: the pseudonyms a peer issued us
// for its residents and those we issued it for ours. Only the first kind
// may name the resident of a received event (docs/network.md §5.2): a
// pseudonym we issued, sent back, names a resident of ours, whose consents
// only we record, and is refused on pseudonym.
func (s *Store) peerResident(ctx context.Context, tx *Tx, operatorID, ppn string) (string, error) {
	var id string
	var home sql.NullString
	err := tx.queryRow(ctx, `SELECT pp.resident_id, r.home_operator_id FROM peer_pseudonyms pp JOIN residents r ON r.id = pp.resident_id
		WHERE pp.operator_id = ? AND pp.pseudonym = ?`, operatorID, ppn).Scan(&id, &home)
	if err == nil && home.String != operatorID {
		return "", omadata.Invalidf("pseudonym", "This pseudonym names no resident of your operator.")
	} else if err == nil || !errors.Is(err, sql.ErrNoRows) {
		return id, err
	}
	// A peer names new residents only so fast: past the hour's cap its
	// event is refused as unavailable, which it retries later.
	limit := s.peerResidents
	if limit <= 0 {
		limit = DefaultPeerResidentsPerHour
	}
	if n, err := count(ctx, tx, `SELECT COUNT(*) FROM residents WHERE home_operator_id = ? AND created_at > ?`, operatorID, tx.now.Add(-time.Hour)); err != nil {
		return "", err
	} else if n >= limit {
		return "", omadata.Errorf(omadata.EUNAVAILABLE, "Your operator named %d residents new here in the last hour; send this event again later.", n)
	}
	id = omadata.NewID("res")
	if _, err := tx.exec(ctx, `INSERT INTO residents (id, identity_hash, identity_sealed, name_sealed, birth_date, created_at, updated_at, home_operator_id)
		VALUES (?, ?, '', '', '', ?, ?, ?)`, id, "peer:"+id, tx.now, tx.now, operatorID); err != nil {
		return "", err
	}
	_, err = tx.exec(ctx, `INSERT INTO peer_pseudonyms (operator_id, resident_id, pseudonym, created_at) VALUES (?, ?, ?, ?)`, operatorID, id, ppn, tx.now)
	return id, err
}

// peerQuestion resolves a peer's question at the home operator, after
// omadata.AuthorizePeer, into a question about our resident, with the
// reference to the peer's relay its leaves carry.
func peerQuestion(ctx context.Context, tx *Tx, c omadata.Caller, in *omadata.NetworkQuestion) (*question, *omadata.LeafPeer, error) {
	var f omadata.PeerQuestion
	var sinkOp sql.NullString
	if err := tx.queryRow(ctx, `SELECT operator_id FROM services WHERE id = ?`, in.SinkID).Scan(&sinkOp); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, nil, err
	}
	f.SinkOperatorID = sinkOp.String
	n, err := count(ctx, tx, `SELECT COUNT(*) FROM services WHERE id = ? AND operator_id IS NULL AND roles LIKE '%"source"%'`, in.SourceID)
	if err != nil {
		return nil, nil, err
	}
	f.SourceIsOurs = n > 0
	// Only a pseudonym we issued (to one of our own residents) counts: one
	// a peer issued us for its resident names no resident of ours.
	var residentID string
	err = tx.queryRow(ctx, `SELECT pp.operator_id, pp.resident_id FROM peer_pseudonyms pp JOIN residents r ON r.id = pp.resident_id
		WHERE pp.pseudonym = ? AND r.home_operator_id IS NULL`, in.Pseudonym).Scan(&f.PseudonymPeerID, &residentID)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, nil, err
	}
	if err := omadata.AuthorizePeer(c, f); err != nil {
		return nil, nil, err
	}
	var md omadata.OperatorMetadata
	if err := tx.queryRow(ctx, `SELECT metadata FROM peers WHERE operator_id = ?`, c.OperatorID).Scan(jsonScan{&md}); err != nil {
		return nil, nil, err
	}
	q := &question{callerID: c.OperatorID, sinkID: in.SinkID, sourceID: in.SourceID, residentID: residentID, purposeID: in.PurposeID, groups: in.DataGroupIDs}
	return q, &omadata.LeafPeer{Origin: md.LogOrigin, Record: in.RelayID}, nil
}

func validNetworkQuestion(q *omadata.NetworkQuestion) error {
	switch {
	case q == nil:
		return omadata.Invalidf("body", "Send a question.")
	case !omadata.ValidID(omadata.PrefixService, q.SinkID):
		return omadata.Invalidf("sink_id", "Not a service ID.")
	case !omadata.ValidID(omadata.PrefixService, q.SourceID):
		return omadata.Invalidf("source_id", "Not a service ID.")
	case !omadata.ValidID(omadata.PrefixPeerPseudonym, q.Pseudonym):
		return omadata.Invalidf("pseudonym", "Not a pairwise pseudonym.")
	case !omadata.ValidID(omadata.PrefixPurpose, q.PurposeID):
		return omadata.Invalidf("purpose_id", "Not a purpose ID.")
	case !omadata.ValidID(omadata.PrefixRelay, q.RelayID):
		return omadata.Invalidf("relay_id", "Not a relay ID.")
	case len(q.DataGroupIDs) == 0 || len(q.DataGroupIDs) > 100:
		return omadata.Invalidf("data_group_ids", "Name 1 to 100 data groups.")
	}
	for i, id := range q.DataGroupIDs {
		if !omadata.ValidID(omadata.PrefixDataGroup, id) {
			return omadata.Invalidf("data_group_ids["+strconv.Itoa(i)+"]", "Not a data group ID.")
		}
	}
	return nil
}

// signedRequest returns the verified request of the peer's call, which
// the store keeps as evidence.
func signedRequest(ctx context.Context) (*omadata.SignedRequest, error) {
	r := omadata.SignedRequestFromContext(ctx)
	if r == nil || r.SignatureInput == "" || r.Signature == "" {
		return nil, omadata.Errorf(omadata.EFORBIDDEN, "A peer's question must come as a signed call.")
	}
	return r, nil
}

// keepRequest records the peer's signed request behind our record.
func keepRequest(ctx context.Context, tx *Tx, recordID, operatorID, relayID string, r *omadata.SignedRequest) error {
	_, err := tx.exec(ctx, `INSERT INTO network_requests (record_id, operator_id, relay_id, signature_input, signature, body, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, recordID, operatorID, relayID, r.SignatureInput, r.Signature, string(r.Body), tx.now)
	return err
}

// decidePeer answers one authorized peer question in tx exactly as for a
// local sink: the same evaluation, evidence row and permit leaf, the leaf
// referencing the peer's relay.
func (s *Store) decidePeer(ctx context.Context, tx *Tx, q *question, peer *omadata.LeafPeer) (*omadata.Decision, error) {
	f, err := s.loadFactsCached(ctx, tx, q)
	if err != nil {
		return nil, err
	}
	v := verdictOn(f, q, tx.now)
	d, err := insertDecision(ctx, tx, q, v)
	if err != nil || !v.permit {
		return d, err
	}
	leaf := permitLeaf(q, v, d)
	leaf.peer = peer
	return d, s.appendLog(ctx, tx, leaf)
}

// NetworkDecide implements omadata.NetworkService at the home operator
// (docs/network.md §5.3): one transaction; one refused question refuses
// the call, its field prefixed questions[i].
func (s *Store) NetworkDecide(ctx context.Context, in []*omadata.NetworkQuestion) ([]*omadata.Decision, error) {
	c := omadata.CallerFromContext(ctx)
	if c.Kind != omadata.CallerOperator {
		return nil, omadata.Errorf(omadata.EFORBIDDEN, "Only a peer operator may ask this.")
	} else if len(in) == 0 || len(in) > omadata.MaxBatch {
		return nil, omadata.Invalidf("questions", "Ask 1 to %d questions.", omadata.MaxBatch)
	}
	for i, q := range in {
		if err := validNetworkQuestion(q); err != nil {
			return nil, omadata.WithFieldPrefix(err, "questions["+strconv.Itoa(i)+"]")
		}
	}
	sr, err := signedRequest(ctx)
	if err != nil {
		return nil, err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	out := make([]*omadata.Decision, len(in))
	for i, nq := range in {
		q, peer, err := peerQuestion(ctx, tx, c, nq)
		if err != nil {
			return nil, omadata.WithFieldPrefix(err, "questions["+strconv.Itoa(i)+"]")
		}
		if out[i], err = s.decidePeer(ctx, tx, q, peer); err != nil {
			return nil, err
		} else if err := keepRequest(ctx, tx, out[i].EvidenceID, c.OperatorID, nq.RelayID, sr); err != nil {
			return nil, err
		}
	}
	return out, tx.Commit()
}

// NetworkGrant implements omadata.NetworkService at the home operator
// (docs/network.md §5.4): it decides as for a local sink and on permit
// issues the grant exactly as IssueGrant does, bound to the sink's key,
// for our source, under the source's pseudonym.
func (s *Store) NetworkGrant(ctx context.Context, in *omadata.NetworkGrantInput) (*omadata.Grant, error) {
	c := omadata.CallerFromContext(ctx)
	if c.Kind != omadata.CallerOperator {
		return nil, omadata.Errorf(omadata.EFORBIDDEN, "Only a peer operator may ask this.")
	} else if in == nil {
		return nil, omadata.Invalidf("body", "Send a grant request.")
	} else if err := validNetworkQuestion(&in.NetworkQuestion); err != nil {
		return nil, err
	} else if !omadata.ValidSHA256(in.JKT) {
		return nil, omadata.Invalidf("jkt", "Give the RFC 7638 SHA-256 thumbprint of the sink's key, base64url.")
	} else if s.signer == nil {
		return nil, errors.New("store: no signer configured for grants")
	}
	sr, err := signedRequest(ctx)
	if err != nil {
		return nil, err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	q, peer, err := peerQuestion(ctx, tx, c, &in.NetworkQuestion)
	if err != nil {
		return nil, err
	}
	d, err := s.decidePeer(ctx, tx, q, peer)
	if err != nil {
		return nil, err
	}
	g := &omadata.Grant{Decision: d, SinkID: in.SinkID, SourceID: in.SourceID, DataGroupIDs: in.DataGroupIDs, PurposeID: in.PurposeID}
	record := d.EvidenceID
	if d.Permit() {
		if err := s.issueGrant(ctx, tx, g, q.residentID, in.JKT, peer); err != nil {
			return nil, err
		}
		record = g.ID
	}
	if err := keepRequest(ctx, tx, record, c.OperatorID, in.RelayID, sr); err != nil {
		return nil, err
	}
	return g, tx.Commit()
}

// relayTarget is where a local sink's question goes when its source is
// mirrored from a peer that is the resident's home operator.
type relayTarget struct {
	peer       *omadata.Peer
	residentID string
	ppn        string // the pseudonym the peer issued us for the resident
	// deny is set, and peer nil, for a question about a mirrored source
	// that cannot be relayed (the resident's home is not the source's
	// operator, or the pseudonym names nobody): it denies here for that
	// reason, never with a local decision about a peer's source.
	deny string
}

// findRelayTarget returns the relay target of a sink's question, or nil
// when this operator answers it itself. A source the decisions' catalogue
// knows as one of ours costs no query: local decisions keep their round
// trips. A mirrored source is never decided here (docs/network.md §5.3):
// when its operator is not the resident's home, the target denies with
// omadata.DenyPeerNotHome (omadata.DenyUnknownResident for a pseudonym
// naming nobody).
func (s *Store) findRelayTarget(ctx context.Context, q querier, sinkID, sourceID, sinkPseudonym string) (*relayTarget, error) {
	if cat := s.cat.cur.Load(); cat != nil && cat.services[sourceID] != nil && !cat.mirrored[sourceID] {
		return nil, nil
	}
	var rt relayTarget
	var md omadata.OperatorMetadata
	var rulebook int
	var chainExp time.Time
	err := q.queryRow(ctx, `SELECT ps.resident_id, pp.pseudonym, p.metadata, p.rulebook_version, p.chain_expires_at
		FROM pseudonyms ps JOIN residents r ON r.id = ps.resident_id
		JOIN services src ON src.id = ? AND src.operator_id = r.home_operator_id
		JOIN peer_pseudonyms pp ON pp.operator_id = r.home_operator_id AND pp.resident_id = r.id
		JOIN peers p ON p.operator_id = r.home_operator_id
		WHERE ps.service_id = ? AND ps.pseudonym = ?`, sourceID, sinkID, sinkPseudonym).Scan(&rt.residentID, &rt.ppn, jsonScan{&md}, &rulebook, Time{&chainExp})
	if errors.Is(err, sql.ErrNoRows) {
		return s.unrelayable(ctx, q, sinkID, sourceID, sinkPseudonym)
	} else if err != nil {
		return nil, err
	}
	rt.peer = &omadata.Peer{OperatorMetadata: md, RulebookVersion: rulebook, ChainExpiresAt: chainExp}
	return &rt, nil
}

// unrelayable returns the denying target of a question about a mirrored
// source that cannot be relayed, or nil when the source is not mirrored.
func (s *Store) unrelayable(ctx context.Context, q querier, sinkID, sourceID, sinkPseudonym string) (*relayTarget, error) {
	if mirrored, err := s.isMirrored(ctx, q, sourceID); err != nil || !mirrored {
		return nil, err
	}
	rt := relayTarget{deny: omadata.DenyPeerNotHome}
	err := q.queryRow(ctx, `SELECT resident_id FROM pseudonyms WHERE service_id = ? AND pseudonym = ?`, sinkID, sinkPseudonym).Scan(&rt.residentID)
	if errors.Is(err, sql.ErrNoRows) {
		rt.deny = omadata.DenyUnknownResident
	} else if err != nil {
		return nil, err
	}
	return &rt, nil
}

// relayGrant asks the resident's home operator for the sink's grant
// (docs/network.md §5.4): the DPoP proof is spent first; the call runs
// outside any transaction; then the relay, with the home operator's
// answer verbatim, and on permit a grant.relayed leaf referencing the
// home operator's leaf, commit together. A call that fails, or no
// relayer, denies with omadata.DenyPeerUnavailable and evidence here.
func (s *Store) relayGrant(ctx context.Context, c omadata.Caller, in *omadata.GrantInput, rt *relayTarget) (*omadata.Grant, error) {
	if in.ProofJTI != "" {
		tx, err := s.db.begin(ctx)
		if err != nil {
			return nil, err
		}
		defer tx.Rollback()
		if err := rememberProof(ctx, tx, in.JKT, in.ProofJTI); err != nil {
			return nil, err
		} else if err := tx.Commit(); err != nil {
			return nil, err
		}
	}
	nq := &omadata.NetworkGrantInput{NetworkQuestion: omadata.NetworkQuestion{
		SinkID: c.ServiceID, SourceID: in.SourceID, Pseudonym: rt.ppn, DataGroupIDs: in.DataGroupIDs, PurposeID: in.PurposeID,
		RelayID: omadata.NewID(omadata.PrefixRelay),
	}, JKT: in.JKT}
	var (
		g      *omadata.Grant
		answer string
		leaf   omadata.LeafPeer
		err    error
	)
	reason := omadata.DenyPeerUnavailable
	if rt.deny != "" {
		reason, err = rt.deny, errors.New("not relayable")
	} else if s.relayer == nil {
		err = errors.New("no relayer configured")
	} else {
		g, answer, leaf, err = s.relayer.RelayGrant(ctx, rt.peer, nq)
		if err == nil {
			err = validRelayedGrant(g, &nq.NetworkQuestion)
		}
	}
	tx, txErr := s.db.begin(ctx)
	if txErr != nil {
		return nil, txErr
	}
	defer tx.Rollback()
	if err != nil {
		q := &question{callerID: c.ServiceID, sinkID: c.ServiceID, sourceID: in.SourceID, residentID: rt.residentID, purposeID: in.PurposeID, groups: in.DataGroupIDs}
		d, err := insertDecision(ctx, tx, q, &verdict{reason: reason})
		if err != nil {
			return nil, err
		}
		return &omadata.Grant{Decision: d, SinkID: c.ServiceID, SourceID: in.SourceID, DataGroupIDs: in.DataGroupIDs, PurposeID: in.PurposeID}, tx.Commit()
	}
	record := g.Decision.EvidenceID
	if g.Decision.Permit() {
		record = g.ID
	}
	if err := s.recordRelay(ctx, tx, rt, nq.NetworkQuestion, "grant", g.Decision, record, answer, nil, &leaf, omadata.LeafGrantRelayed); err != nil {
		return nil, err
	}
	return g, tx.Commit()
}

// knownDenyReasons are the reasons a home operator's decision may give
// (omadata's deny reasons; the peer_* ones are the asking operator's own).
var knownDenyReasons = map[string]bool{
	omadata.DenyUnknownResident: true, omadata.DenyServiceInactive: true, omadata.DenySourceNotHolder: true, omadata.DenyNoProcessing: true,
	omadata.DenyNoConsent: true, omadata.DenyConsentNotActive: true, omadata.DenyConsentWithdrawn: true, omadata.DenyConsentRevoked: true,
	omadata.DenyConsentExpired: true, omadata.DenyRenewalRequired: true, omadata.DenySourceNotCovered: true, omadata.DenyObjection: true,
	omadata.DenyRestriction: true,
}

// validRelayedDecision checks a home operator's decision before it is
// recorded or handed to the sink (docs/network.md §5.3): an evidence ID,
// permit with a processing and version, or deny with a known reason.
// Anything else fails the relay as a failed call (peer_unavailable).
func validRelayedDecision(d *omadata.Decision) error {
	switch {
	case d == nil:
		return errors.New("the peer answered no decision")
	case !omadata.ValidID(omadata.PrefixDecision, d.EvidenceID):
		return errors.New("the peer's decision has no valid evidence ID")
	case d.Decision == "permit" && (d.Reason != "" || !omadata.ValidID(omadata.PrefixProcessing, d.ProcessingID) || d.Version < 1):
		return errors.New("the peer's permit names no valid processing and version")
	case d.Decision == "deny" && !knownDenyReasons[d.Reason]:
		return errors.New("the peer's deny gives an unknown reason")
	case d.Decision == "deny" && d.ProcessingID != "" && !omadata.ValidID(omadata.PrefixProcessing, d.ProcessingID):
		return errors.New("the peer's deny names an invalid processing ID")
	case d.Decision != "permit" && d.Decision != "deny":
		return errors.New("the peer's decision is neither permit nor deny")
	}
	return nil
}

// validRelayedGrant checks a home operator's grant as validRelayedDecision
// its decision; a permitted one has a grant ID and a token, for the sink
// and source asked about (docs/network.md §5.4).
func validRelayedGrant(g *omadata.Grant, q *omadata.NetworkQuestion) error {
	if g == nil {
		return errors.New("the peer answered no grant")
	} else if err := validRelayedDecision(g.Decision); err != nil {
		return err
	} else if g.Decision.Permit() && (!omadata.ValidID(omadata.PrefixGrant, g.ID) || g.Token == "" || g.SinkID != q.SinkID || g.SourceID != q.SourceID) {
		return errors.New("the peer's grant has no valid ID or token, or is for another sink or source")
	}
	return nil
}

// recordRelay stores a relayed request with the home operator's answer
// and, on permit, the leaf of kind referencing the home operator's leaf.
func (s *Store) recordRelay(ctx context.Context, tx *Tx, rt *relayTarget, q omadata.NetworkQuestion, kind string, d *omadata.Decision,
	peerRecord, answer string, pre *answerHash, leaf *omadata.LeafPeer, leafKind string) error {
	if _, err := tx.exec(ctx, `INSERT INTO network_relays (id, operator_id, kind, sink_id, source_id, resident_id, purpose_id, data_group_ids,
		decision, reason, peer_record, answer, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		q.RelayID, rt.peer.OperatorID, kind, q.SinkID, q.SourceID, rt.residentID, q.PurposeID, jsonValue{q.DataGroupIDs},
		d.Decision, d.Reason, peerRecord, answer, tx.now); err != nil {
		return err
	}
	if !d.Permit() {
		return nil
	}
	return s.appendLog(ctx, tx, logAppend{
		kind: leafKind, recordKind: omadata.RecordRelay, recordID: q.RelayID,
		recordSHA256: relayDigest(q.RelayID, rt.peer.OperatorID, kind, q.SinkID, q.SourceID, rt.residentID, q.PurposeID, q.DataGroupIDs,
			d.Decision, d.Reason, peerRecord, answer, tx.now, pre),
		processingID: d.ProcessingID, sinkID: q.SinkID, sourceIDs: []string{q.SourceID}, residentID: rt.residentID, peer: leaf,
	})
}

// relayedQuestion is a local sink's decision question relayed to the
// resident's home operator, with its answer once asked.
type relayedQuestion struct {
	rt     *relayTarget
	nq     omadata.NetworkQuestion
	d      *omadata.Decision
	answer string
	pre    *answerHash // of answer, shared by the questions of a call
	err    error
}

func newRelayedQuestion(in omadata.DecisionInput, rt *relayTarget) *relayedQuestion {
	return &relayedQuestion{rt: rt, nq: omadata.NetworkQuestion{SinkID: in.SinkID, SourceID: in.SourceID, Pseudonym: rt.ppn,
		DataGroupIDs: in.DataGroupIDs, PurposeID: in.PurposeID, RelayID: omadata.NewID(omadata.PrefixRelay)}}
}

// askRelayed asks each home operator its questions in one call (docs/
// network.md §5.3), outside any transaction.
func (s *Store) askRelayed(ctx context.Context, qs []*relayedQuestion) {
	byPeer := map[string][]*relayedQuestion{}
	var order []string
	for _, q := range qs {
		if q.rt.deny != "" {
			continue // denies without asking
		}
		if byPeer[q.rt.peer.OperatorID] == nil {
			order = append(order, q.rt.peer.OperatorID)
		}
		byPeer[q.rt.peer.OperatorID] = append(byPeer[q.rt.peer.OperatorID], q)
	}
	for _, op := range order {
		group := byPeer[op]
		in := make([]*omadata.NetworkQuestion, len(group))
		for i, q := range group {
			in[i] = &q.nq
		}
		var ds []*omadata.Decision
		var answer string
		err := errors.New("no relayer configured")
		if s.relayer != nil {
			if ds, answer, err = s.relayer.RelayDecisions(ctx, group[0].rt.peer, in); err == nil && len(ds) != len(in) {
				err = errors.New("relayer answered another number of decisions")
			}
			for i := 0; err == nil && i < len(ds); i++ {
				err = validRelayedDecision(ds[i])
			}
		}
		var pre *answerHash
		if err == nil {
			pre = newAnswerHash(answer)
		}
		for i, q := range group {
			if q.err = err; err == nil {
				q.d, q.answer, q.pre = ds[i], answer, pre
			}
		}
	}
}

// recordRelayed records a relayed question's answer in tx, or on a
// failed call denies with omadata.DenyPeerUnavailable and evidence here.
func (s *Store) recordRelayed(ctx context.Context, tx *Tx, c omadata.Caller, q *relayedQuestion) (*omadata.Decision, error) {
	if q.rt.deny != "" || q.err != nil || q.d == nil {
		local := &question{callerID: c.ServiceID, sinkID: q.nq.SinkID, sourceID: q.nq.SourceID, residentID: q.rt.residentID,
			purposeID: q.nq.PurposeID, groups: q.nq.DataGroupIDs}
		reason := omadata.DenyPeerUnavailable
		if q.rt.deny != "" {
			reason = q.rt.deny
		}
		return insertDecision(ctx, tx, local, &verdict{reason: reason})
	}
	leaf := &omadata.LeafPeer{Origin: q.rt.peer.LogOrigin, Record: q.d.EvidenceID}
	return q.d, s.recordRelay(ctx, tx, q.rt, q.nq, "decision", q.d, q.d.EvidenceID, q.answer, q.pre, leaf, omadata.LeafDecisionRelayed)
}

// relayDecide asks the resident's home operator for one decision of a
// local sink (docs/network.md §5.3), as relayGrant does for a grant.
func (s *Store) relayDecide(ctx context.Context, c omadata.Caller, in omadata.DecisionInput, rt *relayTarget) (*omadata.Decision, error) {
	q := newRelayedQuestion(in, rt)
	s.askRelayed(ctx, []*relayedQuestion{q})
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	d, err := s.recordRelayed(ctx, tx, c, q)
	if err != nil {
		return nil, err
	}
	return d, tx.Commit()
}

// isMirrored reports whether a service is a peer's, from the decisions'
// catalogue when it knows the service (no query on the hot paths), else
// from the database.
func (s *Store) isMirrored(ctx context.Context, q querier, serviceID string) (bool, error) {
	if cat := s.cat.cur.Load(); cat != nil && cat.services[serviceID] != nil {
		return cat.mirrored[serviceID], nil
	}
	var op sql.NullString
	err := q.queryRow(ctx, `SELECT operator_id FROM services WHERE id = ?`, serviceID).Scan(&op)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return op.Valid, err
}

// mirroredCached is isMirrored from the decisions' catalogue alone, for
// the consent writes that build their events before touching the
// database; false for a service it does not know.
func (s *Store) mirroredCached(serviceID string) bool {
	cat := s.cat.cur.Load()
	return cat != nil && cat.mirrored[serviceID]
}
