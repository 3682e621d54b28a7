// SPDX-License-Identifier: Apache-2.0

package portal_test

import (
	"context"
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
)

var (
	exportRE = regexp.MustCompile(`action="(/en/requests/req_[0-9a-z]+/export)"`)
	liftRE   = regexp.MustCompile(`action="(/en/requests/req_[0-9a-z]+/lift)"`)
)

// requests lists a resident's requests, as the operator.
func (e *env) requests(t *testing.T, residentID string) []*omadata.Request {
	t.Helper()
	ctx := omadata.NewContextWithCaller(context.Background(), omadata.Caller{Kind: omadata.CallerAdmin})
	list, _, err := e.store.FindRequests(ctx, omadata.RequestFilter{ResidentID: &residentID})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// nonConsent returns a published processing on a public task.
func (e *env) nonConsent(t *testing.T) string {
	t.Helper()
	list, _, err := e.store.FindCatalogue(context.Background(), omadata.CatalogueFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range list {
		if x.LegalBasis == omadata.BasisPublicTask {
			return x.ProcessingID
		}
	}
	t.Fatal("no processing on a public task")
	return ""
}

// TestRequests files every kind of request through the forms: bad input
// shown by its field in each language with nothing stored, the CSRF token
// required, an export downloaded, a restriction lifted, and an erasure
// confirmed.
func TestRequests(t *testing.T) {
	e := newEnv(t, time.Time{})
	c := e.client(t)
	c.login("en", "aino")
	aino := e.resident(t, ainoCode)
	c.give("en", e.recommendations(t))
	p := c.get("/en/requests")
	if p.status != 200 || !strings.Contains(p.body, "No requests yet.") {
		t.Fatalf("requests page: %d", p.status)
	}
	token := p.csrf(t)

	t.Run("bad input is shown by its field and changes nothing", func(t *testing.T) {
		for lang, want := range map[string]string{"en": "Say what is wrong.", "fi": "Kerro, mikä on väärin.", "sv": "Berätta vad som är fel."} {
			p := c.post("/"+lang+"/requests", url.Values{"csrf": {token}, "form": {"rectification"}, "rect_details": {"  "}})
			if p.status != 400 || !strings.Contains(p.body, `<p class="field-error" id="rect-details-error">`+want+`</p>`) ||
				!strings.Contains(p.body, `aria-describedby="rect-details-hint rect-details-error" aria-invalid="true"`) {
				t.Fatalf("%s: got %d: %s", lang, p.status, between(p.body, `id="rect-h"`, "</section>"))
			}
			if !strings.Contains(p.body, `<html lang="`+lang+`">`) {
				t.Fatalf("%s: wrong lang attribute", lang)
			}
		}
		p := c.post("/en/requests", url.Values{"csrf": {token}, "form": {"block"}, "details": {"because"}})
		if p.status != 400 || !strings.Contains(p.body, "Choose objection or restriction.") || !strings.Contains(p.body, "Choose a processing.") ||
			!strings.Contains(p.body, ">because</textarea>") {
			t.Fatalf("block without choices: %d", p.status)
		}
		// An objection to a processing on consent: the store refuses it.
		p = c.post("/en/requests", url.Values{"csrf": {token}, "form": {"block"}, "kind": {"objection"}, "processing_id": {e.recommendations(t)}})
		if p.status != 400 || !strings.Contains(p.body, `id="restrict-processing-error">An objection applies only`) {
			t.Fatalf("objection to a consent: %d %s", p.status, between(p.body, `id="block-h"`, "</section>"))
		}
		p = c.post("/en/requests/erasure", url.Values{"csrf": {token}})
		if p.status != 400 || !strings.Contains(p.body, `id="confirm-error">Confirm the erasure`) {
			t.Fatalf("erasure without confirmation: %d", p.status)
		}
		// An identity code in any form, in either text box, is refused
		// by the store's text rule and shown by the box.
		for lang, want := range map[string]string{"en": "Remove the personal identity code", "fi": "Poista henkilötunnus", "sv": "Ta bort personbeteckningen"} {
			for _, code := range []string{"150385a9013", "1503859013", "１５０３８５‐９０１３", "150​385 - 9013"} {
				p := c.post("/"+lang+"/requests", url.Values{"csrf": {token}, "form": {"rectification"}, "rect_details": {"Tunnukseni on " + code}})
				if p.status != 400 || !strings.Contains(p.body, `<p class="field-error" id="rect-details-error">`+want) {
					t.Fatalf("%s %q: got %d: %s", lang, code, p.status, between(p.body, `id="rect-h"`, "</section>"))
				}
			}
		}
		p = c.post("/en/requests", url.Values{"csrf": {token}, "form": {"block"}, "kind": {"restriction"}, "processing_id": {e.nonConsent(t)},
			"details": {"Hetu 150385 A 9013"}})
		if p.status != 400 || !strings.Contains(p.body, `id="restrict-details-error">Remove the personal identity code`) {
			t.Fatalf("identity code in a restriction: %d %s", p.status, between(p.body, `id="block-h"`, "</section>"))
		}
		// One round: every field's error at once, the identity code too,
		// each linked from the summary at the top to its field.
		p = c.post("/en/requests", url.Values{"csrf": {token}, "form": {"block"}, "details": {"Hetu 150385-9013"}})
		summary := between(p.body, `<div class="error-summary"`, `</div>`)
		for _, want := range []string{`href="#restrict-kind">Choose objection or restriction.`, `href="#restrict-processing">Choose a processing.`,
			`href="#restrict-details">Remove the personal identity code`} {
			if p.status != 400 || !strings.Contains(summary, want) {
				t.Errorf("one round of errors: got %d, the summary lacks %q:\n%s", p.status, want, summary)
			}
		}
		for _, id := range []string{`id="restrict-kind"`, `id="restrict-processing"`, `id="restrict-details"`} {
			if !strings.Contains(p.body, id) {
				t.Errorf("the summary links to %s, which is not on the page", id)
			}
		}
		if p := c.post("/en/requests", url.Values{"form": {"access"}}); p.status != 403 {
			t.Fatalf("no CSRF token: got %d", p.status)
		}
		if n := len(e.requests(t, aino.ID)); n != 0 {
			t.Fatalf("%d requests after bad forms, want 0", n)
		}
	})

	t.Run("export", func(t *testing.T) {
		p := c.post("/en/requests", url.Values{"csrf": {token}, "form": {"access"}})
		if p.status != 200 || !strings.HasSuffix(p.url, "/en/requests?done=request-access") {
			t.Fatalf("access: %d at %s", p.status, p.url)
		}
		m := exportRE.FindStringSubmatch(p.body)
		if m == nil || !strings.Contains(p.body, "received") {
			t.Fatalf("no export form: %s", between(p.body, `id="requests"`, "</ul>"))
		}
		x := c.post(m[1], url.Values{"csrf": {token}})
		if x.status != 200 || x.header.Get("Content-Type") != "application/zip" || !strings.HasPrefix(x.header.Get("Content-Disposition"), "attachment;") {
			t.Fatalf("export: %d %v", x.status, x.header)
		}
		files := unzip(t, x.body)
		var doc *omadata.Resident
		var consents []*omadata.Consent
		var man struct {
			ResidentID string `json:"resident_id"`
			RequestID  string `json:"request_id"`
		}
		if err := json.Unmarshal(files["operator/profile.json"], &doc); err != nil {
			t.Fatal(err)
		} else if err := json.Unmarshal(files["operator/consents.json"], &consents); err != nil {
			t.Fatal(err)
		} else if err := json.Unmarshal(files["manifest.json"], &man); err != nil {
			t.Fatal(err)
		}
		if doc == nil || doc.ID != aino.ID || doc.Name != "Aino Virtanen" || len(consents) != 1 || man.ResidentID != aino.ID || !strings.HasPrefix(man.RequestID, "req_") {
			t.Fatalf("export holds %+v, %d consents and manifest %+v", doc, len(consents), man)
		}
		if p := c.get("/en/requests"); !strings.Contains(p.body, "completed") {
			t.Fatal("the access request is not completed after the download")
		}
		if x := c.post(m[1], url.Values{}); x.status != 403 {
			t.Fatalf("export without a token: %d", x.status)
		}
	})

	t.Run("restriction and lift", func(t *testing.T) {
		p := c.post("/en/requests", url.Values{"csrf": {token}, "form": {"block"}, "kind": {"restriction"}, "processing_id": {e.nonConsent(t)}})
		if p.status != 200 || !strings.Contains(p.url, "done=request-restriction") || !strings.Contains(p.body, "in force, awaiting a decision") {
			t.Fatalf("restriction: %d at %s", p.status, p.url)
		}
		again := c.post("/en/requests", url.Values{"csrf": {token}, "form": {"block"}, "kind": {"restriction"}, "processing_id": {e.nonConsent(t)}})
		if again.status != 409 || !strings.Contains(again.body, "already an open request") {
			t.Fatalf("second restriction: %d", again.status)
		}
		m := liftRE.FindStringSubmatch(p.body)
		if m == nil {
			t.Fatal("no lift form")
		}
		if p := c.post(m[1], url.Values{"csrf": {token}}); !strings.Contains(p.url, "done=lifted") || liftRE.MatchString(p.body) {
			t.Fatalf("lift: %d at %s", p.status, p.url)
		}
	})

	t.Run("rectification", func(t *testing.T) {
		p := c.post("/en/requests", url.Values{"csrf": {token}, "form": {"rectification"}, "rect_details": {"My street is Mannerheimintie 1."}})
		if p.status != 200 || !strings.Contains(p.url, "done=request-rectification") || !strings.Contains(p.body, "Mannerheimintie 1.") {
			t.Fatalf("rectification: %d at %s", p.status, p.url)
		}
	})

	t.Run("another resident's request is not found", func(t *testing.T) {
		other := e.client(t)
		other.login("en", "matti")
		list := e.requests(t, aino.ID)
		o := other.get("/en/requests")
		if p := other.post("/en/requests/"+list[0].ID+"/export", url.Values{"csrf": {o.csrf(t)}}); p.status != 404 {
			t.Fatalf("got %d, want 404", p.status)
		}
	})

	t.Run("erasure", func(t *testing.T) {
		if p := c.get("/en/requests/erasure"); p.status != 200 || !strings.Contains(p.body, "Erasure cannot be undone") {
			t.Fatalf("confirmation page: %d", p.status)
		}
		p := c.post("/en/requests/erasure", url.Values{"csrf": {token}, "confirm": {"yes"}})
		if p.status != 200 || !strings.HasSuffix(p.url, "/en/?done=erased") || strings.Contains(p.body, "Signed in as") {
			t.Fatalf("erasure: %d at %s", p.status, p.url)
		}
		if n := len(e.requests(t, aino.ID)); n != 4 {
			t.Fatalf("%d requests, want 4", n)
		}
	})
}

// TestRequestLineBreaks files a rectification typed on several lines: the
// browser's "\r\n" line breaks are stored as "\n", not refused as control
// characters.
func TestRequestLineBreaks(t *testing.T) {
	e := newEnv(t, time.Time{})
	c := e.client(t)
	c.login("en", "aino")
	aino := e.resident(t, ainoCode)
	token := c.get("/en/requests").csrf(t)
	p := c.post("/en/requests", url.Values{"csrf": {token}, "form": {"rectification"}, "rect_details": {"My address is wrong.\r\nIt is Mannerheimintie 1.\r\n"}})
	if p.status != 200 || !strings.Contains(p.url, "done=request-rectification") {
		t.Fatalf("got %d at %s: %s", p.status, p.url, between(p.body, `id="rect-h"`, "</section>"))
	}
	list := e.requests(t, aino.ID)
	if len(list) != 1 || list[0].Details != "My address is wrong.\nIt is Mannerheimintie 1." {
		t.Fatalf("got %d requests, details %q", len(list), list[0].Details)
	}
}

// rectifyExtended files a rectification of the resident to a source that
// knows them and extends its deadline, as the operator; it returns the
// source.
func (e *env) rectifyExtended(t *testing.T, residentID string) omadata.CatalogueService {
	t.Helper()
	admin := omadata.NewContextWithCaller(context.Background(), omadata.Caller{Kind: omadata.CallerAdmin})
	list, _, err := e.store.FindCatalogue(context.Background(), omadata.CatalogueFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var src omadata.CatalogueService
	for _, x := range list {
		for _, g := range x.DataGroups {
			src = g.Source
		}
	}
	if _, err := e.store.Pseudonym(admin, src.ID, residentID); err != nil {
		t.Fatal(err)
	}
	q, err := e.store.CreateRequest(omadata.NewContextWithCaller(context.Background(), omadata.Caller{Kind: omadata.CallerResident, ResidentID: residentID}),
		&omadata.RequestInput{Kind: omadata.RequestRectification, Details: "My street is Mannerheimintie 1.", SourceIDs: []string{src.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.ExtendRequest(admin, q.ID, &omadata.RequestExtension{Months: 2, Reason: "Many sources hold data about you."}); err != nil {
		t.Fatal(err)
	}
	return src
}

// TestRequestProgress: the resident's request page shows where each
// service stands with a rectification (waiting, then done), a deadline's
// extension with its reason, and which processing a restriction blocks
// while it is in force.
func TestRequestProgress(t *testing.T) {
	e := newEnv(t, time.Time{})
	c := e.client(t)
	c.login("en", "aino")
	aino := e.resident(t, ainoCode)
	admin := omadata.NewContextWithCaller(context.Background(), omadata.Caller{Kind: omadata.CallerAdmin})
	list, _, err := e.store.FindCatalogue(context.Background(), omadata.CatalogueFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var src omadata.CatalogueService
	for _, x := range list {
		for _, g := range x.DataGroups {
			src = g.Source
		}
	}
	if _, err := e.store.Pseudonym(admin, src.ID, aino.ID); err != nil {
		t.Fatal(err)
	}
	token := c.get("/en/requests").csrf(t)
	p := c.post("/en/requests", url.Values{"csrf": {token}, "form": {"rectification"}, "rect_details": {"My street is Mannerheimintie 1."}})
	name := src.Name.In("en")
	if p.status != 200 || !strings.Contains(p.body, name+": waiting") {
		t.Fatalf("rectification: %d, want %q: %s", p.status, name+": waiting", between(p.body, `id="requests"`, "</ul>"))
	}
	q := e.requests(t, aino.ID)[0]
	if _, err := e.store.ExtendRequest(admin, q.ID, &omadata.RequestExtension{Months: 2, Reason: "Many sources hold data about you."}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.AnswerRequestTask(omadata.NewContextWithCaller(context.Background(), omadata.Caller{Kind: omadata.CallerService, ServiceID: src.ID}),
		q.Tasks[0].ID, &omadata.TaskAnswer{Status: omadata.TaskCompleted}); err != nil {
		t.Fatal(err)
	}
	p = c.get("/en/requests")
	for _, want := range []string{name + ": done", "Deadline extended", "By 2 months. Reason: Many sources hold data about you.", "deadline extended"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if p := c.get("/fi/requests"); !strings.Contains(p.body, src.Name.In("fi")+": tehty") || !strings.Contains(p.body, "Vastausaikaa jatkettu") {
		t.Error("the Finnish page lacks the service's answer or the extension")
	}

	p = c.post("/en/requests", url.Values{"csrf": {token}, "form": {"block"}, "kind": {"restriction"}, "processing_id": {e.nonConsent(t)}})
	if !strings.Contains(p.body, `<dd class="blocks">The processing `) || !strings.Contains(p.body, "your data is not released for it") {
		t.Fatalf("restriction: %d, the page does not say what it blocks", p.status)
	}
	m := liftRE.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatal("no lift form")
	}
	if p := c.post(m[1], url.Values{"csrf": {token}}); strings.Contains(p.body, `<dd class="blocks">`) {
		t.Fatal("a lifted restriction still says it blocks")
	}
}
