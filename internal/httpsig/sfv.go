// SPDX-License-Identifier: Apache-2.0

package httpsig

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// The structured field values of RFC 8941 that HTTP message signatures and
// digests are written in: Dictionaries (§3.2) whose members are Items or
// Inner Lists (§3.1.1), each with Parameters (§3.1.2), and the bare items
// Integer, Decimal, String, Token, Byte Sequence and Boolean (§3.3).

// Token is an RFC 8941 Token (§3.3.4); a Go string is a String (§3.3.3).
// The other bare items are int64 (Integer), float64 (Decimal), []byte
// (Byte Sequence) and bool (Boolean).
type Token string

// Param is one parameter (§3.1.2): a key and a bare item.
type Param struct {
	Key   string
	Value any
}

// Params are an item's or inner list's parameters, in order.
type Params []Param

// Get returns the value of the parameter key and whether it is present.
func (ps Params) Get(key string) (any, bool) {
	for _, p := range ps {
		if p.Key == key {
			return p.Value, true
		}
	}
	return nil, false
}

// set overwrites key's value in place, or appends it (§4.2.3.2).
func (ps Params) set(key string, v any) Params {
	for i := range ps {
		if ps[i].Key == key {
			ps[i].Value = v
			return ps
		}
	}
	return append(ps, Param{key, v})
}

// Member is a Dictionary member's value: an Item or an InnerList.
type Member interface{ member() }

// Item is a bare item with parameters (§3.3).
type Item struct {
	Value  any
	Params Params
}

// InnerList is an Inner List (§3.1.1).
type InnerList struct {
	Items  []Item
	Params Params
}

func (Item) member()      {}
func (InnerList) member() {}

// DictEntry is one member of a Dictionary.
type DictEntry struct {
	Key   string
	Value Member
}

// Dictionary is an RFC 8941 Dictionary (§3.2), in order.
type Dictionary []DictEntry

// Get returns the member key's value, or nil.
func (d Dictionary) Get(key string) Member {
	for _, e := range d {
		if e.Key == key {
			return e.Value
		}
	}
	return nil
}

// Set overwrites key's value in place, or appends it (§4.2.2).
func (d Dictionary) Set(key string, v Member) Dictionary {
	for i := range d {
		if d[i].Key == key {
			d[i].Value = v
			return d
		}
	}
	return append(d, DictEntry{key, v})
}

// ErrSyntax is wrapped by every parse failure.
var ErrSyntax = errors.New("structured field syntax")

type parser struct {
	s string
	i int
}

func (p *parser) fail(format string, args ...any) error {
	return fmt.Errorf("%w at %d: %s", ErrSyntax, p.i, fmt.Sprintf(format, args...))
}

func (p *parser) eof() bool  { return p.i >= len(p.s) }
func (p *parser) peek() byte { return p.s[p.i] }

func (p *parser) skipSP() {
	for !p.eof() && p.s[p.i] == ' ' {
		p.i++
	}
}

func (p *parser) skipOWS() {
	for !p.eof() && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

// ParseDictionary parses a Dictionary field value (§4.2, §4.2.2). Field
// lines of one field are to be joined with ", " first.
func ParseDictionary(s string) (Dictionary, error) {
	p := &parser{s: s}
	p.skipSP()
	var d Dictionary
	for !p.eof() {
		key, err := p.key()
		if err != nil {
			return nil, err
		}
		var v Member
		if !p.eof() && p.peek() == '=' {
			p.i++
			if v, err = p.itemOrInnerList(); err != nil {
				return nil, err
			}
		} else {
			params, err := p.params()
			if err != nil {
				return nil, err
			}
			v = Item{Value: true, Params: params}
		}
		d = d.Set(key, v)
		p.skipOWS()
		if p.eof() {
			break
		}
		if p.peek() != ',' {
			return nil, p.fail("expected a comma")
		}
		p.i++
		p.skipOWS()
		if p.eof() {
			return nil, p.fail("a trailing comma")
		}
	}
	return d, nil
}

// ParseItem parses an Item field value (§4.2, §4.2.3).
func ParseItem(s string) (Item, error) {
	p := &parser{s: s}
	p.skipSP()
	it, err := p.item()
	if err != nil {
		return Item{}, err
	}
	p.skipSP()
	if !p.eof() {
		return Item{}, p.fail("trailing characters")
	}
	return it, nil
}

func (p *parser) itemOrInnerList() (Member, error) {
	if !p.eof() && p.peek() == '(' {
		return p.innerList()
	}
	return p.item()
}

// innerList is §4.2.1.2.
func (p *parser) innerList() (InnerList, error) {
	p.i++ // (
	var l InnerList
	for {
		p.skipSP()
		if p.eof() {
			return InnerList{}, p.fail("an unterminated inner list")
		}
		if p.peek() == ')' {
			p.i++
			params, err := p.params()
			if err != nil {
				return InnerList{}, err
			}
			l.Params = params
			return l, nil
		}
		it, err := p.item()
		if err != nil {
			return InnerList{}, err
		}
		l.Items = append(l.Items, it)
		if p.eof() || (p.peek() != ' ' && p.peek() != ')') {
			return InnerList{}, p.fail("expected a space or ) in an inner list")
		}
	}
}

// item is §4.2.3.
func (p *parser) item() (Item, error) {
	v, err := p.bareItem()
	if err != nil {
		return Item{}, err
	}
	params, err := p.params()
	if err != nil {
		return Item{}, err
	}
	return Item{Value: v, Params: params}, nil
}

// params is §4.2.3.2.
func (p *parser) params() (Params, error) {
	var ps Params
	for !p.eof() && p.peek() == ';' {
		p.i++
		p.skipSP()
		key, err := p.key()
		if err != nil {
			return nil, err
		}
		var v any = true
		if !p.eof() && p.peek() == '=' {
			p.i++
			if v, err = p.bareItem(); err != nil {
				return nil, err
			}
		}
		ps = ps.set(key, v)
	}
	return ps, nil
}

func isLCAlpha(c byte) bool { return c >= 'a' && c <= 'z' }
func isDigit(c byte) bool   { return c >= '0' && c <= '9' }
func isAlpha(c byte) bool   { return isLCAlpha(c) || (c >= 'A' && c <= 'Z') }

// isTChar is RFC 9110's tchar.
func isTChar(c byte) bool {
	return isAlpha(c) || isDigit(c) || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// key is §4.2.3.3.
func (p *parser) key() (string, error) {
	if p.eof() || !(isLCAlpha(p.peek()) || p.peek() == '*') {
		return "", p.fail("a key must start with a lowercase letter or *")
	}
	start := p.i
	for !p.eof() {
		c := p.peek()
		if !(isLCAlpha(c) || isDigit(c) || c == '_' || c == '-' || c == '.' || c == '*') {
			break
		}
		p.i++
	}
	return p.s[start:p.i], nil
}

// bareItem is §4.2.3.1.
func (p *parser) bareItem() (any, error) {
	if p.eof() {
		return nil, p.fail("an item is missing")
	}
	switch c := p.peek(); {
	case c == '-' || isDigit(c):
		return p.number()
	case c == '"':
		return p.str()
	case c == '*' || isAlpha(c):
		return p.token(), nil
	case c == ':':
		return p.bytes()
	case c == '?':
		return p.boolean()
	default:
		return nil, p.fail("no item starts with %q", c)
	}
}

// number is §4.2.4.
func (p *parser) number() (any, error) {
	start := p.i
	if p.peek() == '-' {
		p.i++
	}
	if p.eof() || !isDigit(p.peek()) {
		return nil, p.fail("a number needs a digit")
	}
	digits, dot := 0, -1
	for !p.eof() {
		c := p.peek()
		if isDigit(c) {
			digits++
		} else if c == '.' && dot < 0 {
			if digits > 12 {
				return nil, p.fail("a decimal has at most 12 integer digits")
			}
			dot = digits
		} else {
			break
		}
		p.i++
		if dot < 0 && digits > 15 {
			return nil, p.fail("an integer has at most 15 digits")
		}
		if dot >= 0 && digits > 15 {
			return nil, p.fail("a decimal is too long")
		}
	}
	s := p.s[start:p.i]
	if dot < 0 {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, p.fail("integer %q", s)
		}
		return n, nil
	}
	if frac := digits - dot; frac == 0 || frac > 3 {
		return nil, p.fail("a decimal has 1 to 3 fractional digits")
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, p.fail("decimal %q", s)
	}
	return f, nil
}

// str is §4.2.5.
func (p *parser) str() (string, error) {
	p.i++ // "
	var b strings.Builder
	for !p.eof() {
		c := p.peek()
		p.i++
		switch {
		case c == '\\':
			if p.eof() {
				return "", p.fail("an unterminated escape")
			}
			c = p.peek()
			p.i++
			if c != '"' && c != '\\' {
				return "", p.fail("only \\\" and \\\\ are escapes")
			}
			b.WriteByte(c)
		case c == '"':
			return b.String(), nil
		case c < 0x20 || c > 0x7e:
			return "", p.fail("a string holds printable ASCII only")
		default:
			b.WriteByte(c)
		}
	}
	return "", p.fail("an unterminated string")
}

// token is §4.2.6.
func (p *parser) token() Token {
	start := p.i
	p.i++
	for !p.eof() && (isTChar(p.peek()) || p.peek() == ':' || p.peek() == '/') {
		p.i++
	}
	return Token(p.s[start:p.i])
}

// bytes is §4.2.7.
func (p *parser) bytes() ([]byte, error) {
	p.i++ // :
	start := p.i
	for !p.eof() && p.peek() != ':' {
		c := p.peek()
		if !(isAlpha(c) || isDigit(c) || c == '+' || c == '/' || c == '=') {
			return nil, p.fail("a byte sequence is base64")
		}
		p.i++
	}
	if p.eof() {
		return nil, p.fail("an unterminated byte sequence")
	}
	enc := p.s[start:p.i]
	p.i++
	// §4.2.7: parsers SHOULD NOT fail on missing padding.
	b, err := base64.RawStdEncoding.Strict().DecodeString(strings.TrimRight(enc, "="))
	if err != nil || (strings.Contains(enc, "=") && len(enc)%4 != 0) {
		return nil, p.fail("a byte sequence is base64")
	}
	if b == nil {
		b = []byte{}
	}
	return b, nil
}

// boolean is §4.2.8.
func (p *parser) boolean() (bool, error) {
	p.i++ // ?
	if !p.eof() {
		switch p.peek() {
		case '1':
			p.i++
			return true, nil
		case '0':
			p.i++
			return false, nil
		}
	}
	return false, p.fail("a boolean is ?0 or ?1")
}

// SerializeDictionary serializes d (§4.1.2).
func SerializeDictionary(d Dictionary) (string, error) {
	var b strings.Builder
	for i, e := range d {
		if i > 0 {
			b.WriteString(", ")
		}
		if err := writeKey(&b, e.Key); err != nil {
			return "", err
		}
		if it, ok := e.Value.(Item); ok && it.Value == true {
			if err := writeParams(&b, it.Params); err != nil {
				return "", err
			}
			continue
		}
		b.WriteByte('=')
		if err := writeMember(&b, e.Value); err != nil {
			return "", err
		}
	}
	return b.String(), nil
}

// SerializeItem serializes an Item (§4.1.3).
func SerializeItem(it Item) (string, error) {
	var b strings.Builder
	err := writeMember(&b, it)
	return b.String(), err
}

// SerializeInnerList serializes an Inner List (§4.1.1.1).
func SerializeInnerList(l InnerList) (string, error) {
	var b strings.Builder
	err := writeMember(&b, l)
	return b.String(), err
}

func writeMember(b *strings.Builder, m Member) error {
	switch m := m.(type) {
	case Item:
		if err := writeBare(b, m.Value); err != nil {
			return err
		}
		return writeParams(b, m.Params)
	case InnerList:
		b.WriteByte('(')
		for i, it := range m.Items {
			if i > 0 {
				b.WriteByte(' ')
			}
			if err := writeMember(b, it); err != nil {
				return err
			}
		}
		b.WriteByte(')')
		return writeParams(b, m.Params)
	default:
		return fmt.Errorf("%w: a member is an Item or an InnerList, not %T", ErrSyntax, m)
	}
}

// writeParams is §4.1.1.2.
func writeParams(b *strings.Builder, ps Params) error {
	for _, p := range ps {
		b.WriteByte(';')
		if err := writeKey(b, p.Key); err != nil {
			return err
		}
		if p.Value != true {
			b.WriteByte('=')
			if err := writeBare(b, p.Value); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeKey is §4.1.1.3.
func writeKey(b *strings.Builder, k string) error {
	if k == "" || !(isLCAlpha(k[0]) || k[0] == '*') {
		return fmt.Errorf("%w: key %q", ErrSyntax, k)
	}
	for i := 1; i < len(k); i++ {
		if c := k[i]; !(isLCAlpha(c) || isDigit(c) || c == '_' || c == '-' || c == '.' || c == '*') {
			return fmt.Errorf("%w: key %q", ErrSyntax, k)
		}
	}
	b.WriteString(k)
	return nil
}

// writeBare is §4.1.3.1.
func writeBare(b *strings.Builder, v any) error {
	switch v := v.(type) {
	case int64:
		if v > 999_999_999_999_999 || v < -999_999_999_999_999 {
			return fmt.Errorf("%w: integer %d out of range", ErrSyntax, v)
		}
		b.WriteString(strconv.FormatInt(v, 10))
	case int:
		return writeBare(b, int64(v))
	case float64:
		// §4.1.5: three fractional digits, rounded half to even.
		r := math.RoundToEven(v*1000) / 1000
		if math.IsNaN(r) || math.IsInf(r, 0) || math.Abs(r) >= 1e12 {
			return fmt.Errorf("%w: decimal %v out of range", ErrSyntax, v)
		}
		s := strconv.FormatFloat(r, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		b.WriteString(s)
	case string:
		b.WriteByte('"')
		for i := 0; i < len(v); i++ {
			c := v[i]
			if c < 0x20 || c > 0x7e {
				return fmt.Errorf("%w: a string holds printable ASCII only", ErrSyntax)
			}
			if c == '"' || c == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		}
		b.WriteByte('"')
	case Token:
		if v == "" || !(isAlpha(v[0]) || v[0] == '*') {
			return fmt.Errorf("%w: token %q", ErrSyntax, string(v))
		}
		for i := 1; i < len(v); i++ {
			if c := v[i]; !(isTChar(c) || c == ':' || c == '/') {
				return fmt.Errorf("%w: token %q", ErrSyntax, string(v))
			}
		}
		b.WriteString(string(v))
	case []byte:
		b.WriteByte(':')
		b.WriteString(base64.StdEncoding.EncodeToString(v))
		b.WriteByte(':')
	case bool:
		if v {
			b.WriteString("?1")
		} else {
			b.WriteString("?0")
		}
	default:
		return fmt.Errorf("%w: no bare item is a %T", ErrSyntax, v)
	}
	return nil
}
