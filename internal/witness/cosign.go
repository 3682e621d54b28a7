// SPDX-License-Identifier: Apache-2.0

package witness

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/note"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/keys"
)

// algCosignatureV1 is the signed-note signature type of cosignature/v1
// (tlog-cosignature §Format, signed-note §Signature types).
const algCosignatureV1 = 0x04

// Cosigner makes cosignature/v1 cosignatures (tlog-cosignature §Format)
// with torchwood's signer under a witness name.
type Cosigner struct {
	s *torchwood.CosignatureSigner
}

// NewCosigner returns a Cosigner for the witness name (docs/witnessing.md
// §1) and its Ed25519 key.
func NewCosigner(name string, key ed25519.PrivateKey) (*Cosigner, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("witness key: %d bytes, want %d", len(key), ed25519.PrivateKeySize)
	}
	s, err := torchwood.NewCosignatureSigner(name, key)
	if err != nil {
		return nil, fmt.Errorf("witness name %q: %w", name, err)
	}
	return &Cosigner{s: s}, nil
}

// NewCosignerFromKeys returns the operator's Cosigner under name with the
// active signing key of purpose omadata.KeyPurposeWitness, made on first
// use (docs/witnessing.md §1).
func NewCosignerFromKeys(ctx context.Context, svc omadata.SigningKeyService, sealer *keys.Sealer, name string) (*Cosigner, error) {
	k, err := keys.Ensure(ctx, svc, sealer, omadata.KeyPurposeWitness)
	if err != nil {
		return nil, fmt.Errorf("witness key: %w", err)
	}
	priv, err := keys.Signer(k, sealer)
	if err != nil {
		return nil, fmt.Errorf("witness key: %w", err)
	}
	return NewCosigner(name, priv)
}

// Name returns the witness name.
func (c *Cosigner) Name() string { return c.s.Name() }

// VerifierKey returns the witness's verifier key,
// "{name}+{hash}+{base64(0x04 || key)}" (docs/witnessing.md §1,
// tlog-cosignature §Format).
func (c *Cosigner) VerifierKey() string { return c.s.Verifier().String() }

// Cosign cosigns a checkpoint's note text now and returns the note
// signature line, "— {name} {base64}\n" (tlog-cosignature §Format,
// tlog-witness §add-checkpoint's answer).
func (c *Cosigner) Cosign(checkpointText string) (string, error) {
	if _, err := ParseCheckpoint(checkpointText); err != nil {
		return "", err
	}
	signed, err := note.Sign(&note.Note{Text: checkpointText}, c.s)
	if err != nil {
		return "", fmt.Errorf("cosign: %w", err)
	}
	return string(signed[len(checkpointText)+1:]), nil
}

// NewCosignatureVerifier returns a note.Verifier of cosignature/v1
// signatures from a verifier key "{name}+{hash}+{base64(0x04 || key)}"
// (tlog-cosignature §Format, signed-note §Verifier keys): the hash must be
// the first 4 bytes of SHA-256(name || "\n" || 0x04 || key)
// (docs/witnessing.md §1), and any other algorithm byte is refused.
func NewCosignatureVerifier(vkey string) (note.Verifier, error) {
	name, rest, ok := strings.Cut(vkey, "+")
	hash16, key64, ok2 := strings.Cut(rest, "+")
	if !ok || !ok2 || !validName(name) || len(hash16) != 8 || strings.ToLower(hash16) != hash16 {
		return nil, omadata.Invalidf("verifier_key", "The witness verifier key must be {name}+{8 hex digits}+{base64 key}.")
	}
	h, err := hex.DecodeString(hash16)
	if err != nil {
		return nil, omadata.Invalidf("verifier_key", "The witness verifier key's hash is not 8 hex digits.")
	}
	key, err := base64.StdEncoding.DecodeString(key64)
	if err != nil || len(key) == 0 {
		return nil, omadata.Invalidf("verifier_key", "The witness verifier key's key is not base64.")
	}
	if key[0] != algCosignatureV1 {
		return nil, omadata.Invalidf("verifier_key", "The witness verifier key is of algorithm 0x%02x, not cosignature/v1 (0x04).", key[0])
	}
	if len(key) != 1+ed25519.PublicKeySize {
		return nil, omadata.Invalidf("verifier_key", "The witness verifier key's key is not 0x04 and a 32-byte Ed25519 key.")
	}
	if kh := keyHash(name, key); binary.BigEndian.Uint32(h) != kh {
		return nil, omadata.Invalidf("verifier_key", "The witness verifier key's hash is %s, want %08x.", hash16, kh)
	}
	return &cosignatureVerifier{name: name, hash: binary.BigEndian.Uint32(h), key: ed25519.PublicKey(key[1:])}, nil
}

// CosignaturePublicKey returns the Ed25519 public key of a cosignature/v1
// verifier key, "" when it is not one. A cosignature signs the checkpoint,
// not the witness's name: one key under two names is one witness, and
// every count of witnesses counts keys (docs/witnessing.md §5).
func CosignaturePublicKey(vkey string) string {
	v, err := NewCosignatureVerifier(vkey)
	if err != nil {
		return ""
	}
	return string(v.(*cosignatureVerifier).key)
}

// keyHash is the signed-note key hash: the first 4 bytes of
// SHA-256(name || "\n" || algorithm byte || key).
func keyHash(name string, key []byte) uint32 {
	h := sha256.New()
	h.Write([]byte(name + "\n"))
	h.Write(key)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

// validName is signed-note §Format's key name: non-empty, UTF-8, no
// Unicode space and no "+".
func validName(name string) bool {
	return name != "" && utf8.ValidString(name) && strings.IndexFunc(name, unicode.IsSpace) < 0 && !strings.Contains(name, "+")
}

type cosignatureVerifier struct {
	name string
	hash uint32
	key  ed25519.PublicKey
}

func (v *cosignatureVerifier) Name() string    { return v.name }
func (v *cosignatureVerifier) KeyHash() uint32 { return v.hash }

// Verify checks a cosignature/v1 signature (tlog-cosignature §Format,
// §Ed25519 signed message):
// sig is the 8-byte big-endian time followed by the Ed25519 signature of
// "cosignature/v1\ntime {time}\n" and the checkpoint text.
func (v *cosignatureVerifier) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	t := binary.BigEndian.Uint64(sig)
	if t > math.MaxInt64 {
		return false
	}
	if _, err := ParseCheckpoint(string(msg)); err != nil {
		return false
	}
	m := "cosignature/v1\ntime " + strconv.FormatUint(t, 10) + "\n" + string(msg)
	return ed25519.Verify(v.key, []byte(m), sig[8:])
}

// CosignatureTime returns the time a cosignature/v1 signature carries
// (tlog-cosignature §Format): the 8-byte big-endian seconds after the key
// hash.
func CosignatureTime(sig note.Signature) (time.Time, error) {
	b, err := base64.StdEncoding.DecodeString(sig.Base64)
	if err != nil || len(b) != 4+8+ed25519.SignatureSize {
		return time.Time{}, omadata.Invalidf("cosignature", "The cosignature is not a cosignature/v1 signature.")
	}
	t := binary.BigEndian.Uint64(b[4:])
	if t > math.MaxInt64 {
		return time.Time{}, omadata.Invalidf("cosignature", "The cosignature's time is out of range.")
	}
	return time.Unix(int64(t), 0).UTC(), nil
}
