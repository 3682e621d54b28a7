// SPDX-License-Identifier: Apache-2.0

package network

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/httpsig"
)

// Keys gives the federation keys of an operator, taken from its resolved
// trust chain: the jwks of the anchor's subordinate statement about it
// (docs/network.md 2.2, 2.4), never from a second channel. An operator
// that is not an active member is an error that is, or wraps, a *Refusal
// with ReasonNotMember, ReasonSuspendedMember or ReasonRemovedMember; any
// other error means the chain cannot be resolved now (ReasonUnavailable).
type Keys interface {
	CallerKeys(ctx context.Context, operatorID string) (jose.JSONWebKeySet, error)
}

// Replay remembers the nonces of calls, so that each is accepted once on
// every instance of the operator. UseOnce records nonce under scope (the
// calling operator's ID) until the given time and reports whether it was
// new. It has the shape of dpop.Replay: the store's UseOnce, over the
// table DPoP proofs use, serves both.
type Replay interface {
	UseOnce(ctx context.Context, scope, nonce string, until time.Time) (bool, error)
}

// Verifier checks signed calls to this operator (docs/network.md section 3).
type Verifier struct {
	OperatorID string           // this operator's ID, the audience of its calls
	Keys       Keys             // the callers' keys
	Replay     Replay           // the nonces seen, shared by the operator's instances
	Now        func() time.Time // nil: time.Now
}

// Call is a verified call: who signed it, with which key, and its nonce,
// which the signed answer repeats.
type Call struct {
	OperatorID string
	KeyID      string
	Nonce      string
	Created    time.Time
	Expires    time.Time
}

// Verify checks a call and its body in section 3's order and returns the
// verified call. A call it refuses is a *Refusal naming the first check
// that failed; any other error (the nonce store failing) is the callee's.
func (v *Verifier) Verify(r *http.Request, body []byte) (*Call, error) {
	now := time.Now()
	if v.Now != nil {
		now = v.Now()
	}
	own, err := url.Parse(v.OperatorID)
	if err != nil || own.Host == "" || v.Keys == nil || v.Replay == nil {
		return nil, errors.New("network: the Verifier needs its operator ID, Keys and Replay")
	}

	// Signature and Signature-Input with label net present; both parse.
	sig, err := httpsig.Parse(r.Header, Label)
	if errors.Is(err, httpsig.ErrNoSignature) {
		return nil, Refuse(ReasonUnsigned, "Sign the call with RFC 9421, label net (docs/network.md section 3).")
	} else if err != nil {
		return nil, Refuse(ReasonMalformed, "Signature or Signature-Input is not an RFC 8941 dictionary with a net member of the right type.")
	}
	p, refusal := checkInput(sig.Input, r.Header)
	if refusal != nil {
		return nil, refusal
	}
	claimed := func(rf *Refusal) *Refusal { rf.claimed = p.operatorID; return rf }

	if p.tag != omadata.NetworkTag {
		return nil, claimed(Refuse(ReasonWrongTag, fmt.Sprintf("The tag is %q, not %q.", p.tag, omadata.NetworkTag)))
	}
	// The audience: the authority the call was sent to is this operator's.
	// (Its scheme is taken as the operator ID's: a proxy may end TLS.)
	sent := &url.URL{Scheme: own.Scheme, Host: r.Host}
	if httpsig.Authority(sent) != httpsig.Authority(own) {
		return nil, claimed(Refuse(ReasonWrongAudience, "The call was not signed for "+v.OperatorID+"."))
	}
	if p.created.After(now.Add(Skew)) || !p.expires.After(now) {
		return nil, claimed(Refuse(ReasonExpired, "The signature is not valid now (created, expires)."))
	}
	if err := httpsig.VerifyContentDigest(r.Header.Get("Content-Digest"), body, httpsig.DigestSHA256); err != nil {
		return nil, claimed(Refuse(ReasonDigestMismatch, "Content-Digest is not the sha-256 of the body."))
	}

	keys, err := v.Keys.CallerKeys(r.Context(), p.operatorID)
	if err != nil {
		var rf *Refusal
		if errors.As(err, &rf) {
			return nil, claimed(&Refusal{Reason: rf.Reason, Status: rf.status(), Detail: rf.Detail, Field: rf.Field, cause: err})
		}
		return nil, claimed(&Refusal{Reason: ReasonUnavailable, Status: statusOf(ReasonUnavailable),
			Detail: "The caller's trust chain cannot be resolved now; try again later.", cause: err})
	}
	pub := federationKey(keys, p.kid)
	if pub == nil {
		return nil, claimed(Refuse(ReasonBadSignature, "The key "+p.kid+" is not one of the caller's federation keys."))
	}
	if err := sig.Verify(httpsig.ServerRequest(r, own.Scheme), httpsig.Ed25519, pub); err != nil {
		return nil, claimed(Refuse(ReasonBadSignature, "The signature does not verify."))
	}

	fresh, err := v.Replay.UseOnce(r.Context(), p.operatorID, p.nonce, p.expires.Add(ReplayMargin))
	if err != nil {
		return nil, fmt.Errorf("network: record the nonce: %w", err)
	} else if !fresh {
		return nil, claimed(Refuse(ReasonReplayed, "This call was seen before: sign each call with a fresh nonce."))
	}
	return &Call{OperatorID: p.operatorID, KeyID: p.kid, Nonce: p.nonce, Created: p.created, Expires: p.expires}, nil
}

// federationKey returns the Ed25519 signing key kid of keys, or nil.
func federationKey(keys jose.JSONWebKeySet, kid string) ed25519.PublicKey {
	for _, k := range keys.Key(kid) {
		pub, ok := k.Key.(ed25519.PublicKey)
		if ok && (k.Use == "" || k.Use == "sig") && (k.Algorithm == "" || k.Algorithm == string(jose.EdDSA)) {
			return pub
		}
	}
	return nil
}

// params are a call's signature parameters, checked.
type params struct {
	created, expires time.Time
	nonce, tag       string
	operatorID, kid  string
}

// checkInput checks that the components and parameters are exactly as
// section 3 lists them, and that Content-Digest has a sha-256 member.
func checkInput(in httpsig.Input, h http.Header) (params, *Refusal) {
	var p params
	malformed := func(detail string) (params, *Refusal) {
		rf := Refuse(ReasonMalformed, detail)
		rf.claimed = p.operatorID
		return p, rf
	}
	if keyid, ok := in.String("keyid"); ok {
		if i := strings.LastIndexByte(keyid, '#'); i > 0 && i < len(keyid)-1 {
			p.operatorID, p.kid = keyid[:i], keyid[i+1:]
		}
	}
	if len(in.Components) != len(components) {
		return malformed(`The covered components are "@method" "@target-uri" "content-digest".`)
	}
	for i, c := range in.Components {
		if c.Name != components[i] || len(c.Params) > 0 {
			return malformed(`The covered components are "@method" "@target-uri" "content-digest".`)
		}
	}
	if len(in.Params) != 6 {
		return malformed("The signature parameters are created, expires, nonce, tag, keyid and alg.")
	}
	created, ok1 := in.Int("created")
	expires, ok2 := in.Int("expires")
	nonce, ok3 := in.String("nonce")
	tag, ok4 := in.String("tag")
	alg, ok5 := in.String("alg")
	_, ok6 := in.String("keyid")
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
		return malformed("The signature parameters are created, expires, nonce, tag, keyid and alg.")
	}
	if life := expires - created; life < 1 || life > int64(MaxLifetime/time.Second) {
		return malformed(fmt.Sprintf("expires − created is between 1 and %d seconds.", int(MaxLifetime/time.Second)))
	}
	if !validNonce(nonce) {
		return malformed("The nonce is 16 to 64 base64url characters.")
	}
	if alg != httpsig.Ed25519 {
		return malformed("alg is ed25519.")
	}
	if p.operatorID == "" {
		return malformed("keyid is the caller's operator ID, #, and the kid of its key.")
	}
	d, err := httpsig.ParseDictionary(strings.Join(h.Values("Content-Digest"), ", "))
	if it, ok := d.Get(httpsig.DigestSHA256).(httpsig.Item); err != nil || !ok {
		return malformed("Content-Digest has a sha-256 member.")
	} else if b, ok := it.Value.([]byte); !ok || len(b) != 32 {
		return malformed("Content-Digest has a sha-256 member.")
	}
	p.created, p.expires = time.Unix(created, 0), time.Unix(expires, 0)
	p.nonce, p.tag = nonce, tag
	return p, nil
}

// validNonce: 16 to 64 characters of base64url (section 3).
func validNonce(s string) bool {
	if len(s) < 16 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
