// SPDX-License-Identifier: Apache-2.0

package federation_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/omadata/omadata/internal/federation"
)

// FuzzPolicy: no policy or metadata a peer or anchor sends makes merging
// or applying panic.
func FuzzPolicy(f *testing.F) {
	f.Add(`{"a": {"value": "x", "one_of": ["x"]}}`, `{"a": {"add": ["y"], "subset_of": ["x"]}}`, `{"a": ["x"]}`)
	f.Add(`{"a": {"add": "x"}}`, `{"a": {"essential": 1}}`, `{"a": 1}`)
	f.Add(`{"a": {"subset_of": [1, {"b": null}]}}`, `{"a": {"superset_of": [[1]]}}`, `{"a": [[1], {"b": null}]}`)
	f.Fuzz(func(t *testing.T, sup, sub, md string) {
		var p1, p2 federation.Policy
		var m map[string]any
		if json.Unmarshal([]byte(sup), &p1) != nil || json.Unmarshal([]byte(sub), &p2) != nil || json.Unmarshal([]byte(md), &m) != nil {
			return
		}
		merged, err := federation.MergePolicies(map[string]federation.Policy{"t": p1}, map[string]federation.Policy{"t": p2})
		if err != nil {
			return
		}
		_, _ = federation.ApplyPolicy(m, merged["t"])
		_, _ = federation.ApplyPolicy(m, p2)
	})
}

// FuzzVerify: no bytes in the place of a statement make Verify panic.
func FuzzVerify(f *testing.F) {
	key, err := federation.NewKey()
	if err != nil {
		f.Fatal(err)
	}
	now := time.Now()
	jws, err := federation.Sign(&federation.Statement{Issuer: "https://a.example", Subject: "https://a.example", IssuedAt: now.Unix(), ExpiresAt: now.Add(time.Hour).Unix()}, key)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(jws)
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = federation.Verify(s, federation.KeySet(key), "", "", now)
		var st federation.Statement
		_ = federation.Unverified(s, &st)
	})
}
