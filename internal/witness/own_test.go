// SPDX-License-Identifier: Apache-2.0

package witness_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/witness"
	"github.com/omadata/omadata/internal/witness/witnesstest"
)

// addCosignatures stores a line of each of cs on the own checkpoint of size.
func addCosignatures(t *testing.T, st *witnesstest.Mem, cp *omadata.Checkpoint, cs ...*witness.Cosigner) {
	t.Helper()
	text, _, _ := strings.Cut(cp.Note, "\n\n")
	var out []*omadata.Cosignature
	for _, c := range cs {
		line, err := c.Cosign(text + "\n")
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, &omadata.Cosignature{Size: cp.Size, Witness: c.Name(), Line: line, Time: time.Now()})
	}
	if err := st.AddCosignatures(context.Background(), cp.Size, out); err != nil {
		t.Fatal(err)
	}
}

func TestOwn(t *testing.T) {
	ctx := context.Background()
	own := testLog(t, "helsinki.example/log", 10)
	cp10, _ := own.LatestCheckpoint(ctx)
	st := witnesstest.NewMem(own)
	w := []*witness.Cosigner{mustCosigner(t, "espoo.example/witness", 1), mustCosigner(t, "turku.example/witness", 2), mustCosigner(t, "anchor.example/witness", 3)}
	var refs staticSource
	for i, c := range w {
		refs = append(refs, omadata.WitnessRef{Name: c.Name(), VerifierKey: c.VerifierKey(), URL: "https://" + c.Name() + "/v1", Label: omadata.Text{"en": []string{"Espoo", "Turku", "Anchor"}[i]}})
	}
	o := &witness.Own{Log: own, Store: st, Source: refs, LogKey: own.VerifierKey, LogURL: "https://helsinki.example/api/v1/public/log", Quorum: -1}

	if _, err := o.WitnessedCheckpoint(ctx); omadata.ErrorCode(err) != omadata.ENOTFOUND {
		t.Fatalf("no cosignature: got %v, want not found", err)
	}
	// Size 10: Turku and the anchor. Size 15: Espoo, and a line of Turku
	// made for another checkpoint. Size 20: nothing.
	addCosignatures(t, st, cp10, w[2], w[1])
	cp15, _ := own.Grow(ctx, 5, "a")
	addCosignatures(t, st, cp15, w[0])
	wrong, _ := w[1].Cosign(strings.Replace(strings.SplitN(cp15.Note, "\n\n", 2)[0]+"\n", "\n15\n", "\n14\n", 1))
	st.AddCosignatures(ctx, 15, []*omadata.Cosignature{{Size: 15, Witness: w[1].Name(), Line: wrong}})
	if _, err := own.Grow(ctx, 5, "b"); err != nil {
		t.Fatal(err)
	}

	wc, err := o.WitnessedCheckpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if wc.Size != 10 || wc.Quorum != 2 || wc.Witnesses != 3 || len(wc.Cosigners) != 2 || wc.Cosigners[0].Name != w[1].Name() || wc.Cosigners[1].Label.In("en") != "Anchor" || wc.Cosigners[1].URL == "" {
		t.Fatalf("witnessed checkpoint %+v", wc)
	}
	p, err := witness.ParsePolicy(mustPolicy(t, o))
	if err != nil {
		t.Fatal(err)
	}
	if v, err := p.Verify([]byte(wc.Note)); err != nil || !v.Met || !strings.HasPrefix(wc.Note, cp10.Note) {
		t.Fatalf("the answer's note does not meet the published policy: %+v, %v", v, err)
	}

	// Espoo cosigns 15 too: 15 is now the newest witnessed.
	addCosignatures(t, st, cp15, w[2])
	if wc, err := o.WitnessedCheckpoint(ctx); err != nil || wc.Size != 15 {
		t.Fatalf("got %+v, %v; want size 15", wc, err)
	}

	// Quorum 3: none meets it.
	o.Quorum = 3
	if _, err := o.WitnessedCheckpoint(ctx); omadata.ErrorCode(err) != omadata.ENOTFOUND {
		t.Fatalf("quorum 3: got %v", err)
	}
	// Quorum off: the latest checkpoint counts, with no cosigner.
	o.Quorum = 0
	if wc, err := o.WitnessedCheckpoint(ctx); err != nil || wc.Size != 20 || wc.Quorum != 0 || len(wc.Cosigners) != 0 {
		t.Fatalf("quorum none: got %+v, %v", wc, err)
	}
	if !strings.HasSuffix(string(mustPolicy(t, o)), "quorum none\n") {
		t.Fatalf("policy:\n%s", mustPolicy(t, o))
	}
	if ws, err := o.Witnesses(ctx); err != nil || len(ws) != 3 {
		t.Fatalf("Witnesses: %v, %v", ws, err)
	}
}

// TestOwnNetworkWithoutWitnesses: a network operator that knows no
// witness yet (its trust anchor not reached since its first start) has no
// policy and no witnessed checkpoint; it never publishes "quorum none",
// which would make any checkpoint count (docs/witnessing.md §5).
func TestOwnNetworkWithoutWitnesses(t *testing.T) {
	ctx := context.Background()
	own := testLog(t, "helsinki.example/log", 10)
	o := &witness.Own{Log: own, Store: witnesstest.NewMem(own), Source: staticSource{}, LogKey: own.VerifierKey,
		LogURL: "https://helsinki.example/api/v1/public/log", Quorum: -1, Network: true}
	if p, err := o.WitnessPolicy(ctx); omadata.ErrorCode(err) != omadata.ENOTFOUND {
		t.Errorf("policy: got %q, %v; want not found", p, err)
	}
	if wc, err := o.WitnessedCheckpoint(ctx); omadata.ErrorCode(err) != omadata.ENOTFOUND {
		t.Errorf("witnessed checkpoint: got %+v, %v; want not found", wc, err)
	}
	// Once one is known, the policy names it and needs it.
	c := mustCosigner(t, "espoo.example/witness", 1)
	o.Source = staticSource{{Name: c.Name(), VerifierKey: c.VerifierKey(), URL: "https://espoo.example/witness/v1"}}
	if p := string(mustPolicy(t, o)); !strings.HasSuffix(p, "group witnesses 1 espoo\nquorum witnesses\n") {
		t.Errorf("policy:\n%s", p)
	}
	// Outside a network, no witness is "quorum none": the operator's choice.
	o.Source, o.Network = staticSource{}, false
	if p := string(mustPolicy(t, o)); !strings.HasSuffix(p, "quorum none\n") {
		t.Errorf("policy outside a network:\n%s", p)
	}
}

func TestOwnPolicyFile(t *testing.T) {
	own := testLog(t, "helsinki.example/log", 1)
	refs := staticSource{
		{Name: "espoo.example/witness", VerifierKey: mustCosigner(t, "espoo.example/witness", 1).VerifierKey(), URL: "https://espoo.example/witness/v1"},
		{Name: "espoo.example/other", VerifierKey: mustCosigner(t, "espoo.example/other", 2).VerifierKey()},
		{Name: "witnesses.example/witness", VerifierKey: mustCosigner(t, "witnesses.example/witness", 3).VerifierKey()},
		// Espoo's key under another name: the same witness, left out.
		{Name: "vantaa.example/witness", VerifierKey: mustCosigner(t, "vantaa.example/witness", 1).VerifierKey()},
	}
	o := &witness.Own{Log: own, Store: witnesstest.NewMem(own), Source: refs, LogKey: own.VerifierKey, LogURL: "https://helsinki.example/api/v1/public/log", Quorum: -1}
	want := "log " + own.VerifierKey + " https://helsinki.example/api/v1/public/log\n" +
		"witness espoo " + refs[0].VerifierKey + " https://espoo.example/witness/v1\n" +
		"witness espoo-2 " + refs[1].VerifierKey + "\n" +
		"witness witnesses.example-witness " + refs[2].VerifierKey + "\n" +
		"group witnesses 2 espoo espoo-2 witnesses.example-witness\n" +
		"quorum witnesses\n"
	if got := string(mustPolicy(t, o)); got != want {
		t.Fatalf("policy:\n%s\nwant:\n%s", got, want)
	}
}

func mustPolicy(t *testing.T, o *witness.Own) []byte {
	t.Helper()
	b, err := o.WitnessPolicy(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := witness.ParsePolicy(b); err != nil {
		t.Fatalf("the published policy does not parse: %v\n%s", err, b)
	}
	return b
}

// TestWitnessServiceContract runs witnesstest's checks, which the store
// suite runs on the database, on the in-memory state.
func TestWitnessServiceContract(t *testing.T) {
	witnesstest.CheckWitnessService(t, context.Background(), witnesstest.NewMem(nil))
}

// TestOwnCache: with CacheFor, WitnessedCheckpoint answers from its last
// look until it expires (a cosignature stored meanwhile shows after it),
// and each caller gets its own copy.
func TestOwnCache(t *testing.T) {
	ctx := context.Background()
	own := testLog(t, "helsinki.example/log", 10)
	cp10, _ := own.LatestCheckpoint(ctx)
	st := witnesstest.NewMem(own)
	w := []*witness.Cosigner{mustCosigner(t, "espoo.example/witness", 1), mustCosigner(t, "turku.example/witness", 2)}
	refs := staticSource{{Name: w[0].Name(), VerifierKey: w[0].VerifierKey()}, {Name: w[1].Name(), VerifierKey: w[1].VerifierKey()}}
	o := &witness.Own{Log: own, Store: st, Source: refs, LogKey: own.VerifierKey, Quorum: 2, CacheFor: time.Hour}
	if _, err := o.WitnessedCheckpoint(ctx); omadata.ErrorCode(err) != omadata.ENOTFOUND {
		t.Fatalf("no cosignature: got %v, want not found", err)
	}
	addCosignatures(t, st, cp10, w...)
	if _, err := o.WitnessedCheckpoint(ctx); omadata.ErrorCode(err) != omadata.ENOTFOUND {
		t.Fatalf("within CacheFor: got %v, want the cached not found", err)
	}
	fresh := &witness.Own{Log: own, Store: st, Source: refs, LogKey: own.VerifierKey, Quorum: 2, CacheFor: time.Nanosecond}
	a, err := fresh.WitnessedCheckpoint(ctx)
	if err != nil || a.Size != 10 || len(a.Cosigners) != 2 {
		t.Fatalf("after it expired: got %+v, %v", a, err)
	}
	fresh.CacheFor = time.Hour
	a, _ = fresh.WitnessedCheckpoint(ctx)
	a.Cosigners[0].Name = "changed"
	if b, _ := fresh.WitnessedCheckpoint(ctx); b.Cosigners[0].Name == "changed" {
		t.Fatal("a caller's change reached the cache")
	}
}
