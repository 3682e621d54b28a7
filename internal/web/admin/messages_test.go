// SPDX-License-Identifier: Apache-2.0

package admin

import (
	"io/fs"
	"regexp"
	"testing"
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
	// Keys built at run time: statuses, roles, kinds.
	for _, k := range []string{"svcrole.source", "svcrole.sink", "role.operator_admin", "role.auditor", "kind.access", "kind.objection", "status.approved", "status.suspended", "status.pending"} {
		if _, ok := messages[k]; !ok {
			t.Errorf("no %s", k)
		}
	}
}
