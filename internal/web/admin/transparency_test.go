// SPDX-License-Identifier: Apache-2.0

package admin_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
)

// TestConsoleTransparency: the console edits what GDPR Articles 13 and 14
// require residents be told of a draft; refused forms show every error by
// its field in the page's language and change nothing; the saved fields
// are the store's.
func TestConsoleTransparency(t *testing.T) {
	e := newEnv(t, time.Time{})
	proc := e.recommendations(t)
	c := e.client(t)
	c.login("/admin/en/login", "olli")
	tok := c.get("/admin/en/processings/" + proc).csrf(t)
	if p := c.post("/admin/en/processings/"+proc+"/versions", url.Values{"csrf": {tok}, "compatible": {"yes"}}); p.status != 200 ||
		!strings.Contains(p.body, `id="transparency"`) || !strings.Contains(p.body, `name="provision_consequence-sv"`) {
		t.Fatalf("draft page without the transparency form: %d", p.status)
	}
	v := e.processing(t, proc).Latest()
	path := "/admin/en/processings/" + proc + "/versions/" + itoa(v.Version) + "/transparency"
	valid := func() url.Values {
		f := url.Values{"csrf": {tok}, "provision_requirement": {"voluntary"}, "third_country_transfers": {"us standard_clauses\r\nJP adequacy"}}
		for _, l := range omadata.Languages {
			f.Set("provision_consequence-"+l, "No recommendations ("+l+").")
		}
		return f
	}
	cases := []struct {
		name, field, want string
		edit              func(url.Values)
	}{
		{"a transfer inside the EEA", "third_country_transfers", "Give one transfer per line", func(f url.Values) { f.Set("third_country_transfers", "SE adequacy") }},
		{"a transfer without safeguard", "third_country_transfers", "Give one transfer per line", func(f url.Values) { f.Set("third_country_transfers", "US") }},
		{"a consequence missing in Swedish", "provision_consequence-sv", "Fill in this field.", func(f url.Values) { f.Del("provision_consequence-sv") }},
		{"an unknown requirement", "provision_requirement", "Check this field.", func(f url.Values) { f.Set("provision_requirement", "maybe") }},
		{"a legitimate interest on consent", "legitimate_interest", "Only for the basis A6-1-f", func(f url.Values) { f.Set("legitimate_interest-fi", "Etu") }},
		{"an identity code", "provision_consequence-fi", "Remove the personal identity code", func(f url.Values) { f.Set("provision_consequence-fi", "Soita 150385-9013") }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := valid()
			tc.edit(f)
			p := c.post(path, f)
			if p.status != 400 || !strings.Contains(p.body, `id="`+tc.field+`-error">`+tc.want) {
				t.Fatalf("got %d, want the error by %s: %s", p.status, tc.field, p.body[max(0, strings.Index(p.body, `id="transparency"`)):])
			}
			if got := e.processing(t, proc).Latest(); got.ProvisionRequirement != v.ProvisionRequirement || len(got.Transfers) != len(v.Transfers) {
				t.Fatalf("a refused form changed the draft: %+v", got.Transparency)
			}
		})
	}
	// In Finnish, the error is in Finnish.
	f := valid()
	f.Del("provision_consequence-sv")
	if p := c.post("/admin/fi/processings/"+proc+"/versions/"+itoa(v.Version)+"/transparency", f); p.status != 400 || !strings.Contains(p.body, `id="provision_consequence-sv-error">Täytä`) {
		t.Fatalf("fi: got %d", p.status)
	}

	if p := c.post(path, valid()); p.status != 200 || !strings.Contains(p.url, "done=transparency-saved") || !strings.Contains(p.body, "No recommendations (sv).") {
		t.Fatalf("save: %d at %s", p.status, p.url)
	}
	got := e.processing(t, proc).Latest()
	if got.ProvisionRequirement != omadata.ProvisionVoluntary || got.ProvisionConsequence.In("sv") != "No recommendations (sv)." ||
		len(got.Transfers) != 2 || got.Transfers[0] != (omadata.CountryTransfer{Country: "US", Safeguard: omadata.SafeguardStandardClauses}) {
		t.Fatalf("saved %+v", got.Transparency)
	}
}
