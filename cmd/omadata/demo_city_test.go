// SPDX-License-Identifier: Apache-2.0

package main

import (
	"path/filepath"
	"testing"
)

// TestServeDemoCity: serve --demo --demo-city loads only that city's part
// of the demo, as its own operator, and says which city it stands in for.
func TestServeDemoCity(t *testing.T) {
	for _, tc := range []struct {
		city, name string
		orgs, open int // organisations, and published processings before any peer's catalogue
	}{
		{"helsinki", "omadata demo operator (City of Helsinki)", 5, 1},
		{"espoo", "omadata demo operator (City of Espoo)", 2, 0},
	} {
		t.Run(tc.city, func(t *testing.T) {
			dir := t.TempDir()
			base := startServeEnv(t, map[string]string{
				"OMADATA_DATABASE_URL": "sqlite:" + filepath.Join(dir, "omadata.db"),
				"OMADATA_DEMO":         "true",
				"OMADATA_DEMO_CITY":    tc.city,
			})
			token := readToken(t, filepath.Join(dir, "omadata.demo-token"))
			var orgs struct {
				Items []struct{ Name map[string]string }
			}
			callJSON(t, base, "GET", "/api/v1/organisations?limit=100", token, nil, 200, &orgs)
			if len(orgs.Items) != tc.orgs {
				t.Errorf("got %d organisations, want %d: %+v", len(orgs.Items), tc.orgs, orgs.Items)
			}
			var cat struct{ Items []any }
			callJSON(t, base, "GET", "/api/v1/public/catalogue", "", nil, 200, &cat)
			if len(cat.Items) != tc.open {
				t.Errorf("got %d catalogue entries, want %d", len(cat.Items), tc.open)
			}
			var op struct {
				ServiceProvider struct{ Name, BusinessID string } `json:"serviceProvider"`
			}
			callJSON(t, base, "GET", "/.well-known/mydata/operatordescription", "", nil, 200, &op)
			if op.ServiceProvider.Name != tc.name {
				t.Errorf("operator name %q, want %q", op.ServiceProvider.Name, tc.name)
			}
		})
	}
}
