// SPDX-License-Identifier: Apache-2.0

package netnode_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/federation"
	"github.com/omadata/omadata/internal/netnode"
	"github.com/omadata/omadata/internal/store/storetest"
	"github.com/omadata/omadata/internal/witness"
)

// witnessKey gives op a witness in its metadata (docs/witnessing.md §1),
// before it is admitted, and returns its verifier key: named after its
// operator ID, as the chain requires.
func witnessKey(t *testing.T, op *operator) string {
	t.Helper()
	name := omadata.WitnessName(op.URL)
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	c, err := witness.NewCosigner(name, priv)
	if err != nil {
		t.Fatal(err)
	}
	md := &op.Node.Member.Config.Metadata
	md.WitnessEndpoint, md.WitnessVerifierKey = op.URL+"/witness/v1", c.VerifierKey()
	return c.VerifierKey()
}

// TestWitnessLogSync: the members' logs are among those an operator
// witnesses, origin and key from their chains, and the members that
// publish a witness are its log's witnesses; a suspended member's log is
// witnessed no more (docs/witnessing.md §2, §3).
func TestWitnessLogSync(t *testing.T) {
	ctx := storetest.Admin()
	a := startAnchor(t)
	hki, esp, tku := startOperator(t, a, "Helsinki"), startOperator(t, a, "Espoo"), startOperator(t, a, "Turku")
	espKey := witnessKey(t, esp) // Turku, of an older version, has none
	admit(t, a, hki, esp, tku)

	n, err := hki.Node.WitnessLogs.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	} else if n != 2 {
		t.Errorf("changed %d logs, want Espoo's and Turku's", n)
	}
	logs, err := hki.Store.FindWitnessedLogs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byOperator := map[string]*omadata.WitnessedLog{}
	for _, l := range logs {
		byOperator[l.OperatorID] = l
	}
	for _, op := range []*operator{esp, tku} {
		l := byOperator[op.URL]
		md := op.Node.Member.Config.Metadata
		if l == nil || l.Origin != md.LogOrigin || len(l.VerifierKeys) != 1 || l.VerifierKeys[0] != md.LogVerifierKey ||
			l.Source != omadata.WitnessLogPeer || !l.Active {
			t.Errorf("%s's log: got %+v, want %s with its key, active", op.URL, l, md.LogOrigin)
		}
	}
	if len(logs) != 2 {
		t.Errorf("got %d logs, want 2: not its own", len(logs))
	}
	if n, err := hki.Node.WitnessLogs.Sync(ctx); err != nil || n != 0 {
		t.Errorf("a second sync changed %d, %v; want nothing", n, err)
	}

	ws, err := hki.Node.Witnesses(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 1 || ws[0].Name != omadata.WitnessName(esp.URL) || ws[0].VerifierKey != espKey || ws[0].URL != esp.URL+"/witness/v1" ||
		ws[0].OperatorID != esp.URL || ws[0].Label["fi"] == "" {
		t.Fatalf("witnesses = %+v, want Espoo's alone: Turku publishes none, the anchor names none", ws)
	}

	// Turku claims Espoo's log origin, with a key of its own named by it
	// (security review of issue 18, finding 1): Turku's chain fails, so
	// it is witnessed no more, and Espoo's log stays as Espoo's chain
	// gave it, keys, operator and all.
	espLog := byOperator[esp.URL]
	_, rogueKey, err := note.GenerateKey(rand.Reader, espLog.Origin)
	if err != nil {
		t.Fatal(err)
	}
	serveConfiguration(t, a, tku, func(md *omadata.OperatorMetadata) { md.LogOrigin, md.LogVerifierKey = espLog.Origin, rogueKey })
	if err := hki.Node.Resolver.Drop(ctx, tku.URL); err != nil {
		t.Fatal(err)
	}
	if _, err := hki.Node.WitnessLogs.Sync(ctx); err == nil {
		t.Error("Turku's claim of Espoo's origin: the sync reported no refusal")
	}
	if l, err := hki.Store.WitnessedLog(ctx, espLog.Origin); err != nil || l.OperatorID != esp.URL || !slices.Equal(l.VerifierKeys, espLog.VerifierKeys) || !l.Active {
		t.Errorf("Espoo's log after Turku's claim: %+v, %v; want Espoo's, unchanged", l, err)
	}
	if l, err := hki.Store.WitnessedLog(ctx, tku.Node.Member.Config.Metadata.LogOrigin); err != nil || l.Active {
		t.Errorf("Turku's own log after its chain failed: %+v, %v; want inactive", l, err)
	}

	// Espoo suspended: its log is not witnessed, nor its witness asked.
	if _, err := a.Suspend(ctx, esp.URL, "unpaid fee", "test"); err != nil {
		t.Fatal(err)
	}
	if err := hki.Node.Resolver.Drop(ctx, esp.URL); err != nil {
		t.Fatal(err)
	}
	if n, err := hki.Node.WitnessLogs.Sync(ctx); n != 1 || err == nil {
		t.Errorf("after the suspension: changed %d, %v; want Espoo's log off and its refusal reported", n, err)
	}
	l, err := hki.Store.WitnessedLog(ctx, esp.Node.Member.Config.Metadata.LogOrigin)
	if err != nil || l.Active {
		t.Errorf("Espoo's log: %+v, %v; want kept, inactive", l, err)
	}
	if ws, _ := hki.Node.Witnesses(ctx); len(ws) != 0 {
		t.Errorf("witnesses = %+v, want none", ws)
	}
}

// serveConfiguration makes op serve its entity configuration with change
// applied to its metadata, signed with its key and carrying its trust
// mark: a chain that fails only by what change does.
func serveConfiguration(t *testing.T, a *testAnchor, op *operator, change func(md *omadata.OperatorMetadata)) {
	t.Helper()
	ctx := context.Background()
	c := op.Node.Member.Config
	change(&c.Metadata)
	c.Keys = []federation.Key{op.Key}
	as, err := federation.FetchAnchor(ctx, http.DefaultClient, a.URL, a.Keys, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	tm, err := federation.FetchTrustMark(ctx, http.DefaultClient, as, op.URL)
	if err != nil {
		t.Fatal(err)
	}
	c.TrustMarks = []federation.TrustMarkRef{{Type: federation.MemberTrustMarkType(a.URL), TrustMark: tm}}
	jws, err := federation.EntityConfiguration(&c, op.Key, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	op.configuration.Store(&jws)
}

// TestAnchorWitness: the trust anchor's witness is read from its
// configuration's omadata_witness metadata, its endpoint on the anchor's
// origin and its key a cosignature/v1 key named after the anchor's ID.
func TestAnchorWitness(t *testing.T) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	c, err := witness.NewCosigner("anchor.example/witness", priv)
	if err != nil {
		t.Fatal(err)
	}
	other, err := witness.NewCosigner("helsinki.example/witness", priv)
	if err != nil {
		t.Fatal(err)
	}
	st := func(endpoint, vkey, org string) *federation.Statement {
		s := &federation.Statement{Issuer: "https://anchor.example", Subject: "https://anchor.example", Metadata: map[string]json.RawMessage{}}
		if endpoint != "" || vkey != "" {
			s.Metadata[netnode.MetadataWitness], _ = json.Marshal(map[string]string{"witness_endpoint": endpoint, "witness_verifier_key": vkey})
		}
		if org != "" {
			s.Metadata[federation.MetadataFederation], _ = json.Marshal(map[string]string{"organization_name": org})
		}
		return s
	}
	w, err := netnode.AnchorWitness(st("https://anchor.example/witness/v1", c.VerifierKey(), ""))
	if err != nil || w == nil || w.Name != "anchor.example/witness" || w.URL != "https://anchor.example/witness/v1" ||
		w.Label["fi"] != "Verkoston luottamusankkuri" || w.Label["sv"] != "Nätverkets förtroendeankare" || w.Label["en"] != "The network's trust anchor" {
		t.Errorf("got %+v, %v", w, err)
	}
	if w, err := netnode.AnchorWitness(st("https://anchor.example/witness/v1", c.VerifierKey(), "Kuntaverkko")); err != nil || w.Label["sv"] != "Kuntaverkko" {
		t.Errorf("with an organization_name: got %+v, %v", w, err)
	}
	if w, err := netnode.AnchorWitness(st("", "", "")); w != nil || err != nil {
		t.Errorf("none: got %+v, %v; want nil, nil", w, err)
	}
	for name, s := range map[string]*federation.Statement{
		"OffOrigin": st("https://other.example/witness/v1", c.VerifierKey(), ""),
		"NotAKey":   st("https://anchor.example/witness/v1", "anchor.example/witness+00000000+AAAA", ""),
		"NoKey":     st("https://anchor.example/witness/v1", "", ""),
		// A member's witness key (or any other name) passed off as the
		// anchor's: the name is bound to the anchor's ID.
		"KeyOfAMember": st("https://anchor.example/witness/v1", other.VerifierKey(), ""),
	} {
		if w, err := netnode.AnchorWitness(s); err == nil {
			t.Errorf("%s: got %+v, want an error", name, w)
		}
	}
}

// TestNetworkWitnessesKept: the network's witnesses of an operator's log
// are kept in its store; restarted while the trust anchor cannot be
// reached, the operator still asks them all and its policy still needs
// them (never "quorum none", never fewer); the list shrinks only when
// the anchor says a member left (docs/witnessing.md §3, §5).
func TestNetworkWitnessesKept(t *testing.T) {
	ctx := storetest.Admin()
	a := startAnchor(t)
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if a.Witness, err = witness.NewCosigner(omadata.WitnessName(a.URL), priv); err != nil {
		t.Fatal(err)
	}
	hki, esp, tku := startOperator(t, a, "Helsinki"), startOperator(t, a, "Espoo"), startOperator(t, a, "Turku")
	witnessKey(t, esp)
	witnessKey(t, tku)
	espName, tkuName := omadata.WitnessName(esp.URL), omadata.WitnessName(tku.URL)
	admit(t, a, hki, esp, tku)
	if _, err := hki.Node.WitnessLogs.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	// The members' in the anchor's order (of its IDs), then the anchor's.
	names := func(ws []omadata.WitnessRef) string {
		var out []string
		for _, w := range ws {
			out = append(out, w.Name)
		}
		if len(out) > 1 {
			slices.Sort(out[:len(out)-1])
		}
		return strings.Join(out, " ")
	}
	members := []string{espName, tkuName}
	slices.Sort(members)
	all := strings.Join(members, " ") + " " + a.Witness.Name()
	if ws, err := hki.Node.Witnesses(ctx); err != nil || names(ws) != all {
		t.Fatalf("witnesses = %q, %v; want %q", names(ws), err, all)
	}

	// Restarted with the anchor down: the list comes from the store, and
	// a sync that cannot reach the anchor changes nothing.
	a.Down.Store(true)
	restarted, err := netnode.New(hki.opts)
	if err != nil {
		t.Fatal(err)
	}
	ws, err := restarted.Witnesses(ctx)
	i := slices.IndexFunc(ws, func(w omadata.WitnessRef) bool { return w.Name == espName })
	if err != nil || names(ws) != all || ws[i].OperatorID != esp.URL || ws[i].Label["fi"] == "" || ws[2].OperatorID != "" || ws[2].URL != a.URL+"/witness/v1" {
		t.Fatalf("after a restart: %+v, %v; want %q", ws, err, all)
	}
	if _, err := restarted.WitnessLogs.Sync(ctx); err == nil {
		t.Errorf("a sync with the anchor down: no error")
	}
	if ws, _ := restarted.Witnesses(ctx); names(ws) != all {
		t.Errorf("after a sync with the anchor down: %q, want %q", names(ws), all)
	}
	o := &witness.Own{Log: hki.Store, Store: hki.Store, Source: restarted, LogKey: hki.opts.Metadata.LogVerifierKey, Quorum: -1, Network: true}
	p, err := o.WitnessPolicy(ctx)
	if err != nil || !strings.Contains(string(p), "\ngroup witnesses 2 ") || strings.Count(string(p), "\nwitness ") != 3 || !strings.HasSuffix(string(p), "quorum witnesses\n") {
		t.Fatalf("policy with the anchor down:\n%s%v", p, err)
	}

	// Back, the anchor says Turku left: only Turku's witness leaves.
	a.Down.Store(false)
	if _, err := a.Suspend(ctx, tku.URL, "unpaid fee", "test"); err != nil {
		t.Fatal(err)
	}
	if err := restarted.Resolver.Drop(ctx, tku.URL); err != nil {
		t.Fatal(err)
	}
	restarted.WitnessLogs.Sync(ctx)
	want := espName + " " + a.Witness.Name()
	if ws, _ := restarted.Witnesses(ctx); names(ws) != want {
		t.Errorf("after Turku's suspension: %q, want %q", names(ws), want)
	}
	if ws, err := hki.Store.NetworkWitnesses(ctx); err != nil || names(ws) != want {
		t.Errorf("kept: %q, %v; want %q", names(ws), err, want)
	}
}
