// SPDX-License-Identifier: Apache-2.0

// Package admin is the admin console: server-rendered pages in Finnish,
// Swedish and English under /admin/{lang}/, for the operator's and the
// organisations' staff. Staff sign in with an OpenID provider of their
// own, such as the city's workforce directory, or the residents'; the
// staff table maps the verified identity code to a role.
// Operator admins change things; auditors (data protection officers) read
// everything and change nothing. The pages work without JavaScript and
// share the resident portal's look.
package admin

import (
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/web/ratelimit"
	"github.com/omadata/omadata/internal/web/webui"
)

// Prefix is where the console lives.
const Prefix = "/admin"

// CallbackPath is the console's redirect URI at the provider, after the
// public URL.
const CallbackPath = Prefix + "/auth/callback"

// SessionTTL is how long a console session lasts after login.
const SessionTTL = 8 * time.Hour

// Options configures the console. Every service is required.
type Options struct {
	Staff         omadata.StaffService
	Organisations omadata.OrganisationService
	Services      omadata.ServiceRegistry
	Credentials   omadata.CredentialService
	DataGroups    omadata.DataGroupService
	Processings   omadata.ProcessingService
	Webhooks      omadata.WebhookService
	Requests      omadata.RequestService
	Log           omadata.LogService
	// Representations answers which kinds of representation a source is
	// designated to record.
	Representations omadata.RepresentationService
	// Overview counts the operator's activity for the front page.
	Overview omadata.OverviewService
	// Witness is the operator's witness state, its evidence of forks and
	// the collector's progress (docs/witnessing.md); Witnessed lists the
	// witnesses of its own log, nil: only those the collector asked.
	Witness   omadata.WitnessService
	Witnessed omadata.WitnessedLogService

	OIDC OIDC
	// PublicURL is where staff reach the operator, without a trailing slash.
	PublicURL string
	// SecretKey is the operator's secret key; the console derives its own
	// key for cookies and CSRF tokens from it with HKDF.
	SecretKey []byte
	Logger    *slog.Logger
	// Now returns the current time; tests fix it. nil means time.Now.
	Now func() time.Time
	// Limiter limits login starts and callbacks per client address and
	// signed-in identity; nil means no limit.
	Limiter *ratelimit.Limiter
}

// OIDC names the OpenID provider staff sign in with: their own, or the
// residents'.
type OIDC = webui.OIDC

// Admin serves the console.
type Admin struct {
	o     Options
	log   *slog.Logger
	ck    *webui.Cookies // signed cookies and CSRF tokens
	views map[string]*template.Template
	rp    *webui.RelyingParty
	now   func() time.Time
}

// Route is a ServeMux pattern with its handler.
type Route struct {
	Pattern string
	Handler http.Handler
}

// New returns the console with its templates parsed.
func New(o Options) (*Admin, error) {
	switch {
	case o.Staff == nil || o.Organisations == nil || o.Services == nil || o.Credentials == nil || o.DataGroups == nil ||
		o.Processings == nil || o.Webhooks == nil || o.Requests == nil || o.Log == nil || o.Representations == nil || o.Overview == nil || o.Witness == nil:
		return nil, errors.New("admin: a service is missing")
	case o.OIDC.Issuer == "" || o.OIDC.ClientID == "" || o.OIDC.IdentityClaim == "":
		return nil, errors.New("admin: the OpenID provider's issuer, client ID and identity claim are required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	o.PublicURL = strings.TrimRight(o.PublicURL, "/")
	ck, err := webui.NewCookies(o.SecretKey, "omadata admin cookies and CSRF tokens v1", Prefix, o.PublicURL)
	if err != nil {
		return nil, err
	}
	views, err := parseViews()
	if err != nil {
		return nil, err
	}
	a := &Admin{o: o, log: o.Logger, ck: ck, views: views, now: o.Now}
	a.rp = webui.NewRelyingParty(o.OIDC, o.PublicURL+CallbackPath, ck, loginCookie, o.Now)
	return a, nil
}
