// SPDX-License-Identifier: Apache-2.0

package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/web/respond"
)

// FuzzDecode feeds arbitrary bodies to the decoder and the validators of
// every request type: no input may panic, and every refusal is a client
// error that names a field.
func FuzzDecode(f *testing.F) {
	seeds := []string{
		`{"kind":"city","name":{"fi":"Helsinki"},"business_id":"0201256-6"}`,
		`{"name":{"de":"x"}}`, `{"business_id":7}`, `{"foo":1}`, `[]`, `null`, `{"a":`, `{} {}`,
		`{"service_id":"svc_00000000000000000000000000","code":"x","data_group_ids":["dg_1"],"legal_basis":"A6-1-a","retention":"P1Y"}`,
		`{"title":"T","body":"B"}`, `{"compatible_with_previous":true}`, "\xff", `{"recipients":[{"name":"x","role":"y"}]}`,
		`{"processing_id":"proc_00000000000000000000000000","version":1,"language":"fi","valid_until":"2030-01-01T00:00:00Z"}`,
		`{"valid_until":"tomorrow"}`, `{"valid_from":5}`, `{"identity_code":"131052-308T","status":"withdrawn","consent_id":"cns_1"}`,
		`{"kind":"guardian","representative_identity_code":"131052-308T","principal_identity_code":"150705A2334","basis":"x"}`,
		`{"pseudonym":"psn_x","message":{"fi":5}}`, `{"reason":"\u0000"}`,
		`{"kind":"objection","processing_id":"proc_00000000000000000000000000","details":"x"}`, `{"status":"upheld","note":"x"}`,
		`{"name":"\ud800"}`, `{"name":"\udc00\ud800"}`, `{"name":"\ud83d\ude00"}`, `{"name":"\\ud800"}`, "{\"name\":\"a\xffb\"}",
		`{"name":"a","name":"b"}`, `{"name":"a","NAME":"b"}`, `{"name":{"fi":"a","fi":"b"}}`, `{"reason":"a\rb"}`, ` null `,
		`{"recipients":[{"name":"x","role":"controller"},{"name":"\u0007","role":"controller"}]}`,
	}
	for _, s := range seeds {
		f.Add(s)
	}
	targets := []func() (any, func() error){
		func() (any, func() error) { v := &omadata.Organisation{}; return v, v.Validate },
		func() (any, func() error) { v := &omadata.Service{}; return v, v.Validate },
		func() (any, func() error) { v := &omadata.DataGroup{}; return v, v.Validate },
		func() (any, func() error) { v := &omadata.Purpose{}; return v, v.Validate },
		func() (any, func() error) { v := &omadata.AISystem{}; return v, v.Validate },
		func() (any, func() error) { v := &omadata.Credential{}; return v, v.Validate },
		func() (any, func() error) { v := &omadata.Notice{}; return v, v.Validate },
		func() (any, func() error) {
			v := &omadata.ProcessingDraft{}
			return v, func() error { return v.Version().Validate() }
		},
		func() (any, func() error) {
			v := &omadata.ProcessingVersionUpdate{}
			return v, func() error { pv := &omadata.ProcessingVersion{}; v.Apply(pv); return pv.Validate() }
		},
		// Consents and representations decode into wire forms whose times
		// are strings, so that a bad time names its field.
		func() (any, func() error) {
			v := &consentBody{}
			return v, func() error { _, err := v.input(); return err }
		},
		func() (any, func() error) {
			v := &omadata.ConsentRequestInput{}
			return v, func() error { return checkConsentRequest(v) }
		},
		func() (any, func() error) {
			v := &representationBody{}
			return v, func() error { _, err := v.input(); return err }
		},
		func() (any, func() error) {
			v := &paperConsentBody{}
			return v, func() error { _, err := v.check(); return err }
		},
		func() (any, func() error) { v := &reasonInput{}; return v, func() error { return v.check(true) } },
		// Data-subject requests: the store validates them; decoding alone
		// must name a bad field and never panic.
		func() (any, func() error) { return &omadata.RequestInput{}, func() error { return nil } },
		func() (any, func() error) { return &omadata.RequestResolution{}, func() error { return nil } },
		func() (any, func() error) { return &omadata.TaskAnswer{}, func() error { return nil } },
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, target := range targets {
			v, validate := target()
			r := httptest.NewRequest("POST", "/", strings.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, 4096)
			err := decode(r, v)
			if err == nil {
				// What encoding/json would turn into U+FFFD never
				// gets past the decoder.
				if !utf8.ValidString(body) || loneSurrogate([]byte(body)) {
					t.Fatalf("%T: accepted %q", v, body)
				}
				err = validate()
			}
			if err == nil {
				continue
			}
			switch omadata.ErrorCode(err) {
			case omadata.EINVALID, omadata.ETOOLARGE:
				if omadata.ErrorField(err) == "" {
					t.Fatalf("%T: error names no field: %v", v, err)
				}
			default:
				t.Fatalf("%T: got %v for body %q, want a client error", v, err, body)
			}
		}
	})
}

// FuzzCursor checks that any cursor string decodes or is refused, and that
// every ID round-trips.
func FuzzCursor(f *testing.F) {
	f.Add("org_0000000000000000000000000a")
	f.Add("%%%")
	f.Fuzz(func(t *testing.T, s string) {
		respond.DecodeCursor(s)
		if id, ok := respond.DecodeCursor(respond.EncodeCursor(s)); ok && id != s {
			t.Fatalf("round trip of %q gave %q", s, id)
		}
	})
}

func TestDecodeBadTime(t *testing.T) {
	var v struct {
		At *time.Time `json:"at"`
	}
	r := httptest.NewRequest("POST", "/", strings.NewReader(`{"at":"yesterday"}`))
	r.Header.Set("Content-Type", "application/json")
	err := decode(r, &v)
	if omadata.ErrorCode(err) != omadata.EINVALID || omadata.ErrorField(err) != "body" {
		t.Fatalf("got %v, want invalid naming the body", err)
	}
}

// TestDecodeRefuses covers what checkJSON adds to encoding/json: each body
// is refused, naming the field.
func TestDecodeRefuses(t *testing.T) {
	type body struct {
		Name       string              `json:"name"`
		Text       omadata.Text        `json:"text"`
		Recipients []omadata.Recipient `json:"recipients"`
	}
	tests := []struct {
		name, body, field string
	}{
		{"invalid UTF-8", "{\"name\":\"a\xffb\"}", "name"},
		{"invalid UTF-8 in a text", "{\"text\":{\"fi\":\"\xc3\"}}", "text.fi"},
		{"lone high surrogate", `{"name":"\ud800"}`, "name"},
		{"lone low surrogate", `{"name":"x\udc00"}`, "name"},
		{"reversed pair", `{"name":"\udc00\ud800"}`, "name"},
		{"high then not low", `{"name":"\ud800\u0041"}`, "name"},
		{"surrogate in an array", `{"recipients":[{"name":"a","role":"controller"},{"name":"\ud800","role":"controller"}]}`, "recipients[1].name"},
		{"NUL", `{"name":"a\u0000"}`, "name"},
		{"carriage return", `{"name":"a\rb"}`, "name"},
		{"C1 control", `{"name":"a\u0085b"}`, "name"},
		{"duplicate key", `{"name":"a","name":"b"}`, "name"},
		{"duplicate key in another case", `{"name":"a","Name":"b"}`, "Name"},
		{"duplicate language", `{"text":{"fi":"a","fi":"b"}}`, "text.fi"},
		{"control character in a key", `{"na\u0000me":"a"}`, "body"},
		{"null body", ` null `, "body"},
		{"key in upper case", `{"NAME":"a"}`, "NAME"},
		{"key in another case in an array", `{"recipients":[{"name":"a","Role":"controller"}]}`, "recipients[0].Role"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/", strings.NewReader(tt.body))
			r.Header.Set("Content-Type", "application/json")
			err := decode(r, &body{})
			if omadata.ErrorCode(err) != omadata.EINVALID || omadata.ErrorField(err) != tt.field {
				t.Fatalf("got %v, want invalid naming %s", err, tt.field)
			}
		})
	}
	for _, ok := range []string{`{"name":"\ud83d\ude00"}`, `{"name":"\\ud800"}`, `{"name":"a\nb\tc"}`, `{"name":"\u00e4\ufffd"}`,
		`{"text":{"fi":"a","sv":"b"},"recipients":[{"name":"a"},{"name":"a"}]}`} {
		r := httptest.NewRequest("POST", "/", strings.NewReader(ok))
		r.Header.Set("Content-Type", "application/json")
		if err := decode(r, &body{}); err != nil {
			t.Errorf("%s: %v, want it decoded", ok, err)
		}
	}
}

// TestDecodeExactKeys: keys match the JSON names of the struct decoded
// into exactly, at every depth; encoding/json alone would match them
// ignoring case.
func TestDecodeExactKeys(t *testing.T) {
	type Inner struct {
		Kind string `json:"kind"`
	}
	type body struct {
		Inner                                // promoted: "kind"
		OnBehalfOf string                    `json:"on_behalf_of"`
		Endpoints  *omadata.ServiceEndpoints `json:"endpoints"`
		Any        any                       `json:"any"`
		Map        map[string]Inner          `json:"map"`
		Skipped    string                    `json:"-"`
		Untagged   string
	}
	for _, tt := range []struct{ body, field string }{
		{`{"KIND":"erasure"}`, "KIND"},
		{`{"On_Behalf_Of":"res_1"}`, "On_Behalf_Of"},
		{`{"endpoints":{"Webhook":"https://example.fi"}}`, "endpoints.Webhook"},
		{`{"map":{"a":{"Kind":"x"}}}`, "map.a.Kind"},
		{`{"Skipped":"x"}`, "Skipped"},
		{`{"untagged":"x"}`, "untagged"},
	} {
		r := httptest.NewRequest("POST", "/", strings.NewReader(tt.body))
		r.Header.Set("Content-Type", "application/json")
		err := decode(r, &body{})
		if omadata.ErrorCode(err) != omadata.EINVALID || omadata.ErrorField(err) != tt.field {
			t.Errorf("%s: got %v, want invalid naming %s", tt.body, err, tt.field)
		}
	}
	ok := `{"kind":"erasure","on_behalf_of":"res_1","endpoints":{"webhook":"https://example.fi"},"any":{"ANY":1},"map":{"A":{"kind":"x"}},"Untagged":"x"}`
	r := httptest.NewRequest("POST", "/", strings.NewReader(ok))
	r.Header.Set("Content-Type", "application/json")
	if err := decode(r, &body{}); err != nil {
		t.Errorf("%s: %v, want it decoded", ok, err)
	}
	// A resident's consent has no evidence: only the paper route sets one.
	r = httptest.NewRequest("POST", "/", strings.NewReader(`{"processing_id":"prc_1","version":1,"language":"fi","evidence":"HEL 1"}`))
	r.Header.Set("Content-Type", "application/json")
	if err := decode(r, &consentBody{}); omadata.ErrorField(err) != "evidence" {
		t.Errorf("evidence in a resident's consent: got %v, want invalid naming evidence", err)
	}
}
