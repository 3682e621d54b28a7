// SPDX-License-Identifier: Apache-2.0

package keys

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/omadata/omadata"
)

// NoteSigner signs C2SP signed notes (the transparency log's checkpoints)
// with an Ed25519 key under name. It returns the signer and the verifier
// key to publish, in the golang.org/x/mod/sumdb/note encoding
// ("<name>+<key ID>+<base64 key>").
func NoteSigner(name string, key ed25519.PrivateKey) (note.Signer, string, error) {
	vkey, err := note.NewEd25519VerifierKey(name, key.Public().(ed25519.PublicKey))
	if err != nil {
		return nil, "", fmt.Errorf("note verifier key: %w", err)
	}
	// The key ID is the library's: it computed it for the verifier key.
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 {
		return nil, "", fmt.Errorf("note verifier key %q: unexpected form", vkey)
	}
	id, err := strconv.ParseUint(parts[1], 16, 32)
	if err != nil {
		return nil, "", fmt.Errorf("note verifier key %q: %w", vkey, err)
	}
	return &noteSigner{name: name, hash: uint32(id), key: key}, vkey, nil
}

type noteSigner struct {
	name string
	hash uint32
	key  ed25519.PrivateKey
}

func (s *noteSigner) Name() string                    { return s.name }
func (s *noteSigner) KeyHash() uint32                 { return s.hash }
func (s *noteSigner) Sign(msg []byte) ([]byte, error) { return ed25519.Sign(s.key, msg), nil }

// LogSigner returns the transparency log's checkpoint signer under origin,
// with the active key of omadata.KeyPurposeLog (made on first use), and
// its verifier key.
func LogSigner(ctx context.Context, svc omadata.SigningKeyService, s *Sealer, origin string) (note.Signer, string, error) {
	k, err := Ensure(ctx, svc, s, omadata.KeyPurposeLog)
	if err != nil {
		return nil, "", err
	}
	priv, err := Signer(k, s)
	if err != nil {
		return nil, "", err
	}
	return NoteSigner(origin, priv)
}

// LogVerifierKeys returns the note verifier keys of every log key among
// ks, active and retired, under origin: what verifies every checkpoint the
// log has signed.
func LogVerifierKeys(ks []*omadata.SigningKey, origin string) ([]string, error) {
	var out []string
	for _, k := range ks {
		if k.Purpose != omadata.KeyPurposeLog {
			continue
		}
		pub, err := PublicKey(k)
		if err != nil {
			return nil, err
		}
		v, err := note.NewEd25519VerifierKey(origin, pub)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}
