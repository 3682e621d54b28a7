// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/archive"
	"github.com/omadata/omadata/internal/demo"
	"github.com/omadata/omadata/internal/keys"
	"github.com/omadata/omadata/internal/netnode"
	"github.com/omadata/omadata/internal/owndata"
	"github.com/omadata/omadata/internal/store"
	"github.com/omadata/omadata/internal/web"
	"github.com/omadata/omadata/internal/web/portal"
	"github.com/omadata/omadata/internal/web/ratelimit"
	"github.com/omadata/omadata/internal/webhook"
	"github.com/omadata/omadata/internal/worker"
)

// Timeouts of the HTTP server. Bodies are small JSON documents, so a slow
// client that takes longer is more likely an attack than a user; the
// timeout to read a whole request is OMADATA_READ_TIMEOUT (30 s), and its
// header must come within readHeaderTimeout or that, whichever is shorter
// (the read timeout covers the whole request, headers included).
const (
	readHeaderTimeout = 10 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 120 * time.Second
)

// workerShare is the part of OMADATA_SHUTDOWN_TIMEOUT kept for the
// background work after the HTTP server has stopped: at most this, and at
// most a fifth of the timeout.
const workerShare = 5 * time.Second

// keyRefreshInterval is how often serve reads which signing key is active,
// so that a rotation by "omadata keys rotate" or another instance reaches
// it without a restart.
const keyRefreshInterval = 3 * time.Second

// ServeCommand runs the operator.
type ServeCommand struct {
	m  *Main
	fs *flag.FlagSet
	cf *configFlags
}

func newServeCommand(m *Main) *ServeCommand {
	c := &ServeCommand{m: m, fs: flag.NewFlagSet("serve", flag.ContinueOnError)}
	c.cf = newConfigFlags(c.fs, "OMADATA_DATABASE_URL", "OMADATA_LISTEN", "OMADATA_PUBLIC_URL", "OMADATA_LOG_LEVEL", "OMADATA_DEMO", "OMADATA_DEMO_CITY")
	return c
}

// Run serves until ctx ends or the process gets SIGINT or SIGTERM, then
// shuts down gracefully.
func (c *ServeCommand) Run(ctx context.Context, args []string) error {
	if err := parseFlags(c.fs, args, c.Usage, 0); err != nil {
		return err
	}
	cfg, err := c.cf.load(c.m.LookupEnv)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	return c.serve(ctx, stop, cfg)
}

// Usage prints the command's help.
func (c *ServeCommand) Usage() {
	fmt.Fprint(c.m.Stdout, `Usage: omadata serve [flags]

Runs the operator: the JSON API under /api/v1, the public catalogue, the
OpenAPI document at /openapi.json, health at /healthz and metrics at
/metrics, and the resident portal at / when an OpenID provider is set
(OMADATA_OIDC_ISSUER, OMADATA_OIDC_CLIENT_ID). The admin console at /admin
signs staff in with the residents' provider, or with one of their own
(OMADATA_ADMIN_OIDC_ISSUER, OMADATA_ADMIN_OIDC_CLIENT_ID). It migrates the
database first unless OMADATA_MIGRATE=false, and serves on a database a
newer version migrated without changing it.

On SIGTERM or SIGINT it answers 503 at /readyz for OMADATA_SHUTDOWN_DELAY
(5s) while still serving, then finishes the requests in flight, hands
back the webhook deliveries it has not finished, and exits within
OMADATA_SHUTDOWN_TIMEOUT (25s) of the signal.

It is a witness of other logs at /witness/v1 (C2SP tlog-witness), and has
its own log's checkpoints cosigned by the network's witnesses and those of
OMADATA_WITNESSES (docs/witnessing.md).

It needs a secret key (OMADATA_SECRET_KEY or OMADATA_SECRET_KEY_FILE) to
seal its signing keys. With --demo it makes one in omadata.key beside the
database, loads a demo catalogue and demo residents, writes demo tokens
beside it too, and signs residents in with a built-in demo provider.
With --demo-city it loads only that city's part of the demo, as one
operator of the demo network ("omadata demo network" starts them all).
`)
	printFlags(c.m.Stdout, c.fs)
}

func (c *ServeCommand) serve(ctx context.Context, stopSignals func(), cfg Config) error {
	log := slog.New(slog.NewJSONHandler(c.m.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	if err := cfg.ensureOperator(); err != nil {
		return err
	}
	keyCreated, err := cfg.ensureSecretKey()
	if err != nil {
		return err
	} else if keyCreated {
		log.Warn("created a demo secret key; keep it, or the signing keys cannot be opened", "file", cfg.SecretKeyFile)
	}
	sealer, err := keys.NewSealer(cfg.SecretKey)
	if err != nil {
		return err
	}

	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	log.Info("database opened", "engine", db.Engine(), "url", store.SafeURL(cfg.DatabaseURL))
	if cfg.Migrate {
		applied, err := db.Migrate(ctx)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		log.Info("database migrated", "applied", append([]string{}, applied...))
	}
	// A newer version may have migrated the database during a rolling
	// upgrade: this one serves on it, as expand-then-contract promises,
	// unless the two histories diverged (docs/store.md).
	if unknown, err := db.CheckSchema(ctx); err != nil {
		return fmt.Errorf("database schema: %w", err)
	} else if len(unknown) > 0 {
		log.Info("database migrated by a newer version; serving on its schema", "unknown", unknown)
	}
	s := store.New(db)

	admin := omadata.NewContextWithCaller(ctx, omadata.Caller{Kind: omadata.CallerAdmin})
	signer, key, err := keys.NewActiveSigner(admin, s, sealer, omadata.KeyPurposeRecords)
	if err != nil {
		return fmt.Errorf("signing key: %w", err)
	}
	keyring, err := keys.NewKeyring(cfg.SecretKey)
	if err != nil {
		return err
	}
	createdAt, err := operatorCreatedAt(admin, s, key)
	if err != nil {
		return err
	}
	log.Info("signing key ready", "kid", key.ID)

	var tokens *demo.Tokens
	var demoRes *demo.Result
	if cfg.Demo {
		svcs := demo.Services{Organisations: s, Services: s, Credentials: s, DataGroups: s, Purposes: s, Processings: s, AISystems: s, Representations: s}
		res, err := demo.LoadCity(ctx, svcs, cfg.DemoCity)
		demoRes = res
		if err != nil {
			return err
		}
		if tokens, err = demo.EnsureTokens(ctx, svcs, cfg.DataDir(), res); err != nil {
			return err
		}
		log.Info("demo catalogue loaded", "created", res.Created, "admin_token_file", tokens.AdminFile,
			"service_token_file", tokens.ServiceFile, "source_token_file", tokens.SourceFile)
		if _, err := demo.LoadApp(ctx, s); err != nil {
			return fmt.Errorf("demo app: %w", err)
		}
	}

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	publicURL := cfg.PublicURL
	if publicURL == "" {
		publicURL = "http://" + ln.Addr().String()
	}
	operatorID := cfg.OperatorID
	if operatorID == "" {
		operatorID = publicURL
	}
	origin, err := s.LogOriginInUse(admin)
	if err != nil {
		return fmt.Errorf("log origin: %w", err)
	} else if origin == "" {
		origin = omadata.LogOrigin(operatorID)
	}
	logSigner, logKey, err := keys.LogSigner(admin, s, sealer, origin)
	if err != nil {
		return fmt.Errorf("log key: %w", err)
	}
	s = store.New(db, store.WithKeyring(keyring), store.WithSigner(signer), store.WithIssuer(operatorID), store.WithLog(logSigner))

	if cfg.Demo {
		n, err := demo.LoadCityResidents(ctx, demo.ResidentServices{Residents: s, Representations: s}, cfg.DemoCity)
		if err != nil {
			return err
		}
		log.Info("demo residents loaded", "created", n)
		// Each demo resident's pages show data about them: consents and
		// transfers, recorded as a sink and a source would. A demo whose
		// catalogue was changed since (a processing retired) may refuse
		// them; the operator still starts.
		if n, err := demo.LoadActivity(ctx, demo.ActivityServices{Residents: s, Consents: s, Grants: s, Usage: s, Catalogue: s}, demoRes); err != nil {
			log.Warn("demo residents' data uses not loaded", "error", err.Error())
		} else {
			log.Info("demo residents' data uses loaded", "created", n)
		}
		if err := demo.LoadCityStaff(ctx, demo.StaffServices{Staff: s, Organisations: s}, cfg.DemoCity); err != nil {
			return err
		}
	}
	metrics := prometheus.NewRegistry()
	metrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Every operator is a witness of other logs (docs/witnessing.md §2).
	cosigner, err := newWitnessCosigner(admin, s, sealer, operatorID)
	if err != nil {
		return err
	}
	node, err := joinNetwork(admin, cfg, s, sealer, operatorID, origin, logKey, cosigner.VerifierKey(), log, metrics)
	if err != nil {
		return err
	} else if node != nil {
		// A local sink's question about a peer's source and resident goes
		// to the peer (docs/network.md §5.3, §5.4).
		s = s.With(store.WithRelayer(node.Client))
	}
	wit := newWitnessing(cfg, s, cosigner, node, logKey, publicURL, log, metrics)
	limiter := ratelimit.New(ratelimit.Options{
		Rates:          map[string]ratelimit.Rate{ratelimit.Login: cfg.RateLimitLogin, ratelimit.Token: cfg.RateLimitToken, ratelimit.Credential: cfg.RateLimitCredential},
		TrustedProxies: cfg.TrustedProxies,
		Metrics:        metrics,
	})
	// A resident's own data at the sources (docs/own-data.md), each asked
	// within OMADATA_SOURCE_TIMEOUT, for the portal's "My data" and the
	// archive a resident takes with them (docs/archive.md), signed with
	// the receipt key.
	own, err := owndata.New(s, nil, cfg.SourceTimeout, log)
	if err != nil {
		return err
	}
	archives := &archive.Builder{Requests: s, OwnData: own, Signer: signer, OperatorID: operatorID, PublicURL: publicURL,
		Witnessed: wit.Own, Log: s}
	pages, notFound, err := portalPages(cfg, s, publicURL, logKey, limiter, log, own, archives, peerLogs(node), wit.Own)
	if err != nil {
		return err
	}
	if cfg.Demo && demoRes != nil {
		sp, err := demoSourcePages(ctx, s, demoRes, demo.CityAllPeople(cfg.DemoCity), publicURL, log)
		if err != nil {
			return fmt.Errorf("demo sources: %w", err)
		}
		pages = append(pages, sp...)
	}
	var stopping atomic.Bool // set on the signal: /readyz says 503
	handler := web.New(web.Options{
		Organisations: s, Services: s, Credentials: s, DataGroups: s, Purposes: s,
		Processings: s, AISystems: s, Catalogue: s, SigningKeys: s,
		Residents: s, Representations: s, Consents: s, Decisions: s, Grants: s, Webhooks: s, Requests: s, Backlog: s,
		Log: s, Usage: s, LogVerifierKey: logKey, Apps: s, AppTokens: s, Archives: archives,
		Witness: s, Witnessed: wit.Own, WitnessHandler: wit.Handler, WitnessVerifierKey: cosigner.VerifierKey(),
		Health: db.Ping,
		Ready: append([]web.ReadyCheck{
			{Name: "database", Check: db.Ping},
			{Name: "migrations", Check: migrationsCurrent(db)},
			{Name: "signing_key", Check: func(context.Context) error { return signer.Err() }},
			{Name: "shutdown", Check: func(context.Context) error {
				if stopping.Load() {
					return errors.New("shutting down")
				}
				return nil
			}},
		}, networkReady(node)...),
		Logger:       log,
		Metrics:      metrics,
		MaxBodyBytes: cfg.MaxBodyBytes,
		Limiter:      limiter,
		Version:      Version(),
		Operator: web.OperatorInfo{
			ID: operatorID, Name: cfg.OperatorName, BusinessID: cfg.OperatorBusinessID,
			Email: cfg.OperatorEmail, PublicURL: publicURL, CreatedAt: createdAt,
		},
		Pages:    pages,
		NotFound: notFound,
		Network:  networkRoutes(node),
	})
	srv := &http.Server{
		Handler:           closeWhenStopping(&stopping, handler),
		ReadHeaderTimeout: min(readHeaderTimeout, cfg.ReadTimeout),
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		ConnState:         handler.ConnState,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(handler.Listener(ln)) }()
	log.Info("listening", "addr", ln.Addr().String(), "public_url", publicURL, "version", Version())
	printNextSteps(c.m.Stdout, publicURL, notFound != nil, tokens, demoTokenNames(admin, s, cfg, tokens))
	stopWorkers := startWorkers(ctx, cfg, s, signer, node, wit, log, metrics)
	defer func() {
		// On an early return; after a shutdown they have stopped already.
		wctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
		defer cancel()
		stopWorkers(wctx)
	}()
	if cfg.DemoCity != "" && demoRes != nil {
		stopDemo := startDemoCitySteps(ctx, s, demoRes, log)
		defer stopDemo()
	}
	if c.m.Ready != nil {
		c.m.Ready(ln.Addr())
	}

	select {
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	// A second Ctrl-C during shutdown kills the process the usual way.
	stopSignals()
	err = shutdown(log, cfg, srv, serveErr, &stopping, stopWorkers)
	log.Info("stopped")
	return err
}

// shutdown stops the operator within cfg.ShutdownTimeout of the signal, in
// phases, each logged: /readyz says 503 while requests are still served
// for cfg.ShutdownDelay, so that a load balancer stops sending; then the
// server stops accepting and finishes the requests in flight (each one's
// group commit with it: no call answers before its batch is committed);
// then the background work stops, and the webhook deliveries it has not
// finished by the bound are handed back. The database closes after it
// returns. It returns an error when the bound cut something short.
func shutdown(log *slog.Logger, cfg Config, srv *http.Server, serveErr <-chan error, stopping *atomic.Bool, stopWorkers func(context.Context) error) error {
	start := time.Now()
	deadline := start.Add(cfg.ShutdownTimeout)
	stopping.Store(true) // /readyz says 503; responses close their connections
	log.Info("shutdown: not ready; still serving", "delay", cfg.ShutdownDelay.String(), "timeout", cfg.ShutdownTimeout.String())
	time.Sleep(cfg.ShutdownDelay)

	log.Info("shutdown: no longer accepting; finishing requests in flight")
	hctx, cancel := context.WithDeadline(context.Background(), deadline.Add(-min(workerShare, cfg.ShutdownTimeout/5)))
	defer cancel()
	var failed error
	if err := srv.Shutdown(hctx); err != nil {
		log.Error("shutdown: requests still in flight at the bound; closing their connections", "error", err.Error())
		srv.Close()
		failed = fmt.Errorf("shutdown: requests in flight: %w", err)
	} else if err := <-serveErr; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("shutdown: requests finished; stopping background work", "elapsed", time.Since(start).Round(time.Millisecond).String())

	// After the server: the events of the last requests are in the outbox;
	// deliveries in flight finish, or are handed back at the bound.
	wctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	if err := stopWorkers(wctx); err != nil {
		log.Error("shutdown: background work cut short at the bound", "error", err.Error())
		failed = errors.Join(failed, err)
	}
	log.Info("shutdown: background work stopped; closing the database", "elapsed", time.Since(start).Round(time.Millisecond).String())
	return failed
}

// closeWhenStopping makes each response of a stopping instance close its
// connection, so that clients (and a load balancer) open their next one to
// another instance. Idle connections stay open until the server stops
// accepting: closing one now could drop a request already on its way.
func closeWhenStopping(stopping *atomic.Bool, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if stopping.Load() {
			w.Header().Set("Connection", "close")
		}
		h.ServeHTTP(w, r)
	})
}

// startWorkers starts the background work of the operator: the webhook
// deliverer (unless OMADATA_WEBHOOK_WORKERS=0), consent expiry, request
// reminders, the log's checkpointer (its integrator), the key refresher,
// the network node and the witnesses' cosignature collector. They run as
// the operator's admin caller, on a context that ctx's signal does not
// cancel, so that the server can shut down first. The returned function
// stops them and waits for them to drain until ctx's deadline; a second
// before it, the webhook deliveries still in flight are cut short and
// handed back (released, not lost). It says when something had not
// stopped by the deadline. Calling it again does nothing.
func startWorkers(ctx context.Context, cfg Config, s *store.Store, signer *keys.ActiveSigner, node *netnode.Node, wit *witnessing, log *slog.Logger, metrics *prometheus.Registry) func(context.Context) error {
	operator := omadata.NewContextWithCaller(context.WithoutCancel(ctx), omadata.Caller{Kind: omadata.CallerAdmin, TokenID: "operator"})
	bg, cancel := context.WithCancel(operator)
	var wg sync.WaitGroup
	var deliverer *webhook.Deliverer
	if cfg.WebhookWorkers > 0 {
		deliverer = webhook.New(webhook.Options{Queue: s, Workers: cfg.WebhookWorkers, Logger: log, Metrics: metrics})
		wg.Go(func() { deliverer.Run(bg) })
		log.Info("webhook deliverer started", "workers", cfg.WebhookWorkers)
	}
	expiry := &worker.Expiry{Consents: s, Logger: log}
	wg.Go(func() { expiry.Run(bg) })
	reminders := &worker.Reminders{Requests: s, Logger: log}
	wg.Go(func() { reminders.Run(bg) })
	checkpointer := &worker.Checkpointer{Log: s, Logger: log}
	wg.Go(func() { checkpointer.Run(bg) })
	wg.Go(func() { signer.Run(bg, keyRefreshInterval, log) })
	if node != nil {
		wg.Go(func() { node.Run(bg) })
	}
	// The collector asks the witnesses to cosign the latest checkpoint
	// in the background: no consent write waits for it (docs/witnessing.md §3).
	wg.Go(func() { wit.Collector.Run(bg, wit.Interval) })
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	return func(ctx context.Context) error {
		cancel()
		abort := make(<-chan time.Time)
		if deadline, ok := ctx.Deadline(); ok && deliverer != nil {
			t := time.NewTimer(time.Until(deadline) - time.Second)
			defer t.Stop()
			abort = t.C
		}
		for {
			select {
			case <-done:
				return nil
			case <-abort:
				log.Warn("shutdown: webhook deliveries in flight cut short; handing them back")
				deliverer.Abort()
				abort = nil
			case <-ctx.Done():
				return fmt.Errorf("background work still running: %w", ctx.Err())
			}
		}
	}
}

// migrationsCurrent is the readiness check that no migration is pending:
// an instance of a newer version started with OMADATA_MIGRATE=false waits
// for "omadata migrate".
func migrationsCurrent(db *store.DB) func(context.Context) error {
	return func(ctx context.Context) error {
		pending, err := db.PendingMigrations(ctx)
		if err != nil {
			return err
		} else if len(pending) > 0 {
			return fmt.Errorf("%d migrations pending, from %s", len(pending), pending[0])
		}
		return nil
	}
}

// operatorCreatedAt is when the operator first started: the creation time
// of its oldest records signing key.
func operatorCreatedAt(ctx context.Context, s *store.Store, active *omadata.SigningKey) (time.Time, error) {
	ks, err := s.FindSigningKeys(ctx)
	if err != nil {
		return time.Time{}, fmt.Errorf("find signing keys: %w", err)
	}
	t := active.CreatedAt
	for _, k := range ks {
		if k.Purpose == omadata.KeyPurposeRecords && !k.CreatedAt.IsZero() && k.CreatedAt.Before(t) {
			t = k.CreatedAt
		}
	}
	return t, nil
}

// printNextSteps tells the person who started the server where to go next.
// names are what the demo's sink and source tokens belong to.
func printNextSteps(w io.Writer, base string, portalOn bool, t *demo.Tokens, names [2]string) {
	fmt.Fprintf(w, "omadata %s is serving %s\n\n", Version(), base)
	if portalOn {
		fmt.Fprintf(w, "  Resident portal    %s/\n", base)
		fmt.Fprintf(w, "  Admin console      %s/admin/\n", base)
	}
	fmt.Fprintf(w, `  Public catalogue   %s/api/v1/public/catalogue
  Purposes           %s/api/v1/public/purposes
  OpenAPI document   %s/openapi.json
  Health             %s/healthz
  Metrics            %s/metrics
`, base, base, base, base, base)
	if t != nil {
		fmt.Fprintf(w, `
Demo admin token (in %s):
  %s
Demo service token of the %s sink (in %s):
  %s
`, t.AdminFile, t.Admin, names[0], t.ServiceFile, t.Service)
		if t.SourceFile != "" {
			fmt.Fprintf(w, "Demo source token of the %s source (in %s):\n  %s\n", names[1], t.SourceFile, t.Source)
		}
		fmt.Fprintf(w, `
Try:
  curl -H "Authorization: Bearer $(cat %s)" %s/api/v1/whoami
`, t.AdminFile, base)
	}
	fmt.Fprintln(w, "\nStop with Ctrl-C.")
}

// demoTokenNames names the services of the demo's sink and source tokens:
// the single demo operator's Kirjasuositus and Helmet library loans, a
// demo city's by their English names.
func demoTokenNames(ctx context.Context, s *store.Store, cfg Config, t *demo.Tokens) [2]string {
	names := [2]string{"Kirjasuositus", "Helmet library loans"}
	if t == nil || cfg.DemoCity == "" {
		return names
	}
	for i, id := range []string{t.ServiceID, t.SourceID} {
		if sv, err := s.FindServiceByID(ctx, id); err == nil {
			names[i] = sv.Name["en"]
		}
	}
	return names
}

// networkRoutes is the node's routes for the server, or none.
func networkRoutes(node *netnode.Node) web.NetworkRoutes {
	if node == nil {
		return nil
	}
	return node.Handler
}

// peerLogs checks peers' logs for the portal, or none.
func peerLogs(node *netnode.Node) portal.PeerLog {
	if node == nil {
		return nil
	}
	return node
}

// networkReady is the readiness check of a member: its federation keys
// open (it does not wait for the anchor, whose outage must not take every
// instance out of service).
func networkReady(node *netnode.Node) []web.ReadyCheck {
	if node == nil {
		return nil
	}
	return []web.ReadyCheck{{Name: "federation_key", Check: func(ctx context.Context) error {
		_, _, err := node.Member.SigningKey(ctx)
		return err
	}}}
}
