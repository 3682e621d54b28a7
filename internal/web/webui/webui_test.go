// SPDX-License-Identifier: Apache-2.0

package webui

import (
	"errors"
	"testing"

	"github.com/omadata/omadata"
)

func TestFormatNumber(t *testing.T) {
	for _, c := range []struct {
		lang string
		n    int64
		want string
	}{
		{"en", 0, "0"},
		{"en", 999, "999"},
		{"en", 1000, "1,000"},
		{"en", 10000000, "10,000,000"},
		{"fi", 1234567, "1\u00a0234\u00a0567"},
		{"sv", 123456, "123\u00a0456"},
		{"en", -1234, "\u22121,234"},
	} {
		if got := FormatNumber(c.lang, c.n); got != c.want {
			t.Errorf("FormatNumber(%s, %d) = %q, want %q", c.lang, c.n, got, c.want)
		}
	}
}

func TestErrorPage(t *testing.T) {
	for _, c := range []struct {
		err    error
		status int
		key    string
	}{
		{omadata.NotFound("Consent"), 404, "error.not-found"},
		{&omadata.Error{Code: omadata.EFORBIDDEN}, 403, "error.forbidden"},
		{&omadata.Error{Code: omadata.EUNAUTHORIZED}, 401, "error.login-needed"},
		{omadata.Conflictf("status", "moved"), 409, "error.conflict"},
		{omadata.Invalidf("name", "bad"), 409, "error.conflict"},
		{errors.New("disk full"), 500, "error.internal"},
	} {
		if status, key := ErrorPage(c.err); status != c.status || key != c.key {
			t.Errorf("%v: got %d %s, want %d %s", c.err, status, key, c.status, c.key)
		}
	}
}
