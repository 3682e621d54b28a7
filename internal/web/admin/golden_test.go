// SPDX-License-Identifier: Apache-2.0

package admin_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/omadata/omadata/internal/glossary"
	"github.com/omadata/omadata/internal/web/admin"
)

var (
	idRE        = regexp.MustCompile(`\b[a-z]{2,5}_[0-9a-z]{26}\b`)
	csrfValueRE = regexp.MustCompile(`name="csrf" value="[^"]+"`)
	cssRE       = regexp.MustCompile(`/static/(portal|admin)\.[0-9a-f]+\.css`)
	rootRE      = regexp.MustCompile(`(?s)<dd><code>[^<]*</code></dd>|<pre class="note">.*?</pre>|\d+ entries|\d+ (merkintää|poster)|<dd>\d+</dd>`)
	portRE      = regexp.MustCompile(`127\.0\.0\.1:\d+`)
)

// normalise replaces what differs between runs: IDs, the CSRF token, the
// stylesheets' checksums, the server's port and the log's size and hashes.
func normalise(s string) string {
	ids := map[string]string{}
	s = idRE.ReplaceAllStringFunc(s, func(id string) string {
		if _, ok := ids[id]; !ok {
			ids[id] = id[:len(id)-26] + "ID" + strconv.Itoa(len(ids)+1)
		}
		return ids[id]
	})
	s = cssRE.ReplaceAllString(s, "/static/$1.CHECKSUM.css")
	s = portRE.ReplaceAllString(s, "127.0.0.1:PORT")
	s = rootRE.ReplaceAllString(s, "LOG")
	return csrfValueRE.ReplaceAllString(s, `name="csrf" value="CSRF"`)
}

// TestGolden pins the HTML of the main console pages in every language on
// a fixed clock. After an intended change:
//
//	go test ./internal/web/admin -run TestGolden -update
func TestGolden(t *testing.T) {
	g, err := glossary.Load(glossary.Path())
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC))
	proc := e.recommendations(t)
	objection := e.objection(t)
	e.witnessState(t)
	anon := e.client(t)
	c := e.client(t)
	c.login("/admin/fi/login", "olli")
	for _, lang := range []string{"fi", "sv", "en"} {
		pages := []struct {
			name, path string
			c          *client
		}{
			{"signed-out", "/", anon},
			{"home", "/", c},
			{"organisations", "/organisations", c},
			{"organisation", "/organisations/" + e.demo.IDs["organisation/helsinki"], c},
			{"services", "/services", c},
			{"service", "/services/" + e.demo.TokenServiceID, c},
			{"service-source", "/services/" + e.demo.IDs["service/helsinki-residents"], c},
			{"data-groups", "/data-groups", c},
			{"data-group", "/data-groups/" + e.demo.IDs["data-group/library-loans"], c},
			{"processings", "/processings", c},
			{"processing", "/processings/" + proc, c},
			{"deliveries", "/deliveries", c},
			{"requests", "/requests", c},
			{"request", "/requests/" + objection, c},
			{"timeliness", "/requests/timeliness", c},
			{"staff", "/staff", c},
			{"witness", "/witness", c},
		}
		for _, pg := range pages {
			p := pg.c.get("/admin/" + lang + pg.path)
			if p.status != 200 {
				t.Fatalf("%s %s: %d", lang, pg.path, p.status)
			}
			// What the page shows follows docs/glossary.md in its language.
			for _, v := range g.Violations(lang, glossary.PageText(p.body)) {
				t.Errorf("%s %s: glossary: %s", lang, pg.path, v)
			}
			if keys := glossary.RawKeys(glossary.PageText(p.body), admin.Messages()); len(keys) > 0 {
				t.Errorf("%s %s: the page shows message keys: %q", lang, pg.path, keys)
			}
			file := filepath.Join("testdata", "golden", lang+"-"+pg.name+".html")
			got := normalise(p.body)
			if *update {
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from the golden file; review and run with -update", file)
			}
		}
	}
}
