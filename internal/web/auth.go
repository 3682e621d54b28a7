// SPDX-License-Identifier: Apache-2.0

package web

import (
	"net/http"
	"slices"
	"strings"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/web/ratelimit"
	"github.com/omadata/omadata/internal/web/respond"
)

// authenticate puts the caller of a route in the request context. Public
// routes ignore credentials and run as the anonymous caller. Other routes
// need an "Authorization: Bearer" token, looked up on every request so that
// a revocation takes effect on the next call; an admin-only route refuses
// service credentials, and a service needs catalogue:read to read and
// catalogue:write to change anything. A route with a rate limit (limit is
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
		token, ok := bearerToken(r)
		if !ok {
			respond.Error(w, r, omadata.Errorf(omadata.EUNAUTHORIZED, "Send a token in the Authorization header: Bearer <token>."))
			return
		}
		c, err := s.opts.Credentials.Authenticate(r.Context(), token)
		if err != nil {
			respond.Error(w, r, err)
			return
		}
		c.Channel = omadata.ChannelAPI
		info(r.Context()).caller = c
		if err := authorize(auth, r.Method, c); err != nil {
			respond.Error(w, r, err)
			return
		}
		if limit != "" {
			if err := s.opts.Limiter.Account(limit, c.TokenID); err != nil {
				rateLimitedError(w, r, err)
				return
			}
		}
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

// bearerToken returns the token of the request's one Authorization header.
// Tokens are never taken from the query string or the body, which end up
// in logs and browser histories.
func bearerToken(r *http.Request) (string, bool) {
	h := r.Header.Values("Authorization")
	if len(h) != 1 {
		return "", false
	}
	scheme, token, ok := strings.Cut(h[0], " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" || strings.ContainsAny(token, " \t") {
		return "", false
	}
	return token, true
}

// rateLimitedError answers a request over its rate: 429 with Retry-After.
func rateLimitedError(w http.ResponseWriter, r *http.Request, err error) {
	w.Header().Set("Retry-After", ratelimit.RetryAfterSeconds(err))
	respond.Error(w, r, err)
}
