// SPDX-License-Identifier: Apache-2.0

package client_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/omadata/omadata/client"
	"github.com/omadata/omadata/internal/dpop"
)

// TestDPoPTransport sends requests through golang.org/x/oauth2's
// Transport over a DPoPTransport, and checks them as the operator does:
// a resource call carries the DPoP token and a proof for it, a token
// request a proof without ath, all from the one key.
func TestDPoPTransport(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tr := &client.DPoPTransport{Key: key}
	jkt, err := tr.JKT()
	if err != nil {
		t.Fatal(err)
	}
	v := &dpop.Verifier{}
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var token string
		if scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok {
			if scheme != "DPoP" {
				t.Errorf("Authorization scheme %q", scheme)
			}
			token = tok
		}
		p, err := v.Verify(r.Context(), r.Header.Values("DPoP"), r.Method, "http://"+r.Host+r.URL.Path, token)
		if err != nil {
			t.Errorf("%s %s: %v", r.Method, r.URL.Path, err)
		} else if p.JKT != jkt {
			t.Errorf("proof by key %s, want %s", p.JKT, jkt)
		}
		seen = append(seen, r.Method+" "+r.URL.Path+" "+token)
		if r.URL.Path == "/oauth/token" {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"access_token":"at-2","token_type":"DPoP","expires_in":600,"refresh_token":"rt-2"}`))
		}
	}))
	defer srv.Close()

	hc := &http.Client{Transport: tr}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, hc)
	cfg := &oauth2.Config{ClientID: "app_demo", Endpoint: oauth2.Endpoint{TokenURL: srv.URL + "/oauth/token", AuthStyle: oauth2.AuthStyleInParams}}
	// An expired token: the TokenSource refreshes it through the transport.
	api := cfg.Client(ctx, &oauth2.Token{AccessToken: "at-1", TokenType: "DPoP", RefreshToken: "rt-1", Expiry: timeInPast()})
	for range 2 {
		res, err := api.Get(srv.URL + "/api/v1/me/consents?limit=5")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	want := []string{"POST /oauth/token ", "GET /api/v1/me/consents at-2", "GET /api/v1/me/consents at-2"}
	if strings.Join(seen, "|") != strings.Join(want, "|") {
		t.Errorf("requests\n%q\nwant\n%q", seen, want)
	}
	// A key the signer cannot use fails the request, not a panic.
	bad := &http.Client{Transport: &client.DPoPTransport{}}
	if _, err := bad.Get(srv.URL + "/x"); err == nil {
		t.Error("a transport without a key sent a request")
	}
}

func timeInPast() time.Time { return time.Now().Add(-time.Hour) }
