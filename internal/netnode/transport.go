// SPDX-License-Identifier: Apache-2.0

package netnode

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/omadata/omadata/internal/federation"
	"github.com/omadata/omadata/internal/network"
	"github.com/omadata/omadata/internal/peer"
)

// transport signs calls with the key the member signs with now (the
// newest its anchor vouches for, docs/network.md §2.5) and verifies the
// answers with the callee's keys from its resolved chain.
type transport struct{ n *Node }

func (t *transport) Do(ctx context.Context, peerID string, req *http.Request, body []byte) (*peer.Answer, error) {
	// Nothing goes to a peer whose chain does not resolve now: a relay's
	// target comes from the peers table, which may hold a peer suspended
	// since (network.md §2.6, §5.3).
	resolved, err := t.n.Resolver.Resolve(ctx, peerID)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", peerID, err)
	}
	k, _, err := t.n.Member.SigningKey(ctx)
	if err != nil {
		return nil, fmt.Errorf("federation key: %w", err)
	}
	c := &network.Client{OperatorID: t.n.o.Metadata.OperatorID, KeyID: k.ID, Key: k.Private,
		Keys: resolvedKeys{id: peerID, keys: resolved.Keys}, HTTP: t.n.o.HTTPClient, Now: t.n.o.Now}
	res, err := c.Send(req.WithContext(ctx), peerID, body)
	if err != nil {
		return nil, err
	}
	a := &peer.Answer{Status: res.Status, Header: res.Header}
	if res.Answer != nil {
		a.JWS, a.Claims = res.Answer.JWS, res.Answer.Payload
	}
	return a, nil
}

// resolvedKeys are the keys of the one peer a call was just resolved for:
// its answer is verified with them, without reading the chain again.
type resolvedKeys struct {
	id   string
	keys *jose.JSONWebKeySet
}

func (k resolvedKeys) CallerKeys(_ context.Context, operatorID string) (jose.JSONWebKeySet, error) {
	if operatorID != k.id || k.keys == nil {
		return jose.JSONWebKeySet{}, notMember(network.ReasonNotMember)
	}
	return *k.keys, nil
}

// signAnswer signs an answer with the key the member signs with now.
func (n *Node) signAnswer(ctx context.Context, claims network.AnswerClaims, members any) (string, error) {
	k, _, err := n.Member.SigningKey(ctx)
	if err != nil {
		return "", fmt.Errorf("federation key: %w", err)
	}
	return network.SignAnswer(claims, members, k.ID, k.Private)
}

// SignAnchorEvent signs a trust anchor's membership event (anchor.SignFunc;
// docs/network.md §2.6) as a call of §3 with the anchor's federation key;
// keyID is "{anchor ID}#{kid}".
func SignAnchorEvent(req *http.Request, body []byte, key federation.Key, keyID string) error {
	i := strings.LastIndex(keyID, "#")
	if i < 0 {
		return fmt.Errorf("key ID %q is not {anchor}#{kid}", keyID)
	}
	return network.Sign(req, body, keyID[:i], keyID[i+1:], key.Private, time.Now())
}
