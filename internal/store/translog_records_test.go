// SPDX-License-Identifier: Apache-2.0

package store

import (
	"strings"
	"testing"
	"time"
)

// TestRelayDigest: a relay's digest, which hashes the answer JWS without
// encoding it again, is the recordDigest of its columns, for a compact
// JWS and for any other answer.
func TestRelayDigest(t *testing.T) {
	at := time.Date(2026, 12, 7, 2, 30, 0, 123456789, time.UTC)
	groups := []string{"dg_1", "dg_<2>"}
	for _, answer := range []string{
		"", "eyJhbGciOiJFZERTQSJ9." + strings.Repeat("eyJxIjoxfQ-_", 1000) + ".c2ln",
		`not "a" JWS <&>`, "ä.b", "a\nb",
	} {
		want := recordDigest(map[string]any{
			"id": "rly_1", "operator_id": "https://helsinki.test", "kind": "decision", "sink_id": "svc_<sink>", "source_id": "svc_src",
			"resident_id": "res_1", "purpose_id": "pur_1", "data_group_ids": groups, "decision": "permit", "reason": "",
			"peer_record": "dec_&1", "answer": answer, "created_at": at,
		})
		pre := newAnswerHash(answer)
		for _, p := range []*answerHash{nil, pre, pre, newAnswerHash("another answer")} {
			got := relayDigest("rly_1", "https://helsinki.test", "decision", "svc_<sink>", "svc_src", "res_1", "pur_1", groups,
				"permit", "", "dec_&1", answer, at, p)
			if got != want {
				t.Errorf("answer %.20q: got %s, want %s", answer, got, want)
			}
		}
	}
}

// BenchmarkRelayDigest: the digest of one question's relay in a batch of
// 100 (an answer of about 60 kB), the answer hashed once for the call.
func BenchmarkRelayDigest(b *testing.B) {
	answer := "eyJhbGciOiJFZERTQSJ9." + strings.Repeat("eyJxIjoxfQ-_", 5000) + ".c2ln"
	at := time.Now()
	pre := newAnswerHash(answer)
	for b.Loop() {
		relayDigest("rly_1", "https://helsinki.test", "decision", "svc_sink", "svc_src", "res_1", "pur_1", []string{"dg_1"},
			"permit", "", "dec_1", answer, at, pre)
	}
}
