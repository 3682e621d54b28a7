// SPDX-License-Identifier: Apache-2.0

package omadata_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/omadata/omadata"
)

// reflectLeafBytes is the leaf encoding before AppendBytes: encoding/json
// over the struct, without HTML escaping.
func reflectLeafBytes(t testing.TB, l *omadata.LogLeaf) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(l); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// TestLogLeafBytesAsReflection: every kind of leaf the store appends, with
// the members each has, encodes to the bytes encoding/json made of it.
func TestLogLeafBytesAsReflection(t *testing.T) {
	const at = "2026-12-07T07:30:00.123456789Z"
	sha := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	peer := &omadata.LeafPeer{Origin: "helsinki.example/log", Record: "dec_01HZX"}
	for _, l := range []*omadata.LogLeaf{
		{Kind: "consent.given", ProcessingID: "proc_1", Record: "crec_1", RecordKind: omadata.RecordConsent, RecordSHA256: sha, SinkID: "svc_b", SourceIDs: []string{"svc_a", "svc_c"}, Subject: "c29tZQ", Time: at, Version: 1},
		{Kind: "consent.withdrawn", ProcessingID: "proc_1", Record: "crec_2", RecordKind: omadata.RecordConsent, RecordSHA256: sha, SinkID: "svc_b", Subject: "c29tZQ", Time: at, Version: 1},
		{Kind: "request.erasure.received", ProcessingID: "proc_1", Record: "rrec_1", RecordKind: omadata.RecordRequest, RecordSHA256: sha, Subject: "c29tZQ", Time: at, Version: 1},
		{Kind: "request.access.done", Record: "rrec_2", RecordKind: omadata.RecordRequest, RecordSHA256: sha, Time: at, Version: 1},
		{Kind: "admin.service.suspended", Record: "chg_1", RecordKind: omadata.RecordAdminChange, RecordSHA256: sha, Time: at, Version: 1},
		{Kind: omadata.LeafDecisionPermit, ProcessingID: "proc_1", Record: "dec_1", RecordKind: omadata.RecordDecision, RecordSHA256: sha, SinkID: "svc_b", SourceIDs: []string{"svc_a"}, Subject: "c29tZQ", Time: at, Version: 1},
		{Kind: omadata.LeafGrantIssued, ProcessingID: "proc_1", Record: "grt_1", RecordKind: omadata.RecordGrant, RecordSHA256: sha, SinkID: "svc_b", SourceIDs: []string{"svc_a"}, Subject: "c29tZQ", Time: at, Version: 1},
		{Kind: omadata.LeafTransferRecorded, ProcessingID: "proc_1", Record: "trf_1", RecordKind: omadata.RecordTransfer, RecordSHA256: sha, SinkID: "svc_b", SourceIDs: []string{"svc_a"}, Time: at, Version: 1},
		{Kind: omadata.LeafDecisionRelayed, Peer: peer, ProcessingID: "proc_1", Record: "dec_2", RecordKind: omadata.RecordDecision, RecordSHA256: sha, SinkID: "svc_b", SourceIDs: []string{"svc_a"}, Subject: "c29tZQ", Time: at, Version: 1},
		{Kind: omadata.LeafGrantRelayed, Peer: peer, Record: "grt_2", RecordKind: omadata.RecordGrant, RecordSHA256: sha, SourceIDs: []string{}, Time: at, Version: 1},
		{Kind: "admin.x", Record: "<&>\u2028\u2029\x00\x1f\"\\\xff é", RecordKind: "k\n\t\r\b\f", Time: at, Version: -7},
		{},
	} {
		want := reflectLeafBytes(t, l)
		if got := l.Bytes(); !bytes.Equal(got, want) {
			t.Errorf("%s:\ngot  %s\nwant %s", l.Kind, got, want)
		}
	}
}

// FuzzLogLeafBytes compares AppendBytes with encoding/json on any leaf.
func FuzzLogLeafBytes(f *testing.F) {
	f.Add("consent.given", "proc_1", "crec_1", "svc_b", "svc_a", "c29tZQ", "2026-12-07T07:30:00Z", "", 1, false)
	f.Add("decision.relayed", "", "dec_<&>", "", "", "", "\u2028\xff\x01\"\\", "origin", -3, true)
	f.Fuzz(func(t *testing.T, kind, proc, record, sink, source, subject, at, origin string, version int, withPeer bool) {
		l := &omadata.LogLeaf{Kind: kind, ProcessingID: proc, Record: record, RecordKind: source + kind, RecordSHA256: subject + at,
			SinkID: sink, Subject: subject, Time: at, Version: version}
		if source != "" {
			l.SourceIDs = []string{source, sink}
		}
		if withPeer {
			l.Peer = &omadata.LeafPeer{Origin: origin, Record: record}
		}
		if got, want := l.Bytes(), reflectLeafBytes(t, l); !bytes.Equal(got, want) {
			t.Fatalf("got  %s\nwant %s", got, want)
		}
		for _, html := range []bool{false, true} {
			var b bytes.Buffer
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(html)
			if err := enc.Encode(kind + record); err != nil {
				t.Fatal(err)
			}
			if got, want := omadata.AppendJSONString(nil, kind+record, html), bytes.TrimSuffix(b.Bytes(), []byte("\n")); !bytes.Equal(got, want) {
				t.Fatalf("escapeHTML %v: got %s, want %s", html, got, want)
			}
		}
	})
}
