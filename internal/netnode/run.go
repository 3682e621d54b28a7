// SPDX-License-Identifier: Apache-2.0

package netnode

import (
	"context"
	"sync"
	"time"
)

// Membership refresh intervals: every few minutes while the anchor
// answers, sooner while it does not (before it admitted this operator,
// or while it is down), so that a new member is ready soon after its
// admission.
const (
	refreshInterval      = time.Minute
	refreshRetryInterval = 5 * time.Second
)

// Run keeps the membership current (the anchor's statement about this
// operator and its trust mark, network.md §2.3, §2.5), the members'
// catalogues mirrored, the consent events delivered and the members' logs
// witnessed, until ctx ends. ctx must carry the operator's
// admin caller.
func (n *Node) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { n.refreshMembership(ctx) })
	wg.Go(func() { n.Sync.Run(ctx) })
	wg.Go(func() { n.Outbox.Run(ctx) })
	wg.Go(func() { n.WitnessLogs.Run(ctx) })
	wg.Wait()
}

func (n *Node) refreshMembership(ctx context.Context) {
	failing := false
	for {
		err := n.Member.Refresh(ctx)
		if err != nil && ctx.Err() == nil && !failing {
			n.o.Logger.Warn("the trust anchor does not vouch for this operator yet", "anchor", n.o.AnchorID, "error", err.Error())
		} else if err == nil && failing {
			n.o.Logger.Info("the trust anchor vouches for this operator", "anchor", n.o.AnchorID)
		}
		failing = err != nil
		wait := refreshInterval
		if failing {
			wait = refreshRetryInterval
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}
