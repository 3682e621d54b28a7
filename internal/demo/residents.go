// SPDX-License-Identifier: Apache-2.0

package demo

import (
	"context"
	"fmt"

	"github.com/omadata/omadata"
)

// Person is a demo resident that the built-in OpenID provider of demo mode
// offers to sign in as. The identity codes are synthetic: their individual
// numbers 900–999 are the range of temporary codes, never given to a
// person at birth.
type Person struct {
	Key          string // stable: the provider's subject identifier
	Name         string
	IdentityCode string
	About        omadata.Text // who this is, for the sign-in page
}

// People are the demo residents: an adult, a guardian with two children and
// a resident who moved from Helsinki to Espoo with her child Ella and has
// given the adult a mandate for statutory services. The children cannot sign in themselves
// and are not offered; their guardian acts for them.
func People() []Person {
	return []Person{
		{Key: "aino", Name: "Aino Virtanen", IdentityCode: "150385-9013", About: omadata.Text{
			"fi": "Aikuinen helsinkiläinen. Toimii Sanna Mäkisen valtuuttamana lakisääteisissä palveluissa.",
			"sv": "Vuxen helsingforsare. Har fullmakt av Sanna Mäkinen för lagstadgade tjänster.",
			"en": "An adult living in Helsinki. Holds Sanna Mäkinen's mandate for statutory services.",
		}},
		{Key: "matti", Name: "Matti Korhonen", IdentityCode: "010780-9021", About: omadata.Text{
			"fi": "Huoltaja, jolla on kaksi alaikäistä lasta: Emma (s. 2014) ja Leo (s. 2018).",
			"sv": "Vårdnadshavare med två minderåriga barn: Emma (f. 2014) och Leo (f. 2018).",
			"en": "A guardian of two children under 18: Emma (born 2014) and Leo (born 2018).",
		}},
		{Key: "sanna", Name: "Sanna Mäkinen", IdentityCode: "021290-905C", About: omadata.Text{
			"fi": "Muutti Helsingistä Espooseen tyttärensä Ellan (s. 2021) kanssa; Ellan varhaiskasvatustiedot siirtyivät uuteen kuntaan.",
			"sv": "Flyttade från Helsingfors till Esbo med dottern Ella (f. 2021); Ellas uppgifter om småbarnspedagogik flyttades till den nya kommunen.",
			"en": "Moved from Helsinki to Espoo with her daughter Ella (born 2021); Ella's early childhood education data moved to the new municipality.",
		}},
	}
}

// children of the demo guardian, who cannot sign in.
var children = []Person{
	{Key: "emma", Name: "Emma Korhonen", IdentityCode: "100514A9037"},
	{Key: "leo", Name: "Leo Korhonen", IdentityCode: "200918A904Y"},
	{Key: "ella", Name: "Ella Mäkinen", IdentityCode: "150321A905P"},
}

// ResidentServices are what LoadResidents writes through. The store must
// have its keyring: residents are sealed.
type ResidentServices struct {
	Residents       omadata.ResidentService
	Representations omadata.RepresentationService
}

// LoadResidents creates the demo residents, the guardianships of Matti
// Korhonen's children and of Sanna Mäkinen's daughter, and Sanna's mandate
// to Aino Virtanen, unless
// they exist. It acts as an operator admin and returns how many records it
// created.
func LoadResidents(ctx context.Context, s ResidentServices) (int, error) {
	return LoadCityResidents(ctx, s, "")
}

// LoadCityResidents is LoadResidents for one city's operator of the demo
// network: its residents (CityAllPeople), and the representations between
// them; "" or Helsinki loads those of LoadResidents.
func LoadCityResidents(ctx context.Context, s ResidentServices, city string) (int, error) {
	ctx = omadata.NewContextWithCaller(ctx, omadata.Caller{Kind: omadata.CallerAdmin})
	people := CityAllPeople(city)
	ids := map[string]string{}
	for _, p := range people {
		r, err := s.Residents.EnsureResident(ctx, p.IdentityCode, p.Name)
		if err != nil {
			return 0, fmt.Errorf("demo resident %s: %w", p.Key, err)
		}
		ids[p.Key] = r.ID
	}
	code := func(key string) string {
		for _, p := range people {
			if p.Key == key {
				return p.IdentityCode
			}
		}
		panic("demo: no person " + key)
	}
	reps := []struct {
		kind, holder, principal, basis string
		scope                          []string
	}{
		{omadata.RepGuardian, "matti", "emma", "population information system (demo)", nil},
		{omadata.RepGuardian, "matti", "leo", "population information system (demo)", nil},
		{omadata.RepGuardian, "sanna", "ella", "population information system (demo)", nil},
		{omadata.RepMandate, "aino", "sanna", "mandate code DEMO-1 (demo)", []string{"statutory-services"}},
	}
	created := 0
	for _, rp := range reps {
		if ids[rp.holder] == "" || ids[rp.principal] == "" {
			continue // not residents of this city's operator
		}
		have, err := s.Representations.FindRepresentations(ctx, ids[rp.holder])
		if err != nil {
			return created, fmt.Errorf("demo representations of %s: %w", rp.holder, err)
		}
		found := false
		for _, h := range have {
			found = found || h.Kind == rp.kind && h.RepresentativeID == ids[rp.holder] && h.PrincipalID == ids[rp.principal] && h.EndedAt == nil
		}
		if found {
			continue
		}
		if _, err := s.Representations.CreateRepresentation(ctx, &omadata.RepresentationInput{
			Kind: rp.kind, RepresentativeIdentityCode: code(rp.holder), PrincipalIdentityCode: code(rp.principal),
			RepresentationScope: omadata.RepresentationScope{Purposes: rp.scope}, Basis: rp.basis,
		}); err != nil {
			return created, fmt.Errorf("demo %s of %s for %s: %w", rp.kind, rp.holder, rp.principal, err)
		}
		created++
	}
	return created, nil
}

// AllPeople are the demo residents and the children, who cannot sign in:
// everyone the demo's sources hold data about.
func AllPeople() []Person { return append(People(), children...) }
