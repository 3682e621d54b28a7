// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/demo"
	"github.com/omadata/omadata/internal/store"
)

// demoNetworkInterval is how often a demo city's operator retries the demo
// steps that wait for its peers: their catalogues mirrored, a consent
// event delivered.
const demoNetworkInterval = 2 * time.Second

// startDemoCitySteps runs, in the background, the steps of one city's demo
// operator (serve --demo --demo-city) that need its peers in the network
// (docs/network.md "Try it"): its processings that use another city's data
// groups, once its catalogue sync has mirrored them (demo.LoadNetwork);
// its residents' consents to other cities' processings
// (demo.LoadNetworkConsents); and its sinks' grant requests for the other
// cities' residents who consented (demo.LoadNetworkGrants), which the
// operator relays to their home operators. Each step is retried every
// demoNetworkInterval; a failure is logged when it changes. The returned
// function stops them.
func startDemoCitySteps(ctx context.Context, s *store.Store, res *demo.Result, log *slog.Logger) func() {
	bg, cancel := context.WithCancel(omadata.NewContextWithCaller(context.WithoutCancel(ctx), omadata.Caller{Kind: omadata.CallerAdmin, TokenID: "demo"}))
	svcs := demo.Services{Organisations: s, Services: s, Credentials: s, DataGroups: s, Purposes: s, Processings: s, AISystems: s, Representations: s}
	act := demo.ActivityServices{Residents: s, Consents: s, Grants: s, Usage: s, Catalogue: s, Events: s}
	var wg sync.WaitGroup
	wg.Go(func() {
		var catalogued, consented bool
		lastErr := map[string]string{}
		report := func(step string, err error) bool {
			msg := ""
			if err != nil {
				msg = err.Error()
			}
			if msg != lastErr[step] && msg != "" {
				log.Warn("demo network step not done yet", "step", step, "error", msg)
			}
			lastErr[step] = msg
			return err == nil
		}
		t := time.NewTicker(demoNetworkInterval)
		defer t.Stop()
		for {
			if !catalogued {
				n, err := demo.LoadNetwork(bg, svcs, res)
				if report("processings", err) && n == 0 {
					catalogued = true
					log.Info("demo network processings published", "city", res.City)
				}
			}
			if !consented {
				n, err := demo.LoadNetworkConsents(bg, act, res.City)
				if report("consents", err) && n == 0 {
					consented = true
					log.Info("demo network consents given", "city", res.City)
				}
			}
			if catalogued {
				if n, err := demo.LoadNetworkGrants(bg, act, res); report("grants", err) && n > 0 {
					log.Info("demo network grants issued", "city", res.City, "grants", n)
				}
			}
			select {
			case <-bg.Done():
				return
			case <-t.C:
			}
		}
	})
	return func() {
		cancel()
		wg.Wait()
	}
}
