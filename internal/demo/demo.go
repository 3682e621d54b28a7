// SPDX-License-Identifier: Apache-2.0

// Package demo loads a small, realistic catalogue for trying omadata out:
// three cities, a company and a research institute; sources of early
// childhood education, library, wellbeing and address data; three sinks with
// published processings; and two entries of the AI system register. It
// writes only through the root service interfaces, so every record passes
// the same validation as one made over the API, and it is idempotent: a
// record that already exists, found by business ID or code, is left alone.
package demo

import (
	"context"
	"fmt"

	"github.com/omadata/omadata"
)

// Services are the root services the demo writes through.
type Services struct {
	Organisations omadata.OrganisationService
	Services      omadata.ServiceRegistry
	Credentials   omadata.CredentialService
	DataGroups    omadata.DataGroupService
	Purposes      omadata.PurposeService
	Processings   omadata.ProcessingService
	AISystems     omadata.AISystemService
	// Representations designates the demo's population-register source to
	// record guardianships.
	Representations omadata.RepresentationService
}

// Result tells what a load did.
type Result struct {
	Created int // records created by this load; 0 when the demo was there
	// TokenServiceID is the demo sink service that the demo service token
	// belongs to.
	TokenServiceID string
	// TokenSourceID is the demo source service (Helmet library loans)
	// that the demo source token belongs to.
	TokenSourceID string
	// IDs maps the demo's own names for its records (such as
	// "processing/reading-recommendations") to their IDs.
	IDs map[string]string
	// City is the demo city whose part LoadCity loaded; "" for the whole
	// catalogue of a single demo operator.
	City string
	// network is what LoadNetwork creates once the peers' catalogues are
	// mirrored.
	network struct {
		processings []processingSpec
		aiSystems   []aiSpec
	}
	// granted are the consents LoadNetworkGrants asked a grant for.
	granted map[string]bool
}

// Load creates whatever part of the demo catalogue is missing, approves its
// services and publishes its processings. It acts as an operator admin
// whatever the caller in ctx; purposes must already be seeded.
func Load(ctx context.Context, s Services) (*Result, error) { return LoadCity(ctx, s, "") }

// LoadCity is Load for one city's operator of the demo network: the
// city's organisations, sources and sinks, and its processings whose data
// groups it holds itself; "" loads the whole catalogue into a single
// operator. Its processings that use another city's data groups come
// later, with LoadNetwork.
func LoadCity(ctx context.Context, s Services, city string) (*Result, error) {
	if city != "" && !ValidCity(city) {
		return nil, omadata.Invalidf("city", "%q is not a city of the demo network (%v).", city, Cities())
	}
	ctx = omadata.NewContextWithCaller(ctx, omadata.Caller{Kind: omadata.CallerAdmin})
	l := &loader{s: s, res: &Result{IDs: map[string]string{}, City: city}}
	c := cityContent(city)
	l.res.network = c.network

	purposes, err := s.Purposes.FindPurposes(ctx)
	if err != nil {
		return nil, fmt.Errorf("find purposes: %w", err)
	}
	for _, p := range purposes {
		l.res.IDs["purpose/"+p.Code] = p.ID
	}
	for _, o := range c.organisations {
		if err := l.organisation(ctx, o); err != nil {
			return nil, fmt.Errorf("demo organisation %s: %w", o.key, err)
		}
	}
	for _, sv := range c.services {
		if err := l.service(ctx, sv); err != nil {
			return nil, fmt.Errorf("demo service %s: %w", sv.key, err)
		}
	}
	for _, g := range c.dataGroups {
		if err := l.dataGroup(ctx, g); err != nil {
			return nil, fmt.Errorf("demo data group %s: %w", g.g.Code, err)
		}
	}
	for _, p := range c.processings {
		if err := l.processing(ctx, p); err != nil {
			return nil, fmt.Errorf("demo processing %s: %w", p.d.Code, err)
		}
	}
	for _, a := range c.aiSystems {
		if err := l.aiSystem(ctx, a); err != nil {
			return nil, fmt.Errorf("demo AI system %s: %w", a.key, err)
		}
	}
	l.res.TokenServiceID = l.res.IDs["service/"+c.tokenService]
	if c.tokenSource != "" {
		l.res.TokenSourceID = l.res.IDs["service/"+c.tokenSource]
	}
	return l.res, nil
}

type loader struct {
	s   Services
	res *Result
}

// id returns the ID of a record loaded earlier, by the demo's name for it.
func (l *loader) id(kind, key string) (string, error) {
	id, ok := l.res.IDs[kind+"/"+key]
	if !ok {
		return "", fmt.Errorf("no demo %s %q", kind, key)
	}
	return id, nil
}
