module github.com/omadata/omadata

go 1.26.8

require (
	filippo.io/torchwood v0.6.1 // C2SP tlog-cosignature: signs our witness's cosignatures (cosignature/v1), so that we do not hand-roll it
	github.com/chromedp/chromedp v0.23.0 // test-only: drives real headless Chromium through the portal (login, consents, axe-core checks)
	github.com/coreos/go-oidc/v3 v3.21.0 // portal login: OpenID Connect discovery and ID token verification against any provider
	github.com/go-jose/go-jose/v4 v4.1.9 // JWKs and JWS for operator signing keys; no hand-rolled JOSE
	github.com/jackc/pgx/v5 v5.12.0 // PostgreSQL, through its database/sql driver; consent writes and the bench load use its raw connection (batch, COPY)
	github.com/lestrrat-go/jwx/v3 v3.3.0 // test-only: verifies receipts independently of go-jose, which signs them
	github.com/mattn/go-sqlite3 v1.14.53 // reference SQLite driver (cgo), build tag sqlite_mattn, measured in docs/performance.md
	github.com/ncruces/go-sqlite3 v0.37.0 // alternative SQLite driver without cgo, build tag sqlite_ncruces, measured in docs/performance.md
	github.com/piprate/json-gold v0.9.1 // test-only: a JSON-LD 1.1 processor we did not write expands every consent receipt and shows nothing is dropped
	github.com/prometheus/client_golang v1.25.0 // /metrics in the Prometheus exposition format
	github.com/santhosh-tekuri/jsonschema/v6 v6.0.3 // test-only: validates API responses against the OpenAPI document
	github.com/standard-webhooks/standard-webhooks/libraries v0.0.1 // test-only: the official Standard Webhooks verifier checks our signatures
	github.com/zitadel/oidc/v3 v3.52.0 // test-only: tools/testop, a real OpenID provider process (zitadel's OpenID-certified op package) that the login tests run against
	golang.org/x/mod v0.42.0 // RFC 6962 tree hashes and proofs (sumdb/tlog) and C2SP signed notes (sumdb/note) for the transparency log
	golang.org/x/oauth2 v0.38.0 // portal login: the OAuth 2.0 authorization code flow with PKCE that OIDC runs on
	modernc.org/sqlite v1.61.1 // SQLite without cgo, the default engine
)

require (
	github.com/beorn7/perks v1.0.1 // indirect
	github.com/bmatcuk/doublestar/v4 v4.10.4 // indirect
	github.com/cayleygraph/quad v1.3.0 // indirect
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/chromedp/cdproto v0.159.0 // indirect
	github.com/decred/dcrd/dcrec/secp256k1/v4 v4.4.1 // indirect
	github.com/dustin/go-humanize v1.1.0 // indirect
	github.com/go-chi/chi/v5 v5.5.0 // indirect
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
	github.com/go-logr/logr v1.4.4 // indirect
	github.com/go-logr/stdr v1.2.2 // indirect
	github.com/goccy/go-json v0.10.6 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/gorilla/securecookie v1.1.2 // indirect
	github.com/jackc/pgpassfile v1.0.0 // indirect
	github.com/jackc/pgservicefile v0.0.0-20240606120523-5a60cdf6a761 // indirect
	github.com/jackc/puddle/v2 v2.2.3 // indirect
	github.com/lestrrat-go/blackmagic v1.0.4 // indirect
	github.com/lestrrat-go/dsig v1.4.0 // indirect
	github.com/lestrrat-go/dsig-secp256k1 v1.0.0 // indirect
	github.com/lestrrat-go/httpcc v1.0.1 // indirect
	github.com/lestrrat-go/httprc/v3 v3.0.6 // indirect
	github.com/lestrrat-go/option/v2 v2.0.0 // indirect
	github.com/mattn/go-isatty v0.0.24 // indirect
	github.com/muhlemmer/gu v0.3.1 // indirect
	github.com/muhlemmer/httpforwarded v0.1.0 // indirect
	github.com/munnerz/goautoneg v0.0.0-20191010083416-a7dc8b61c822 // indirect
	github.com/ncruces/go-sqlite3-wasm/v6 v6.5.35401 // indirect
	github.com/ncruces/go-strftime v1.1.0 // indirect
	github.com/ncruces/julianday v1.0.0 // indirect
	github.com/pquerna/cachecontrol v0.2.0 // indirect
	github.com/prometheus/client_model v0.6.3 // indirect
	github.com/prometheus/common v0.72.0 // indirect
	github.com/prometheus/procfs v0.22.0 // indirect
	github.com/remyoudompheng/bigfft v0.0.0-20230129092748-24d4a6f8daec // indirect
	github.com/rs/cors v1.11.1 // indirect
	github.com/segmentio/asm v1.2.1 // indirect
	github.com/valyala/fastjson v1.6.10 // indirect
	github.com/zitadel/schema v1.3.2 // indirect
	go.opentelemetry.io/auto/sdk v1.2.1 // indirect
	go.opentelemetry.io/otel v1.46.0 // indirect
	go.opentelemetry.io/otel/metric v1.46.0 // indirect
	go.opentelemetry.io/otel/trace v1.46.0 // indirect
	golang.org/x/crypto v0.58.0 // indirect
	golang.org/x/sync v0.24.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
	golang.org/x/text v0.43.0 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
	modernc.org/libc v1.79.0 // indirect
	modernc.org/mathutil v1.7.1 // indirect
	modernc.org/memory v1.12.1 // indirect
)
