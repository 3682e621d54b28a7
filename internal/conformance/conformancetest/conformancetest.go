// SPDX-License-Identifier: Apache-2.0

// Package conformancetest runs, for tests, a minimal member of the
// network and a trust anchor, written from docs/network.md alone with
// go-jose and the standard library (none of the checker's code, none of
// omadata's network code), so that the checker and they test each other.
// A member can be broken in one named way (Variants), to show that the
// checker fails exactly the check of that way.
package conformancetest

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
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

// Variants are the ways a Member can be broken, each with the check of
// internal/conformance that must fail because of it.
var Variants = map[string]string{
	"media-type":        "entity-configuration/media-type",      // entity configuration as application/jwt
	"not-a-jws":         "entity-configuration/header",          // entity configuration "hello"
	"header":            "entity-configuration/header",          // typ JWT
	"claims":            "entity-configuration/claims",          // exp 48 h after iat
	"keys":              "entity-configuration/keys",            // a kid that is not the thumbprint
	"self-signed":       "entity-configuration/keys",            // its own jwks lacks its signing key
	"authority-hints":   "entity-configuration/authority-hints", // none
	"metadata":          "entity-configuration/metadata",        // no log_verifier_key
	"witness-key":       "entity-configuration/metadata",        // a witness_verifier_key that is a log key
	"log-origin":        "entity-configuration/metadata",        // another operator's log_origin, with a key of that name
	"witness-name":      "entity-configuration/metadata",        // a witness_verifier_key named as another operator's witness
	"trust-chain":       "trust-chain",                          // signed with a key the anchor does not hold
	"trust-mark":        "trust-mark",                           // the trust mark's signature altered
	"unsigned":          "call/unsigned",                        // accepts unsigned calls
	"wrong-tag":         "call/wrong-tag",                       // ignores the tag
	"wrong-audience":    "call/wrong-audience",                  // ignores @target-uri's host
	"expired":           "call/expired",                         // ignores created and expires
	"changed-body":      "call/changed-body",                    // ignores Content-Digest
	"replayed-nonce":    "call/replayed-nonce",                  // keeps no nonces
	"unknown-kid":       "call/unknown-kid",                     // verifies no signature
	"non-member":        "call/non-member",                      // takes the caller's keys from its own configuration
	"answer-nonce":      "answer/signed",                        // answers with another nonce
	"answer-typ":        "answer/signed",                        // answers with typ JWT
	"catalogue-content": "catalogue/content",                    // another operator_id in its catalogue
	"etag":              "catalogue/etag",                       // ignores If-None-Match
	"unknown-resident":  "decisions/unknown-resident",           // answers a question about any pseudonym
	"body-size":         "limits/body-size",
	"questions":         "limits/questions", // takes any number of questions                     // takes bodies up to 4 MiB
}

const (
	tag          = "omadata-network/1"
	mediaES      = "application/entity-statement+jwt"
	mediaProblem = "application/problem+json"
	maxBody      = 1 << 20
)

// NewKey returns a fresh Ed25519 federation key, private, its kid the
// RFC 7638 thumbprint (docs/network.md §1).
func NewKey(t testing.TB) *jose.JSONWebKey {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k := &jose.JSONWebKey{Key: priv, Algorithm: "EdDSA", Use: "sig"}
	pub := k.Public()
	tp, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	k.KeyID = base64.RawURLEncoding.EncodeToString(tp)
	return k
}

// PublicSet is the public JWK Set of keys.
func PublicSet(keys ...*jose.JSONWebKey) jose.JSONWebKeySet {
	var s jose.JSONWebKeySet
	for _, k := range keys {
		s.Keys = append(s.Keys, k.Public())
	}
	return s
}

func sign(t testing.TB, key *jose.JSONWebKey, typ string, claims any) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: key}, (&jose.SignerOptions{}).WithType(jose.ContentType(typ)))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	o, err := s.Sign(b)
	if err != nil {
		t.Fatal(err)
	}
	c, err := o.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// verified verifies a compact JWS with keys (the key of its kid) and
// returns its payload.
func verified(raw string, keys *jose.JSONWebKeySet) ([]byte, bool) {
	j, err := jose.ParseSigned(raw, []jose.SignatureAlgorithm{jose.EdDSA})
	if err != nil || len(j.Signatures) != 1 || keys == nil {
		return nil, false
	}
	k := keys.Key(j.Signatures[0].Protected.KeyID)
	if len(k) == 0 {
		return nil, false
	}
	b, err := j.Verify(k[0].Public())
	return b, err == nil
}

func startServer(t testing.TB, h func(w http.ResponseWriter, r *http.Request)) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(h))
	t.Cleanup(srv.Close)
	return srv
}

// Anchor is a trust anchor (docs/network.md §2.1–2.3) that holds its
// members' keys in memory.
type Anchor struct {
	ID       string
	Key      *jose.JSONWebKey
	Rulebook int
	// TrustMarkPath is where it serves and advertises its trust mark
	// endpoint (federation_trust_mark_endpoint); "": /trust-mark.
	TrustMarkPath string

	t       testing.TB
	mu      sync.Mutex
	members map[string]jose.JSONWebKeySet
	status  map[string]string
}

func (a *Anchor) trustMarkPath() string {
	if a.TrustMarkPath == "" {
		return "/trust-mark"
	}
	return a.TrustMarkPath
}

// NewAnchor starts an anchor, closed when t ends.
func NewAnchor(t testing.TB) *Anchor {
	a := &Anchor{t: t, Key: NewKey(t), Rulebook: 1, members: map[string]jose.JSONWebKeySet{}, status: map[string]string{}}
	a.ID = startServer(t, a.serveHTTP).URL
	return a
}

// Admit makes entity an active member with keys.
func (a *Anchor) Admit(entity string, keys jose.JSONWebKeySet) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.members[entity], a.status[entity] = keys, omadata.MemberActive
}

// JWKS is the anchor's public keys.
func (a *Anchor) JWKS() *jose.JSONWebKeySet {
	s := PublicSet(a.Key)
	return &s
}

func (a *Anchor) serveHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	sub := r.URL.Query().Get("sub")
	a.mu.Lock()
	keys, known := a.members[sub]
	status := a.status[sub]
	a.mu.Unlock()
	switch r.URL.Path {
	case "/.well-known/openid-federation":
		w.Header().Set("Content-Type", mediaES)
		io.WriteString(w, sign(a.t, a.Key, "entity-statement+jwt", map[string]any{
			"iss": a.ID, "sub": a.ID, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
			"jwks": PublicSet(a.Key),
			"metadata": map[string]any{"federation_entity": map[string]any{
				"federation_fetch_endpoint": a.ID + "/fetch", "federation_list_endpoint": a.ID + "/list",
				"federation_trust_mark_endpoint": a.ID + a.trustMarkPath(),
				"organization_name":              "Test network"}},
			"trust_mark_issuers": map[string][]string{a.ID + "/trust-marks/member": {a.ID}},
		}))
	case "/fetch":
		if !known || status != omadata.MemberActive {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			body := map[string]string{"error": "not_found", "error_description": "not an active member"}
			if known {
				body["omadata_member_status"] = status
			}
			json.NewEncoder(w).Encode(body)
			return
		}
		w.Header().Set("Content-Type", mediaES)
		io.WriteString(w, sign(a.t, a.Key, "entity-statement+jwt", map[string]any{
			"iss": a.ID, "sub": sub, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "jwks": keys,
			"metadata_policy": map[string]any{"omadata_operator": map[string]any{
				"operator_id": map[string]any{"value": sub}, "base_url": map[string]any{"value": sub}}},
		}))
	case a.trustMarkPath():
		if !known || status != omadata.MemberActive || r.URL.Query().Get("trust_mark_type") != a.ID+"/trust-marks/member" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/trust-mark+jwt")
		io.WriteString(w, sign(a.t, a.Key, "trust-mark+jwt", map[string]any{
			"iss": a.ID, "sub": sub, "trust_mark_type": a.ID + "/trust-marks/member",
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "rulebook_version": a.Rulebook,
		}))
	default:
		http.NotFound(w, r)
	}
}

// Member is a minimal member: it serves its entity configuration and a
// catalogue of one source and answers decisions (it issued no
// pseudonyms), verifying every call as docs/network.md §3 says, unless
// Broken names the one thing it gets wrong.
type Member struct {
	ID     string
	Key    *jose.JSONWebKey // signs; the key to admit it with
	Broken string
	// Network, if set, serves the network endpoint (/network/v1/…) in
	// place of the member's own: to run another implementation of
	// section 3 behind this member's entity configuration.
	Network http.Handler

	t          testing.TB
	anchor     string
	anchorKeys *jose.JSONWebKeySet
	other      *jose.JSONWebKey // a second key of its own the anchor does not hold
	logKey     string

	mu     sync.Mutex
	nonces map[string]bool
	mark   string
}

// NewMember starts a member of the network of the anchor at anchorID with
// keys anchorKeys, broken in the way broken names (a key of Variants) or
// not at all (""). The anchor must admit it (with PublicSet(m.Key))
// before it serves its entity configuration with a trust mark.
func NewMember(t testing.TB, anchorID string, anchorKeys *jose.JSONWebKeySet, broken string) *Member {
	if _, ok := Variants[broken]; !ok && broken != "" && broken != "problem-reason" {
		t.Fatalf("conformancetest: no variant %q", broken)
	}
	m := &Member{t: t, anchor: anchorID, anchorKeys: anchorKeys, Key: NewKey(t), other: NewKey(t),
		Broken: broken, nonces: map[string]bool{}}
	m.ID = startServer(t, m.serveHTTP).URL
	u, _ := url.Parse(m.ID)
	_, vk, err := note.GenerateKey(rand.Reader, u.Host+"/log")
	if err != nil {
		t.Fatal(err)
	}
	m.logKey = vk
	return m
}

func (m *Member) serveHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/.well-known/openid-federation":
		m.serveConfiguration(w, r)
	case strings.HasPrefix(r.URL.Path, "/network/v1/") && m.Network != nil:
		m.Network.ServeHTTP(w, r)
	case strings.HasPrefix(r.URL.Path, "/network/v1/"):
		caller, nonce, body, ok := m.verify(w, r)
		if ok {
			m.serveNetwork(w, r, caller, nonce, body)
		}
	default:
		http.NotFound(w, r)
	}
}

// trustMark fetches the member's trust mark from the anchor
// (docs/network.md §2.3), once.
func (m *Member) trustMark(r *http.Request) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.mark != "" {
		return m.mark
	}
	q := url.Values{"trust_mark_type": {m.anchor + "/trust-marks/member"}, "sub": {m.ID}}
	req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, m.anchor+"/trust-mark?"+q.Encode(), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusOK {
		m.mark = strings.TrimSpace(string(b))
	}
	return m.mark
}

func (m *Member) serveConfiguration(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	typ, hints, exp := "entity-statement+jwt", []string{m.anchor}, now.Add(time.Hour)
	keys, signer := PublicSet(m.Key, m.other), m.Key
	u, _ := url.Parse(m.ID)
	md := omadata.OperatorMetadata{
		OperatorID: m.ID, Name: omadata.Text{"fi": "Testikaupunki", "sv": "Teststad", "en": "Test city"},
		BaseURL: m.ID, NetworkEndpoint: m.ID + "/network/v1", CatalogueEndpoint: m.ID + "/network/v1/catalogue",
		LogEndpoint: m.ID + "/api/v1/log", LogOrigin: u.Host + "/log", LogVerifierKey: m.logKey,
	}
	mark := m.trustMark(r)
	switch m.Broken {
	case "header":
		typ = "JWT"
	case "claims":
		exp = now.Add(48 * time.Hour)
	case "keys":
		keys.Keys[1].KeyID = "key-2"
	case "self-signed":
		keys = PublicSet(m.other) // signed with m.Key, which the anchor holds
	case "authority-hints":
		hints = []string{}
	case "metadata":
		md.LogVerifierKey = ""
	case "witness-key":
		md.WitnessEndpoint, md.WitnessVerifierKey = m.ID+"/witness/v1", m.logKey
	case "log-origin":
		_, vk, err := note.GenerateKey(rand.Reader, "other.example/log")
		if err != nil {
			m.t.Error(err)
		}
		md.LogOrigin, md.LogVerifierKey = "other.example/log", vk
	case "witness-name":
		md.WitnessEndpoint, md.WitnessVerifierKey = m.ID+"/witness/v1", cosignatureKey(m.t, "other.example/witness")
	case "trust-chain":
		signer = m.other
	case "trust-mark":
		if mark != "" {
			c := []byte(mark)
			if c[len(c)-2] == 'A' { // a base64url character changed: a valid encoding, another signature
				c[len(c)-2] = 'B'
			} else {
				c[len(c)-2] = 'A'
			}
			mark = string(c)
		}
	}
	claims := map[string]any{
		"iss": m.ID, "sub": m.ID, "iat": now.Unix(), "exp": exp.Unix(), "jwks": keys, "authority_hints": hints,
		"metadata": map[string]any{
			"federation_entity": map[string]any{"organization_name": "Testikaupunki"},
			"omadata_operator":  md,
		},
	}
	if mark != "" {
		claims["trust_marks"] = []map[string]string{{"trust_mark_type": m.anchor + "/trust-marks/member", "trust_mark": mark}}
	}
	mt := mediaES
	if m.Broken == "media-type" {
		mt = "application/jwt"
	}
	w.Header().Set("Content-Type", mt)
	if m.Broken == "not-a-jws" {
		io.WriteString(w, "hello")
		return
	}
	io.WriteString(w, sign(m.t, signer, typ, claims))
}

func (m *Member) problem(w http.ResponseWriter, status int, reason string, field ...string) {
	shown := reason
	if m.Broken == "problem-reason" {
		shown = "refused"
	}
	w.Header().Set("Content-Type", mediaProblem)
	w.WriteHeader(status)
	doc := map[string]any{"type": "https://omadata.fi/problems/network/" + shown,
		"title": reason, "status": status, "detail": reason, "reason": shown}
	if len(field) > 0 {
		doc["field"] = field[0]
	}
	json.NewEncoder(w).Encode(doc)
}

var sigParam = regexp.MustCompile(`^([a-z]+)=("([^"]*)"|-?[0-9]+)$`)

// verify checks a signed call in the order of docs/network.md §3 and
// answers the first failure. It returns the caller, the nonce and the
// body.
func (m *Member) verify(w http.ResponseWriter, r *http.Request) (caller, nonce string, body []byte, ok bool) {
	input, hasInput := strings.CutPrefix(r.Header.Get("Signature-Input"), "net=")
	sigField, hasSig := strings.CutPrefix(r.Header.Get("Signature"), "net=")
	if !hasInput || !hasSig {
		if m.Broken == "unsigned" {
			body, _ = io.ReadAll(r.Body)
			return "", "", body, true
		}
		m.problem(w, 401, "unsigned")
		return
	}
	rest, found := strings.CutPrefix(input, `("@method" "@target-uri" "content-digest")`)
	sig, err := base64.StdEncoding.DecodeString(strings.Trim(sigField, ":"))
	if !found || err != nil || len(sigField) < 2 || sigField[0] != ':' || sigField[len(sigField)-1] != ':' {
		m.problem(w, 401, "malformed_signature")
		return
	}
	params := map[string]string{}
	var order []string
	for _, kv := range strings.Split(strings.TrimPrefix(rest, ";"), ";") {
		p := sigParam.FindStringSubmatch(kv)
		if p == nil {
			m.problem(w, 401, "malformed_signature")
			return
		}
		v := p[2]
		if strings.HasPrefix(v, `"`) {
			v = p[3]
		}
		params[p[1]] = v
		order = append(order, p[1])
	}
	created, err1 := strconv.ParseInt(params["created"], 10, 64)
	expires, err2 := strconv.ParseInt(params["expires"], 10, 64)
	caller, kid, hasKid := strings.Cut(params["keyid"], "#")
	nonce = params["nonce"]
	if strings.Join(order, ",") != "created,expires,nonce,tag,keyid,alg" || params["alg"] != "ed25519" ||
		err1 != nil || err2 != nil || !hasKid || expires-created < 1 || expires-created > 300 || len(nonce) < 16 || len(nonce) > 64 {
		m.problem(w, 401, "malformed_signature")
		return
	}
	if params["tag"] != tag && m.Broken != "wrong-tag" {
		m.problem(w, 401, "wrong_tag")
		return
	}
	// @target-uri as received (RFC 9421 §2.2.2): scheme, Host, path, query.
	target := "http://" + r.Host + r.URL.RequestURI()
	if !strings.HasPrefix(target, m.ID+"/") && m.Broken != "wrong-audience" {
		m.problem(w, 401, "wrong_audience")
		return
	}
	now := time.Now().Unix()
	if (created > now+60 || expires <= now) && m.Broken != "expired" {
		m.problem(w, 401, "expired")
		return
	}
	limit := int64(maxBody)
	if m.Broken == "body-size" {
		limit = 4 * maxBody
	}
	body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		m.problem(w, 413, "too_large")
		return
	}
	sum := sha256.Sum256(body)
	digest := "sha-256=:" + base64.StdEncoding.EncodeToString(sum[:]) + ":"
	if r.Header.Get("Content-Digest") != digest && m.Broken != "changed-body" {
		m.problem(w, 401, "digest_mismatch")
		return
	}
	keys, reason := m.resolve(r, caller)
	if reason != "" {
		status := 403
		if reason == "unavailable" {
			status = 503
		}
		m.problem(w, status, reason)
		return
	}
	base := `"@method": ` + r.Method + "\n" +
		`"@target-uri": ` + target + "\n" +
		`"content-digest": ` + r.Header.Get("Content-Digest") + "\n" +
		`"@signature-params": ` + input
	k := keys.Key(kid)
	if m.Broken != "unknown-kid" && (len(k) == 0 || !ed25519.Verify(k[0].Key.(ed25519.PublicKey), []byte(base), sig)) {
		m.problem(w, 401, "bad_signature")
		return
	}
	m.mu.Lock()
	seen := m.nonces[caller+" "+nonce]
	m.nonces[caller+" "+nonce] = true
	m.mu.Unlock()
	if seen && m.Broken != "replayed-nonce" {
		m.problem(w, 401, "replayed")
		return
	}
	return caller, nonce, body, true
}

func get(r *http.Request, u string) ([]byte, int, bool) {
	req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, u, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, 0, false
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	return b, resp.StatusCode, err == nil
}

// resolve returns the caller's keys from the anchor's subordinate
// statement about it (docs/network.md §2.4; the caller's own
// configuration adds nothing this member uses), or why it is refused.
func (m *Member) resolve(r *http.Request, caller string) (*jose.JSONWebKeySet, string) {
	var st struct {
		Sub      string              `json:"sub"`
		JWKS     *jose.JSONWebKeySet `json:"jwks"`
		Metadata struct {
			FE struct {
				Fetch string `json:"federation_fetch_endpoint"`
			} `json:"federation_entity"`
		} `json:"metadata"`
	}
	if m.Broken == "non-member" {
		// Broken: believes the caller's own configuration, a second key
		// channel the anchor never vouched for.
		b, status, ok := get(r, caller+"/.well-known/openid-federation")
		j, err := jose.ParseSigned(strings.TrimSpace(string(b)), []jose.SignatureAlgorithm{jose.EdDSA})
		if !ok || status != 200 || err != nil || json.Unmarshal(j.UnsafePayloadWithoutVerification(), &st) != nil {
			return nil, "not_member"
		}
		return st.JWKS, ""
	}
	b, status, ok := get(r, m.anchor+"/.well-known/openid-federation")
	payload, verifiedOK := verified(strings.TrimSpace(string(b)), m.anchorKeys)
	if !ok || status != 200 || !verifiedOK || json.Unmarshal(payload, &st) != nil || st.Metadata.FE.Fetch == "" {
		return nil, "unavailable"
	}
	anchorKeys := st.JWKS
	b, status, ok = get(r, st.Metadata.FE.Fetch+"?"+url.Values{"sub": {caller}}.Encode())
	if !ok {
		return nil, "unavailable"
	}
	if status == http.StatusNotFound {
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
	payload, verifiedOK = verified(strings.TrimSpace(string(b)), anchorKeys)
	st.Sub, st.JWKS = "", nil
	if status != 200 || !verifiedOK || json.Unmarshal(payload, &st) != nil || st.Sub != caller {
		return nil, "unavailable"
	}
	return st.JWKS, ""
}

// answer writes a signed answer (docs/network.md §4).
func (m *Member) answer(w http.ResponseWriter, caller, nonce string, members map[string]any) {
	now := time.Now()
	claims := map[string]any{"iss": m.ID, "aud": caller, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "nonce": nonce}
	for k, v := range members {
		claims[k] = v
	}
	typ := "omadata-answer+jwt"
	switch m.Broken {
	case "answer-nonce":
		claims["nonce"] = "AAAAAAAAAAAAAAAAAAAAAA"
	case "answer-typ":
		typ = "JWT"
	}
	w.Header().Set("Content-Type", "application/jwt")
	io.WriteString(w, sign(m.t, m.Key, typ, claims))
}

func (m *Member) serveNetwork(w http.ResponseWriter, r *http.Request, caller, nonce string, body []byte) {
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/network/v1/catalogue":
		cat := omadata.NetworkCatalogue{OperatorID: m.ID, IssuedAt: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
			Sources: []*omadata.NetworkSource{{ID: "svc_0000000000000000000000000a", API: m.ID + "/source",
				DataGroups: []*omadata.DataGroup{{ID: "dg_0000000000000000000000000b"}}}},
			Processings: []*omadata.CatalogueEntry{}}
		if m.Broken == "catalogue-content" {
			cat.OperatorID = "https://elsewhere.example"
		}
		b, _ := json.Marshal(cat)
		sum := sha256.Sum256(b)
		etag := `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`
		w.Header().Set("ETag", etag)
		w.Header().Set("Cache-Control", "max-age=300")
		if r.Header.Get("If-None-Match") == etag && m.Broken != "etag" {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		m.answer(w, caller, nonce, map[string]any{"catalogue": cat})
	case r.Method == http.MethodPost && r.URL.Path == "/network/v1/decisions":
		var in struct {
			Questions []omadata.NetworkQuestion `json:"questions"`
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			m.problem(w, 400, "invalid")
			return
		} else if n := len(in.Questions); n < 1 || (n > 1000 && m.Broken != "questions") {
			m.problem(w, 400, "invalid", "questions")
			return
		}
		if m.Broken == "unknown-resident" {
			m.answer(w, caller, nonce, map[string]any{"decisions": []map[string]string{{"outcome": "deny"}}})
			return
		}
		m.problem(w, 404, "unknown_resident") // it issued no pseudonyms
	default:
		m.problem(w, 404, "not_found")
	}
}

// cosignatureKey is the verifier key of a new cosignature/v1 key named
// name (docs/witnessing.md §1; tlog-cosignature §Format): name, the
// first 4 bytes of SHA-256(name "\n" 0x04 key) in hex, and the base64 of
// 0x04 and the key.
func cosignatureKey(t testing.TB, name string) string {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k := append([]byte{0x04}, pub...)
	h := sha256.Sum256(append([]byte(name+"\n"), k...))
	return name + "+" + hex.EncodeToString(h[:4]) + "+" + base64.StdEncoding.EncodeToString(k)
}
