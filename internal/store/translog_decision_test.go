// SPDX-License-Identifier: Apache-2.0

package store

import (
	"bytes"
	"testing"
	"time"
)

// decisionMap is what decisionDigest hashed before decisionJSON: the
// record's columns as a map, for recordJSON.
func decisionMap(id string, at time.Time, callerID, sinkID, sourceID, residentID, purposeID string, groups []string,
	processingID, versionID string, permit bool, consentID, legalBasis, reason string) map[string]any {
	return map[string]any{
		"id": id, "decided_at": at, "caller_id": callerID, "sink_id": sinkID, "source_id": sourceID, "resident_id": residentID,
		"purpose_id": purposeID, "data_group_ids": groups, "processing_id": processingID, "version_id": versionID,
		"permit": permit, "consent_id": consentID, "legal_basis": legalBasis, "reason": reason,
	}
}

// TestDecisionJSONAsReflection: a permit's and a deny's record, with no,
// empty and several data groups, in UTC and another zone, encode as
// recordJSON encoded their map.
func TestDecisionJSONAsReflection(t *testing.T) {
	at := time.Date(2026, 12, 7, 7, 30, 0, 123456000, time.UTC)
	helsinki := time.FixedZone("EET", 2*3600)
	for _, c := range []struct {
		at     time.Time
		groups []string
		permit bool
		reason string
	}{
		{at, []string{"dg_1"}, true, ""},
		{at, []string{"dg_1", "dg_<2>&"}, false, "no_consent"},
		{at.In(helsinki), nil, false, "unknown_resident"},
		{at.Truncate(time.Second), []string{}, false, "\u2028\x00\"\\\xff"},
	} {
		got := decisionJSON(nil, "dec_1", c.at, "svc_b", "svc_b", "svc_a", "res_1", "pur_1", c.groups, "proc_1", "pv_1", c.permit, "con_1", "consent", c.reason)
		want := recordJSON(decisionMap("dec_1", c.at, "svc_b", "svc_b", "svc_a", "res_1", "pur_1", c.groups, "proc_1", "pv_1", c.permit, "con_1", "consent", c.reason))
		if !bytes.Equal(got, want) {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	}
}

// FuzzDecisionJSON compares decisionJSON with recordJSON on any record.
func FuzzDecisionJSON(f *testing.F) {
	f.Add("dec_1", int64(1765092600123456789), "svc_b", "svc_a", "res_1", "pur_1", "dg_1", "proc_1", "pv_1", true, "con_1", "consent", "", 2)
	f.Add("<&>", int64(-1), "\u2028", "\xff", "", "", "", "", "", false, "", "", "no_consent", 0)
	f.Fuzz(func(t *testing.T, id string, nanos int64, sink, source, resident, purpose, group, proc, version string, permit bool, consent, basis, reason string, groups int) {
		var gs []string
		if groups >= 0 {
			gs = []string{}
		}
		for range groups % 4 {
			gs = append(gs, group)
		}
		at := time.Unix(0, nanos)
		got := decisionJSON(nil, id, at, sink, sink, source, resident, purpose, gs, proc, version, permit, consent, basis, reason)
		want := recordJSON(decisionMap(id, at, sink, sink, source, resident, purpose, gs, proc, version, permit, consent, basis, reason))
		if !bytes.Equal(got, want) {
			t.Fatalf("got  %s\nwant %s", got, want)
		}
	})
}
