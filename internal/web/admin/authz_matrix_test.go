// SPDX-License-Identifier: Apache-2.0

package admin_test

import (
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store/storetest"
	"github.com/omadata/omadata/internal/web/admin"
)

var updateMatrix = flag.Bool("update-matrix", false, "rewrite the console's rows of the authorization matrix with the answers got (review the diff!)")

// matrixFile is the authorization matrix the API's test reads too.
const matrixFile = "../testdata/authz-matrix.tsv"

// consoleCallers are the console's kinds of caller, in the order the
// matrix runs them (the operator last: some of its changes alter what
// others see).
var consoleCallers = []string{"anonymous", "orgadmin-same", "orgadmin-other", "auditor", "operator"}

type consoleKey struct{ op, caller, owner string }

// readConsoleMatrix returns the console's rows: operation, caller, owner →
// expected answer.
func readConsoleMatrix(t *testing.T) map[consoleKey]string {
	t.Helper()
	b, err := os.ReadFile(matrixFile)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[consoleKey]string{}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Split(line, "\t")
		if strings.HasPrefix(line, "#") || len(f) < 4 || !strings.Contains(f[0], " /admin/") {
			continue
		}
		rows[consoleKey{f[0], f[1], f[2]}] = f[3]
	}
	return rows
}

var langRE = regexp.MustCompile(`^(GET|POST) /admin/en/`)

// consoleOperations are the console's routes in one language, with the
// language as {lang}, and its language-free routes.
func consoleOperations(e *env) []string {
	var ops []string
	for _, r := range e.routes {
		p := r.Pattern
		if strings.Contains(p, "/admin/fi/") || strings.Contains(p, "/admin/sv/") {
			continue
		}
		if !strings.Contains(p, " ") { // a not-found page for any method and caller (TestNotFoundPage)
			continue
		}
		ops = append(ops, langRE.ReplaceAllString(p, "$1 /admin/{lang}/"))
	}
	slices.Sort(ops)
	return slices.Compact(ops)
}

// consoleWorld is the demo with what the matrix needs beyond it: an
// organisation admin of the company Kirjasuositus Oy (Aino), a draft of
// Espoo's statutory processing awaiting approval, a draft of the
// company's processing, a credential of each service, a request, and a
// staff member the operator may remove.
type consoleWorld struct {
	*env
	clients                map[string]*client
	helmet, company        string // services: Helsinki's library, the company's sink
	espooProc, companyProc string
	credA, credB           string
	request, extraStaff    string
	fork                   string // a fork the operator's witness caught
	stylesheet             string // the console's stylesheet, at its checksummed URL
}

func newConsoleWorld(t *testing.T) *consoleWorld {
	t.Helper()
	e := newEnv(t, time.Time{})
	w := &consoleWorld{env: e, helmet: e.demo.IDs["service/helmet"], company: e.demo.IDs["service/kirjasuositus"],
		espooProc: e.demo.IDs["processing/ece-placement-on-move"], companyProc: e.demo.IDs["processing/reading-recommendations"]}
	ctx := adminCtx()
	aino, err := e.store.EnsureStaff(ctx, "150385-9013", "Aino Virtanen", omadata.StaffOrganisationAdmin, e.demo.IDs["organisation/kirjasuositus"])
	if err != nil {
		t.Fatal(err)
	}
	st, err := e.store.EnsureStaff(ctx, "010780-9021", "Matti Korhonen", omadata.StaffAuditor, "")
	if err != nil {
		t.Fatal(err)
	}
	w.extraStaff = st.ID
	for _, id := range []string{w.espooProc, w.companyProc} {
		if _, err := e.store.CreateVersion(ctx, id, true); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		svc string
		id  *string
	}{{w.helmet, &w.credA}, {w.company, &w.credB}} {
		cr := &omadata.Credential{ServiceID: c.svc, Name: "matrix", Scopes: []string{omadata.ScopeCatalogueRead}}
		if err := e.store.CreateCredential(ctx, cr); err != nil {
			t.Fatal(err)
		}
		*c.id = cr.ID
	}
	w.request = e.objection(t)
	w.fork = e.witnessState(t)
	w.clients = map[string]*client{"anonymous": e.client(t)}
	for caller, person := range map[string]string{"orgadmin-same": "helmi", "auditor": "tiina", "operator": "olli"} {
		c := e.client(t)
		if p := c.login("/admin/en/login", person); p.status != 200 {
			t.Fatalf("%s login: %d", person, p.status)
		}
		w.clients[caller] = c
	}
	// The demo provider signs in only the demo staff: Aino's session is
	// made in the store, and its cookie holds its token as a login's does.
	se, err := e.store.CreateStaffSession(ctx, aino.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	other := e.client(t)
	u, _ := url.Parse(e.url + admin.Prefix + "/")
	other.http.Jar.SetCookies(u, []*http.Cookie{{Name: "omadata_staff", Value: se.Token, Path: admin.Prefix}})
	w.clients["orgadmin-other"] = other
	w.stylesheet = regexp.MustCompile(`/admin/static/admin\.[0-9a-f]+\.css`).FindString(w.clients["operator"].get("/admin/en/").body)
	if w.stylesheet == "" {
		t.Fatal("no console stylesheet on the front page")
	}
	for _, c := range w.clients {
		c.http.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	return w
}

// consoleOwners lists whose records a console operation is tried on: A
// the City of Helsinki's (Helmi's organisation), B the company
// Kirjasuositus Oy's (Aino's), E the City of Espoo's (neither's, over
// Helsinki's data), "-" no one's.
func consoleOwners(op string) []string {
	switch {
	case strings.Contains(op, "/services/{id}"), strings.Contains(op, "/organisations/{id}"), op == "POST /admin/{lang}/data-groups":
		return []string{"A", "B"}
	case strings.Contains(op, "/data-groups/{id}"): // the demo's data groups are all Helsinki's
		return []string{"A"}
	case strings.Contains(op, "/processings/{id}"):
		return []string{"B", "E"}
	}
	return []string{"-"}
}

// consoleAnswer classifies an answer: ok for 2xx and for a redirect after
// a change, login for a redirect to sign in, else the status.
func consoleAnswer(p page, location string) string {
	switch {
	case p.status >= 200 && p.status < 300:
		return "ok"
	case p.status == http.StatusSeeOther && strings.Contains(location, "/login"):
		return "login"
	case p.status == http.StatusSeeOther:
		return "ok"
	}
	return strconv.Itoa(p.status)
}

// TestConsoleAuthorizationMatrix runs every console route as every kind of
// staff caller, and anonymously, against records of each owner, and
// checks the answers in the authorization matrix; a refused change leaves
// the database as it was.
func TestConsoleAuthorizationMatrix(t *testing.T) {
	table := readConsoleMatrix(t)
	probe := newConsoleWorld(t)
	ops := consoleOperations(probe.env)
	// The check that a refused call changed nothing must see a change.
	d := probe.digest(t)
	if _, err := probe.store.RevokeCredential(adminCtx(), probe.helmet, probe.credA); err != nil {
		t.Fatal(err)
	} else if probe.digest(t) == d {
		t.Fatal("the digest did not change after a write: the matrix could not tell a refused call that changed something")
	}
	var missing, recorded []string
	for _, op := range ops {
		method, _, _ := strings.Cut(op, " ")
		t.Run(op, func(t *testing.T) {
			w := probe
			if method == "POST" {
				w = newConsoleWorld(t)
			}
			before := w.digest(t)
			for _, caller := range consoleCallers {
				for _, owner := range consoleOwners(op) {
					want, ok := table[consoleKey{op, caller, owner}]
					if !ok && !*updateMatrix {
						missing = append(missing, fmt.Sprintf("%s\t%s\t%s", op, caller, owner))
						continue
					}
					got := w.try(t, op, caller, owner)
					if *updateMatrix {
						recorded = append(recorded, fmt.Sprintf("%s\t%s\t%s\t%s", op, caller, owner, got))
						continue
					}
					if got != want {
						t.Errorf("%s as %s on %s's: got %s, want %s", op, caller, owner, got, want)
					}
					after := w.digest(t)
					if (got == "401" || got == "403" || got == "404" || got == "login") && after != before {
						t.Errorf("%s as %s on %s's was refused (%s) but changed the database", op, caller, owner, got)
					}
					before = after
				}
			}
		})
	}
	if *updateMatrix {
		rewriteConsoleRows(t, recorded)
		return
	}
	if len(missing) > 0 {
		t.Errorf("%d console cases have no row in %s; add them:\n%s", len(missing), matrixFile, strings.Join(missing, "\n"))
	}
	for k := range table {
		if !slices.Contains(ops, k.op) || !slices.Contains(consoleCallers, k.caller) || !slices.Contains(consoleOwners(k.op), k.owner) {
			t.Errorf("row %v names no console operation, caller or owner the matrix runs", k)
		}
	}
}

// try makes one call as caller; a POST carries the caller's CSRF token and
// a form an allowed caller gets through with.
func (w *consoleWorld) try(t *testing.T, op, caller, owner string) string {
	t.Helper()
	method, pattern, _ := strings.Cut(op, " ")
	pick := func(a, b, e string) string {
		switch owner {
		case "B":
			return b
		case "E":
			return e
		}
		return a
	}
	r := strings.NewReplacer(
		"{lang}", "en",
		"/services/{id}", "/services/"+pick(w.helmet, w.company, ""),
		"/organisations/{id}", "/organisations/"+pick(w.demo.IDs["organisation/helsinki"], w.demo.IDs["organisation/kirjasuositus"], ""),
		"/data-groups/{id}", "/data-groups/"+w.demo.IDs["data-group/library-loans"],
		"/processings/{id}", "/processings/"+pick("", w.companyProc, w.espooProc),
		"{cid}", pick(w.credA, w.credB, ""),
		"{v}", "2", "{nl}", "fi",
		"/requests/{id}", "/requests/"+w.request,
		"/deliveries/{id}", "/deliveries/evt_0000000000000000000000000a",
		"/staff/{id}", "/staff/"+w.extraStaff,
		"/witness/forks/{id}", "/witness/forks/"+w.fork,
		"/static/{file}", strings.TrimPrefix(w.stylesheet, admin.Prefix), "{$}", "",
	)
	path := r.Replace(pattern)
	c := w.clients[caller]
	if method == "GET" {
		res, err := c.http.Get(w.url + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return consoleAnswer(page{status: res.StatusCode}, res.Header.Get("Location"))
	}
	form := url.Values{}
	if caller != "anonymous" {
		form.Set("csrf", c.get("/admin/en/").csrf(t))
	}
	switch pattern {
	case "/admin/{lang}/organisations":
		form.Set("kind", "company")
		form.Set("name-fi", "Matriisi Oy")
		form.Set("business_id", "7654321-2")
		form.Set("email", "info@example.fi")
		form.Set("privacy_policy_url", "https://example.fi/privacy")
		form.Set("dpo-name", "DPO")
		form.Set("dpo-email", "dpo@example.fi")
	case "/admin/{lang}/organisations/{id}":
		form.Set("name-fi", "Matriisi")
		form.Set("email", "info@example.fi")
		form.Set("privacy_policy_url", "https://example.fi/privacy")
		form.Set("dpo-name", "DPO")
		form.Set("dpo-email", "dpo@example.fi")
	case "/admin/{lang}/services":
		form.Set("organisation_id", w.demo.IDs["organisation/kirjasuositus"])
		for _, l := range omadata.Languages {
			form.Set("name-"+l, "Matrix "+l)
		}
		form["roles"] = []string{"", "sink"}
	case "/admin/{lang}/services/{id}":
		form.Set("description-fi", "Matriisin kuvaus.")
		form.Set("endpoints-api", "https://matrix.example.fi/api")
		form.Set("endpoints-webhook", "")
	case "/admin/{lang}/data-groups/{id}":
		for _, l := range omadata.Languages {
			form.Set("name-"+l, "Matrix "+l)
			form.Set("description-"+l, "Matrix group "+l)
		}
		form.Set("personal_data_categories", "pd:ServiceConsumptionBehavior")
		form.Set("retention", "P5Y")
	case "/admin/{lang}/services/{id}/status":
		form.Set("status", "suspended")
	case "/admin/{lang}/services/{id}/representation-kinds":
		form.Set("kinds", "guardian")
	case "/admin/{lang}/services/{id}/credentials":
		form.Set("name", "matrix")
		form.Set("scopes", "catalogue:read")
	case "/admin/{lang}/data-groups":
		form.Set("service_id", pick(w.helmet, w.company, ""))
		form.Set("code", "matrix-group")
		for _, l := range omadata.Languages {
			form.Set("name-"+l, "Matrix "+l)
			form.Set("description-"+l, "Matrix group "+l)
		}
		form.Set("personal_data_categories", "pd:ServiceConsumptionBehavior")
		form.Set("retention", "P5Y")
	case "/admin/{lang}/processings/{id}/versions":
		form.Set("compatible", "yes")
	case "/admin/{lang}/processings/{id}/versions/{v}/notices/{nl}":
		form.Set("title", "Otsikko")
		form.Set("body", "Selosteen teksti.")
	case "/admin/{lang}/processings/{id}/versions/{v}/transparency":
		form.Set("legal_basis_note", "Kuntalaki (410/2015)")
	case "/admin/{lang}/requests/{id}/resolve":
		form.Set("status", "upheld")
		form.Set("note", "Upheld.")
	case "/admin/{lang}/witness/forks/{id}/resolve":
		form.Set("keep", "old")
		form.Set("reason", "The log's operator explained the fault.")
	case "/admin/{lang}/requests/{id}/extend":
		form.Set("months", "2")
		form.Set("reason", "Many sources hold data about the resident.")
	case "/admin/{lang}/staff":
		form.Set("identity_code", "021290-905C")
		form.Set("name", "Sanna Mäkinen")
		form.Set("role", "auditor")
	}
	p := c.post(path, form)
	return consoleAnswer(p, "")
}

// digest is every row of every table but the staff's sessions (which each
// caller's CSRF page view does not change, but logins do), so that a
// refused call can be shown to have changed nothing.
func (w *consoleWorld) digest(t *testing.T) string {
	t.Helper()
	return storetest.Dump(t, w.store, "staff_sessions")
}

// rewriteConsoleRows replaces the console's rows of the matrix file,
// keeping their notes, and leaves the API's rows as they are.
func rewriteConsoleRows(t *testing.T, rows []string) {
	t.Helper()
	b, err := os.ReadFile(matrixFile)
	if err != nil {
		t.Fatal(err)
	}
	notes := map[string]string{}
	var keep []string
	for _, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		f := strings.Split(line, "\t")
		if len(f) >= 4 && strings.Contains(f[0], " /admin/") {
			if len(f) > 4 {
				notes[strings.Join(f[:3], "\t")] = f[4]
			}
			continue
		}
		keep = append(keep, line)
	}
	for strings.TrimSpace(keep[len(keep)-1]) == "" {
		keep = keep[:len(keep)-1]
	}
	prev := ""
	for _, r := range rows {
		f := strings.Split(r, "\t")
		if f[0] != prev {
			keep = append(keep, "")
			prev = f[0]
		}
		if n := notes[strings.Join(f[:3], "\t")]; n != "" {
			r += "\t" + n
		}
		keep = append(keep, r)
	}
	if err := os.WriteFile(matrixFile, []byte(strings.Join(keep, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}
