// SPDX-License-Identifier: Apache-2.0

package admin_test

import (
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata/internal/web/ratelimit"
)

// TestLoginRateLimit: the console's logins are limited per client address
// and per signed-in identity, with a 429 page in the page's language.
func TestLoginRateLimit(t *testing.T) {
	e := newLimitedEnv(t, time.Time{}, ratelimit.New(ratelimit.Options{
		Rates: map[string]ratelimit.Rate{ratelimit.Login: {N: 3, Per: time.Minute}},
	}))
	c := e.client(t)
	// A login is a start and a callback: the second login's callback is
	// the fourth request from this address.
	if p := c.login("/admin/fi/login", "olli"); p.status != 200 {
		t.Fatalf("first login: got %d", p.status)
	}
	p := c.login("/admin/fi/login", "olli")
	if p.status != 429 || !strings.Contains(p.body, "Liian monta yritystä") {
		t.Fatalf("second login: got %d %.300s, want 429 in Finnish", p.status, p.body)
	}
	if p := c.get("/admin/en/login"); p.status != 429 || !strings.Contains(p.body, "Too many attempts") || !strings.Contains(p.body, `<html lang="en">`) {
		t.Fatalf("login start over the limit: got %d %.300s, want 429 in English", p.status, p.body)
	}
}
