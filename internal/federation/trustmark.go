// SPDX-License-Identifier: Apache-2.0

package federation

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// MemberTrustMarkType is the type of the network's membership trust mark:
// "member under rulebook version N" (network.md §2.3).
func MemberTrustMarkType(anchorID string) string { return anchorID + "/trust-marks/member" }

// TrustMark is the claims of a trust mark (OIDF §7.1), with the network's
// rulebook_version.
type TrustMark struct {
	Issuer          string `json:"iss"`
	Subject         string `json:"sub"`
	Type            string `json:"trust_mark_type"`
	IssuedAt        int64  `json:"iat"`
	ExpiresAt       int64  `json:"exp"`
	RulebookVersion int    `json:"rulebook_version"`
}

// Expires returns exp as a time.
func (m *TrustMark) Expires() time.Time { return time.Unix(m.ExpiresAt, 0).UTC() }

// IssueTrustMark signs m as a compact JWS of type trust-mark+jwt (OIDF
// §7.1).
func IssueTrustMark(m *TrustMark, key Key) (string, error) {
	if m.Type == "" || m.Subject == "" || m.Issuer == "" {
		return "", fmt.Errorf("federation: trust mark without iss, sub or type")
	}
	return signJWT(m, key, TypTrustMark)
}

// VerifyTrustMark verifies a trust mark with its issuer's keys and checks
// it (OIDF §7.3, network.md §2.4 step 6): typ trust-mark+jwt, alg EdDSA,
// iss, sub and trust_mark_type as given, iat and exp as for statements,
// and rulebook_version equal to rulebook.
func VerifyTrustMark(jws string, keys *jose.JSONWebKeySet, iss, sub, typ string, rulebook int, now time.Time) (*TrustMark, error) {
	payload, err := verifyJWT(jws, TypTrustMark, keys)
	if err != nil {
		return nil, err
	}
	var m TrustMark
	if err := json.Unmarshal(payload, &m); err != nil {
		return nil, chainErrorf("trust mark claims: %v", err)
	}
	switch {
	case m.Issuer != iss:
		return nil, chainErrorf("trust mark iss %q, want %q", m.Issuer, iss)
	case m.Subject != sub:
		return nil, chainErrorf("trust mark sub %q, want %q", m.Subject, sub)
	case m.Type != typ:
		return nil, chainErrorf("trust mark type %q, want %q", m.Type, typ)
	case m.RulebookVersion != rulebook:
		return nil, chainErrorf("trust mark rulebook version %d, want %d", m.RulebookVersion, rulebook)
	}
	if err := checkTimes(m.IssuedAt, m.ExpiresAt, now); err != nil {
		return nil, fmt.Errorf("trust mark of %s: %w", sub, err)
	}
	return &m, nil
}
