// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/phase"
)

var _ omadata.DecisionService = (*Store)(nil)

// question is a validated decision input, with both parties named and the
// resident resolved ("" when the caller's pseudonym is unknown).
type question struct {
	callerID, sinkID, sourceID, residentID, purposeID string
	groups                                            []string
	// residentKey is the resident's sealed log key when the facts were
	// read with it ("" if they have none yet), else nil.
	residentKey *string
}

// verdict is the outcome of evaluating a question. consentID and
// legalBasis go into the evidence on deny too; only a permit shows them.
type verdict struct {
	permit                  bool
	reason                  string
	ground                  *omadata.Ground
	processingID, versionID string
	version                 int
	consentID, legalBasis   string
}

// Decide answers one question and commits its evidence before returning.
func (s *Store) Decide(ctx context.Context, in *omadata.DecisionInput) (*omadata.Decision, error) {
	c, err := decisionCaller(ctx)
	if err != nil {
		return nil, err
	} else if in == nil {
		return nil, omadata.Invalidf("body", "Send a question.")
	} else if err := in.Validate(); err != nil {
		return nil, err
	}
	// A sink's question about a source mirrored from the resident's home
	// operator: that operator decides (docs/network.md §5.3).
	if p, err := parties(c, in); err == nil && p.SinkID == c.ServiceID {
		if rt, err := s.findRelayTarget(ctx, s.db.reader(), p.SinkID, p.SourceID, p.Pseudonym); err != nil {
			return nil, err
		} else if rt != nil {
			return s.relayDecide(ctx, c, p, rt)
		}
	}
	phase.Mark(ctx, phase.Query) // the relay lookup
	if !s.db.readsBeside() {
		tx, err := s.db.begin(ctx)
		if err != nil {
			return nil, err
		}
		defer tx.Rollback()
		phase.Mark(ctx, phase.Write) // waiting for the writer
		d, _, err := s.decideTx(ctx, tx, c, in)
		if err != nil {
			return nil, err
		}
		err = tx.Commit()
		phase.Mark(ctx, phase.Write)
		return d, err
	}
	p, err := parties(c, in)
	if err != nil {
		return nil, err
	}
	// The facts are read as committed when the question arrives, then the
	// evidence is written as a transaction of one statement, synced before
	// the answer: a withdrawal acknowledged before this call began is in
	// what it reads. On PostgreSQL that makes a decision three round trips
	// (credential, facts, evidence) instead of nine.
	now := s.db.now()
	q := &question{callerID: c.ServiceID, sinkID: p.SinkID, sourceID: p.SourceID, purposeID: p.PurposeID, groups: p.DataGroupIDs}
	f, err := s.readFactsCached(ctx, s.db.reader(), q, p.Pseudonym)
	if err != nil {
		return nil, err
	}
	phase.Mark(ctx, phase.Query)
	v := verdictOn(f, q, now)
	d, args := evidence(q, v, now)
	if !v.permit {
		if err := s.db.execOne(ctx, insertEvidence, args...); err != nil {
			return nil, err
		}
		phase.Mark(ctx, phase.Write)
		return d, nil
	}
	// A permit's evidence and its log leaf commit together, in one round
	// trip and the COMMIT.
	a := permitLeaf(q, v, d)
	for attempt := 0; ; attempt++ {
		leaf, err := s.logStatements(ctx, s.db.reader(), a, now)
		if err != nil {
			return nil, err
		}
		phase.Mark(ctx, phase.Leaf)
		intent := s.db.expectWrite()
		err = s.db.writeAhead(ctx, now, intent, append([]writeStmt{{query: insertEvidence, args: args, rows: 1, checked: true}}, leaf...))
		intent.cancel()
		if errors.Is(err, errLogKeyRace) && attempt == 0 {
			// Another write made the resident's first log key meanwhile
			// (PostgreSQL, where the facts are read beside the writer):
			// nothing of this one was written; again, with that key.
			a.residentKey = nil
			continue
		} else if err != nil {
			return nil, err
		}
		phase.Mark(ctx, phase.Write)
		return d, nil
	}
}

// DecideBatch answers up to omadata.MaxBatch questions in one transaction.
func (s *Store) DecideBatch(ctx context.Context, in []*omadata.DecisionInput) ([]*omadata.Decision, error) {
	c, err := decisionCaller(ctx)
	if err != nil {
		return nil, err
	} else if err := omadata.ValidateBatch(in); err != nil {
		return nil, err
	}
	// Refuse a question about other parties before anything is written.
	// A sink's questions about sources mirrored from the resident's home
	// operator go there, before the transaction (docs/network.md §5.3).
	relayed := map[int]*relayedQuestion{}
	var asks []*relayedQuestion
	for i, q := range in {
		p, err := parties(c, q)
		if err != nil {
			return nil, omadata.WithFieldPrefix(err, "requests["+strconv.Itoa(i)+"]")
		} else if p.SinkID != c.ServiceID {
			continue
		}
		if rt, err := s.findRelayTarget(ctx, s.db.reader(), p.SinkID, p.SourceID, p.Pseudonym); err != nil {
			return nil, err
		} else if rt != nil {
			relayed[i] = newRelayedQuestion(p, rt)
			asks = append(asks, relayed[i])
		}
	}
	s.askRelayed(ctx, asks)
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	out := make([]*omadata.Decision, len(in))
	for i, q := range in {
		if r := relayed[i]; r != nil {
			out[i], err = s.recordRelayed(ctx, tx, c, r)
		} else {
			out[i], _, err = s.decideTx(ctx, tx, c, q)
		}
		if err != nil {
			return nil, err
		}
	}
	return out, tx.Commit()
}

// decisionCaller returns the caller if it is a service with the decisions
// scope.
func decisionCaller(ctx context.Context) (omadata.Caller, error) {
	c := omadata.CallerFromContext(ctx)
	if c.Kind != omadata.CallerService || !c.HasScope(omadata.ScopeDecisions) {
		return c, omadata.Errorf(omadata.EFORBIDDEN, "Only a service with the decisions scope may ask for release decisions.")
	}
	return c, nil
}

// parties fills in the caller as sink or source and checks that the caller
// is one of them.
func parties(c omadata.Caller, in *omadata.DecisionInput) (omadata.DecisionInput, error) {
	q := *in
	switch {
	case q.SinkID == "" && q.SourceID == "":
		return q, omadata.Invalidf("source_id", "Name the source, or the sink when you are the source.")
	case q.SinkID == "":
		q.SinkID = c.ServiceID
	case q.SourceID == "":
		q.SourceID = c.ServiceID
	}
	if q.SinkID != c.ServiceID && q.SourceID != c.ServiceID {
		return q, omadata.Errorf(omadata.EFORBIDDEN, "You may ask only about releases to or from your own service.")
	}
	return q, nil
}

// decideTx answers one validated question in tx and writes its evidence.
// It returns the verdict too, for grants.
func (s *Store) decideTx(ctx context.Context, tx *Tx, c omadata.Caller, in *omadata.DecisionInput) (*omadata.Decision, *question, error) {
	p, err := parties(c, in)
	if err != nil {
		return nil, nil, err
	}
	q := &question{callerID: c.ServiceID, sinkID: p.SinkID, sourceID: p.SourceID, purposeID: p.PurposeID, groups: p.DataGroupIDs}
	f, err := s.readFactsCached(ctx, tx, q, p.Pseudonym)
	if err != nil {
		return nil, nil, err
	}
	phase.Mark(ctx, phase.Query)
	v := verdictOn(f, q, tx.now)
	d, err := insertDecision(ctx, tx, q, v)
	if err != nil || !v.permit {
		phase.Mark(ctx, phase.Leaf)
		return d, q, err
	}
	err = s.appendLog(ctx, tx, permitLeaf(q, v, d))
	phase.Mark(ctx, phase.Leaf)
	return d, q, err
}

// permitLeaf is the log leaf of a permitting decision.
func permitLeaf(q *question, v *verdict, d *omadata.Decision) logAppend {
	return logAppend{
		kind: omadata.LeafDecisionPermit, recordKind: omadata.RecordDecision, recordID: d.EvidenceID,
		recordSHA256: decisionDigest(d.EvidenceID, d.DecidedAt, q.callerID, q.sinkID, q.sourceID, q.residentID, q.purposeID, q.groups,
			v.processingID, v.versionID, v.permit, v.consentID, v.legalBasis, d.Reason),
		processingID: v.processingID, sinkID: q.sinkID, sourceIDs: []string{q.sourceID}, residentID: q.residentID,
		residentKey: q.residentKey,
	}
}

// insertDecision stores the evidence of a verdict in tx and returns the
// answer.
func insertDecision(ctx context.Context, tx *Tx, q *question, v *verdict) (*omadata.Decision, error) {
	d, args := evidence(q, v, tx.now)
	if _, err := tx.exec(ctx, insertEvidence, args...); err != nil {
		return nil, err
	}
	return d, nil
}

const insertEvidence = `INSERT INTO decisions (id, decided_at, caller_id, sink_id, source_id, resident_id, purpose_id, data_group_ids,
	processing_id, version_id, permit, consent_id, legal_basis, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// evidence returns the answer to a verdict and the arguments of its
// evidence row.
func evidence(q *question, v *verdict, now time.Time) (*omadata.Decision, []any) {
	d := &omadata.Decision{
		EvidenceID: omadata.NewID(omadata.PrefixDecision), Decision: "deny", Reason: v.reason,
		ProcessingID: v.processingID, Version: v.version, DecidedAt: now,
	}
	if v.permit {
		d.Decision, d.Reason, d.Ground = "permit", "", v.ground
	}
	return d, []any{d.EvidenceID, now, q.callerID, q.sinkID, q.sourceID, q.residentID, q.purposeID, jsonValue{q.groups},
		v.processingID, v.versionID, v.permit, v.consentID, v.legalBasis, d.Reason}
}

// evaluate answers a question about a known resident at now, deny by
// default: the first failing check wins. It reads only, so GrantStatus
// can run it outside a write transaction.
func evaluate(ctx context.Context, q querier, qu *question, now time.Time) (*verdict, error) {
	f, err := loadFacts(ctx, q, qu)
	if err != nil {
		return nil, err
	}
	return judge(f, qu, now), nil
}

// verdictOn judges read facts; nil facts mean the caller's pseudonym names
// nobody.
func verdictOn(f *facts, qu *question, now time.Time) *verdict {
	if f == nil {
		return &verdict{reason: omadata.DenyUnknownResident}
	}
	return judge(f, qu, now)
}

// facts are the stored rows a decision rests on. loadFacts reads them,
// stopping where a check already denies; judge decides on them alone.
type facts struct {
	partiesOK bool // the sink is an approved sink, the source an approved source
	holder    bool // the source holds every requested data group
	cands     []*candidateFacts
}

// candidateFacts are a candidate processing with what decides on it: the
// open objections of a non-consent basis, the open restrictions of any,
// and the resident's most recent consent.
type candidateFacts struct {
	*candidate
	objections []string
	consent    *consentFacts // nil: no consent
}

// consentFacts are the resident's most recent consent on a processing.
// versions is loaded only when the consent is on another version than the
// candidate's.
type consentFacts struct {
	id, status  string
	from, until *time.Time
	sources     []string
	version     int
	versions    []*omadata.ProcessingVersion
}

// judge decides on loaded facts at now, without the database: deny by
// default, the first failing check wins. With several candidates a
// consent is the preferred ground, then a recorded legal basis; a deny
// gives the reason of the candidate that came closest to permitting.
func judge(f *facts, qu *question, now time.Time) *verdict {
	switch {
	case !f.partiesOK:
		return &verdict{reason: omadata.DenyServiceInactive}
	case !f.holder:
		return &verdict{reason: omadata.DenySourceNotHolder}
	case len(f.cands) == 0:
		return &verdict{reason: omadata.DenyNoProcessing}
	}
	var permit, deny *verdict
	for _, cf := range f.cands {
		v := judgeCandidate(cf, qu, now)
		switch {
		case v.permit && v.ground.Kind == "consent":
			return v // a consent is the preferred ground
		case v.permit:
			if permit == nil {
				permit = v
			}
		case deny == nil || specificity[v.reason] > specificity[deny.reason]:
			deny = v
		}
	}
	if permit != nil {
		return permit
	}
	return deny
}

// specificity ranks deny reasons of candidate processings by how far the
// evaluation got: with several candidates, the caller hears the reason of
// the one that came closest to permitting.
var specificity = map[string]int{
	omadata.DenyNoConsent:        1,
	omadata.DenyConsentNotActive: 2,
	omadata.DenyConsentWithdrawn: 2,
	omadata.DenyConsentRevoked:   2,
	omadata.DenyConsentExpired:   3,
	omadata.DenyRenewalRequired:  4,
	omadata.DenySourceNotCovered: 5,
	omadata.DenyObjection:        5,
	omadata.DenyRestriction:      5,
}

// judgeCandidate decides on one processing: by the resident's most recent
// consent for a consent-based version, else by its recorded legal basis
// unless an objection blocks it; an open restriction blocks either.
func judgeCandidate(cf *candidateFacts, qu *question, now time.Time) *verdict {
	v := &verdict{processingID: cf.processingID, versionID: cf.versionID, version: cf.version, legalBasis: cf.legalBasis}
	if cf.legalBasis == omadata.BasisConsent && slices.Contains(cf.objections, "restriction") {
		// A restriction made while the processing rested on another basis
		// holds when a later version rests on consent.
		v.reason = omadata.DenyRestriction
		return v
	}
	if cf.legalBasis != omadata.BasisConsent {
		switch {
		case slices.Contains(cf.objections, "objection"):
			v.reason = omadata.DenyObjection
		case slices.Contains(cf.objections, "restriction"):
			v.reason = omadata.DenyRestriction
		default:
			v.permit = true
			v.ground = &omadata.Ground{Kind: "legal_basis", LegalBasis: cf.legalBasis, LegalBasisIRI: omadata.LegalBasisIRI(cf.legalBasis), Note: cf.note}
		}
		return v
	}
	c := cf.consent
	if c == nil {
		v.reason = omadata.DenyNoConsent
		return v
	}
	v.consentID = c.id
	switch c.status {
	case omadata.ConsentGiven:
	case omadata.ConsentWithdrawn:
		v.reason = omadata.DenyConsentWithdrawn
	case omadata.ConsentRevoked:
		v.reason = omadata.DenyConsentRevoked
	case omadata.ConsentExpired:
		v.reason = omadata.DenyConsentExpired
	default: // requested, refused, suspended
		v.reason = omadata.DenyConsentNotActive
	}
	if v.reason != "" {
		return v
	}
	// The window is checked here, not left to the expiry job, which may
	// not have run yet.
	switch {
	case c.until != nil && !now.Before(*c.until):
		v.reason = omadata.DenyConsentExpired
		return v
	case c.from != nil && now.Before(*c.from):
		v.reason = omadata.DenyConsentNotActive
		return v
	}
	if c.version != cf.version && !omadata.CompatibleSince(c.versions, c.version, cf.version) {
		v.reason = omadata.DenyRenewalRequired
		return v
	}
	if len(c.sources) > 0 && !slices.Contains(c.sources, qu.sourceID) {
		v.reason = omadata.DenySourceNotCovered
		return v
	}
	v.permit = true
	v.ground = &omadata.Ground{Kind: "consent", ConsentID: c.id, LegalBasis: omadata.BasisConsent, LegalBasisIRI: omadata.LegalBasisIRI(omadata.BasisConsent)}
	return v
}

// versionChain returns the version numbers of a processing and whether
// each is compatible with the one before it.
func versionChain(ctx context.Context, q querier, processingID string) ([]*omadata.ProcessingVersion, error) {
	rows, err := q.query(ctx, `SELECT version, compatible FROM processing_versions WHERE processing_id = ?`, processingID)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(row interface{ Scan(...any) error }) (*omadata.ProcessingVersion, error) {
		var pv omadata.ProcessingVersion
		return &pv, row.Scan(&pv.Version, &pv.Compatible)
	})
}
