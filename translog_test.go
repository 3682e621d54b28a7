// SPDX-License-Identifier: Apache-2.0

package omadata_test

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/omadata/omadata"
)

func TestLogLeafCanonical(t *testing.T) {
	l := &omadata.LogLeaf{Version: 1, Kind: "consent.given", Time: "2026-11-22T10:00:00.000001Z", ProcessingID: "proc_1",
		Record: "crec_1", RecordKind: omadata.RecordConsent, RecordSHA256: "ab", SinkID: "svc_<&>", SourceIDs: []string{"svc_2"}, Subject: "s"}
	want := `{"kind":"consent.given","processing_id":"proc_1","record":"crec_1","record_kind":"consent_record","record_sha256":"ab",` +
		`"sink_id":"svc_<&>","source_ids":["svc_2"],"subject":"s","time":"2026-11-22T10:00:00.000001Z","v":1}`
	if got := string(l.Bytes()); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	back, err := omadata.ParseLogLeaf(l.Bytes())
	if err != nil || !reflect.DeepEqual(back, l) {
		t.Fatalf("round trip: %+v, %v", back, err)
	}
	if _, err := omadata.ParseLogLeaf([]byte(`{"kind":"x","extra":1}`)); omadata.ErrorField(err) != "leaf" {
		t.Fatalf("an unknown member: got %v, want an error naming leaf", err)
	}
}

func TestLogOrigin(t *testing.T) {
	for in, want := range map[string]string{
		"https://omadata.example.fi":      "omadata.example.fi/log",
		"http://127.0.0.1:8080/":          "127.0.0.1:8080/log",
		"https://city.example/mydata a+b": "city.example/mydataab/log",
		"":                                "omadata/log",
	} {
		if got := omadata.LogOrigin(in); got != want {
			t.Errorf("LogOrigin(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzParseLogLeaf: any bytes either fail to parse with an error naming
// the leaf, or parse into a leaf whose canonical bytes parse back to it.
func FuzzParseLogLeaf(f *testing.F) {
	f.Add([]byte(`{"kind":"decision.permit","record":"dcs_1","record_kind":"decision","record_sha256":"00","time":"t","v":1}`))
	f.Add([]byte(`{"source_ids":["a","b"],"v":1}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"kind":"\u2028<>"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := omadata.ParseLogLeaf(data)
		if err != nil {
			if omadata.ErrorField(err) != "leaf" {
				t.Fatalf("error %v names no field", err)
			}
			return
		}
		b := l.Bytes()
		again, err := omadata.ParseLogLeaf(b)
		if err != nil || !reflect.DeepEqual(again, l) || !bytes.Equal(again.Bytes(), b) {
			t.Fatalf("canonical bytes %s do not round-trip: %+v, %v", b, again, err)
		}
		if strings.Contains(string(b), "\n") {
			t.Fatalf("canonical bytes contain a newline: %q", b)
		}
	})
}
