// SPDX-License-Identifier: Apache-2.0

package demo

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"

	"github.com/omadata/omadata"
)

// ActivityServices are what LoadActivity writes through: the store must
// have its signer (grants are signed) and its log.
type ActivityServices struct {
	Residents omadata.ResidentService
	Consents  omadata.ConsentService
	Grants    omadata.GrantService
	Usage     omadata.UsageService
	Catalogue omadata.CatalogueReader
	// Events are the sinks' consent events, for LoadNetworkGrants.
	Events omadata.WebhookService
}

// use is one release of a demo resident's data: the sink asks for a grant
// on the processing's ground and the source reports the transfer.
type use struct {
	person, sink, source, processing string
	groups                           []string
	consent                          bool // the resident consents first (the processing rests on consent)
}

// uses are the demo residents' data as their pages show it: Sanna's move
// from Helsinki to Espoo (her address history, and her child Ella's early
// childhood education placement, on Espoo's statutory duty), and Aino's
// and Matti's wellbeing measurements in the research study they consented
// to. No one consents to the book recommendations: the README's walk-through
// takes the first consent the Kirjasuositus sink sees to be Aino's own.
var uses = []use{
	{"sanna", "espoo-ece", "helsinki-residents", "ece-placement-on-move", []string{"address-history"}, false},
	{"ella", "espoo-ece", "helsinki-ece", "ece-placement-on-move", []string{"ece-placements"}, false},
	{"aino", "wellbeing-study", "helsinki-wellbeing", "wellbeing-indicators", []string{"wellbeing-measurements"}, true},
	{"matti", "wellbeing-study", "helsinki-wellbeing", "wellbeing-indicators", []string{"wellbeing-measurements"}, true},
}

// LoadActivity records, for each demo resident whose data no one has used
// yet, the consent and the transfers of uses, through the same services a
// resident, a sink and a source call. res is what Load returned. It returns
// how many transfers it recorded.
func LoadActivity(ctx context.Context, s ActivityServices, res *Result) (int, error) {
	admin := omadata.NewContextWithCaller(ctx, omadata.Caller{Kind: omadata.CallerAdmin})
	created := 0
	for _, u := range uses {
		if !hasAll(res, u) {
			continue // a use across cities, which the demo network makes for real
		}
		code := ""
		for _, p := range append(People(), children...) {
			if p.Key == u.person {
				code = p.IdentityCode
			}
		}
		r, err := s.Residents.FindResidentByIdentityCode(admin, code)
		if err != nil {
			return created, fmt.Errorf("demo resident %s: %w", u.person, err)
		}
		self := omadata.NewContextWithCaller(ctx, omadata.Caller{Kind: omadata.CallerResident, ResidentID: r.ID, Channel: omadata.ChannelPortal})
		used, _, err := s.Usage.FindUsage(self, omadata.UsageFilter{ResidentID: r.ID, Limit: 1})
		if err != nil {
			return created, fmt.Errorf("demo usage of %s: %w", u.person, err)
		} else if len(used) > 0 {
			continue
		}
		if err := loadUse(ctx, s, res, u, r.ID, self); err != nil {
			return created, fmt.Errorf("demo use of %s's %v: %w", u.person, u.groups, err)
		}
		created++
	}
	return created, nil
}

// hasAll reports whether res loaded every record of u: a city's part of
// the demo (LoadCity) does not have the uses by another city's sink.
func hasAll(res *Result, u use) bool {
	for _, k := range append([]string{"service/" + u.sink, "service/" + u.source, "processing/" + u.processing}, prefixed("data-group/", u.groups)...) {
		if _, ok := res.IDs[k]; !ok {
			return false
		}
	}
	return true
}

func prefixed(p string, keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = p + k
	}
	return out
}

func loadUse(ctx context.Context, s ActivityServices, res *Result, u use, residentID string, self context.Context) error {
	ids := func(kind string, keys ...string) ([]string, error) {
		var out []string
		for _, k := range keys {
			id, ok := res.IDs[kind+"/"+k]
			if !ok {
				return nil, fmt.Errorf("no demo %s %q", kind, k)
			}
			out = append(out, id)
		}
		return out, nil
	}
	svc, err := ids("service", u.sink, u.source)
	if err != nil {
		return err
	}
	groups, err := ids("data-group", u.groups...)
	if err != nil {
		return err
	}
	proc, err := ids("processing", u.processing)
	if err != nil {
		return err
	}
	sink, source := svc[0], svc[1]
	entry, err := s.Catalogue.FindCatalogueEntry(ctx, proc[0])
	if err != nil {
		return err
	}
	if u.consent {
		in := &omadata.ConsentInput{ProcessingID: entry.ProcessingID, Version: entry.Version, Language: "fi", CollectionMethod: omadata.CollectedPortal}
		for _, n := range entry.Notices {
			if n.Language == "fi" {
				in.NoticeSHA256 = n.SHA256
			}
		}
		if _, err := s.Consents.GiveConsent(self, in); err != nil {
			return fmt.Errorf("consent: %w", err)
		}
	}
	admin := omadata.NewContextWithCaller(ctx, omadata.Caller{Kind: omadata.CallerAdmin})
	psn, err := s.Residents.Pseudonym(admin, sink, residentID)
	if err != nil {
		return err
	}
	// The sink's DPoP key is the demo's: a fixed thumbprint per resident.
	sum := sha256.Sum256([]byte("omadata demo sink key " + u.person))
	asSink := omadata.NewContextWithCaller(ctx, omadata.Caller{Kind: omadata.CallerService, ServiceID: sink, Scopes: []string{omadata.ScopeGrants}})
	g, err := s.Grants.IssueGrant(asSink, &omadata.GrantInput{SourceID: source, Pseudonym: psn, DataGroupIDs: groups,
		PurposeID: entry.Purpose.ID, JKT: base64.RawURLEncoding.EncodeToString(sum[:])})
	if err != nil {
		return fmt.Errorf("grant: %w", err)
	} else if g.ID == "" {
		return fmt.Errorf("grant denied: %s", g.Decision.Reason)
	}
	asSource := omadata.NewContextWithCaller(ctx, omadata.Caller{Kind: omadata.CallerService, ServiceID: source, Scopes: []string{omadata.ScopeTransfers}})
	if _, err := s.Grants.RecordTransfer(asSource, &omadata.TransferInput{GrantID: g.ID, DataGroupIDs: groups,
		XRoadID: "FI/MUN/0201256-6/demo", XRoadRequestHash: "demo-" + u.person}); err != nil {
		return fmt.Errorf("transfer: %w", err)
	}
	return nil
}
