// SPDX-License-Identifier: Apache-2.0

package portal

import (
	"context"
	"sync"
	"time"

	"github.com/omadata/omadata"
)

// PeerLog fetches a peer operator's proof of one record of a release the
// two of them share and verifies it (docs/network.md §5.5): the peer's log
// entry for the record, its inclusion proof, and the checkpoint it is
// proven in, signed with the log key of the peer's resolved trust chain.
// The operator's network wiring implements it over the network protocol;
// the portal only asks.
type PeerLog interface {
	// VerifyPeerRecord returns nil when the peer's log proves ref.Record
	// under ref.Origin; EINVALID when the peer answered with a proof that
	// does not verify or names another record; any other error when the
	// peer could not be reached or asked.
	VerifyPeerRecord(ctx context.Context, ref omadata.LeafPeer) error
}

// peerCheckTimeout bounds the checks of one usage page: a peer that does
// not answer in time is shown as not reached, and the page is shown.
const peerCheckTimeout = 3 * time.Second

// Outcomes of a peer log check, as the usage page shows them (message
// keys after "usage.peer-").
const (
	peerChecked      = "checked"
	peerUnreachable  = "unreachable"
	peerNotConfirmed = "not-confirmed"
)

// checkPeers asks the peers' logs, in parallel, for the proof of every
// row that references a peer's leaf, and records each outcome. It never
// fails: a peer's log is evidence beside our own proof, not a condition
// of showing it.
func (p *Portal) checkPeers(ctx context.Context, rows []*usageRow) {
	if p.o.PeerLogs == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, peerCheckTimeout)
	defer cancel()
	// Rows of one release (its decision and its grant) share the peer's
	// record: each record is asked for once.
	byRef := map[omadata.LeafPeer][]*usageRow{}
	for _, row := range rows {
		if row.Peer != nil {
			byRef[*row.Peer] = append(byRef[*row.Peer], row)
		}
	}
	var wg sync.WaitGroup
	for ref, same := range byRef {
		wg.Go(func() {
			var check string
			switch err := p.o.PeerLogs.VerifyPeerRecord(ctx, ref); {
			case err == nil:
				check = peerChecked
			case omadata.ErrorCode(err) == omadata.EINVALID:
				check = peerNotConfirmed
			default:
				check = peerUnreachable
			}
			for _, row := range same {
				row.PeerCheck = check
			}
		})
	}
	wg.Wait()
}
