// SPDX-License-Identifier: Apache-2.0

package web

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/dpop"
	"github.com/omadata/omadata/internal/phase"
	"github.com/omadata/omadata/internal/web/ratelimit"
	"github.com/omadata/omadata/internal/web/respond"
)

// authenticate puts the caller of a route in the request context. Public
// routes ignore credentials and run as the anonymous caller. Other routes
// need an "Authorization: Bearer" token, or a resident's own app's
// "Authorization: DPoP" token with its proof (docs/apps.md), looked up on
// every request so that a revocation takes effect on the next call; an
// admin-only route refuses service credentials, and a service needs
// catalogue:read to read and catalogue:write to change anything. A route with a rate limit (limit is
// its kind) counts the request against the client's address before the
// token is looked up, and against the caller's token after.
func (s *Server) authenticate(auth, limit string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if auth == AuthPublic {
			next.ServeHTTP(w, r.WithContext(omadata.NewContextWithCaller(r.Context(), omadata.Caller{})))
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		if limit != "" {
			if err := s.opts.Limiter.Address(limit, r); err != nil {
				rateLimitedError(w, r, err)
				return
			}
		}
		scheme, token, ok := authorization(r)
		if !ok {
			respond.Error(w, r, omadata.Errorf(omadata.EUNAUTHORIZED, "Send a token in the Authorization header: Bearer <token>."))
			return
		}
		var c omadata.Caller
		switch {
		case scheme == "dpop":
			if c, ok = s.authenticateApp(w, r, token); !ok {
				return
			}
		case strings.HasPrefix(token, omadata.AppAccessTokenPrefix):
			// RFC 9449 §7.2: a DPoP-bound token is no bearer token.
			dpopChallenge(w, r, "invalid_token", "This access token is DPoP-bound: send it as Authorization: DPoP <token>, with a DPoP proof.")
			return
		default:
			var err error
			if c, err = s.opts.Credentials.Authenticate(r.Context(), token); err != nil {
				respond.Error(w, r, err)
				return
			}
			c.Channel = omadata.ChannelAPI
		}
		info(r.Context()).caller = c
		if err := authorize(auth, r.Method, c); err != nil {
			if c.Channel == omadata.ChannelApp && omadata.ErrorField(err) == "scope" {
				// RFC 6750 §3 and §3.1, RFC 9449 §7.1: the scope it lacks.
				w.Header().Set("WWW-Authenticate", `DPoP error="insufficient_scope", error_description="`+
					strings.ReplaceAll(omadata.ErrorMessage(err), `"`, `'`)+`", scope="`+appScope(r.Method)+`", algs="`+strings.Join(dpopAlgs, " ")+`"`)
			}
			respond.Error(w, r, err)
			return
		}
		if limit != "" {
			if err := s.opts.Limiter.Account(limit, c.TokenID); err != nil {
				rateLimitedError(w, r, err)
				return
			}
		}
		phase.Mark(r.Context(), phase.Auth)
		next.ServeHTTP(w, r.WithContext(omadata.NewContextWithCaller(r.Context(), c)))
	})
}

// authorize checks that a caller may use a route of the given auth level
// with method. The store then decides which records the caller sees.
func authorize(auth, method string, c omadata.Caller) error {
	kinds, scope, _ := strings.Cut(auth, ":")
	allowed := strings.Split(kinds, ",")
	switch {
	case c.Kind == omadata.CallerAnonymous:
		return omadata.Errorf(omadata.EUNAUTHORIZED, "Unknown kind of credential.")
	case !slices.Contains(allowed, string(c.Kind)) && kinds == AuthAdmin:
		return omadata.Errorf(omadata.EFORBIDDEN, "Only an operator admin may do this.")
	case !slices.Contains(allowed, string(c.Kind)):
		return omadata.Errorf(omadata.EFORBIDDEN, "This call is not for %s credentials.", c.Kind)
	case c.Channel == omadata.ChannelApp:
		// A resident's own app acts for the resident within the scopes the
		// resident allowed it: me:read to read, me:write to change.
		if need := appScope(method); !c.HasScope(need) {
			return omadata.Forbiddenf("scope", "The app's token lacks the %s scope.", need)
		}
		return nil
	case c.Kind != omadata.CallerService:
		return nil
	}
	if scope == "" {
		scope = omadata.ScopeCatalogueWrite
		if method == http.MethodGet || method == http.MethodHead {
			scope = omadata.ScopeCatalogueRead
		}
	}
	if !c.HasScope(scope) {
		return omadata.Errorf(omadata.EFORBIDDEN, "This credential lacks the %s scope.", scope)
	}
	return nil
}

// appScope is the scope a resident's own app needs for a call with
// method: me:read to read, me:write to change.
func appScope(method string) string {
	if method == http.MethodGet || method == http.MethodHead {
		return omadata.AppScopeRead
	}
	return omadata.AppScopeWrite
}

// authorization returns the scheme (lower-case: "bearer" or "dpop") and
// the token of the request's one Authorization header. Tokens are never
// taken from the query string or the body, which end up in logs and
// browser histories.
func authorization(r *http.Request) (scheme, token string, ok bool) {
	h := r.Header.Values("Authorization")
	if len(h) != 1 {
		return "", "", false
	}
	scheme, token, ok = strings.Cut(h[0], " ")
	token = strings.TrimSpace(token)
	scheme = strings.ToLower(scheme)
	if !ok || scheme != "bearer" && scheme != "dpop" || token == "" || strings.ContainsAny(token, " \t") {
		return "", "", false
	}
	return scheme, token, true
}

// authenticateApp authenticates a resident's own app: a DPoP-bound access
// token (RFC 9449 §7) with a proof of its key for this request. A refusal
// is answered 401 with a DPoP challenge, and ok is false.
func (s *Server) authenticateApp(w http.ResponseWriter, r *http.Request, token string) (c omadata.Caller, ok bool) {
	c, jkt, err := s.opts.AppTokens.AuthenticateApp(r.Context(), token)
	if omadata.ErrorCode(err) == omadata.EUNAUTHORIZED {
		dpopChallenge(w, r, "invalid_token", omadata.ErrorMessage(err))
		return c, false
	} else if err != nil {
		respond.Error(w, r, err)
		return c, false
	}
	proof, err := s.appProofs.Verify(r.Context(), r.Header.Values("DPoP"), r.Method, s.publicURL(r)+r.URL.EscapedPath(), token)
	if de := (*dpop.Error)(nil); errors.As(err, &de) {
		dpopChallenge(w, r, "invalid_dpop_proof", "Invalid DPoP proof: "+de.Description+".")
		return c, false
	} else if err != nil {
		respond.Error(w, r, err)
		return c, false
	} else if proof.JKT != jkt {
		dpopChallenge(w, r, "invalid_dpop_proof", "The DPoP proof is signed with another key than the one the token is bound to.")
		return c, false
	}
	return c, true
}

// rateLimitedError answers a request over its rate: 429 with Retry-After.
func rateLimitedError(w http.ResponseWriter, r *http.Request, err error) {
	w.Header().Set("Retry-After", ratelimit.RetryAfterSeconds(err))
	respond.Error(w, r, err)
}
