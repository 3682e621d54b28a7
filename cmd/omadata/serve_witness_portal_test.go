// SPDX-License-Identifier: Apache-2.0

package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/store/storetest"
)

var proofHrefRE = regexp.MustCompile(`href="(/en/usage/proof\?index=[0-9]+)"`)

// TestServeWitnessedPortal: under `serve --demo` with two outside
// witnesses (OMADATA_WITNESSES, quorum 2), once they have cosigned, the
// resident's "who used my data" and proof pages say the entries are
// checked against a checkpoint cosigned by both, by their labels, and the
// archive carries the witnessed checkpoint, the policy and the proofs.
func TestServeWitnessedPortal(t *testing.T) {
	a, b := newTestWitness(t, "a.example/witness"), newTestWitness(t, "b.example/witness")
	dir := t.TempDir()
	file := filepath.Join(dir, "witnesses")
	writeFile(t, file, "witness alpha "+a.VerifierKey()+" "+a.srv.URL+"/witness/v1\nwitness beta "+b.VerifierKey()+" "+b.srv.URL+"/witness/v1\n")
	s := startDemoServe(t, dir, map[string]string{"OMADATA_WITNESSES": file, "OMADATA_WITNESS_INTERVAL": "1s", "OMADATA_WITNESS_QUORUM": "2"})
	defer s.stop(t)
	_, logKey := getText(t, s.URL+"/.well-known/mydata/log-key")
	logKey = strings.TrimSpace(logKey)
	verifier, err := note.NewVerifier(logKey)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []*testWitness{a, b} {
		if err := w.store.PutWitnessedLog(storetest.Admin(), &omadata.WitnessedLog{Origin: verifier.Name(), VerifierKeys: []string{logKey},
			Source: omadata.WitnessLogAdmin, Label: "the operator", Active: true, Reason: "a test"}); err != nil {
			t.Fatal(err)
		}
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if status, _ := getText(t, s.URL+"/api/v1/public/log/checkpoint?witnessed=true"); status == 200 {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("no witnessed checkpoint after 30 s\n%s", s.stderr)
		}
	}

	jar, _ := cookiejar.New(nil)
	br := &browser{t: t, base: s.URL, http: &http.Client{Jar: jar}}
	res, body := br.do("GET", s.URL+"/en/login?"+url.Values{"next": {"/en/usage"}}.Encode(), nil)
	if !strings.Contains(res.Request.URL.Path, "/demo-idp/authorize") {
		t.Fatalf("login went to %s", res.Request.URL)
	}
	form := hiddenFields(body)
	form.Set("person", "aino")
	res, body = br.do("POST", s.URL+"/demo-idp/authorize", form)
	if res.StatusCode != 200 || res.Request.URL.Path != "/en/usage" {
		t.Fatalf("after login: %d at %s", res.StatusCode, res.Request.URL)
	}
	if !strings.Contains(body, "are checked against a checkpoint cosigned by alpha and beta") || strings.Contains(body, "witness-failed") {
		t.Fatalf("who used my data: %.3000s", body[strings.Index(body, "<main"):])
	}
	links := proofHrefRE.FindAllStringSubmatch(body, -1)
	if len(links) == 0 {
		t.Fatal("no proof link")
	}
	_, proof := br.do("GET", s.URL+strings.ReplaceAll(links[len(links)-1][1], "&amp;", "&"), nil)
	if !strings.Contains(proof, "The proof checks out") || !strings.Contains(proof, "Checked against a checkpoint cosigned by alpha and beta.") {
		t.Fatalf("proof page: %.3000s", proof[strings.Index(proof, "<main"):])
	}

	res, zipped := br.do("GET", s.URL+"/en/my-data/archive", nil)
	z, err := zip.NewReader(bytes.NewReader([]byte(zipped)), int64(len(zipped)))
	if err != nil {
		t.Fatalf("archive: %d %v", res.StatusCode, err)
	}
	var w struct {
		Checkpoint string            `json:"checkpoint"`
		Policy     string            `json:"policy"`
		Proofs     []json.RawMessage `json:"proofs"`
	}
	for _, f := range z.File {
		if f.Name == "operator/witnessed.json" {
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			json.Unmarshal(b, &w)
		}
	}
	if w.Checkpoint == "" || !strings.Contains(w.Policy, a.VerifierKey()) || len(w.Proofs) == 0 {
		t.Fatalf("the archive's witnessed part: checkpoint %q, %d proofs, policy %s", w.Checkpoint, len(w.Proofs), w.Policy)
	}
}
