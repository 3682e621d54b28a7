// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/omadata/omadata"
)

// GiveConsent records a given consent on the processing's current version,
// or answers the resident's pending request on it.
func (s *Store) GiveConsent(ctx context.Context, in *omadata.ConsentInput) (*omadata.Consent, error) {
	return s.decide(ctx, in, omadata.ConsentGiven)
}

// RefuseConsent records a refusal, or answers a pending request with one.
func (s *Store) RefuseConsent(ctx context.Context, in *omadata.ConsentInput) (*omadata.Consent, error) {
	return s.decide(ctx, in, omadata.ConsentRefused)
}

// giver returns who gives or refuses, for whom, and the record's reason:
// a resident for themselves or, through OnBehalfOf, for someone they
// represent (checked once the purpose is known); or an admin recording a
// paper consent for the resident named by OnBehalfOf.
func giver(ctx context.Context, in *omadata.ConsentInput) (a actor, subject, reason string, err error) {
	c := omadata.CallerFromContext(ctx)
	switch c.Kind {
	case omadata.CallerResident:
		method, err := collectedVia(c)
		if err != nil {
			return a, "", "", err
		}
		switch in.CollectionMethod {
		case "", method:
			in.CollectionMethod = method
		case omadata.CollectedPaper:
			return a, "", "", omadata.Invalidf("collection_method", "Only an official records a paper consent.")
		case omadata.CollectedPortal, omadata.CollectedAPI:
			return a, "", "", omadata.Invalidf("collection_method", "Through the %s the collection method is %s; leave it out.", c.Channel, method)
		default:
			return a, "", "", omadata.Invalidf("collection_method", "Leave it out: the collection method is how you signed in (%s).", method)
		}
		if in.Evidence != "" {
			return a, "", "", omadata.Invalidf("evidence", "Only a paper consent has an archive reference.")
		}
		subject = c.ResidentID
		if in.OnBehalfOf != "" {
			subject = in.OnBehalfOf
		}
		return actor{kind: string(omadata.CallerResident), id: c.ResidentID, role: omadata.ActorSelf}, subject, "", nil
	case omadata.CallerAdmin:
		if in.CollectionMethod == "" {
			in.CollectionMethod = omadata.CollectedPaper
		}
		if in.CollectionMethod != omadata.CollectedPaper {
			return a, "", "", omadata.Invalidf("collection_method", "An official records only paper consents; residents give theirs themselves.")
		} else if in.OnBehalfOf == "" && in.IdentityCode == "" {
			return a, "", "", omadata.Invalidf("on_behalf_of", "Name the resident whose paper consent this is.")
		} else if strings.TrimSpace(in.Evidence) == "" {
			return a, "", "", omadata.Invalidf("evidence", "Give the archive reference of the signed paper form.")
		} else if err := checkText("evidence", in.Evidence, 200); err != nil {
			return a, "", "", err
		}
		return actor{kind: string(omadata.CallerAdmin), id: c.TokenID, role: omadata.ActorOfficial}, in.OnBehalfOf, "archive reference: " + in.Evidence, nil
	}
	return a, "", "", omadata.Errorf(omadata.EFORBIDDEN, "Only the resident, their representative or an official recording a paper form may decide on consent.")
}

// collectedVia returns the collection method of a resident's act: the
// channel they authenticated through, which the surface that called the
// store set, never what a request body claims.
func collectedVia(c omadata.Caller) (string, error) {
	switch c.Channel {
	case omadata.ChannelAPI, omadata.ChannelApp:
		return omadata.CollectedAPI, nil
	case omadata.ChannelPortal:
		return omadata.CollectedPortal, nil
	}
	return "", omadata.Errorf(omadata.EFORBIDDEN, "A resident acts through the portal or the API.")
}

// checkConsentInput checks the fields of a give or refuse that need no
// database.
func checkConsentInput(in *omadata.ConsentInput, status string) error {
	switch {
	case !omadata.ValidID(omadata.PrefixProcessing, in.ProcessingID):
		return omadata.Invalidf("processing_id", "Not a processing ID.")
	case in.Version < 1:
		return omadata.Invalidf("version", "Give the version whose notice was shown.")
	case !omadata.ValidLanguage(in.Language):
		return omadata.Invalidf("language", "Give the language of the notice shown: fi, sv or en.")
	case in.NoticeSHA256 != "" && !validHex(in.NoticeSHA256, 64):
		return omadata.Invalidf("notice_sha256", "A notice hash is 64 lower-case hex digits.")
	case status == omadata.ConsentRefused && in.ValidUntil != nil:
		return omadata.Invalidf("valid_until", "A refusal has no validity window.")
	}
	return checkSourceIDs(in.SourceIDs)
}

func checkSourceIDs(ids []string) error {
	if len(ids) > 100 {
		return omadata.Invalidf("source_ids", "At most 100 sources.")
	}
	for i, id := range ids {
		if !omadata.ValidID(omadata.PrefixService, id) {
			return omadata.Invalidf("source_ids", "Not a service ID: %q.", truncateString(id, 40))
		} else if slices.Contains(ids[:i], id) {
			return omadata.Invalidf("source_ids", "Source %s given twice.", id)
		}
	}
	return nil
}

// checkSources returns EINVALID unless every ID holds data groups of the
// version.
func checkSources(parts *consentParts, ids []string) error {
	all := parts.sources(nil)
	for _, id := range ids {
		if !slices.Contains(all, id) {
			return omadata.Invalidf("source_ids", "Service %s holds none of the processing's data groups.", id)
		}
	}
	return nil
}

func validHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}

// checkText is omadata.CheckText, the one rule for stored text.
func checkText(field, s string, max int) error { return omadata.CheckText(field, s, max) }

// consentProcessing returns a processing residents may consent to, with
// its sink and published version. Drafts and processings of sinks that are
// not approved are ENOTFOUND, as in the public catalogue; a retired
// processing is ECONFLICT.
func consentProcessing(ctx context.Context, q querier, id string) (*omadata.Processing, *omadata.ProcessingVersion, error) {
	admin := omadata.NewContextWithCaller(ctx, omadata.Caller{Kind: omadata.CallerAdmin})
	p, err := findProcessingByID(admin, q, id)
	if err != nil {
		return nil, nil, err
	}
	sink, err := findServiceByID(admin, q, p.ServiceID)
	if err != nil {
		return nil, nil, err
	}
	shown := slices.ContainsFunc(p.Versions, func(v *omadata.ProcessingVersion) bool { return v.Status != omadata.VersionDraft })
	if sink.Status != omadata.ServiceApproved || !shown {
		return nil, nil, omadata.NotFound("Processing")
	}
	cur := p.Current()
	if cur == nil {
		return nil, nil, omadata.Conflictf("processing_id", "The processing has been retired and takes no new consents.")
	}
	return p, cur, nil
}

// liveConsent returns the resident's live consent on a processing, or nil.
func liveConsent(ctx context.Context, q querier, residentID, processingID string) (*consentRow, error) {
	c, err := scanConsent(q.queryRow(ctx, consentSelect+`WHERE c.resident_id = ? AND c.processing_id = ? AND c.status IN `+liveIn,
		"", residentID, processingID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return c, err
}

// versionsOf returns the versions of a processing that are not drafts.
func versionsOf(p *omadata.Processing) []*omadata.ProcessingVersion {
	var out []*omadata.ProcessingVersion
	for _, v := range p.Versions {
		if v.Status != omadata.VersionDraft {
			out = append(out, v)
		}
	}
	return out
}

func insertConsent(ctx context.Context, tx *Tx, c *consentRow) error {
	msg := c.Message
	if msg == nil {
		msg = omadata.Text{}
	}
	_, err := tx.exec(ctx, `INSERT INTO consents (id, resident_id, processing_id, version_id, sink_id, source_ids, status, valid_from, valid_until,
		last_hash, message, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.residentID, c.ProcessingID, c.VersionID, c.SinkID, jsonValue{c.SourceIDs}, c.Status, c.ValidFrom, c.ValidUntil,
		c.lastHash, jsonValue{msg}, c.CreatedAt, c.UpdatedAt)
	if omadata.ErrorCode(err) == omadata.ECONFLICT {
		// consents_one_live: another call made a live consent meanwhile.
		return omadata.Conflictf("processing_id", "The resident already has a live consent on this processing.")
	}
	return err
}

// giveTarget is what a give or refusal rests on: the processing, its
// current version and the version's parts.
type giveTarget struct {
	p     *omadata.Processing
	cur   *omadata.ProcessingVersion
	parts *consentParts
}

// loadGiveTarget reads the processing a resident gives consent to, with
// its current version and that version's parts.
func loadGiveTarget(ctx context.Context, q querier, pc partsCache, processingID string) (*giveTarget, error) {
	p, cur, err := consentProcessing(ctx, q, processingID)
	if err != nil {
		return nil, err
	}
	parts, err := pc.get(ctx, q, cur.ID)
	if err != nil {
		return nil, err
	}
	return &giveTarget{p: p, cur: cur, parts: parts}, nil
}

// check checks the version, notice and sources of a give or refusal and
// returns the notice shown.
func (t *giveTarget) check(in *omadata.ConsentInput) (*omadata.Notice, error) {
	if in.Version != t.cur.Version {
		return nil, omadata.Conflictf("version", "Version %d is not the processing's current version; show the notice of version %d.", in.Version, t.cur.Version)
	}
	i := slices.IndexFunc(t.cur.Notices, func(n *omadata.Notice) bool { return n.Language == in.Language })
	if i < 0 {
		return nil, omadata.Invalidf("language", "The processing has no notice in %s.", omadata.LanguageName(in.Language))
	}
	notice := t.cur.Notices[i]
	if in.NoticeSHA256 != "" && in.NoticeSHA256 != notice.SHA256 {
		return nil, omadata.Conflictf("notice_sha256", "The notice has changed since it was shown; show it again.")
	}
	return notice, checkSources(t.parts, in.SourceIDs)
}

// consentWindow returns the validity window of a give at the time now
// (none for a refusal).
func consentWindow(in *omadata.ConsentInput, status string, now time.Time) (from, until *time.Time, err error) {
	if status != omadata.ConsentGiven {
		return nil, nil, nil
	}
	end := now.AddDate(omadata.ConsentDefaultYears, 0, 0)
	if in.ValidUntil != nil {
		end = in.ValidUntil.UTC().Truncate(time.Microsecond)
		if !end.After(now) || end.After(now.AddDate(omadata.ConsentMaxYears, 0, 0)) {
			return nil, nil, omadata.Invalidf("valid_until", "Must be in the future and at most %d years away.", omadata.ConsentMaxYears)
		}
	}
	return &now, &end, nil
}

// decide gives or refuses consent in one transaction.
func (s *Store) decide(ctx context.Context, in *omadata.ConsentInput, status string) (*omadata.Consent, error) {
	a, subject, reason, err := giver(ctx, in)
	if err != nil {
		return nil, err
	} else if err := checkConsentInput(in, status); err != nil {
		return nil, err
	}
	if a.kind == string(omadata.CallerResident) && subject == a.id {
		if c, err := s.decideAhead(ctx, in, status, a, subject, reason); !errors.Is(err, errStale) {
			return c, err
		}
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	now := tx.now
	if in.IdentityCode != "" && a.role == omadata.ActorOfficial {
		// A paper form names the resident by identity code: find or create
		// them in this transaction, so a refused form creates nobody.
		if err := s.requireKeyring(); err != nil {
			return nil, err
		}
		r, _, err := s.findOrCreateResident(ctx, tx, in.IdentityCode, "")
		if err != nil {
			return nil, err
		}
		subject = r.ID
	}
	pc := partsCache{}
	t, err := loadGiveTarget(ctx, tx, pc, in.ProcessingID)
	if err != nil {
		return nil, err
	}
	notice, err := t.check(in)
	if err != nil {
		return nil, err
	}
	p, cur, parts := t.p, t.cur, t.parts
	from, until, err := consentWindow(in, status, now)
	if err != nil {
		return nil, err
	}

	switch a.kind {
	case string(omadata.CallerResident):
		if subject != a.id {
			auth, err := authorityOver(ctx, tx, a.id, subject, now)
			if err != nil {
				return nil, omadata.NotFound("Resident")
			}
			rep := auth.Allowing(omadata.RepConsent, parts.purpose.Code)
			if rep == nil {
				return nil, omadata.ErrNotCovered("processing_id", omadata.RepConsent)
			}
			a.role = rep.Kind // guardian or mandate
		}
	default:
		if n, err := count(ctx, tx, `SELECT COUNT(*) FROM residents WHERE id = ?`, subject); err != nil {
			return nil, err
		} else if n == 0 {
			return nil, omadata.NotFound("Resident")
		}
	}

	live, err := liveConsent(ctx, tx, subject, p.ID)
	if err != nil {
		return nil, err
	}
	var answer, superseded *consentRow
	switch {
	case live == nil:
	case windowPassed(live, now):
		if err := s.expireRow(ctx, tx, live, pc); err != nil {
			return nil, err
		}
	case live.Status == omadata.ConsentRequested:
		answer = live
	case renewalRequired(versionsOf(p), live.Version):
		superseded = live
	default:
		return nil, omadata.Conflictf("processing_id", "There is already a %s consent on this processing; withdraw it, or resume it, instead.", live.Status)
	}

	c, prev := answer, ""
	if c != nil {
		prev = c.Status
		c.VersionID, c.Version = cur.ID, cur.Version // the answer is on the version shown
		if len(in.SourceIDs) > 0 {
			c.SourceIDs = in.SourceIDs
		} else if err := checkSources(parts, c.SourceIDs); err != nil {
			return nil, err
		}
		if c.Records, err = consentRecords(ctx, tx, c.ID); err != nil {
			return nil, err
		}
	} else {
		c = &consentRow{
			Consent: omadata.Consent{ID: omadata.NewID(omadata.PrefixConsent), ProcessingID: p.ID, VersionID: cur.ID, Version: cur.Version,
				SinkID: p.ServiceID, SourceIDs: in.SourceIDs, Status: status, CreatedAt: now, UpdatedAt: now},
			residentID: subject, purposeCode: parts.purpose.Code,
		}
		if c.SourceIDs == nil {
			c.SourceIDs = []string{}
		}
		c.ResidentID = subject
		if superseded != nil {
			oldParts, err := pc.get(ctx, tx, superseded.VersionID)
			if err != nil {
				return nil, err
			}
			if _, err := s.record(ctx, tx, superseded, oldParts, change{status: omadata.ConsentRevoked, event: omadata.EventConsentRevoked,
				actor: systemActor, method: omadata.CollectedSystem, reason: "superseded by " + c.ID}); err != nil {
				return nil, err
			}
		}
		if err := insertConsent(ctx, tx, c); err != nil {
			return nil, err
		}
	}
	c.ValidFrom, c.ValidUntil = from, until
	if _, err := s.record(ctx, tx, c, parts, change{status: status, event: statusEvent(prev, status), actor: a,
		method: in.CollectionMethod, notice: notice, reason: reason}); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return present(ctx, c), nil
}

// RequestConsent lets a sink ask a resident, named by the sink's own
// pseudonym, to consent to one of its processings. The request is a consent
// in status requested that expires after omadata.ConsentRequestTTL.
func (s *Store) RequestConsent(ctx context.Context, in *omadata.ConsentRequestInput) (*omadata.Consent, error) {
	caller := omadata.CallerFromContext(ctx)
	if caller.Kind != omadata.CallerService || !caller.HasScope(omadata.ScopeConsents) {
		return nil, omadata.Errorf(omadata.EFORBIDDEN, "Only a sink with the consents scope may request consent.")
	}
	switch {
	case !omadata.ValidID(omadata.PrefixProcessing, in.ProcessingID):
		return nil, omadata.Invalidf("processing_id", "Not a processing ID.")
	case in.Pseudonym == "":
		return nil, omadata.Invalidf("pseudonym", "Name the resident by your pseudonym of them.")
	}
	if err := in.Message.Validate("message", 2000); err != nil {
		return nil, err
	}
	for _, l := range omadata.Languages {
		if err := checkText("message."+l, in.Message[l], 2000); err != nil {
			return nil, err
		}
	}
	if err := checkSourceIDs(in.SourceIDs); err != nil {
		return nil, err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	now := tx.now
	p, err := findProcessingByID(ctx, tx, in.ProcessingID) // a service sees only its own
	if err != nil {
		return nil, err
	}
	cur := p.Current()
	if cur == nil {
		return nil, omadata.Conflictf("processing_id", "The processing has no published version to consent to.")
	}
	subject, err := residentByPseudonym(ctx, tx, caller.ServiceID, in.Pseudonym)
	if err != nil {
		return nil, err
	}
	pc := partsCache{}
	parts, err := pc.get(ctx, tx, cur.ID)
	if err != nil {
		return nil, err
	} else if parts.sink.Status != omadata.ServiceApproved {
		return nil, omadata.Errorf(omadata.EFORBIDDEN, "Only an approved sink may request consent.")
	} else if err := checkSources(parts, in.SourceIDs); err != nil {
		return nil, err
	}
	live, err := liveConsent(ctx, tx, subject, p.ID)
	if err != nil {
		return nil, err
	} else if live != nil && windowPassed(live, now) {
		if err := s.expireRow(ctx, tx, live, pc); err != nil {
			return nil, err
		}
	} else if live != nil {
		return nil, omadata.Conflictf("processing_id", "The resident already has a %s consent on this processing.", live.Status)
	}
	// The request shows no notice yet; it records the one in the first
	// operator language, and the answer records the one actually shown.
	var notice *omadata.Notice
	for _, n := range cur.Notices {
		if n.Language == omadata.Languages[0] {
			notice = n
		}
	}
	expires := now.Add(omadata.ConsentRequestTTL)
	msg := in.Message
	if msg == nil {
		msg = omadata.Text{}
	}
	c := &consentRow{
		Consent: omadata.Consent{ID: omadata.NewID(omadata.PrefixConsent), ResidentID: subject, ProcessingID: p.ID, VersionID: cur.ID,
			Version: cur.Version, SinkID: p.ServiceID, SourceIDs: in.SourceIDs, Status: omadata.ConsentRequested, ValidUntil: &expires,
			Message: msg, CreatedAt: now, UpdatedAt: now},
		residentID: subject, purposeCode: parts.purpose.Code,
	}
	if c.SourceIDs == nil {
		c.SourceIDs = []string{}
	}
	if err := insertConsent(ctx, tx, c); err != nil {
		return nil, err
	}
	if _, err := s.record(ctx, tx, c, parts, change{status: omadata.ConsentRequested, event: omadata.EventConsentRequested,
		actor: actor{kind: string(omadata.CallerService), id: caller.ServiceID, role: omadata.ActorSink}, method: omadata.CollectedAPI,
		notice: notice}); err != nil {
		return nil, err
	}
	if c.Pseudonym, err = pseudonym(ctx, tx, caller.ServiceID, subject); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return present(ctx, c), nil
}
