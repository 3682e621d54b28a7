// SPDX-License-Identifier: Apache-2.0

package network_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/httpsig"
	"github.com/omadata/omadata/internal/network"
	"github.com/omadata/omadata/internal/skips"
	"github.com/omadata/omadata/internal/store/storetest"
	"github.com/prometheus/client_golang/prometheus"
)

// TestMain says in one line which tests skipped for want of PostgreSQL.
func TestMain(m *testing.M) { os.Exit(skips.Main(m)) }

// member is an operator with a federation key.
type member struct {
	id, kid string
	key     ed25519.PrivateKey
	jwk     jose.JSONWebKey
}

func newMember(t testing.TB, id string) member {
	t.Helper()
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	jwk := jose.JSONWebKey{Key: pub, Use: "sig", Algorithm: string(jose.EdDSA)}
	tp, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	jwk.KeyID = base64.RawURLEncoding.EncodeToString(tp)
	return member{id: id, kid: jwk.KeyID, key: key, jwk: jwk}
}

// keys is the network as the callee resolved it: each operator's keys, or
// the error resolving it gives.
type keys struct {
	mu  sync.Mutex
	set map[string]jose.JSONWebKeySet
	err map[string]error
}

func newKeys(ms ...member) *keys {
	k := &keys{set: map[string]jose.JSONWebKeySet{}, err: map[string]error{}}
	for _, m := range ms {
		k.set[m.id] = jose.JSONWebKeySet{Keys: []jose.JSONWebKey{m.jwk.Public()}}
	}
	return k
}

func (k *keys) CallerKeys(_ context.Context, id string) (jose.JSONWebKeySet, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.err[id]; err != nil {
		return jose.JSONWebKeySet{}, err
	}
	if s, ok := k.set[id]; ok {
		return s, nil
	}
	return jose.JSONWebKeySet{}, network.Refuse(network.ReasonNotMember, id+" is not a member.")
}

// callee is an operator's network endpoint: a Guard over an echo handler
// that answers, signed, with the body and the caller it was given.
type callee struct {
	member
	srv  *httptest.Server
	v    *network.Verifier
	reg  *prometheus.Registry
	logs *bytes.Buffer
}

type echo struct {
	Caller string `json:"caller"`
	Body   string `json:"body"`
}

func newCallee(t *testing.T, ks network.Keys, replay network.Replay, operatorID string) *callee {
	t.Helper()
	c := &callee{reg: prometheus.NewRegistry(), logs: &bytes.Buffer{}}
	c.v = &network.Verifier{Keys: ks, Replay: replay}
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: c.logs}, nil))
	guard := network.NewGuard(c.v, logger, c.reg)
	c.srv = httptest.NewServer(guard.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		call, _ := network.CallFromContext(r.Context())
		body, _ := io.ReadAll(r.Body)
		jws, err := network.SignAnswer(network.ClaimsFor(call, c.id, time.Now()),
			echo{Caller: omadata.CallerFromContext(r.Context()).OperatorID, Body: string(body)}, c.kid, c.key)
		if err != nil {
			t.Error(err)
		}
		network.WriteAnswer(w, http.StatusOK, jws)
	})))
	t.Cleanup(c.srv.Close)
	if operatorID == "" {
		operatorID = c.srv.URL
	}
	c.member = newMember(t, operatorID)
	c.v.OperatorID = operatorID
	return c
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// signed returns a call from m to url, signed as section 3 says; mutate,
// if given, changes the signature's input before it is signed.
func signed(t *testing.T, m member, url string, body []byte, now time.Time, mutate func(*httpsig.Input)) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := network.Sign(req, body, m.id, m.kid, m.key, now); err != nil {
		t.Fatal(err)
	}
	if mutate != nil {
		sig, err := httpsig.Parse(req.Header, network.Label)
		if err != nil {
			t.Fatal(err)
		}
		mutate(&sig.Input)
		req.Header.Del("Signature")
		req.Header.Del("Signature-Input")
		if err := httpsig.Sign(httpsig.Request(req), network.Label, sig.Input, httpsig.Ed25519, m.key); err != nil {
			t.Fatal(err)
		}
	}
	return req
}

// send sends req with body (again, if it was sent before) and returns the
// status and the problem document of a refusal.
func send(t *testing.T, req *http.Request, body []byte) (int, network.Problem) {
	t.Helper()
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p network.Problem
	if resp.StatusCode != http.StatusOK {
		if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("Content-Type: got %s, want application/problem+json", ct)
		}
		if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
			t.Fatal(err)
		}
		if p.Type != "https://omadata.fi/problems/network/"+p.Reason || p.Status != resp.StatusCode || p.Title == "" {
			t.Errorf("problem document: %+v", p)
		}
	}
	return resp.StatusCode, p
}

// setParam sets a signature parameter.
func setParam(in *httpsig.Input, key string, v any) {
	for i := range in.Params {
		if in.Params[i].Key == key {
			in.Params[i].Value = v
			return
		}
	}
	in.Params = append(in.Params, httpsig.Param{Key: key, Value: v})
}

// TestRefusals sends a call refused for each reason of section 3 to a real
// server and checks the status and problem document, the log line and the
// counter of each.
func TestRefusals(t *testing.T) {
	caller := newMember(t, "https://espoo.example")
	suspended, removed, down := newMember(t, "https://turku.example"), newMember(t, "https://vantaa.example"), newMember(t, "https://lahti.example")
	stranger := newMember(t, "https://stranger.example")
	ks := newKeys(caller, suspended, removed, down)
	ks.err[suspended.id] = network.Refuse(network.ReasonSuspendedMember, "")
	ks.err[removed.id] = network.Refuse(network.ReasonRemovedMember, "")
	ks.err[down.id] = errors.New("the anchor does not answer")
	c := newCallee(t, ks, storetest.OpenSQLite(t), "")
	url := c.srv.URL + "/network/v1/echo"
	body := []byte(`{"secret body": "never logged"}`)
	now := time.Now()
	otherKey := newMember(t, caller.id)
	otherKey.kid = caller.kid // the caller's kid, another key

	cases := []struct {
		name, reason string
		status       int
		req          func() (*http.Request, []byte)
	}{
		{"unsigned", network.ReasonUnsigned, 401, func() (*http.Request, []byte) {
			req, _ := http.NewRequest(http.MethodPost, url, nil)
			return req, body
		}},
		{"no net label", network.ReasonUnsigned, 401, func() (*http.Request, []byte) {
			req := signed(t, caller, url, body, now, nil)
			for _, h := range []string{"Signature", "Signature-Input"} {
				req.Header.Set(h, strings.Replace(req.Header.Get(h), "net=", "other=", 1))
			}
			return req, body
		}},
		{"not a dictionary", network.ReasonMalformed, 401, func() (*http.Request, []byte) {
			req := signed(t, caller, url, body, now, nil)
			req.Header.Set("Signature-Input", "net=((")
			return req, body
		}},
		{"a component missing", network.ReasonMalformed, 401, func() (*http.Request, []byte) {
			return signed(t, caller, url, body, now, func(in *httpsig.Input) { in.Components = in.Components[:2] }), body
		}},
		{"a short nonce", network.ReasonMalformed, 401, func() (*http.Request, []byte) {
			return signed(t, caller, url, body, now, func(in *httpsig.Input) { setParam(in, "nonce", "short") }), body
		}},
		{"a lifetime over 300 s", network.ReasonMalformed, 401, func() (*http.Request, []byte) {
			return signed(t, caller, url, body, now, func(in *httpsig.Input) { setParam(in, "expires", now.Unix()+301) }), body
		}},
		{"another algorithm", network.ReasonMalformed, 401, func() (*http.Request, []byte) {
			return signed(t, caller, url, body, now, func(in *httpsig.Input) { setParam(in, "alg", "hmac-sha256") }), body
		}},
		{"wrong tag", network.ReasonWrongTag, 401, func() (*http.Request, []byte) {
			return signed(t, caller, url, body, now, func(in *httpsig.Input) { setParam(in, "tag", "omadata-network/0") }), body
		}},
		{"wrong audience", network.ReasonWrongAudience, 401, func() (*http.Request, []byte) {
			// Signed for another operator, then sent here as it was signed.
			req := signed(t, caller, "https://helsinki.example/network/v1/echo", body, now, nil)
			target, _ := req.URL.Parse(url)
			req.URL = target
			req.Host = "helsinki.example"
			return req, body
		}},
		{"expired", network.ReasonExpired, 401, func() (*http.Request, []byte) {
			return signed(t, caller, url, body, now.Add(-2*time.Minute), nil), body
		}},
		{"created in the future", network.ReasonExpired, 401, func() (*http.Request, []byte) {
			return signed(t, caller, url, body, now.Add(2*time.Minute), nil), body
		}},
		{"digest mismatch", network.ReasonDigestMismatch, 401, func() (*http.Request, []byte) {
			return signed(t, caller, url, body, now, nil), []byte(`{"secret body": "changed"}`)
		}},
		{"not member", network.ReasonNotMember, 403, func() (*http.Request, []byte) {
			return signed(t, stranger, url, body, now, nil), body
		}},
		{"suspended member", network.ReasonSuspendedMember, 403, func() (*http.Request, []byte) {
			return signed(t, suspended, url, body, now, nil), body
		}},
		{"removed member", network.ReasonRemovedMember, 403, func() (*http.Request, []byte) {
			return signed(t, removed, url, body, now, nil), body
		}},
		{"chain unavailable", network.ReasonUnavailable, 503, func() (*http.Request, []byte) {
			return signed(t, down, url, body, now, nil), body
		}},
		{"unknown kid", network.ReasonBadSignature, 401, func() (*http.Request, []byte) {
			m := caller
			m.kid = "unknown-kid"
			return signed(t, m, url, body, now, nil), body
		}},
		{"bad signature", network.ReasonBadSignature, 401, func() (*http.Request, []byte) {
			return signed(t, otherKey, url, body, now, nil), body
		}},
		{"signed for another path", network.ReasonBadSignature, 401, func() (*http.Request, []byte) {
			req := signed(t, caller, c.srv.URL+"/network/v1/other", body, now, nil)
			req.URL.Path = "/network/v1/echo"
			return req, body
		}},
		{"too large", network.ReasonTooLarge, 413, func() (*http.Request, []byte) {
			big := bytes.Repeat([]byte("a"), network.MaxBody+1)
			return signed(t, caller, url, big, now, nil), big
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, b := tc.req()
			status, p := send(t, req, b)
			if status != tc.status || p.Reason != tc.reason {
				t.Fatalf("got %d %s (%s), want %d %s", status, p.Reason, p.Detail, tc.status, tc.reason)
			}
		})
	}

	t.Run("replayed", func(t *testing.T) {
		req := signed(t, caller, url, body, now, nil)
		if status, p := send(t, req, body); status != 200 {
			t.Fatalf("first: got %d %s", status, p.Reason)
		}
		if status, p := send(t, req, body); status != 401 || p.Reason != network.ReasonReplayed {
			t.Fatalf("again: got %d %s, want 401 replayed", status, p.Reason)
		}
	})

	// Each refusal is counted by its reason and logged with the reason,
	// the claimed operator and the path, never the body.
	want := map[string]float64{}
	for _, tc := range cases {
		want[tc.reason]++
	}
	want[network.ReasonReplayed]++
	if got := refusals(t, c.reg); !equalCounts(got, want) {
		t.Errorf("omadata_network_refusals_total: got %v, want %v", got, want)
	}
	logs := c.logs.String()
	for _, s := range []string{"reason=digest_mismatch", "operator=https://espoo.example", "path=/network/v1/echo", "reason=suspended_member status=403 operator=https://turku.example", "the anchor does not answer"} {
		if !strings.Contains(logs, s) {
			t.Errorf("the log has no %q:\n%s", s, logs)
		}
	}
	if strings.Contains(logs, "secret body") {
		t.Errorf("the log has the body:\n%s", logs)
	}
}

func refusals(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "omadata_network_refusals_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			got[m.GetLabel()[0].GetValue()] = m.GetCounter().GetValue()
		}
	}
	return got
}

func equalCounts(a, b map[string]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestCall makes a passing call through the Client: the handler sees the
// verified caller, and the Client returns the callee's verified answer,
// bound to the call's nonce. An empty body is signed too.
func TestCall(t *testing.T) {
	caller := newMember(t, "https://espoo.example")
	ks := newKeys(caller)
	c := newCallee(t, ks, storetest.OpenSQLite(t), "")
	ks.set[c.id] = jose.JSONWebKeySet{Keys: []jose.JSONWebKey{c.jwk.Public()}}
	client := &network.Client{OperatorID: caller.id, KeyID: caller.kid, Key: caller.key, Keys: ks}
	for _, body := range [][]byte{[]byte(`{"questions": []}`), nil} {
		resp, err := client.Do(context.Background(), c.id, http.MethodPost, c.srv.URL+"/network/v1/decisions", body)
		if err != nil {
			t.Fatal(err)
		}
		var got echo
		if err := json.Unmarshal(resp.Answer.Payload, &got); err != nil {
			t.Fatal(err)
		}
		if resp.Status != 200 || got.Caller != caller.id || got.Body != string(body) {
			t.Errorf("got %d %+v, want 200 from %s with %q", resp.Status, got, caller.id, body)
		}
		if a := resp.Answer; a.Issuer != c.id || a.Audience != caller.id || a.KeyID != c.kid || len(a.Nonce) != 22 {
			t.Errorf("answer claims: %+v", a.AnswerClaims)
		}
	}
	// A refusal comes back as the callee's *Refusal.
	stranger := newMember(t, "https://stranger.example")
	client.OperatorID, client.KeyID, client.Key = stranger.id, stranger.kid, stranger.key
	_, err := client.Do(context.Background(), c.id, http.MethodGet, c.srv.URL+"/network/v1/catalogue", nil)
	var rf *network.Refusal
	if !errors.As(err, &rf) || rf.Reason != network.ReasonNotMember || rf.Status != 403 {
		t.Fatalf("got %v, want a not_member refusal", err)
	}
}

// TestCallAnswerChecked: the Client refuses an answer signed by a key that
// is not the callee's.
func TestCallAnswerChecked(t *testing.T) {
	caller := newMember(t, "https://espoo.example")
	ks := newKeys(caller)
	c := newCallee(t, ks, storetest.OpenSQLite(t), "")
	impostor := newMember(t, c.id)
	ks.set[c.id] = jose.JSONWebKeySet{Keys: []jose.JSONWebKey{impostor.jwk.Public()}}
	client := &network.Client{OperatorID: caller.id, KeyID: caller.kid, Key: caller.key, Keys: ks}
	_, err := client.Do(context.Background(), c.id, http.MethodPost, c.srv.URL+"/network/v1/decisions", []byte(`{}`))
	var ae *network.AnswerError
	if !errors.As(err, &ae) || ae.Check != "kid" {
		t.Fatalf("got %v, want an answer whose kid does not check", err)
	}
}

// TestReplayAcrossInstances: two instances of one operator on one
// PostgreSQL database; a call accepted by one is refused as replayed by
// the other.
func TestReplayAcrossInstances(t *testing.T) {
	dsn := storetest.PostgresSchema(t, storetest.PostgresDSN(t))
	caller := newMember(t, "https://espoo.example")
	ks := newKeys(caller)
	one := newCallee(t, ks, storetest.OpenURL(t, dsn), "")
	two := newCallee(t, ks, storetest.OpenURL(t, dsn), one.id) // behind one name, as behind a load balancer
	body := []byte(`{"questions": []}`)
	req := signed(t, caller, one.srv.URL+"/network/v1/decisions", body, time.Now(), nil)
	if status, p := send(t, req, body); status != 200 {
		t.Fatalf("instance one: got %d %s", status, p.Reason)
	}
	u, _ := url.Parse(two.srv.URL)
	req.URL.Host = u.Host
	req.Host = strings.TrimPrefix(one.id, "http://")
	if status, p := send(t, req, body); status != 401 || p.Reason != network.ReasonReplayed {
		t.Fatalf("instance two: got %d %s, want 401 replayed", status, p.Reason)
	}
	if got := refusals(t, two.reg); got[network.ReasonReplayed] != 1 {
		t.Errorf("instance two counted %v", got)
	}
	// A fresh call to instance two passes.
	req = signed(t, caller, one.srv.URL+"/network/v1/decisions", body, time.Now(), nil)
	req.URL.Host = u.Host
	if status, p := send(t, req, body); status != 200 {
		t.Fatalf("a fresh call to instance two: got %d %s", status, p.Reason)
	}
}

// TestSignShape: Sign writes section 3's fields exactly.
func TestSignShape(t *testing.T) {
	m := newMember(t, "https://espoo.example")
	req, _ := http.NewRequest(http.MethodPost, "https://helsinki.example/network/v1/decisions", nil)
	now := time.Unix(1767225600, 0)
	if err := network.Sign(req, []byte{}, m.id, m.kid, m.key, now); err != nil {
		t.Fatal(err)
	}
	if got := req.Header.Get("Content-Digest"); got != "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:" {
		t.Errorf("Content-Digest: %s", got)
	}
	in := req.Header.Get("Signature-Input")
	prefix := `net=("@method" "@target-uri" "content-digest");created=1767225600;expires=1767225660;nonce="`
	suffix := `";tag="omadata-network/1";keyid="https://espoo.example#` + m.kid + `";alg="ed25519"`
	if !strings.HasPrefix(in, prefix) || !strings.HasSuffix(in, suffix) || len(in) != len(prefix)+22+len(suffix) {
		t.Errorf("Signature-Input: %s", in)
	}
	sig, err := httpsig.Parse(req.Header, "net")
	if err != nil {
		t.Fatal(err)
	}
	base, _ := httpsig.Base(httpsig.Request(req), sig.Input)
	if !ed25519.Verify(m.key.Public().(ed25519.PublicKey), base, sig.Value) {
		t.Error("the signature does not verify over section 3's base")
	}
	wantBase := "\"@method\": POST\n\"@target-uri\": https://helsinki.example/network/v1/decisions\n\"content-digest\": sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:\n\"@signature-params\": " + strings.TrimPrefix(in, "net=")
	if string(base) != wantBase {
		t.Errorf("base:\n%s\nwant:\n%s", base, wantBase)
	}
	other := newMember(t, m.id)
	req2, _ := http.NewRequest(http.MethodPost, "https://helsinki.example/network/v1/decisions", nil)
	network.Sign(req2, nil, other.id, other.kid, other.key, now)
	if nonce := func(r *http.Request) string {
		s, _ := httpsig.Parse(r.Header, "net")
		n, _ := s.Input.String("nonce")
		return n
	}; nonce(req) == nonce(req2) {
		t.Error("two calls share a nonce")
	}
}
