// SPDX-License-Identifier: Apache-2.0

package respond_test

import (
	"testing"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/web/respond"
)

// TestStatus pins the code-to-status table: codes are API.
func TestStatus(t *testing.T) {
	tests := []struct {
		code   string
		status int
	}{
		{omadata.EINVALID, 400},
		{omadata.EUNAUTHORIZED, 401},
		{omadata.EFORBIDDEN, 403},
		{omadata.ENOTFOUND, 404},
		{omadata.ECONFLICT, 409},
		{omadata.ETOOLARGE, 413},
		{omadata.EUNSUPPORTED, 415},
		{omadata.EINTERNAL, 500},
		{omadata.EUNAVAILABLE, 503},
		{"no_such_code", 500},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			if got := respond.Status(tt.code); got != tt.status {
				t.Errorf("got %d, want %d", got, tt.status)
			}
		})
	}
}

func TestCursor(t *testing.T) {
	for _, id := range []string{"org_06h04qx7ndvx2axjpvr77cesa8", "a", ""} {
		c := respond.EncodeCursor(id)
		if got, ok := respond.DecodeCursor(c); !ok || got != id {
			t.Errorf("DecodeCursor(EncodeCursor(%q)): got %q, %v", id, got, ok)
		}
	}
	if _, ok := respond.DecodeCursor("not base64!"); ok {
		t.Errorf("DecodeCursor accepted junk")
	}
}
