// SPDX-License-Identifier: Apache-2.0

// Package portal is the resident portal: server-rendered pages in Finnish,
// Swedish and English that work without JavaScript. Residents log in with
// OpenID Connect, see which data about them is held and used, give, refuse
// and withdraw consents, download receipts and act for the people they
// represent. The catalogue and the AI system register are public.
//
// Every page lives under its language (/fi/…, /sv/…, /en/…); the page
// registry in pages.go lists them, and the navigation is built from it.
package portal

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

// SessionTTL is how long a portal session lasts after login.
const SessionTTL = 8 * time.Hour

// Options configures the portal. The services are required.
type Options struct {
	Residents       omadata.ResidentService
	Representations omadata.RepresentationService
	Consents        omadata.ConsentService
	Catalogue       omadata.CatalogueReader
	AISystems       omadata.AISystemService
	Credentials     omadata.CredentialService // turns a session cookie into a caller
	Usage           omadata.UsageService      // who used my data
	Log             omadata.LogService        // proofs of the usage
	Requests        omadata.RequestService    // data-subject requests
	// Archives makes the signed archive of all a resident's data (Art
	// 20): "Download all my data", and what an access request delivers.
	// nil leaves the download out and an access request delivers the
	// operator's records as one JSON document.
	Archives omadata.ArchiveService
	// Apps are the residents' own apps: the authorization endpoint with
	// its consent screen and the connected apps page. nil leaves both out.
	Apps omadata.AppService
	// OwnData answers with the data the city's sources hold about the
	// resident: "My data" lists the data groups and shows the data on
	// request. nil leaves both out.
	OwnData omadata.OwnDataService
	// Organisations names the sources' controllers in "My data" in the
	// page's language; nil leaves the name the own-data service gives.
	Organisations omadata.OrganisationService
	// PeerLogs checks a peer operator's log for its side of a release
	// by a peer's sink (docs/network.md §5.5), which "Who used my data"
	// shows beside our own proof; nil shows the peer's reference
	// unchecked.
	PeerLogs PeerLog

	// LogVerifierKey is the note verifier key of the log's checkpoints
	// (as /.well-known/mydata/log-key serves it); the proof page checks
	// checkpoints with it.
	LogVerifierKey string
	// Witnessed says which checkpoint of the log meets the witness policy
	// (docs/witnessing.md §5): the proof page, "Who used my data" and the
	// archive check inclusion against it and name its cosigners. nil
	// checks against the latest checkpoint, without a word on witnesses.
	Witnessed omadata.WitnessedLogService
	// TrustAnchor is the network's trust anchor ID (a URL), "" outside a
	// network: the proof page's script may fetch from it and from the
	// origins of the members among Witnessed's witnesses (its CSP's
	// connect-src) to take the log and witness keys from the trust chain.
	TrustAnchor string

	OIDC OIDC
	// PublicURL is where residents reach the operator, without a trailing
	// slash; https makes every cookie Secure.
	PublicURL string
	// SecretKey is the operator's secret key; the portal derives its own
	// key for cookies and CSRF tokens from it with HKDF.
	SecretKey []byte
	// Operator names who runs the operator, for its own privacy notice.
	Operator Operator
	// Demo says the built-in demo provider is the identity provider.
	Demo   bool
	Logger *slog.Logger
	// Now returns the current time; tests fix it. nil means time.Now.
	Now func() time.Time
	// Limiter limits login starts and callbacks per client address and
	// signed-in identity; nil means no limit.
	Limiter *ratelimit.Limiter
}

// OIDC names the OpenID provider residents log in with.
type OIDC = webui.OIDC

// Portal serves the resident portal.
type Portal struct {
	o     Options
	log   *slog.Logger
	ck    *webui.Cookies // signed cookies and CSRF tokens
	views map[string]*template.Template
	rp    *webui.RelyingParty
	now   func() time.Time
}

// Route is one route of the portal: a ServeMux pattern with its method,
// and its handler.
type Route struct {
	Pattern string
	Handler http.Handler
}

// New returns the portal, with its templates parsed: a template error
// stops start-up, never a request.
func New(o Options) (*Portal, error) {
	switch {
	case o.Residents == nil || o.Representations == nil || o.Consents == nil || o.Catalogue == nil || o.AISystems == nil || o.Credentials == nil ||
		o.Usage == nil || o.Log == nil || o.Requests == nil:
		return nil, errors.New("portal: a service is missing")
	case o.OIDC.Issuer == "" || o.OIDC.ClientID == "" || o.OIDC.IdentityClaim == "":
		return nil, errors.New("portal: the OpenID provider's issuer, client ID and identity claim are required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	o.PublicURL = strings.TrimRight(o.PublicURL, "/")
	ck, err := webui.NewCookies(o.SecretKey, "omadata portal cookies and CSRF tokens v1", "/", o.PublicURL)
	if err != nil {
		return nil, err
	}
	views, err := parseViews()
	if err != nil {
		return nil, err
	}
	p := &Portal{o: o, log: o.Logger, ck: ck, views: views, now: o.Now}
	p.rp = webui.NewRelyingParty(o.OIDC, o.PublicURL+CallbackPath, ck, loginCookie, o.Now)
	return p, nil
}
