// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata/internal/web/portal"
)

// loadConfig parses args with serve's flags and loads the configuration.
func loadConfig(t *testing.T, env map[string]string, args ...string) (Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cf := newConfigFlags(fs, "OMADATA_DATABASE_URL", "OMADATA_LISTEN", "OMADATA_PUBLIC_URL", "OMADATA_LOG_LEVEL", "OMADATA_DEMO")
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return cf.load(envOf(env))
}

func TestConfigDefaults(t *testing.T) {
	c, err := loadConfig(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseURL != "sqlite:./omadata.db" || c.Listen != "127.0.0.1:8080" || c.PublicURL != "" ||
		!c.Migrate || c.Demo || c.MaxBodyBytes != 1<<20 || c.LogLevel != slog.LevelInfo || c.SecretKey != nil ||
		c.WebhookWorkers != 4 || c.ShutdownTimeout != 25*time.Second || c.ShutdownDelay != 5*time.Second || c.ReadTimeout != 30*time.Second || c.SourceTimeout != 5*time.Second || c.RateLimitLogin.String() != "30/1m0s" ||
		c.RateLimitToken.String() != "600/1m0s" || c.RateLimitCredential.String() != "20/1m0s" || c.TrustedProxies != nil {
		t.Fatalf("got %+v, want the defaults", c)
	}
	if got := c.DataDir(); got != "." {
		t.Errorf("DataDir: got %q, want .", got)
	}
}

func TestConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "omadata.conf")
	writeFile(t, file, strings.Join([]string{
		"# file settings",
		"",
		"OMADATA_DATABASE_URL = sqlite:/from/file.db",
		"OMADATA_LISTEN=127.0.0.1:7000",
		"OMADATA_LOG_LEVEL=debug",
		"OMADATA_OPERATOR_NAME=Operator from file",
	}, "\n"))
	env := map[string]string{
		"OMADATA_LISTEN":               "127.0.0.1:7001",
		"OMADATA_LOG_LEVEL":            "warn",
		"OMADATA_MIGRATE":              "false",
		"OMADATA_TEST_POSTGRES_DSN":    "ignored: not a setting",
		"OMADATA_OPERATOR_BUSINESS_ID": "0201256-6",
		"OMADATA_READ_TIMEOUT":         "2.5s",
		"OMADATA_SOURCE_TIMEOUT":       "750ms",
		"OMADATA_SHUTDOWN_TIMEOUT":     "40s",
		"OMADATA_SHUTDOWN_DELAY":       "0s",
		"OMADATA_RATE_LIMIT_LOGIN":     "off",
		"OMADATA_RATE_LIMIT_TOKEN":     "5/10s",
		"OMADATA_TRUSTED_PROXIES":      "10.0.0.0/8, 192.0.2.7,2001:db8::/32",
	}
	c, err := loadConfig(t, env, "--config", file, "--log-level", "error", "--public-url", "https://omadata.example.fi/")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, got, want string }{
		{"database (file)", c.DatabaseURL, "sqlite:/from/file.db"},
		{"listen (env over file)", c.Listen, "127.0.0.1:7001"},
		{"log level (flag over env over file)", c.LogLevel.String(), "ERROR"},
		{"public URL (flag, trailing slash trimmed)", c.PublicURL, "https://omadata.example.fi"},
		{"operator name (file)", c.OperatorName, "Operator from file"},
		{"business ID (env)", c.OperatorBusinessID, "0201256-6"},
		{"data dir", c.DataDir(), "/from"},
		{"read timeout (env)", c.ReadTimeout.String(), "2.5s"},
		{"source timeout (env)", c.SourceTimeout.String(), "750ms"},
		{"shutdown timeout (env)", c.ShutdownTimeout.String(), "40s"},
		{"shutdown delay (env)", c.ShutdownDelay.String(), "0s"},
		{"login rate (env)", c.RateLimitLogin.String(), "off"},
		{"token rate (env)", c.RateLimitToken.String(), "5/10s"},
		{"credential rate (default)", c.RateLimitCredential.String(), "20/1m0s"},
		{"trusted proxies (env)", fmt.Sprint(c.TrustedProxies), "[10.0.0.0/8 192.0.2.7/32 2001:db8::/32]"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, tc.got, tc.want)
		}
	}
	if c.Migrate {
		t.Error("migrate: got true, want false from the environment")
	}
}

func TestConfigInvalid(t *testing.T) {
	key := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	for _, tc := range []struct {
		name, key, value, want string
	}{
		{"EmptyDatabase", "OMADATA_DATABASE_URL", "", "must not be empty"},
		{"DatabaseScheme", "OMADATA_DATABASE_URL", "mysql://u:hunter2@db/omadata", "want sqlite:<path> or postgres://"},
		{"DatabaseTypo", "OMADATA_DATABASE_URL", "postgres:/u:hunter2@db/omadata", "want sqlite:<path> or postgres://"},
		{"DatabaseKeywords", "OMADATA_DATABASE_URL", "host=db password=hunter2", "want sqlite:<path> or postgres://"},
		{"ListenNoPort", "OMADATA_LISTEN", "localhost", "not host:port"},
		{"ListenBadPort", "OMADATA_LISTEN", "localhost:99999", "no valid port"},
		{"PublicURLRelative", "OMADATA_PUBLIC_URL", "/omadata", "not an absolute"},
		{"PublicURLScheme", "OMADATA_PUBLIC_URL", "ftp://example.fi", "not an absolute"},
		{"SecretKeyShort", "OMADATA_SECRET_KEY", base64.StdEncoding.EncodeToString([]byte("short")), "want 32"},
		{"SecretKeyNotBase64", "OMADATA_SECRET_KEY", "not base64!", "not base64"},
		{"SecretKeyFileMissing", "OMADATA_SECRET_KEY_FILE", "/nonexistent/omadata.key", "cannot read"},
		{"MaxBodyBytesWord", "OMADATA_MAX_BODY_BYTES", "1MB", "not a number"},
		{"MaxBodyBytesTiny", "OMADATA_MAX_BODY_BYTES", "10", "not a number"},
		{"MigrateYes", "OMADATA_MIGRATE", "yes", "not true or false"},
		{"BusinessIDCheckDigit", "OMADATA_OPERATOR_BUSINESS_ID", "0201256-5", "not a valid Finnish business ID"},
		{"EmailBad", "OMADATA_OPERATOR_EMAIL", "not an email", "not an email address"},
		{"EmailWithName", "OMADATA_OPERATOR_EMAIL", "Ops <ops@example.fi>", "not an email address"},
		{"DPOEmailBad", "OMADATA_OPERATOR_DPO_EMAIL", "not an email", "not an email address"},
		{"NameBlank", "OMADATA_OPERATOR_NAME", "  ", "must not be empty"},
		{"NameControl", "OMADATA_OPERATOR_NAME", "a\x01b", "control characters"},
		{"LogLevel", "OMADATA_LOG_LEVEL", "verbose", "not one of"},
		{"Demo", "OMADATA_DEMO", "maybe", "not true or false"},
		{"DemoCityUnknown", "OMADATA_DEMO_CITY", "vantaa", "not one of helsinki, espoo, turku"},
		{"DemoCityWithoutDemo", "OMADATA_DEMO_CITY", "espoo", "needs OMADATA_DEMO=true"},
		{"ReadTimeoutNoUnit", "OMADATA_READ_TIMEOUT", "30", "not a duration"},
		{"ReadTimeoutTiny", "OMADATA_READ_TIMEOUT", "1ms", "not a duration"},
		{"ShutdownTimeoutNoUnit", "OMADATA_SHUTDOWN_TIMEOUT", "25", "not a duration"},
		{"ShutdownTimeoutTiny", "OMADATA_SHUTDOWN_TIMEOUT", "10ms", "not a duration"},
		{"ShutdownDelayNegative", "OMADATA_SHUTDOWN_DELAY", "-1s", "not a duration"},
		{"ShutdownDelayPastTimeout", "OMADATA_SHUTDOWN_DELAY", "30s", "less than OMADATA_SHUTDOWN_TIMEOUT"},
		{"SourceTimeoutNoUnit", "OMADATA_SOURCE_TIMEOUT", "5", "not a duration"},
		{"SourceTimeoutLong", "OMADATA_SOURCE_TIMEOUT", "10m", "not a duration"},
		{"RateLimitNoPeriod", "OMADATA_RATE_LIMIT_LOGIN", "30", "N/duration"},
		{"RateLimitZero", "OMADATA_RATE_LIMIT_TOKEN", "0/1m", "N/duration"},
		{"RateLimitShortPeriod", "OMADATA_RATE_LIMIT_CREDENTIAL", "5/1ms", "N/duration"},
		{"TrustedProxiesWord", "OMADATA_TRUSTED_PROXIES", "10.0.0.0/8,proxy.internal", "not an IP address or CIDR prefix"},
		{"WebhookWorkersNegative", "OMADATA_WEBHOOK_WORKERS", "-1", "not a number from 0 to 64"},
		{"WebhookWorkersMany", "OMADATA_WEBHOOK_WORKERS", "65", "not a number from 0 to 64"},
		{"OIDCIssuerQuery", "OMADATA_OIDC_ISSUER", "https://id.example.fi/?tenant=1", "not an https URL"},
		{"OIDCACRQuote", "OMADATA_OIDC_ACR_VALUES", `loa3 "high"`, "not an acr value"},
		{"AdminIssuerHTTP", "OMADATA_ADMIN_OIDC_ISSUER", "http://id.example.fi/", "not an https URL"},
		{"AdminClientIDAlone", "OMADATA_ADMIN_OIDC_CLIENT_ID", "console", "needs OMADATA_ADMIN_OIDC_ISSUER"},
		{"AdminClientSecretAlone", "OMADATA_ADMIN_OIDC_CLIENT_SECRET", "hunter2", "needs OMADATA_ADMIN_OIDC_ISSUER"},
		{"AdminClientSecretFileMissing", "OMADATA_ADMIN_OIDC_CLIENT_SECRET_FILE", "/nonexistent/secret", "cannot read"},
		{"AdminIdentityClaimSpace", "OMADATA_ADMIN_OIDC_IDENTITY_CLAIM", "national id", "must be a claim name"},
		{"AdminNameClaimSpace", "OMADATA_ADMIN_OIDC_NAME_CLAIM", " ", "must be a claim name"},
		{"AdminScopesNoOpenID", "OMADATA_ADMIN_OIDC_SCOPES", "profile email", "must include openid"},
		{"AdminACRControl", "OMADATA_ADMIN_OIDC_ACR_VALUES", "loa3\x01", "control characters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadConfig(t, map[string]string{tc.key: tc.value})
			if err == nil {
				t.Fatalf("got nil error, want one containing %q", tc.want)
			}
			if !strings.HasPrefix(err.Error(), tc.key+": ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %q, want %s: …%s…", err, tc.key, tc.want)
			}
			if strings.Contains(err.Error(), key) || strings.Contains(err.Error(), "hunter2") {
				t.Error("the error shows a secret")
			}
		})
	}
}

func TestConfigSecretKey(t *testing.T) {
	raw := bytes.Repeat([]byte{0xfb}, 32)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		c, err := loadConfig(t, map[string]string{"OMADATA_SECRET_KEY": " " + enc.EncodeToString(raw) + "\n"})
		if err != nil {
			t.Fatal(err)
		} else if !bytes.Equal(c.SecretKey, raw) {
			t.Fatalf("got %x, want %x", c.SecretKey, raw)
		}
	}

	t.Run("File", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "secret")
		writeFile(t, path, base64.StdEncoding.EncodeToString(raw)+"\n")
		c, err := loadConfig(t, map[string]string{"OMADATA_SECRET_KEY_FILE": path})
		if err != nil {
			t.Fatal(err)
		} else if !bytes.Equal(c.SecretKey, raw) || c.SecretKeyFile != path {
			t.Fatalf("got key %x from %q, want %x from %q", c.SecretKey, c.SecretKeyFile, raw, path)
		}
	})

	t.Run("Both", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "secret")
		writeFile(t, path, base64.StdEncoding.EncodeToString(raw))
		_, err := loadConfig(t, map[string]string{"OMADATA_SECRET_KEY_FILE": path, "OMADATA_SECRET_KEY": base64.StdEncoding.EncodeToString(raw)})
		if err == nil || !strings.Contains(err.Error(), "not both") {
			t.Fatalf("got %v, want an error about setting both", err)
		}
	})

	t.Run("RequiredWithoutDemo", func(t *testing.T) {
		c := DefaultConfig()
		if _, err := c.ensureSecretKey(); err == nil {
			t.Fatal("got nil error, want a missing secret key")
		}
	})

	t.Run("DemoKeyFile", func(t *testing.T) {
		dir := t.TempDir()
		c, err := loadConfig(t, nil, "--demo", "--database", "sqlite:"+filepath.Join(dir, "omadata.db"))
		if err != nil {
			t.Fatal(err)
		}
		created, err := c.ensureSecretKey()
		if err != nil || !created || len(c.SecretKey) != 32 {
			t.Fatalf("got created %t, %d bytes, error %v; want a new 32-byte key", created, len(c.SecretKey), err)
		}
		path := filepath.Join(dir, DemoKeyFile)
		if fi, err := os.Stat(path); err != nil {
			t.Fatal(err)
		} else if fi.Mode().Perm() != 0o600 {
			t.Errorf("got mode %v, want 0600", fi.Mode().Perm())
		}
		again, err := loadConfig(t, nil, "--demo", "--database", "sqlite:"+filepath.Join(dir, "omadata.db"))
		if err != nil {
			t.Fatal(err)
		}
		if created, err := again.ensureSecretKey(); err != nil || created || !bytes.Equal(again.SecretKey, c.SecretKey) {
			t.Fatalf("second run: got created %t, error %v, same key %t; want the key from the file",
				created, err, bytes.Equal(again.SecretKey, c.SecretKey))
		}
	})
}

func TestConfigFile(t *testing.T) {
	for _, tc := range []struct{ name, content, want string }{
		{"NoEquals", "OMADATA_LISTEN 127.0.0.1:80\n", ":1: want KEY=value"},
		{"UnknownKey", "\n# comment\nOMADATA_NOPE=1\n", ":3: unknown setting OMADATA_NOPE"},
		{"BadValue", "OMADATA_MIGRATE=sometimes\n", `:1: OMADATA_MIGRATE: "sometimes" is not true or false`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "omadata.conf")
			writeFile(t, path, tc.content)
			_, err := loadConfig(t, nil, "--config", path)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want …%s", err, tc.want)
			}
		})
	}
	t.Run("Missing", func(t *testing.T) {
		if _, err := loadConfig(t, nil, "--config", filepath.Join(t.TempDir(), "none")); err == nil {
			t.Fatal("got nil error, want one")
		}
	})
}

// TestConfigOIDC: the issuer is kept exactly as given, a trailing "/"
// included; acr values are a list; each staff setting falls back to the
// residents' one, and without an issuer of its own the console uses the
// residents' provider and client.
func TestConfigOIDC(t *testing.T) {
	c, err := loadConfig(t, map[string]string{
		"OMADATA_OIDC_ISSUER":               "https://id.example.fi/realms/city/",
		"OMADATA_OIDC_CLIENT_ID":            "portal",
		"OMADATA_OIDC_CLIENT_SECRET":        "portal-secret",
		"OMADATA_OIDC_ACR_VALUES":           " http://ftn.ficora.fi/2017/loa3  http://eidas.europa.eu/LoA/high ",
		"OMADATA_ADMIN_OIDC_ISSUER":         "https://workforce.example.fi",
		"OMADATA_ADMIN_OIDC_IDENTITY_CLAIM": "hetu",
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.OIDCIssuer != "https://id.example.fi/realms/city/" {
		t.Errorf("issuer: got %q, want it as given", c.OIDCIssuer)
	}
	if got := fmt.Sprint(c.OIDCACRValues); got != "[http://ftn.ficora.fi/2017/loa3 http://eidas.europa.eu/LoA/high]" {
		t.Errorf("acr values: got %s", got)
	}
	residents := portal.OIDC{Issuer: c.OIDCIssuer, ClientID: c.OIDCClientID, ClientSecret: c.OIDCClientSecret,
		IdentityClaim: c.OIDCIdentityClaim, NameClaim: c.OIDCNameClaim, Scopes: c.OIDCScopes, ACRValues: c.OIDCACRValues}
	got := fmt.Sprintf("%+v", staffOIDC(c, residents))
	// Another provider: never the residents' secret or assurance levels.
	want := "{Issuer:https://workforce.example.fi ClientID:portal ClientSecret: IdentityClaim:hetu NameClaim:name Scopes:[openid profile] ACRValues:[] HTTPClient:<nil>}"
	if got != want {
		t.Errorf("staff provider with an issuer of its own:\n got %s\nwant %s", got, want)
	}

	c, err = loadConfig(t, map[string]string{
		"OMADATA_OIDC_ISSUER":           "https://id.example.fi",
		"OMADATA_OIDC_CLIENT_ID":        "portal",
		"OMADATA_ADMIN_OIDC_SCOPES":     "openid staff",
		"OMADATA_ADMIN_OIDC_ACR_VALUES": "http://ftn.ficora.fi/2017/loa3",
		"OMADATA_ADMIN_OIDC_NAME_CLAIM": "displayName",
	})
	if err != nil {
		t.Fatal(err)
	}
	residents = portal.OIDC{Issuer: c.OIDCIssuer, ClientID: c.OIDCClientID, IdentityClaim: c.OIDCIdentityClaim, NameClaim: c.OIDCNameClaim, Scopes: c.OIDCScopes}
	got = fmt.Sprintf("%+v", staffOIDC(c, residents))
	want = "{Issuer:https://id.example.fi ClientID:portal ClientSecret: IdentityClaim:national_id_num NameClaim:displayName Scopes:[openid staff] ACRValues:[http://ftn.ficora.fi/2017/loa3] HTTPClient:<nil>}"
	if got != want {
		t.Errorf("staff at the residents' provider:\n got %s\nwant %s", got, want)
	}

	// A staff provider needs a client ID, its own or the residents'.
	_, err = loadConfig(t, map[string]string{"OMADATA_ADMIN_OIDC_ISSUER": "https://workforce.example.fi/"})
	if err == nil || !strings.HasPrefix(err.Error(), "OMADATA_ADMIN_OIDC_CLIENT_ID: required with OMADATA_ADMIN_OIDC_ISSUER") {
		t.Errorf("a staff issuer without a client ID: got %v", err)
	}
}
