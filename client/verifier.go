// SPDX-License-Identifier: Apache-2.0

package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/dpop"
)

// Verifier checks requests that sinks make to a source under a grant. It
// is safe for concurrent use; keep one per source.
type Verifier struct {
	operator  string
	sourceID  string
	c         *Client
	issuer    string        // the grants' iss; "" discovers it
	publicURL string        // the source's base URL as sinks call it; "" takes it from the request
	skew      time.Duration // leeway on exp and nbf
	proofAge  time.Duration // how far a proof's iat may be from now
	jwksTTL   time.Duration
	now       func() time.Time

	mu       sync.Mutex
	keys     *jose.JSONWebKeySet
	iss      string
	fetched  time.Time // when keys were fetched
	refetch  time.Time // when an unknown kid last made it fetch
	proofs   *dpop.Verifier
	fetching chan struct{} // held while a fetch runs

	witnessed       *witnessed      // RequireWitnessed; nil: not required
	logKey          string          // WithLogKey
	witnessedGrants map[string]bool // grants CheckGrantLog found witnessed
}

// VerifierOption configures a Verifier.
type VerifierOption func(*Verifier)

// WithIssuer sets the iss grants must carry. Without it the Verifier reads
// the operator ID from the operator's description document.
func WithIssuer(iss string) VerifierOption { return func(v *Verifier) { v.issuer = iss } }

// WithPublicURL sets the source's base URL as sinks call it (such as
// https://api.source.example), for the htu of DPoP proofs behind a proxy.
// Without it the URL comes from the request's Host and TLS state.
func WithPublicURL(base string) VerifierOption {
	return func(v *Verifier) { v.publicURL = strings.TrimRight(base, "/") }
}

// WithKeyCacheTTL sets how long the operator's keys are cached (default
// five minutes). An unknown kid makes the Verifier fetch them again, at
// most once every ten seconds.
func WithKeyCacheTTL(d time.Duration) VerifierOption { return func(v *Verifier) { v.jwksTTL = d } }

// WithVerifierClock makes the Verifier take the time from now.
func WithVerifierClock(now func() time.Time) VerifierOption { return func(v *Verifier) { v.now = now } }

// NewVerifier returns a Verifier for the source sourceServiceID, which
// trusts grants signed by the operator at operatorBaseURL and checks each
// grant's live status with c, a Client with a credential of the source
// that has the transfers scope.
func NewVerifier(operatorBaseURL, sourceServiceID string, c *Client, opts ...VerifierOption) *Verifier {
	v := &Verifier{
		operator: strings.TrimRight(operatorBaseURL, "/"), sourceID: sourceServiceID, c: c,
		skew: 30 * time.Second, proofAge: 60 * time.Second, jwksTTL: 5 * time.Minute, now: time.Now,
		fetching: make(chan struct{}, 1),
	}
	for _, o := range opts {
		o(v)
	}
	// Grants are bound to EdDSA and ES256 keys (Client.RequestGrant); a
	// proof's jti is remembered in this process.
	v.proofs = &dpop.Verifier{Now: v.now, MaxAge: v.proofAge, MaxSkew: v.proofAge,
		Algorithms: []jose.SignatureAlgorithm{jose.EdDSA, jose.ES256}}
	return v
}

// VerifiedGrant is what a verified request may have: the resident (by
// the source's pseudonym), the data groups, and why.
type VerifiedGrant struct {
	GrantID      string
	Pseudonym    string // the source's pseudonym of the resident
	SinkID       string
	DataGroupIDs []string
	PurposeID    string
	ProcessingID string
	ConsentID    string // on a consent ground
	LegalBasis   string
	DecisionID   string
	ExpiresAt    time.Time
	Token        string
}

// Allows reports whether the grant covers every one of dataGroupIDs.
func (g *VerifiedGrant) Allows(dataGroupIDs ...string) bool {
	for _, id := range dataGroupIDs {
		found := false
		for _, have := range g.DataGroupIDs {
			found = found || have == id
		}
		if !found {
			return false
		}
	}
	return true
}

// unavailable is a Verifier's failure to reach the operator: the source
// answers 503, whatever the operator said to it, and logs the cause.
func unavailable(msg string, cause error) *Error {
	return &Error{Status: http.StatusServiceUnavailable, Code: omadata.EUNAVAILABLE, Message: msg, Cause: cause}
}

func unauthorized(field, format string, args ...any) *Error {
	return &Error{Status: http.StatusUnauthorized, Code: omadata.EUNAUTHORIZED, Field: field, Message: fmt.Sprintf(format, args...)}
}

// VerifyRequest checks a request made under a grant: the grant JWT in
// "Authorization: DPoP" (signature by the operator, iss, aud naming this
// source, exp and nbf), its DPoP proof (typ, algorithm, key thumbprint
// equal to the grant's cnf.jkt, htm and htu of this request, a fresh iat,
// ath of the token, a jti not seen before), and then the grant's live
// status at the operator, so that a withdrawal stops it at once; with
// RequireWitnessed, last, its log entry against a witnessed checkpoint
// (CheckGrantLog: 503 while not yet witnessed, 403 when it fails). Any
// failure is an *Error whose Status the source should answer with: 401 for
// a bad grant or proof, 403 for an inactive grant, 503 when the operator
// cannot be reached (its Cause says why).
func (v *Verifier) VerifyRequest(ctx context.Context, r *http.Request) (*VerifiedGrant, error) {
	now := v.now()
	token, err := dpopToken(r)
	if err != nil {
		return nil, err
	}
	tok, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.EdDSA})
	if err != nil || len(tok.Headers) != 1 {
		return nil, unauthorized("Authorization", "The grant is not a JWT signed with EdDSA.")
	}
	if typ, _ := tok.Headers[0].ExtraHeaders[jose.HeaderType].(string); typ != "JWT" {
		return nil, unauthorized("Authorization", "The grant's typ must be JWT.")
	}
	key, iss, err := v.key(ctx, tok.Headers[0].KeyID, now)
	if err != nil {
		return nil, err
	}
	var std jwt.Claims
	var claims omadata.GrantClaims
	if err := tok.Claims(key, &std, &claims); err != nil {
		return nil, unauthorized("Authorization", "The grant's signature does not verify with the operator's key.")
	}
	if err := std.ValidateWithLeeway(jwt.Expected{Issuer: iss, AnyAudience: jwt.Audience{v.sourceID}, Time: now}, v.skew); err != nil {
		switch {
		case errors.Is(err, jwt.ErrInvalidAudience):
			return nil, unauthorized("Authorization", "The grant is for another source.")
		case errors.Is(err, jwt.ErrExpired):
			return nil, unauthorized("Authorization", "The grant has expired.")
		case errors.Is(err, jwt.ErrNotValidYet):
			return nil, unauthorized("Authorization", "The grant is not valid yet.")
		}
		return nil, unauthorized("Authorization", "The grant was not issued by the operator.")
	}
	if std.ID == "" || std.Expiry == nil || claims.Confirmation.JKT == "" {
		return nil, unauthorized("Authorization", "The grant lacks jti, exp or cnf.jkt.")
	}
	if err := v.checkProof(r, token, claims.Confirmation.JKT); err != nil {
		return nil, err
	}
	st, err := v.c.GrantStatus(ctx, std.ID)
	if err != nil {
		return nil, unavailable("The grant's status could not be checked at the operator.", err)
	} else if !st.Active {
		return nil, &Error{Status: http.StatusForbidden, Code: omadata.EFORBIDDEN, Reason: st.Reason,
			Message: "The grant may no longer be used (" + st.Reason + ")."}
	}
	if v.witnessed != nil {
		if err := v.CheckGrantLog(ctx, std.ID); err != nil {
			var nw *NotWitnessedError
			var lc *LogCheckError
			switch {
			case errors.As(err, &nw):
				return nil, unavailable("The grant's log entry is not yet in a witnessed checkpoint; try again shortly.", err)
			case errors.As(err, &lc):
				return nil, &Error{Status: http.StatusForbidden, Code: omadata.EFORBIDDEN, Cause: err,
					Message: "The grant's log entry does not verify against a witnessed checkpoint."}
			}
			return nil, unavailable("The grant's log entry could not be checked at the operator.", err)
		}
	}
	return &VerifiedGrant{
		GrantID: std.ID, Pseudonym: std.Subject, SinkID: claims.SinkID, DataGroupIDs: claims.DataGroupIDs, PurposeID: claims.PurposeID,
		ProcessingID: claims.ProcessingID, ConsentID: claims.ConsentID, LegalBasis: claims.LegalBasis, DecisionID: claims.DecisionID,
		ExpiresAt: std.Expiry.Time(), Token: token,
	}, nil
}

// dpopToken returns the token of the request's one "Authorization: DPoP"
// header.
func dpopToken(r *http.Request) (string, error) {
	h := r.Header.Values("Authorization")
	if len(h) != 1 {
		return "", unauthorized("Authorization", "Send the grant as Authorization: DPoP <token>.")
	}
	scheme, token, ok := strings.Cut(h[0], " ")
	if !ok || !strings.EqualFold(scheme, "DPoP") || token == "" || strings.ContainsAny(token, " \t") {
		return "", unauthorized("Authorization", "Send the grant as Authorization: DPoP <token>.")
	}
	return token, nil
}

// checkProof verifies the request's DPoP proof (RFC 9449 §4.3, by
// internal/dpop) and that it is signed with the key the grant is bound to.
func (v *Verifier) checkProof(r *http.Request, token, jkt string) error {
	p, err := v.proofs.Verify(r.Context(), r.Header.Values("DPoP"), r.Method, v.requestURL(r), token)
	if de := (*dpop.Error)(nil); errors.As(err, &de) {
		return unauthorized("DPoP", "Invalid DPoP proof: %s.", de.Description)
	} else if err != nil {
		return unauthorized("DPoP", "The DPoP proof could not be checked.")
	} else if p.JKT != jkt {
		return unauthorized("DPoP", "The DPoP proof is signed with another key than the grant is bound to.")
	}
	return nil
}

// requestURL is the URL a proof for r must name.
func (v *Verifier) requestURL(r *http.Request) string {
	if v.publicURL != "" {
		return v.publicURL + r.URL.EscapedPath()
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + r.URL.EscapedPath()
}

// key returns the operator's public key kid and the grants' issuer,
// fetching the key set when it is stale or, at most every ten seconds,
// when it lacks kid.
func (v *Verifier) key(ctx context.Context, kid string, now time.Time) (*jose.JSONWebKey, string, error) {
	v.mu.Lock()
	keys, iss, fetched, refetch := v.keys, v.iss, v.fetched, v.refetch
	v.mu.Unlock()
	find := func(ks *jose.JSONWebKeySet) *jose.JSONWebKey {
		if ks == nil || kid == "" {
			return nil
		}
		for _, k := range ks.Key(kid) {
			if k.IsPublic() {
				return &k
			}
		}
		return nil
	}
	stale := keys == nil || now.Sub(fetched) > v.jwksTTL
	if k := find(keys); k != nil && !stale {
		return k, iss, nil
	}
	if !stale && now.Sub(refetch) < 10*time.Second {
		return nil, "", unauthorized("Authorization", "The grant is signed with an unknown key.")
	}
	keys, iss, err := v.fetch(ctx, now)
	if err != nil {
		return nil, "", err
	}
	if k := find(keys); k != nil {
		return k, iss, nil
	}
	return nil, "", unauthorized("Authorization", "The grant is signed with an unknown key.")
}

// fetch reads the operator's key set and, unless configured, its ID.
func (v *Verifier) fetch(ctx context.Context, now time.Time) (*jose.JSONWebKeySet, string, error) {
	select {
	case v.fetching <- struct{}{}:
		defer func() { <-v.fetching }()
	case <-ctx.Done():
		return nil, "", unavailable("The operator's keys could not be fetched.", ctx.Err())
	}
	var keys jose.JSONWebKeySet
	if err := v.get(ctx, "/.well-known/jwks.json", &keys); err != nil {
		return nil, "", unavailable("The operator's keys could not be fetched.", err)
	}
	iss := v.issuer
	if iss == "" {
		var d struct {
			OperatorID string `json:"operatorId"`
		}
		if err := v.get(ctx, "/.well-known/mydata/operatordescription", &d); err != nil {
			return nil, "", unavailable("The operator's description could not be fetched.", err)
		} else if d.OperatorID == "" {
			return nil, "", unavailable("The operator's description has no operatorId.", nil)
		}
		iss = d.OperatorID
	}
	v.mu.Lock()
	v.keys, v.iss, v.fetched, v.refetch = &keys, iss, now, now
	v.mu.Unlock()
	return &keys, iss, nil
}

// get reads a public JSON document of the operator.
func (v *Verifier) get(ctx context.Context, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, "GET", v.operator+path, nil)
	if err != nil {
		return err
	}
	res, err := v.c.hc.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return err
	} else if res.StatusCode != http.StatusOK {
		return apiError(res.StatusCode, b)
	}
	return json.Unmarshal(b, out)
}
