// SPDX-License-Identifier: Apache-2.0

package web_test

import (
	"testing"

	"github.com/omadata/omadata"
)

// TestRevokedCredentialRefused revokes a credential and an admin token over
// the API and checks that the very next call with each is refused.
func TestRevokedCredentialRefused(t *testing.T) {
	e := newEnv(t, nil)

	t.Run("service credential", func(t *testing.T) {
		r := e.do(t, "POST", "/api/v1/services/"+e.svcA+"/credentials", e.tokA, `{"name":"short-lived","scopes":["catalogue:read"]}`)
		wantStatus(t, r, 201)
		var c omadata.Credential
		r.decode(t, &c)
		if c.Token == "" || c.ID == "" {
			t.Fatalf("got credential %s, want an ID and a token", r.body)
		}
		wantStatus(t, e.do(t, "GET", "/api/v1/whoami", c.Token, nil), 200)

		wantStatus(t, e.do(t, "POST", "/api/v1/services/"+e.svcA+"/credentials/"+c.ID+"/revoke", e.tokA, nil), 200)
		r = e.do(t, "GET", "/api/v1/whoami", c.Token, nil)
		wantStatus(t, r, 401)
		if got := r.err(t).Code; got != "unauthorized" {
			t.Errorf("got code %q, want unauthorized", got)
		}
		// The list shows it revoked, without its token.
		r = e.do(t, "GET", "/api/v1/services/"+e.svcA+"/credentials", e.admin, nil)
		wantStatus(t, r, 200)
		var list struct{ Items []omadata.Credential }
		r.decode(t, &list)
		found := false
		for _, l := range list.Items {
			if l.Token != "" {
				t.Errorf("credential %s listed with its token", l.ID)
			}
			if l.ID == c.ID {
				found = true
				if l.RevokedAt == nil {
					t.Errorf("got revoked_at nil, want a time")
				}
			}
		}
		if !found {
			t.Errorf("revoked credential %s not listed", c.ID)
		}
	})

	t.Run("admin token", func(t *testing.T) {
		r := e.do(t, "POST", "/api/v1/admin-tokens", e.admin, `{"name":"second admin"}`)
		wantStatus(t, r, 201)
		var tok omadata.AdminToken
		r.decode(t, &tok)
		if tok.Token == "" {
			t.Fatalf("got %s, want a token", r.body)
		}
		wantStatus(t, e.do(t, "GET", "/api/v1/admin-tokens", tok.Token, nil), 200)
		wantStatus(t, e.do(t, "POST", "/api/v1/admin-tokens/"+tok.ID+"/revoke", e.admin, nil), 200)
		wantStatus(t, e.do(t, "GET", "/api/v1/admin-tokens", tok.Token, nil), 401)
		wantStatus(t, e.do(t, "GET", "/api/v1/whoami", e.admin, nil), 200) // the other token still works
	})

	t.Run("suspended service", func(t *testing.T) {
		wantStatus(t, e.do(t, "GET", "/api/v1/whoami", e.tokB, nil), 200)
		wantStatus(t, e.do(t, "POST", "/api/v1/services/"+e.svcB+"/suspend", e.admin, nil), 200)
		r := e.do(t, "GET", "/api/v1/whoami", e.tokB, nil)
		wantStatus(t, r, 403)
		if got := r.err(t).Code; got != "forbidden" {
			t.Errorf("got code %q, want forbidden", got)
		}
		wantStatus(t, e.do(t, "POST", "/api/v1/services/"+e.svcB+"/approve", e.admin, nil), 200)
		wantStatus(t, e.do(t, "GET", "/api/v1/whoami", e.tokB, nil), 200)
	})
}

// TestWhoami shows each kind of caller how the server sees it.
func TestWhoami(t *testing.T) {
	e := newEnv(t, nil)
	type who struct {
		Kind      string   `json:"kind"`
		TokenID   string   `json:"token_id"`
		ServiceID string   `json:"service_id"`
		Scopes    []string `json:"scopes"`
	}
	tests := []struct {
		name  string
		token string
		want  who
	}{
		{"admin", e.admin, who{Kind: "admin", TokenID: e.adminID, Scopes: omadata.CredentialScopes}},
		{"service", e.tokB, who{Kind: "service", TokenID: e.credB, ServiceID: e.svcB, Scopes: []string{"catalogue:read", "catalogue:write"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(t, "GET", "/api/v1/whoami", tt.token, nil)
			wantStatus(t, r, 200)
			var got who
			r.decode(t, &got)
			if got.Kind != tt.want.Kind || got.TokenID != tt.want.TokenID || got.ServiceID != tt.want.ServiceID ||
				len(got.Scopes) != len(tt.want.Scopes) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
