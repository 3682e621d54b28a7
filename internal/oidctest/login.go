// SPDX-License-Identifier: Apache-2.0

package oidctest

import (
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

var httpClient = &http.Client{Timeout: 10 * time.Second}

// Page is where a login ended: the last response after all redirects.
type Page struct {
	Status int
	URL    string
	Body   string
	// AskedPassword tells whether the provider showed its login form, or
	// had a session and let the person through.
	AskedPassword bool
}

var (
	formRe   = regexp.MustCompile(`<form method="post" action="([^"]+)">`)
	hiddenRe = regexp.MustCompile(`<input type="hidden" name="id" value="([^"]*)">`)
)

// Login opens start (a relying party's login URL) with c, which must have
// a cookie jar and follow redirects, and follows the redirects to the
// provider; when the provider asks for a password it posts the login form
// with username and password, as a browser would, and follows the
// redirects back. It returns the page where it all ended.
func Login(t testing.TB, c *http.Client, start, username, password string) Page {
	t.Helper()
	p := get(t, c, start)
	m, id := formRe.FindStringSubmatch(p.Body), hiddenRe.FindStringSubmatch(p.Body)
	if m == nil || id == nil {
		return p
	}
	action, err := url.Parse(p.URL)
	if err != nil {
		t.Fatal(err)
	}
	action, err = action.Parse(html.UnescapeString(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.PostForm(action.String(), url.Values{"id": {html.UnescapeString(id[1])}, "username": {username}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	p = read(t, res)
	p.AskedPassword = true
	return p
}

// Get follows the redirects from u with c and returns where they ended.
func Get(t testing.TB, c *http.Client, u string) Page {
	t.Helper()
	return get(t, c, u)
}

func get(t testing.TB, c *http.Client, u string) Page {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	return read(t, res)
}

func read(t testing.TB, res *http.Response) Page {
	t.Helper()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return Page{Status: res.StatusCode, URL: res.Request.URL.String(), Body: strings.TrimSpace(string(b))}
}
