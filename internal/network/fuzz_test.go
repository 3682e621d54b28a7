// SPDX-License-Identifier: Apache-2.0

package network_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/omadata/omadata/internal/network"
)

// memoryReplay is a Replay in this process, for the fuzz target, which
// must not touch a database on every input.
type memoryReplay struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (m *memoryReplay) UseOnce(_ context.Context, scope, nonce string, _ time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seen[scope+" "+nonce] {
		return false, nil
	}
	m.seen[scope+" "+nonce] = true
	return true, nil
}

// FuzzVerifyCall: whatever a caller sends as Signature-Input, Signature,
// Content-Digest and Host, the Verifier answers with a refusal of a known
// reason, never a panic, and admits only a call signed by a member.
func FuzzVerifyCall(f *testing.F) {
	caller := newMember(f, "https://espoo.example")
	req, _ := http.NewRequest(http.MethodPost, "https://helsinki.example/network/v1/decisions", nil)
	network.Sign(req, []byte(`{}`), caller.id, caller.kid, caller.key, time.Unix(1767225600, 0))
	f.Add(req.Header.Get("Signature-Input"), req.Header.Get("Signature"), req.Header.Get("Content-Digest"), "helsinki.example", `{}`)
	f.Add(`net=();created=1`, `net=:AAAA:`, `sha-256=:AAAA:`, "helsinki.example", ``)
	known := map[string]bool{}
	for _, r := range []string{network.ReasonUnsigned, network.ReasonMalformed, network.ReasonWrongTag, network.ReasonWrongAudience,
		network.ReasonExpired, network.ReasonDigestMismatch, network.ReasonNotMember, network.ReasonBadSignature, network.ReasonReplayed} {
		known[r] = true
	}
	v := &network.Verifier{OperatorID: "https://helsinki.example", Keys: newKeys(caller), Replay: &memoryReplay{seen: map[string]bool{}},
		Now: func() time.Time { return time.Unix(1767225610, 0) }}
	f.Fuzz(func(t *testing.T, input, sig, digest, host, body string) {
		r := httptest.NewRequest(http.MethodPost, "https://helsinki.example/network/v1/decisions", strings.NewReader(body))
		r.Host = host
		r.Header.Set("Signature-Input", input)
		r.Header.Set("Signature", sig)
		r.Header.Set("Content-Digest", digest)
		call, err := v.Verify(r, []byte(body))
		var rf *network.Refusal
		switch {
		case err == nil:
			if call.OperatorID != caller.id {
				t.Fatalf("admitted a call from %s", call.OperatorID)
			}
		case !errors.As(err, &rf) || !known[rf.Reason]:
			t.Fatalf("got %v", err)
		}
	})
}
