// SPDX-License-Identifier: Apache-2.0

package conformance

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"golang.org/x/mod/sumdb/note"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/witness"
)

// A check is one line of the table: its name, the sections of
// docs/network.md (and of the standard) it comes from, and the function
// that runs it. The function returns a one-line reason and nil to pass,
// a skip to skip, or an error to fail.
type check struct {
	name, section string
	run           func(ctx context.Context, s *state) (string, error)
}

// skipped is a check that could not run, with the reason.
type skipped struct{ reason string }

func (s *skipped) Error() string { return s.reason }

func skip(format string, args ...any) error { return &skipped{fmt.Sprintf(format, args...)} }

// checks are every check, in the order they run; later ones use what
// earlier ones learnt (the state).
var checks = []check{
	{"entity-configuration/media-type", "§2.1 (OIDF §9)", checkECMediaType},
	{"entity-configuration/header", "§2.1 (OIDF §3)", checkECHeader},
	{"entity-configuration/claims", "§2.1, §7 (OIDF §3)", checkECClaims},
	{"entity-configuration/keys", "§1, §2.1, §2.4 (OIDF §3, §10.2; RFC 7638)", checkECKeys},
	{"entity-configuration/authority-hints", "§2.1 (OIDF §3)", checkECAuthorityHints},
	{"entity-configuration/metadata", "§2.1 (OIDF §5)", checkECMetadata},
	{"trust-chain", "§2.2, §2.4 (OIDF §10, §6.1)", checkTrustChain},
	{"trust-mark", "§2.3, §2.4 (OIDF §7)", checkTrustMark},
	{"call/unsigned", "§3, §6 (RFC 9421 §3.2)", checkUnsigned},
	{"call/wrong-tag", "§3, §6 (RFC 9421 §2.3)", checkWrongTag},
	{"call/wrong-audience", "§3, §6 (RFC 9421 §2.2.2)", checkWrongAudience},
	{"call/expired", "§3, §6 (RFC 9421 §2.3, §3.2.1)", checkExpired},
	{"call/changed-body", "§3, §6 (RFC 9530 §2)", checkChangedBody},
	{"call/replayed-nonce", "§3, §6 (RFC 9421 §7.2.2)", checkReplayed},
	{"call/unknown-kid", "§3, §6 (RFC 9421 §3.2)", checkUnknownKID},
	{"call/non-member", "§2.2, §3, §6 (OIDF §8.1)", checkNonMember},
	{"answer/signed", "§4 (RFC 7515)", checkAnswerSigned},
	{"catalogue/content", "§5.1", checkCatalogueContent},
	{"catalogue/etag", "§5.1 (RFC 9110 §8.8.3, §13.1.2)", checkCatalogueETag},
	{"decisions/unknown-resident", "§5.3, §6", checkUnknownResident},
	{"limits/body-size", "§5, §6, §7", checkBodySize},
	{"limits/questions", "§5.3, §6, §7", checkTooManyQuestions},
}

// state is what a run has learnt of the peer so far.
type state struct {
	c *Checker

	ecErr    error // why there is no entity configuration
	parseErr error // why it does not parse
	ec       *compactJWS
	ecCl     *claims

	anchorKeys *jose.JSONWebKeySet // verified anchor keys (its configuration's)
	peerKeys   *jose.JSONWebKeySet // the subordinate statement's, after the chain verified
	meta       *omadata.OperatorMetadata

	answer      *claims         // the catalogue answer's claims, verified
	answerBody  json.RawMessage // its catalogue member
	answerETag  string
	answerCache string
}

// Check runs every check and returns their results in order.
func (c *Checker) Check(ctx context.Context) []Result {
	s := &state{c: c}
	out := make([]Result, 0, len(checks))
	for _, ch := range checks {
		r := Result{Check: ch.name, Section: ch.section, Status: Pass}
		reason, err := ch.run(ctx, s)
		var sk *skipped
		switch {
		case errors.As(err, &sk):
			r.Status, r.Reason = Skip, sk.reason
		case err != nil:
			r.Status, r.Reason = Fail, err.Error()
		default:
			r.Reason = reason
		}
		r.Reason = strings.Join(strings.Fields(r.Reason), " ")
		out = append(out, r)
	}
	return out
}

func mediaType(h http.Header) string {
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	return mt
}

// get fetches u, its body at most 1 MiB.
func (c *Checker) get(ctx context.Context, u string) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, err
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	return resp, b, err
}

// statement fetches an entity statement from u and parses it, unverified.
func (c *Checker) statement(ctx context.Context, u string) (*compactJWS, *claims, error) {
	resp, b, err := c.get(ctx, u)
	if err != nil {
		return nil, nil, err
	} else if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("GET %s answers %d", u, resp.StatusCode)
	}
	j, err := parseCompact(string(b))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", u, err)
	}
	cl, err := j.claims()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", u, err)
	}
	return j, cl, nil
}

// wellKnown is the entity configuration URL of an entity (OIDF §9).
func wellKnown(entity string) string { return entity + "/.well-known/openid-federation" }

func checkECMediaType(ctx context.Context, s *state) (string, error) {
	u := wellKnown(s.c.cfg.Peer)
	resp, b, err := s.c.get(ctx, u)
	if err != nil {
		s.ecErr = err
		return "", fmt.Errorf("GET %s: %w", u, err)
	} else if resp.StatusCode != http.StatusOK {
		s.ecErr = fmt.Errorf("GET %s answered %d", u, resp.StatusCode)
		return "", s.ecErr
	}
	if s.ec, s.parseErr = parseCompact(string(b)); s.parseErr == nil {
		s.ecCl, s.parseErr = s.ec.claims()
	}
	if mt := mediaType(resp.Header); mt != mediaEntityStatement {
		return "", fmt.Errorf("Content-Type is %q, want %s", resp.Header.Get("Content-Type"), mediaEntityStatement)
	}
	return "200, " + mediaEntityStatement, nil
}

// needEC skips a check that needs the peer's entity configuration.
func (s *state) needEC() error {
	if s.ecErr != nil {
		return skip("no entity configuration: %v", s.ecErr)
	} else if s.parseErr != nil {
		return skip("the entity configuration does not parse (entity-configuration/header)")
	}
	return nil
}

func checkECHeader(ctx context.Context, s *state) (string, error) {
	if s.parseErr != nil {
		return "", s.parseErr
	} else if err := s.needEC(); err != nil {
		return "", err
	}
	if err := s.ec.checkHeader(typEntityStatement); err != nil {
		return "", err
	}
	return "alg EdDSA, typ " + typEntityStatement + ", kid", nil
}

func checkECClaims(ctx context.Context, s *state) (string, error) {
	if err := s.needEC(); err != nil {
		return "", err
	}
	peer := s.c.cfg.Peer
	if s.ecCl.Iss != peer || s.ecCl.Sub != peer {
		return "", fmt.Errorf("iss %q and sub %q, want both %s", s.ecCl.Iss, s.ecCl.Sub, peer)
	}
	if err := s.ecCl.checkTimes(s.c.now(), maxStatementLife); err != nil {
		return "", err
	}
	return "iss = sub = " + peer + ", iat, exp within 24 h", nil
}

func checkECKeys(ctx context.Context, s *state) (string, error) {
	if err := s.needEC(); err != nil {
		return "", err
	}
	if err := checkFederationKeys(s.ecCl.JWKS); err != nil {
		return "", err
	}
	// An entity configuration is self-signed: it verifies with a key of
	// its own jwks, besides one of the anchor's statement about it (OIDF
	// §10.2, ES[0]; network.md §2.4 step 3).
	if err := s.ec.verify(s.ecCl.JWKS, "its own jwks"); err != nil {
		return "", err
	}
	return fmt.Sprintf("%d Ed25519 key(s), kid = RFC 7638 thumbprint, self-signed", len(s.ecCl.JWKS.Keys)), nil
}

func checkECAuthorityHints(ctx context.Context, s *state) (string, error) {
	if err := s.needEC(); err != nil {
		return "", err
	}
	if !slices.Equal(s.ecCl.AuthorityHints, []string{s.c.cfg.Anchor}) {
		return "", fmt.Errorf("authority_hints %q, want [%s]", s.ecCl.AuthorityHints, s.c.cfg.Anchor)
	}
	return "[" + s.c.cfg.Anchor + "]", nil
}

// decodeOperator decodes omadata_operator metadata.
func decodeOperator(m jsonObj) (*omadata.OperatorMetadata, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	var md omadata.OperatorMetadata
	if err := json.Unmarshal(b, &md); err != nil {
		return nil, fmt.Errorf("omadata_operator: %w", err)
	}
	return &md, nil
}

// checkOperatorMetadata checks that omadata_operator metadata is
// complete and names peer (docs/network.md §2.1).
func checkOperatorMetadata(md *omadata.OperatorMetadata, peer string) error {
	fields := []struct{ name, v string }{
		{"operator_id", md.OperatorID}, {"base_url", md.BaseURL},
		{"network_endpoint", md.NetworkEndpoint}, {"catalogue_endpoint", md.CatalogueEndpoint},
		{"log_endpoint", md.LogEndpoint}, {"log_origin", md.LogOrigin}, {"log_verifier_key", md.LogVerifierKey},
	}
	for _, f := range fields {
		if f.v == "" {
			return fmt.Errorf("omadata_operator.%s is missing", f.name)
		}
	}
	for _, lang := range []string{"fi", "sv", "en"} {
		if md.Name[lang] == "" {
			return fmt.Errorf("omadata_operator.name has no %q", lang)
		}
	}
	if md.OperatorID != peer || md.BaseURL != peer {
		return fmt.Errorf("omadata_operator.operator_id %q and base_url %q, want both %s", md.OperatorID, md.BaseURL, peer)
	}
	for _, f := range fields[2:5] {
		if u, err := url.Parse(f.v); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			return fmt.Errorf("omadata_operator.%s %q is not an http(s) URL", f.name, f.v)
		}
	}
	// The log's and the witness's names are bound to the entity ID
	// (§2.4 step 7): no member claims another's log or witness.
	if want := omadata.LogOrigin(peer); md.LogOrigin != want {
		return fmt.Errorf("omadata_operator.log_origin %q, want %q, the one of the entity ID", md.LogOrigin, want)
	}
	if v, err := note.NewVerifier(md.LogVerifierKey); err != nil {
		return fmt.Errorf("omadata_operator.log_verifier_key is not a signed-note verifier key: %w", err)
	} else if v.Name() != md.LogOrigin {
		return fmt.Errorf("omadata_operator.log_verifier_key is named %q, not log_origin %q", v.Name(), md.LogOrigin)
	}
	// The witness (docs/witnessing.md §1) is optional, for members of
	// older versions, but comes whole.
	switch {
	case md.WitnessEndpoint == "" && md.WitnessVerifierKey == "":
	case md.WitnessEndpoint == "" || md.WitnessVerifierKey == "":
		return errors.New("omadata_operator.witness_endpoint and witness_verifier_key come together or not at all")
	default:
		if u, err := url.Parse(md.WitnessEndpoint); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			return fmt.Errorf("omadata_operator.witness_endpoint %q is not an http(s) URL", md.WitnessEndpoint)
		}
		if v, err := witness.NewCosignatureVerifier(md.WitnessVerifierKey); err != nil {
			return fmt.Errorf("omadata_operator.witness_verifier_key is not a cosignature/v1 verifier key: %w", err)
		} else if want := omadata.WitnessName(peer); v.Name() != want {
			return fmt.Errorf("omadata_operator.witness_verifier_key is named %q, want %q, the witness name of the entity ID", v.Name(), want)
		}
	}
	return nil
}

func checkECMetadata(ctx context.Context, s *state) (string, error) {
	if err := s.needEC(); err != nil {
		return "", err
	}
	fe := s.ecCl.Metadata["federation_entity"]
	if name, _ := fe["organization_name"].(string); name == "" {
		return "", errors.New("metadata.federation_entity.organization_name is missing")
	}
	op, ok := s.ecCl.Metadata["omadata_operator"]
	if !ok {
		return "", errors.New("metadata.omadata_operator is missing")
	}
	md, err := decodeOperator(op)
	if err != nil {
		return "", err
	}
	if err := checkOperatorMetadata(md, s.c.cfg.Peer); err != nil {
		return "", err
	}
	if s.meta == nil {
		s.meta = md // until the chain applies the anchor's policy
	}
	return "federation_entity and omadata_operator complete", nil
}

// checkTrustChain resolves the peer's chain as docs/network.md §2.4 says
// (OIDF §10.2): the anchor's configuration with the configured keys, its
// subordinate statement about the peer, the peer's configuration with the
// statement's keys, lifetimes, and the metadata policy.
func checkTrustChain(ctx context.Context, s *state) (string, error) {
	if err := s.needEC(); err != nil {
		return "", err
	}
	c, anchor, peer, now := s.c, s.c.cfg.Anchor, s.c.cfg.Peer, s.c.now()
	// Step 1: the anchor's configuration, verified with configured keys.
	aj, acl, err := c.statement(ctx, wellKnown(anchor))
	if err != nil {
		return "", fmt.Errorf("anchor configuration: %w", err)
	} else if err := aj.checkHeader(typEntityStatement); err != nil {
		return "", fmt.Errorf("anchor configuration: %w", err)
	} else if err := aj.verify(c.cfg.AnchorJWKS, "the configured anchor keys"); err != nil {
		return "", fmt.Errorf("anchor configuration: %w", err)
	} else if acl.Iss != anchor || acl.Sub != anchor {
		return "", fmt.Errorf("anchor configuration: iss %q, sub %q", acl.Iss, acl.Sub)
	} else if err := acl.checkTimes(now, maxStatementLife); err != nil {
		return "", fmt.Errorf("anchor configuration: %w", err)
	}
	s.anchorKeys = acl.JWKS
	fetch, _ := acl.Metadata["federation_entity"]["federation_fetch_endpoint"].(string)
	if fetch == "" {
		return "", errors.New("anchor configuration: no federation_fetch_endpoint")
	}
	// Step 2: the subordinate statement, verified with the anchor's keys.
	sj, scl, err := c.statement(ctx, fetch+"?"+url.Values{"sub": {peer}}.Encode())
	if err != nil {
		return "", fmt.Errorf("subordinate statement: %w", err)
	} else if err := sj.checkHeader(typEntityStatement); err != nil {
		return "", fmt.Errorf("subordinate statement: %w", err)
	} else if err := sj.verify(acl.JWKS, "the anchor"); err != nil {
		return "", fmt.Errorf("subordinate statement: %w", err)
	} else if scl.Iss != anchor || scl.Sub != peer {
		return "", fmt.Errorf("subordinate statement: iss %q, sub %q", scl.Iss, scl.Sub)
	} else if err := scl.checkTimes(now, maxStatementLife); err != nil {
		return "", fmt.Errorf("subordinate statement: %w", err)
	}
	// Step 3: the peer's configuration, verified with the statement's
	// keys, never its own (OIDF §10.2).
	if err := s.ec.checkHeader(typEntityStatement); err != nil {
		return "", fmt.Errorf("peer configuration: %w", err)
	} else if err := s.ec.verify(scl.JWKS, "the anchor's statement about the peer"); err != nil {
		return "", fmt.Errorf("peer configuration: %w", err)
	} else if s.ecCl.Iss != peer || s.ecCl.Sub != peer {
		return "", fmt.Errorf("peer configuration: iss %q, sub %q", s.ecCl.Iss, s.ecCl.Sub)
	} else if !slices.Contains(s.ecCl.AuthorityHints, anchor) {
		return "", errors.New("peer configuration: authority_hints does not name the anchor")
	} else if err := s.ecCl.checkTimes(now, maxStatementLife); err != nil {
		return "", fmt.Errorf("peer configuration: %w", err)
	}
	// Step 5: the metadata policy.
	md, err := applyPolicy(s.ecCl.Metadata["omadata_operator"], scl.MetadataPolicy["omadata_operator"])
	if err != nil {
		return "", err
	}
	op, err := decodeOperator(md)
	if err != nil {
		return "", err
	} else if err := checkOperatorMetadata(op, peer); err != nil {
		return "", fmt.Errorf("after the metadata policy: %w", err)
	}
	s.peerKeys, s.meta = scl.JWKS, op
	return "peer → anchor's statement → anchor, signatures, lifetimes and metadata policy", nil
}

func checkTrustMark(ctx context.Context, s *state) (string, error) {
	if err := s.needEC(); err != nil {
		return "", err
	}
	anchor, peer, typ := s.c.cfg.Anchor, s.c.cfg.Peer, s.c.memberMarkType()
	var raw string
	for _, tm := range s.ecCl.TrustMarks {
		if tm.Type == typ {
			raw = tm.TrustMark
		}
	}
	if raw == "" {
		return "", fmt.Errorf("no trust mark of type %s in trust_marks", typ)
	}
	j, err := parseCompact(raw)
	if err != nil {
		return "", err
	} else if err := j.checkHeader(typTrustMark); err != nil {
		return "", err
	}
	keys := s.anchorKeys
	if keys == nil {
		keys = s.c.cfg.AnchorJWKS
	}
	if err := j.verify(keys, "the anchor"); err != nil {
		return "", err
	}
	cl, err := j.claims()
	if err != nil {
		return "", err
	}
	switch {
	case cl.Iss != anchor || cl.Sub != peer:
		return "", fmt.Errorf("iss %q and sub %q, want %s and %s", cl.Iss, cl.Sub, anchor, peer)
	case cl.TrustMarkType != typ:
		return "", fmt.Errorf("trust_mark_type %q, want %s", cl.TrustMarkType, typ)
	}
	if err := cl.checkTimes(s.c.now(), maxStatementLife); err != nil {
		return "", err
	}
	v, err := strconv.Atoi(string(cl.Rulebook))
	if err != nil {
		return "", fmt.Errorf("rulebook_version %s is not an integer", cl.Rulebook)
	} else if s.c.cfg.Rulebook != 0 && v != s.c.cfg.Rulebook {
		return "", fmt.Errorf("rulebook_version %d, want %d", v, s.c.cfg.Rulebook)
	}
	return fmt.Sprintf("signed by the anchor, unexpired, rulebook version %d", v), nil
}

// A call is a request the checker makes of the peer's network endpoint,
// signed as docs/network.md §3 says unless a probe changes one thing.
type call struct {
	method, url string
	body        []byte // as sent
	digestOf    []byte // the body the signature covers, if not body
	host        string // a Host other than the URL's, signed as the target
	unsigned    bool
	tag         string
	created     time.Time
	life        time.Duration
	nonce       string
	keyID       string // operator ID # kid
	key         *jose.JSONWebKey
	header      http.Header
}

// newCall returns a correctly signed call as the checker.
func (s *state) newCall(method, u string, body []byte) *call {
	return &call{method: method, url: u, body: body, tag: omadata.NetworkTag,
		created: s.c.now(), life: time.Minute, nonce: newNonce(),
		keyID: s.c.cfg.Entity + "#" + s.c.kid, key: s.c.key, header: http.Header{}}
}

// request builds the call's HTTP request. The same request can be sent
// twice (a replay) by building it again from the same call.
func (cl *call) request(ctx context.Context) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, cl.method, cl.url, bytes.NewReader(cl.body))
	if err != nil {
		return nil, err
	}
	for k, v := range cl.header {
		req.Header[k] = v
	}
	if cl.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	target := cl.url
	if cl.host != "" {
		req.Host = cl.host
		u := *req.URL
		u.Host = cl.host
		target = u.String()
	}
	if cl.unsigned {
		return req, nil
	}
	signed := cl.body
	if cl.digestOf != nil {
		signed = cl.digestOf
	}
	key, ok := cl.key.Key.(ed25519.PrivateKey)
	if !ok {
		return nil, errors.New("the signing key is not an Ed25519 private key")
	}
	signRequest(req, target, signed, sigParams{
		Created: cl.created.Unix(), Expires: cl.created.Add(cl.life).Unix(),
		Nonce: cl.nonce, Tag: cl.tag, KeyID: cl.keyID,
	}, key)
	if cl.digestOf != nil {
		req.Header.Set("Content-Digest", contentDigest(cl.digestOf))
	}
	return req, nil
}

// answer is a response as read.
type answer struct {
	resp *http.Response
	body []byte
}

func (s *state) do(ctx context.Context, cl *call) (*answer, error) {
	req, err := cl.request(ctx)
	if err != nil {
		return nil, err
	}
	resp, err := s.c.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", cl.method, cl.url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("%s %s: read answer: %w", cl.method, cl.url, err)
	}
	return &answer{resp, b}, nil
}

// problem is a problem document of docs/network.md §6 (RFC 9457).
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Reason string `json:"reason"`
	Field  string `json:"field"`
}

// describe says what a answered: its status and, for a problem
// document, its reason.
func (a *answer) describe() string {
	var p problem
	json.Unmarshal(a.body, &p)
	if p.Reason != "" {
		return fmt.Sprintf("%d %s", a.resp.StatusCode, p.Reason)
	}
	return strconv.Itoa(a.resp.StatusCode)
}

// refused checks that a answers status with a problem document naming
// reason (docs/network.md §6).
func (a *answer) refused(status int, reason string) (string, error) {
	var p problem
	json.Unmarshal(a.body, &p)
	if a.resp.StatusCode != status {
		return "", fmt.Errorf("answered %s, want %d %s", a.describe(), status, reason)
	}
	if mt := mediaType(a.resp.Header); mt != mediaProblem {
		return "", fmt.Errorf("answered %d with Content-Type %q, want %s", status, mt, mediaProblem)
	}
	switch {
	case p.Reason != reason:
		return "", fmt.Errorf("answered %d with reason %q, want %s", status, p.Reason, reason)
	case p.Type != "https://omadata.fi/problems/network/"+reason:
		return "", fmt.Errorf("problem type %q, want https://omadata.fi/problems/network/%s", p.Type, reason)
	case p.Status != status:
		return "", fmt.Errorf("problem status %d, want %d", p.Status, status)
	}
	return fmt.Sprintf("refused: %d %s", status, reason), nil
}

// needEndpoints skips a check that needs the peer's network endpoints.
func (s *state) needEndpoints() error {
	if s.meta == nil {
		return skip("the peer's omadata_operator metadata is unknown")
	}
	return nil
}

// probe sends a catalogue call changed by change and expects a refusal.
func (s *state) probe(ctx context.Context, status int, reason string, change func(*call)) (string, error) {
	if err := s.needEndpoints(); err != nil {
		return "", err
	}
	cl := s.newCall(http.MethodGet, s.meta.CatalogueEndpoint, nil)
	change(cl)
	a, err := s.do(ctx, cl)
	if err != nil {
		return "", err
	}
	return a.refused(status, reason)
}

func checkUnsigned(ctx context.Context, s *state) (string, error) {
	return s.probe(ctx, 401, "unsigned", func(cl *call) { cl.unsigned = true })
}

func checkWrongTag(ctx context.Context, s *state) (string, error) {
	return s.probe(ctx, 401, "wrong_tag", func(cl *call) { cl.tag = "omadata-network/0" })
}

// wrongAudienceHost is the host the wrong-audience probe signs for: a
// call meant for another operator, sent to the peer (docs/network.md §9).
const wrongAudienceHost = "other-operator.invalid"

func checkWrongAudience(ctx context.Context, s *state) (string, error) {
	return s.probe(ctx, 401, "wrong_audience", func(cl *call) { cl.host = wrongAudienceHost })
}

func checkExpired(ctx context.Context, s *state) (string, error) {
	return s.probe(ctx, 401, "expired", func(cl *call) {
		cl.created = s.c.now().Add(-10 * time.Minute)
		cl.life = 5 * time.Minute
	})
}

func checkUnknownKID(ctx context.Context, s *state) (string, error) {
	k, err := newFederationKey()
	if err != nil {
		return "", err
	}
	return s.probe(ctx, 401, "bad_signature", func(cl *call) {
		cl.key, cl.keyID = k, s.c.cfg.Entity+"#"+k.KeyID
	})
}

func checkNonMember(ctx context.Context, s *state) (string, error) {
	return s.probe(ctx, 403, "not_member", func(cl *call) {
		cl.key, cl.keyID = s.c.nonMemberKey, s.c.nonMember+"#"+s.c.nonMemberKey.KeyID
	})
}

func checkChangedBody(ctx context.Context, s *state) (string, error) {
	if err := s.needEndpoints(); err != nil {
		return "", err
	}
	cl := s.newCall(http.MethodPost, s.meta.NetworkEndpoint+"/decisions", []byte(`{"questions":[{}]}`))
	cl.digestOf = []byte(`{"questions":[]}`)
	a, err := s.do(ctx, cl)
	if err != nil {
		return "", err
	}
	return a.refused(401, "digest_mismatch")
}

func checkReplayed(ctx context.Context, s *state) (string, error) {
	if err := s.needEndpoints(); err != nil {
		return "", err
	}
	cl := s.newCall(http.MethodGet, s.meta.CatalogueEndpoint, nil)
	a, err := s.do(ctx, cl)
	if err != nil {
		return "", err
	} else if a.resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("the first, fresh call answered %s, want 200", a.describe())
	}
	if a, err = s.do(ctx, cl); err != nil {
		return "", err
	}
	return a.refused(401, "replayed")
}

// checkAnswerSigned makes a correct catalogue call and checks the answer
// is the peer's signed word about this call (docs/network.md §4).
func checkAnswerSigned(ctx context.Context, s *state) (string, error) {
	if err := s.needEndpoints(); err != nil {
		return "", err
	}
	cl := s.newCall(http.MethodGet, s.meta.CatalogueEndpoint, nil)
	a, err := s.do(ctx, cl)
	if err != nil {
		return "", err
	} else if a.resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("a correctly signed catalogue call answered %s, want 200", a.describe())
	} else if mt := mediaType(a.resp.Header); mt != mediaAnswer {
		return "", fmt.Errorf("Content-Type %q, want %s", a.resp.Header.Get("Content-Type"), mediaAnswer)
	}
	j, err := parseCompact(string(a.body))
	if err != nil {
		return "", err
	} else if err := j.checkHeader(typAnswer); err != nil {
		return "", err
	}
	if s.peerKeys == nil {
		return "", skip("the peer's chain did not resolve, so its keys are unknown")
	} else if err := j.verify(s.peerKeys, "the peer's chain"); err != nil {
		return "", err
	}
	cls, err := j.claims()
	if err != nil {
		return "", err
	}
	switch {
	case cls.Iss != s.c.cfg.Peer:
		return "", fmt.Errorf("iss %q, want %s", cls.Iss, s.c.cfg.Peer)
	case !slices.Equal(cls.Aud, audience{s.c.cfg.Entity}):
		return "", fmt.Errorf("aud %q, want %s (the caller)", []string(cls.Aud), s.c.cfg.Entity)
	case cls.Nonce != cl.nonce:
		return "", fmt.Errorf("nonce %q, want the request's %q", cls.Nonce, cl.nonce)
	}
	if err := cls.checkTimes(s.c.now(), maxAnswerLife); err != nil {
		return "", err
	}
	var members map[string]json.RawMessage
	json.Unmarshal(j.Payload, &members)
	s.answer, s.answerBody = cls, members["catalogue"]
	s.answerETag, s.answerCache = a.resp.Header.Get("ETag"), a.resp.Header.Get("Cache-Control")
	return "JWS " + typAnswer + " by the peer's chain key, iss, aud, nonce, iat, exp", nil
}

func (s *state) needAnswer() error {
	if s.answer == nil {
		return skip("no verified catalogue answer (answer/signed)")
	}
	return nil
}

func checkCatalogueContent(ctx context.Context, s *state) (string, error) {
	if err := s.needAnswer(); err != nil {
		return "", err
	}
	if s.answerBody == nil {
		return "", errors.New("the answer has no catalogue member")
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(s.answerBody, &raw); err != nil {
		return "", fmt.Errorf("catalogue: %w", err)
	}
	for _, m := range []string{"operator_id", "issued_at", "sources", "processings"} {
		if _, ok := raw[m]; !ok {
			return "", fmt.Errorf("catalogue.%s is missing", m)
		}
	}
	var cat omadata.NetworkCatalogue
	if err := json.Unmarshal(s.answerBody, &cat); err != nil {
		return "", fmt.Errorf("catalogue: %w", err)
	}
	if cat.OperatorID != s.c.cfg.Peer {
		return "", fmt.Errorf("catalogue.operator_id %q, want %s", cat.OperatorID, s.c.cfg.Peer)
	}
	for i, src := range cat.Sources {
		if !omadata.ValidID(omadata.PrefixService, src.ID) || src.API == "" {
			return "", fmt.Errorf("catalogue.sources[%d]: id %q or api %q", i, src.ID, src.API)
		}
	}
	return fmt.Sprintf("%d source(s), %d processing(s)", len(cat.Sources), len(cat.Processings)), nil
}

var maxAge = regexp.MustCompile(`(?:^|[ ,])max-age=(\d+)`)

func checkCatalogueETag(ctx context.Context, s *state) (string, error) {
	if err := s.needAnswer(); err != nil {
		return "", err
	}
	etag := s.answerETag
	if etag == "" {
		return "", errors.New("no ETag")
	} else if strings.HasPrefix(etag, "W/") || len(etag) < 2 || etag[0] != '"' || etag[len(etag)-1] != '"' {
		return "", fmt.Errorf("ETag %s is not a strong entity tag", etag)
	}
	m := maxAge.FindStringSubmatch(s.answerCache)
	if m == nil {
		return "", fmt.Errorf("Cache-Control %q has no max-age", s.answerCache)
	} else if n, _ := strconv.Atoi(m[1]); n < 1 || n > 300 {
		return "", fmt.Errorf("Cache-Control max-age=%d, want 1 to 300", n)
	}
	cl := s.newCall(http.MethodGet, s.meta.CatalogueEndpoint, nil)
	cl.header.Set("If-None-Match", etag)
	a, err := s.do(ctx, cl)
	if err != nil {
		return "", err
	} else if a.resp.StatusCode != http.StatusNotModified {
		return "", fmt.Errorf("If-None-Match %s answered %s, want 304", etag, a.describe())
	} else if len(a.body) != 0 {
		return "", errors.New("304 with a body")
	}
	return "strong ETag, max-age, 304 on If-None-Match", nil
}

// checkUnknownResident asks about a pseudonym the peer never issued
// (docs/network.md §5.3). A peer that refuses the checker's sink or the
// source first is not wrong (§5.3 names no order), so that is a skip.
func checkUnknownResident(ctx context.Context, s *state) (string, error) {
	if err := s.needEndpoints(); err != nil {
		return "", err
	}
	q := omadata.NetworkQuestion{
		SinkID: omadata.NewID(omadata.PrefixService), SourceID: omadata.NewID(omadata.PrefixService),
		Pseudonym: omadata.NewID(omadata.PrefixPeerPseudonym), DataGroupIDs: []string{omadata.NewID(omadata.PrefixDataGroup)},
		PurposeID: omadata.NewID(omadata.PrefixPurpose), RelayID: omadata.NewID(omadata.PrefixRelay),
	}
	var cat omadata.NetworkCatalogue
	if s.answerBody != nil && json.Unmarshal(s.answerBody, &cat) == nil {
		for _, src := range cat.Sources {
			if src != nil && len(src.DataGroups) > 0 && src.DataGroups[0] != nil {
				q.SourceID, q.DataGroupIDs = src.ID, []string{src.DataGroups[0].ID}
				break
			}
		}
		for _, p := range cat.Processings {
			if p != nil {
				q.PurposeID = p.Purpose.ID
				break
			}
		}
	}
	body, _ := json.Marshal(map[string]any{"questions": []omadata.NetworkQuestion{q}})
	a, err := s.do(ctx, s.newCall(http.MethodPost, s.meta.NetworkEndpoint+"/decisions", body))
	if err != nil {
		return "", err
	}
	var p problem
	json.Unmarshal(a.body, &p)
	if a.resp.StatusCode == http.StatusForbidden && (p.Reason == "not_your_sink" || p.Reason == "not_our_source") {
		return "", skip("refused first with 403 %s (the checker has no sink at the peer)", p.Reason)
	}
	return a.refused(404, "unknown_resident")
}

func checkBodySize(ctx context.Context, s *state) (string, error) {
	if err := s.needEndpoints(); err != nil {
		return "", err
	}
	pad := strings.Repeat("a", maxBody)
	body := []byte(`{"questions":[],"pad":"` + pad + `"}`)
	a, err := s.do(ctx, s.newCall(http.MethodPost, s.meta.NetworkEndpoint+"/decisions", body))
	if err != nil {
		return "", err
	}
	return a.refused(413, "too_large")
}

// checkTooManyQuestions asks 1001 questions in one decisions call, one
// more than section 7 allows: 400 invalid, naming the field questions.
func checkTooManyQuestions(ctx context.Context, s *state) (string, error) {
	if err := s.needEndpoints(); err != nil {
		return "", err
	}
	q := omadata.NetworkQuestion{
		SinkID: omadata.NewID(omadata.PrefixService), SourceID: omadata.NewID(omadata.PrefixService),
		Pseudonym: omadata.NewID(omadata.PrefixPeerPseudonym), DataGroupIDs: []string{omadata.NewID(omadata.PrefixDataGroup)},
		PurposeID: omadata.NewID(omadata.PrefixPurpose), RelayID: omadata.NewID(omadata.PrefixRelay),
	}
	qs := make([]omadata.NetworkQuestion, 1001)
	for i := range qs {
		qs[i] = q
	}
	body, _ := json.Marshal(map[string]any{"questions": qs})
	a, err := s.do(ctx, s.newCall(http.MethodPost, s.meta.NetworkEndpoint+"/decisions", body))
	if err != nil {
		return "", err
	}
	reason, err := a.refused(400, "invalid")
	if err != nil {
		return "", err
	}
	var p problem
	json.Unmarshal(a.body, &p)
	if p.Field != "questions" {
		return "", fmt.Errorf("refused as invalid naming field %q, want questions", p.Field)
	}
	return reason + ", field questions", nil
}
