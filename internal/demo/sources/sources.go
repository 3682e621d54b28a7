// SPDX-License-Identifier: Apache-2.0

// Package sources are the demo's sources of a resident's own data
// (docs/own-data.md): the library, early childhood education in Helsinki
// and in Espoo, school and sports, each an http.Handler built on
// client.OwnDataHandler, with synthetic data for every demo resident.
// serve --demo mounts them in the operator's own server; tests run them as
// separate HTTP servers.
package sources

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/client"
	"github.com/omadata/omadata/internal/demo"
)

// Prefix is where serve --demo mounts the sources: Prefix + key is a
// source's API base URL.
const Prefix = "/demo/sources/"

// Handler serves the demo source key: v verifies the operator's grants,
// groups maps its data group codes to their catalogue IDs, and people
// maps its pseudonyms of the demo residents to the demo's person keys. It
// answers GET {base}/omadata/own-data/{code} under any base.
func Handler(key string, v *client.Verifier, groups map[string]string, people map[string]string) http.Handler {
	return client.OwnDataHandler(v, groups, func(ctx context.Context, pseudonym, code string) (*client.OwnDataAnswer, error) {
		person, ok := people[pseudonym]
		if !ok {
			return nil, omadata.NotFound("Resident")
		}
		a := Answer(key, code, person)
		if a == nil {
			return nil, omadata.NotFound("Resident")
		}
		return a, nil
	})
}

// Source is one demo source as the operator's catalogue knows it.
type Source struct {
	Key       string
	ServiceID string
	Groups    map[string]string // data group code → ID
	People    map[string]string // pseudonym → demo person key
}

// Services are what Link uses: the catalogue, to find the sources and
// their data groups, and the residents, to link the demo's people as each
// source does.
type Services struct {
	Services   omadata.ServiceRegistry
	DataGroups omadata.DataGroupService
	Residents  omadata.ResidentService
}

// Link finds the demo sources in the catalogue loaded by demo.Load (IDs
// is its Result.IDs) and links every demo resident to each, as the
// source itself would with the identity codes it holds, and returns them
// with their pseudonyms. A source that is not in the catalogue is left
// out.
func Link(ctx context.Context, s Services, ids map[string]string) ([]*Source, error) {
	return LinkPeople(ctx, s, ids, demo.AllPeople())
}

// LinkPeople is Link for the given demo people: one city's residents in
// the demo network (demo.CityAllPeople).
func LinkPeople(ctx context.Context, s Services, ids map[string]string, people []demo.Person) ([]*Source, error) {
	var out []*Source
	for _, key := range Keys() {
		svcID, ok := ids["service/"+key]
		if !ok {
			continue
		}
		src := &Source{Key: key, ServiceID: svcID, Groups: map[string]string{}, People: map[string]string{}}
		admin := omadata.NewContextWithCaller(ctx, omadata.Caller{Kind: omadata.CallerAdmin})
		gs, _, err := s.DataGroups.FindDataGroups(admin, omadata.DataGroupFilter{ServiceID: &svcID})
		if err != nil {
			return nil, fmt.Errorf("demo source %s: data groups: %w", key, err)
		}
		for _, g := range gs {
			src.Groups[g.Code] = g.ID
		}
		as := omadata.NewContextWithCaller(ctx, omadata.Caller{Kind: omadata.CallerService, ServiceID: svcID,
			TokenID: "demo-source", Scopes: []string{omadata.ScopeResidentsLink}})
		for _, p := range people {
			l, err := s.Residents.LinkResident(as, p.IdentityCode)
			if err != nil {
				return nil, fmt.Errorf("demo source %s: link %s: %w", key, p.Key, err)
			}
			src.People[l.Pseudonym] = p.Key
		}
		out = append(out, src)
	}
	return out, nil
}

// APIBase is the API base URL of a demo source mounted under publicURL.
func APIBase(publicURL, key string) string {
	return strings.TrimRight(publicURL, "/") + Prefix + key
}
