// SPDX-License-Identifier: Apache-2.0

package demo_test

import (
	"context"
	"slices"
	"testing"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/demo"
	"github.com/omadata/omadata/internal/store/storetest"
)

// TestLoadApp: the demo app is registered once, under its fixed client ID,
// named in three languages, with the loopback redirect URI and both scopes.
func TestLoadApp(t *testing.T) {
	s := storetest.OpenSQLite(t)
	ctx := context.Background()
	for i, want := range []bool{true, false} {
		created, err := demo.LoadApp(ctx, s)
		if err != nil || created != want {
			t.Fatalf("load %d: created %v, %v; want %v", i+1, created, err, want)
		}
	}
	a, err := s.FindApp(ctx, demo.AppID)
	if err != nil {
		t.Fatal(err)
	}
	if a.Name["en"] != "MyData demo app" || a.Name["fi"] == "" || a.Name["sv"] == "" || a.Status != omadata.AppActive ||
		!a.RedirectURIAllowed("http://127.0.0.1:53117/callback") || !slices.Equal(a.Scopes, omadata.AppScopes) {
		t.Fatalf("demo app: %+v", a)
	}
}
