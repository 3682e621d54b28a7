// SPDX-License-Identifier: Apache-2.0

package portal_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/demo/idp"
)

const (
	ainoCode  = "150385-9013"
	mattiCode = "010780-9021"
)

// TestConsentFlow drives the portal as a browser without JavaScript:
// login through the built-in provider, a refused form, a give, the history
// and receipt, a withdrawal, and the decision flipping from permit to deny.
func TestConsentFlow(t *testing.T) {
	e := newEnv(t, time.Time{})
	c := e.client(t)
	home := c.login("en", "aino")
	if !strings.Contains(home.body, "Signed in as Aino Virtanen") {
		t.Fatalf("no signed-in name on %s", home.url)
	}
	aino := e.resident(t, ainoCode)
	proc := e.recommendations(t)
	notice := c.get("/en/processings/" + proc)
	token := notice.csrf(t)
	version := hiddenValue(t, notice, "version")
	sha := hiddenValue(t, notice, "notice_sha256")

	t.Run("bad date is shown next to the field and changes nothing", func(t *testing.T) {
		for lang, want := range map[string]string{"en": "Give the date as dd.mm.yyyy.", "fi": "Anna päivämäärä muodossa pp.kk.vvvv.", "sv": "Ange datumet i formen dd.mm.åååå."} {
			p := c.post("/"+lang+"/processings/"+proc+"/give", url.Values{"csrf": {token}, "version": {version}, "notice_sha256": {sha}, "valid_until": {"31.13.2027"}})
			if p.status != 400 {
				t.Fatalf("%s: got %d, want 400", lang, p.status)
			}
			if !strings.Contains(p.body, `<p class="field-error" id="valid_until-error">`+want+`</p>`) || !strings.Contains(p.body, `aria-invalid="true"`) {
				t.Fatalf("%s: no field error next to valid_until: %s", lang, between(p.body, "<form", "</form>"))
			}
			if !strings.Contains(p.body, `<html lang="`+lang+`">`) {
				t.Fatalf("%s: wrong lang attribute", lang)
			}
		}
		p := c.post("/en/processings/"+proc+"/give", url.Values{"csrf": {token}, "version": {version}, "notice_sha256": {sha}, "valid_until": {"2020-01-01"}})
		if p.status != 400 || !strings.Contains(p.body, "Choose a day from tomorrow on") {
			t.Fatalf("past date: got %d", p.status)
		}
		if n := len(e.consents(t, aino.ID)); n != 0 {
			t.Fatalf("got %d consents after bad forms, want 0", n)
		}
	})

	t.Run("a form without the CSRF token is refused", func(t *testing.T) {
		p := c.post("/en/processings/"+proc+"/give", url.Values{"version": {version}, "notice_sha256": {sha}})
		if p.status != 403 || !strings.Contains(p.body, "check token was missing") {
			t.Fatalf("got %d, want 403", p.status)
		}
		p = c.post("/en/processings/"+proc+"/give", url.Values{"csrf": {"forged"}, "version": {version}, "notice_sha256": {sha}})
		if p.status != 403 {
			t.Fatalf("forged token: got %d, want 403", p.status)
		}
		if n := len(e.consents(t, aino.ID)); n != 0 {
			t.Fatalf("got %d consents after refused forms, want 0", n)
		}
	})

	t.Run("a cross-origin form is refused even with the token", func(t *testing.T) {
		req := url.Values{"csrf": {token}, "version": {version}, "notice_sha256": {sha}}
		r, _ := newRequest("POST", e.url+"/en/processings/"+proc+"/give", req)
		r.Header.Set("Origin", "https://evil.example")
		r.Header.Set("Sec-Fetch-Site", "cross-site")
		if p := c.do(r); p.status != 403 {
			t.Fatalf("got %d, want 403", p.status)
		}
	})

	if d := e.decide(t, aino.ID); d != "deny" {
		t.Fatalf("decision before consent: %s", d)
	}
	given := c.post("/en/processings/"+proc+"/give", url.Values{"csrf": {token}, "version": {version}, "notice_sha256": {sha}})
	if given.status != 200 || !strings.Contains(given.body, "Your consent is given.") || !strings.Contains(given.body, `id="consent-status">given<`) {
		t.Fatalf("give: got %d at %s", given.status, given.url)
	}
	if d := e.decide(t, aino.ID); d != "permit" {
		t.Fatalf("decision after consent: %s", d)
	}
	link := receiptRE.FindStringSubmatch(given.body)
	if link == nil {
		t.Fatal("no receipt link on the consent page")
	}
	receipt := c.get(link[1])
	if receipt.status != 200 || receipt.header.Get("Content-Type") != "application/jose" || strings.Count(receipt.body, ".") != 2 {
		t.Fatalf("receipt: got %d %s %.80s", receipt.status, receipt.header.Get("Content-Type"), receipt.body)
	}
	id := strings.TrimPrefix(given.url[strings.Index(given.url, "/consents/"):], "/consents/")
	id, _, _ = strings.Cut(id, "?")
	withdrawn := c.post("/en/consents/"+id+"/withdraw", url.Values{"csrf": {given.csrf(t)}})
	if withdrawn.status != 200 || !strings.Contains(withdrawn.body, `id="consent-status">withdrawn<`) {
		t.Fatalf("withdraw: got %d", withdrawn.status)
	}
	if strings.Count(withdrawn.body, " download>") != 2 {
		t.Fatalf("history should show two records with receipts")
	}
	if d := e.decide(t, aino.ID); d != "deny" {
		t.Fatalf("decision after withdrawal: %s", d)
	}

	t.Run("logout ends the session", func(t *testing.T) {
		p := c.post("/en/logout", url.Values{"csrf": {withdrawn.csrf(t)}})
		if p.status != 200 || !strings.Contains(p.body, "You have signed out.") {
			t.Fatalf("logout: got %d", p.status)
		}
		if p := c.get("/en/consents"); !strings.Contains(p.url, idp.Prefix) {
			t.Fatalf("after logout /en/consents went to %s, want the provider", p.url)
		}
	})
}

// TestActingFor switches the guardian to a child and back: the banner
// shows whom the pages are about, and a consent given goes to the child.
func TestActingFor(t *testing.T) {
	e := newEnv(t, time.Time{})
	c := e.client(t)
	c.login("fi", "matti")
	p := c.get("/fi/acting-for")
	if !strings.Contains(p.body, "Emma Korhonen") || !strings.Contains(p.body, "Leo Korhonen") {
		t.Fatalf("children missing from %s", p.url)
	}
	emma := e.resident(t, "100514A9037")
	p = c.post("/fi/acting-for", url.Values{"csrf": {p.csrf(t)}, "principal": {emma.ID}})
	if !strings.Contains(p.body, "Asioit henkilön Emma Korhonen puolesta.") {
		t.Fatalf("no acting banner on %s", p.url)
	}
	if rq := c.get("/fi/requests"); !strings.Contains(rq.body, `href="/fi/requests/erasure"`) || !strings.Contains(rq.body, `id="request-rectification"`) {
		t.Fatal("the guardian is not offered erasure and rectification for the child")
	}
	proc := e.recommendations(t)
	n := c.get("/fi/processings/" + proc)
	p = c.post("/fi/processings/"+proc+"/give", url.Values{"csrf": {n.csrf(t)}, "version": {hiddenValue(t, n, "version")}, "notice_sha256": {hiddenValue(t, n, "notice_sha256")}})
	if p.status != 200 {
		t.Fatalf("give for the child: got %d", p.status)
	}
	if got := e.consents(t, emma.ID); len(got) != 1 || got[0].Status != "given" {
		t.Fatalf("the child's consents: %+v", got)
	}
	if got := e.consents(t, e.resident(t, mattiCode).ID); len(got) != 0 {
		t.Fatalf("the guardian got %d consents, want 0", len(got))
	}
	t.Run("a principal ID not represented is refused", func(t *testing.T) {
		aino := e.resident(t, ainoCode)
		p := c.post("/fi/acting-for", url.Values{"csrf": {p.csrf(t)}, "principal": {aino.ID}})
		if p.status != 404 {
			t.Fatalf("got %d, want 404", p.status)
		}
	})
	p = c.post("/fi/acting-for", url.Values{"csrf": {p.csrf(t)}, "principal": {""}})
	if strings.Contains(p.body, "Asioit henkilön") {
		t.Fatalf("still acting after switching back")
	}
}

// TestActingForScopedMandate: Aino holds Sanna's mandate for statutory
// services only. Acting for Sanna she may not erase her (403, and Sanna
// stays) nor consent for recommendations; the page says the mandate does
// not cover it.
func TestActingForScopedMandate(t *testing.T) {
	e := newEnv(t, time.Time{})
	c := e.client(t)
	c.login("en", "aino")
	sanna := e.resident(t, "021290-905C")
	p := c.get("/en/acting-for")
	if !strings.Contains(p.body, "Mandate: Statutory service provision") || strings.Contains(p.body, "Mandate: statutory-services") {
		t.Fatalf("the acting-for page (%d) does not show the mandate's scope by the purpose's name", p.status)
	}
	if sv := c.get("/sv/acting-for"); !strings.Contains(sv.body, "Fullmakt: Tillhandahållande av lagstadgade tjänster") {
		t.Fatal("the Swedish acting-for page does not name the mandate's purpose in Swedish")
	}
	p = c.post("/en/acting-for", url.Values{"csrf": {p.csrf(t)}, "principal": {sanna.ID}})
	if p.status != 200 {
		t.Fatalf("acting for Sanna: got %d", p.status)
	}
	rq := c.get("/en/requests")
	if strings.Contains(rq.body, `href="/en/requests/erasure"`) || strings.Contains(rq.body, `id="request-rectification"`) ||
		!strings.Contains(rq.body, "Only a guardian or the holder of a mandate for all purposes may ask for this") {
		t.Fatalf("the requests page offers erasure or rectification under a statutory-services mandate")
	}
	er := c.get("/en/requests/erasure")
	p = c.post("/en/requests/erasure", url.Values{"csrf": {er.csrf(t)}, "confirm": {"yes"}})
	if p.status != 403 || !strings.Contains(p.body, "Your mandate does not cover erasure") ||
		!strings.Contains(p.body, "Signed in as Aino Virtanen") || !strings.Contains(p.body, "You are acting for Sanna Mäkinen.") {
		t.Fatalf("erasure under a statutory-services mandate: got %d, want 403 saying the mandate does not cover it, signed in and acting", p.status)
	}
	if !strings.Contains(er.body, `id="not-covered"`) || strings.Contains(er.body, `id="erase"`) {
		t.Fatal("the erasure page offers the form under a mandate that does not cover erasure")
	}
	e.resident(t, "021290-905C") // still there
	proc := e.recommendations(t)
	if cs := c.get("/en/consents"); strings.Contains(cs.body, `href="/en/processings/`+proc+`"`) {
		t.Fatal("the consents page offers a processing the mandate does not cover")
	}
	n := c.get("/en/processings/" + proc)
	if !strings.Contains(n.body, "Your mandate does not cover this purpose, so you cannot decide on this for Sanna Mäkinen.") || strings.Contains(n.body, `id="give"`) {
		t.Fatal("the notice of a processing outside the mandate offers the form or does not say why not")
	}
	// A form sent anyway (an old tab) is refused by the store, and the page says why.
	entry, err := e.store.FindCatalogueEntry(context.Background(), proc)
	if err != nil {
		t.Fatal(err)
	}
	sha := ""
	for _, nt := range entry.Notices {
		if nt.Language == "en" {
			sha = nt.SHA256
		}
	}
	p = c.post("/en/processings/"+proc+"/give", url.Values{"csrf": {n.csrf(t)}, "version": {strconv.Itoa(entry.Version)}, "notice_sha256": {sha}})
	if p.status != 403 || !strings.Contains(p.body, "Your mandate does not cover this purpose.") {
		t.Fatalf("consent outside the mandate: got %d, want 403 saying the mandate does not cover it", p.status)
	}
	if got := e.consents(t, sanna.ID); len(got) != 0 {
		t.Fatalf("Sanna got %d consents, want 0", len(got))
	}
}

// TestPublicPages are readable without login, in every language.
func TestPublicPages(t *testing.T) {
	e := newEnv(t, time.Time{})
	c := e.client(t)
	for _, lang := range []string{"fi", "sv", "en"} {
		for _, path := range []string{"/", "/catalogue", "/ai-systems"} {
			p := c.get("/" + lang + path)
			if p.status != 200 || !strings.Contains(p.body, `<html lang="`+lang+`">`) {
				t.Fatalf("%s%s: got %d", lang, path, p.status)
			}
		}
	}
	if p := c.get("/sv/consents"); !strings.Contains(p.url, idp.Prefix+"/authorize") || !strings.Contains(p.body, `lang="sv"`) {
		t.Fatalf("/sv/consents without login went to %s", p.url)
	}
}

var receiptRE = regexp.MustCompile(`href="(/en/consents/[a-z0-9_]+/receipts/1)" download`)

func hiddenValue(t *testing.T, p page, name string) string {
	t.Helper()
	for _, m := range hiddenRE.FindAllStringSubmatch(p.body, -1) {
		if m[1] == name {
			return m[2]
		}
	}
	t.Fatalf("no hidden %s on %s", name, p.url)
	return ""
}

func between(s, from, to string) string {
	i := strings.Index(s, from)
	if i < 0 {
		return ""
	}
	s = s[i+len(from):]
	j := strings.Index(s, to)
	if j < 0 {
		return s
	}
	return s[:j]
}

func newRequest(method, u string, form url.Values) (*http.Request, error) {
	r, err := http.NewRequest(method, u, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r, nil
}

// TestRequestAnswered: a sink's pending request shows on the consents page
// and giving on its notice answers it, keeping the request's ID.
func TestRequestAnswered(t *testing.T) {
	e := newEnv(t, time.Time{})
	c := e.client(t)
	c.login("sv", "sanna")
	sanna := e.resident(t, "021290-905C")
	proc := e.recommendations(t)
	admin := omadata.NewContextWithCaller(context.Background(), omadata.Caller{Kind: omadata.CallerAdmin})
	psn, err := e.store.Pseudonym(admin, e.demo.TokenServiceID, sanna.ID)
	if err != nil {
		t.Fatal(err)
	}
	sink := omadata.NewContextWithCaller(context.Background(), omadata.Caller{Kind: omadata.CallerService, ServiceID: e.demo.TokenServiceID, Scopes: []string{omadata.ScopeConsents}})
	req, err := e.store.RequestConsent(sink, &omadata.ConsentRequestInput{ProcessingID: proc, Pseudonym: psn,
		Message: omadata.Text{"fi": "Haluaisitko kirjasuosituksia?", "sv": "Vill du ha boktips?", "en": "Would you like book tips?"}})
	if err != nil {
		t.Fatal(err)
	}
	p := c.get("/sv/consents")
	if !strings.Contains(p.body, "Du ombeds ge samtycke") || !strings.Contains(p.body, "Vill du ha boktips?") {
		t.Fatalf("the request is not on the consents page")
	}
	n := c.get("/sv/processings/" + proc)
	if !strings.Contains(n.body, "Tjänsten ber om ditt samtycke.") {
		t.Fatalf("the notice does not say the service asks")
	}
	p = c.post("/sv/processings/"+proc+"/give", url.Values{"csrf": {n.csrf(t)}, "version": {hiddenValue(t, n, "version")}, "notice_sha256": {hiddenValue(t, n, "notice_sha256")}})
	if p.status != 200 || !strings.Contains(p.url, "/sv/consents/"+req.ID) {
		t.Fatalf("answer: got %d at %s, want the request's consent %s", p.status, p.url, req.ID)
	}
}
