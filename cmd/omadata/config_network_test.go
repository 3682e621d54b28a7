// SPDX-License-Identifier: Apache-2.0

package main

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/omadata/omadata/internal/dpop"
)

// testJWKS returns a JWK set of the public halves of keys, each with kid.
func testJWKS(t *testing.T, keys ...any) string {
	t.Helper()
	var ks jose.JSONWebKeySet
	for i, k := range keys {
		jwk := jose.JSONWebKey{Key: k, Algorithm: "EdDSA", Use: "sig"}
		// The kid is the key's RFC 7638 thumbprint (docs/network.md §1).
		if tp, err := dpop.Thumbprint(&jwk); err == nil {
			jwk.KeyID = tp
		} else {
			jwk.KeyID = "k" + string(rune('0'+i))
		}
		ks.Keys = append(ks.Keys, jwk)
	}
	buf, err := json.Marshal(ks)
	if err != nil {
		t.Fatal(err)
	}
	return string(buf)
}

func TestConfigNetwork(t *testing.T) {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	jwks := testJWKS(t, pub)

	t.Run("Off", func(t *testing.T) {
		c, err := loadConfig(t, nil)
		if err != nil {
			t.Fatal(err)
		} else if c.Network.Enabled() || c.Network.SyncInterval != time.Minute {
			t.Fatalf("got %+v, want no network and the default sync interval", c.Network)
		}
	})
	t.Run("Inline", func(t *testing.T) {
		c, err := loadConfig(t, map[string]string{
			"OMADATA_NETWORK_ANCHOR":            "https://anchor.example.fi",
			"OMADATA_NETWORK_ANCHOR_JWKS":       jwks,
			"OMADATA_NETWORK_RULEBOOK":          "3",
			"OMADATA_NETWORK_NAME_SV":           "Helsingfors stad",
			"OMADATA_NETWORK_SYNC_INTERVAL":     "30s",
			"OMADATA_OPERATOR_NAME":             "Helsingin kaupunki",
			"OMADATA_NETWORK_CATALOGUE_MAX_AGE": "5s",
		})
		if err != nil {
			t.Fatal(err)
		}
		n := c.Network
		if !n.Enabled() || n.Anchor != "https://anchor.example.fi" || n.Rulebook != 3 || n.SyncInterval != 30*time.Second || n.CatalogueMaxAge != 5*time.Second ||
			len(n.AnchorKeys.Keys) != 1 || !pub.Equal(n.AnchorKeys.Keys[0].Key) {
			t.Fatalf("got %+v", n)
		}
		name := c.networkName()
		if name["fi"] != "Helsingin kaupunki" || name["sv"] != "Helsingfors stad" || name["en"] != "Helsingin kaupunki" {
			t.Errorf("name: got %v, want sv as set and the operator name for fi and en", name)
		}
	})
	t.Run("File", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "anchor.jwks")
		writeFile(t, path, jwks)
		c, err := loadConfig(t, map[string]string{
			"OMADATA_NETWORK_ANCHOR":      "http://127.0.0.1:9000",
			"OMADATA_NETWORK_ANCHOR_JWKS": path,
			"OMADATA_NETWORK_RULEBOOK":    "1",
		})
		if err != nil {
			t.Fatal(err)
		} else if len(c.Network.AnchorKeys.Keys) != 1 || !pub.Equal(c.Network.AnchorKeys.Keys[0].Key) {
			t.Fatalf("got %+v, want the file's key", c.Network.AnchorKeys)
		}
	})

	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	complete := func(set map[string]string) map[string]string {
		env := map[string]string{
			"OMADATA_NETWORK_ANCHOR":      "https://anchor.example.fi",
			"OMADATA_NETWORK_ANCHOR_JWKS": jwks,
			"OMADATA_NETWORK_RULEBOOK":    "1",
		}
		for k, v := range set {
			if v == "" {
				delete(env, k)
			} else {
				env[k] = v
			}
		}
		return env
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
		key  string
		want string
	}{
		{"AnchorHTTP", complete(map[string]string{"OMADATA_NETWORK_ANCHOR": "http://anchor.example.fi"}), "OMADATA_NETWORK_ANCHOR", "not an entity identifier"},
		// http only on the literal loopback addresses, never a name.
		{"AnchorLocalhost", complete(map[string]string{"OMADATA_NETWORK_ANCHOR": "http://localhost:8090"}), "OMADATA_NETWORK_ANCHOR", "not an entity identifier"},
		{"AnchorSlash", complete(map[string]string{"OMADATA_NETWORK_ANCHOR": "https://anchor.example.fi/"}), "OMADATA_NETWORK_ANCHOR", "not an entity identifier"},
		{"AnchorQuery", complete(map[string]string{"OMADATA_NETWORK_ANCHOR": "https://anchor.example.fi?x=1"}), "OMADATA_NETWORK_ANCHOR", "not an entity identifier"},
		{"AnchorWithoutJWKS", complete(map[string]string{"OMADATA_NETWORK_ANCHOR_JWKS": ""}), "OMADATA_NETWORK_ANCHOR_JWKS", "required with OMADATA_NETWORK_ANCHOR"},
		{"AnchorWithoutRulebook", complete(map[string]string{"OMADATA_NETWORK_RULEBOOK": ""}), "OMADATA_NETWORK_RULEBOOK", "required with OMADATA_NETWORK_ANCHOR"},
		{"JWKSWithoutAnchor", complete(map[string]string{"OMADATA_NETWORK_ANCHOR": "", "OMADATA_NETWORK_RULEBOOK": ""}), "OMADATA_NETWORK_ANCHOR_JWKS", "needs OMADATA_NETWORK_ANCHOR"},
		{"RulebookWithoutAnchor", map[string]string{"OMADATA_NETWORK_RULEBOOK": "1"}, "OMADATA_NETWORK_RULEBOOK", "needs OMADATA_NETWORK_ANCHOR"},
		{"NameWithoutAnchor", map[string]string{"OMADATA_NETWORK_NAME_FI": "Espoo"}, "OMADATA_NETWORK_NAME_FI", "need OMADATA_NETWORK_ANCHOR"},
		{"JWKSNotJSON", complete(map[string]string{"OMADATA_NETWORK_ANCHOR_JWKS": "{keys"}), "OMADATA_NETWORK_ANCHOR_JWKS", "not a JWK set"},
		{"JWKSEmpty", complete(map[string]string{"OMADATA_NETWORK_ANCHOR_JWKS": `{"keys":[]}`}), "OMADATA_NETWORK_ANCHOR_JWKS", "has no keys"},
		{"JWKSFileMissing", complete(map[string]string{"OMADATA_NETWORK_ANCHOR_JWKS": "/nonexistent/anchor.jwks"}), "OMADATA_NETWORK_ANCHOR_JWKS", "cannot read"},
		{"JWKSNotEd25519", complete(map[string]string{"OMADATA_NETWORK_ANCHOR_JWKS": testJWKS(t, &ecKey.PublicKey)}), "OMADATA_NETWORK_ANCHOR_JWKS", "not a public Ed25519 key"},
		{"JWKSPrivate", complete(map[string]string{"OMADATA_NETWORK_ANCHOR_JWKS": testJWKS(t, priv)}), "OMADATA_NETWORK_ANCHOR_JWKS", "not a public Ed25519 key"},
		{"JWKSKidNotThumbprint", complete(map[string]string{"OMADATA_NETWORK_ANCHOR_JWKS": strings.Replace(jwks, `"kid":"`, `"kid":"x`, 1)}), "OMADATA_NETWORK_ANCHOR_JWKS", "is not the key's RFC 7638 thumbprint"},
		{"RulebookWord", complete(map[string]string{"OMADATA_NETWORK_RULEBOOK": "v1"}), "OMADATA_NETWORK_RULEBOOK", "not a rulebook version"},
		{"RulebookZero", complete(map[string]string{"OMADATA_NETWORK_RULEBOOK": "0"}), "OMADATA_NETWORK_RULEBOOK", "not a rulebook version"},
		{"NameBlank", complete(map[string]string{"OMADATA_NETWORK_NAME_EN": " "}), "OMADATA_NETWORK_NAME_EN", "must not be empty"},
		{"NameControl", complete(map[string]string{"OMADATA_NETWORK_NAME_SV": "a\x01b"}), "OMADATA_NETWORK_NAME_SV", "control characters"},
		{"SyncIntervalNoUnit", complete(map[string]string{"OMADATA_NETWORK_SYNC_INTERVAL": "60"}), "OMADATA_NETWORK_SYNC_INTERVAL", "not a duration"},
		{"SyncIntervalLong", complete(map[string]string{"OMADATA_NETWORK_SYNC_INTERVAL": "2h"}), "OMADATA_NETWORK_SYNC_INTERVAL", "not a duration"},
		{"CatalogueMaxAgeLong", complete(map[string]string{"OMADATA_NETWORK_CATALOGUE_MAX_AGE": "10m"}), "OMADATA_NETWORK_CATALOGUE_MAX_AGE", "from 1s to 300s"},
		{"CatalogueMaxAgeFraction", complete(map[string]string{"OMADATA_NETWORK_CATALOGUE_MAX_AGE": "1500ms"}), "OMADATA_NETWORK_CATALOGUE_MAX_AGE", "from 1s to 300s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadConfig(t, tc.env)
			if err == nil {
				t.Fatalf("got nil error, want one containing %q", tc.want)
			} else if !strings.HasPrefix(err.Error(), tc.key) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %q, want %s: …%s…", err, tc.key, tc.want)
			}
		})
	}
}
