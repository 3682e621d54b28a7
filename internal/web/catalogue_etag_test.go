// SPDX-License-Identifier: Apache-2.0

package web_test

import (
	"regexp"
	"testing"

	"github.com/omadata/omadata"
)

var strongETag = regexp.MustCompile(`^"[A-Za-z0-9_-]{43}"$`)

// TestCatalogueConditionalGET checks the public catalogue, one of its
// entries and the DCAT document answer with a strong ETag and
// Cache-Control, answer 304 with no body to a matching If-None-Match (also
// in a list and weakly compared, RFC 9110 §13.1.2), and that the tag
// changes exactly when the document does: publishing a processing and
// renaming a controller change it; a new draft, which the public does not
// see, does not.
func TestCatalogueConditionalGET(t *testing.T) {
	e := newEnv(t, nil)
	paths := map[string]string{
		"catalogue": "/api/v1/public/catalogue",
		"entry":     "/api/v1/public/catalogue/" + e.procA,
		"dcat":      "/api/v1/public/dcat",
	}
	get := func(t *testing.T, path string, header ...string) response {
		t.Helper()
		return e.call(t, "GET", path, "", "", nil, header...)
	}
	tags := map[string]string{}
	for name, path := range paths {
		t.Run(name, func(t *testing.T) {
			r := get(t, path)
			wantStatus(t, r, 200)
			tag := r.header.Get("ETag")
			if !strongETag.MatchString(tag) {
				t.Fatalf("ETag = %q, want a strong tag", tag)
			} else if cc := r.header.Get("Cache-Control"); cc != "public, max-age=300" {
				t.Errorf("Cache-Control = %q, want public, max-age=300", cc)
			}
			tags[name] = tag
			if again := get(t, path); again.header.Get("ETag") != tag || string(again.body) != string(r.body) {
				t.Errorf("a second GET got ETag %s, want %s and the same body", again.header.Get("ETag"), tag)
			}
			for _, inm := range []string{tag, `"other", ` + tag, "W/" + tag, "*"} {
				nm := get(t, path, "If-None-Match", inm)
				if nm.status != 304 || len(nm.body) != 0 {
					t.Errorf("If-None-Match %s: got status %d with %d bytes, want 304 and no body", inm, nm.status, len(nm.body))
				} else if nm.header.Get("ETag") != tag || nm.header.Get("Cache-Control") == "" {
					t.Errorf("If-None-Match %s: 304 with ETag %q and Cache-Control %q, want both as on 200", inm, nm.header.Get("ETag"), nm.header.Get("Cache-Control"))
				}
			}
			if r := get(t, path, "If-None-Match", `"not-the-tag"`); r.status != 200 || len(r.body) == 0 {
				t.Errorf("another If-None-Match: got status %d, want 200 with the body", r.status)
			}
		})
	}

	// changed reports, per document, whether its ETag changed since the
	// last call, and remembers the new tags.
	changed := func(t *testing.T) map[string]bool {
		t.Helper()
		out := map[string]bool{}
		for name, path := range paths {
			r := get(t, path, "If-None-Match", tags[name])
			switch r.status {
			case 304:
				out[name] = false
			case 200:
				out[name] = r.header.Get("ETag") != tags[name]
				tags[name] = r.header.Get("ETag")
			default:
				t.Fatalf("%s: got status %d", name, r.status)
			}
		}
		return out
	}
	ctx := adminCtx()

	e.processing(t, e.svcB, "meal-draft", e.dgB, false)
	if got := changed(t); got["catalogue"] || got["entry"] || got["dcat"] {
		t.Errorf("a new draft changed %v, want nothing (the public sees no drafts)", got)
	}

	e.processing(t, e.svcB, "meal-followup", e.dgB, true)
	if got := changed(t); !got["catalogue"] || got["entry"] || !got["dcat"] {
		t.Errorf("publishing a processing changed %v, want the catalogue and the DCAT document, not another entry", got)
	}

	name := omadata.Text{"fi": "Helsingin kaupunki", "sv": "Helsingfors stad", "en": "City of Helsinki"}
	if _, err := e.store.UpdateOrganisation(ctx, e.org, omadata.OrganisationUpdate{Name: &name}); err != nil {
		t.Fatal(err)
	}
	if got := changed(t); !got["catalogue"] || !got["entry"] || !got["dcat"] {
		t.Errorf("renaming the controller changed %v, want every document (each names it)", got)
	}
}
