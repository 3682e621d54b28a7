// SPDX-License-Identifier: Apache-2.0

package anchor

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/federation"
	"github.com/omadata/omadata/internal/witness"
)

// Endpoint paths under the anchor's ID.
const (
	FetchPath     = "/fetch"
	ListPath      = "/list"
	TrustMarkPath = "/trust-mark"
	EventsPath    = "/federation-events" // under a member's network_endpoint
)

func (a *Anchor) signingKey() (federation.Key, error) {
	if len(a.Keys) == 0 {
		return federation.Key{}, fmt.Errorf("anchor: no federation key")
	}
	return a.Keys[0], nil
}

// Configuration returns the anchor's signed entity configuration (OIDF §3,
// §9; network.md §2.1): no authority_hints, its fetch, list and trust mark
// endpoints (OIDF §5.1.1), and itself as issuer of the member trust mark. It lists every anchor key
// and is signed with the oldest, the one members were given when they
// joined, so that they learn the newer keys from it (network.md §2.5);
// subordinate statements and trust marks are signed with the newest.
func (a *Anchor) Configuration() (string, error) {
	if len(a.Keys) == 0 {
		return "", fmt.Errorf("anchor: no federation key")
	}
	key := a.Keys[len(a.Keys)-1]
	now := a.now()
	fe, err := json.Marshal(map[string]string{
		"organization_name":         a.Name,
		"federation_fetch_endpoint": a.ID + FetchPath,
		"federation_list_endpoint":  a.ID + ListPath,
		// Members fetch their trust mark here (network.md §2.3).
		"federation_trust_mark_endpoint": a.ID + TrustMarkPath,
	})
	if err != nil {
		return "", err
	}
	md := map[string]json.RawMessage{federation.MetadataFederation: fe}
	if a.Witness != nil {
		// The anchor witnesses every member's log (docs/witnessing.md §1,
		// network.md §2.7); members take its witness key from here.
		if md[MetadataWitness], err = json.Marshal(witnessMetadata{
			WitnessEndpoint: a.ID + WitnessPrefix, WitnessVerifierKey: a.Witness.VerifierKey(),
		}); err != nil {
			return "", err
		}
	}
	return federation.Sign(&federation.Statement{
		Issuer: a.ID, Subject: a.ID,
		IssuedAt: now.Unix(), ExpiresAt: now.Add(a.lifetime()).Unix(),
		JWKS:             federation.KeySet(a.Keys...),
		Metadata:         md,
		TrustMarkIssuers: map[string][]string{federation.MemberTrustMarkType(a.ID): {a.ID}},
	}, key)
}

// Subordinate returns the anchor's signed statement about an active
// member (OIDF §3, §8.1; network.md §2.2): the member's keys as the anchor
// holds them and the metadata policy that pins its operator ID and base
// URL. A member not active is ENOTFOUND; its status says why.
func (a *Anchor) Subordinate(ctx context.Context, entityID string) (string, *Member, error) {
	m, err := a.FindMember(ctx, entityID)
	if err != nil {
		return "", nil, err
	} else if m.Status != omadata.MemberActive {
		return "", m, omadata.NotFound("member")
	}
	key, err := a.signingKey()
	if err != nil {
		return "", m, err
	}
	now := a.now()
	jws, err := federation.Sign(&federation.Statement{
		Issuer: a.ID, Subject: entityID,
		IssuedAt: now.Unix(), ExpiresAt: now.Add(a.lifetime()).Unix(),
		JWKS:           m.JWKS,
		MetadataPolicy: map[string]federation.Policy{federation.MetadataOperator: memberPolicy(m)},
	}, key)
	return jws, m, err
}

// memberPolicy pins what the anchor knows of a member (network.md §2.2):
// its operator ID and base URL, and the name recorded at its admission
// (OIDF §6.1.3.1.1 value), so that no member shows itself as another.
func memberPolicy(m *Member) federation.Policy {
	p := federation.Policy{
		"operator_id": {"value": m.EntityID},
		"base_url":    {"value": m.EntityID},
	}
	if len(m.Name) > 0 {
		name := map[string]any{}
		for k, v := range m.Name {
			name[k] = v
		}
		p["name"] = map[string]any{"value": name}
	}
	return p
}

// TrustMark returns the member trust mark of an active member (OIDF §7;
// network.md §2.3); ENOTFOUND otherwise.
func (a *Anchor) TrustMark(ctx context.Context, entityID string) (string, error) {
	m, err := a.FindMember(ctx, entityID)
	if err != nil {
		return "", err
	} else if m.Status != omadata.MemberActive {
		return "", omadata.NotFound("member")
	}
	key, err := a.signingKey()
	if err != nil {
		return "", err
	}
	now := a.now()
	return federation.IssueTrustMark(&federation.TrustMark{
		Issuer: a.ID, Subject: entityID, Type: federation.MemberTrustMarkType(a.ID),
		IssuedAt: now.Unix(), ExpiresAt: now.Add(a.lifetime()).Unix(),
		RulebookVersion: a.Rulebook,
	}, key)
}

// Handler serves the anchor's endpoints under the path of its ID.
func (a *Anchor) Handler() http.Handler {
	prefix := ""
	if u, err := url.Parse(a.ID); err == nil {
		prefix = u.Path
	}
	mux := http.NewServeMux()
	if a.Witness != nil {
		mux.Handle("POST "+prefix+WitnessPrefix+"/add-checkpoint", &witness.Handler{
			State: a, Cosigner: a.Witness, Logger: a.log(),
			// A failed proof is a fork only if the member's log cannot
			// prove it either (docs/witnessing.md §4).
			FetchProof: witness.PeerLogProofs(a, &witness.Client{HTTP: &http.Client{
				Timeout:       witness.DefaultTimeout,
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			}}),
		})
	}
	mux.HandleFunc("GET "+prefix+federation.WellKnownPath, func(w http.ResponseWriter, r *http.Request) {
		jws, err := a.Configuration()
		if err != nil {
			a.fail(w, r, err)
			return
		}
		writeJWT(w, federation.ContentTypeEntityStatement, jws)
	})
	mux.HandleFunc("GET "+prefix+FetchPath, func(w http.ResponseWriter, r *http.Request) {
		sub, ok := oneParam(w, r, "sub")
		if !ok {
			return
		}
		jws, m, err := a.Subordinate(r.Context(), sub)
		if omadata.ErrorCode(err) == omadata.ENOTFOUND {
			notMember(w, m)
			return
		} else if err != nil {
			a.fail(w, r, err)
			return
		}
		writeJWT(w, federation.ContentTypeEntityStatement, jws)
	})
	mux.HandleFunc("GET "+prefix+ListPath, func(w http.ResponseWriter, r *http.Request) {
		members, err := a.Members(r.Context())
		if err != nil {
			a.fail(w, r, err)
			return
		}
		ids := []string{}
		for _, m := range members {
			if m.Status == omadata.MemberActive {
				ids = append(ids, m.EntityID)
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(ids)
	})
	mux.HandleFunc("GET "+prefix+TrustMarkPath, func(w http.ResponseWriter, r *http.Request) {
		sub, ok := oneParam(w, r, "sub")
		if !ok {
			return
		}
		if typ := r.URL.Query().Get("trust_mark_type"); typ != federation.MemberTrustMarkType(a.ID) {
			oauthError(w, http.StatusNotFound, "not_found", "Unknown trust mark type.")
			return
		}
		jws, err := a.TrustMark(r.Context(), sub)
		if omadata.ErrorCode(err) == omadata.ENOTFOUND {
			oauthError(w, http.StatusNotFound, "not_found", "No trust mark for this subject.")
			return
		} else if err != nil {
			a.fail(w, r, err)
			return
		}
		writeJWT(w, federation.ContentTypeTrustMark, jws)
	})
	return publicReads(mux)
}

// publicReads lets any page read the anchor's GET endpoints
// (Access-Control-Allow-Origin: *): a resident's browser checks a proof
// against the trust chain it fetches from the anchor itself
// (docs/witnessing.md §5, /static/proofcheck.js). They are public,
// signed statements; no credentials are involved.
func publicReads(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			w.Header().Set("Access-Control-Allow-Origin", "*")
		}
		h.ServeHTTP(w, r)
	})
}

func writeJWT(w http.ResponseWriter, contentType, jws string) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write([]byte(jws))
}

// oneParam reads a required query parameter, answering 400
// invalid_request (OIDF §8.9) when it is missing or repeated.
func oneParam(w http.ResponseWriter, r *http.Request, name string) (string, bool) {
	vs := r.URL.Query()[name]
	if len(vs) != 1 || vs[0] == "" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "Give exactly one "+name+".")
		return "", false
	}
	return vs[0], true
}

// notMember answers 404 with the member's status (network.md §2.2).
func notMember(w http.ResponseWriter, m *Member) {
	body := federation.MemberStatusResponse{Error: "not_found", ErrorDescription: "Not a member of this network."}
	if m != nil {
		body.MemberStatus = m.Status
		body.ErrorDescription = "The member is " + m.Status + "."
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusNotFound)
	_ = json.NewEncoder(w).Encode(body)
}

// oauthError answers the error shape of OIDF §8.9.
func oauthError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

func (a *Anchor) fail(w http.ResponseWriter, r *http.Request, err error) {
	a.log().ErrorContext(r.Context(), "anchor request failed", "path", r.URL.Path, "err", err)
	oauthError(w, http.StatusInternalServerError, "server_error", "The anchor cannot answer now.")
}

// RunRefresh refreshes the members' keys every interval until ctx ends
// (network.md §2.5).
func (a *Anchor) RunRefresh(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := a.Refresh(ctx, "anchor"); err != nil {
				a.log().WarnContext(ctx, "refresh members' keys", "err", err)
			}
		}
	}
}

// EventResult is the delivery of one membership event to one member.
type EventResult struct {
	EntityID string
	Err      error
}

// Notify tells every active and every suspended member that sub's status
// is now status (network.md §2.6): a signed POST to its network_endpoint
// + /federation-events, answered 204. A suspended member is told too: it
// still serves its residents and keeps its cached chains of the others,
// which must not outlive a removal it would otherwise miss. A removed one
// is not (it is out of the network). Without a Sign function nothing is
// sent and every result says so.
func (a *Anchor) Notify(ctx context.Context, sub, status string) ([]EventResult, error) {
	members, err := a.Members(ctx)
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(federation.MemberEvent{Subject: sub, Status: status})
	if err != nil {
		return nil, err
	}
	key, err := a.signingKey()
	if err != nil {
		return nil, err
	}
	var (
		mu  sync.Mutex
		wg  sync.WaitGroup
		out []EventResult
	)
	for _, m := range members {
		if m.Status == omadata.MemberRemoved {
			continue
		}
		wg.Go(func() {
			err := a.sendEvent(ctx, m.NetworkEndpoint, body, key)
			if err != nil {
				a.log().WarnContext(ctx, "membership event not delivered", "member", m.EntityID, "sub", sub, "status", status, "err", err)
			}
			mu.Lock()
			out = append(out, EventResult{EntityID: m.EntityID, Err: err})
			mu.Unlock()
		})
	}
	wg.Wait()
	return out, nil
}

// ErrNoSigner is an event not sent because the anchor has no signer.
var ErrNoSigner = fmt.Errorf("anchor: no request signer configured; event not sent")

func (a *Anchor) sendEvent(ctx context.Context, endpoint string, body []byte, key federation.Key) error {
	if a.Sign == nil {
		return ErrNoSigner
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(endpoint, "/")+EventsPath, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if err := a.Sign(req, body, key, a.ID+"#"+key.ID); err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	resp, err := a.client().Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("answered %d", resp.StatusCode)
	}
	return nil
}
