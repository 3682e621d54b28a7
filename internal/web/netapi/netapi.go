// SPDX-License-Identifier: Apache-2.0

// Package netapi serves the operator network's protocol (docs/network.md):
// the entity configuration at /.well-known/openid-federation and the signed
// calls between operators under /network/v1. It is not the service API:
// its callers are peer operators that authenticate each call with an
// RFC 9421 signature, its answers are signed JWS and its errors RFC 9457
// problem documents, so its routes are neither in the OpenAPI document nor
// in the authorization matrix (docs/network.md §12.1).
package netapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/network"
	"github.com/omadata/omadata/internal/web/api"
)

// Prefix is the path of the network endpoint below the operator's base URL.
const Prefix = "/network/v1"

// Call is a verified signed call as the handlers see it: the calling
// operator, the nonce of its signature (which the answer repeats), and
// the signature itself, kept as evidence with the body it covers.
type Call struct {
	OperatorID     string
	Nonce          string
	SignatureInput string
	Signature      string
	Body           []byte
}

// RecordProver serves a log leaf of this operator to a peer that is party
// to it (docs/network.md §5.5): its entry with an inclusion proof and the
// checkpoint it is proven in. ENOTFOUND when it is not the caller's.
type RecordProver interface {
	NetworkLogRecord(ctx context.Context, record string) (*omadata.LogEvent, *omadata.Checkpoint, error)
}

// Options configures a Handler.
type Options struct {
	// OperatorID is this operator's entity identifier: the audience of
	// every call and the issuer of every answer.
	OperatorID string
	// LogOrigin is the origin of this operator's log, named in the leaf
	// references of its grant answers.
	LogOrigin string

	Network omadata.NetworkService
	Records RecordProver
	// CatalogueMaxAge is the max-age of this operator's catalogue, how
	// long members mirror it before they ask again (docs/network.md §5.1);
	// 0 or more than network.MaxCatalogueAge: that (§7).
	CatalogueMaxAge time.Duration
	// Guard admits the verified calls of members, and writes, logs and
	// counts refusals; AnchorGuard admits the anchor's membership events,
	// verified with the anchor's keys.
	Guard       *network.Guard
	AnchorGuard *network.Guard
	// SignAnswer signs an answer (docs/network.md §4): its claims and its
	// members, with this operator's current federation key
	// (network.SignAnswer).
	SignAnswer func(ctx context.Context, claims network.AnswerClaims, members any) (string, error)
	// MembershipChanged drops what this operator believes about a peer
	// after the anchor says its membership changed (§2.6).
	MembershipChanged func(ctx context.Context, operatorID, status string) error
	// EntityConfiguration serves /.well-known/openid-federation.
	EntityConfiguration http.Handler

	Logger *slog.Logger
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// Handler serves the network routes.
type Handler struct {
	o Options
}

// New returns a Handler.
func New(o Options) *Handler {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Handler{o: o}
}

// Routes registers the network's routes on mux.
func (h *Handler) Routes(mux *http.ServeMux) {
	if h.o.EntityConfiguration != nil {
		mux.Handle("GET /.well-known/openid-federation", h.o.EntityConfiguration)
	}
	mux.Handle("GET "+Prefix+"/catalogue", h.signed(h.o.Guard, h.catalogue))
	mux.Handle("POST "+Prefix+"/consent-events", h.signed(h.o.Guard, h.consentEvent))
	mux.Handle("POST "+Prefix+"/decisions", h.signed(h.o.Guard, h.decisions))
	mux.Handle("POST "+Prefix+"/grants", h.signed(h.o.Guard, h.grants))
	mux.Handle("GET "+Prefix+"/log/records/{record}", h.signed(h.o.Guard, h.logRecord))
	mux.Handle("POST "+Prefix+"/federation-events", h.signed(h.o.AnchorGuard, h.federationEvent))
	// Anything else under the prefix is a problem document too, not the
	// API's error shape, refused (logged, counted) like any other.
	mux.Handle(Prefix+"/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.o.Guard.Refuse(w, r, network.Refuse(network.ReasonNotFound, "No such network endpoint."))
	}))
}

// signed has g verify the call and runs f as the calling operator (g
// puts omadata.CallerOperator in the context), with the body g read.
func (h *Handler) signed(g *network.Guard, f func(w http.ResponseWriter, r *http.Request, c *Call) error) http.Handler {
	return g.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		vc, ok := network.CallFromContext(r.Context())
		if !ok {
			g.Error(w, r, errors.New("netapi: no verified call in the context"))
			return
		}
		body, err := io.ReadAll(r.Body) // the Guard read it already, limited to 1 MiB
		if err != nil {
			g.Error(w, r, fmt.Errorf("netapi: read the verified body: %w", err))
			return
		}
		// A body is JSON and says so (docs/network.md §5, §6).
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); r.Method == http.MethodPost && mt != "application/json" {
			g.Refuse(w, r, &network.Refusal{Reason: network.ReasonInvalid, Status: http.StatusUnsupportedMediaType,
				Detail: "Send the body as application/json.", Field: "Content-Type"})
			return
		}
		c := &Call{OperatorID: vc.OperatorID, Nonce: vc.Nonce, Body: body,
			SignatureInput: r.Header.Get("Signature-Input"), Signature: r.Header.Get("Signature")}
		if err := f(w, r, c); err != nil {
			g.Error(w, r, err)
		}
	}))
}

// answer writes a signed answer (docs/network.md §4) with members, bound
// to the call by its nonce, valid for network.AnswerLifetime.
func (h *Handler) answer(w http.ResponseWriter, r *http.Request, c *Call, members any) error {
	return h.answerFor(w, r, c, members, network.AnswerLifetime)
}

// answerFor is answer valid for lifetime: a catalogue's is its max-age
// (§4: "or the catalogue's expiry").
func (h *Handler) answerFor(w http.ResponseWriter, r *http.Request, c *Call, members any, lifetime time.Duration) error {
	now := h.o.Now()
	claims := network.AnswerClaims{Issuer: h.o.OperatorID, Audience: c.OperatorID, IssuedAt: now.Unix(),
		Expiry: now.Add(lifetime).Unix(), Nonce: c.Nonce}
	jws, err := h.o.SignAnswer(r.Context(), claims, members)
	if err != nil {
		return err
	}
	network.WriteAnswer(w, http.StatusOK, jws)
	return nil
}

// decodeBody decodes a JSON body strictly: an unknown member, one given
// twice and one matched only ignoring case are refused, naming it
// (docs/network.md §5).
func decodeBody(body []byte, v any) error {
	// A member given twice, or matched only ignoring case, is refused as
	// the API refuses it (docs/network.md §5).
	if err := api.CheckJSON(body, v); err != nil {
		return err
	}
	dec := json.NewDecoder(bytesReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return omadata.Invalidf(jsonField(err), "The body is not the expected JSON: %s.", jsonProblem(err))
	} else if dec.More() {
		return omadata.Invalidf("body", "The body has more than one JSON value.")
	}
	return nil
}
