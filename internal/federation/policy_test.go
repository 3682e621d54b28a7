// SPDX-License-Identifier: Apache-2.0

package federation_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/omadata/omadata/internal/federation"
)

func decode[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestPolicySpecExample is OIDF §6.1.5's example: a trust anchor's and an
// intermediate's RP policies (Figures 12, 13) merge into Figure 14, which
// applied to Figure 15's metadata gives Figure 16 (less the two values the
// intermediate sets as metadata, which our one-level chains never have).
func TestPolicySpecExample(t *testing.T) {
	ta := decode[map[string]federation.Policy](t, `{"openid_relying_party": {
		"grant_types": {"default": ["authorization_code"], "subset_of": ["authorization_code", "refresh_token"], "superset_of": ["authorization_code"]},
		"token_endpoint_auth_method": {"one_of": ["private_key_jwt", "self_signed_tls_client_auth"], "essential": true},
		"token_endpoint_auth_signing_alg": {"one_of": ["PS256", "ES256"]},
		"subject_type": {"value": "pairwise"},
		"contacts": {"add": ["helpdesk@federation.example.org"]}}}`)
	intermediate := decode[map[string]federation.Policy](t, `{"openid_relying_party": {
		"grant_types": {"subset_of": ["authorization_code"]},
		"token_endpoint_auth_method": {"one_of": ["self_signed_tls_client_auth"]},
		"contacts": {"add": ["helpdesk@org.example.org"]}}}`)
	wantMerged := decode[federation.Policy](t, `{
		"grant_types": {"default": ["authorization_code"], "superset_of": ["authorization_code"], "subset_of": ["authorization_code"]},
		"token_endpoint_auth_method": {"one_of": ["self_signed_tls_client_auth"], "essential": true},
		"token_endpoint_auth_signing_alg": {"one_of": ["PS256", "ES256"]},
		"subject_type": {"value": "pairwise"},
		"contacts": {"add": ["helpdesk@federation.example.org", "helpdesk@org.example.org"]}}`)
	merged, err := federation.MergePolicies(ta, intermediate)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(merged["openid_relying_party"], wantMerged) {
		t.Errorf("merged policy:\n got %v\nwant %v", merged["openid_relying_party"], wantMerged)
	}
	md := decode[map[string]any](t, `{"redirect_uris": ["https://rp.example.org/callback"], "response_types": ["code"],
		"token_endpoint_auth_method": "self_signed_tls_client_auth", "contacts": ["rp_admins@rp.example.org"]}`)
	got, err := federation.ApplyPolicy(md, merged["openid_relying_party"])
	if err != nil {
		t.Fatal(err)
	}
	want := decode[map[string]any](t, `{"redirect_uris": ["https://rp.example.org/callback"], "grant_types": ["authorization_code"],
		"response_types": ["code"], "token_endpoint_auth_method": "self_signed_tls_client_auth", "subject_type": "pairwise",
		"contacts": ["rp_admins@rp.example.org", "helpdesk@federation.example.org", "helpdesk@org.example.org"]}`)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("resolved metadata:\n got %v\nwant %v", got, want)
	}
	if _, ok := md["subject_type"]; ok {
		t.Error("ApplyPolicy changed its input")
	}
}

// TestPolicyOperators: each operator of OIDF §6.1.3.1 applied, and each
// violation refused.
func TestPolicyOperators(t *testing.T) {
	cases := []struct {
		name, policy, md, want string // want "" : a violation
	}{
		{"ValueReplaces", `{"a": {"value": "x"}}`, `{"a": "y"}`, `{"a": "x"}`},
		{"ValueNullRemoves", `{"a": {"value": null}}`, `{"a": "y", "b": 1}`, `{"b": 1}`},
		{"AddToAbsent", `{"a": {"add": ["x"]}}`, `{}`, `{"a": ["x"]}`},
		{"AddUnion", `{"a": {"add": ["x", "y"]}}`, `{"a": ["y", "z"]}`, `{"a": ["y", "z", "x"]}`},
		{"AddToScalar", `{"a": {"add": ["x"]}}`, `{"a": "y"}`, ``},
		{"DefaultWhenAbsent", `{"a": {"default": 3}}`, `{}`, `{"a": 3}`},
		{"DefaultKeepsValue", `{"a": {"default": 3}}`, `{"a": 4}`, `{"a": 4}`},
		{"OneOfAllowed", `{"a": {"one_of": ["x", "y"]}}`, `{"a": "y"}`, `{"a": "y"}`},
		{"OneOfRefused", `{"a": {"one_of": ["x", "y"]}}`, `{"a": "z"}`, ``},
		{"OneOfAbsent", `{"a": {"one_of": ["x"]}}`, `{}`, `{}`},
		{"SubsetOfIntersects", `{"a": {"subset_of": ["x", "y"]}}`, `{"a": ["y", "z"]}`, `{"a": ["y"]}`},
		{"SubsetOfEmpty", `{"a": {"subset_of": ["x"]}}`, `{"a": ["z"]}`, `{"a": []}`},
		{"SupersetOfHeld", `{"a": {"superset_of": ["x"]}}`, `{"a": ["x", "y"]}`, `{"a": ["x", "y"]}`},
		{"SupersetOfRefused", `{"a": {"superset_of": ["x", "w"]}}`, `{"a": ["x", "y"]}`, ``},
		{"EssentialMissing", `{"a": {"essential": true}}`, `{}`, ``},
		{"EssentialFalse", `{"a": {"essential": false}}`, `{}`, `{}`},
		{"EssentialAfterDefault", `{"a": {"default": "d", "essential": true}}`, `{}`, `{"a": "d"}`},
		{"EssentialAfterValueNull", `{"a": {"value": null, "essential": true}}`, `{"a": 1}`, ``},
		{"OneOfWithSubsetOf", `{"a": {"one_of": ["x"], "subset_of": ["x"]}}`, `{}`, ``},
		{"ValueOutsideOneOf", `{"a": {"value": "z", "one_of": ["x"]}}`, `{}`, ``},
		{"UnknownOperatorIgnored", `{"a": {"regexp": "^x"}}`, `{"a": "y"}`, `{"a": "y"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := federation.ApplyPolicy(decode[map[string]any](t, c.md), decode[federation.Policy](t, c.policy))
			var pe *federation.PolicyError
			if c.want == "" {
				if !errors.As(err, &pe) {
					t.Fatalf("ApplyPolicy = %v, %v; want a policy error", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := decode[map[string]any](t, c.want); !reflect.DeepEqual(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
}

// TestPolicyMerge: merges that OIDF §6.1.4.1 refuses.
func TestPolicyMerge(t *testing.T) {
	cases := []struct{ name, sup, sub string }{
		{"DifferentValues", `{"a": {"value": "x"}}`, `{"a": {"value": "y"}}`},
		{"DifferentDefaults", `{"a": {"default": "x"}}`, `{"a": {"default": "y"}}`},
		{"DisjointOneOf", `{"a": {"one_of": ["x"]}}`, `{"a": {"one_of": ["y"]}}`},
		{"AddOutsideSubsetOf", `{"a": {"subset_of": ["x"]}}`, `{"a": {"add": ["y"]}}`},
		{"SupersetOutsideSubset", `{"a": {"subset_of": ["x"]}}`, `{"a": {"superset_of": ["y"]}}`},
		{"EssentialNotBoolean", `{"a": {"essential": true}}`, `{"a": {"essential": "no"}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sup := map[string]federation.Policy{"t": decode[federation.Policy](t, c.sup)}
			sub := map[string]federation.Policy{"t": decode[federation.Policy](t, c.sub)}
			var pe *federation.PolicyError
			if _, err := federation.MergePolicies(sup, sub); !errors.As(err, &pe) {
				t.Errorf("MergePolicies = %v, want a policy error", err)
			}
		})
	}
	// A subordinate cannot turn a superior's essential off.
	sup := map[string]federation.Policy{"t": {"a": {"essential": true}}}
	sub := map[string]federation.Policy{"t": {"a": {"essential": false}}}
	m, err := federation.MergePolicies(sup, sub)
	if err != nil || m["t"]["a"]["essential"] != true {
		t.Errorf("merged essential = %v, %v; want true", m["t"]["a"]["essential"], err)
	}
}
