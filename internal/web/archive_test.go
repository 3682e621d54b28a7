// SPDX-License-Identifier: Apache-2.0

package web_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/client"
	"github.com/omadata/omadata/internal/archive"
	"github.com/omadata/omadata/internal/owndata"
	"github.com/omadata/omadata/internal/owndata/owndatatest"
	"github.com/omadata/omadata/internal/store/storetest"
	"github.com/omadata/omadata/internal/web"
)

// TestArchive: a resident downloads the signed archive of all their data
// (GET /api/v1/me/export), and an access request delivers the same
// archive. An independent checker (checkArchive: the standard library and
// go-jose only) verifies the manifest's signature against the operator's
// published JWKS and every part's size and hash; every source that
// answered has its parts, the one that is down is listed with its status
// and no part; a changed byte in any file fails the check.
func TestArchive(t *testing.T) {
	var builder *archive.Builder
	e := newEnv(t, func(o *web.Options) { builder = o.Archives.(*archive.Builder) })
	id, tok := e.residentSession(t, storetest.AdultCode)
	own, err := owndata.New(e.store, nil, 5*time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	builder.OwnData = own
	loan := omadata.Text{"fi": "Laina", "sv": "Lån", "en": "Loan"}
	library, loans := e.ownSource(t, id, "library-loans", &client.OwnDataAnswer{
		Items: []omadata.OwnDataItem{{Label: loan, Value: "Sinuhe egyptiläinen", Date: "2026-11-02"}, {Label: loan, Value: "Tuntematon sotilas", Date: "2026-11-20"}},
		Table: &omadata.OwnDataTable{
			Columns: []omadata.OwnDataColumn{{Key: "title", Label: omadata.Text{"fi": "Nimeke", "sv": "Titel", "en": "Title"}}, {Key: "due", Label: omadata.Text{"fi": "Eräpäivä", "sv": "Förfallodag", "en": "Due"}}},
			Rows:    []map[string]string{{"title": "Sinuhe egyptiläinen", "due": "2026-12-02"}, {"title": "Tuntematon sotilas", "due": "=2026-12-24"}},
		},
	})
	ece, care := e.ownSource(t, id, "ece-placements", &client.OwnDataAnswer{
		Items: []omadata.OwnDataItem{{Label: omadata.Text{"fi": "Päiväkoti", "sv": "Daghem", "en": "Day-care centre"}, Value: "Päiväkoti Satakieli", Date: "2024-08-01"}},
	})
	down, gone := e.ownSource(t, id, "sports-bookings", nil)
	down.Close() // a source that is down
	jwks := e.url + "/.well-known/jwks.json"

	r := e.call(t, "GET", "/api/v1/me/export", tok, "", nil)
	wantStatus(t, r, 200)
	if ct := r.header.Get("Content-Type"); ct != "application/zip" {
		t.Fatalf("got %s, want application/zip", ct)
	}
	m, err := checkArchive(r.body, jwks)
	if err != nil {
		t.Fatalf("the archive does not verify: %v", err)
	}
	if m.Format != "omadata-archive" || m.Version != 1 || m.ResidentID != id || m.RequestID != "" || m.Operator.ID != "omadata-test" || m.Operator.URL != "https://omadata.example.fi" {
		t.Fatalf("got manifest %+v, want the resident's archive by the test operator", m)
	}
	if manifestHas(t, r.body, storetest.AdultCode) {
		t.Fatal("the manifest names the identity code")
	}
	paths := map[string]checkedPart{}
	for _, p := range m.Parts {
		paths[p.Path] = p
	}
	for _, want := range []string{"operator/profile.json", "operator/consents.json", "operator/representations.json", "operator/requests.json", "operator/usage.json", "operator/log.json"} {
		if p, ok := paths[want]; !ok || p.Source.Kind != "operator" || p.MediaType != "application/json" {
			t.Fatalf("part %s: got %+v, want the operator's JSON", want, p)
		}
	}
	status := map[string]checkedSource{}
	for _, s := range m.Sources {
		status[s.DataGroupID] = s
	}
	if len(status) != 3 {
		t.Fatalf("got sources %+v, want the three groups", m.Sources)
	}
	lib, school, off := status[loans.ID], status[care.ID], status[gone.ID]
	if lib.Status != "ok" || len(lib.Parts) != 2 || school.Status != "ok" || len(school.Parts) != 1 || off.Status != "unavailable" || len(off.Parts) != 0 {
		t.Fatalf("got %+v, %+v, %+v; want the library with JSON and CSV, early childhood education with JSON, the down source with no part", lib, school, off)
	}
	for name, rec := range map[string]*owndatatest.Recorder{"library": library, "early childhood education": ece} {
		if len(rec.Requests()) == 0 || rec.Contains(storetest.AdultCode) || rec.Contains(id) {
			t.Fatalf("%s: got %d requests, want some and none naming the resident's identity code or ID", name, len(rec.Requests()))
		}
	}
	files := unzip(t, r.body)
	var libPart struct {
		ServiceID string `json:"service_id"`
		Items     []struct {
			Label map[string]string `json:"label"`
			Value string            `json:"value"`
		} `json:"items"`
	}
	if err := json.Unmarshal(files[lib.Parts[0]], &libPart); err != nil || libPart.ServiceID != loans.ServiceID || len(libPart.Items) != 2 || libPart.Items[0].Value != "Sinuhe egyptiläinen" {
		t.Fatalf("got %s (%v), want the library's loans", files[lib.Parts[0]], err)
	}
	rows, err := csv.NewReader(bytes.NewReader(files[lib.Parts[1]])).ReadAll()
	if err != nil || len(rows) != 3 || strings.Join(rows[0], ",") != "title,due" || rows[1][0] != "Sinuhe egyptiläinen" || rows[2][1] != "'=2026-12-24" {
		t.Fatalf("got CSV %q (%v), want the header and two loans, a formula defused", rows, err)
	}
	if paths[lib.Parts[1]].MediaType != "text/csv; charset=utf-8; header=present" || paths[lib.Parts[0]].Source.ServiceID != loans.ServiceID || paths[lib.Parts[0]].Source.DataGroup != lib.DataGroup || lib.DataGroup == "" {
		t.Fatalf("got %+v, want the CSV of A's group", paths[lib.Parts[1]])
	}

	t.Run("a changed byte fails", func(t *testing.T) {
		for name := range files {
			bad := rezip(t, r.body, name)
			if _, err := checkArchive(bad, jwks); err == nil {
				t.Fatalf("a changed byte in %s still verifies", name)
			}
		}
		for _, drop := range []string{lib.Parts[0], "operator/consents.json"} {
			if _, err := checkArchive(rezip(t, r.body, "", drop), jwks); err == nil {
				t.Fatalf("the archive without %s still verifies", drop)
			}
		}
		if _, err := checkArchive(rezip(t, r.body, "", "", "extra.json"), jwks); err == nil {
			t.Fatal("the archive with an unlisted file still verifies")
		}
	})

	t.Run("an access request delivers it", func(t *testing.T) {
		r := e.do(t, "POST", "/api/v1/requests", tok, map[string]any{"kind": "access"})
		wantStatus(t, r, 201)
		var q omadata.Request
		r.decode(t, &q)
		r = e.call(t, "POST", "/api/v1/requests/"+q.ID+"/export", tok, "", nil, "Accept", "application/zip")
		wantStatus(t, r, 200)
		m, err := checkArchive(r.body, jwks)
		if err != nil {
			t.Fatalf("the request's archive does not verify: %v", err)
		}
		if m.RequestID != q.ID || m.ResidentID != id || len(m.Sources) != 3 {
			t.Fatalf("got %+v, want the request's archive with every source", m)
		}
		var reqs []struct{ ID, Status string }
		if err := json.Unmarshal(unzip(t, r.body)["operator/requests.json"], &reqs); err != nil || len(reqs) != 1 || reqs[0].Status != omadata.RequestCompleted {
			t.Fatalf("got requests %+v (%v), want the completed access request", reqs, err)
		}
	})

	t.Run("only the resident's own", func(t *testing.T) {
		wantStatus(t, e.call(t, "GET", "/api/v1/me/export", e.tokA, "", nil), 403)
		wantStatus(t, e.call(t, "GET", "/api/v1/me/export", e.admin, "", nil), 403)
		_, tok2 := e.residentSession(t, storetest.AdultCode2)
		r := e.call(t, "GET", "/api/v1/me/export", tok2, "", nil)
		wantStatus(t, r, 200)
		if m, err := checkArchive(r.body, jwks); err != nil || m.ResidentID == id {
			t.Fatalf("got %+v (%v), want the other resident's own archive", m, err)
		}
	})
}

// manifestHas reports whether the manifest in archive b contains s.
func manifestHas(t *testing.T, b []byte, s string) bool {
	return bytes.Contains(unzip(t, b)["manifest.json"], []byte(s))
}

func unzip(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
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

// rezip copies archive b with the last byte of file flip changed, file
// drop left out and file add added (empty names: none).
func rezip(t *testing.T, b []byte, flip string, more ...string) []byte {
	t.Helper()
	var drop, add string
	if len(more) > 0 {
		drop = more[0]
	}
	if len(more) > 1 {
		add = more[1]
	}
	z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	files := unzip(t, b)
	for _, f := range z.File {
		if f.Name == drop {
			continue
		}
		body := bytes.Clone(files[f.Name])
		if f.Name == flip && len(body) > 0 {
			body[len(body)-1] ^= 0x01
		}
		fw, err := w.Create(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(body)
	}
	if add != "" {
		fw, err := w.Create(add)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write([]byte("{}\n"))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// The independent checker: the archive format of docs/archive.md, read
// with the standard library and go-jose only, nothing of omadata's.

type checkedManifest struct {
	Format   string `json:"format"`
	Version  int    `json:"version"`
	Operator struct {
		ID  string `json:"id"`
		URL string `json:"url"`
	} `json:"operator"`
	CreatedAt  time.Time       `json:"created_at"`
	ResidentID string          `json:"resident_id"`
	RequestID  string          `json:"request_id"`
	Parts      []checkedPart   `json:"parts"`
	Sources    []checkedSource `json:"sources"`
}

type checkedPart struct {
	Path   string `json:"path"`
	Source struct {
		Kind        string `json:"kind"`
		ServiceID   string `json:"service_id"`
		DataGroup   string `json:"data_group"`
		DataGroupID string `json:"data_group_id"`
	} `json:"source"`
	MediaType string `json:"media_type"`
	Size      int64  `json:"size"`
	SHA256    string `json:"sha256"`
}

type checkedSource struct {
	ServiceID   string   `json:"service_id"`
	DataGroup   string   `json:"data_group"`
	DataGroupID string   `json:"data_group_id"`
	Status      string   `json:"status"`
	Parts       []string `json:"parts"`
}

// checkArchive verifies an archive: manifest.jws is a compact EdDSA JWS,
// by a key of the JWKS at jwksURL, whose payload is exactly manifest.json;
// every part the manifest lists is in the ZIP with its size and SHA-256,
// every file of the ZIP is listed, and every source answer's parts are
// parts of that source.
func checkArchive(b []byte, jwksURL string) (*checkedManifest, error) {
	z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	for _, f := range z.File {
		if _, dup := files[f.Name]; dup {
			return nil, fmt.Errorf("%s: twice in the ZIP", f.Name)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(io.LimitReader(rc, 64<<20))
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		files[f.Name] = body
	}
	manifest, sig := files["manifest.json"], files["manifest.jws"]
	if manifest == nil || sig == nil {
		return nil, errors.New("no manifest.json or manifest.jws")
	}
	res, err := http.Get(jwksURL)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(res.Body).Decode(&set); err != nil {
		return nil, fmt.Errorf("JWKS: %w", err)
	}
	jws, err := jose.ParseSigned(string(sig), []jose.SignatureAlgorithm{jose.EdDSA})
	if err != nil {
		return nil, fmt.Errorf("manifest.jws: %w", err)
	}
	if len(jws.Signatures) != 1 {
		return nil, errors.New("manifest.jws: want one signature")
	}
	keys := set.Key(jws.Signatures[0].Header.KeyID)
	if len(keys) != 1 {
		return nil, fmt.Errorf("manifest.jws: kid %q is not in the JWKS", jws.Signatures[0].Header.KeyID)
	}
	payload, err := jws.Verify(keys[0].Key)
	if err != nil {
		return nil, fmt.Errorf("manifest.jws: %w", err)
	}
	if !bytes.Equal(payload, manifest) {
		return nil, errors.New("manifest.jws does not sign manifest.json")
	}
	var m checkedManifest
	if err := json.Unmarshal(manifest, &m); err != nil {
		return nil, fmt.Errorf("manifest.json: %w", err)
	}
	if m.Format != "omadata-archive" || m.Version != 1 {
		return nil, fmt.Errorf("format %s version %d is not this checker's", m.Format, m.Version)
	}
	listed := map[string]checkedPart{"manifest.json": {}, "manifest.jws": {}}
	for _, p := range m.Parts {
		if _, dup := listed[p.Path]; dup {
			return nil, fmt.Errorf("%s: listed twice", p.Path)
		}
		listed[p.Path] = p
		body, ok := files[p.Path]
		if !ok {
			return nil, fmt.Errorf("%s: listed but not in the ZIP", p.Path)
		}
		sum := sha256.Sum256(body)
		if int64(len(body)) != p.Size || hex.EncodeToString(sum[:]) != p.SHA256 {
			return nil, fmt.Errorf("%s: size or SHA-256 differs from the manifest", p.Path)
		}
	}
	for name := range files {
		if _, ok := listed[name]; !ok {
			return nil, fmt.Errorf("%s: in the ZIP but not listed", name)
		}
	}
	for _, s := range m.Sources {
		if s.Status == "ok" && len(s.Parts) == 0 {
			return nil, fmt.Errorf("source %s %s answered but has no part", s.ServiceID, s.DataGroup)
		}
		for _, path := range s.Parts {
			p, ok := listed[path]
			if !ok || p.Source.Kind != "source" || p.Source.ServiceID != s.ServiceID || p.Source.DataGroupID != s.DataGroupID {
				return nil, fmt.Errorf("source %s %s: part %s is not its", s.ServiceID, s.DataGroup, path)
			}
		}
	}
	return &m, nil
}

// storeIssuer is the "iss" of what storetest's store signs; the env's
// operator description names another operator ID.
const storeIssuer = "https://omadata.test"

// ownSource registers an approved source with one data group whose API
// is a separate HTTP server answering with the client package's handler
// (answer for the resident, nothing for anyone else), and links the
// resident to it.
func (e *env) ownSource(t *testing.T, residentID, code string, answer *client.OwnDataAnswer) (*owndatatest.Recorder, *omadata.DataGroup) {
	t.Helper()
	var h http.Handler
	rec := owndatatest.NewRecorder(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	sv := storetest.NewService(e.org, omadata.RoleSource)
	sv.Endpoints.API = rec.URL + "/api"
	must(t, "source", e.store.CreateService(storetest.Admin(), sv))
	_, err := e.store.SetServiceStatus(storetest.Admin(), sv.ID, omadata.ServiceApproved)
	must(t, "approve source", err)
	g := storetest.CreateDataGroup(t, e.store, sv.ID, code, false)
	psn, err := e.store.Pseudonym(storetest.Admin(), sv.ID, residentID)
	must(t, "pseudonym", err)
	_, tok := e.credential(t, sv.ID, omadata.ScopeTransfers)
	c := client.New(e.url, tok)
	mux := http.NewServeMux()
	mux.Handle("GET /api/omadata/own-data/{code}", client.OwnDataHandler(client.NewVerifier(e.url, sv.ID, c, client.WithIssuer(storeIssuer)), map[string]string{code: g.ID},
		func(ctx context.Context, pseudonym, dataGroupCode string) (*client.OwnDataAnswer, error) {
			if pseudonym != psn {
				return nil, omadata.NotFound("Resident")
			}
			return answer, nil
		}))
	h = mux
	return rec, g
}
