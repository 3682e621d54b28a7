// SPDX-License-Identifier: Apache-2.0

package client_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/client"
	"github.com/omadata/omadata/internal/store"
	"github.com/omadata/omadata/internal/store/storetest"
	"github.com/omadata/omadata/internal/web"
	"github.com/omadata/omadata/internal/witness"
)

type staticWitnesses []omadata.WitnessRef

func (s staticWitnesses) Witnesses(context.Context) ([]omadata.WitnessRef, error) { return s, nil }

// newWitness runs a real witness of the test stores' log on a test
// server: witness.Handler over a store of its own, with its own key.
func newWitness(t *testing.T, name, logKey string) omadata.WitnessRef {
	t.Helper()
	st := storetest.OpenURL(t, "sqlite:"+filepath.Join(t.TempDir(), "witness.db"))
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	c, err := witness.NewCosigner(name, key)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.PutWitnessedLog(storetest.Admin(), &omadata.WitnessedLog{Origin: storetest.LogOrigin, VerifierKeys: []string{logKey},
		Source: omadata.WitnessLogAdmin, Active: true, Reason: "a witness of the test"}); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /witness/v1/add-checkpoint", &witness.Handler{State: st, Cosigner: c})
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	return omadata.WitnessRef{Name: name, VerifierKey: c.VerifierKey(), URL: hs.URL + "/witness/v1"}
}

// TestRequireWitnessed runs a real operator whose log two real witnesses
// cosign: a source's Verifier with RequireWitnessed(2, both keys) refuses
// a grant as not yet witnessed (a *NotWitnessedError, 503 on a request)
// until its grant.issued leaf is in a checkpoint both cosigned, then takes
// it; a pinned log key that is not the operator's makes the check fail (a
// *LogCheckError, 403); a witness key not among the cosigners leaves the
// grant not witnessed.
func TestRequireWitnessed(t *testing.T) {
	var ws staticWitnesses
	var st *store.Store
	o := newOperator(t, func(s *store.Store, wo *web.Options) {
		st = s
		logKey := storetest.LogVerifierKey(t, s)
		ws = staticWitnesses{newWitness(t, "espoo.example/witness", logKey), newWitness(t, "turku.example/witness", logKey)}
		wo.Witnessed = &witness.Own{Log: s, Store: s, Source: ws, LogKey: logKey, Quorum: -1}
		wo.LogVerifierKey = logKey
	})
	ctx := context.Background()
	col := &witness.Collector{Log: st, Store: st, Witnesses: ws, Client: &witness.Client{HTTP: http.DefaultClient}, Timeout: 10 * time.Second}
	logKey := storetest.LogVerifierKey(t, st)
	srcToken := credential(t, st, o.n.Source.ID, omadata.ScopeTransfers, omadata.ScopeCatalogueRead)
	src := client.New(o.url, srcToken)

	sink := client.New(o.url, o.sinkToken)
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	g, err := sink.RequestGrant(ctx, &omadata.GrantInput{SourceID: o.n.Source.ID, Pseudonym: o.sinkPseudonym, DataGroupIDs: []string{o.n.Loans.ID},
		PurposeID: o.n.Recommendations.ID}, key)
	if err != nil || g.Token == "" {
		t.Fatalf("grant: %+v, %v", g, err)
	}

	both := client.RequireWitnessed(2, ws[0].VerifierKey, ws[1].VerifierKey)
	v := client.NewVerifier(o.url, o.n.Source.ID, src, both) // the log key from /.well-known/mydata/log-key
	pinned := client.NewVerifier(o.url, o.n.Source.ID, src, both, client.WithLogKey(logKey))
	notWitnessed := func(t *testing.T, v *client.Verifier, index bool) {
		t.Helper()
		var nw *client.NotWitnessedError
		if err := v.CheckGrantLog(ctx, g.ID); !errors.As(err, &nw) || nw.GrantID != g.ID || (nw.Index >= 0) != index {
			t.Fatalf("got %v, want not witnessed (index known: %v)", err, index)
		}
	}
	// A source's data API with the Verifier, as newSource with RequireWitnessed.
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := v.VerifyRequest(r.Context(), r); err != nil {
			var e *client.Error
			errors.As(err, &e)
			w.WriteHeader(e.Status)
			json.NewEncoder(w).Encode(map[string]string{"message": e.Message})
			return
		}
		w.Write([]byte(`{}`))
	}))
	t.Cleanup(hs.Close)
	call := func(t *testing.T) int {
		t.Helper()
		r, err := sink.DPoPRequest(ctx, "GET", hs.URL+"/loans", nil, g, key)
		if err != nil {
			t.Fatal(err)
		}
		status, _ := fetch(t, r)
		return status
	}

	// The grant's leaf waits for its checkpoint.
	notWitnessed(t, v, false)
	if status := call(t); status != http.StatusServiceUnavailable {
		t.Fatalf("before the checkpoint: %d, want 503", status)
	}
	// In a checkpoint no witness has cosigned yet.
	if _, err := st.IntegrateLog(storetest.Admin()); err != nil {
		t.Fatal(err)
	}
	notWitnessed(t, pinned, true)
	// Both witnesses cosign it.
	if err := col.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]*client.Verifier{"published key": v, "pinned key": pinned} {
		if err := v.CheckGrantLog(ctx, g.ID); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if status := call(t); status != http.StatusOK {
		t.Fatalf("witnessed: %d, want 200", status)
	}

	t.Run("a witness that did not cosign", func(t *testing.T) {
		_, other, _ := ed25519.GenerateKey(rand.Reader)
		oc, _ := witness.NewCosigner("vantaa.example/witness", other)
		v := client.NewVerifier(o.url, o.n.Source.ID, src, client.RequireWitnessed(2, ws[0].VerifierKey, oc.VerifierKey()))
		notWitnessed(t, v, true)
		// One of them is enough with k 1.
		v = client.NewVerifier(o.url, o.n.Source.ID, src, client.RequireWitnessed(1, ws[0].VerifierKey, oc.VerifierKey()))
		if err := v.CheckGrantLog(ctx, g.ID); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("another log key", func(t *testing.T) {
		other := storetest.OpenURL(t, "sqlite:"+filepath.Join(t.TempDir(), "other.db"))
		v := client.NewVerifier(o.url, o.n.Source.ID, src, both, client.WithLogKey(storetest.LogVerifierKey(t, other)))
		var lc *client.LogCheckError
		if err := v.CheckGrantLog(ctx, g.ID); !errors.As(err, &lc) || lc.GrantID != g.ID {
			t.Fatalf("got %v, want the check to fail", err)
		}
	})
	t.Run("one witness named twice", func(t *testing.T) {
		// The operator (here a proxy in front of it) copies Espoo's
		// cosignature line under a second name: a cosignature/v1
		// signature does not cover the key's name, so it verifies with
		// Espoo's public key named vantaa.example/witness. One witness
		// must not count twice, whatever the names.
		vantaa := renamedKey(t, ws[0].VerifierKey, "vantaa.example/witness")
		op := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			res, err := http.Get(o.url + r.URL.RequestURI())
			if err != nil {
				t.Error(err)
				return
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			if r.URL.Path == "/api/v1/public/log/checkpoint" {
				b = copyCosignature(t, b, ws[0].Name, vantaa)
			}
			w.WriteHeader(res.StatusCode)
			w.Write(b)
		}))
		t.Cleanup(op.Close)
		for _, opt := range []client.VerifierOption{client.RequireWitnessed(2, ws[0].VerifierKey, vantaa),
			client.RequireWitnessed(2, ws[0].VerifierKey, ws[0].VerifierKey)} {
			err := client.NewVerifier(op.URL, o.n.Source.ID, src, opt).CheckGrantLog(ctx, g.ID)
			if err == nil || !strings.Contains(err.Error(), "named once") {
				t.Errorf("one witness's key named twice, k 2: %v", err)
			}
		}
		// The copied line is no second witness: k 1 of the two names is
		// refused as well, as a key named twice.
		if err := client.NewVerifier(op.URL, o.n.Source.ID, src, client.RequireWitnessed(1, vantaa, ws[0].VerifierKey)).CheckGrantLog(ctx, g.ID); err == nil {
			t.Error("a key named twice checked with k 1")
		}
		// Distinct keys still count: Espoo through the proxy.
		if err := client.NewVerifier(op.URL, o.n.Source.ID, src, client.RequireWitnessed(2, ws[0].VerifierKey, ws[1].VerifierKey)).CheckGrantLog(ctx, g.ID); err != nil {
			t.Errorf("two distinct witnesses through the proxy: %v", err)
		}
	})
	t.Run("bad arguments", func(t *testing.T) {
		for _, opt := range []client.VerifierOption{client.RequireWitnessed(3, ws[0].VerifierKey, ws[1].VerifierKey),
			client.RequireWitnessed(1, "not a key"), client.RequireWitnessed(0)} {
			if err := client.NewVerifier(o.url, o.n.Source.ID, src, opt).CheckGrantLog(ctx, g.ID); err == nil {
				t.Error("a bad RequireWitnessed checked")
			}
		}
	})
}

// renamedKey is the cosignature/v1 verifier key vkey's public key under
// another name, with its key hash (signed-note §Verifier keys).
func renamedKey(t *testing.T, vkey, name string) string {
	t.Helper()
	_, rest, _ := strings.Cut(vkey, "+")
	_, key64, _ := strings.Cut(rest, "+")
	key, err := base64.StdEncoding.DecodeString(key64)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(append([]byte(name+"\n"), key...))
	out := fmt.Sprintf("%s+%08x+%s", name, binary.BigEndian.Uint32(h[:4]), key64)
	if _, err := witness.NewCosignatureVerifier(out); err != nil {
		t.Fatal(err)
	}
	return out
}

// copyCosignature adds to the signed note b a copy of the signature line
// of name under the name and key hash of the verifier key to.
func copyCosignature(t *testing.T, b []byte, name, to string) []byte {
	t.Helper()
	toName, rest, _ := strings.Cut(to, "+")
	hash, _, _ := strings.Cut(rest, "+")
	id, _ := hex.DecodeString(hash)
	for _, l := range strings.Split(string(b), "\n") {
		if sig, ok := strings.CutPrefix(l, "\u2014 "+name+" "); ok {
			raw, err := base64.StdEncoding.DecodeString(sig)
			if err != nil || len(raw) < 4 {
				t.Fatalf("a signature line of %s: %q", name, l)
			}
			copy(raw, id)
			return append(b, "\u2014 "+toName+" "+base64.StdEncoding.EncodeToString(raw)+"\n"...)
		}
	}
	t.Fatalf("no signature line of %s in %s", name, b)
	return nil
}
