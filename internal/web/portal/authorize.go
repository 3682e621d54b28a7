// SPDX-License-Identifier: Apache-2.0

package portal

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/omadata/omadata"
)

// AuthorizePath is the authorization endpoint of the operator's API
// (RFC 6749 §3.1), after the public URL: a resident's own app sends the
// resident here to connect it. Its metadata names it.
const AuthorizePath = "/oauth/authorize"

// maxState bounds the state an app may send; it comes back in the redirect.
const maxState = 2048

// authRequest is an authorization request (RFC 6749 §4.1.1, RFC 7636
// §4.3, RFC 9449 §10) checked against its app.
type authRequest struct {
	omadata.AuthorizationRequest
	App   *omadata.App
	State string
}

// authError is an error the authorization endpoint answers at the
// redirect URI (RFC 6749 §4.1.2.1); description is for the app's
// developer, in English.
type authError struct{ code, description string }

// hiddenField is one parameter of the request, repeated in the consent
// form.
type hiddenField struct{ Name, Value string }

// authorizeData is the consent screen.
type authorizeData struct {
	App    *omadata.App
	Scopes []string
	Fields []hiddenField
}

// authorizeLanguage serves the authorization endpoint without a language
// in its path, as apps call it: in the first of ui_locales the portal
// speaks (RFC 6749 §3.1 extension, OpenID Connect's ui_locales), else the
// language "/" would use.
func (p *Portal) authorizeLanguage(w http.ResponseWriter, r *http.Request) {
	lang := ""
	for _, l := range strings.Fields(r.URL.Query().Get("ui_locales")) {
		base, _, _ := strings.Cut(strings.ToLower(l), "-")
		if omadata.ValidLanguage(base) {
			lang = base
			break
		}
	}
	if lang == "" {
		w.Header().Add("Vary", "Accept-Language, Cookie")
		lang = p.frontLanguage(r)
	}
	p.handle(lang, public, p.authorize).ServeHTTP(w, r)
}

// authorize checks an app's authorization request and shows the consent
// screen. Until the client ID and the redirect URI are known good, an
// error is a page, never a redirect (RFC 6749 §4.1.2.1); after, it goes
// back to the app at its redirect URI. A resident not signed in signs in
// once the request is good, and comes back here.
func (p *Portal) authorize(w http.ResponseWriter, r *http.Request, q *req) error {
	ar, pageKey, aerr := p.authRequest(r, r.URL.Query())
	switch {
	case pageKey != "":
		p.renderError(w, r, q.Lang, http.StatusBadRequest, pageKey)
		return nil
	case aerr != nil:
		p.authRedirect(w, r, q.Lang, ar, url.Values{"error": {aerr.code}, "error_description": {aerr.description}})
		return nil
	case q.V == nil:
		next := "/" + q.Lang + AuthorizePath + "?" + r.URL.RawQuery
		http.Redirect(w, r, "/"+q.Lang+"/login?"+url.Values{"next": {next}}.Encode(), http.StatusSeeOther)
		return nil
	}
	q.Path = AuthorizePath + "?" + r.URL.RawQuery // the language links keep the request
	d := &authorizeData{App: ar.App, Scopes: ar.Scopes, Fields: []hiddenField{
		{"client_id", ar.AppID}, {"redirect_uri", ar.RedirectURI}, {"response_type", "code"},
		{"scope", strings.Join(ar.Scopes, " ")}, {"state", ar.State},
		{"code_challenge", ar.CodeChallenge}, {"code_challenge_method", "S256"},
	}}
	if ar.DPoPJKT != "" {
		d.Fields = append(d.Fields, hiddenField{"dpop_jkt", ar.DPoPJKT})
	}
	// The form's answer is a redirect to the app: the browser's CSP must
	// let the form go there (form-action also covers its redirects).
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self' "+cspSource(ar.RedirectURI)+"; frame-ancestors 'none'; base-uri 'none'")
	p.render(w, r, q, http.StatusOK, "authorize", msgf(q.Lang, "authorize.title", text(q.Lang, ar.App.Name)), d)
	return nil
}

// decideAuthorization takes the resident's answer on the consent screen:
// Allow records the connection and sends the app a one-time code, Deny
// sends it access_denied. The request is checked again, as on the screen:
// the form is the resident's browser's, not ours to trust.
func (p *Portal) decideAuthorization(w http.ResponseWriter, r *http.Request, q *req) error {
	ar, pageKey, aerr := p.authRequest(r, r.PostForm)
	switch {
	case pageKey != "":
		p.renderError(w, r, q.Lang, http.StatusBadRequest, pageKey)
		return nil
	case aerr != nil:
		p.authRedirect(w, r, q.Lang, ar, url.Values{"error": {aerr.code}, "error_description": {aerr.description}})
		return nil
	}
	switch r.PostFormValue("decision") {
	case "allow":
		// The caller is the signed-in resident: an app is connected for
		// them, never for someone they act for.
		code, err := p.o.Apps.CreateAuthorizationCode(r.Context(), &ar.AuthorizationRequest)
		if err != nil {
			return err
		}
		p.authRedirect(w, r, q.Lang, ar, url.Values{"code": {code}})
	case "deny":
		p.authRedirect(w, r, q.Lang, ar, url.Values{"error": {"access_denied"}, "error_description": {"The resident did not allow the app."}})
	default:
		p.renderError(w, r, q.Lang, http.StatusBadRequest, "error.bad-form")
	}
	return nil
}

// authRequest checks an authorization request's parameters. It returns
// the message key of an error page while the app or its redirect URI is
// not known good (unknown or suspended app, a redirect URI the app did not
// register, a parameter given twice), else the request, with an error to
// send to the redirect URI when another parameter is wrong.
func (p *Portal) authRequest(r *http.Request, v url.Values) (*authRequest, string, *authError) {
	if len(v["client_id"]) != 1 || v.Get("client_id") == "" {
		return nil, "error.app-unknown", nil
	}
	app, err := p.o.Apps.FindApp(r.Context(), v.Get("client_id"))
	if err != nil || app.Status != omadata.AppActive {
		if err != nil && omadata.ErrorCode(err) != omadata.ENOTFOUND {
			p.log.ErrorContext(r.Context(), "find app for authorization", "error", err.Error())
		}
		return nil, "error.app-unknown", nil
	}
	if len(v["redirect_uri"]) != 1 || !app.RedirectURIAllowed(v.Get("redirect_uri")) {
		return nil, "error.app-redirect", nil
	}
	ar := &authRequest{App: app, AuthorizationRequest: omadata.AuthorizationRequest{AppID: app.ID, RedirectURI: v.Get("redirect_uri")}}
	for name, vals := range v {
		if len(vals) > 1 {
			return ar, "", &authError{"invalid_request", fmt.Sprintf("The parameter %q is given more than once.", omadata.Truncate(name, 40))}
		}
	}
	ar.State = v.Get("state")
	switch rt := v.Get("response_type"); {
	case rt == "":
		return ar, "", &authError{"invalid_request", "response_type is required."}
	case rt != "code":
		return ar, "", &authError{"unsupported_response_type", "Only the response_type code is supported."}
	case ar.State == "":
		return ar, "", &authError{"invalid_request", "state is required."}
	case v.Get("response_mode") != "" && v.Get("response_mode") != "query":
		return ar, "", &authError{"invalid_request", "Only the response_mode query is supported."}
	case v.Has("request"):
		// Request objects (RFC 9101) are not supported: refuse rather
		// than act on the plain parameters beside one.
		return ar, "", &authError{"request_not_supported", "Request objects are not supported."}
	case v.Has("request_uri"):
		return ar, "", &authError{"request_uri_not_supported", "request_uri is not supported."}
	case len(ar.State) > maxState:
		ar.State = ""
		return ar, "", &authError{"invalid_request", "state is longer than 2048 bytes."}
	case v.Get("code_challenge") == "":
		return ar, "", &authError{"invalid_request", "code_challenge is required (PKCE, RFC 7636)."}
	case v.Get("code_challenge_method") != "S256":
		return ar, "", &authError{"invalid_request", "code_challenge_method must be S256."}
	case !omadata.ValidSHA256(v.Get("code_challenge")):
		return ar, "", &authError{"invalid_request", "code_challenge must be the base64url SHA-256 of the code verifier (43 characters)."}
	case v.Get("dpop_jkt") != "" && !omadata.ValidSHA256(v.Get("dpop_jkt")):
		return ar, "", &authError{"invalid_request", "dpop_jkt must be a base64url SHA-256 JWK thumbprint (43 characters)."}
	}
	ar.CodeChallenge, ar.DPoPJKT = v.Get("code_challenge"), v.Get("dpop_jkt")
	scopes := omadata.ParseScope(v.Get("scope"))
	if len(scopes) == 0 {
		scopes = []string{omadata.AppScopeRead}
	}
	for _, s := range scopes {
		if !slices.Contains(app.Scopes, s) {
			return ar, "", &authError{"invalid_scope", fmt.Sprintf("The app may not ask for the scope %q.", omadata.Truncate(s, 40))}
		}
	}
	ar.Scopes = omadata.SortScopes(scopes)
	return ar, "", nil
}

// authRedirect answers the app at its redirect URI with params, its state
// and the issuer (RFC 9207), keeping the redirect URI's own query.
func (p *Portal) authRedirect(w http.ResponseWriter, r *http.Request, lang string, ar *authRequest, params url.Values) {
	u, err := url.Parse(ar.RedirectURI) // parsed before: RedirectURIAllowed
	if err != nil {
		p.renderError(w, r, lang, http.StatusBadRequest, "error.app-redirect")
		return
	}
	query := u.Query()
	for k, v := range params {
		query[k] = v
	}
	if ar.State != "" {
		query.Set("state", ar.State)
	}
	query.Set("iss", p.o.PublicURL)
	u.RawQuery = query.Encode()
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}

// cspSource is the CSP source expression of a redirect URI: its origin,
// or its scheme for a private-use URI scheme (RFC 8252 §7.1).
func cspSource(uri string) string {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme == "" {
		return ""
	}
	if u.Host == "" {
		return u.Scheme + ":"
	}
	return u.Scheme + "://" + u.Host
}
