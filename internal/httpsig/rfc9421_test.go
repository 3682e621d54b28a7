// SPDX-License-Identifier: Apache-2.0

package httpsig_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/omadata/omadata/internal/httpsig"
)

// testKeys are RFC 9421 Appendix B.1's keys.
type testKeys struct {
	rsaPub    *rsa.PublicKey // B.1.1 test-key-rsa
	rsaPriv   *rsa.PrivateKey
	pssPub    *rsa.PublicKey // B.1.2 test-key-rsa-pss
	pssPriv   *rsa.PrivateKey
	eccPriv   *ecdsa.PrivateKey // B.1.3 test-key-ecc-p256
	eccPub    *ecdsa.PublicKey
	edPub     ed25519.PublicKey // B.1.4 test-key-ed25519
	edPriv    ed25519.PrivateKey
	sharedKey []byte // B.1.5 test-shared-secret
}

func loadKeys(t *testing.T) testKeys {
	t.Helper()
	data, err := os.ReadFile("testdata/rfc9421-keys.pem")
	if err != nil {
		t.Fatal(err)
	}
	var blocks [][]byte
	for {
		var b *pem.Block
		if b, data = pem.Decode(data); b == nil {
			break
		}
		blocks = append(blocks, b.Bytes)
	}
	if len(blocks) != 8 {
		t.Fatalf("got %d PEM blocks, want 8", len(blocks))
	}
	var k testKeys
	must := func(v any, err error) any {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	k.rsaPub = must(x509.ParsePKCS1PublicKey(blocks[0])).(*rsa.PublicKey)
	k.rsaPriv = must(x509.ParsePKCS1PrivateKey(blocks[1])).(*rsa.PrivateKey)
	k.pssPub = must(x509.ParsePKIXPublicKey(blocks[2])).(*rsa.PublicKey)
	// B.1.2's private key is PKCS #8 with the RSASSA-PSS algorithm
	// identifier, which crypto/x509 does not read; its key is PKCS #1 inside.
	var p8 struct {
		Version    int
		Algorithm  pkix.AlgorithmIdentifier
		PrivateKey []byte
	}
	if _, err := asn1.Unmarshal(blocks[3], &p8); err != nil {
		t.Fatal(err)
	}
	k.pssPriv = must(x509.ParsePKCS1PrivateKey(p8.PrivateKey)).(*rsa.PrivateKey)
	k.eccPriv = must(x509.ParseECPrivateKey(blocks[4])).(*ecdsa.PrivateKey)
	k.eccPub = must(x509.ParsePKIXPublicKey(blocks[5])).(*ecdsa.PublicKey)
	k.edPub = must(x509.ParsePKIXPublicKey(blocks[6])).(ed25519.PublicKey)
	k.edPriv = must(x509.ParsePKCS8PrivateKey(blocks[7])).(ed25519.PrivateKey)
	k.sharedKey = must(base64.StdEncoding.DecodeString("uzvJfB4u3N0Jy4T7NZ75MDVcr8zSTInedJtkgcu46YW4XByzNJjxBdtjUkdJPBtbmHhIDi6pcl8jsasjlTMtDQ==")).([]byte)
	return k
}

// testRequest is B.2's test-request; testResponse its test-response.
func testRequest() *httpsig.Message {
	u, _ := url.Parse("https://example.com/foo?param=Value&Pet=dog")
	return &httpsig.Message{Method: "POST", URL: u, Header: http.Header{
		"Host":           {"example.com"},
		"Date":           {"Tue, 20 Apr 2021 02:07:55 GMT"},
		"Content-Type":   {"application/json"},
		"Content-Digest": {"sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:"},
		"Content-Length": {"18"},
	}}
}

func testResponse() *httpsig.Message {
	return &httpsig.Message{Status: 200, Header: http.Header{
		"Date":           {"Tue, 20 Apr 2021 02:07:56 GMT"},
		"Content-Type":   {"application/json"},
		"Content-Digest": {"sha-512=:mEWXIS7MaLRuGgxOBdODa3xqM1XdEvxoYhvlCFJ41QJgJc4GTsPp29l5oGX69wWdXymyU0rjJuahq4l5aGgfLQ==:"},
		"Content-Length": {"23"},
	}}
}

const (
	requestDigest  = "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:"
	responseDigest = "sha-512=:mEWXIS7MaLRuGgxOBdODa3xqM1XdEvxoYhvlCFJ41QJgJc4GTsPp29l5oGX69wWdXymyU0rjJuahq4l5aGgfLQ==:"
)

// appendixB are the six test cases of RFC 9421 Appendix B.2: the message,
// its fields, the signature base the RFC prints, and the key.
func appendixB(k testKeys) []struct {
	name, label, input, signature, base, alg string
	msg                                      *httpsig.Message
	pub, priv                                any
	deterministic                            bool
} {
	type row = struct {
		name, label, input, signature, base, alg string
		msg                                      *httpsig.Message
		pub, priv                                any
		deterministic                            bool
	}
	return []row{
		{
			name: "B.2.1 minimal", label: "sig-b21", msg: testRequest(), alg: httpsig.RSAPSSSHA512, pub: k.pssPub, priv: k.pssPriv,
			input:     `sig-b21=();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd"`,
			signature: `sig-b21=:d2pmTvmbncD3xQm8E9ZV2828BjQWGgiwAaw5bAkgibUopemLJcWDy/lkbbHAve4cRAtx31Iq786U7it++wgGxbtRxf8Udx7zFZsckzXaJMkA7ChG52eSkFxykJeNqsrWH5S+oxNFlD4dzVuwe8DhTSja8xxbR/Z2cOGdCbzR72rgFWhzx2VjBqJzsPLMIQKhO4DGezXehhWwE56YCE+O6c0mKZsfxVrogUvA4HELjVKWmAvtl6UnCh8jYzuVG5WSb/QEVPnP5TmcAnLH1g+s++v6d4s8m0gCw1fV5/SITLq9mhho8K3+7EPYTU8IU1bLhdxO5Nyt8C8ssinQ98Xw9Q==:`,
			base:      `"@signature-params": ();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd"`,
		},
		{
			name: "B.2.2 selective", label: "sig-b22", msg: testRequest(), alg: httpsig.RSAPSSSHA512, pub: k.pssPub, priv: k.pssPriv,
			input:     `sig-b22=("@authority" "content-digest" "@query-param";name="Pet");created=1618884473;keyid="test-key-rsa-pss";tag="header-example"`,
			signature: `sig-b22=:LjbtqUbfmvjj5C5kr1Ugj4PmLYvx9wVjZvD9GsTT4F7GrcQEdJzgI9qHxICagShLRiLMlAJjtq6N4CDfKtjvuJyE5qH7KT8UCMkSowOB4+ECxCmT8rtAmj/0PIXxi0A0nxKyB09RNrCQibbUjsLS/2YyFYXEu4TRJQzRw1rLEuEfY17SARYhpTlaqwZVtR8NV7+4UKkjqpcAoFqWFQh62s7Cl+H2fjBSpqfZUJcsIk4N6wiKYd4je2U/lankenQ99PZfB4jY3I5rSV2DSBVkSFsURIjYErOs0tFTQosMTAoxk//0RoKUqiYY8Bh0aaUEb0rQl3/XaVe4bXTugEjHSw==:`,
			base: `"@authority": example.com
"content-digest": ` + requestDigest + `
"@query-param";name="Pet": dog
"@signature-params": ("@authority" "content-digest" "@query-param";name="Pet");created=1618884473;keyid="test-key-rsa-pss";tag="header-example"`,
		},
		{
			name: "B.2.3 full coverage", label: "sig-b23", msg: testRequest(), alg: httpsig.RSAPSSSHA512, pub: k.pssPub, priv: k.pssPriv,
			input:     `sig-b23=("date" "@method" "@path" "@query" "@authority" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-rsa-pss"`,
			signature: `sig-b23=:bbN8oArOxYoyylQQUU6QYwrTuaxLwjAC9fbY2F6SVWvh0yBiMIRGOnMYwZ/5MR6fb0Kh1rIRASVxFkeGt683+qRpRRU5p2voTp768ZrCUb38K0fUxN0O0iC59DzYx8DFll5GmydPxSmme9v6ULbMFkl+V5B1TP/yPViV7KsLNmvKiLJH1pFkh/aYA2HXXZzNBXmIkoQoLd7YfW91kE9o/CCoC1xMy7JA1ipwvKvfrs65ldmlu9bpG6A9BmzhuzF8Eim5f8ui9eH8LZH896+QIF61ka39VBrohr9iyMUJpvRX2Zbhl5ZJzSRxpJyoEZAFL2FUo5fTIztsDZKEgM4cUA==:`,
			base: `"date": Tue, 20 Apr 2021 02:07:55 GMT
"@method": POST
"@path": /foo
"@query": ?param=Value&Pet=dog
"@authority": example.com
"content-type": application/json
"content-digest": ` + requestDigest + `
"content-length": 18
"@signature-params": ("date" "@method" "@path" "@query" "@authority" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-rsa-pss"`,
		},
		{
			name: "B.2.4 response ecdsa", label: "sig-b24", msg: testResponse(), alg: httpsig.ECDSAP256SHA256, pub: k.eccPub, priv: k.eccPriv,
			input:     `sig-b24=("@status" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-ecc-p256"`,
			signature: `sig-b24=:wNmSUAhwb5LxtOtOpNa6W5xj067m5hFrj0XQ4fvpaCLx0NKocgPquLgyahnzDnDAUy5eCdlYUEkLIj+32oiasw==:`,
			base: `"@status": 200
"content-type": application/json
"content-digest": ` + responseDigest + `
"content-length": 23
"@signature-params": ("@status" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-ecc-p256"`,
		},
		{
			name: "B.2.5 hmac", label: "sig-b25", msg: testRequest(), alg: httpsig.HMACSHA256, pub: k.sharedKey, priv: k.sharedKey, deterministic: true,
			input:     `sig-b25=("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret"`,
			signature: `sig-b25=:pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=:`,
			base: `"date": Tue, 20 Apr 2021 02:07:55 GMT
"@authority": example.com
"content-type": application/json
"@signature-params": ("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret"`,
		},
		{
			name: "B.2.6 ed25519", label: "sig-b26", msg: testRequest(), alg: httpsig.Ed25519, pub: k.edPub, priv: k.edPriv, deterministic: true,
			input:     `sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"`,
			signature: `sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:`,
			base: `"date": Tue, 20 Apr 2021 02:07:55 GMT
"@method": POST
"@path": /foo
"@authority": example.com
"content-type": application/json
"content-length": 18
"@signature-params": ("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"`,
		},
	}
}

// TestAppendixB checks every test case of RFC 9421 Appendix B.2: the
// signature base is the one printed, the published signature verifies
// (and no longer does once a covered component changes), our own
// signature verifies, and the deterministic algorithms reproduce the
// published signature and Signature-Input exactly.
func TestAppendixB(t *testing.T) {
	k := loadKeys(t)
	for _, c := range appendixB(k) {
		t.Run(c.name, func(t *testing.T) {
			c.msg.Header.Set("Signature-Input", c.input)
			c.msg.Header.Set("Signature", c.signature)
			sig, err := httpsig.Parse(c.msg.Header, c.label)
			if err != nil {
				t.Fatal(err)
			}
			base, err := httpsig.Base(c.msg, sig.Input)
			if err != nil {
				t.Fatal(err)
			}
			if string(base) != c.base {
				t.Fatalf("signature base:\n%s\nwant:\n%s", base, c.base)
			}
			if err := sig.Verify(c.msg, c.alg, c.pub); err != nil {
				t.Fatalf("the published signature: %v", err)
			}
			// Another label's signature is left alone by Sign.
			if err := httpsig.Sign(c.msg, "ours", sig.Input, c.alg, c.priv); err != nil {
				t.Fatal(err)
			}
			ours, err := httpsig.Parse(c.msg.Header, "ours")
			if err != nil {
				t.Fatal(err)
			}
			if err := ours.Verify(c.msg, c.alg, c.pub); err != nil {
				t.Fatalf("our signature: %v", err)
			}
			if again, err := httpsig.Parse(c.msg.Header, c.label); err != nil || again.Verify(c.msg, c.alg, c.pub) != nil {
				t.Fatalf("the published signature after signing another label: %v", err)
			}
			if c.deterministic {
				fresh := testRequest()
				if err := httpsig.Sign(fresh, c.label, sig.Input, c.alg, c.priv); err != nil {
					t.Fatal(err)
				}
				if got := fresh.Header.Get("Signature"); got != c.signature {
					t.Errorf("Signature: got %s, want %s", got, c.signature)
				}
				if got := fresh.Header.Get("Signature-Input"); got != c.input {
					t.Errorf("Signature-Input: got %s, want %s", got, c.input)
				}
			}
			// A changed covered component (or, for B.2.1, a changed
			// parameter) breaks the signature.
			if len(sig.Input.Components) > 0 {
				c.msg.Header.Set("Content-Type", "text/plain")
				c.msg.Header.Set("Content-Digest", "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:")
				c.msg.Header.Set("Date", "Tue, 20 Apr 2021 02:07:57 GMT")
				if c.msg.URL != nil {
					c.msg.URL.Host = "example.org"
				} else {
					c.msg.Status = 201
				}
			} else {
				sig.Input.Params[0].Value = int64(1618884474)
			}
			if err := sig.Verify(c.msg, c.alg, c.pub); !errors.Is(err, httpsig.ErrBadSignature) {
				t.Fatalf("after a change: got %v, want ErrBadSignature", err)
			}
		})
	}
}

// TestRSAv15 signs and verifies with rsa-v1_5-sha256 (§3.3.2) and B.1.1's
// key, which is deterministic: the same base gives the same signature.
func TestRSAv15(t *testing.T) {
	k := loadKeys(t)
	in := httpsig.Input{Components: httpsig.Components("@method", "@authority", "@path"),
		Params: httpsig.Params{{Key: "created", Value: int64(1618884473)}, {Key: "keyid", Value: "test-key-rsa"}}}
	m1, m2 := testRequest(), testRequest()
	for _, m := range []*httpsig.Message{m1, m2} {
		if err := httpsig.Sign(m, "sig1", in, httpsig.RSAv15SHA256, k.rsaPriv); err != nil {
			t.Fatal(err)
		}
	}
	if m1.Header.Get("Signature") != m2.Header.Get("Signature") {
		t.Error("rsa-v1_5-sha256 gave two signatures of one base")
	}
	sig, err := httpsig.Parse(m1.Header, "sig1")
	if err != nil {
		t.Fatal(err)
	}
	if err := sig.Verify(m1, httpsig.RSAv15SHA256, k.rsaPub); err != nil {
		t.Fatal(err)
	}
	if err := sig.Verify(m1, httpsig.RSAv15SHA256, k.pssPub); !errors.Is(err, httpsig.ErrBadSignature) {
		t.Fatalf("another key: got %v, want ErrBadSignature", err)
	}
	if err := sig.Verify(m1, httpsig.RSAPSSSHA512, k.rsaPub); !errors.Is(err, httpsig.ErrBadSignature) {
		t.Fatalf("another algorithm: got %v, want ErrBadSignature", err)
	}
}

// TestDerivedComponents checks the derived components of §2.2 with the
// RFC's examples.
func TestDerivedComponents(t *testing.T) {
	u, _ := url.Parse("https://www.example.com/path?param=value&foo=bar&baz=batman&qux=")
	m := &httpsig.Message{Method: "POST", URL: u, Header: http.Header{}}
	cases := []struct {
		c    httpsig.Component
		want string
	}{
		{httpsig.Component{Name: "@method"}, "POST"},
		{httpsig.Component{Name: "@target-uri"}, "https://www.example.com/path?param=value&foo=bar&baz=batman&qux="},
		{httpsig.Component{Name: "@authority"}, "www.example.com"},
		{httpsig.Component{Name: "@scheme"}, "https"},
		{httpsig.Component{Name: "@request-target"}, "/path?param=value&foo=bar&baz=batman&qux="},
		{httpsig.Component{Name: "@path"}, "/path"},
		{httpsig.Component{Name: "@query"}, "?param=value&foo=bar&baz=batman&qux="},
		{httpsig.Component{Name: "@query-param", Params: httpsig.Params{{Key: "name", Value: "baz"}}}, "batman"},
		{httpsig.Component{Name: "@query-param", Params: httpsig.Params{{Key: "name", Value: "qux"}}}, ""},
	}
	for _, c := range cases {
		base, err := httpsig.Base(m, httpsig.Input{Components: []httpsig.Component{c.c}})
		if err != nil {
			t.Fatalf("%s: %v", c.c.Name, err)
		}
		got, _, _ := strings.Cut(string(base), "\n")
		if _, v, _ := strings.Cut(got, ": "); v != c.want {
			t.Errorf("%s: got %q, want %q", c.c.Name, v, c.want)
		}
	}
	// §2.2.3: a default port is left out, another kept; §2.2.7: no query is "?".
	u2, _ := url.Parse("http://Example.COM:8080")
	for comp, want := range map[string]string{"@authority": "example.com:8080", "@query": "?", "@path": "/"} {
		base, err := httpsig.Base(&httpsig.Message{Method: "GET", URL: u2}, httpsig.Input{Components: httpsig.Components(comp)})
		if err != nil || !strings.HasPrefix(string(base), `"`+comp+`": `+want+"\n") {
			t.Errorf("%s: got %q, %v; want %s", comp, base, err, want)
		}
	}
	// §2.1: field lines are trimmed and joined with ", ".
	m.Header["Cache-Control"] = []string{"max-age=60", "   must-revalidate"}
	m.Header["X-Ows-Header"] = []string{"   Leading and trailing whitespace.   "}
	base, err := httpsig.Base(m, httpsig.Input{Components: httpsig.Components("cache-control", "x-ows-header")})
	if err != nil {
		t.Fatal(err)
	}
	want := "\"cache-control\": max-age=60, must-revalidate\n\"x-ows-header\": Leading and trailing whitespace.\n"
	if !strings.HasPrefix(string(base), want) {
		t.Errorf("fields: got %q, want prefix %q", base, want)
	}
	// Refused: a missing field, a field twice, an uppercase name, @status
	// on a request, an unknown derived component.
	for _, names := range [][]string{{"x-missing"}, {"@method", "@method"}, {"Cache-Control"}, {"@status"}, {"@nonsense"}} {
		if _, err := httpsig.Base(m, httpsig.Input{Components: httpsig.Components(names...)}); !errors.Is(err, httpsig.ErrMalformed) {
			t.Errorf("%v: got %v, want ErrMalformed", names, err)
		}
	}
}
