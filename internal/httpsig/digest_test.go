// SPDX-License-Identifier: Apache-2.0

package httpsig_test

import (
	"errors"
	"testing"

	"github.com/omadata/omadata/internal/httpsig"
)

// TestContentDigest computes RFC 9530's examples (§2, Appendix B.1-B.3)
// and RFC 9421 B.2's test-request and test-response digests.
func TestContentDigest(t *testing.T) {
	hello := `{"hello": "world"}` + "\n"
	cases := []struct {
		content, alg, want string
	}{
		{hello, httpsig.DigestSHA256, "sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:"},                                             // B.1
		{"", httpsig.DigestSHA256, "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:"},                                                // B.2
		{`"world"}` + "\n", httpsig.DigestSHA256, "sha-256=:jjcgBDWNAtbYUXI37CVG3gRuGOAjaaDRGpIUFsdyepQ=:"},                                 // B.3
		{hello, httpsig.DigestSHA512, "sha-512=:YMAam51Jz/jOATT6/zvHrLVgOYTGFy1d6GJiOHTohq4yP+pgk4vf2aCsyRZOtw8MjkM7iw7yZ/WkppmM44T3qg==:"}, // §2
		{`{"hello": "world"}`, httpsig.DigestSHA512, requestDigest},                                                                         // RFC 9421 B.2
		{`{"message": "good dog"}`, httpsig.DigestSHA512, responseDigest},                                                                   // RFC 9421 B.2
	}
	for _, c := range cases {
		got, err := httpsig.ContentDigest([]byte(c.content), c.alg)
		if err != nil || got != c.want {
			t.Errorf("%s of %q: got %s, %v; want %s", c.alg, c.content, got, err, c.want)
		}
		if err := httpsig.VerifyContentDigest(c.want, []byte(c.content)); err != nil {
			t.Errorf("verify %s: %v", c.want, err)
		}
		if err := httpsig.VerifyContentDigest(c.want, []byte(c.content+"x")); !errors.Is(err, httpsig.ErrDigestMismatch) {
			t.Errorf("verify %s of changed content: got %v, want ErrDigestMismatch", c.want, err)
		}
	}
	both, err := httpsig.ContentDigest([]byte(hello), httpsig.DigestSHA256, httpsig.DigestSHA512)
	if want := "sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:, sha-512=:YMAam51Jz/jOATT6/zvHrLVgOYTGFy1d6GJiOHTohq4yP+pgk4vf2aCsyRZOtw8MjkM7iw7yZ/WkppmM44T3qg==:"; both != want || err != nil {
		t.Errorf("both: got %s, %v; want %s", both, err, want)
	}
	// An unknown algorithm beside an accepted one is ignored; alone, or with
	// a wrong type, the field is malformed; every accepted one must match.
	if err := httpsig.VerifyContentDigest("md5=:XrY7u+Ae7tCTyyK7j1rNww==:, sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:", []byte(hello)); err != nil {
		t.Errorf("an unknown algorithm beside sha-256: %v", err)
	}
	for _, field := range []string{"md5=:XrY7u+Ae7tCTyyK7j1rNww==:", "sha-256=RK", "sha-256=:@@:", ""} {
		if err := httpsig.VerifyContentDigest(field, []byte(hello)); !errors.Is(err, httpsig.ErrMalformed) {
			t.Errorf("%q: got %v, want ErrMalformed", field, err)
		}
	}
	mixed := "sha-256=:d435Qo+nKZ+gLcUHn7GQtQ72hiBVAgqoLsZnZPiTGPk=:, sha-512=:YMAam51Jz/jOATT6/zvHrLVgOYTGFy1d6GJiOHTohq4yP+pgk4vf2aCsyRZOtw8MjkM7iw7yZ/WkppmM44T3qg==:"
	if err := httpsig.VerifyContentDigest(mixed, []byte(hello)); !errors.Is(err, httpsig.ErrDigestMismatch) {
		t.Errorf("one of two digests wrong: got %v, want ErrDigestMismatch", err)
	}
	if err := httpsig.VerifyContentDigest(mixed, []byte(hello), httpsig.DigestSHA512); err != nil {
		t.Errorf("only sha-512 accepted: %v", err)
	}
	if _, err := httpsig.ContentDigest(nil, "md5"); err == nil {
		t.Error("md5 computed")
	}
}
