// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/omadata/omadata"
)

// ChangeConsent withdraws, suspends, resumes (status given) or revokes a
// consent the caller may see.
func (s *Store) ChangeConsent(ctx context.Context, id, status, reason string) (*omadata.Consent, error) {
	switch status {
	case omadata.ConsentWithdrawn, omadata.ConsentSuspended, omadata.ConsentGiven, omadata.ConsentRevoked:
	default:
		return nil, omadata.Invalidf("status", "Use withdrawn, suspended, given (resume) or revoked.")
	}
	if err := checkText("reason", reason, 500); err != nil {
		return nil, err
	}
	if c, err := s.changeAhead(ctx, id, status, reason); !errors.Is(err, errStale) {
		return c, err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	c, err := findConsent(ctx, tx, id, tx.now)
	if err != nil {
		return nil, err
	}
	a, method, err := changer(ctx, tx, c, status, reason, tx.now)
	if err != nil {
		return nil, err
	}
	switch {
	case c.Status == omadata.ConsentRequested && status == omadata.ConsentGiven:
		return nil, omadata.Conflictf("status", "Answer a request by giving or refusing consent.")
	case !omadata.ConsentTransitionAllowed(c.Status, status):
		return nil, omadata.Conflictf("status", "A %s consent cannot become %s; a new decision is a new consent.", c.Status, status)
	case windowPassed(c, tx.now):
		return nil, omadata.Conflictf("status", "The consent's validity window has ended.")
	}
	if err := setRenewal(ctx, tx, []*consentRow{c}); err != nil {
		return nil, err
	}
	if status == omadata.ConsentGiven && c.RenewalRequired {
		p, err := findProcessingByID(omadata.NewContextWithCaller(ctx, omadata.Caller{Kind: omadata.CallerAdmin}), tx, c.ProcessingID)
		if err != nil {
			return nil, err
		} else if p.Current() == nil {
			return nil, omadata.Conflictf("processing_id", "The processing has been retired; the consent cannot be resumed.")
		}
		return nil, omadata.Conflictf("version", "Version %d replaced the one consented to and needs a new consent; give it instead of resuming.", p.Current().Version)
	}
	parts, err := loadConsentParts(ctx, tx, c.VersionID)
	if err != nil {
		return nil, err
	}
	if c.Records, err = consentRecords(ctx, tx, c.ID); err != nil {
		return nil, err
	}
	prev := c.Status
	if _, err := s.record(ctx, tx, c, parts, change{status: status, event: statusEvent(prev, status), actor: a, method: method, reason: reason}); err != nil {
		return nil, err
	}
	c.RenewalRequired = false
	if err := setRenewal(ctx, tx, []*consentRow{c}); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return present(ctx, c), nil
}

// changer returns who makes a change and how it was collected (for a
// resident, the channel they signed in through), or EFORBIDDEN: the
// resident or an active representative may withdraw, suspend and resume;
// an admin may do all four (a withdrawal as an official recording a paper
// form, with its archive reference as the reason); the consent's sink may
// revoke.
func changer(ctx context.Context, q querier, c *consentRow, status, reason string, at time.Time) (actor, string, error) {
	caller := omadata.CallerFromContext(ctx)
	switch caller.Kind {
	case omadata.CallerResident:
		if status == omadata.ConsentRevoked {
			return actor{}, "", omadata.Errorf(omadata.EFORBIDDEN, "A resident withdraws consent; only the operator or the sink revokes it.")
		}
		a := actor{kind: string(omadata.CallerResident), id: caller.ResidentID, role: omadata.ActorSelf}
		if c.residentID != caller.ResidentID {
			auth, err := authorityOver(ctx, q, caller.ResidentID, c.residentID, at)
			if err != nil {
				return actor{}, "", omadata.NotFound("Consent")
			}
			rep := auth.Allowing(omadata.RepConsent, c.purposeCode)
			if rep == nil {
				return actor{}, "", omadata.NotFound("Consent") // not visible to this mandate either
			}
			a.role = rep.Kind
		}
		method, err := collectedVia(caller)
		return a, method, err
	case omadata.CallerAdmin:
		a := actor{kind: string(omadata.CallerAdmin), id: caller.TokenID, role: omadata.ActorOperator}
		switch {
		case status == omadata.ConsentWithdrawn && strings.TrimSpace(reason) == "":
			return actor{}, "", omadata.Invalidf("reason", "Give the archive reference of the resident's paper withdrawal.")
		case status == omadata.ConsentWithdrawn:
			a.role = omadata.ActorOfficial
			return a, omadata.CollectedPaper, nil
		case status == omadata.ConsentRevoked && strings.TrimSpace(reason) == "":
			return actor{}, "", omadata.Invalidf("reason", "Say why the consent is revoked.")
		}
		return a, omadata.CollectedAPI, nil
	case omadata.CallerService:
		if status == omadata.ConsentRevoked && caller.ServiceID == c.SinkID && caller.HasScope(omadata.ScopeConsents) {
			return actor{kind: string(omadata.CallerService), id: caller.ServiceID, role: omadata.ActorSink}, omadata.CollectedAPI, nil
		}
		return actor{}, "", omadata.Errorf(omadata.EFORBIDDEN, "Only the resident or their representative may do this; a sink may revoke consents on its own processings.")
	}
	return actor{}, "", omadata.NotFound("Consent")
}

// expireBatch is how many consents one ExpireConsents transaction expires.
const expireBatch = 100

// ExpireConsents moves live consents whose window has ended to expired, a
// batch per transaction, and returns how many it moved (admins only: the
// scheduler runs as the operator).
func (s *Store) ExpireConsents(ctx context.Context) (int, error) {
	if err := requireAdmin(ctx); err != nil {
		return 0, err
	}
	total := 0
	for {
		n, err := s.expireConsents(ctx)
		total += n
		if err != nil || n < expireBatch {
			return total, err
		}
	}
}

func (s *Store) expireConsents(ctx context.Context) (int, error) {
	tx, err := s.db.begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	rows, err := tx.query(ctx, consentSelect+`WHERE c.status IN `+liveIn+` AND c.valid_until <= ? ORDER BY c.id LIMIT ?`, "", tx.now, expireBatch)
	if err != nil {
		return 0, err
	}
	list, err := collect(rows, scanConsent)
	if err != nil {
		return 0, err
	}
	pc := partsCache{}
	for _, c := range list {
		if err := s.expireRow(ctx, tx, c, pc); err != nil {
			return 0, err
		}
	}
	return len(list), tx.Commit()
}
