// SPDX-License-Identifier: Apache-2.0

// Package web is the HTTP surface of the operator: it mounts the JSON API,
// the operations endpoints and the MyData well-known documents on one
// ServeMux behind one middleware chain.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"reflect"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/dpop"
	"github.com/omadata/omadata/internal/web/api"
	"github.com/omadata/omadata/internal/web/ratelimit"
)

// DefaultMaxBodyBytes is the request body limit when Options sets none.
const DefaultMaxBodyBytes = 1 << 20

// Who may call a route; see Route.
const (
	AuthPublic       = api.AuthPublic
	AuthAdmin        = api.AuthAdmin
	AuthAdminService = api.AuthAdminService
)

// Options configures a Server. The services are required; the store
// implements them all.
type Options struct {
	Organisations omadata.OrganisationService
	Services      omadata.ServiceRegistry
	Credentials   omadata.CredentialService
	DataGroups    omadata.DataGroupService
	Purposes      omadata.PurposeService
	Processings   omadata.ProcessingService
	AISystems     omadata.AISystemService
	Catalogue     omadata.CatalogueReader
	SigningKeys   omadata.SigningKeyService

	Residents       omadata.ResidentService
	Representations omadata.RepresentationService
	Consents        omadata.ConsentService
	Decisions       omadata.DecisionService
	Grants          omadata.GrantService
	Webhooks        omadata.WebhookService
	Log             omadata.LogService
	Usage           omadata.UsageService
	Requests        omadata.RequestService
	// Backlog, when set, adds the log's and the webhook outbox's backlog
	// to /metrics, counted from the database at each scrape.
	Backlog   omadata.BacklogService
	Apps      omadata.AppService
	AppTokens AppTokenStore
	// Archives makes the signed archive of a resident's data
	// (docs/archive.md); nil answers its routes 503.
	Archives omadata.ArchiveService
	// LogVerifierKey is the note verifier key of the log's checkpoints,
	// published at /.well-known/mydata/log-key.
	LogVerifierKey string
	// WitnessVerifierKey is the cosignature/v1 verifier key of the
	// operator's witness, published at /.well-known/mydata/witness-key.
	WitnessVerifierKey string
	// Witness keeps the operator's witness state, its evidence of forks
	// and the cosignatures of its own log (docs/witnessing.md); the store
	// implements it. Witnessed answers which own checkpoint counts as
	// witnessed, with the policy (witness.Own); the portal reads it too.
	// WitnessHandler is the witness, POST /witness/v1/add-checkpoint
	// (witness.Handler). nil: their routes answer 404.
	Witness        omadata.WitnessService
	Witnessed      omadata.WitnessedLogService
	WitnessHandler http.Handler

	// Health reports whether the server can serve; nil means always.
	// /healthz asks it.
	Health func(context.Context) error
	// Ready lists what /readyz checks before it says the instance may take
	// traffic (the database answers, its migrations are current, a signing
	// key is loaded); none means ready whenever the process runs.
	Ready []ReadyCheck
	// Logger receives access logs and internal errors; nil discards them.
	Logger *slog.Logger
	// Metrics is where the HTTP metrics are registered and what /metrics
	// exposes; nil gives the server a registry of its own.
	Metrics *prometheus.Registry
	// Limiter limits the grant token and credential creation routes per
	// client address and per account; nil means no limits.
	Limiter *ratelimit.Limiter
	// MaxBodyBytes limits request bodies; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Version is the software version, exposed as omadata_build_info.
	Version string
	// Operator describes this operator instance to the MyData network.
	Operator OperatorInfo
	// Pages are HTML surfaces mounted beside the API: the resident portal,
	// the demo OpenID provider, later the admin console. They do their own
	// authentication (session cookies, CSRF tokens) and are not in Routes,
	// which lists the API.
	Pages []Page
	// NotFound answers an unknown path that a browser asks for (its Accept
	// header prefers text/html to application/json) outside the API and
	// the machine paths (/api/, /.well-known/, /openapi.json, /healthz,
	// /livez, /readyz, /metrics): the portal's not-found page. nil, or any
	// other request, gets the API's JSON error.
	NotFound http.Handler
	// Network serves the operator network's protocol (docs/network.md):
	// /.well-known/openid-federation and /network/v1. nil, when the
	// operator is in no network, leaves both answering 404. Its routes
	// authenticate peers by signature and are not in Routes.
	Network NetworkRoutes
}

// NetworkRoutes registers the network protocol's routes (netapi.Handler).
type NetworkRoutes interface {
	Routes(mux *http.ServeMux)
}

// ReadyCheck is one condition of readiness: Check returns nil when it holds.
// Name is the key of its result in /readyz's body, such as "database".
type ReadyCheck struct {
	Name  string
	Check func(context.Context) error
}

// Page is one route of an HTML surface: a ServeMux pattern with its
// method, such as "GET /fi/consents", and its handler.
type Page struct {
	Pattern string
	Handler http.Handler
}

// OperatorInfo is what the operator description says about this operator.
type OperatorInfo struct {
	ID         string
	Name       string
	BusinessID string
	Email      string
	PublicURL  string // e.g. https://omadata.example.fi, without a trailing slash
	CreatedAt  time.Time
}

// Route is one registered route: its method, ServeMux pattern and who may
// call it (AuthPublic, AuthAdmin or AuthAdminService).
type Route struct{ Method, Pattern, Auth string }

// Server serves the operator's HTTP surface. It implements http.Handler.
type Server struct {
	opts    Options
	log     *slog.Logger
	mux     *http.ServeMux
	routes  []Route
	metrics *metrics
	handler http.Handler
	// appProofs checks the DPoP proofs of residents' own apps, at the
	// token endpoint and on the API, each proof once across instances.
	appProofs *dpop.Verifier
}

// New returns a Server with every route registered. It panics when a
// service is missing from o: that is a wiring bug, and every route of the
// service would otherwise answer 500.
func New(o Options) *Server {
	for name, svc := range map[string]any{
		"Organisations": o.Organisations, "Services": o.Services, "Credentials": o.Credentials, "DataGroups": o.DataGroups,
		"Purposes": o.Purposes, "Processings": o.Processings, "AISystems": o.AISystems, "Catalogue": o.Catalogue,
		"SigningKeys": o.SigningKeys, "Residents": o.Residents, "Representations": o.Representations, "Consents": o.Consents,
		"Decisions": o.Decisions, "Grants": o.Grants, "Webhooks": o.Webhooks, "Log": o.Log, "Usage": o.Usage,
		"Apps": o.Apps, "AppTokens": o.AppTokens,
	} {
		if v := reflect.ValueOf(svc); svc == nil || v.Kind() == reflect.Pointer && v.IsNil() {
			panic("web: Options." + name + " is nil")
		}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Metrics == nil {
		o.Metrics = prometheus.NewRegistry()
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	s := &Server{opts: o, log: o.Logger, mux: http.NewServeMux(), metrics: newMetrics(o.Metrics, o.Version)}
	s.appProofs = &dpop.Verifier{Replay: o.AppTokens}
	if o.Requests != nil {
		register(o.Metrics, newRequestDeadlines(o.Requests, o.Logger))
	}
	if o.Backlog != nil {
		register(o.Metrics, newBacklogGauges(o.Backlog, o.Logger))
	}

	h := &api.Handler{
		Organisations: o.Organisations,
		Services:      o.Services,
		Credentials:   o.Credentials,
		DataGroups:    o.DataGroups,
		Purposes:      o.Purposes,
		Processings:   o.Processings,
		AISystems:     o.AISystems,
		Catalogue:     o.Catalogue,

		Residents:       o.Residents,
		Representations: o.Representations,
		Consents:        o.Consents,
		Decisions:       o.Decisions,
		Grants:          o.Grants,
		Webhooks:        o.Webhooks,
		Log:             o.Log,
		Usage:           o.Usage,
		Requests:        o.Requests,
		Apps:            o.Apps,
		Archives:        o.Archives,
		Witness:         o.Witness,
		Witnessed:       o.Witnessed,
		PublicURL:       o.Operator.PublicURL,
		OperatorName:    o.Operator.Name,
	}
	for _, rt := range h.Routes() {
		s.handle(rt.Method, rt.Pattern, rt.Auth, rt.Handler)
	}
	s.handle("GET", "/healthz", AuthPublic, http.HandlerFunc(s.healthz))
	s.handle("GET", "/livez", AuthPublic, http.HandlerFunc(s.livez))
	s.handle("GET", "/readyz", AuthPublic, http.HandlerFunc(s.readyz))
	s.handle("GET", "/metrics", AuthPublic, s.metricsHandler())
	s.handle("GET", "/openapi.json", AuthPublic, http.HandlerFunc(s.openAPI))
	s.handle("GET", "/.well-known/mydata/operatordescription", AuthPublic, s.fn(s.operatorDescription))
	s.handle("GET", "/.well-known/jwks.json", AuthPublic, s.fn(s.jwks))
	s.handle("GET", "/.well-known/mydata/log-key", AuthPublic, s.fn(s.logKey))
	s.handle("GET", "/.well-known/mydata/witness-key", AuthPublic, s.fn(s.witnessKey))
	s.handle("GET", "/.well-known/oauth-authorization-server", AuthPublic, s.fn(s.oauthMetadata))
	// The witness speaks C2SP tlog-witness: its body and answers are the
	// specification's (plain text), not the API's JSON.
	s.handle("POST", WitnessPath, AuthPublic, witnessHandler(o.WitnessHandler))
	// The OAuth endpoints take forms, not JSON, and answer in RFC 6749's
	// error shape: they are the protocol of docs/apps.md, not operations
	// of the API's OpenAPI document.
	s.mux.Handle("POST /oauth/token", http.HandlerFunc(s.oauthToken))
	s.mux.Handle("POST /oauth/revoke", http.HandlerFunc(s.oauthRevoke))
	if o.Network != nil {
		o.Network.Routes(s.mux)
	}
	for _, pg := range o.Pages {
		s.mux.Handle(pg.Pattern, pg.Handler)
	}

	// The chain, outermost first. Authentication is not here: it depends
	// on the route, so handle wraps each route in it, after routing.
	s.handler = chain(http.HandlerFunc(s.dispatch),
		s.requestID, // every later step may log or answer with the ID
		s.accessLog, // one line per request, after it is done
		s.observe,   // Prometheus counter and histogram
		s.recover,   // inside the log and metrics, so a panic's 500 is logged and counted
		s.limitBody, // http.MaxBytesReader on every body
	)
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Routes returns every registered route, so tests and the OpenAPI check can
// walk them all.
func (s *Server) Routes() []Route { return append([]Route(nil), s.routes...) }

// rateLimited are the routes attackers would guess at or mint tokens on,
// by the kind of limit they count against.
var rateLimited = map[string]string{
	"POST /api/v1/grants":                    ratelimit.Token,
	"POST /api/v1/services/{id}/credentials": ratelimit.Credential,
	"POST /api/v1/admin-tokens":              ratelimit.Credential,
}

// handle registers a route behind the authentication its auth level asks for.
func (s *Server) handle(method, pattern, auth string, h http.Handler) {
	s.routes = append(s.routes, Route{Method: method, Pattern: pattern, Auth: auth})
	key := method + " " + pattern
	s.mux.Handle(key, s.authenticate(auth, rateLimited[key], checkQuery(queryParams[key], h)))
}

// WitnessPrefix is the tlog-witness submission prefix of the operator's
// witness, after its base URL, and WitnessPath where it takes
// add-checkpoint requests (docs/witnessing.md §2).
const (
	WitnessPrefix = "/witness/v1"
	WitnessPath   = WitnessPrefix + "/add-checkpoint"
)

// witnessHandler is the witness's route; without a witness it answers
// 404, as tlog-witness answers for a log it does not witness. The witness
// limits its body itself (64 KiB, docs/witnessing.md §8).
func witnessHandler(h http.Handler) http.Handler {
	if h != nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte("this operator witnesses no log\n"))
	})
}

func chain(h http.Handler, middleware ...func(http.Handler) http.Handler) http.Handler {
	for i := len(middleware) - 1; i >= 0; i-- {
		h = middleware[i](h)
	}
	return h
}
