// SPDX-License-Identifier: Apache-2.0

package store

import (
	"encoding/json"
	"testing"
	"time"
)

// TestOutboxPayloadBytes: an event's payload, and a consent event's data,
// encode byte for byte as the maps they replaced.
func TestOutboxPayloadBytes(t *testing.T) {
	s := &Store{issuer: "https://omadata.example/?a=<b>&c", prefix: "fi.omadata"}
	now := time.Date(2026, 11, 22, 12, 0, 0, 123456000, time.UTC)
	data := &consentEvent{ConsentID: "cns_1", ProcessingID: "proc_1", Pseudonym: "psn_1", RecordHash: "h", Status: "given", Version: 2}
	rows, err := s.outboxRows("consent.given", "cns_1", []recipient{{"svc_1", data}, {"svc_2", map[string]any{"b": 1, "a": "x"}}}, now)
	if err != nil {
		t.Fatal(err)
	}
	wantData := []any{
		map[string]any{"consent_id": "cns_1", "pseudonym": "psn_1", "processing_id": "proc_1", "version": 2, "status": "given", "record_hash": "h"},
		map[string]any{"b": 1, "a": "x"},
	}
	for i, r := range rows {
		want, err := json.Marshal(map[string]any{
			"specversion": "1.0", "id": r.id, "source": s.issuer, "type": "fi.omadata.consent.given", "subject": "cns_1",
			"time": now.Format(time.RFC3339Nano), "datacontenttype": "application/json", "data": wantData[i],
		})
		if err != nil {
			t.Fatal(err)
		}
		if r.payload != string(want) {
			t.Errorf("event %d:\n got %s\nwant %s", i, r.payload, want)
		}
	}
}
