// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bufio"
	"bytes"
	"cmp"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/demo"
	"github.com/omadata/omadata/internal/keys"
	"github.com/omadata/omadata/internal/owndata"
	"github.com/omadata/omadata/internal/web/ratelimit"
)

// Config is the operator's configuration. It is built from DefaultConfig,
// then an optional file of KEY=value lines, then OMADATA_* environment
// variables, then command-line flags, each overriding the one before; one
// parser reads them all, and a bad value is an error, never a default.
type Config struct {
	DatabaseURL   string
	Listen        string
	PublicURL     string // "" means http://<the bound listen address>
	SecretKey     []byte // 32 bytes; from OMADATA_SECRET_KEY or _FILE
	SecretKeyFile string
	MaxBodyBytes  int64
	ReadTimeout   time.Duration // to read a whole request, headers and body
	// SourceTimeout is how long the operator waits for one source's
	// answer with a resident's own data (docs/own-data.md).
	SourceTimeout time.Duration
	// Rate limits per client address and per account; the zero Rate is none.
	RateLimitLogin      ratelimit.Rate // portal and console login starts and callbacks
	RateLimitToken      ratelimit.Rate // the grant token endpoint
	RateLimitCredential ratelimit.Rate // credential and admin-token creation
	TrustedProxies      []netip.Prefix // whose X-Forwarded-For names the client
	Migrate             bool
	OperatorID          string // "" means the public URL
	OperatorName        string
	OperatorBusinessID  string
	OperatorEmail       string
	OperatorDPOEmail    string // the operator's data protection officer, in its own privacy notice
	LogLevel            slog.Level
	Demo                bool
	DemoCity            string // with Demo, only this city's part, as an operator of the demo network; "" the whole
	WebhookWorkers      int    // concurrent webhook deliveries; 0: this instance delivers none
	// ShutdownTimeout bounds a graceful shutdown, from the signal to the
	// exit; ShutdownDelay is its first part, when /readyz already says 503
	// and requests are still served, so that a load balancer stops sending.
	ShutdownTimeout time.Duration
	ShutdownDelay   time.Duration

	// The OpenID provider residents log in to the portal with. Without an
	// issuer the portal is off, except in demo mode, which starts the
	// built-in demo provider.
	OIDCIssuer        string
	OIDCClientID      string
	OIDCClientSecret  string
	OIDCIdentityClaim string // the ID token claim that carries the identity code
	OIDCNameClaim     string
	OIDCScopes        []string
	OIDCACRValues     []string // acceptable acr values; none: any

	// The OpenID provider staff log in to the console with, such as a
	// city's workforce directory. Each empty one falls back to the
	// residents' setting (staffOIDC); without an issuer the console uses
	// the residents' provider, client ID and secret.
	AdminOIDCIssuer        string
	AdminOIDCClientID      string
	AdminOIDCClientSecret  string
	AdminOIDCIdentityClaim string
	AdminOIDCNameClaim     string
	AdminOIDCScopes        []string
	AdminOIDCACRValues     []string

	// Network is how the operator joins a network of operators; the zero
	// value is none.
	Network NetworkConfig
	// Witness is how the operator's log is witnessed (docs/witnessing.md).
	Witness WitnessConfig
}

// DefaultConfig returns the configuration used where nothing else is set.
func DefaultConfig() Config {
	return Config{
		DatabaseURL:   "sqlite:./omadata.db",
		Listen:        "127.0.0.1:8080",
		MaxBodyBytes:  1 << 20,
		ReadTimeout:   30 * time.Second,
		SourceTimeout: owndata.DefaultTimeout,

		RateLimitLogin:      ratelimit.Rate{N: 30, Per: time.Minute},
		RateLimitToken:      ratelimit.Rate{N: 600, Per: time.Minute},
		RateLimitCredential: ratelimit.Rate{N: 20, Per: time.Minute},
		Migrate:             true,
		OperatorName:        "omadata",
		LogLevel:            slog.LevelInfo,
		WebhookWorkers:      4,
		ShutdownTimeout:     25 * time.Second,
		ShutdownDelay:       5 * time.Second,

		OIDCIdentityClaim: "national_id_num",
		OIDCNameClaim:     "name",
		OIDCScopes:        []string{"openid", "profile"},

		Network: NetworkConfig{SyncInterval: defaultNetworkSyncInterval},
		Witness: WitnessConfig{Interval: defaultWitnessInterval, Quorum: -1},
	}
}

// setting is one configuration key: how to parse it, and the flag that
// sets it, if any.
type setting struct {
	key   string
	flag  string
	usage string
	set   func(c *Config, v string) error
}

// settings lists every key, in the order the documentation shows them.
func settings() []setting {
	return append([]setting{
		{"OMADATA_DATABASE_URL", "database", "database URL: sqlite:<path> or postgres://…", func(c *Config, v string) error {
			// Anything else is taken for a SQLite path, so a mistyped
			// PostgreSQL URL would quietly become a new file. The value is
			// not echoed: it may hold a password.
			switch {
			case strings.TrimSpace(v) == "":
				return errors.New("must not be empty")
			case strings.HasPrefix(v, "postgres://"), strings.HasPrefix(v, "postgresql://"):
			case strings.HasPrefix(v, "postgres:"), strings.HasPrefix(v, "postgresql:"),
				!strings.HasPrefix(v, "sqlite:") && !strings.HasPrefix(v, "file:") && (strings.Contains(v, "://") || strings.Contains(v, "=")):
				return errors.New("want sqlite:<path> or postgres://user:password@host:port/database?sslmode=…")
			}
			c.DatabaseURL = v
			return nil
		}},
		{"OMADATA_LISTEN", "listen", "host:port to listen on", func(c *Config, v string) error {
			host, port, err := net.SplitHostPort(v)
			if err != nil {
				return fmt.Errorf("%q is not host:port", v)
			} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
				return fmt.Errorf("%q has no valid port", v)
			} else if strings.ContainsAny(host, "/ ") {
				return fmt.Errorf("%q has no valid host", v)
			}
			c.Listen = v
			return nil
		}},
		{"OMADATA_PUBLIC_URL", "public-url", "URL residents and services reach the operator at (default http://<listen>)", func(c *Config, v string) error {
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
				return fmt.Errorf("%q is not an absolute http or https URL", v)
			}
			c.PublicURL = strings.TrimRight(v, "/")
			return nil
		}},
		{"OMADATA_SECRET_KEY", "", "", func(c *Config, v string) error {
			key, err := decodeSecretKey(v)
			if err != nil {
				return err
			}
			c.SecretKey = key
			return nil
		}},
		{"OMADATA_SECRET_KEY_FILE", "", "", func(c *Config, v string) error {
			buf, err := os.ReadFile(v)
			if err != nil {
				return fmt.Errorf("cannot read the secret key file: %w", err)
			}
			key, err := decodeSecretKey(string(buf))
			if err != nil {
				return fmt.Errorf("%s: %w", v, err)
			}
			c.SecretKey, c.SecretKeyFile = key, v
			return nil
		}},
		{"OMADATA_MAX_BODY_BYTES", "", "", func(c *Config, v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 1024 || n > 1<<30 {
				return fmt.Errorf("%q is not a number of bytes from 1024 to 1073741824", v)
			}
			c.MaxBodyBytes = n
			return nil
		}},
		{"OMADATA_READ_TIMEOUT", "", "", func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < 100*time.Millisecond || d > 10*time.Minute {
				return fmt.Errorf("%q is not a duration from 100ms to 10m, such as 30s", v)
			}
			c.ReadTimeout = d
			return nil
		}},
		{"OMADATA_SHUTDOWN_TIMEOUT", "", "", func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < time.Second || d > 10*time.Minute {
				return fmt.Errorf("%q is not a duration from 1s to 10m, such as 25s", v)
			}
			c.ShutdownTimeout = d
			return nil
		}},
		{"OMADATA_SHUTDOWN_DELAY", "", "", func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 || d > 5*time.Minute {
				return fmt.Errorf("%q is not a duration from 0s to 5m, such as 5s", v)
			}
			c.ShutdownDelay = d
			return nil
		}},
		{"OMADATA_SOURCE_TIMEOUT", "", "", func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < 100*time.Millisecond || d > time.Minute {
				return fmt.Errorf("%q is not a duration from 100ms to 1m, such as 5s", v)
			}
			c.SourceTimeout = d
			return nil
		}},
		{"OMADATA_RATE_LIMIT_LOGIN", "", "", func(c *Config, v string) error { return parseRate(&c.RateLimitLogin, v) }},
		{"OMADATA_RATE_LIMIT_TOKEN", "", "", func(c *Config, v string) error { return parseRate(&c.RateLimitToken, v) }},
		{"OMADATA_RATE_LIMIT_CREDENTIAL", "", "", func(c *Config, v string) error { return parseRate(&c.RateLimitCredential, v) }},
		{"OMADATA_TRUSTED_PROXIES", "", "", func(c *Config, v string) error {
			var ps []netip.Prefix
			for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
				p, err := netip.ParsePrefix(f)
				if err != nil {
					a, aerr := netip.ParseAddr(f)
					if aerr != nil {
						return fmt.Errorf("%q is not an IP address or CIDR prefix, such as 10.0.0.0/8", f)
					}
					p = netip.PrefixFrom(a, a.BitLen())
				}
				ps = append(ps, p.Masked())
			}
			c.TrustedProxies = ps
			return nil
		}},
		{"OMADATA_MIGRATE", "", "", func(c *Config, v string) error { return parseBool(&c.Migrate, v) }},
		{"OMADATA_OPERATOR_ID", "", "", func(c *Config, v string) error {
			if err := plainText(v, 200); err != nil {
				return err
			}
			c.OperatorID = v
			return nil
		}},
		{"OMADATA_OPERATOR_NAME", "", "", func(c *Config, v string) error {
			if strings.TrimSpace(v) == "" {
				return errors.New("must not be empty")
			} else if err := plainText(v, 200); err != nil {
				return err
			}
			c.OperatorName = v
			return nil
		}},
		{"OMADATA_OPERATOR_BUSINESS_ID", "", "", func(c *Config, v string) error {
			if v != "" && !omadata.ValidBusinessID(v) {
				return fmt.Errorf("%q is not a valid Finnish business ID (Y-tunnus), such as 0201256-6", v)
			}
			c.OperatorBusinessID = v
			return nil
		}},
		{"OMADATA_OPERATOR_EMAIL", "", "", func(c *Config, v string) error {
			if v != "" {
				if a, err := mail.ParseAddress(v); err != nil || a.Address != v {
					return fmt.Errorf("%q is not an email address", v)
				}
			}
			c.OperatorEmail = v
			return nil
		}},
		{"OMADATA_OPERATOR_DPO_EMAIL", "", "", func(c *Config, v string) error {
			if v != "" {
				if a, err := mail.ParseAddress(v); err != nil || a.Address != v {
					return fmt.Errorf("%q is not an email address", v)
				}
			}
			c.OperatorDPOEmail = v
			return nil
		}},
		{"OMADATA_WEBHOOK_WORKERS", "", "", func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 64 {
				return fmt.Errorf("%q is not a number from 0 to 64", v)
			}
			c.WebhookWorkers = n
			return nil
		}},
		{"OMADATA_OIDC_ISSUER", "", "", func(c *Config, v string) error {
			if err := checkIssuer(v); err != nil {
				return err
			}
			// Used exactly as given: a trailing "/" is part of an issuer
			// (OpenID Connect Discovery 1.0 §4.3).
			c.OIDCIssuer = v
			return nil
		}},
		{"OMADATA_OIDC_CLIENT_ID", "", "", func(c *Config, v string) error {
			if err := plainText(v, 200); err != nil {
				return err
			}
			c.OIDCClientID = v
			return nil
		}},
		{"OMADATA_OIDC_CLIENT_SECRET", "", "", func(c *Config, v string) error {
			c.OIDCClientSecret = v
			return nil
		}},
		{"OMADATA_OIDC_CLIENT_SECRET_FILE", "", "", func(c *Config, v string) error {
			buf, err := os.ReadFile(v)
			if err != nil {
				return fmt.Errorf("cannot read the client secret file: %w", err)
			}
			c.OIDCClientSecret = strings.TrimSpace(string(buf))
			return nil
		}},
		{"OMADATA_OIDC_IDENTITY_CLAIM", "", "", func(c *Config, v string) error {
			if strings.TrimSpace(v) == "" || strings.ContainsAny(v, " \t") {
				return errors.New("must be a claim name")
			}
			c.OIDCIdentityClaim = v
			return nil
		}},
		{"OMADATA_OIDC_NAME_CLAIM", "", "", func(c *Config, v string) error {
			if strings.TrimSpace(v) == "" || strings.ContainsAny(v, " \t") {
				return errors.New("must be a claim name")
			}
			c.OIDCNameClaim = v
			return nil
		}},
		{"OMADATA_OIDC_SCOPES", "", "", func(c *Config, v string) error {
			scopes := strings.Fields(v)
			if !slices.Contains(scopes, "openid") {
				return errors.New("must include openid")
			}
			c.OIDCScopes = scopes
			return nil
		}},
		{"OMADATA_OIDC_ACR_VALUES", "", "", func(c *Config, v string) error {
			acr, err := parseACRValues(v)
			c.OIDCACRValues = acr
			return err
		}},
		{"OMADATA_ADMIN_OIDC_ISSUER", "", "", func(c *Config, v string) error {
			if err := checkIssuer(v); err != nil {
				return err
			}
			c.AdminOIDCIssuer = v
			return nil
		}},
		{"OMADATA_ADMIN_OIDC_CLIENT_ID", "", "", func(c *Config, v string) error {
			if err := plainText(v, 200); err != nil {
				return err
			}
			c.AdminOIDCClientID = v
			return nil
		}},
		{"OMADATA_ADMIN_OIDC_CLIENT_SECRET", "", "", func(c *Config, v string) error {
			c.AdminOIDCClientSecret = v
			return nil
		}},
		{"OMADATA_ADMIN_OIDC_CLIENT_SECRET_FILE", "", "", func(c *Config, v string) error {
			buf, err := os.ReadFile(v)
			if err != nil {
				return fmt.Errorf("cannot read the client secret file: %w", err)
			}
			c.AdminOIDCClientSecret = strings.TrimSpace(string(buf))
			return nil
		}},
		{"OMADATA_ADMIN_OIDC_IDENTITY_CLAIM", "", "", func(c *Config, v string) error {
			if v != "" && (strings.TrimSpace(v) == "" || strings.ContainsAny(v, " \t")) {
				return errors.New("must be a claim name")
			}
			c.AdminOIDCIdentityClaim = v
			return nil
		}},
		{"OMADATA_ADMIN_OIDC_NAME_CLAIM", "", "", func(c *Config, v string) error {
			if v != "" && (strings.TrimSpace(v) == "" || strings.ContainsAny(v, " \t")) {
				return errors.New("must be a claim name")
			}
			c.AdminOIDCNameClaim = v
			return nil
		}},
		{"OMADATA_ADMIN_OIDC_SCOPES", "", "", func(c *Config, v string) error {
			scopes := strings.Fields(v)
			if len(scopes) > 0 && !slices.Contains(scopes, "openid") {
				return errors.New("must include openid")
			}
			c.AdminOIDCScopes = scopes
			return nil
		}},
		{"OMADATA_ADMIN_OIDC_ACR_VALUES", "", "", func(c *Config, v string) error {
			acr, err := parseACRValues(v)
			c.AdminOIDCACRValues = acr
			return err
		}},
		{"OMADATA_LOG_LEVEL", "log-level", "debug, info, warn or error", func(c *Config, v string) error {
			switch strings.ToLower(v) {
			case "debug":
				c.LogLevel = slog.LevelDebug
			case "info":
				c.LogLevel = slog.LevelInfo
			case "warn":
				c.LogLevel = slog.LevelWarn
			case "error":
				c.LogLevel = slog.LevelError
			default:
				return fmt.Errorf("%q is not one of debug, info, warn, error", v)
			}
			return nil
		}},
		{"OMADATA_DEMO", "demo", "load the demo catalogue and create demo tokens and a demo secret key", func(c *Config, v string) error {
			return parseBool(&c.Demo, v)
		}},
		{"OMADATA_DEMO_CITY", "demo-city", "with --demo, load only this city's part of the demo as an operator of the demo network: helsinki, espoo or turku", func(c *Config, v string) error {
			if v != "" && !demo.ValidCity(v) {
				return fmt.Errorf("%q is not one of %s", v, strings.Join(demo.Cities(), ", "))
			}
			c.DemoCity = v
			return nil
		}},
	}, append(networkSettings(), witnessSettings()...)...)
}

// parseRate parses a rate limit setting: N/duration, or off.
func parseRate(r *ratelimit.Rate, v string) error {
	rate, err := ratelimit.ParseRate(v)
	if err != nil {
		return err
	}
	*r = rate
	return nil
}

// Set parses one setting. The error names the key and never echoes a secret.
func (c *Config) Set(key, value string) error {
	for _, s := range settings() {
		if s.key == key {
			if err := s.set(c, value); err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
			return nil
		}
	}
	return fmt.Errorf("unknown setting %s", key)
}

// LoadFile reads KEY=value lines; blank lines and lines starting with # are
// skipped, and an unknown key is an error.
func (c *Config) LoadFile(path string) error {
	buf, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(buf))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			return fmt.Errorf("%s:%d: want KEY=value", path, n)
		}
		key = strings.TrimSpace(key)
		if err := c.Set(key, strings.TrimSpace(value)); err != nil {
			return fmt.Errorf("%s:%d: %w", path, n, err)
		}
		seen[key] = true
		if err := oneSecretKey(seen); err != nil {
			return fmt.Errorf("%s:%d: %w", path, n, err)
		}
	}
	return sc.Err()
}

// oneSecretKey refuses a secret key given both inline and as a file in one
// layer of the configuration: which one was meant is anyone's guess.
func oneSecretKey(seen map[string]bool) error {
	if seen["OMADATA_SECRET_KEY"] && seen["OMADATA_SECRET_KEY_FILE"] {
		return errors.New("set OMADATA_SECRET_KEY or OMADATA_SECRET_KEY_FILE, not both")
	}
	return nil
}

// LoadEnv reads the OMADATA_* variables that lookup finds. Other OMADATA_
// variables, such as the test suite's, are left alone.
func (c *Config) LoadEnv(lookup func(string) (string, bool)) error {
	seen := map[string]bool{}
	for _, s := range settings() {
		if v, ok := lookup(s.key); ok {
			if err := c.Set(s.key, v); err != nil {
				return err
			}
			seen[s.key] = true
		}
	}
	return oneSecretKey(seen)
}

// Validate checks the configuration as a whole. Set keeps every value it
// parses valid; Validate also catches a Config whose fields were set
// directly, as tests do.
func (c *Config) Validate() error {
	switch {
	case c.DatabaseURL == "":
		return errors.New("OMADATA_DATABASE_URL: must not be empty")
	case c.Listen == "":
		return errors.New("OMADATA_LISTEN: must not be empty")
	case c.MaxBodyBytes <= 0:
		return errors.New("OMADATA_MAX_BODY_BYTES: must be positive")
	case c.ReadTimeout <= 0:
		return errors.New("OMADATA_READ_TIMEOUT: must be positive")
	case c.ShutdownTimeout <= 0:
		return errors.New("OMADATA_SHUTDOWN_TIMEOUT: must be positive")
	case c.ShutdownDelay < 0 || c.ShutdownDelay >= c.ShutdownTimeout:
		return fmt.Errorf("OMADATA_SHUTDOWN_DELAY: must be from 0 to less than OMADATA_SHUTDOWN_TIMEOUT (%s)", c.ShutdownTimeout)
	case c.WebhookWorkers < 0 || c.WebhookWorkers > 64:
		return errors.New("OMADATA_WEBHOOK_WORKERS: must be from 0 to 64")
	case c.OIDCIssuer != "" && c.OIDCClientID == "":
		return errors.New("OMADATA_OIDC_CLIENT_ID: required with OMADATA_OIDC_ISSUER")
	case c.AdminOIDCIssuer != "" && c.AdminOIDCClientID == "" && c.OIDCClientID == "":
		return errors.New("OMADATA_ADMIN_OIDC_CLIENT_ID: required with OMADATA_ADMIN_OIDC_ISSUER when OMADATA_OIDC_CLIENT_ID is not set")
	case c.AdminOIDCIssuer == "" && c.AdminOIDCClientID != "":
		return errors.New("OMADATA_ADMIN_OIDC_CLIENT_ID: needs OMADATA_ADMIN_OIDC_ISSUER; without it staff use the residents' provider and client")
	case c.DemoCity != "" && !c.Demo:
		return errors.New("OMADATA_DEMO_CITY: needs OMADATA_DEMO=true")
	case c.AdminOIDCIssuer == "" && c.AdminOIDCClientSecret != "":
		return errors.New("OMADATA_ADMIN_OIDC_CLIENT_SECRET: needs OMADATA_ADMIN_OIDC_ISSUER; without it staff use the residents' provider and client")
	case len(c.SecretKey) != 0 && len(c.SecretKey) != keys.SecretKeySize:
		return fmt.Errorf("secret key: got %d bytes, want %d", len(c.SecretKey), keys.SecretKeySize)
	}
	return c.validateNetwork()
}

// configFlags registers the --config flag and the flags of the settings
// in keys on fs. Call load after fs.Parse.
type configFlags struct {
	fs     *flag.FlagSet
	file   string
	values map[string]*string // by setting key
	bools  map[string]*bool
}

func newConfigFlags(fs *flag.FlagSet, keys ...string) *configFlags {
	f := &configFlags{fs: fs, values: map[string]*string{}, bools: map[string]*bool{}}
	fs.StringVar(&f.file, "config", "", "read settings from this file of KEY=value lines")
	for _, k := range keys {
		for _, s := range settings() {
			if s.key != k || s.flag == "" {
				continue
			}
			if k == "OMADATA_DEMO" {
				f.bools[k] = fs.Bool(s.flag, false, s.usage)
			} else {
				f.values[k] = fs.String(s.flag, "", s.usage)
			}
		}
	}
	return f
}

// load builds the configuration: defaults, file, environment, flags.
func (f *configFlags) load(lookup func(string) (string, bool)) (Config, error) {
	c := DefaultConfig()
	if f.file != "" {
		if err := c.LoadFile(f.file); err != nil {
			return c, err
		}
	}
	if err := c.LoadEnv(lookup); err != nil {
		return c, err
	}
	var err error
	f.fs.Visit(func(fl *flag.Flag) {
		for _, s := range settings() {
			if s.flag == fl.Name && err == nil {
				err = c.Set(s.key, fl.Value.String())
				if err != nil {
					err = fmt.Errorf("--%s: %w", fl.Name, errors.Unwrap(err))
				}
			}
		}
	})
	if err != nil {
		return c, err
	}
	return c, c.Validate()
}

// DataDir is where the demo keeps its files: the SQLite database's
// directory, or the working directory for PostgreSQL.
func (c *Config) DataDir() string {
	if strings.HasPrefix(c.DatabaseURL, "postgres://") || strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		return "."
	}
	path := strings.TrimPrefix(strings.TrimPrefix(c.DatabaseURL, "sqlite:"), "file:")
	return filepath.Dir(path)
}

// ensureOperator makes sure the operator description names who runs the
// operator. Demo mode stands in for the City of Helsinki; a real deployment
// must say who it is.
func (c *Config) ensureOperator() error {
	if c.Demo {
		city := cmp.Or(c.DemoCity, demo.CityHelsinki)
		if c.OperatorName == "omadata" {
			c.OperatorName = "omadata demo operator (" + demo.CityName(city)["en"] + ")"
		}
		if c.OperatorBusinessID == "" {
			c.OperatorBusinessID = demo.CityBusinessID(city)
		}
		if c.OperatorEmail == "" {
			c.OperatorEmail = "omadata-demo@example.fi"
		}
		if c.OperatorDPOEmail == "" {
			c.OperatorDPOEmail = "tietosuoja-demo@example.fi"
		}
		return nil
	}
	switch {
	case c.OperatorBusinessID == "":
		return errors.New("OMADATA_OPERATOR_BUSINESS_ID: required: the business ID of the organisation that runs the operator, published in its operator description")
	case c.OperatorEmail == "":
		return errors.New("OMADATA_OPERATOR_EMAIL: required: the contact address published in the operator description")
	}
	return nil
}

// DemoKeyFile is the secret key file demo mode creates when no key is set.
const DemoKeyFile = "omadata.key"

// ensureSecretKey makes sure serve has a secret key: the configured one, or
// in demo mode the key in the demo key file, created on first use.
func (c *Config) ensureSecretKey() (created bool, err error) {
	if len(c.SecretKey) != 0 {
		return false, nil
	} else if !c.Demo {
		return false, errors.New("no secret key: set OMADATA_SECRET_KEY or OMADATA_SECRET_KEY_FILE to 32 random bytes in base64 (openssl rand -base64 32), or try omadata serve --demo")
	}
	path := filepath.Join(c.DataDir(), DemoKeyFile)
	buf, err := os.ReadFile(path)
	if err == nil {
		key, err := decodeSecretKey(string(buf))
		if err != nil {
			return false, fmt.Errorf("%s: %w", path, err)
		}
		c.SecretKey, c.SecretKeyFile = key, path
		return false, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("read demo secret key: %w", err)
	}
	key := make([]byte, keys.SecretKeySize)
	if _, err := rand.Read(key); err != nil {
		return false, err
	}
	// O_EXCL: two demo servers starting at once must not each write a key.
	fh, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return false, fmt.Errorf("create demo secret key: %w", err)
	}
	if _, err := fh.WriteString(base64.StdEncoding.EncodeToString(key) + "\n"); err != nil {
		fh.Close()
		return false, fmt.Errorf("write demo secret key: %w", err)
	} else if err := fh.Close(); err != nil {
		return false, fmt.Errorf("write demo secret key: %w", err)
	}
	c.SecretKey, c.SecretKeyFile = key, path
	return true, nil
}

// existingSecretKey loads the secret key of a command that works on an
// existing database: the configured one, or with --demo the one serve
// --demo made. Unlike serve, it never creates a demo key: what it sealed
// under a new key could never be opened by the server.
func (c *Config) existingSecretKey() error {
	if len(c.SecretKey) == 0 && c.Demo {
		if _, err := os.Stat(filepath.Join(c.DataDir(), DemoKeyFile)); errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("no demo secret key in %s: run omadata serve --demo first", c.DataDir())
		}
	}
	_, err := c.ensureSecretKey()
	return err
}

// decodeSecretKey accepts 32 bytes in standard or URL-safe base64, padded
// or not, with surrounding whitespace.
func decodeSecretKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if key, err := enc.DecodeString(s); err == nil {
			if len(key) != keys.SecretKeySize {
				return nil, fmt.Errorf("the secret key is %d bytes, want %d", len(key), keys.SecretKeySize)
			}
			return key, nil
		}
	}
	return nil, errors.New("the secret key is not base64 (make one with: openssl rand -base64 32)")
}

func parseBool(dst *bool, v string) error {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return fmt.Errorf("%q is not true or false", v)
	}
	*dst = b
	return nil
}

func plainText(v string, max int) error {
	if !utf8.ValidString(v) || utf8.RuneCountInString(v) > max {
		return fmt.Errorf("at most %d characters of UTF-8", max)
	}
	for _, r := range v {
		if r < 0x20 || r == 0x7f {
			return errors.New("must not contain control characters")
		}
	}
	return nil
}

// checkIssuer accepts an https issuer URL (http only on localhost)
// without query or fragment, or "".
func checkIssuer(v string) error {
	u, err := url.Parse(v)
	if v != "" && (err != nil || (u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname()))) || u.Host == "" || u.RawQuery != "" || u.Fragment != "") {
		return fmt.Errorf("%q is not an https URL (http only on localhost)", v)
	}
	return nil
}

// parseACRValues reads space-separated acr values, such as Suomi.fi's
// http://ftn.ficora.fi/2017/loa3.
func parseACRValues(v string) ([]string, error) {
	if err := plainText(v, 1000); err != nil {
		return nil, err
	}
	acr := strings.Fields(v)
	for _, a := range acr {
		if strings.ContainsAny(a, "\"\\") {
			return nil, fmt.Errorf("%.80q is not an acr value", a)
		}
	}
	return acr, nil
}

// isLoopback reports whether host names this machine, where plain http
// to an identity provider is acceptable (development only).
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
