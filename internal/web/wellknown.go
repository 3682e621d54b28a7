// SPDX-License-Identifier: Apache-2.0

package web

import (
	"encoding/json"
	"fmt"
	"github.com/omadata/omadata"
	"net/http"
	"strings"

	"github.com/omadata/omadata/internal/web/respond"
)

// operatorDescription is the MyData operator description document.
type operatorDescription struct {
	OperatorID        string   `json:"operatorId"`
	ServiceProvider   provider `json:"serviceProvider"`
	Version           string   `json:"operatorservicedescriptionVersion"`
	SupportedProfiles []string `json:"supportedProfiles"`
	Cert              struct {
		X5U string `json:"x5u"`
	} `json:"cert"`
	// OperatorURLs has no linkingRedirectUri: omadata has no browser
	// flow that links a service account (sources link residents through
	// the API), and the document advertises only routes that exist.
	OperatorURLs struct {
		Domain string `json:"domain"`
	} `json:"operatorUrls"`
	CreatedOnDate   int64  `json:"createdOnDate"` // Unix seconds
	CreatedByUserID string `json:"createdByUserId"`
}

type provider struct {
	BusinessID string `json:"businessId"`
	Name       string `json:"name"`
	Email      string `json:"email"`
	Country    string `json:"country"`
}

// operatorDescription tells other MyData parties who this operator is and
// where its keys and endpoints are.
func (s *Server) operatorDescription(w http.ResponseWriter, r *http.Request) error {
	op := s.opts.Operator
	base := strings.TrimRight(op.PublicURL, "/")
	d := operatorDescription{
		OperatorID:        op.ID,
		ServiceProvider:   provider{BusinessID: op.BusinessID, Name: op.Name, Email: op.Email, Country: "FI"},
		Version:           "1",
		SupportedProfiles: []string{"consenting", "notification", "objection"},
		CreatedOnDate:     op.CreatedAt.Unix(),
		CreatedByUserID:   op.ID,
	}
	d.Cert.X5U = base + "/.well-known/jwks.json"
	d.OperatorURLs.Domain = base
	w.Header().Set("Cache-Control", "public, max-age=300")
	respond.OK(w, r, d)
	return nil
}

// privateJWKMembers are the JWK members that hold private key material
// (RFC 7518 section 6). They are dropped even if a stored public JWK has them.
var privateJWKMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// jwks publishes the operator's signing keys, active and retired, so that
// everything they signed stays verifiable.
func (s *Server) jwks(w http.ResponseWriter, r *http.Request) error {
	keys := []map[string]any{}
	if s.opts.SigningKeys != nil {
		stored, err := s.opts.SigningKeys.FindSigningKeys(r.Context())
		if err != nil {
			return err
		}
		for _, k := range stored {
			switch k.Purpose {
			case omadata.KeyPurposeLog:
				continue // published as a note verifier key at /.well-known/mydata/log-key
			case omadata.KeyPurposeWitness:
				continue // published as a cosignature verifier key at /.well-known/mydata/witness-key
			}
			var jwk map[string]any
			if err := json.Unmarshal([]byte(k.PublicJWK), &jwk); err != nil {
				return fmt.Errorf("signing key %s: public JWK: %w", k.ID, err)
			}
			for _, m := range privateJWKMembers {
				delete(jwk, m)
			}
			setDefault(jwk, "kid", k.ID)
			setDefault(jwk, "alg", k.Algorithm)
			setDefault(jwk, "use", "sig")
			keys = append(keys, jwk)
		}
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	respond.OK(w, r, map[string]any{"keys": keys})
	return nil
}

func setDefault(m map[string]any, key, value string) {
	if _, ok := m[key]; !ok && value != "" {
		m[key] = value
	}
}

// logKey publishes the verifier key of the transparency log's checkpoints
// in the golang.org/x/mod/sumdb/note encoding, one key per line.
func (s *Server) logKey(w http.ResponseWriter, r *http.Request) error {
	if s.opts.LogVerifierKey == "" {
		return omadata.NotFound("Log key")
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write([]byte(s.opts.LogVerifierKey + "\n"))
	return nil
}

// witnessKey publishes the verifier key of the operator's witness, the
// cosignature/v1 key with which it cosigns other logs' checkpoints
// (docs/witnessing.md §1): what a log that adds this operator as a witness
// configures.
func (s *Server) witnessKey(w http.ResponseWriter, r *http.Request) error {
	if s.opts.WitnessVerifierKey == "" {
		return omadata.NotFound("Witness key")
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write([]byte(s.opts.WitnessVerifierKey + "\n"))
	return nil
}
