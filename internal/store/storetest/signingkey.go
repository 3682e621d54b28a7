// SPDX-License-Identifier: Apache-2.0

package storetest

import (
	"sync"
	"testing"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/keys"
	"github.com/omadata/omadata/internal/store"
)

// testSigningKeyEnsureTogether: processes starting together on a new
// database each ensure a signing key; they all get the same one, and it is
// the only key of its purpose (none is made and retired at once).
func testSigningKeyEnsureTogether(t *testing.T, s *store.Store) {
	ctx := Admin()
	sealer, err := keys.NewSealer(SecretKey)
	ok(t, err)
	const purpose, n = "test-together", 8
	var wg sync.WaitGroup
	ids, errs := make([]string, n), make([]error, n)
	for i := range n {
		wg.Go(func() {
			k, err := keys.Ensure(ctx, s, sealer, purpose)
			if err == nil {
				ids[i] = k.ID
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i := range n {
		ok(t, errs[i])
		if ids[i] != ids[0] {
			t.Fatalf("Ensure %d got key %s, want %s as the first did", i, ids[i], ids[0])
		}
	}
	var got []string
	for _, k := range must[[]*omadata.SigningKey](t)(s.FindSigningKeys(ctx)) {
		if k.Purpose == purpose {
			got = append(got, k.ID+" "+k.Status)
		}
	}
	if len(got) != 1 || got[0] != ids[0]+" active" {
		t.Fatalf("got keys %v, want only %s active", got, ids[0])
	}
	// A later creation returns the active key and changes nothing.
	k, err := keys.New(sealer, purpose)
	ok(t, err)
	if got, err := s.CreateSigningKey(ctx, k); err != nil || got.ID != ids[0] {
		t.Fatalf("a second creation: got %v, %v, want the active key %s", got, err, ids[0])
	}
	if k, err := keys.Active(ctx, s, purpose); err != nil || k.ID != ids[0] {
		t.Fatalf("active key after a refused creation: got %v, %v, want %s", k, err, ids[0])
	}
}
