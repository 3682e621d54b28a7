// SPDX-License-Identifier: Apache-2.0

package portal_test

import (
	"archive/zip"
	"encoding/json"
	"io"
	"mime"
	"net/url"
	"strings"
	"testing"
	"time"
)

// unzip returns the files of a ZIP by name.
func unzip(t *testing.T, body string) map[string][]byte {
	t.Helper()
	z, err := zip.NewReader(strings.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatalf("not a ZIP: %v", err)
	}
	out := map[string][]byte{}
	for _, f := range z.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name], err = io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestArchiveDownload: "My data" links "Download all my data" in each
// language, a plain GET (no JavaScript, no form) that downloads the signed
// archive of the resident, or of the child a guardian acts for, and
// records no request.
func TestArchiveDownload(t *testing.T) {
	e := newEnv(t, time.Time{})
	c := e.client(t)
	c.login("fi", "aino")
	aino := e.resident(t, ainoCode)
	for lang, text := range map[string]string{"fi": "Lataa kaikki tietoni", "sv": "Ladda ner alla mina uppgifter", "en": "Download all my data"} {
		p := c.get("/" + lang + "/my-data")
		if p.status != 200 || !strings.Contains(p.body, `href="/`+lang+`/my-data/archive"`) || !strings.Contains(p.body, text) {
			t.Fatalf("%s: no download link on My data (%d)", lang, p.status)
		}
	}
	x := c.get("/en/my-data/archive")
	disp, params, _ := mime.ParseMediaType(x.header.Get("Content-Disposition"))
	if x.status != 200 || x.header.Get("Content-Type") != "application/zip" || disp != "attachment" || !strings.HasPrefix(params["filename"], "omadata-"+aino.ID) {
		t.Fatalf("download: %d %v", x.status, x.header)
	}
	files := unzip(t, x.body)
	var m struct {
		ResidentID string `json:"resident_id"`
		RequestID  string `json:"request_id"`
		Parts      []struct {
			Path string `json:"path"`
		} `json:"parts"`
	}
	if err := json.Unmarshal(files["manifest.json"], &m); err != nil || m.ResidentID != aino.ID || m.RequestID != "" || len(m.Parts) == 0 {
		t.Fatalf("got manifest %+v (%v), want Aino's without a request", m, err)
	}
	if files["manifest.jws"] == nil || files["operator/consents.json"] == nil {
		t.Fatalf("got files %v, want the signature and the operator's records", len(files))
	}
	if list := e.requests(t, aino.ID); len(list) != 0 {
		t.Fatalf("got %d requests, want none recorded by a download", len(list))
	}
	if p := e.client(t).get("/en/my-data/archive"); p.status == 200 && strings.HasPrefix(p.header.Get("Content-Type"), "application/zip") {
		t.Fatal("the archive downloads without a session")
	}

	g := e.client(t)
	g.login("en", "matti")
	emma := e.resident(t, "100514A9037")
	p := g.get("/en/acting-for")
	g.post("/en/acting-for", url.Values{"csrf": {p.csrf(t)}, "principal": {emma.ID}})
	x = g.get("/en/my-data/archive")
	if err := json.Unmarshal(unzip(t, x.body)["manifest.json"], &m); err != nil || m.ResidentID != emma.ID {
		t.Fatalf("got manifest %+v (%v), want Emma's for her guardian", m, err)
	}
}
