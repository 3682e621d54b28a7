// SPDX-License-Identifier: Apache-2.0

// Package netapi serves the operator network's protocol (docs/network.md):
// the entity configuration at /.well-known/openid-federation and the signed
// calls between operators under /network/v1. It is not the service API:
// its callers are peer operators that authenticate each call with an
// RFC 9421 signature, its answers are signed JWS and its errors RFC 9457
// problem documents, so its routes are neither in the OpenAPI document nor
// in the authorization matrix (docs/network.md, "Routes of the operator").
package netapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/omadata/omadata"
)

// Prefix is the path of the network endpoint below the operator's base URL.
const Prefix = "/network/v1"

// MaxBodyBytes is the limit of a request body (docs/network.md §7).
const MaxBodyBytes = 1 << 20

// answerLifetime is how long a signed answer is valid (docs/network.md §4).
const answerLifetime = 300 * time.Second

// Call is a verified signed call: the calling operator, the nonce of its
// signature (which the answer repeats), and the signature itself, kept as
// evidence with the body it covers.
type Call struct {
	OperatorID     string
	Nonce          string
	SignatureInput string
	Signature      string
	Body           []byte
}

// Verifier checks a signed call in docs/network.md §3's order and returns
// the verified caller, or an error that Options.Refuse answers.
type Verifier interface {
	Verify(r *http.Request, body []byte) (*Call, error)
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
	// Anchor is the trust anchor's entity identifier, the only caller of
	// federation-events.
	Anchor string

	Network omadata.NetworkService
	Records RecordProver
	// Verifier checks calls of members; AnchorVerifier the anchor's
	// membership events, with the anchor's keys.
	Verifier       Verifier
	AnchorVerifier Verifier
	// Refuse answers a failed verification with its problem document,
	// logs and counts it (internal/network).
	Refuse func(w http.ResponseWriter, r *http.Request, err error)
	// SignAnswer signs an answer's claims with this operator's current
	// federation key as a compact JWS (docs/network.md §4).
	SignAnswer func(claims map[string]any) (string, error)
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
	mux.Handle("GET "+Prefix+"/catalogue", h.signed(h.o.Verifier, h.catalogue))
	mux.Handle("POST "+Prefix+"/consent-events", h.signed(h.o.Verifier, h.consentEvent))
	mux.Handle("POST "+Prefix+"/decisions", h.signed(h.o.Verifier, h.decisions))
	mux.Handle("POST "+Prefix+"/grants", h.signed(h.o.Verifier, h.grants))
	mux.Handle("GET "+Prefix+"/log/records/{record}", h.signed(h.o.Verifier, h.logRecord))
	mux.Handle("POST "+Prefix+"/federation-events", h.signed(h.o.AnchorVerifier, h.federationEvent))
	// Anything else under the prefix is a problem document too, not the
	// API's error shape.
	mux.Handle(Prefix+"/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, http.StatusNotFound, ReasonNotFound, "No such network endpoint.", "")
	}))
}

// signed reads the body (at most MaxBodyBytes), has v verify the call, and
// runs f as the calling operator.
func (h *Handler) signed(v Verifier, f func(w http.ResponseWriter, r *http.Request, c *Call) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				writeProblem(w, http.StatusRequestEntityTooLarge, ReasonTooLarge, "The body is over 1 MiB.", "")
			} else {
				writeProblem(w, http.StatusBadRequest, ReasonInvalid, "The body could not be read.", "")
			}
			return
		}
		call, err := v.Verify(r, body)
		if err != nil {
			h.o.Refuse(w, r, err)
			return
		}
		call.Body = body
		ctx := omadata.NewContextWithCaller(r.Context(), omadata.Caller{Kind: omadata.CallerOperator, OperatorID: call.OperatorID})
		if err := f(w, r.WithContext(ctx), call); err != nil {
			h.fail(w, r, call, err)
		}
	})
}

// answer writes a signed answer (docs/network.md §4) with the members of v
// beside the JWT claims, bound to the call by its nonce.
func (h *Handler) answer(w http.ResponseWriter, c *Call, v map[string]any, exp time.Time) error {
	now := h.o.Now()
	if exp.IsZero() {
		exp = now.Add(answerLifetime)
	}
	claims := map[string]any{}
	for k, x := range v {
		claims[k] = x
	}
	claims["iss"] = h.o.OperatorID
	claims["aud"] = c.OperatorID
	claims["iat"] = now.Unix()
	claims["exp"] = exp.Unix()
	claims["nonce"] = c.Nonce
	jws, err := h.o.SignAnswer(claims)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/jwt")
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, jws)
	return nil
}

// decodeBody decodes a JSON body strictly: an unknown member is refused,
// naming it (docs/network.md §5).
func decodeBody(body []byte, v any) error {
	dec := json.NewDecoder(bytesReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return omadata.Invalidf(jsonField(err), "The body is not the expected JSON: %s.", jsonProblem(err))
	} else if dec.More() {
		return omadata.Invalidf("body", "The body has more than one JSON value.")
	}
	return nil
}
