// SPDX-License-Identifier: Apache-2.0

package httpsig_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/omadata/omadata/internal/httpsig"
)

// TestDictionary parses RFC 8941's examples (§3.2, §3.1.1, §3.1.2, §3.3)
// and serializes them in the canonical form of §4.1.
func TestDictionary(t *testing.T) {
	cases := []struct{ in, want string }{
		{`en="Applepie", da=:w4ZibGV0w6ZydGU=:`, `en="Applepie", da=:w4ZibGV0w6ZydGU=:`},
		{`a=?0, b, c; foo=bar`, `a=?0, b, c;foo=bar`},
		{`rating=1.5, feelings=(joy sadness)`, `rating=1.5, feelings=(joy sadness)`},
		{`a=(1 2), b=3, c=4;aa=bb, d=(5 6);valid`, `a=(1 2), b=3, c=4;aa=bb, d=(5 6);valid`},
		{`a=1,    b=2;x=1;y=2,   c=(a   b   c)`, `a=1, b=2;x=1;y=2, c=(a b c)`},
		{`a=1, b=2, a=3`, `a=3, b=2`}, // §4.2.2: a later key overwrites in place
		{`x=1;a=1;a=2`, `x=1;a=2`},
		{`  s="a\"b\\c", t=*foo:bar/1, n=-999999999999999, d=2.50, e=(), f=?1`, `s="a\"b\\c", t=*foo:bar/1, n=-999999999999999, d=2.5, e=(), f`},
		{`sig1=("@method" "@target-uri" "content-digest");created=1767225600;nonce="x";tag="omadata-network/1"`, `sig1=("@method" "@target-uri" "content-digest");created=1767225600;nonce="x";tag="omadata-network/1"`},
		{``, ``},
		{`b=:YQ:`, `b=:YQ==:`}, // §4.2.7: missing padding is not an error
	}
	for _, c := range cases {
		d, err := httpsig.ParseDictionary(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		got, err := httpsig.SerializeDictionary(d)
		if err != nil || got != c.want {
			t.Errorf("%q: got %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	d, _ := httpsig.ParseDictionary(`en="Applepie", da=:w4ZibGV0w6ZydGU=:, t, n=42;p=?0`)
	if it := d.Get("da").(httpsig.Item); !bytes.Equal(it.Value.([]byte), []byte("\u00c6blet\u00e6rte")) {
		t.Errorf("byte sequence: got %q", it.Value)
	}
	if it := d.Get("t").(httpsig.Item); it.Value != true {
		t.Errorf("a key alone: got %v, want true", it.Value)
	}
	if it := d.Get("n").(httpsig.Item); it.Value != int64(42) || it.Params[0].Value != false {
		t.Errorf("integer with a parameter: got %#v", it)
	}

	bad := []string{
		`a=1,`, `A=1`, `a=(1 2`, `a=1 b=2`, `a=1234567890123456`, `a=1234567890123.5`, `a=1.1234`,
		`a=1.`, `a=-`, `a="a\x"`, `a="unterminated`, "a=\"tab\there\"", `a="café"`, `a=?2`,
		`a=:ab=c:`, `a=:a-b_:`, `a=:YQ==`, `a=#x`, `a=(1,2)`, `a=1;`, `a=1;B=2`, `,a=1`,
	}
	for _, in := range bad {
		if _, err := httpsig.ParseDictionary(in); !errors.Is(err, httpsig.ErrSyntax) {
			t.Errorf("%q: got %v, want ErrSyntax", in, err)
		}
	}
	for _, it := range []httpsig.Item{
		{Value: int64(1e15)}, {Value: "line\nbreak"}, {Value: httpsig.Token("1abc")}, {Value: httpsig.Token("a b")},
		{Value: 1e12}, {Value: struct{}{}}, {Value: int64(1), Params: httpsig.Params{{Key: "Foo", Value: true}}},
	} {
		if s, err := httpsig.SerializeItem(it); !errors.Is(err, httpsig.ErrSyntax) {
			t.Errorf("%#v: got %q, %v; want ErrSyntax", it, s, err)
		}
	}
	// §4.1.5: three fractional digits, rounded half to even.
	for v, want := range map[float64]string{0.0005: "0.0", 0.0015: "0.002", 2: "2.0", -1.25: "-1.25"} {
		if got, err := httpsig.SerializeItem(httpsig.Item{Value: v}); got != want || err != nil {
			t.Errorf("decimal %v: got %q, %v; want %q", v, got, err, want)
		}
	}
}

// FuzzParseDictionary: the parser never panics, and what it parses
// serializes to a canonical form that parses back to itself.
func FuzzParseDictionary(f *testing.F) {
	for _, s := range []string{
		`en="Applepie", da=:w4ZibGV0w6ZydGU=:`, `a=?0, b, c; foo=bar`, `rating=1.5, feelings=(joy sadness)`,
		`net=("@method" "@target-uri" "content-digest");created=1767225600;expires=1767225660;nonce="4pQbq8nQY2rJcUV0-ZJm3A";tag="omadata-network/1";keyid="https://espoo.example#Xk3";alg="ed25519"`,
		`sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:`, `a=(1 2);x=-3.141, b=*t/1:x`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := httpsig.ParseDictionary(s)
		if err != nil {
			return
		}
		once, err := httpsig.SerializeDictionary(d)
		if err != nil {
			t.Fatalf("%q parsed but does not serialize: %v", s, err)
		}
		d2, err := httpsig.ParseDictionary(once)
		if err != nil {
			t.Fatalf("%q serialized as %q, which does not parse: %v", s, once, err)
		}
		twice, err := httpsig.SerializeDictionary(d2)
		if err != nil || twice != once {
			t.Fatalf("%q: serialized %q, then %q (%v)", s, once, twice, err)
		}
	})
}
