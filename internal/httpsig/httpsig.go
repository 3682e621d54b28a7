// SPDX-License-Identifier: Apache-2.0

// Package httpsig implements what omadata needs of HTTP Message Signatures
// (RFC 9421), Digest Fields (RFC 9530) and the Structured Field Values
// (RFC 8941) both are written in. It knows no policy: which components a
// signature must cover and which keys may sign is its caller's to decide
// (internal/network for the operator network).
package httpsig

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Message is an HTTP message as a signature base sees it (RFC 9421 §2): a
// request (Method and URL set) or a response (Status set).
type Message struct {
	Method string
	URL    *url.URL // the absolute target URI of a request
	Status int      // a response's status code; 0 for a request
	Header http.Header
}

// Request returns the Message of a request a client is about to send: its
// target URI is req.URL, with req.Host as its authority when set.
func Request(req *http.Request) *Message {
	u := *req.URL
	if req.Host != "" {
		u.Host = req.Host
	}
	return &Message{Method: req.Method, URL: &u, Header: req.Header}
}

// ServerRequest returns the Message of a request a server received. A
// server cannot know the scheme the client used behind a proxy, so the
// caller names it; the authority is the Host the client sent and the path
// and query are the request target as received.
func ServerRequest(r *http.Request, scheme string) *Message {
	target := r.RequestURI
	if !strings.HasPrefix(target, "/") {
		target = r.URL.RequestURI()
	}
	u, err := url.Parse(scheme + "://" + r.Host + target)
	if err != nil {
		u = &url.URL{Scheme: scheme, Host: r.Host, Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery}
	}
	return &Message{Method: r.Method, URL: u, Header: r.Header}
}

// Component is a covered component (RFC 9421 §2): a lowercased field name
// or a derived component name starting with "@", and its parameters.
type Component struct {
	Name   string
	Params Params
}

// Components returns the components named, without parameters.
func Components(names ...string) []Component {
	cs := make([]Component, len(names))
	for i, n := range names {
		cs[i] = Component{Name: n}
	}
	return cs
}

// identifier is the component identifier as it starts a line of the
// signature base (§2.5): the name as a String, with its parameters.
func (c Component) identifier() (string, error) {
	return SerializeItem(Item{Value: c.Name, Params: c.Params})
}

// Input is one signature's covered components and signature parameters
// (§2.3), the value of its member of Signature-Input.
type Input struct {
	Components []Component
	Params     Params // created, expires, nonce, alg, keyid, tag, in order
}

// InnerList returns the input as the Inner List of Signature-Input.
func (in Input) InnerList() InnerList {
	items := make([]Item, len(in.Components))
	for i, c := range in.Components {
		items[i] = Item{Value: c.Name, Params: c.Params}
	}
	return InnerList{Items: items, Params: in.Params}
}

// Int returns the Integer parameter name (created, expires).
func (in Input) Int(name string) (int64, bool) {
	v, _ := in.Params.Get(name)
	n, ok := v.(int64)
	return n, ok
}

// String returns the String parameter name (nonce, alg, keyid, tag).
func (in Input) String(name string) (string, bool) {
	v, _ := in.Params.Get(name)
	s, ok := v.(string)
	return s, ok
}

// inputFromInnerList reads a Signature-Input member (§4.1): components are
// Strings, parameters of §2.3 have their types.
func inputFromInnerList(m Member) (Input, error) {
	l, ok := m.(InnerList)
	if !ok {
		return Input{}, fmt.Errorf("%w: a Signature-Input member is an inner list", ErrMalformed)
	}
	var in Input
	for _, it := range l.Items {
		name, ok := it.Value.(string)
		if !ok {
			return Input{}, fmt.Errorf("%w: a component identifier is a string", ErrMalformed)
		}
		in.Components = append(in.Components, Component{Name: name, Params: it.Params})
	}
	for _, p := range l.Params {
		var ok bool
		switch p.Key {
		case "created", "expires":
			_, ok = p.Value.(int64)
		case "nonce", "alg", "keyid", "tag":
			_, ok = p.Value.(string)
		default:
			ok = true // §2.3: other parameters are the application's to judge
		}
		if !ok {
			return Input{}, fmt.Errorf("%w: signature parameter %s has the wrong type", ErrMalformed, p.Key)
		}
	}
	in.Params = l.Params
	return in, nil
}

// ErrMalformed is wrapped by errors of signatures and inputs that do not
// follow RFC 9421's syntax.
var ErrMalformed = errors.New("malformed signature")

// Base returns the signature base of m for in (RFC 9421 §2.5).
func Base(m *Message, in Input) ([]byte, error) {
	var b strings.Builder
	seen := map[string]bool{}
	for _, c := range in.Components {
		id, err := c.identifier()
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		if seen[id] {
			return nil, fmt.Errorf("%w: component %s is covered twice", ErrMalformed, id)
		}
		seen[id] = true
		v, err := componentValue(m, c)
		if err != nil {
			return nil, err
		}
		if strings.ContainsAny(v, "\r\n") {
			return nil, fmt.Errorf("%w: component %s has a line break", ErrMalformed, id)
		}
		b.WriteString(id)
		b.WriteString(": ")
		b.WriteString(v)
		b.WriteByte('\n')
	}
	params, err := SerializeInnerList(in.InnerList())
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	b.WriteString(`"@signature-params": `)
	b.WriteString(params)
	return []byte(b.String()), nil
}

// componentValue is a component's value (§2.1, §2.2).
func componentValue(m *Message, c Component) (string, error) {
	if strings.HasPrefix(c.Name, "@") {
		return derivedValue(m, c)
	}
	if c.Name != strings.ToLower(c.Name) || c.Name == "" {
		return "", fmt.Errorf("%w: field name %q is not lowercased", ErrMalformed, c.Name)
	}
	if len(c.Params) > 0 {
		return "", fmt.Errorf("%w: field parameters (%s) are not supported", ErrMalformed, c.Params[0].Key)
	}
	// §2.1: every field line, trimmed of leading and trailing whitespace,
	// joined with ", ".
	lines, ok := m.Header[http.CanonicalHeaderKey(c.Name)]
	if !ok {
		return "", fmt.Errorf("%w: covered field %s is absent", ErrMalformed, c.Name)
	}
	vs := make([]string, len(lines))
	for i, l := range lines {
		vs[i] = strings.Trim(l, " \t")
	}
	return strings.Join(vs, ", "), nil
}

// derivedValue is §2.2.
func derivedValue(m *Message, c Component) (string, error) {
	if c.Name != "@query-param" && len(c.Params) > 0 {
		return "", fmt.Errorf("%w: parameters of %s are not supported", ErrMalformed, c.Name)
	}
	if c.Name == "@status" {
		if m.Status == 0 {
			return "", fmt.Errorf("%w: @status is only in responses", ErrMalformed)
		}
		return strconv.Itoa(m.Status), nil // §2.2.9
	}
	if m.URL == nil || m.Status != 0 {
		return "", fmt.Errorf("%w: %s is only in requests", ErrMalformed, c.Name)
	}
	u := m.URL
	switch c.Name {
	case "@method": // §2.2.1
		return m.Method, nil
	case "@target-uri": // §2.2.2
		return strings.ToLower(u.Scheme) + "://" + u.Host + u.RequestURI(), nil
	case "@authority": // §2.2.3
		return authority(u), nil
	case "@scheme": // §2.2.4
		return strings.ToLower(u.Scheme), nil
	case "@request-target": // §2.2.5, origin form
		return u.RequestURI(), nil
	case "@path": // §2.2.6
		if p := u.EscapedPath(); p != "" {
			return p, nil
		}
		return "/", nil
	case "@query": // §2.2.7
		return "?" + u.RawQuery, nil
	case "@query-param": // §2.2.8
		return queryParam(u, c.Params)
	default:
		return "", fmt.Errorf("%w: unknown derived component %s", ErrMalformed, c.Name)
	}
}

// authority is the host, lowercased, with a port only if it is not the
// scheme's default (§2.2.3).
func authority(u *url.URL) string {
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	switch scheme := strings.ToLower(u.Scheme); {
	case port == "", scheme == "https" && port == "443", scheme == "http" && port == "80":
		return host
	}
	return host + ":" + port
}

// Authority returns the @authority of a URL (§2.2.3): a lowercased host
// and a port other than the scheme's default.
func Authority(u *url.URL) string { return authority(u) }

// queryParam is §2.2.8: the one value of the named parameter, decoded as
// application/x-www-form-urlencoded and percent-encoded again.
func queryParam(u *url.URL, ps Params) (string, error) {
	v, _ := ps.Get("name")
	name, ok := v.(string)
	if !ok || len(ps) != 1 {
		return "", fmt.Errorf("%w: @query-param takes one name parameter", ErrMalformed)
	}
	var found []string
	for _, pair := range strings.Split(u.RawQuery, "&") {
		if pair == "" {
			continue
		}
		k, val, _ := strings.Cut(pair, "=")
		dk, err1 := url.QueryUnescape(k)
		dv, err2 := url.QueryUnescape(val)
		if err1 != nil || err2 != nil {
			return "", fmt.Errorf("%w: the query is not percent-encoded", ErrMalformed)
		}
		if formEncode(dk) == name {
			found = append(found, formEncode(dv))
		}
	}
	if len(found) != 1 {
		return "", fmt.Errorf("%w: query parameter %q occurs %d times", ErrMalformed, name, len(found))
	}
	return found[0], nil
}

// formEncode percent-encodes s with the application/x-www-form-urlencoded
// percent-encode set, a space as %20 (§2.2.8).
func formEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isAlpha(c) || isDigit(c) || c == '*' || c == '-' || c == '.' || c == '_' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
