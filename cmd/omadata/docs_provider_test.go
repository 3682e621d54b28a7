// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/omadata/omadata"
	"github.com/omadata/omadata/internal/keys"
	"github.com/omadata/omadata/internal/oidctest"
	"github.com/omadata/omadata/internal/web/admin"
	"github.com/omadata/omadata/internal/web/portal"
)

// TestConfigurationDocProvider holds the section "Connecting your OpenID
// provider" of docs/configuration.md to the code: it runs the testop file
// and the settings shown there and logs the resident in; and every
// OMADATA_* setting, omadata path and repository path the section names,
// the dex configurations included (which no test can run, dex not
// installing here), exists.
func TestConfigurationDocProvider(t *testing.T) {
	doc, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	start := strings.Index(text, "\n## Connecting your OpenID provider\n")
	if start < 0 {
		t.Fatal("no section Connecting your OpenID provider")
	}
	text = text[start+1:]
	if end := strings.Index(text, "\n## "); end > 0 {
		text = text[:end]
	}
	blocks := map[string][]string{}
	for _, m := range regexp.MustCompile("(?s)```([a-z]+)\n(.*?)```").FindAllStringSubmatch(text, -1) {
		blocks[m[1]] = append(blocks[m[1]], m[2])
	}
	if len(blocks["json"]) != 1 || len(blocks["sh"]) != 3 || len(blocks["yaml"]) != 2 {
		t.Fatalf("got %d json, %d sh and %d yaml blocks, want 1, 3 and 2", len(blocks["json"]), len(blocks["sh"]), len(blocks["yaml"]))
	}

	t.Run("names", func(t *testing.T) {
		var known []string
		for _, s := range settings() {
			known = append(known, s.key)
		}
		for _, name := range regexp.MustCompile(`OMADATA_[A-Z0-9_]*[A-Z0-9](_\*)?`).FindAllString(text, -1) {
			prefix, family := strings.CutSuffix(name, "*")
			if !slices.ContainsFunc(known, func(k string) bool { return k == name || family && strings.HasPrefix(k, prefix) }) {
				t.Errorf("%s is not a setting", name)
			}
		}
		paths := []string{portal.CallbackPath, admin.CallbackPath}
		for _, l := range omadata.Languages {
			paths = append(paths, portal.PostLogoutPath(l), admin.PostLogoutPath(l))
		}
		for _, m := range regexp.MustCompile(`https://omadata\.example\.fi(/[^\s"]*)`).FindAllStringSubmatch(text, -1) {
			if !slices.Contains(paths, m[1]) {
				t.Errorf("omadata has no path %s", m[1])
			}
		}
		for _, line := range strings.Split(text, "\n") {
			if !strings.HasPrefix(line, "| the ") {
				continue
			}
			for _, m := range regexp.MustCompile("`(/[^`]*)`").FindAllStringSubmatch(line, -1) {
				if !slices.Contains(paths, m[1]) {
					t.Errorf("omadata has no path %s", m[1])
				}
			}
		}
		for _, m := range regexp.MustCompile("`((?:tools|internal|cmd)/[a-z/.]+)`").FindAllStringSubmatch(text, -1) {
			if _, err := os.Stat(filepath.Join("../..", m[1])); err != nil {
				t.Errorf("%s: %v", m[1], err)
			}
		}
	})

	t.Run("testop", func(t *testing.T) {
		addr := freeAddr(t)
		var cfg oidctest.Config
		dec := json.NewDecoder(strings.NewReader(strings.ReplaceAll(blocks["json"][0], "127.0.0.1:8080", addr)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&cfg); err != nil {
			t.Fatalf("the testop file: %v", err)
		}
		op := oidctest.Start(t, cfg)
		tmp := t.TempDir()
		migrated(t, tmp)
		env := map[string]string{
			"OMADATA_DATABASE_URL":         "sqlite:" + filepath.Join(tmp, "omadata.db"),
			"OMADATA_SECRET_KEY":           base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, keys.SecretKeySize)),
			"OMADATA_OPERATOR_BUSINESS_ID": "0201256-6",
			"OMADATA_OPERATOR_EMAIL":       "mydata@example.fi",
			"OMADATA_LOG_LEVEL":            "error",
		}
		sh := strings.NewReplacer("127.0.0.1:8080", addr, "127.0.0.1:9000", op.Addr).Replace(blocks["sh"][0])
		sc := bufio.NewScanner(strings.NewReader(sh))
		for sc.Scan() {
			k, v, ok := strings.Cut(sc.Text(), "=")
			if !ok {
				t.Fatalf("not a setting: %q", sc.Text())
			}
			env[k] = v
		}
		if env["OMADATA_OIDC_ISSUER"] != op.Issuer {
			t.Fatalf("the settings' issuer %q is not the provider's %q", env["OMADATA_OIDC_ISSUER"], op.Issuer)
		}
		startServeAt(t, env, addr)
		u := cfg.Users[0]
		p := oidctest.Login(t, jarClient(), "http://"+addr+"/fi/login?next=/fi/consents", u.Username, u.Password)
		if p.Status != 200 || p.URL != "http://"+addr+"/fi/consents" || !strings.Contains(p.Body, `action="/fi/logout"`) {
			t.Fatalf("login: got %d at %s: %.300s", p.Status, p.URL, p.Body)
		}
	})
}
