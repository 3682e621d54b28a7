// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store"
)

// The workloads of the consent issue.
const (
	W1     = "W1"      // decisions over HTTP, half permit and half deny
	W1Eval = "W1-eval" // the decision rule alone, in process
	W2     = "W2"      // a resident gives consent
	W3     = "W3"      // a resident withdraws, then the sink asks at once
	W4     = "W4"      // the sink obtains a grant, the source records the transfer
)

// Workloads lists every workload in the order Run runs them.
var Workloads = []string{W1, W1Eval, W2, W3, W4}

// asService returns ctx with a service caller holding scopes.
func asService(ctx context.Context, serviceID string, scopes ...string) context.Context {
	return omadata.NewContextWithCaller(ctx, omadata.Caller{Kind: omadata.CallerService, TokenID: "cred_bench", ServiceID: serviceID, Scopes: scopes})
}

// asResident returns ctx with a signed-in resident as the caller.
func asResident(ctx context.Context, residentID string) context.Context {
	return omadata.NewContextWithCaller(ctx, omadata.Caller{Kind: omadata.CallerResident, TokenID: "ses_bench", ResidentID: residentID, Channel: omadata.ChannelAPI})
}

// pick returns a resident of the decision mix for operation n, spread
// over the whole mix so that a large database is not read in order.
func (d *Dataset) pick(n uint64) int { return int(splitmix(n^d.ids.seed) % uint64(d.Mix)) }

// pickPermit returns a resident of the mix holding a given, valid consent
// on the recommendations processing.
func (d *Dataset) pickPermit(n uint64) int {
	h := splitmix(n ^ d.ids.seed)
	return int(h%uint64(d.Mix/8))*8 + int(h>>60)%4
}

// takeGive returns the next resident of the give pool (no consent).
func (d *Dataset) takeGive() (int, bool) {
	n := int(d.nextGive.Add(1)) - 1
	return d.Mix + n, n < d.Pool
}

// takeWithdraw returns the next resident of the withdrawal pool (a
// given, valid consent).
func (d *Dataset) takeWithdraw() (int, bool) {
	n := int(d.nextWithdraw.Add(1)) - 1
	return d.Mix + d.Pool + n, n < d.Pool
}

// questionBody returns the JSON body of the question about resident k
// and the text the answer must contain.
func (d *Dataset) questionBody(k int) ([]byte, []byte) {
	q, permit, reason := d.Question(k)
	body, _ := json.Marshal(q)
	if permit {
		return body, []byte(`"decision":"permit"`)
	}
	return body, []byte(`"reason":"` + reason + `"`)
}

// DecisionOp asks the sink's questions over HTTP at base, with token, and
// fails on any answer other than the one the mix expects.
func DecisionOp(c *http.Client, base, token string, d *Dataset) Op {
	var seq atomic.Uint64
	return func(ctx context.Context, i int) error {
		body, want := d.questionBody(d.pick(seq.Add(1)))
		req, err := http.NewRequestWithContext(ctx, "POST", base+"/api/v1/decisions", bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := c.Do(req)
		if err != nil {
			return err
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		} else if resp.StatusCode != http.StatusOK || !bytes.Contains(got, want) {
			return fmt.Errorf("decision: got %d %s, want %s", resp.StatusCode, got, want)
		}
		return nil
	}
}

// BareDecisionOp posts the same question bodies to the bare handler at
// base, so that both sides of the W1 ratio move the same bytes.
func BareDecisionOp(c *http.Client, base string, d *Dataset) Op {
	var seq atomic.Uint64
	return PostOp(c, base, map[string]string{"Authorization": "Bearer " + d.SinkToken}, http.StatusOK, func(int) []byte {
		body, _ := d.questionBody(d.pick(seq.Add(1)))
		return body
	})
}

// GiveOp gives consent on the recommendations processing as the next
// resident of the give pool, through the store, and returns after the
// commit.
func GiveOp(s *store.Store, d *Dataset) Op {
	cur := d.Processing.Current()
	return func(ctx context.Context, i int) error {
		k, ok := d.takeGive()
		if !ok {
			return ErrExhausted
		}
		c, err := s.GiveConsent(asResident(ctx, d.ResidentID(k)), &omadata.ConsentInput{ProcessingID: d.Processing.ID, Version: cur.Version, Language: "fi"})
		if err != nil {
			return err
		} else if c.Status != omadata.ConsentGiven {
			return fmt.Errorf("give: got status %s", c.Status)
		}
		return nil
	}
}

// WithdrawOp withdraws the consent of the next resident of the withdrawal
// pool and, once the withdrawal is acknowledged, has the sink ask at once.
// A permit then is a stale permit: it is counted in stale and fails.
func WithdrawOp(s *store.Store, d *Dataset, stale *atomic.Int64) Op {
	sink := asService(context.Background(), d.Sink.ID, omadata.ScopeDecisions)
	return func(ctx context.Context, i int) error {
		k, ok := d.takeWithdraw()
		if !ok {
			return ErrExhausted
		}
		if _, err := s.ChangeConsent(asResident(ctx, d.ResidentID(k)), d.ConsentID(k), omadata.ConsentWithdrawn, ""); err != nil {
			return fmt.Errorf("withdraw: %w", err)
		}
		q, _, _ := d.Question(k)
		dec, err := s.Decide(sink, q)
		switch {
		case err != nil:
			return fmt.Errorf("decide: %w", err)
		case dec.Permit():
			stale.Add(1)
			return fmt.Errorf("stale permit %s after the withdrawal of %s", dec.EvidenceID, d.ConsentID(k))
		case dec.Reason != omadata.DenyConsentWithdrawn:
			return fmt.Errorf("decide after withdrawal: got %s, want %s", dec.Reason, omadata.DenyConsentWithdrawn)
		}
		return nil
	}
}

// benchJKT is the thumbprint of the sink's (notional) DPoP key.
var benchJKT = func() string {
	h := sha256.Sum256([]byte("omadata bench DPoP key"))
	return base64.RawURLEncoding.EncodeToString(h[:])
}()

// GrantOp has the sink obtain a grant for a resident with a given consent,
// bound to a DPoP key and with a fresh proof jti, and the source record
// the transfer under it: two transactions.
func GrantOp(s *store.Store, d *Dataset) Op {
	sink := asService(context.Background(), d.Sink.ID, omadata.ScopeGrants)
	source := asService(context.Background(), d.Source.ID, omadata.ScopeTransfers)
	run := time.Now().UnixNano()
	var seq atomic.Uint64
	return func(ctx context.Context, i int) error {
		n := seq.Add(1)
		k := d.pickPermit(n)
		g, err := s.IssueGrant(sink, &omadata.GrantInput{SourceID: d.Source.ID, Pseudonym: d.SinkPseudonym(k), DataGroupIDs: []string{d.Loans.ID},
			PurposeID: d.Recommendations.ID, JKT: benchJKT, ProofJTI: fmt.Sprintf("bench-%d-%d", run, n)})
		if err != nil {
			return fmt.Errorf("grant: %w", err)
		} else if !g.Decision.Permit() || g.Token == "" {
			return fmt.Errorf("grant: got %s (%s), want a permit", g.Decision.Decision, g.Decision.Reason)
		}
		_, err = s.RecordTransfer(source, &omadata.TransferInput{GrantID: g.ID, DataGroupIDs: g.DataGroupIDs, XRoadID: "FI/MUN/0201256-6/library/loans"})
		if err != nil {
			return fmt.Errorf("transfer: %w", err)
		}
		return nil
	}
}
