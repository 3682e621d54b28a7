// SPDX-License-Identifier: Apache-2.0

package web_test

import (
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store/storetest"
)

// TestLogOverHTTP verifies the log as a third party would, over HTTP only:
// the published key, the checkpoint note, leaves, inclusion proofs and a
// consistency proof, with golang.org/x/mod/sumdb/tlog and note.
func TestLogOverHTTP(t *testing.T) {
	e := newEnv(t, nil)
	r := e.do(t, "GET", "/.well-known/mydata/log-key", "", nil)
	wantStatus(t, r, 200)
	vkey := strings.TrimSpace(string(r.body))
	checkpoint := func() (int64, tlog.Hash) {
		t.Helper()
		r := e.do(t, "GET", "/api/v1/public/log/checkpoint", "", nil)
		wantStatus(t, r, 200)
		if ct := r.header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
			t.Fatalf("checkpoint Content-Type %q", ct)
		}
		size, root, err := storetest.OpenCheckpoint(r.body, vkey, storetest.LogOrigin)
		if err != nil {
			t.Fatalf("checkpoint %q: %v", r.body, err)
		}
		return size, root
	}
	oldSize, oldRoot := checkpoint()

	rec := storetest.PopulateLog(t, e.store)
	size, root := checkpoint()
	if size <= oldSize {
		t.Fatalf("the tree did not grow: %d, then %d", oldSize, size)
	}
	for i := range size {
		var entry omadata.LogEntry
		e.do(t, "GET", "/api/v1/public/log/leaves/"+strconv.FormatInt(i, 10), "", nil).decode(t, &entry)
		leaf, err := base64.StdEncoding.DecodeString(entry.LeafData)
		must(t, "leaf data", err)
		var p omadata.InclusionProof
		e.do(t, "GET", "/api/v1/public/log/proofs/inclusion?index="+strconv.FormatInt(i, 10), "", nil).decode(t, &p)
		checkRecord(t, p.Hashes, size, root, i, leaf)
		var byHash omadata.InclusionProof
		e.do(t, "GET", "/api/v1/public/log/proofs/inclusion?leaf_hash="+urlQuery(entry.LeafHash), "", nil).decode(t, &byHash)
		if byHash.Index != i {
			t.Fatalf("leaf %d found by hash at %d", i, byHash.Index)
		}
	}
	var c omadata.ConsistencyProof
	e.do(t, "GET", "/api/v1/public/log/proofs/consistency?old="+strconv.FormatInt(oldSize, 10), "", nil).decode(t, &c)
	if err := tlog.CheckTree(parseHashes(t, c.Hashes), size, root, oldSize, oldRoot); err != nil {
		t.Fatalf("consistency %d -> %d: %v", oldSize, size, err)
	}

	// Who used my data, over HTTP, with proofs that check.
	se, err := e.store.CreateSession(adminCtx(), rec.ResidentID, time.Hour)
	must(t, "session", err)
	var usage struct{ Items []omadata.Usage }
	e.do(t, "GET", "/api/v1/me/usage", se.Token, nil).decode(t, &usage)
	if len(usage.Items) != 4 {
		t.Fatalf("got %d uses, want the transfer, the grant and two permits (one the grant's)", len(usage.Items))
	}
	for _, u := range usage.Items {
		leaf, err := base64.StdEncoding.DecodeString(u.Log.LeafData)
		must(t, "leaf data", err)
		checkRecord(t, u.Log.Proof.Hashes, size, root, u.Log.Proof.Index, leaf)
	}
	_, other := e.residentSession(t, storetest.AdultCode2)
	r = e.do(t, "GET", "/api/v1/me/usage?on_behalf_of="+rec.ResidentID, other, nil)
	wantStatus(t, r, 404)

	// Bad questions name their field.
	for path, field := range map[string]string{
		"/api/v1/public/log/proofs/inclusion":                      "index",
		"/api/v1/public/log/proofs/inclusion?index=-1":             "index",
		"/api/v1/public/log/proofs/inclusion?index=0&size=999999":  "size",
		"/api/v1/public/log/proofs/inclusion?index=0&leaf_hash=AA": "leaf_hash",
		"/api/v1/public/log/proofs/consistency":                    "old",
		"/api/v1/public/log/proofs/consistency?old=0":              "old",
		"/api/v1/public/log/leaves/x":                              "index",
	} {
		r := e.do(t, "GET", path, "", nil)
		wantStatus(t, r, 400)
		if got := r.err(t).Field; got != field {
			t.Errorf("%s: got field %q, want %q", path, got, field)
		}
	}
}

func parseHashes(t *testing.T, hs []string) []tlog.Hash {
	t.Helper()
	out := make([]tlog.Hash, len(hs))
	for i, h := range hs {
		var err error
		if out[i], err = tlog.ParseHash(h); err != nil {
			t.Fatalf("hash %q: %v", h, err)
		}
	}
	return out
}

func checkRecord(t *testing.T, hashes []string, size int64, root tlog.Hash, index int64, leaf []byte) {
	t.Helper()
	if err := tlog.CheckRecord(parseHashes(t, hashes), size, root, index, tlog.RecordHash(leaf)); err != nil {
		t.Fatalf("leaf %d: %v", index, err)
	}
}

func urlQuery(s string) string {
	return strings.NewReplacer("+", "%2B", "/", "%2F", "=", "%3D").Replace(s)
}
