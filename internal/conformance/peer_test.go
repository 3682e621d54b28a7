// SPDX-License-Identifier: Apache-2.0

package conformance

// A trust anchor and a minimal member written from docs/network.md for
// the checker to run against: the member follows the document, except in
// the one way its variant names.

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"golang.org/x/mod/sumdb/note"

	"github.com/omadata/omadata"
)

// lateHandler is a handler set after its server starts, for servers that
// must know their own URL.
type lateHandler struct{ h http.Handler }

func (l *lateHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) { l.h.ServeHTTP(w, r) }

func startServer(t *testing.T) (*httptest.Server, *lateHandler) {
	t.Helper()
	lh := &lateHandler{http.NotFoundHandler()}
	srv := httptest.NewServer(lh)
	t.Cleanup(srv.Close)
	return srv, lh
}

func mustKey(t *testing.T) *jose.JSONWebKey {
	t.Helper()
	k, err := newFederationKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func publicSet(keys ...*jose.JSONWebKey) jose.JSONWebKeySet {
	var s jose.JSONWebKeySet
	for _, k := range keys {
		s.Keys = append(s.Keys, k.Public())
	}
	return s
}

func mustSign(t *testing.T, key *jose.JSONWebKey, typ string, v any) string {
	t.Helper()
	s, err := signJWS(key, typ, v)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// testAnchor is a trust anchor (docs/network.md §2.1–2.3) holding its
// members' keys.
type testAnchor struct {
	t        *testing.T
	id       string
	key      *jose.JSONWebKey
	rulebook int

	mu      sync.Mutex
	members map[string]jose.JSONWebKeySet
	status  map[string]string
}

func newTestAnchor(t *testing.T) *testAnchor {
	srv, lh := startServer(t)
	a := &testAnchor{t: t, id: srv.URL, key: mustKey(t), rulebook: 1,
		members: map[string]jose.JSONWebKeySet{}, status: map[string]string{}}
	lh.h = a
	return a
}

func (a *testAnchor) admit(entity string, keys jose.JSONWebKeySet) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.members[entity], a.status[entity] = keys, omadata.MemberActive
}

func (a *testAnchor) jwks() *jose.JSONWebKeySet {
	s := publicSet(a.key)
	return &s
}

// trustMark issues sub's trust mark (docs/network.md §2.3).
func (a *testAnchor) trustMark(sub string, iat time.Time, rulebook int) string {
	return mustSign(a.t, a.key, typTrustMark, map[string]any{
		"iss": a.id, "sub": sub, "trust_mark_type": a.id + "/trust-marks/member",
		"iat": iat.Unix(), "exp": iat.Add(time.Hour).Unix(), "rulebook_version": rulebook,
	})
}

func (a *testAnchor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	sub := r.URL.Query().Get("sub")
	a.mu.Lock()
	keys, known := a.members[sub]
	status := a.status[sub]
	a.mu.Unlock()
	switch r.URL.Path {
	case "/.well-known/openid-federation":
		w.Header().Set("Content-Type", mediaEntityStatement)
		io.WriteString(w, mustSign(a.t, a.key, typEntityStatement, map[string]any{
			"iss": a.id, "sub": a.id, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
			"jwks": publicSet(a.key),
			"metadata": map[string]any{"federation_entity": map[string]any{
				"federation_fetch_endpoint": a.id + "/fetch", "federation_list_endpoint": a.id + "/list",
				"organization_name": "Test network"}},
			"trust_mark_issuers": map[string][]string{a.id + "/trust-marks/member": {a.id}},
		}))
	case "/fetch":
		if !known || status != omadata.MemberActive {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			body := map[string]string{"error": "not_found", "error_description": "not a member"}
			if known {
				body["omadata_member_status"] = status
			}
			json.NewEncoder(w).Encode(body)
			return
		}
		w.Header().Set("Content-Type", mediaEntityStatement)
		io.WriteString(w, mustSign(a.t, a.key, typEntityStatement, map[string]any{
			"iss": a.id, "sub": sub, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "jwks": keys,
			"metadata_policy": map[string]any{"omadata_operator": map[string]any{
				"operator_id": map[string]any{"value": sub}, "base_url": map[string]any{"value": sub}}},
		}))
	case "/trust-mark":
		if !known || status != omadata.MemberActive || r.URL.Query().Get("trust_mark_type") != a.id+"/trust-marks/member" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/trust-mark+jwt")
		io.WriteString(w, a.trustMark(sub, now, a.rulebook))
	default:
		http.NotFound(w, r)
	}
}

// testPeer is a minimal member: it serves its entity configuration and a
// catalogue and answers decisions, verifying every call as
// docs/network.md §3 says, unless broken names the one thing it gets
// wrong.
type testPeer struct {
	t      *testing.T
	id     string
	anchor *testAnchor
	key    *jose.JSONWebKey // signs, and is the key the anchor holds
	other  *jose.JSONWebKey // a second key of its own the anchor does not hold
	broken string
	logKey string // the verifier key of its log

	mu     sync.Mutex
	nonces map[string]bool
}

func newTestPeer(t *testing.T, anchor *testAnchor, broken string) *testPeer {
	srv, lh := startServer(t)
	p := &testPeer{t: t, id: srv.URL, anchor: anchor, key: mustKey(t), other: mustKey(t),
		broken: broken, nonces: map[string]bool{}}
	u, _ := url.Parse(p.id)
	_, vk, err := note.GenerateKey(rand.Reader, u.Host+"/log")
	if err != nil {
		t.Fatal(err)
	}
	p.logKey = vk
	lh.h = p
	anchor.admit(p.id, publicSet(p.key))
	return p
}

func (p *testPeer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/.well-known/openid-federation":
		p.serveConfiguration(w)
	case strings.HasPrefix(r.URL.Path, "/network/v1/"):
		caller, nonce, body, ok := p.verify(w, r)
		if !ok {
			return
		}
		p.serveNetwork(w, r, caller, nonce, body)
	default:
		http.NotFound(w, r)
	}
}

func (p *testPeer) metadata() omadata.OperatorMetadata {
	u, _ := url.Parse(p.id)
	md := omadata.OperatorMetadata{
		OperatorID: p.id, Name: omadata.Text{"fi": "Testikaupunki", "sv": "Teststad", "en": "Test city"},
		BaseURL: p.id, NetworkEndpoint: p.id + "/network/v1", CatalogueEndpoint: p.id + "/network/v1/catalogue",
		LogEndpoint: p.id + "/api/v1/log", LogOrigin: u.Host + "/log", LogVerifierKey: p.logKey,
	}
	if p.broken == "metadata" {
		md.LogVerifierKey = ""
	}
	return md
}

func (p *testPeer) serveConfiguration(w http.ResponseWriter) {
	now := time.Now()
	typ, hints, iat, exp := typEntityStatement, []string{p.anchor.id}, now, now.Add(time.Hour)
	markIat, rulebook := now, p.anchor.rulebook
	keys := publicSet(p.key, p.other)
	signer := p.key
	switch p.broken {
	case "header":
		typ = "JWT"
	case "claims":
		exp = iat.Add(48 * time.Hour)
	case "keys":
		keys.Keys[1].KeyID = "key-2"
	case "authority-hints":
		hints = []string{}
	case "trust-chain":
		signer = p.other // its own key, not one the anchor vouches for
	case "trust-mark":
		rulebook = p.anchor.rulebook + 1
	}
	mt := mediaEntityStatement
	if p.broken == "media-type" {
		mt = "application/jwt"
	}
	w.Header().Set("Content-Type", mt)
	io.WriteString(w, mustSign(p.t, signer, typ, map[string]any{
		"iss": p.id, "sub": p.id, "iat": iat.Unix(), "exp": exp.Unix(), "jwks": keys,
		"authority_hints": hints,
		"trust_marks": []trustMarkRef{{Type: p.anchor.id + "/trust-marks/member",
			TrustMark: p.anchor.trustMark(p.id, markIat, rulebook)}},
		"metadata": map[string]any{
			"federation_entity": map[string]any{"organization_name": "Testikaupunki"},
			"omadata_operator":  p.metadata(),
		},
	}))
}

func (p *testPeer) problem(w http.ResponseWriter, status int, reason string) {
	if p.broken == "problem-type" {
		reason = strings.ToUpper(reason)
	}
	w.Header().Set("Content-Type", mediaProblem)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"type": "https://omadata.fi/problems/network/" + reason,
		"title": reason, "status": status, "detail": reason, "reason": reason})
}

var sigParam = regexp.MustCompile(`^([a-z]+)=("([^"]*)"|-?[0-9]+)$`)

// verify checks a signed call in the order of docs/network.md §3 and
// answers the first failure. It returns the caller, the nonce and the
// body.
func (p *testPeer) verify(w http.ResponseWriter, r *http.Request) (caller, nonce string, body []byte, ok bool) {
	input, hasInput := strings.CutPrefix(r.Header.Get("Signature-Input"), sigLabel+"=")
	sigField, hasSig := strings.CutPrefix(r.Header.Get("Signature"), sigLabel+"=")
	if !hasInput || !hasSig {
		if p.broken == "unsigned" {
			body, _ = io.ReadAll(r.Body)
			return "", "", body, true
		}
		p.problem(w, 401, "unsigned")
		return
	}
	const components = `("@method" "@target-uri" "content-digest")`
	rest, found := strings.CutPrefix(input, components)
	sig, err := base64.StdEncoding.DecodeString(strings.Trim(sigField, ":"))
	if !found || err != nil || !strings.HasPrefix(sigField, ":") || !strings.HasSuffix(sigField, ":") {
		p.problem(w, 401, "malformed_signature")
		return
	}
	params := map[string]string{}
	var order []string
	for _, kv := range strings.Split(strings.TrimPrefix(rest, ";"), ";") {
		m := sigParam.FindStringSubmatch(kv)
		if m == nil {
			p.problem(w, 401, "malformed_signature")
			return
		}
		v := m[2]
		if strings.HasPrefix(v, `"`) {
			v = m[3]
		}
		params[m[1]] = v
		order = append(order, m[1])
	}
	if strings.Join(order, ",") != "created,expires,nonce,tag,keyid,alg" || params["alg"] != sigAlg {
		p.problem(w, 401, "malformed_signature")
		return
	}
	created, err1 := strconv.ParseInt(params["created"], 10, 64)
	expires, err2 := strconv.ParseInt(params["expires"], 10, 64)
	caller, kid, hasKid := strings.Cut(params["keyid"], "#")
	nonce = params["nonce"]
	if err1 != nil || err2 != nil || !hasKid || expires-created < 1 || expires-created > 300 || len(nonce) < 16 || len(nonce) > 64 {
		p.problem(w, 401, "malformed_signature")
		return
	}
	if params["tag"] != omadata.NetworkTag && p.broken != "wrong-tag" {
		p.problem(w, 401, "wrong_tag")
		return
	}
	target := "http://" + r.Host + r.URL.RequestURI()
	if !strings.HasPrefix(target, p.id+"/") && p.broken != "wrong-audience" {
		p.problem(w, 401, "wrong_audience")
		return
	}
	now := time.Now().Unix()
	if (created > now+60 || expires <= now) && p.broken != "expired" {
		p.problem(w, 401, "expired")
		return
	}
	limit := int64(maxBody)
	if p.broken == "body-size" {
		limit = 4 * maxBody
	}
	body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		p.problem(w, 413, "too_large")
		return
	}
	sum := sha256.Sum256(body)
	if r.Header.Get("Content-Digest") != "sha-256=:"+base64.StdEncoding.EncodeToString(sum[:])+":" && p.broken != "changed-body" {
		p.problem(w, 401, "digest_mismatch")
		return
	}
	keys, reason := p.resolve(caller)
	if reason != "" {
		status := 403
		if reason == "unavailable" {
			status = 503
		}
		p.problem(w, status, reason)
		return
	}
	base := signatureBase([]sigComponent{
		{"@method", r.Method}, {"@target-uri", target}, {"content-digest", r.Header.Get("Content-Digest")},
	}, input)
	k := keys.Key(kid)
	if p.broken != "unknown-kid" && (len(k) == 0 || !ed25519.Verify(k[0].Key.(ed25519.PublicKey), []byte(base), sig)) {
		p.problem(w, 401, "bad_signature")
		return
	}
	p.mu.Lock()
	seen := p.nonces[caller+" "+nonce]
	p.nonces[caller+" "+nonce] = true
	p.mu.Unlock()
	if seen && p.broken != "replayed-nonce" {
		p.problem(w, 401, "replayed")
		return
	}
	return caller, nonce, body, true
}

// resolve returns the caller's keys from the anchor's statement about it
// (docs/network.md §2.4), or the reason it is refused.
func (p *testPeer) resolve(caller string) (*jose.JSONWebKeySet, string) {
	if p.broken == "non-member" {
		// Broken: believes the caller's own configuration, a second key
		// channel the anchor never vouched for.
		resp, err := http.Get(wellKnown(caller))
		if err != nil {
			return nil, "unavailable"
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		j, err := parseCompact(string(b))
		if err != nil {
			return nil, "not_member"
		}
		cl, err := j.claims()
		if err != nil || cl.JWKS == nil {
			return nil, "not_member"
		}
		return cl.JWKS, ""
	}
	resp, err := http.Get(p.anchor.id + "/fetch?" + url.Values{"sub": {caller}}.Encode())
	if err != nil {
		return nil, "unavailable"
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusNotFound {
		var nf struct {
			Status string `json:"omadata_member_status"`
		}
		json.Unmarshal(b, &nf)
		switch nf.Status {
		case omadata.MemberSuspended:
			return nil, "suspended_member"
		case omadata.MemberRemoved:
			return nil, "removed_member"
		}
		return nil, "not_member"
	}
	j, err := parseCompact(string(b))
	if err != nil || j.verify(p.anchor.jwks(), "the anchor") != nil {
		return nil, "unavailable"
	}
	cl, err := j.claims()
	if err != nil || cl.Sub != caller {
		return nil, "unavailable"
	}
	return cl.JWKS, ""
}

// answer writes a signed answer (docs/network.md §4).
func (p *testPeer) answer(w http.ResponseWriter, caller, nonce string, members map[string]any) {
	now := time.Now()
	claims := map[string]any{"iss": p.id, "aud": caller, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "nonce": nonce}
	for k, v := range members {
		claims[k] = v
	}
	typ := typAnswer
	switch p.broken {
	case "answer-nonce":
		claims["nonce"] = newNonce()
	case "answer-typ":
		typ = "JWT"
	}
	w.Header().Set("Content-Type", mediaAnswer)
	io.WriteString(w, mustSign(p.t, p.key, typ, claims))
}

func (p *testPeer) serveNetwork(w http.ResponseWriter, r *http.Request, caller, nonce string, body []byte) {
	switch r.URL.Path {
	case "/network/v1/catalogue":
		cat := omadata.NetworkCatalogue{OperatorID: p.id, IssuedAt: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
			Sources: []*omadata.NetworkSource{{ID: "svc_0000000000000000000000000a", API: p.id + "/source",
				DataGroups: []*omadata.DataGroup{{ID: "dg_0000000000000000000000000b"}}}},
			Processings: []*omadata.CatalogueEntry{}}
		if p.broken == "catalogue-content" {
			cat.OperatorID = "https://elsewhere.example"
		}
		b, _ := json.Marshal(cat)
		sum := sha256.Sum256(b)
		etag := `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`
		w.Header().Set("ETag", etag)
		w.Header().Set("Cache-Control", "max-age=300")
		if r.Header.Get("If-None-Match") == etag && p.broken != "etag" {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		p.answer(w, caller, nonce, map[string]any{"catalogue": cat})
	case "/network/v1/decisions":
		var in struct {
			Questions []omadata.NetworkQuestion `json:"questions"`
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil || len(in.Questions) < 1 || len(in.Questions) > 1000 {
			p.problem(w, 400, "invalid")
			return
		}
		if p.broken == "unknown-resident" {
			p.answer(w, caller, nonce, map[string]any{"decisions": []map[string]string{{"outcome": "deny"}}})
			return
		}
		p.problem(w, 404, "unknown_resident") // it issued no pseudonyms to anyone
	default:
		p.problem(w, 404, "not_found")
	}
}
