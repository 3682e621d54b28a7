// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"time"

	"github.com/omadata/omadata"
)

// DecisionFacts are the stored rows one release question rests on, read
// once so that the evaluation can be run alone, without the database:
// omadata bench measures the decision rule itself with it. Decide reads
// and evaluates the same way, inside its transaction.
type DecisionFacts struct {
	q *question
	f *facts // nil when the caller's pseudonym is unknown
}

// LoadDecisionFacts reads, as the caller in ctx, the rows a decision on in
// would rest on, and records nothing. It returns the errors of Decide for
// callers and input.
func (s *Store) LoadDecisionFacts(ctx context.Context, in *omadata.DecisionInput) (*DecisionFacts, error) {
	c, err := decisionCaller(ctx)
	if err != nil {
		return nil, err
	} else if in == nil {
		return nil, omadata.Invalidf("body", "Send a question.")
	} else if err := in.Validate(); err != nil {
		return nil, err
	}
	p, err := parties(c, in)
	if err != nil {
		return nil, err
	}
	q := &question{callerID: c.ServiceID, sinkID: p.SinkID, sourceID: p.SourceID, purposeID: p.PurposeID, groups: p.DataGroupIDs}
	f, err := readFacts(ctx, s.db.reader(), q, p.Pseudonym)
	if err != nil {
		return nil, err
	}
	return &DecisionFacts{q: q, f: f}, nil
}

// Evaluate decides on the facts at now, as Decide would have with the same
// rows, and returns whether it permits and, on deny, the reason.
func (d *DecisionFacts) Evaluate(now time.Time) (permit bool, reason string) {
	v := verdictOn(d.f, d.q, now)
	return v.permit, v.reason
}
