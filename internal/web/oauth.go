// SPDX-License-Identifier: Apache-2.0

package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/dpop"
	"github.com/omadata/omadata/internal/web/api"
	"github.com/omadata/omadata/internal/web/ratelimit"
	"github.com/omadata/omadata/internal/web/respond"
)

// AppTokenStore is what the OAuth endpoints and the API's DPoP
// authentication need of the store: the token work and the shared record
// of DPoP proofs seen.
type AppTokenStore interface {
	omadata.AppTokenService
	dpop.Replay
}

// serviceDocumentation is where a developer of an app reads the protocol.
const serviceDocumentation = "https://github.com/omadata/omadata/blob/main/docs/apps.md"

// maxOAuthParam bounds each parameter of the token and revocation
// endpoints: a code, a token, a verifier and a URI are far shorter.
const maxOAuthParam = 2048

// oauthMetadata is the authorization server metadata (RFC 8414 §2-3) of
// the operator, the authorization server of its own API for residents'
// own apps.
func (s *Server) oauthMetadata(w http.ResponseWriter, r *http.Request) error {
	base := s.publicURL(r)
	w.Header().Set("Cache-Control", "public, max-age=300")
	respond.OK(w, r, map[string]any{
		"issuer":                                         base,
		"authorization_endpoint":                         base + "/oauth/authorize",
		"token_endpoint":                                 base + "/oauth/token",
		"revocation_endpoint":                            base + "/oauth/revoke",
		"response_types_supported":                       []string{"code"},
		"response_modes_supported":                       []string{"query"},
		"grant_types_supported":                          []string{omadata.GrantAuthorizationCode, omadata.GrantRefreshToken},
		"code_challenge_methods_supported":               []string{"S256"},
		"token_endpoint_auth_methods_supported":          []string{"none"},
		"revocation_endpoint_auth_methods_supported":     []string{"none"},
		"scopes_supported":                               omadata.AppScopes,
		"dpop_signing_alg_values_supported":              dpopAlgs,
		"ui_locales_supported":                           omadata.Languages,
		"authorization_response_iss_parameter_supported": true,
		"service_documentation":                          serviceDocumentation,
	})
	return nil
}

// publicURL is the operator's public base URL, without a trailing slash:
// the issuer, and the base of the URLs DPoP proofs name.
func (s *Server) publicURL(r *http.Request) string {
	return api.PublicBase(s.opts.Operator.PublicURL, r)
}

// oauthError is an error of the token and revocation endpoints in RFC
// 6749 §5.2's shape.
type oauthError struct {
	status      int
	code        string // error
	description string // error_description
}

func (e *oauthError) Error() string { return e.code + ": " + e.description }

func invalidRequest(format string, args ...any) *oauthError {
	return &oauthError{http.StatusBadRequest, "invalid_request", fmt.Sprintf(format, args...)}
}

// writeOAuthError answers err in RFC 6749 §5.2's shape: an oauthError as
// it is, a store refusal by the parameter it names, anything else as
// server_error with the details only in the log.
func (s *Server) writeOAuthError(w http.ResponseWriter, r *http.Request, err error) {
	var oe *oauthError
	if !errors.As(err, &oe) {
		oe = &oauthError{http.StatusBadRequest, "invalid_request", omadata.ErrorMessage(err)}
		switch code, field := omadata.ErrorCode(err), omadata.ErrorField(err); {
		case code == omadata.ERATELIMITED:
			w.Header().Set("Retry-After", ratelimit.RetryAfterSeconds(err))
			oe.status, oe.code = http.StatusTooManyRequests, "rate_limited"
		case code == omadata.ETOOLARGE:
			oe.status = http.StatusRequestEntityTooLarge
		case code != omadata.EINVALID:
			s.log.LogAttrs(r.Context(), slog.LevelError, "internal error",
				slog.String("request_id", omadata.RequestIDFromContext(r.Context())),
				slog.String("route", r.URL.Path), slog.String("error", err.Error()))
			oe.status, oe.code, oe.description = http.StatusInternalServerError, "server_error", "Internal error."
		case field == "grant":
			oe.code = "invalid_grant"
		case field == "client_id":
			oe.code = "invalid_client"
		case field == "scope":
			oe.code = "invalid_scope"
		case field == "DPoP":
			oe.code = "invalid_dpop_proof"
		case field == "grant_type":
			oe.code = "unsupported_grant_type"
		}
	}
	b, _ := json.Marshal(map[string]string{"error": oe.code, "error_description": oe.description})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(oe.status)
	w.Write(append(b, '\n'))
}

// oauthForm reads the form body of a token or revocation request (RFC
// 6749 §3.2): application/x-www-form-urlencoded, no query, each parameter
// at most once. Unknown parameters are ignored, as §3.2 asks.
func oauthForm(r *http.Request) (url.Values, error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, invalidRequest("Send the parameters as a form, with Content-Type: application/x-www-form-urlencoded.")
	} else if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return nil, invalidRequest("Send the form in UTF-8.")
	} else if r.URL.RawQuery != "" {
		return nil, invalidRequest("Send the parameters in the body, not in the query.")
	}
	body, err := io.ReadAll(r.Body)
	if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
		return nil, omadata.Errorf(omadata.ETOOLARGE, "The request body is too large.")
	} else if err != nil {
		return nil, invalidRequest("The request body did not arrive.")
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, invalidRequest("The form is malformed; escape its values.")
	}
	for k, v := range form {
		name := omadata.Truncate(k, 40)
		switch {
		case len(v) > 1:
			return nil, invalidRequest("The parameter %s is given more than once.", name)
		case len(v[0]) > maxOAuthParam:
			return nil, invalidRequest("The parameter %s is longer than %d bytes.", name, maxOAuthParam)
		case !validUTF8Param(v[0]):
			return nil, invalidRequest("The parameter %s holds control characters or invalid UTF-8.", name)
		}
	}
	return form, nil
}

func validUTF8Param(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r >= 0x7f && r < 0xa0 })
}

// required returns invalid_request for the first of names the form lacks.
func required(form url.Values, names ...string) error {
	for _, n := range names {
		if form.Get(n) == "" {
			return invalidRequest("The parameter %s is required.", n)
		}
	}
	return nil
}

// oauthToken is the token endpoint (RFC 6749 §3.2, §4.1.3, §6; RFC 7636
// §4.5; RFC 9449 §5): a DPoP-proven request for an access token and a
// refresh token bound to the proof's key.
func (s *Server) oauthToken(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	if err := s.tokenRequest(w, r); err != nil {
		s.writeOAuthError(w, r, err)
	}
}

func (s *Server) tokenRequest(w http.ResponseWriter, r *http.Request) error {
	if err := s.opts.Limiter.Address(ratelimit.Token, r); err != nil {
		return err
	}
	form, err := oauthForm(r)
	if err != nil {
		return err
	}
	in := &omadata.TokenRequest{GrantType: form.Get("grant_type"), ClientID: form.Get("client_id")}
	switch in.GrantType {
	case "":
		return invalidRequest("The parameter grant_type is required.")
	case omadata.GrantAuthorizationCode:
		if err := required(form, "code", "redirect_uri", "client_id", "code_verifier"); err != nil {
			return err
		}
		in.Code, in.RedirectURI, in.CodeVerifier = form.Get("code"), form.Get("redirect_uri"), form.Get("code_verifier")
	case omadata.GrantRefreshToken:
		if err := required(form, "refresh_token", "client_id"); err != nil {
			return err
		}
		in.RefreshToken = form.Get("refresh_token")
		if form.Has("scope") {
			if in.Scopes = omadata.ParseScope(form.Get("scope")); len(in.Scopes) == 0 {
				return &oauthError{http.StatusBadRequest, "invalid_scope", "The scope is empty; leave it out to keep the refresh token's."}
			}
		}
	default:
		return &oauthError{http.StatusBadRequest, "unsupported_grant_type", "Use authorization_code or refresh_token."}
	}
	proof, err := s.appProofs.Verify(r.Context(), r.Header.Values("DPoP"), http.MethodPost, s.publicURL(r)+"/oauth/token", "")
	if de := (*dpop.Error)(nil); errors.As(err, &de) {
		return &oauthError{http.StatusBadRequest, "invalid_dpop_proof", "Invalid DPoP proof: " + de.Description + "."}
	} else if err != nil {
		return err
	}
	in.JKT = proof.JKT
	tok, err := s.opts.AppTokens.ExchangeToken(r.Context(), in)
	if err != nil {
		return err
	}
	respond.OK(w, r, tok)
	return nil
}

// oauthRevoke is the revocation endpoint (RFC 7009): a public client
// names itself by client_id. An access token stops working; a refresh
// token ends the connection and every token on it. An unknown token is
// answered 200 as well (§2.2).
func (s *Server) oauthRevoke(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if err := s.revokeRequest(w, r); err != nil {
		s.writeOAuthError(w, r, err)
	}
}

func (s *Server) revokeRequest(w http.ResponseWriter, r *http.Request) error {
	if err := s.opts.Limiter.Address(ratelimit.Token, r); err != nil {
		return err
	}
	form, err := oauthForm(r)
	if err != nil {
		return err
	} else if err := required(form, "token", "client_id"); err != nil {
		return err
	} else if !omadata.ValidID(omadata.PrefixApp, form.Get("client_id")) {
		return &oauthError{http.StatusBadRequest, "invalid_client", "Unknown client_id."}
	}
	switch form.Get("token_type_hint") {
	case "", "access_token", "refresh_token": // a hint only: both are looked up
	default:
		return &oauthError{http.StatusBadRequest, "unsupported_token_type", "The token_type_hint is access_token or refresh_token."}
	}
	if err := s.opts.AppTokens.RevokeAppToken(r.Context(), form.Get("client_id"), form.Get("token")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// dpopChallenge answers a refused DPoP-authenticated API call: 401 with
// the challenge of RFC 9449 §7.1 (error invalid_token or
// invalid_dpop_proof) and the API's error body.
func dpopChallenge(w http.ResponseWriter, r *http.Request, code, description string) {
	w.Header().Set("WWW-Authenticate", `DPoP error="`+code+`", error_description="`+strings.ReplaceAll(description, `"`, `'`)+`", algs="`+strings.Join(dpopAlgs, " ")+`"`)
	respond.Error(w, r, omadata.Errorf(omadata.EUNAUTHORIZED, "%s", description))
}

// dpopAlgs are the JWS algorithms of DPoP proofs the operator accepts,
// named in the metadata and in every DPoP challenge.
var dpopAlgs = func() []string {
	out := make([]string, len(dpop.Algorithms))
	for i, a := range dpop.Algorithms {
		out[i] = string(a)
	}
	return out
}()
