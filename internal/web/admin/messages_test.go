// SPDX-License-Identifier: Apache-2.0

package admin

import (
	"io/fs"
	"regexp"
	"testing"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/glossary"
)

// TestMessages fails on a text missing in a language and on a key that a
// template uses but messages lacks.
func TestMessages(t *testing.T) {
	for k, m := range messages {
		for i, s := range m {
			if s == "" {
				t.Errorf("%s: empty in %s", k, [3]string{"fi", "sv", "en"}[i])
			}
		}
	}
	keyRE := regexp.MustCompile(`\b(?:t|tf) "([a-z0-9.-]+)"`)
	files, _ := fs.Glob(templateFS, "templates/*.html")
	for _, f := range files {
		b, _ := templateFS.ReadFile(f)
		for _, m := range keyRE.FindAllStringSubmatch(string(b), -1) {
			if _, ok := messages[m[1]]; !ok {
				t.Errorf("%s uses %q, which is not in messages", f, m[1])
			}
		}
	}
	for _, np := range navPages {
		if _, ok := messages["page."+np.Name]; !ok {
			t.Errorf("no title page.%s", np.Name)
		}
	}
	// Keys built at run time: statuses, roles, kinds, scopes.
	keys := []string{"svcrole.source", "svcrole.sink", "status.approved", "status.suspended", "status.pending", "status.dead", "status.delivered"}
	for _, r := range omadata.StaffRoles {
		keys = append(keys, "role."+r)
	}
	for _, sc := range omadata.CredentialScopes {
		keys = append(keys, "scope."+sc)
	}
	for _, k := range omadata.OrganisationKinds {
		keys = append(keys, "orgkind."+k)
	}
	for _, k := range []string{omadata.RequestAccess, omadata.RequestErasure, omadata.RequestRectification, omadata.RequestRestriction, omadata.RequestObjection} {
		keys = append(keys, "kind."+k, "request.resolve-"+k)
	}
	for _, st := range []string{omadata.RequestReceived, omadata.RequestInProgress, omadata.RequestCompleted, omadata.RequestRejected, omadata.RequestPending, omadata.RequestUpheld, omadata.RequestLifted} {
		keys = append(keys, "status."+st)
	}
	for _, x := range requestNext(&omadata.Request{Status: omadata.RequestPending, Kind: omadata.RequestObjection}) {
		keys = append(keys, "resolve."+x, "done.request-"+x)
	}
	for _, x := range requestNext(&omadata.Request{Status: omadata.RequestReceived, Kind: omadata.RequestRectification}) {
		keys = append(keys, "resolve."+x, "done.request-"+x)
	}
	for _, st := range []string{omadata.DeliveryDead, omadata.DeliveryPending, omadata.DeliveryDelivered} {
		keys = append(keys, "deliveries.status-"+st, "deliveries.none-"+st)
	}
	for _, k := range recorderKinds {
		keys = append(keys, "repkind."+k, "repkind."+k+"-long")
	}
	for _, k := range []string{"resident", "service", "admin", "system"} {
		keys = append(keys, "actor."+k)
	}
	for _, k := range keys {
		if _, ok := messages[k]; !ok {
			t.Errorf("no %s", k)
		}
	}
}

// TestGlossary holds the console's texts to docs/glossary.md: no forbidden
// variant in any language, and labels naming a concept say its term.
func TestGlossary(t *testing.T) {
	g, err := glossary.Load(glossary.Path())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range g.CheckCatalogue(messages) {
		t.Error(p)
	}
	for _, p := range g.CheckLabels(messages, map[string]string{
		"f.processing":        "processing",
		"kind.rectification":  "rectification",
		"kind.erasure":        "erasure",
		"kind.objection":      "objection",
		"kind.restriction":    "restriction of processing",
		"f.categories":        "categories of personal data (of a data group)",
		"f.datagroup":         "data group",
		"f.privacy-policy":    "privacy notice",
		"f.notices":           "privacy notice",
		"site.brand":          "product",
		"page.log":            "transparency log",
		"f.dpo":               "data protection officer",
		"f.witness":           "witness (cosigns a log's checkpoints, docs/witnessing.md)",
		"witness.forks":       "fork (two checkpoints of one log that cannot both be true)",
		"f.fork":              "fork (two checkpoints of one log that cannot both be true)",
		"role.operator_admin": "admin (a member of staff who manages the console, the role `operator_admin` or `organisation_admin`)",
	}) {
		t.Error(p)
	}
}

// TestStatusesTranslated fails on a status the console shows through
// "status" that has no text: the page would show the raw key.
func TestStatusesTranslated(t *testing.T) {
	for _, s := range []string{
		omadata.TaskOpen, omadata.TaskCompleted, omadata.TaskRejected,
		omadata.RequestReceived, omadata.RequestInProgress, omadata.RequestCompleted, omadata.RequestRejected,
		omadata.RequestPending, omadata.RequestUpheld, omadata.RequestLifted,
	} {
		if _, ok := messages["status."+s]; !ok {
			t.Errorf("no text for status.%s", s)
		}
	}
}

// TestEmptyTables fails on a table that shows only its headings when it
// has no rows: each says there is nothing, or why it is never empty.
func TestEmptyTables(t *testing.T) {
	files, _ := fs.Glob(templateFS, "templates/*.html")
	for _, f := range files {
		b, _ := fs.ReadFile(templateFS, f)
		for _, line := range glossary.EmptyTables(string(b)) {
			t.Errorf("%s:%d: a table without {{else}} saying it is empty", f, line)
		}
	}
}
