// SPDX-License-Identifier: Apache-2.0

package store

import (
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/omadata/omadata"
)

// signGrant signs a grant as a JWT (EdDSA, the operator's records key)
// addressed to the source, about the source's pseudonym of the resident,
// and bound to the sink's DPoP key by cnf.jkt.
func (s *Store) signGrant(g *omadata.Grant, sub, jkt string) (string, error) {
	kid, key := s.signer.SigningKey()
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader(jose.HeaderKey("kid"), kid))
	if err != nil {
		return "", err
	}
	std := jwt.Claims{
		Issuer: s.issuer, Subject: sub, Audience: jwt.Audience{g.SourceID}, ID: g.ID,
		IssuedAt: jwt.NewNumericDate(g.IssuedAt), NotBefore: jwt.NewNumericDate(g.IssuedAt), Expiry: jwt.NewNumericDate(g.ExpiresAt),
	}
	d := g.Decision
	private := omadata.GrantClaims{
		DataGroupIDs: g.DataGroupIDs, PurposeID: g.PurposeID, ProcessingID: d.ProcessingID, ConsentID: d.Ground.ConsentID,
		LegalBasis: d.Ground.LegalBasis, SinkID: g.SinkID, DecisionID: d.EvidenceID,
	}
	private.Confirmation.JKT = jkt
	return jwt.Signed(sig).Claims(std).Claims(private).Serialize()
}
