// SPDX-License-Identifier: Apache-2.0

// Package idp is the built-in OpenID provider of demo mode. It offers the
// demo residents to sign in as, without passwords, and issues ID tokens by
// the authorization code flow with PKCE, signed with a key made at start-up,
// so that the portal's ordinary OpenID Connect relying party can log in
// against it exactly as against a city's identity broker. It is never
// mounted outside demo mode.
package idp

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/demo"
)

// Prefix is the path the provider is mounted under; its issuer is the
// operator's public URL followed by Prefix.
const Prefix = "/demo-idp"

// codeTTL is how long an authorization code may wait to be redeemed.
const codeTTL = time.Minute

// Options configures the provider.
type Options struct {
	Issuer       string // public URL + Prefix
	ClientID     string
	ClientSecret string
	RedirectURL  string // the redirect URI of the resident portal
	// StaffRedirectURL is the admin console's redirect URI, if it is on:
	// a login that returns there is offered the demo staff instead.
	StaffRedirectURL string
	IdentityClaim    string // the claim that carries the identity code
	NameClaim        string
	// People are the residents offered to sign in as; demo.People when
	// nil (one city's in the demo network: demo.CityPeople).
	People []demo.Person
}

// Provider is the demo OpenID provider. It implements http.Handler for the
// paths under Prefix.
type Provider struct {
	o     Options
	key   *ecdsa.PrivateKey
	kid   string
	mux   *http.ServeMux
	mu    sync.Mutex
	codes map[string]*grant
}

type grant struct {
	person    demo.Person
	nonce     string
	challenge string
	redirect  string
	expires   time.Time
}

// New returns a provider with a fresh signing key.
func New(o Options) (*Provider, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	p := &Provider{o: o, key: key, kid: rand.Text()[:12], mux: http.NewServeMux(), codes: map[string]*grant{}}
	p.mux.HandleFunc("GET "+Prefix+"/.well-known/openid-configuration", p.discovery)
	p.mux.HandleFunc("GET "+Prefix+"/jwks", p.jwks)
	p.mux.HandleFunc("GET "+Prefix+"/authorize", p.chooser)
	p.mux.HandleFunc("POST "+Prefix+"/authorize", p.authorize)
	p.mux.HandleFunc("POST "+Prefix+"/token", p.token)
	return p, nil
}

// Patterns lists the routes to mount, each with its method.
func (p *Provider) Patterns() []string {
	return []string{
		"GET " + Prefix + "/.well-known/openid-configuration",
		"GET " + Prefix + "/jwks",
		"GET " + Prefix + "/authorize",
		"POST " + Prefix + "/authorize",
		"POST " + Prefix + "/token",
	}
}

// ServeHTTP implements http.Handler.
func (p *Provider) ServeHTTP(w http.ResponseWriter, r *http.Request) { p.mux.ServeHTTP(w, r) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (p *Provider) discovery(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                p.o.Issuer,
		"authorization_endpoint":                p.o.Issuer + "/authorize",
		"token_endpoint":                        p.o.Issuer + "/token",
		"jwks_uri":                              p.o.Issuer + "/jwks",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"ES256"},
		"code_challenge_methods_supported":      []string{"S256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		"scopes_supported":                      []string{"openid", "profile"},
		"claims_supported":                      []string{"sub", "name", p.o.IdentityClaim},
		"ui_locales_supported":                  omadata.Languages,
	})
}

func (p *Provider) jwks(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &p.key.PublicKey, KeyID: p.kid, Algorithm: "ES256", Use: "sig"}}})
}

// checkClient refuses an authorization request for another client or
// redirect URI, in the provider's own page: redirecting to an unchecked
// URI would make the provider an open redirector.
func (p *Provider) checkClient(q url.Values) bool {
	return q.Get("client_id") == p.o.ClientID && (q.Get("redirect_uri") == p.o.RedirectURL || p.staff(q)) &&
		q.Get("response_type") == "code" && q.Get("code_challenge_method") == "S256" && q.Get("code_challenge") != ""
}

// staff reports whether a login is the admin console's.
func (p *Provider) staff(q url.Values) bool {
	return p.o.StaffRedirectURL != "" && q.Get("redirect_uri") == p.o.StaffRedirectURL
}

// people returns whom a login may sign in as: the demo residents, or for
// the admin console the demo staff.
func (p *Provider) people(q url.Values) []demo.Person {
	if !p.staff(q) {
		if p.o.People != nil {
			return p.o.People
		}
		return demo.People()
	}
	var out []demo.Person
	for _, s := range demo.Staff() {
		out = append(out, s.Person)
	}
	return out
}

func (p *Provider) chooser(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if !p.checkClient(q) {
		http.Error(w, "unknown client, redirect URI or missing PKCE challenge", http.StatusBadRequest)
		return
	}
	lang := q.Get("ui_locales")
	if !omadata.ValidLanguage(lang) {
		lang = "fi"
	}
	type person struct{ Key, Name, About string }
	var people []person
	for _, pp := range p.people(q) {
		people = append(people, person{pp.Key, pp.Name, pp.About.In(lang)})
	}
	fields := []struct{ Name, Value string }{}
	for _, k := range []string{"client_id", "redirect_uri", "response_type", "state", "nonce", "code_challenge", "code_challenge_method", "ui_locales"} {
		fields = append(fields, struct{ Name, Value string }{k, q.Get(k)})
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' "+origin(p.o.RedirectURL)+"; frame-ancestors 'none'; base-uri 'none'")
	chooserPage.Execute(w, map[string]any{"Lang": lang, "T": chooserText[lang], "People": people, "Fields": fields, "Action": p.o.Issuer + "/authorize"})
}

// origin returns the scheme and host of u, for the CSP form-action: the
// form's redirect to the client must be allowed too.
func origin(u string) string {
	x, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return x.Scheme + "://" + x.Host
}

func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	q := r.PostForm
	if !p.checkClient(q) {
		http.Error(w, "unknown client, redirect URI or missing PKCE challenge", http.StatusBadRequest)
		return
	}
	var who *demo.Person
	for _, pp := range p.people(q) {
		if pp.Key == q.Get("person") {
			who = &pp
		}
	}
	if who == nil {
		http.Error(w, "choose a demo resident", http.StatusBadRequest)
		return
	}
	code := rand.Text()
	p.mu.Lock()
	now := time.Now()
	for c, g := range p.codes {
		if now.After(g.expires) {
			delete(p.codes, c)
		}
	}
	p.codes[code] = &grant{person: *who, nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), redirect: q.Get("redirect_uri"), expires: now.Add(codeTTL)}
	p.mu.Unlock()
	v := url.Values{"code": {code}, "state": {q.Get("state")}, "iss": {p.o.Issuer}}
	http.Redirect(w, r, q.Get("redirect_uri")+"?"+v.Encode(), http.StatusSeeOther)
}

func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	id, secret, ok := r.BasicAuth()
	if ok {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if subtle.ConstantTimeCompare([]byte(id), []byte(p.o.ClientID)) != 1 || subtle.ConstantTimeCompare([]byte(secret), []byte(p.o.ClientSecret)) != 1 {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	f := r.PostForm
	p.mu.Lock()
	g := p.codes[f.Get("code")]
	delete(p.codes, f.Get("code")) // a code is redeemed once, right or wrong
	p.mu.Unlock()
	sum := sha256.Sum256([]byte(f.Get("code_verifier")))
	switch {
	case f.Get("grant_type") != "authorization_code":
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type"})
		return
	case g == nil || time.Now().After(g.expires) || f.Get("redirect_uri") != g.redirect ||
		base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
		return
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: p.key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", p.kid))
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "server_error"})
		return
	}
	now := time.Now()
	claims := map[string]any{
		"iss": p.o.Issuer, "sub": "demo-" + g.person.Key, "aud": p.o.ClientID,
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "nonce": g.nonce,
		p.o.NameClaim: g.person.Name, p.o.IdentityClaim: g.person.IdentityCode,
	}
	idToken, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "server_error"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": rand.Text(), "token_type": "Bearer", "expires_in": 300, "id_token": idToken,
	})
}

var chooserText = map[string]map[string]string{
	"fi": {"title": "Demotunnistautuminen", "intro": "Tämä on OmaDatan demotilan sisäänrakennettu tunnistuspalvelu. Valitse, kenenä kirjaudut. Henkilöt ja henkilötunnukset ovat keksittyjä.", "choose": "Kirjaudu"},
	"sv": {"title": "Demoidentifiering", "intro": "Det här är den inbyggda identifieringstjänsten i MinDatas demoläge. Välj vem du loggar in som. Personerna och personbeteckningarna är påhittade.", "choose": "Logga in"},
	"en": {"title": "Demo sign-in", "intro": "This is the built-in identity provider of MyData's demo mode. Choose who to sign in as. The people and their identity codes are made up.", "choose": "Sign in"},
}

var chooserPage = template.Must(template.New("chooser").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.T.title}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;color:#1a1a1a;background:#f2f2f2;line-height:1.5}
main{max-width:40rem;margin:2rem auto;background:#fff;padding:1.5rem 2rem;border-top:.5rem solid #0000bf}
ul{list-style:none;padding:0}li{border:1px solid #808080;margin:1rem 0;padding:1rem}
h2{margin:0;font-size:1.25rem}
button{font:inherit;font-weight:600;color:#fff;background:#0000bf;border:2px solid #0000bf;padding:.5rem 1.25rem;cursor:pointer;margin-top:.5rem}
button:focus-visible{outline:3px solid #0072c6;outline-offset:3px}
</style></head>
<body><main>
<h1>{{.T.title}}</h1>
<p>{{.T.intro}}</p>
<ul>{{range .People}}
<li><h2 id="p-{{.Key}}">{{.Name}}</h2><p>{{.About}}</p>
<form method="post" action="{{$.Action}}">{{range $.Fields}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">{{end}}
<button type="submit" name="person" value="{{.Key}}" aria-describedby="p-{{.Key}}" data-person="{{.Key}}">{{$.T.choose}}: {{.Name}}</button>
</form></li>{{end}}
</ul>
</main></body></html>
`))
