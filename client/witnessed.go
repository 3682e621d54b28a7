// SPDX-License-Identifier: Apache-2.0

package client

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/witness"
)

// witnessed is what RequireWitnessed asks for.
type witnessed struct {
	k         int
	witnesses []witness.PolicyWitness // one per distinct public key
	err       error                   // a key that does not parse or is named twice, a bad k: reported by CheckGrantLog
}

// RequireWitnessed makes the Verifier refuse a grant unless its
// `grant.issued` log leaf is included in a checkpoint of the operator's
// log that carries valid cosignatures (C2SP tlog-cosignature,
// cosignature/v1) of at least k of the witnesses whose signed-note
// verifier keys are named (docs/witnessing.md §5). Each witness counts
// once: a public key named twice (under one name or two) is refused, as
// is a k above the number of distinct keys. The log key is the one of
// WithLogKey, else the operator's /.well-known/mydata/log-key. A grant
// once found witnessed is remembered. See Verifier.CheckGrantLog.
func RequireWitnessed(k int, witnessVerifierKeys ...string) VerifierOption {
	return func(v *Verifier) {
		w := &witnessed{k: k}
		if k < 1 || k > len(witnessVerifierKeys) {
			w.err = fmt.Errorf("omadata: RequireWitnessed(%d, %d keys): k must be from 1 to the number of keys", k, len(witnessVerifierKeys))
		}
		// A witness is its public key: a cosignature/v1 signature does
		// not cover the key's name (tlog-cosignature §Format), so one key
		// named twice, under one name or two, is one witness.
		named := map[string]string{} // public key → the first verifier key naming it
		for _, vk := range witnessVerifierKeys {
			if _, err := witness.NewCosignatureVerifier(vk); err != nil {
				if w.err == nil {
					w.err = fmt.Errorf("omadata: RequireWitnessed: witness key %q: %w", vk, err)
				}
				continue
			}
			pub := witness.CosignaturePublicKey(vk)
			if first, ok := named[pub]; ok {
				if w.err == nil {
					w.err = fmt.Errorf("omadata: RequireWitnessed: witness key %q has the public key of %q: each witness is named once", vk, first)
				}
				continue
			}
			named[pub] = vk
			w.witnesses = append(w.witnesses, witness.PolicyWitness{Label: "w" + strconv.Itoa(len(w.witnesses)+1), VerifierKey: vk})
		}
		if w.err == nil && k > len(w.witnesses) {
			w.err = fmt.Errorf("omadata: RequireWitnessed(%d, %d distinct keys): k must be from 1 to the number of distinct keys", k, len(w.witnesses))
		}
		v.witnessed = w
	}
}

// WithLogKey pins the operator's log verifier key (as
// /.well-known/mydata/log-key publishes it) for RequireWitnessed and
// CheckGrantLog; without it the Verifier fetches it from the operator.
func WithLogKey(vkey string) VerifierOption { return func(v *Verifier) { v.logKey = vkey } }

// NotWitnessedError is CheckGrantLog's answer when the grant's leaf is
// not yet in a checkpoint enough witnesses cosigned: not a failure, try
// again later (witnesses cosign within seconds; docs/witnessing.md §3).
type NotWitnessedError struct {
	GrantID string
	Index   int64 // the leaf's index; -1 when it waits for its first checkpoint
	Size    int64 // of the newest checkpoint k witnesses cosigned; 0 when none
}

func (e *NotWitnessedError) Error() string {
	if e.Index < 0 {
		return fmt.Sprintf("omadata: grant %s: its log leaf waits for the next checkpoint; try again later", e.GrantID)
	}
	return fmt.Sprintf("omadata: grant %s: its log leaf %d is not yet in a witnessed checkpoint (witnessed size %d); try again later", e.GrantID, e.Index, e.Size)
}

// LogCheckError is CheckGrantLog's answer when the check fails: the
// operator's log does not prove the grant as it should. Do not trust the
// grant.
type LogCheckError struct {
	GrantID string
	Reason  string
}

func (e *LogCheckError) Error() string {
	return fmt.Sprintf("omadata: grant %s: its log reference does not verify: %s", e.GrantID, e.Reason)
}

// CheckGrantLog checks grantID's log reference against a witnessed
// checkpoint (RequireWitnessed): it finds the grant's `grant.issued` leaf
// in the service's own log (GET /api/v1/services/{id}/log?record={grant}, with the
// Verifier's Client, whose service is a party to the grant), reads the
// newest witnessed checkpoint (GET /api/v1/public/log/checkpoint?witnessed=true),
// checks the log's signature on it with the log key and at least k
// valid cosignatures of the named witnesses, and the leaf's RFC 6962
// inclusion proof at the checkpoint's size. It returns nil, a
// *NotWitnessedError (retry later), a *LogCheckError (the check failed),
// or another error when the operator cannot be reached.
func (v *Verifier) CheckGrantLog(ctx context.Context, grantID string) error {
	w := v.witnessed
	if w == nil {
		return errors.New("omadata: CheckGrantLog needs RequireWitnessed")
	} else if w.err != nil {
		return w.err
	}
	v.mu.Lock()
	done := v.witnessedGrants[grantID]
	v.mu.Unlock()
	if done {
		return nil
	}
	bad := func(format string, args ...any) error {
		return &LogCheckError{GrantID: grantID, Reason: fmt.Sprintf(format, args...)}
	}
	e, err := v.grantLeaf(ctx, grantID)
	if err != nil {
		return err
	} else if e == nil {
		return bad("no grant.issued leaf for it in the service's log")
	}
	leaf, err := base64.StdEncoding.DecodeString(e.LeafData)
	if err != nil {
		return bad("its leaf is not base64")
	}
	var l omadata.LogLeaf
	if err := json.Unmarshal(leaf, &l); err != nil || l.Kind != omadata.LeafGrantIssued || l.Record != grantID || string(l.Bytes()) != string(leaf) {
		return bad("the leaf's bytes are not the grant's grant.issued leaf")
	}
	if e.Index == nil {
		return &NotWitnessedError{GrantID: grantID, Index: -1}
	}
	index := *e.Index
	logKey, err := v.logVerifierKey(ctx)
	if err != nil {
		return err
	}
	lv, err := note.NewVerifier(logKey)
	if err != nil {
		return bad("the log key %q: %v", logKey, err)
	}
	signed, status, err := v.public(ctx, "/api/v1/public/log/checkpoint?witnessed=true")
	if status == http.StatusNotFound {
		return &NotWitnessedError{GrantID: grantID, Index: index}
	} else if err != nil {
		return err
	}
	// Our own policy, k of the named witnesses: each counts once.
	verified, err := witness.NewPolicy(logKey, "", w.witnesses, w.k).Verify(signed)
	if err != nil || verified.Checkpoint.Origin != lv.Name() {
		return bad("the witnessed checkpoint's log signature does not verify with the log key")
	}
	cp := verified.Checkpoint
	if !verified.Met {
		// The operator's witnessed checkpoint meets its own policy, not
		// ours: wait for more cosignatures.
		return &NotWitnessedError{GrantID: grantID, Index: index, Size: cp.Size}
	}
	if index >= cp.Size {
		return &NotWitnessedError{GrantID: grantID, Index: index, Size: cp.Size}
	}
	b, _, err := v.public(ctx, "/api/v1/public/log/proofs/inclusion?"+url.Values{"index": {strconv.FormatInt(index, 10)}, "size": {strconv.FormatInt(cp.Size, 10)}}.Encode())
	if err != nil {
		return err
	}
	var ip omadata.InclusionProof
	if err := json.Unmarshal(b, &ip); err != nil {
		return bad("the inclusion proof is not JSON")
	}
	var proof tlog.RecordProof
	for _, s := range ip.Hashes {
		h, err := tlog.ParseHash(s)
		if err != nil {
			return bad("the inclusion proof has a bad hash")
		}
		proof = append(proof, h)
	}
	if err := tlog.CheckRecord(proof, cp.Size, cp.Root, index, tlog.RecordHash(leaf)); err != nil {
		return bad("the inclusion proof of leaf %d does not verify at the witnessed size %d", index, cp.Size)
	}
	v.mu.Lock()
	if v.witnessedGrants == nil {
		v.witnessedGrants = map[string]bool{}
	}
	if len(v.witnessedGrants) > 100000 {
		clear(v.witnessedGrants)
	}
	v.witnessedGrants[grantID] = true
	v.mu.Unlock()
	return nil
}

// grantLeaf finds the grant's grant.issued leaf in the service's own log
// (?record= the grant); nil when there is none.
func (v *Verifier) grantLeaf(ctx context.Context, grantID string) (*omadata.LogEvent, error) {
	var out struct {
		Items []*omadata.LogEvent `json:"items"`
	}
	q := url.Values{"record": {grantID}, "limit": {"100"}}
	if _, err := v.c.do(ctx, "GET", "/api/v1/services/"+url.PathEscape(v.sourceID)+"/log?"+q.Encode(), nil, nil, &out); err != nil {
		return nil, err
	}
	for _, e := range out.Items {
		if e.Leaf != nil && e.Leaf.Kind == omadata.LeafGrantIssued && e.Leaf.Record == grantID {
			return e, nil
		}
	}
	return nil, nil
}

// logVerifierKey is the pinned log key, else the operator's published
// one (its first line).
func (v *Verifier) logVerifierKey(ctx context.Context) (string, error) {
	if v.logKey != "" {
		return v.logKey, nil
	}
	b, _, err := v.public(ctx, "/.well-known/mydata/log-key")
	if err != nil {
		return "", err
	}
	k, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	if k == "" {
		return "", errors.New("omadata: the operator publishes no log key")
	}
	return strings.TrimSpace(k), nil
}

// public reads a public document of the operator.
func (v *Verifier) public(ctx context.Context, path string) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", v.operator+path, nil)
	if err != nil {
		return nil, 0, err
	}
	res, err := v.c.hc.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return nil, res.StatusCode, err
	} else if res.StatusCode != http.StatusOK {
		return nil, res.StatusCode, apiError(res.StatusCode, b)
	}
	return b, res.StatusCode, nil
}
