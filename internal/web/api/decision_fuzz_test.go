// SPDX-License-Identifier: Apache-2.0

package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/omadata/omadata"
)

// FuzzDecisionInput feeds arbitrary bodies to the decoding and validation
// of a decision question and of a batch: no input may panic, every refusal
// is a client error naming a field, and whatever passes is a question the
// store can take as it is.
func FuzzDecisionInput(f *testing.F) {
	q := `{"source_id":"svc_00000000000000000000000000","pseudonym":"psn_00000000000000000000000000","data_group_ids":["dg_00000000000000000000000000"],"purpose_id":"pur_00000000000000000000000000"}`
	seeds := []string{
		q, `{"requests":[` + q + `]}`, `{"requests":[]}`, `{"requests":[null]}`, `{"requests":[{}]}`, `{"requests":{}}`,
		`{"pseudonym":"psn_x"}`, `{"data_group_ids":["dg_00000000000000000000000000","dg_00000000000000000000000000"]}`,
		`{"data_group_ids":[]}`, `{"sink_id":7}`, `{"requests":[{"purpose_id":1}]}`, `null`, `[]`, `{"a":`, "\xff",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	request := func(body string) *http.Request {
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, 1<<16)
		return r
	}
	clientError := func(t *testing.T, what, body string, err error) {
		t.Helper()
		switch omadata.ErrorCode(err) {
		case omadata.EINVALID, omadata.ETOOLARGE:
			if omadata.ErrorField(err) == "" {
				t.Fatalf("%s: error names no field: %v", what, err)
			}
		default:
			t.Fatalf("%s: got %v for body %q, want a client error", what, err, body)
		}
	}
	f.Fuzz(func(t *testing.T, body string) {
		var in omadata.DecisionInput
		err := decode(request(body), &in)
		if err == nil {
			err = in.Validate()
		}
		if err != nil {
			clientError(t, "question", body, err)
		} else if len(in.DataGroupIDs) == 0 || len(in.DataGroupIDs) > 100 || in.PurposeID == "" || in.Pseudonym == "" {
			t.Fatalf("question %q passed validation", body)
		}

		batch, err := decodeBatch(request(body))
		if err != nil {
			clientError(t, "batch", body, err)
			return
		}
		if len(batch) == 0 || len(batch) > omadata.MaxBatch {
			t.Fatalf("a batch of %d passed validation", len(batch))
		}
		for i, q := range batch {
			if q == nil || q.Validate() != nil {
				t.Fatalf("batch question %d of %q passed validation but is invalid", i, body)
			}
		}
	})
}
