// SPDX-License-Identifier: Apache-2.0

package admin_test

import (
	"context"
	"flag"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/demo"
	"github.com/omadata/omadata/internal/demo/idp"
	"github.com/omadata/omadata/internal/store"
	"github.com/omadata/omadata/internal/store/storetest"
	"github.com/omadata/omadata/internal/web"
	"github.com/omadata/omadata/internal/web/admin"
	"github.com/omadata/omadata/internal/web/portal"
	"github.com/omadata/omadata/internal/web/ratelimit"
)

var update = flag.Bool("update", false, "rewrite golden files")

const mattiCode = "010780-9021"

// env is a demo operator on a test server: the demo catalogue, residents
// and staff, the built-in provider, the portal and the console.
type env struct {
	url    string
	store  *store.Store
	demo   *demo.Result
	routes []admin.Route // the console's
}

func newEnv(t *testing.T, now time.Time) *env {
	t.Helper()
	return newLimitedEnv(t, now, nil)
}

// newLimitedEnv is newEnv with a rate limiter for logins.
func newLimitedEnv(t *testing.T, now time.Time, limiter *ratelimit.Limiter) *env {
	t.Helper()
	st := storetest.OpenURL(t, "sqlite:"+filepath.Join(t.TempDir(), "omadata.db"))
	clock := time.Now
	if !now.IsZero() {
		clock = func() time.Time { return now }
		st.DB().Now = clock
	}
	ctx := context.Background()
	res, err := demo.Load(ctx, demo.Services{Organisations: st, Services: st, Credentials: st, DataGroups: st, Purposes: st, Processings: st, AISystems: st, Representations: st})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.LoadResidents(ctx, demo.ResidentServices{Residents: st, Representations: st}); err != nil {
		t.Fatal(err)
	}
	if err := demo.LoadStaff(ctx, demo.StaffServices{Staff: st, Organisations: st}); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(nil)
	base := "http://" + ts.Listener.Addr().String()
	oc := portal.OIDC{Issuer: base + idp.Prefix, ClientID: "portal-test", ClientSecret: "test-secret", IdentityClaim: "national_id_num", NameClaim: "name"}
	provider, err := idp.New(idp.Options{Issuer: oc.Issuer, ClientID: oc.ClientID, ClientSecret: oc.ClientSecret,
		RedirectURL: base + portal.CallbackPath, StaffRedirectURL: base + admin.CallbackPath, IdentityClaim: oc.IdentityClaim, NameClaim: oc.NameClaim})
	if err != nil {
		t.Fatal(err)
	}
	p, err := portal.New(portal.Options{
		Residents: st, Representations: st, Consents: st, Catalogue: st, AISystems: st, Credentials: st,
		Usage: st, Log: st, Requests: st, LogVerifierKey: storetest.LogVerifierKey(t, st),
		OIDC: oc, PublicURL: base, SecretKey: storetest.SecretKey, Demo: true, Now: clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	ad, err := admin.New(admin.Options{
		Staff: st, Organisations: st, Services: st, Credentials: st, DataGroups: st, Processings: st, Webhooks: st, Requests: st, Log: st,
		Representations: st, Overview: st, Witness: st,
		OIDC:      oc,
		PublicURL: base, SecretKey: storetest.SecretKey, Now: clock, Limiter: limiter,
	})
	if err != nil {
		t.Fatal(err)
	}
	var pages []web.Page
	for _, pat := range provider.Patterns() {
		pages = append(pages, web.Page{Pattern: pat, Handler: provider})
	}
	for _, r := range p.Routes() {
		pages = append(pages, web.Page{Pattern: r.Pattern, Handler: r.Handler})
	}
	for _, r := range ad.Routes() {
		pages = append(pages, web.Page{Pattern: r.Pattern, Handler: r.Handler})
	}
	ts.Config.Handler = web.New(web.Options{
		Organisations: st, Services: st, Credentials: st, DataGroups: st, Purposes: st,
		Processings: st, AISystems: st, Catalogue: st, SigningKeys: st,
		Residents: st, Representations: st, Consents: st, Decisions: st, Grants: st, Webhooks: st,
		Log: st, Usage: st, Requests: st, Apps: st, AppTokens: st,
		Operator: web.OperatorInfo{ID: base, Name: "Test City", PublicURL: base},
		Pages:    pages,
		NotFound: p.NotFound(),
	})
	ts.Start()
	t.Cleanup(ts.Close)
	return &env{url: base, store: st, demo: res, routes: ad.Routes()}
}

func adminCtx() context.Context {
	return omadata.NewContextWithCaller(context.Background(), omadata.Caller{Kind: omadata.CallerAdmin})
}

// objection has Matti object to the demo's public-task processing, and
// returns the request's ID.
func (e *env) objection(t *testing.T) string {
	t.Helper()
	matti, err := e.store.FindResidentByIdentityCode(adminCtx(), mattiCode)
	if err != nil {
		t.Fatal(err)
	}
	x, err := e.store.CreateRequest(storetest.AsResident(matti.ID), &omadata.RequestInput{
		Kind: omadata.RequestObjection, ProcessingID: e.demo.IDs["processing/ece-placement-on-move"], Details: "En halua, että tietoni siirtyvät."})
	if err != nil {
		t.Fatal(err)
	}
	return x.ID
}

// recommendations is the demo processing that asks residents' consent.
func (e *env) recommendations(t *testing.T) string {
	t.Helper()
	list, _, err := e.store.FindCatalogue(context.Background(), omadata.CatalogueFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range list {
		if x.Sink.ID == e.demo.TokenServiceID {
			return x.ProcessingID
		}
	}
	t.Fatal("no recommendations processing")
	return ""
}

// giveConsent has Matti give his consent to the processing's published
// version, as the portal would.
func (e *env) giveConsent(t *testing.T, proc string) *omadata.Consent {
	t.Helper()
	res, err := e.store.FindResidentByIdentityCode(adminCtx(), mattiCode)
	if err != nil {
		t.Fatal(err)
	}
	entry, err := e.store.FindCatalogueEntry(context.Background(), proc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := storetest.AsResident(res.ID)
	c, err := e.store.GiveConsent(ctx, &omadata.ConsentInput{ProcessingID: proc, Version: entry.Version, Language: "en", CollectionMethod: omadata.CollectedPortal})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (e *env) processing(t *testing.T, id string) *omadata.Processing {
	t.Helper()
	p, err := e.store.FindProcessingByID(adminCtx(), id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

type client struct {
	t    *testing.T
	e    *env
	http *http.Client
}

func (e *env) client(t *testing.T) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, e: e, http: &http.Client{Jar: jar}}
}

type page struct {
	status int
	url    string
	body   string
}

func (c *client) do(req *http.Request) page {
	c.t.Helper()
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return page{res.StatusCode, res.Request.URL.String(), string(b)}
}

func (c *client) get(path string) page {
	c.t.Helper()
	req, _ := http.NewRequest("GET", c.e.url+path, nil)
	return c.do(req)
}

// post submits a form as a browser does: same-origin, with Origin set.
func (c *client) post(path string, form url.Values) page {
	c.t.Helper()
	req, _ := http.NewRequest("POST", c.e.url+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", c.e.url)
	return c.do(req)
}

var (
	hiddenRE = regexp.MustCompile(`<input type="hidden" name="([a-z0-9_]+)" value="([^"]*)">`)
	csrfRE   = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
)

func (p page) csrf(t *testing.T) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no CSRF token on %s", p.url)
	}
	return m[1]
}

// login signs in through the built-in provider as a demo person; path is
// where to start (the console's or the portal's login).
func (c *client) login(path, person string) page {
	c.t.Helper()
	chooser := c.get(path)
	if chooser.status != 200 || !strings.Contains(chooser.url, idp.Prefix+"/authorize") {
		c.t.Fatalf("login: got %d at %s", chooser.status, chooser.url)
	}
	form := url.Values{"person": {person}}
	for _, m := range hiddenRE.FindAllStringSubmatch(chooser.body, 20) {
		if form.Get(m[1]) == "" {
			form.Set(m[1], strings.NewReplacer("&amp;", "&", "&#43;", "+").Replace(m[2]))
		}
	}
	return c.post(idp.Prefix+"/authorize", form)
}
