// SPDX-License-Identifier: Apache-2.0

// Package webui holds what the resident portal and the admin console
// share: signed cookies and form tokens, the OpenID Connect login, and how
// times are written in Finnish, Swedish and English.
package webui

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // Europe/Helsinki on hosts without a zone database
)

// Cookies signs cookie values and form tokens with a key of their own,
// derived from the operator's secret key, and sets cookies the one way
// both interfaces set them: HttpOnly, SameSite=Lax (the login callback is a
// top-level navigation from the provider), Secure behind https.
type Cookies struct {
	key    []byte
	path   string
	secure bool
}

// NewCookies derives the key of info from secret with HKDF; cookies are
// set under path, Secure when publicURL is https.
func NewCookies(secret []byte, info, path, publicURL string) (*Cookies, error) {
	if len(secret) < 32 {
		return nil, errors.New("webui: the secret key is too short")
	}
	key, err := hkdf.Key(sha256.New, secret, nil, info, 32)
	if err != nil {
		return nil, fmt.Errorf("webui: derive the cookie key: %w", err)
	}
	return &Cookies{key: key, path: path, secure: strings.HasPrefix(publicURL, "https://")}, nil
}

// MAC returns the HMAC of parts.
func (c *Cookies) MAC(parts ...string) string {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte(strings.Join(parts, "\x00")))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Sign returns value with a MAC bound to the cookie's name.
func (c *Cookies) Sign(name, value string) string { return value + "." + c.MAC("cookie", name, value) }

// Verify returns the value of a signed cookie value, or false.
func (c *Cookies) Verify(name, signed string) (string, bool) {
	i := strings.LastIndexByte(signed, '.')
	if i < 0 {
		return "", false
	}
	v := signed[:i]
	return v, hmac.Equal([]byte(signed[i+1:]), []byte(c.MAC("cookie", name, v)))
}

// CSRF is the form token of a session: a MAC of the session's ID, so it
// needs no storage and dies with the session.
func (c *Cookies) CSRF(sessionID string) string { return c.MAC("csrf", sessionID) }

// Set sets a cookie; a negative maxAge deletes it, zero makes it last the
// browser session.
func (c *Cookies) Set(w http.ResponseWriter, name, value string, maxAge time.Duration) {
	ck := &http.Cookie{Name: name, Value: value, Path: c.path, HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode}
	if maxAge < 0 {
		ck.MaxAge = -1
	} else if maxAge > 0 {
		ck.MaxAge = int(maxAge / time.Second)
	}
	http.SetCookie(w, ck)
}

// Zone is where residents and staff read times: Finnish time.
var Zone = func() *time.Location {
	l, err := time.LoadLocation("Europe/Helsinki")
	if err != nil {
		panic(err) // embedded by time/tzdata
	}
	return l
}()

var monthsEN = [...]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}

// FormatDate writes a date as each language writes it: 22.11.2026 in
// Finnish and Finland-Swedish, 22 November 2026 in English.
func FormatDate(lang string, t time.Time) string {
	t = t.In(Zone)
	if lang == "en" {
		return fmt.Sprintf("%d %s %d", t.Day(), monthsEN[t.Month()-1], t.Year())
	}
	return fmt.Sprintf("%d.%d.%d", t.Day(), int(t.Month()), t.Year())
}

// FormatDateTime adds the time of day: "klo 14.05" in Finnish, "kl. 14.05"
// in Swedish, "at 14:05" in English.
func FormatDateTime(lang string, t time.Time) string {
	t = t.In(Zone)
	switch lang {
	case "sv":
		return fmt.Sprintf("%s kl. %02d.%02d", FormatDate(lang, t), t.Hour(), t.Minute())
	case "en":
		return fmt.Sprintf("%s at %02d:%02d", FormatDate(lang, t), t.Hour(), t.Minute())
	}
	return fmt.Sprintf("%s klo %02d.%02d", FormatDate(lang, t), t.Hour(), t.Minute())
}

// FormatNumber writes a whole number as each language groups its digits:
// 1 234 567 (with no-break spaces, and a real minus sign) in Finnish and
// Swedish, 1,234,567 in English.
func FormatNumber(lang string, n int64) string {
	sep, minus := "\u00a0", "\u2212"
	if lang == "en" {
		sep = ","
	}
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteString(minus)
	}
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(r)
	}
	return b.String()
}
