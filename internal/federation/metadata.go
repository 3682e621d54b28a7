// SPDX-License-Identifier: Apache-2.0

package federation

import (
	"crypto/ed25519"
	"net/url"
	"unicode"

	"github.com/go-jose/go-jose/v4"
	"golang.org/x/mod/sumdb/note"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/witness"
)

// Limits of a peer's texts (network.md §2.4 step 7).
const (
	MaxNameLength = 200 // each language of name
	MaxLineLength = 500 // log_origin, log_verifier_key
)

// CheckMetadata checks an operator's metadata as network.md §2.4 step 7
// has it, after the policy: its texts follow the project's text rule
// (omadata.CheckText, docs/input.md) and carry no bidirectional
// formatting characters, its name is given in at least one language,
// every URL it gives (base_url, network_endpoint, catalogue_endpoint,
// log_endpoint, witness_endpoint) is on the origin of the entity ID, since
// a member calls them (no request to another host on a peer's word), and
// witness_verifier_key, given with witness_endpoint or not at all, is a
// cosignature/v1 verifier key (docs/witnessing.md §1). The names of the
// log and the witness are bound to the entity ID, so that no member can
// claim another's log or witness: log_origin is omadata.LogOrigin(entity
// ID), log_verifier_key a signed-note key named log_origin, and the
// witness key's name omadata.WitnessName(entity ID). The error names the
// field. The anchor applies it at admission and refresh, the resolver to
// every chain.
func CheckMetadata(entityID string, md *omadata.OperatorMetadata) error {
	if err := md.Name.Validate("name", MaxNameLength); err != nil {
		return err
	}
	named := false
	for lang, s := range md.Name {
		if err := noBidi("name."+lang, s); err != nil {
			return err
		}
		named = named || s != ""
	}
	if !named {
		return omadata.Invalidf("name", "The operator has no name.")
	}
	for field, s := range map[string]string{"log_origin": md.LogOrigin, "log_verifier_key": md.LogVerifierKey, "witness_verifier_key": md.WitnessVerifierKey} {
		if err := omadata.CheckText(field, s, MaxLineLength); err != nil {
			return err
		}
		if err := noBidi(field, s); err != nil {
			return err
		}
	}
	origin, err := url.Parse(entityID)
	if err != nil {
		return omadata.Invalidf("operator_id", "The entity identifier is not a URL.")
	}
	for _, u := range []struct{ field, value string }{
		{"base_url", md.BaseURL}, {"network_endpoint", md.NetworkEndpoint},
		{"catalogue_endpoint", md.CatalogueEndpoint}, {"log_endpoint", md.LogEndpoint},
		{"witness_endpoint", md.WitnessEndpoint},
	} {
		if u.value == "" && u.field != "base_url" && u.field != "network_endpoint" {
			continue // not offered: never called
		}
		p, err := url.Parse(u.value)
		if err != nil || p.Scheme != origin.Scheme || p.Host != origin.Host || p.User != nil || p.Opaque != "" || p.Fragment != "" {
			return omadata.Invalidf(u.field, "The URL must be on the origin of the entity identifier %s.", origin.Scheme+"://"+origin.Host)
		}
	}
	if err := checkLog(entityID, md.LogOrigin, md.LogVerifierKey); err != nil {
		return err
	}
	return checkWitness(entityID, md.WitnessEndpoint, md.WitnessVerifierKey)
}

// checkLog checks the log of an operator's metadata: its origin is the
// one its entity ID gives it (omadata.LogOrigin), and its verifier key a
// signed-note Ed25519 key of that name. A member that offers no log gives
// neither key nor origin, or an origin alone (nothing is witnessed then).
func checkLog(entityID, origin, vkey string) error {
	if origin != "" && origin != omadata.LogOrigin(entityID) {
		return omadata.Invalidf("log_origin", "The log origin must be %q, the one of the entity identifier.", omadata.LogOrigin(entityID))
	}
	if vkey == "" {
		return nil
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return omadata.Invalidf("log_verifier_key", "Not a signed-note Ed25519 verifier key.")
	} else if v.Name() != origin || origin == "" {
		return omadata.Invalidf("log_verifier_key", "The key's name %q is not the log origin %q.", omadata.Truncate(v.Name(), 100), origin)
	}
	return nil
}

// checkWitness checks the witness of an operator's metadata: both its
// endpoint and its key, or neither (a member of an older version, which
// is not asked to witness); the key named omadata.WitnessName(entity ID).
func checkWitness(entityID, endpoint, vkey string) error {
	switch {
	case endpoint == "" && vkey == "":
		return nil
	case vkey == "":
		return omadata.Invalidf("witness_verifier_key", "A witness endpoint needs its verifier key.")
	case endpoint == "":
		return omadata.Invalidf("witness_endpoint", "A witness verifier key needs its endpoint.")
	}
	v, err := witness.NewCosignatureVerifier(vkey)
	if err != nil {
		return omadata.Invalidf("witness_verifier_key", "Not a cosignature/v1 verifier key.")
	} else if want := omadata.WitnessName(entityID); v.Name() != want {
		return omadata.Invalidf("witness_verifier_key", "The key's name %q is not the witness name %q of the entity identifier.", omadata.Truncate(v.Name(), 100), want)
	}
	return nil
}

// noBidi refuses Unicode's bidirectional formatting characters (U+202A–
// U+202E, U+2066–U+2069, the marks): they make a name read as another.
func noBidi(field, s string) error {
	for _, r := range s {
		if unicode.Is(unicode.Bidi_Control, r) {
			return omadata.Invalidf(field, "Must not contain bidirectional formatting characters (U+%04X).", r)
		}
	}
	return nil
}

// CheckKeySet checks a federation key set as network.md §1 has it: every
// key an Ed25519 public key whose kid is its RFC 7638 thumbprint, no kid
// twice. A key under another key's kid would verify signatures that name
// that kid.
func CheckKeySet(set *jose.JSONWebKeySet) error {
	if set == nil || len(set.Keys) == 0 {
		return omadata.Invalidf("jwks", "No keys.")
	}
	seen := map[string]bool{}
	for _, k := range set.Keys {
		pub, ok := k.Key.(ed25519.PublicKey)
		if !ok {
			return omadata.Invalidf("jwks", "A key is not an Ed25519 public key.")
		}
		tp, err := Thumbprint(pub)
		if err != nil {
			return omadata.Invalidf("jwks", "A key has no thumbprint: %v.", err)
		}
		if k.KeyID != tp {
			return omadata.Invalidf("jwks", "The kid %q is not the key's RFC 7638 thumbprint %s.", omadata.Truncate(k.KeyID, 60), tp)
		}
		if seen[k.KeyID] {
			return omadata.Invalidf("jwks", "The kid %s is listed twice.", k.KeyID)
		}
		seen[k.KeyID] = true
	}
	return nil
}
