// SPDX-License-Identifier: Apache-2.0

package witness_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/note"

	"github.com/omadata/omadata/internal/witness"
)

const cpText = "example.org/log\n20\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
const cpTextExt = cpText + "extension one\nextension two\n"

func testKey(b byte) ed25519.PrivateKey {
	seed := make([]byte, ed25519.SeedSize)
	for i := range seed {
		seed[i] = b
	}
	return ed25519.NewKeyFromSeed(seed)
}

// openLine verifies one signature line on text with v.
func openLine(text, line string, v note.Verifier) (*note.Note, error) {
	return note.Open([]byte(text+"\n"+line), note.VerifierList(v))
}

// TestCosignatureFromTorchwood: torchwood's signer cosigns (with its own
// clock), our verifier from the verifier key accepts it, on checkpoints
// with and without extension lines, and refuses it on another text.
func TestCosignatureFromTorchwood(t *testing.T) {
	key := testKey(1)
	s, err := torchwood.NewCosignatureSigner("witness.example/w", key)
	if err != nil {
		t.Fatal(err)
	}
	vkey := s.Verifier().String()
	v, err := witness.NewCosignatureVerifier(vkey)
	if err != nil {
		t.Fatalf("NewCosignatureVerifier(%q): %v", vkey, err)
	}
	if v.Name() != s.Name() || v.KeyHash() != s.KeyHash() {
		t.Fatalf("got %s %08x, want %s %08x", v.Name(), v.KeyHash(), s.Name(), s.KeyHash())
	}
	for _, text := range []string{cpText, cpTextExt} {
		before := time.Now().Unix()
		signed, err := note.Sign(&note.Note{Text: text}, s)
		if err != nil {
			t.Fatal(err)
		}
		n, err := note.Open(signed, note.VerifierList(v))
		if err != nil {
			t.Fatalf("open torchwood's cosignature on %q: %v", text, err)
		}
		got, err := witness.CosignatureTime(n.Sigs[0])
		if err != nil || got.Unix() < before || got.Unix() > time.Now().Unix() {
			t.Fatalf("CosignatureTime = %v, %v; want about now", got, err)
		}
		line := string(signed[len(text)+1:])
		other := strings.Replace(text, "\n20\n", "\n21\n", 1)
		if _, err := openLine(other, line, v); err == nil {
			t.Fatalf("the cosignature verifies on another checkpoint")
		}
	}
}

// TestCosignatureVector builds a cosignature by hand from
// tlog-cosignature §Format and checks that our verifier accepts it, that
// CosignatureTime reads its time, and that one bit changed anywhere
// fails it.
func TestCosignatureVector(t *testing.T) {
	key := testKey(7)
	pub := key.Public().(ed25519.PublicKey)
	name := "witness.example/vector"
	keyBytes := append([]byte{0x04}, pub...)
	sum := sha256.Sum256(append([]byte(name+"\n"), keyBytes...))
	hash := binary.BigEndian.Uint32(sum[:4])
	vkey := fmt.Sprintf("%s+%08x+%s", name, hash, base64.StdEncoding.EncodeToString(keyBytes))

	const T = 1700000000
	msg := fmt.Sprintf("cosignature/v1\ntime %d\n%s", T, cpTextExt)
	sig := ed25519.Sign(key, []byte(msg))
	var raw []byte
	raw = binary.BigEndian.AppendUint32(raw, hash)
	raw = binary.BigEndian.AppendUint64(raw, T)
	raw = append(raw, sig...)
	line := "— " + name + " " + base64.StdEncoding.EncodeToString(raw) + "\n"

	v, err := witness.NewCosignatureVerifier(vkey)
	if err != nil {
		t.Fatalf("NewCosignatureVerifier(%q): %v", vkey, err)
	}
	n, err := openLine(cpTextExt, line, v)
	if err != nil {
		t.Fatalf("hand-made cosignature: %v", err)
	}
	if got, err := witness.CosignatureTime(n.Sigs[0]); err != nil || !got.Equal(time.Unix(T, 0)) {
		t.Fatalf("CosignatureTime = %v, %v; want %v", got, err, time.Unix(T, 0))
	}
	// The same key through our Cosigner makes the same verifier key, and
	// torchwood's verifier accepts what it signs.
	c, err := witness.NewCosigner(name, key)
	if err != nil {
		t.Fatal(err)
	}
	if c.VerifierKey() != vkey || c.Name() != name {
		t.Fatalf("Cosigner: got %s %s, want %s", c.Name(), c.VerifierKey(), vkey)
	}
	for i := range raw {
		bad := append([]byte(nil), raw...)
		bad[i] ^= 0x01
		badLine := "— " + name + " " + base64.StdEncoding.EncodeToString(bad) + "\n"
		if _, err := openLine(cpTextExt, badLine, v); err == nil {
			t.Fatalf("byte %d changed: the cosignature still verifies", i)
		}
	}
	// A signature over the text alone (no cosignature/v1 header) fails.
	plain := append(binary.BigEndian.AppendUint32(nil, hash), binary.BigEndian.AppendUint64(nil, T)...)
	plain = append(plain, ed25519.Sign(key, []byte(cpTextExt))...)
	if _, err := openLine(cpTextExt, "— "+name+" "+base64.StdEncoding.EncodeToString(plain)+"\n", v); err == nil {
		t.Fatal("a signature without the cosignature/v1 header verifies")
	}
}

// TestCosignerTorchwoodVerifies: what our Cosigner signs, torchwood's
// verifier of the same key accepts, and the line has the form
// "— {name} {base64}\n".
func TestCosignerTorchwoodVerifies(t *testing.T) {
	key := testKey(3)
	c, err := witness.NewCosigner("helsinki.example/witness", key)
	if err != nil {
		t.Fatal(err)
	}
	tw, _ := torchwood.NewCosignatureSigner("helsinki.example/witness", key)
	if tw.Verifier().String() != c.VerifierKey() {
		t.Fatalf("verifier key: got %s, want %s", c.VerifierKey(), tw.Verifier().String())
	}
	line, err := c.Cosign(cpTextExt)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(line, "— helsinki.example/witness ") || !strings.HasSuffix(line, "\n") || strings.Count(line, "\n") != 1 {
		t.Fatalf("line %q", line)
	}
	if _, err := openLine(cpTextExt, line, tw.Verifier()); err != nil {
		t.Fatalf("torchwood's verifier: %v", err)
	}
	if _, err := c.Cosign("not a checkpoint\n"); err == nil {
		t.Fatal("Cosign signed a text that is not a checkpoint")
	}
}

func TestNewCosignatureVerifierRefuses(t *testing.T) {
	key := testKey(5)
	tw, _ := torchwood.NewCosignatureSigner("w.example/witness", key)
	good := tw.Verifier().String()
	name, rest, _ := strings.Cut(good, "+")
	hash, b64, _ := strings.Cut(rest, "+")
	raw, _ := base64.StdEncoding.DecodeString(b64)
	ed := append([]byte{0x01}, raw[1:]...)
	edKey, _ := note.NewEd25519VerifierKey(name, key.Public().(ed25519.PublicKey))
	for _, c := range []struct{ name, vkey string }{
		{"empty", ""},
		{"no plus", "abc"},
		{"no key", name + "+" + hash},
		{"wrong hash", name + "+00000000+" + b64},
		{"upper-case hash", name + "+" + strings.ToUpper(hash) + "+" + b64},
		{"short hash", name + "+" + hash[:7] + "+" + b64},
		{"another name", "x.example/witness+" + hash + "+" + b64},
		{"Ed25519 note key (0x01)", edKey},
		{"0x01 with the right bytes", name + "+" + hash + "+" + base64.StdEncoding.EncodeToString(ed)},
		{"short key", name + "+" + hash + "+" + base64.StdEncoding.EncodeToString(raw[:20])},
		{"bad base64", name + "+" + hash + "+!!"},
		{"space in name", "w example+" + hash + "+" + b64},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := witness.NewCosignatureVerifier(c.vkey); err == nil {
				t.Fatalf("NewCosignatureVerifier(%q): no error", c.vkey)
			}
		})
	}
	if _, err := witness.NewCosignatureVerifier(good); err != nil {
		t.Fatalf("good key: %v", err)
	}
}

func TestCosignatureTimeRefuses(t *testing.T) {
	for _, b64 := range []string{"", "!!", base64.StdEncoding.EncodeToString(make([]byte, 70)), base64.StdEncoding.EncodeToString(append(append(make([]byte, 4), 0xff, 0, 0, 0, 0, 0, 0, 0), make([]byte, 64)...))} {
		if _, err := witness.CosignatureTime(note.Signature{Name: "w", Base64: b64}); err == nil {
			t.Errorf("CosignatureTime(%q): no error", b64)
		}
	}
}

// TestCosignatureTimeSpecExample reads the time of tlog-cosignature's
// example cosignature: the time of its example signed message.
func TestCosignatureTimeSpecExample(t *testing.T) {
	sig := note.Signature{Name: "witness.example.com/w1", Base64: "jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA=="}
	got, err := witness.CosignatureTime(sig)
	if err != nil || got.Unix() != 1679315147 {
		t.Fatalf("CosignatureTime = %v (%d), %v; want 1679315147", got, got.Unix(), err)
	}
}
