// SPDX-License-Identifier: Apache-2.0

package conformance

import (
	"crypto/ed25519"
	"encoding/base64"
	"testing"
)

// TestSignatureBaseRFC9421Ed25519 reproduces RFC 9421 Appendix B.2.6: the
// signature base of the test request and the Ed25519 signature of it with
// test-key-ed25519 (Appendix B.1.4), byte for byte.
func TestSignatureBaseRFC9421Ed25519(t *testing.T) {
	seed, _ := base64.RawURLEncoding.DecodeString("n4Ni-HpISpVObnQMW0wOhCKROaIKqKtW_2ZYb2p9KcU")
	pub, _ := base64.RawURLEncoding.DecodeString("JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs")
	key := ed25519.NewKeyFromSeed(seed)
	if !key.Public().(ed25519.PublicKey).Equal(ed25519.PublicKey(pub)) {
		t.Fatal("test-key-ed25519: the private key does not match the public key")
	}
	params := serializeSigParams(
		[]string{"date", "@method", "@path", "@authority", "content-type", "content-length"},
		[][2]string{{"created", "1618884473"}, {"keyid", `"test-key-ed25519"`}})
	base := signatureBase([]sigComponent{
		{"date", "Tue, 20 Apr 2021 02:07:55 GMT"},
		{"@method", "POST"},
		{"@path", "/foo"},
		{"@authority", "example.com"},
		{"content-type", "application/json"},
		{"content-length", "18"},
	}, params)
	want := `"date": Tue, 20 Apr 2021 02:07:55 GMT
"@method": POST
"@path": /foo
"@authority": example.com
"content-type": application/json
"content-length": 18
"@signature-params": ("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"`
	if base != want {
		t.Fatalf("signature base:\n%s\nwant:\n%s", base, want)
	}
	const wantSig = "wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw=="
	if got := base64.StdEncoding.EncodeToString(ed25519.Sign(key, []byte(base))); got != wantSig {
		t.Fatalf("signature %s, want %s", got, wantSig)
	}
}

// TestContentDigestRFC9530 checks the empty body's digest given in
// docs/network.md §3 and the example of RFC 9530 §2 ({"hello": "world"}).
func TestContentDigestRFC9530(t *testing.T) {
	if got, want := contentDigest(nil), "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:"; got != want {
		t.Errorf("empty body: %s, want %s", got, want)
	}
	if got, want := contentDigest([]byte(`{"hello": "world"}`)), "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"; got != want {
		t.Errorf("hello world: %s, want %s", got, want)
	}
}
