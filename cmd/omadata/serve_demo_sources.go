// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/client"
	"github.com/omadata/omadata/internal/demo"
	"github.com/omadata/omadata/internal/demo/sources"
	"github.com/omadata/omadata/internal/store"
	"github.com/omadata/omadata/internal/web"
)

// demoSourceCredential names the credential each demo source verifies
// grants with; a start revokes the one of the start before.
const demoSourceCredential = "demo own-data source (serve --demo)"

// demoSourcePages mounts the demo's sources of residents' own data (about
// people, the operator's demo residents) in the operator's own server,
// under sources.Prefix, and points the demo sources' endpoints.api at
// them (docs/own-data.md). Each verifies the operator's grants over HTTP
// at publicURL, as a source elsewhere would.
func demoSourcePages(ctx context.Context, s *store.Store, res *demo.Result, people []demo.Person, publicURL string, log *slog.Logger) ([]web.Page, error) {
	admin := omadata.NewContextWithCaller(ctx, omadata.Caller{Kind: omadata.CallerAdmin})
	srcs, err := sources.LinkPeople(ctx, sources.Services{Services: s, DataGroups: s, Residents: s}, res.IDs, people)
	if err != nil {
		return nil, err
	}
	// The sources call this very server; give them a short timeout of
	// their own.
	hc := &http.Client{Timeout: 10 * time.Second}
	var pages []web.Page
	for _, src := range srcs {
		creds, err := s.FindCredentials(admin, src.ServiceID)
		if err != nil {
			return nil, fmt.Errorf("demo source %s: %w", src.Key, err)
		}
		for _, c := range creds {
			if c.Name == demoSourceCredential && c.RevokedAt == nil {
				if _, err := s.RevokeCredential(admin, src.ServiceID, c.ID); err != nil {
					return nil, fmt.Errorf("demo source %s: %w", src.Key, err)
				}
			}
		}
		cred := &omadata.Credential{ServiceID: src.ServiceID, Name: demoSourceCredential, Scopes: []string{omadata.ScopeTransfers}}
		if err := s.CreateCredential(admin, cred); err != nil {
			return nil, fmt.Errorf("demo source %s: %w", src.Key, err)
		}
		c := client.New(publicURL, cred.Token, client.WithHTTPClient(hc))
		base := sources.APIBase(publicURL, src.Key)
		h := sources.Handler(src.Key, client.NewVerifier(publicURL, src.ServiceID, c, client.WithPublicURL(publicURL)), src.Groups, src.People)
		pages = append(pages, web.Page{Pattern: "GET " + sources.Prefix + src.Key + client.OwnDataPath + "{code}", Handler: h})
		sv, err := s.FindServiceByID(admin, src.ServiceID)
		if err != nil {
			return nil, err
		}
		if sv.Endpoints.API != base {
			ep := sv.Endpoints
			ep.API = base
			if _, err := s.UpdateService(admin, src.ServiceID, omadata.ServiceUpdate{Endpoints: &ep}); err != nil {
				return nil, fmt.Errorf("demo source %s: endpoints: %w", src.Key, err)
			}
		}
	}
	log.Info("demo sources on", "count", len(pages), "prefix", publicURL+sources.Prefix)
	return pages, nil
}
