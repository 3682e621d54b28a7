// SPDX-License-Identifier: Apache-2.0

package main

import (
	"cmp"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
	"net/http"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/demo"
	"github.com/omadata/omadata/internal/demo/idp"
	"github.com/omadata/omadata/internal/store"
	"github.com/omadata/omadata/internal/web"
	"github.com/omadata/omadata/internal/web/admin"
	"github.com/omadata/omadata/internal/web/portal"
	"github.com/omadata/omadata/internal/web/ratelimit"
)

// demoClientID is the portal's client ID at the built-in demo provider.
const demoClientID = "omadata-portal"

// portalPages builds the resident portal, and in demo mode without a
// configured provider the built-in demo OpenID provider, and returns their
// routes and the portal's page for unknown paths (web.Options.NotFound).
// Without a provider the portal is off (no routes, a nil page).
func portalPages(cfg Config, s *store.Store, publicURL, logKey string, limiter *ratelimit.Limiter, log *slog.Logger, own omadata.OwnDataService, archives omadata.ArchiveService, peerLogs portal.PeerLog,
	witnessed omadata.WitnessedLogService) ([]web.Page, http.Handler, error) {
	oc := portal.OIDC{
		Issuer: cfg.OIDCIssuer, ClientID: cfg.OIDCClientID, ClientSecret: cfg.OIDCClientSecret,
		IdentityClaim: cfg.OIDCIdentityClaim, NameClaim: cfg.OIDCNameClaim, Scopes: cfg.OIDCScopes, ACRValues: cfg.OIDCACRValues,
	}
	var pages []web.Page
	builtIn := cfg.Demo && oc.Issuer == ""
	if builtIn {
		// The demo provider's client secret only ever travels inside this
		// process; derive it so that restarts agree.
		sec, err := hkdf.Key(sha256.New, cfg.SecretKey, nil, "omadata demo OpenID client secret v1", 32)
		if err != nil {
			return nil, nil, err
		}
		oc.Issuer, oc.ClientID, oc.ClientSecret = publicURL+idp.Prefix, demoClientID, base64.RawURLEncoding.EncodeToString(sec)
		p, err := idp.New(idp.Options{
			Issuer: oc.Issuer, ClientID: oc.ClientID, ClientSecret: oc.ClientSecret,
			RedirectURL: publicURL + portal.CallbackPath, StaffRedirectURL: publicURL + admin.CallbackPath, IdentityClaim: oc.IdentityClaim, NameClaim: oc.NameClaim,
			People: demo.CityPeople(cfg.DemoCity),
		})
		if err != nil {
			return nil, nil, err
		}
		for _, pat := range p.Patterns() {
			pages = append(pages, web.Page{Pattern: pat, Handler: p})
		}
	}
	var notFound http.Handler
	if oc.Issuer == "" {
		log.Info("resident portal off: set OMADATA_OIDC_ISSUER and OMADATA_OIDC_CLIENT_ID to turn it on")
	} else {
		pt, err := portal.New(portal.Options{
			Residents: s, Representations: s, Consents: s, Catalogue: s, AISystems: s, Credentials: s,
			Usage: s, Log: s, Requests: s, Apps: s, OwnData: own, Organisations: s, LogVerifierKey: logKey, Archives: archives, PeerLogs: peerLogs,
			Witnessed: witnessed, TrustAnchor: cfg.Network.Anchor,
			OIDC: oc, PublicURL: publicURL, SecretKey: cfg.SecretKey, Demo: builtIn, Logger: log, Limiter: limiter,
			Operator: portal.Operator{Name: cfg.OperatorName, BusinessID: cfg.OperatorBusinessID, Email: cfg.OperatorEmail, DPOEmail: cfg.OperatorDPOEmail},
		})
		if err != nil {
			return nil, nil, err
		}
		for _, r := range pt.Routes() {
			pages = append(pages, web.Page{Pattern: r.Pattern, Handler: r.Handler})
		}
		notFound = pt.NotFound()
		log.Info("resident portal on", "issuer", oc.Issuer, "built_in_demo_provider", builtIn)
	}
	// The admin console: staff sign in with their own provider, or the
	// residents'.
	so := staffOIDC(cfg, oc)
	if so.Issuer == "" {
		return pages, notFound, nil
	}
	ad, err := admin.New(admin.Options{
		Staff: s, Organisations: s, Services: s, Credentials: s, DataGroups: s, Processings: s,
		Webhooks: s, Requests: s, Log: s, Representations: s, Overview: s, Witness: s, Witnessed: witnessed,
		OIDC:      so,
		PublicURL: publicURL, SecretKey: cfg.SecretKey, Logger: log, Limiter: limiter,
	})
	if err != nil {
		return nil, nil, err
	}
	for _, r := range ad.Routes() {
		pages = append(pages, web.Page{Pattern: r.Pattern, Handler: r.Handler})
	}
	log.Info("admin console on", "issuer", so.Issuer, "own_provider", cfg.AdminOIDCIssuer != "")
	return pages, notFound, nil
}

// staffOIDC is the provider staff log in with. Without an issuer of its
// own the console uses the residents' provider and client (residents,
// after the demo's built-in provider is filled in), each OMADATA_ADMIN_OIDC_*
// setting given replacing the residents'. With an issuer of its own, its
// client secret and required assurance levels are its own or none: the
// residents' provider's secret is never sent to another provider, and the
// residents' levels (Suomi.fi's, say) mean nothing to a workforce
// directory; the client ID, claims and scopes still fall back.
func staffOIDC(cfg Config, residents portal.OIDC) admin.OIDC {
	so := residents
	if cfg.AdminOIDCIssuer != "" {
		so.Issuer = cfg.AdminOIDCIssuer
		so.ClientID = cmp.Or(cfg.AdminOIDCClientID, so.ClientID)
		so.ClientSecret = cfg.AdminOIDCClientSecret
		so.ACRValues = nil
	}
	so.IdentityClaim = cmp.Or(cfg.AdminOIDCIdentityClaim, so.IdentityClaim)
	so.NameClaim = cmp.Or(cfg.AdminOIDCNameClaim, so.NameClaim)
	if len(cfg.AdminOIDCScopes) > 0 {
		so.Scopes = cfg.AdminOIDCScopes
	}
	if len(cfg.AdminOIDCACRValues) > 0 {
		so.ACRValues = cfg.AdminOIDCACRValues
	}
	return so
}
