// SPDX-License-Identifier: Apache-2.0

package portal_test

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/glossary"
	"github.com/omadata/omadata/internal/keys"
	"github.com/omadata/omadata/internal/store"
	"github.com/omadata/omadata/internal/store/storetest"
	"github.com/omadata/omadata/internal/web/portal"
)

// release carries the resident's consent event to Espoo, lets Espoo's
// sink ask Espoo for a grant, which Espoo relays to us, and integrates
// both logs: our grant.issued leaf and Espoo's grant.relayed leaf then
// reference each other (docs/network.md §5.2, §5.4).
func (pr *peer) release(t *testing.T, e *env) *omadata.Grant {
	t.Helper()
	admin := storetest.Admin()
	msgs, err := e.store.ClaimNetworkMessages(admin, 10, time.Minute)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("got network messages %v, %v, want the consent event", msgs, err)
	}
	var ev omadata.NetworkConsentEvent
	if err := json.Unmarshal(msgs[0].Body, &ev); err != nil {
		t.Fatal(err)
	} else if err := pr.esp.ReceiveConsentEvent(storetest.AsOperator(pr.us.Peer.OperatorID), &ev); err != nil {
		t.Fatal(err)
	} else if err := e.store.NetworkMessageDelivered(admin, msgs[0].ID); err != nil {
		t.Fatal(err)
	}
	rows, err := pr.esp.DB().QueryStrings(context.Background(), `SELECT id FROM residents WHERE home_operator_id = ?`, pr.us.Peer.OperatorID)
	if err != nil || len(rows) != 1 {
		t.Fatalf("got residents %v, %v, want ours at Espoo", rows, err)
	}
	psn, err := pr.esp.Pseudonym(admin, pr.sink, rows[0][0])
	if err != nil {
		t.Fatal(err)
	}
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	espR := pr.esp.With(store.WithRelayer(storetest.NewRelayer(pr.us, pr.esp.Peer.OperatorID, key)))
	pub, _, _ := ed25519.GenerateKey(nil)
	tp, err := (&jose.JSONWebKey{Key: pub}).Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	entry := e.entry(t, pr.processing)
	g, err := espR.IssueGrant(storetest.As(pr.sink), &omadata.GrantInput{SourceID: entry.DataGroups[0].Source.ID, Pseudonym: psn,
		DataGroupIDs: []string{pr.loans}, PurposeID: entry.Purpose.ID, JKT: base64.RawURLEncoding.EncodeToString(tp), ProofJTI: omadata.NewID("jti")})
	if err != nil || !g.Decision.Permit() {
		t.Fatalf("got grant %+v, %v, want our permit relayed", g, err)
	}
	e.integrate(t)
	if _, err := pr.esp.IntegrateLog(admin); err != nil {
		t.Fatal(err)
	}
	return g
}

// storeLog is a peer's log as the network client reads it (docs/network.md
// §5.5), over the peer's store instead of HTTP: the entry of a record, its
// inclusion proof in the latest checkpoint, and the checkpoint opened with
// the peer's log verifier key, all checked with golang.org/x/mod/sumdb.
type storeLog struct {
	s      *store.Store
	origin string
	vkey   string
}

func (l *storeLog) VerifyPeerRecord(ctx context.Context, ref omadata.LeafPeer) error {
	ctx = storetest.Admin()
	if ref.Origin != l.origin {
		return omadata.Invalidf("origin", "Not this log.")
	}
	cp, err := l.s.LatestCheckpoint(ctx)
	if err != nil {
		return err
	}
	v, err := note.NewVerifier(l.vkey)
	if err != nil {
		return err
	}
	n, err := note.Open([]byte(cp.Note), note.VerifierList(v))
	if err != nil {
		return omadata.Invalidf("checkpoint", "The checkpoint does not verify.")
	}
	lines := strings.Split(n.Text, "\n")
	root, err := tlog.ParseHash(lines[2])
	if err != nil || lines[0] != l.origin {
		return omadata.Invalidf("checkpoint", "Not a checkpoint of this log.")
	}
	for i := int64(0); i < cp.Size; i++ {
		entry, err := l.s.LogEntryAt(ctx, i)
		if err != nil {
			return err
		} else if entry.Leaf.Record != ref.Record {
			continue
		}
		leaf, err := base64.StdEncoding.DecodeString(entry.LeafData)
		if err != nil {
			return err
		}
		ip, err := l.s.ProveInclusion(ctx, i, cp.Size)
		if err != nil {
			return err
		}
		var proof tlog.RecordProof
		for _, h := range ip.Hashes {
			x, err := tlog.ParseHash(h)
			if err != nil {
				return omadata.Invalidf("proof", "Not a hash.")
			}
			proof = append(proof, x)
		}
		if tlog.CheckRecord(proof, cp.Size, root, i, tlog.RecordHash(leaf)) != nil {
			return omadata.Invalidf("proof", "The proof does not verify.")
		}
		return nil
	}
	return omadata.Invalidf("record", "The log has no such record.")
}

var _ portal.PeerLog = (*storeLog)(nil)

// logVerifierKey is an operator's log verifier key under its origin.
func logVerifierKey(t *testing.T, op *storetest.Operator) string {
	t.Helper()
	ks, err := op.FindSigningKeys(storetest.Admin())
	if err != nil {
		t.Fatal(err)
	}
	vkeys, err := keys.LogVerifierKeys(ks, op.Peer.LogOrigin)
	if err != nil || len(vkeys) == 0 {
		t.Fatalf("log verifier keys %v, %v", vkeys, err)
	}
	return vkeys[0]
}

// TestNetworkUsage: a resident consents at our operator to a processing
// of a sink registered at Espoo, and Espoo's sink gets their data under a
// grant we issue (relayed by Espoo). "Who used my data" names Espoo as the
// sink's operator and shows Espoo's leaf of the release beside our own
// proof; asking Espoo's log for its proof says it was checked there too
// (golden, fi/sv/en), that Espoo's log did not confirm it (a checkpoint
// that does not open with Espoo's key), or that it could not be reached
// (its database closed), and the page is shown every time.
func TestNetworkUsage(t *testing.T) {
	g, err := glossary.Load(glossary.Path())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	peerLog := &storeLog{}
	e := newProviderEnv(t, now, nil, nil, func(_ *env, o *portal.Options) { o.PeerLogs = peerLog })
	pr := newPeer(t, e, now)
	*peerLog = storeLog{s: pr.esp.Store, origin: pr.esp.Peer.LogOrigin, vkey: logVerifierKey(t, pr.esp)}
	c := e.client(t)
	c.login("fi", "matti")
	n := c.get("/fi/processings/" + pr.processing)
	if p := c.post("/fi/processings/"+pr.processing+"/give", url.Values{"csrf": {n.csrf(t)}, "version": {"1"}, "notice_sha256": {hiddenValue(t, n, "notice_sha256")}}); p.status != 200 {
		t.Fatalf("give: %d", p.status)
	}
	grant := pr.release(t, e)

	for _, lang := range omadata.Languages {
		t.Run(lang, func(t *testing.T) {
			p := c.get("/" + lang + "/usage")
			if p.status != 200 {
				t.Fatalf("got %d", p.status)
			}
			for _, want := range []string{
				msgOf(t, lang, "network.registered-at", espooName[lang]),
				msgOf(t, lang, "usage.peer-checked", espooName[lang]),
				pr.esp.Peer.LogOrigin,
			} {
				if !strings.Contains(p.body, want) {
					t.Errorf("the page does not say %q", want)
				}
			}
			if !strings.Contains(p.body, "/usage/proof?index=") {
				t.Error("our own proof is not offered beside Espoo's")
			}
			checkGolden(t, g, lang, "network-usage", p.body)
		})
	}
	uses, _, err := e.store.FindUsage(storetest.Admin(), omadata.UsageFilter{ResidentID: e.resident(t, mattiCode).ID})
	if err != nil || len(uses) == 0 || uses[0].RecordID != grant.ID || uses[0].Log.Leaf.Peer == nil {
		t.Fatalf("got usage %+v, %v, want the grant with Espoo's leaf", uses, err)
	}

	// A checkpoint that does not open with Espoo's key: not confirmed.
	peerLog.vkey = logVerifierKey(t, pr.us)
	peerLog.origin = pr.esp.Peer.LogOrigin
	for _, lang := range omadata.Languages {
		p := c.get("/" + lang + "/usage")
		if want := msgOf(t, lang, "usage.peer-not-confirmed", espooName[lang]); p.status != 200 || !strings.Contains(p.body, want) {
			t.Errorf("%s: got %d; the page does not say %q", lang, p.status, want)
		}
	}
	// Espoo's log cannot be read at all: not reached, and the page still shows.
	dead := storetest.OpenSQLite(t)
	if err := dead.DB().Close(); err != nil {
		t.Fatal(err)
	}
	*peerLog = storeLog{s: dead, origin: pr.esp.Peer.LogOrigin, vkey: logVerifierKey(t, pr.esp)}
	for _, lang := range omadata.Languages {
		p := c.get("/" + lang + "/usage")
		if want := msgOf(t, lang, "usage.peer-unreachable", espooName[lang]); p.status != 200 || !strings.Contains(p.body, want) {
			t.Errorf("%s: got %d; the page does not say %q", lang, p.status, want)
		} else if strings.Contains(p.body, msgOf(t, lang, "usage.peer-checked", espooName[lang])) {
			t.Errorf("%s: the page says checked while Espoo's log is down", lang)
		}
	}
}
