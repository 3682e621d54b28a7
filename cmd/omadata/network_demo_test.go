// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/client"
	"github.com/omadata/omadata/internal/demo"
	"github.com/omadata/omadata/internal/store/storetest"
)

// sportsCardTitle is the English title of the demo network's cross-city
// processing on consent: Espoo's sink, Helsinki's data.
const sportsCardTitle = "Your Helsinki sports card at Espoo's sports facilities"

// TestDemoNetwork is the network's story end to end (issue 17, "Done
// when"), on the processes "omadata demo network" starts: a trust anchor
// and Helsinki, Espoo and Turku as separate "omadata" processes on
// 127.0.0.1, each on its own database (Helsinki on PostgreSQL when
// OMADATA_TEST_POSTGRES_DSN is set). The operators believe each other
// only through trust chains; a Helsinki resident consents, in Helsinki's
// portal session, to a processing of a sink registered at Espoo; the sink
// gets the data group from Helsinki's source under a grant Helsinki issued,
// which the source verifies with client/ against Helsinki's keys; the
// resident withdraws at Helsinki and the sink's next request fails; both
// operators' logs verify, and each references the other's leaf.
func TestDemoNetwork(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and starts a trust anchor and three operators")
	}
	bin, _ := buildServer(t)
	dbs := map[string]string{}
	if os.Getenv("OMADATA_TEST_POSTGRES_DSN") != "" {
		dbs[demo.CityHelsinki] = storetest.PostgresSchema(t, storetest.PostgresDSN(t))
	}
	n := startTestNetwork(t, bin, dbs)
	t.Run("Release", func(t *testing.T) { testRelease(t, bin, n) })
	t.Run("Browser", func(t *testing.T) {
		testBrowser(t, n, waitEntry(t, n.Operators[0], sportsCardTitle, n.Operators[1].URL).ProcessingID)
	})
	// The operators and the anchor witness each other's logs (issue 18).
	t.Run("Witness", func(t *testing.T) { testNetworkWitness(t, bin, n) })
	// Refusals last: they suspend and remove Turku.
	t.Run("Refusals", func(t *testing.T) { testRefusals(t, bin, n) })
}

// testRelease is the story of the release across operators.
func testRelease(t *testing.T, bin string, n *demoNet) {
	hki, esp := n.Operators[0], n.Operators[1]
	ctx := context.Background()

	// Membership: every operator serves its entity configuration, and the
	// anchor lists the three as its members.
	for _, op := range n.Operators {
		res, body := get(t, op.URL+"/.well-known/openid-federation", "")
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/entity-statement+jwt" || strings.Count(body, ".") != 2 {
			t.Fatalf("%s: entity configuration: %d %s %.200s", op.Name, res.StatusCode, res.Header.Get("Content-Type"), body)
		}
	}
	var members []string
	if res, body := get(t, n.Anchor.URL+"/list", ""); res.StatusCode != 200 || json.Unmarshal([]byte(body), &members) != nil || len(members) != 3 {
		t.Fatalf("the anchor's members: %d %s", res.StatusCode, body)
	}

	// Espoo publishes its processing on Helsinki's data once it mirrors
	// Helsinki's catalogue; Helsinki shows it once it mirrors Espoo's,
	// naming the sink's operator. Both happen through signed calls
	// verified with keys of resolved trust chains.
	entry := waitEntry(t, hki, sportsCardTitle, esp.URL)
	if len(entry.DataGroups) != 1 || entry.DataGroups[0].Code != "sports-services" {
		t.Fatalf("got entry %+v, want Helsinki's sports services data group", entry)
	}
	group, source := entry.DataGroups[0].ID, entry.DataGroups[0].Source.ID

	// Matti, a Helsinki resident, consents in Helsinki's portal session,
	// as the portal's own pages do, to the notice he was shown.
	session := demoLogin(t, hki.URL, "matti")
	in := map[string]any{"processing_id": entry.ProcessingID, "version": entry.Version, "language": "en"}
	for _, nt := range entry.Notices {
		if nt.Language == "en" {
			in["notice_sha256"] = nt.SHA256
		}
	}
	var consent omadata.Consent
	callJSON(t, hki.URL, "POST", "/api/v1/me/consents", session, in, 201, &consent)

	// Espoo's sink learns of it from its operator, under its own
	// pseudonym of Matti.
	espAdmin := readToken(t, n.file(esp, demo.AdminTokenFile))
	psn := waitConsentEvent(t, esp.URL, espAdmin, entry.Sink.ID, consent.ID, omadata.ConsentGiven)

	// The sink asks its own operator for a grant; Espoo relays the
	// question to Helsinki, which decides and issues it.
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sink := client.New(esp.URL, readToken(t, n.file(esp, demo.ServiceTokenFile)))
	ask := &omadata.GrantInput{SourceID: source, Pseudonym: psn, DataGroupIDs: []string{group}, PurposeID: entry.Purpose.ID}
	g, err := sink.RequestGrant(ctx, ask, key)
	if err != nil {
		t.Fatalf("grant at Espoo: %v\n%s", err, tail(esp))
	} else if g.Token == "" || g.Decision == nil || g.Decision.Decision != "permit" {
		t.Fatalf("grant at Espoo: got %+v, want a permit with a token\n%s", g, tail(esp))
	}

	// Helsinki's source takes it, verifying it with client/ against
	// Helsinki's keys and its live status at Helsinki.
	hkiAdmin := readToken(t, n.file(hki, demo.AdminTokenFile))
	var cred omadata.Credential
	callJSON(t, hki.URL, "POST", "/api/v1/services/"+source+"/credentials", hkiAdmin,
		map[string]any{"name": "network test source", "scopes": []string{omadata.ScopeTransfers}}, 201, &cred)
	verifier := client.NewVerifier(hki.URL, source, client.New(hki.URL, cred.Token))
	src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		vg, err := verifier.VerifyRequest(r.Context(), r)
		if err != nil {
			var e *client.Error
			status := 401
			if errors.As(err, &e) {
				status = e.Status
			}
			http.Error(w, err.Error(), status)
			return
		} else if !vg.Allows(group) {
			http.Error(w, "not this group", 403)
			return
		}
		fmt.Fprintf(w, `{"pseudonym": %q, "sink_id": %q}`, vg.Pseudonym, vg.SinkID)
	}))
	defer src.Close()
	fetch := func() (int, string) {
		t.Helper()
		req, err := sink.DPoPRequest(ctx, "GET", src.URL+"/sports-services", nil, g, key)
		if err != nil {
			t.Fatal(err)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if st, body := fetch(); st != 200 || !strings.Contains(body, entry.Sink.ID) {
		t.Fatalf("the sink's fetch from Helsinki's source: %d %s", st, body)
	}

	// Matti withdraws at Helsinki: the sink's next request fails, at the
	// source and at its own operator.
	callJSON(t, hki.URL, "POST", "/api/v1/me/consents/"+consent.ID+"/withdraw", session, map[string]any{}, 200, nil)
	if st, body := fetch(); st != 403 {
		t.Errorf("the sink's fetch after the withdrawal: got %d %s, want 403", st, body)
	}
	if g2, err := sink.RequestGrant(ctx, ask, key); err == nil && g2.Token != "" {
		t.Errorf("a grant after the withdrawal: got %+v, want a deny", g2)
	}

	// The demo network's own release: Aino's consent at Helsinki to the
	// same processing (demo.LoadNetworkConsents), and the grant Espoo's
	// demo sink then got through Espoo (demo.LoadNetworkGrants), which
	// Helsinki's "who used my data" shows naming Espoo's operator.
	aino := demoLogin(t, hki.URL, "aino")
	deadline := time.Now().Add(30 * time.Second)
	for found := false; !found; {
		var used struct{ Items []*omadata.Usage }
		callJSON(t, hki.URL, "GET", "/api/v1/me/usage?limit=100", aino, nil, 200, &used)
		for _, u := range used.Items {
			found = found || u.Kind == omadata.LeafGrantIssued && u.SinkID == entry.Sink.ID && u.SinkOperator != nil && u.SinkOperator.ID == esp.URL
		}
		if !found && time.Now().After(deadline) {
			t.Fatalf("Aino's usage at Helsinki lacks the grant to Espoo's sink, named with Espoo's operator\n%s", tail(esp))
		} else if !found {
			time.Sleep(500 * time.Millisecond)
		}
	}

	// Both logs verify, and each references the other's leaf of the
	// release: Helsinki's grant.issued names Espoo's relay, Espoo's
	// grant.relayed names Helsinki's grant.
	hLeaf, eLeaf := waitCrossLeaves(t, hki.URL, esp.URL)
	if hLeaf.Kind != omadata.LeafGrantIssued || eLeaf.Kind != omadata.LeafGrantRelayed {
		t.Errorf("got leaves %s and %s, want grant.issued at Helsinki and grant.relayed at Espoo", hLeaf.Kind, eLeaf.Kind)
	}
	for _, op := range []*child{hki, esp} {
		out, err := exec.Command(bin, "log", "verify", "--database", op.DB).CombinedOutput()
		if err != nil {
			t.Errorf("%s: omadata log verify: %v\n%s", op.Name, err, out)
		}
	}
}

// startTestNetwork starts the demo network on four free consecutive ports
// and stops it when the test ends.
func startTestNetwork(t *testing.T, bin string, dbs map[string]string) *demoNet {
	t.Helper()
	var n *demoNet
	for attempt := 0; ; attempt++ {
		var err error
		n, err = startNetwork(context.Background(), networkOptions{Bin: bin, Dir: t.TempDir(), BasePort: freePorts(t, 4), Databases: dbs})
		if err == nil {
			break
		} else if attempt == 2 || !strings.Contains(err.Error(), "address already in use") {
			t.Fatal(err)
		}
	}
	t.Cleanup(n.Stop)
	return n
}

// freePorts returns the first of count consecutive ports that are free
// now.
func freePorts(t *testing.T, count int) int {
	t.Helper()
	for range 50 {
		var b [2]byte
		rand.Read(b[:])
		base := 20000 + int(b[0])<<8%30000 + int(b[1])
		var lns []net.Listener
		for i := range count {
			ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(base+i))
			if err != nil {
				break
			}
			lns = append(lns, ln)
		}
		for _, ln := range lns {
			ln.Close()
		}
		if len(lns) == count {
			return base
		}
	}
	t.Fatal("no free consecutive ports")
	return 0
}

// file is a demo file of an operator: beside its SQLite database, or in
// the network's directory for one on PostgreSQL.
func (n *demoNet) file(op *child, name string) string {
	if strings.HasPrefix(op.DB, "postgres") {
		return filepath.Join(n.Dir, name)
	}
	return filepath.Join(n.Dir, op.Name, name)
}

func get(t *testing.T, u, token string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// waitEntry waits, at most 45 s, until op's public catalogue shows the
// processing titled title of a sink at operator sinkOp.
func waitEntry(t *testing.T, op *child, title, sinkOp string) *omadata.CatalogueEntry {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for {
		var cat struct{ Items []*omadata.CatalogueEntry }
		if res, body := get(t, op.URL+"/api/v1/public/catalogue?limit=100", ""); res.StatusCode == 200 && json.Unmarshal([]byte(body), &cat) == nil {
			for _, e := range cat.Items {
				if e.Title["en"] == title && (sinkOp == "" && e.Operator == nil || e.Operator != nil && e.Operator.ID == sinkOp) {
					return e
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not show %q of a sink at %s\n%s", op.Name, title, sinkOp, tail(op))
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// waitConsentEvent waits, at most 30 s, until the sink at base has a
// consent event of consentID in status, and returns the sink's pseudonym
// of the resident.
func waitConsentEvent(t *testing.T, base, admin, sinkID, consentID, status string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var out struct{ Items []*omadata.Delivery }
		callJSON(t, base, "GET", "/api/v1/deliveries?limit=200&service_id="+url.QueryEscape(sinkID), admin, nil, 200, &out)
		for _, d := range out.Items {
			var ce struct {
				Data struct {
					ConsentID string `json:"consent_id"`
					Pseudonym string `json:"pseudonym"`
					Status    string `json:"status"`
				} `json:"data"`
			}
			if json.Unmarshal(d.Payload, &ce) == nil && ce.Data.ConsentID == consentID && ce.Data.Status == status {
				return ce.Data.Pseudonym
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s consent event of %s for sink %s", status, consentID, sinkID)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// demoLogin signs a demo resident in to an operator's portal at the
// built-in demo provider and returns the portal session, which the API
// takes as a bearer token as the portal's own pages send it.
func demoLogin(t *testing.T, base, person string) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	b := &browser{t: t, base: base, http: &http.Client{Jar: jar}}
	res, body := b.do("GET", base+"/en/login?"+url.Values{"next": {"/en/"}}.Encode(), nil)
	if !strings.Contains(res.Request.URL.Path, "/demo-idp/authorize") {
		t.Fatalf("login went to %s", res.Request.URL)
	}
	form := hiddenFields(body)
	form.Set("person", person)
	res, _ = b.do("POST", base+"/demo-idp/authorize", form)
	for _, c := range jar.Cookies(res.Request.URL) {
		if c.Name == "omadata_session" {
			return c.Value
		}
	}
	t.Fatalf("no session after signing in as %s: %d at %s", person, res.StatusCode, res.Request.URL)
	return ""
}

// waitCrossLeaves waits, at most 30 s, for the leaves of one release in
// the two operators' logs that reference each other: the home operator's
// (at home) names the sink's operator's log origin and its relay, whose
// leaf names the home operator's origin and record.
func waitCrossLeaves(t *testing.T, home, sinkOp string) (*omadata.LogLeaf, *omadata.LogLeaf) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		hOrigin, hLeaves := logLeaves(t, home)
		sOrigin, sLeaves := logLeaves(t, sinkOp)
		for _, h := range hLeaves {
			if h.Peer == nil || h.Peer.Origin != sOrigin {
				continue
			}
			for _, s := range sLeaves {
				if s.Record == h.Peer.Record && s.Peer != nil && s.Peer.Origin == hOrigin && s.Peer.Record == h.Record {
					return h, s
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no leaves referencing each other in %s (%d leaves) and %s (%d leaves)", home, len(hLeaves), sinkOp, len(sLeaves))
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// logLeaves returns an operator's log origin and the leaves of its
// latest checkpoint.
func logLeaves(t *testing.T, base string) (string, []*omadata.LogLeaf) {
	t.Helper()
	res, note := get(t, base+"/api/v1/public/log/checkpoint", "")
	if res.StatusCode != 200 {
		return "", nil
	}
	lines := strings.SplitN(note, "\n", 3)
	if len(lines) < 3 {
		t.Fatalf("checkpoint of %s: %q", base, note)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		t.Fatalf("checkpoint of %s: %q", base, note)
	}
	var out []*omadata.LogLeaf
	for i := range size {
		var e omadata.LogEntry
		callJSON(t, base, "GET", "/api/v1/public/log/leaves/"+strconv.FormatInt(i, 10), "", nil, 200, &e)
		out = append(out, e.Leaf)
	}
	return lines[0], out
}

// tail is the end of a process's log, for a failure message.
func tail(c *child) string {
	s := c.tail()
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.Contains(l, `"msg":"http request"`) || strings.Contains(l, `"status":4`) || strings.Contains(l, `"status":5`) {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}
