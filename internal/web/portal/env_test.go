// SPDX-License-Identifier: Apache-2.0

package portal_test

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
	"sync/atomic"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/archive"
	"github.com/omadata/omadata/internal/demo"
	"github.com/omadata/omadata/internal/demo/idp"
	"github.com/omadata/omadata/internal/demo/sources"
	"github.com/omadata/omadata/internal/store"
	"github.com/omadata/omadata/internal/store/storetest"
	"github.com/omadata/omadata/internal/web"
	"github.com/omadata/omadata/internal/web/portal"
	"github.com/omadata/omadata/internal/web/ratelimit"
)

var update = flag.Bool("update", false, "rewrite golden files")

// env is an operator in demo mode on a test server: the demo catalogue,
// the demo residents, the built-in provider and the portal.
type env struct {
	url   string
	store *store.Store
	demo  *demo.Result
	path  string                    // the SQLite database file
	at    atomic.Pointer[time.Time] // the fixed clock, if any
	own   []*sources.Source         // the demo's own-data sources, linked (newSourcesEnv)
	// collect asks the env's witnesses to cosign the latest checkpoint
	// (withWitnesses); nil without witnesses.
	collect func(t *testing.T)
	// wrap, if set, wraps the test server's handler: a test-only seam
	// (withWitnesses' tampering), never in production code.
	wrap  func(http.Handler) http.Handler
	pages []web.Page // more pages on the test server
	// logOrigin is the origin of the operator's log: storetest.LogOrigin,
	// or the one of its URL (newNetworkEnv).
	logOrigin string
}

// setNow moves the fixed clock of an env made with a non-zero now.
func (e *env) setNow(now time.Time) { e.at.Store(&now) }

// newEnv boots the demo operator; a non-zero now fixes the store's and the
// portal's clock.
func newEnv(t *testing.T, now time.Time) *env {
	t.Helper()
	return newLimitedEnv(t, now, nil)
}

// newLimitedEnv is newEnv with a rate limiter for logins.
func newLimitedEnv(t *testing.T, now time.Time, limiter *ratelimit.Limiter) *env {
	t.Helper()
	return newProviderEnv(t, now, limiter, nil)
}

// provider sets up the OpenID provider of a portal at base: its settings,
// and its pages when it runs on the portal's server.
type provider func(t *testing.T, base string) (portal.OIDC, []web.Page)

// demoProvider is the built-in demo provider on the portal's server.
func demoProvider(t *testing.T, base string) (portal.OIDC, []web.Page) {
	t.Helper()
	oc := portal.OIDC{Issuer: base + idp.Prefix, ClientID: "portal-test", ClientSecret: "test-secret", IdentityClaim: "national_id_num", NameClaim: "name"}
	p, err := idp.New(idp.Options{Issuer: oc.Issuer, ClientID: oc.ClientID, ClientSecret: oc.ClientSecret,
		RedirectURL: base + portal.CallbackPath, IdentityClaim: oc.IdentityClaim, NameClaim: oc.NameClaim})
	if err != nil {
		t.Fatal(err)
	}
	var pages []web.Page
	for _, pat := range p.Patterns() {
		pages = append(pages, web.Page{Pattern: pat, Handler: p})
	}
	return oc, pages
}

// newProviderEnv is newLimitedEnv with the provider pr (nil: the demo
// provider).
func newProviderEnv(t *testing.T, now time.Time, limiter *ratelimit.Limiter, pr provider, opts ...func(*env, *portal.Options)) *env {
	t.Helper()
	return newOriginEnv(t, now, limiter, pr, false, opts...)
}

// newNetworkEnv is newEnv for an operator of a network: its log origin is
// the one of its URL (omadata.LogOrigin), as a trust chain requires of a
// member (network.md §2.4 step 7).
func newNetworkEnv(t *testing.T, opts ...func(*env, *portal.Options)) *env {
	t.Helper()
	return newOriginEnv(t, time.Time{}, nil, nil, true, opts...)
}

// newOriginEnv is newProviderEnv with the log origin of the operator's
// URL when bound, else storetest.LogOrigin.
func newOriginEnv(t *testing.T, now time.Time, limiter *ratelimit.Limiter, pr provider, bound bool, opts ...func(*env, *portal.Options)) *env {
	t.Helper()
	if pr == nil {
		pr = demoProvider
	}
	ts := httptest.NewUnstartedServer(nil)
	base := "http://" + ts.Listener.Addr().String()
	path := filepath.Join(t.TempDir(), "omadata.db")
	origin := storetest.LogOrigin
	if bound {
		origin = omadata.LogOrigin(base)
	}
	st := storetest.OpenURLWithLogOrigin(t, "sqlite:"+path, origin)
	e := &env{store: st, path: path, logOrigin: origin}
	clock := time.Now
	if !now.IsZero() {
		e.setNow(now)
		clock = func() time.Time { return *e.at.Load() }
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
	oc, pages := pr(t, base)
	archives := &archive.Builder{Requests: st, Signer: storetest.RecordSigner(t, st), OperatorID: base, PublicURL: base, Now: clock}
	o := portal.Options{
		Residents: st, Representations: st, Consents: st, Catalogue: st, AISystems: st, Credentials: st,
		Usage: st, Log: st, Requests: st, Apps: st, Organisations: st, LogVerifierKey: storetest.LogVerifierKey(t, st), Archives: archives,
		OIDC: oc, PublicURL: base, SecretKey: storetest.SecretKey, Demo: true, Now: clock, Limiter: limiter,
		Operator: portal.Operator{Name: "Test City", BusinessID: "0201256-6", Email: "mydata@example.fi", DPOEmail: "dpo@example.fi"},
	}
	e.demo = res
	for _, f := range opts {
		f(e, &o)
	}
	archives.OwnData = o.OwnData
	if o.Witnessed != nil {
		archives.Witnessed, archives.Log = o.Witnessed, st
	}
	p, err := portal.New(o)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range p.Routes() {
		pages = append(pages, web.Page{Pattern: r.Pattern, Handler: r.Handler})
	}
	pages = append(pages, e.pages...)
	ts.Config.Handler = web.New(web.Options{
		Organisations: st, Services: st, Credentials: st, DataGroups: st, Purposes: st,
		Processings: st, AISystems: st, Catalogue: st, SigningKeys: st,
		Residents: st, Representations: st, Consents: st, Decisions: st, Grants: st, Webhooks: st,
		Log: st, Usage: st, Requests: st, Apps: st, AppTokens: st, LogVerifierKey: storetest.LogVerifierKey(t, st), Archives: archives,
		Operator:  web.OperatorInfo{ID: base, Name: "Test City", PublicURL: base},
		Witnessed: o.Witnessed,
		Pages:     pages,
		NotFound:  p.NotFound(),
	})
	if e.wrap != nil {
		ts.Config.Handler = e.wrap(ts.Config.Handler)
	}
	ts.Start()
	t.Cleanup(ts.Close)
	e.url, e.demo = base, res
	return e
}

// loadActivity records the demo residents' data uses, as serve --demo
// does.
func (e *env) loadActivity(t *testing.T) {
	t.Helper()
	st := e.store
	if _, err := demo.LoadActivity(context.Background(), demo.ActivityServices{Residents: st, Consents: st, Grants: st, Usage: st, Catalogue: st}, e.demo); err != nil {
		t.Fatal(err)
	}
}

// client is a browser without JavaScript: a cookie jar that follows
// redirects.
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
	header http.Header
}

func (c *client) do(req *http.Request) page {
	c.t.Helper()
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return page{res.StatusCode, res.Request.URL.String(), string(b), res.Header}
}

func (c *client) get(path string) page {
	c.t.Helper()
	u := path
	if strings.HasPrefix(path, "/") {
		u = c.e.url + path
	}
	req, _ := http.NewRequest("GET", u, nil)
	return c.do(req)
}

// post submits a form as a browser does: same-origin, with Origin set.
func (c *client) post(path string, form url.Values) page {
	c.t.Helper()
	u := path
	if strings.HasPrefix(path, "/") {
		u = c.e.url + path
	}
	req, _ := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", c.e.url)
	return c.do(req)
}

var (
	hiddenRE = regexp.MustCompile(`<input type="hidden" name="([a-z0-9_]+)" value="([^"]*)">`)
	csrfRE   = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
)

// csrf returns the form token on a page.
func (p page) csrf(t *testing.T) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no CSRF token on %s", p.url)
	}
	return m[1]
}

// login signs in as a demo person through the built-in provider, the way
// a browser without JavaScript does, and returns the page it lands on.
func (c *client) login(lang, person string) page {
	c.t.Helper()
	chooser := c.get("/" + lang + "/login?next=/" + lang + "/consents")
	if chooser.status != 200 || !strings.Contains(chooser.url, idp.Prefix+"/authorize") {
		c.t.Fatalf("login: got %d at %s", chooser.status, chooser.url)
	}
	form := url.Values{"person": {person}}
	for _, m := range hiddenRE.FindAllStringSubmatch(chooser.body, 20) {
		if form.Get(m[1]) == "" {
			form.Set(m[1], htmlUnescape(m[2]))
		}
	}
	p := c.post(idp.Prefix+"/authorize", form)
	if p.status != 200 || !strings.HasSuffix(p.url, "/"+lang+"/consents") {
		c.t.Fatalf("login: got %d at %s: %.300s", p.status, p.url, p.body)
	}
	return p
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&#43;", "+", "&#34;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">").Replace(s)
}

// resident returns the demo person's resident record.
func (e *env) resident(t *testing.T, code string) *omadata.Resident {
	t.Helper()
	r, err := e.store.FindResidentByIdentityCode(omadata.NewContextWithCaller(context.Background(), omadata.Caller{Kind: omadata.CallerAdmin}), code)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// consents lists a resident's consents, as the operator.
func (e *env) consents(t *testing.T, residentID string) []*omadata.Consent {
	t.Helper()
	ctx := omadata.NewContextWithCaller(context.Background(), omadata.Caller{Kind: omadata.CallerAdmin})
	list, _, err := e.store.FindConsents(ctx, omadata.ConsentFilter{ResidentID: &residentID})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// decide asks, as the Kirjasuositus sink, whether it may receive the
// resident's library loans for recommendations now.
func (e *env) decide(t *testing.T, residentID string) string {
	t.Helper()
	admin := omadata.NewContextWithCaller(context.Background(), omadata.Caller{Kind: omadata.CallerAdmin})
	sink := e.demo.TokenServiceID
	psn, err := e.store.Pseudonym(admin, sink, residentID)
	if err != nil {
		t.Fatal(err)
	}
	groups, _, err := e.store.FindCatalogue(admin, omadata.CatalogueFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var in *omadata.DecisionInput
	for _, g := range groups {
		if g.Sink.ID == sink {
			in = &omadata.DecisionInput{SinkID: sink, SourceID: g.DataGroups[0].Source.ID, Pseudonym: psn,
				DataGroupIDs: []string{g.DataGroups[0].ID}, PurposeID: g.Purpose.ID}
		}
	}
	if in == nil {
		t.Fatal("no processing of the demo sink in the catalogue")
	}
	ctx := omadata.NewContextWithCaller(context.Background(), omadata.Caller{Kind: omadata.CallerService, ServiceID: sink,
		Scopes: []string{omadata.ScopeDecisions}})
	d, err := e.store.Decide(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	return d.Decision
}

// processingOf returns the demo processing the Kirjasuositus sink asks
// consent for.
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
